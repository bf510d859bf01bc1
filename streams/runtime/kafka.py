"""Kafka clients built from the settings, and topic administration.

**Clients.** ``make_producer``, ``make_consumer`` and ``make_admin`` are the only places that build aiokafka
clients: each takes the settings and applies the servers and the security (SASL, TLS with an optional client
certificate: ``client_options``); producers also get the one message size limit, ``MAX_MESSAGE_BYTES``.

**Topics.** Faust would create topics lazily, but a consumer that joins before its source topic exists is
assigned nothing and stays idle until the next rebalance; creating them first avoids that. Creation returns
before every broker's metadata shows the topic (seconds on a freshly started broker, or when another worker
created it a moment ago), so ``ensure_topics`` also waits until each topic is listed with a leader for every
partition: a worker that joined earlier was assigned nothing and idled until its metadata refreshed.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError, TopicAlreadyExistsError
from aiokafka.helpers import create_ssl_context

from streams.errors import BrokerUnavailableError
from streams.settings import Settings

__all__ = [
    "MAX_MESSAGE_BYTES",
    "client_options",
    "ensure_topics",
    "make_admin",
    "make_consumer",
    "make_producer",
    "ssl_context",
    "topic_partitions",
    "wait_for_broker",
]

# The largest record a producer sends: the local broker's message.max.bytes (ops/kafka/broker; docker-compose
# sets the same, and a unit test keeps them equal). Raw pages can be large; the parse stage refuses payloads
# far below this (streams.stages.parsing.MAX_PAYLOAD_BYTES) with a dead letter.
MAX_MESSAGE_BYTES = 32 * 1024 * 1024


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context for ``SSL`` and ``SASL_SSL``; None for the plaintext protocols.

    With a certificate (and its key, unless the certificate file holds it) the context presents it to brokers
    that ask for client certificates (mutual TLS); a key that does not match the certificate fails here."""
    if not settings.security_protocol.endswith("SSL"):
        return None
    context: ssl.SSLContext = create_ssl_context(
        cafile=str(settings.ssl_cafile) if settings.ssl_cafile else None,
        certfile=str(settings.ssl_certfile) if settings.ssl_certfile else None,
        keyfile=str(settings.ssl_keyfile) if settings.ssl_keyfile else None,
    )
    return context


def client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments every aiokafka client gets: servers and security."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "security_protocol": settings.security_protocol,
    }
    if settings.security_protocol.startswith("SASL"):
        options.update(
            sasl_mechanism=settings.sasl_mechanism,
            sasl_plain_username=settings.sasl_username,
            sasl_plain_password=settings.sasl_password,
        )
    context = ssl_context(settings)
    if context is not None:
        options["ssl_context"] = context
    return options


def make_producer(settings: Settings, *, acks: int | str = "all", **options: Any) -> AIOKafkaProducer:
    """A producer (not started) that waits for every in-sync replica by default and may send records up to
    ``MAX_MESSAGE_BYTES``."""
    return AIOKafkaProducer(**client_options(settings), acks=acks, max_request_size=MAX_MESSAGE_BYTES, **options)


def make_consumer(settings: Settings, *topics: str, **options: Any) -> AIOKafkaConsumer:
    """A consumer (not started) of ``topics`` (or of what it is assigned later); ``options`` as aiokafka's."""
    return AIOKafkaConsumer(*topics, **client_options(settings), **options)


def make_admin(settings: Settings, **options: Any) -> AIOKafkaAdminClient:
    """An admin client (not started); ``options`` as aiokafka's (``request_timeout_ms``)."""
    return AIOKafkaAdminClient(**client_options(settings), **options)


async def wait_for_broker(settings: Settings, timeout: float = 30.0) -> None:
    """Return once the cluster answers a metadata request; raise BrokerUnavailableError after ``timeout``."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: Exception | None = None
    while asyncio.get_running_loop().time() < deadline:
        admin = make_admin(settings, request_timeout_ms=5000)
        try:
            await admin.start()
            await admin.list_topics()
            return
        except (KafkaConnectionError, KafkaError, OSError) as exc:
            last = exc
            await asyncio.sleep(0.5)
        finally:
            await admin.close()
    raise BrokerUnavailableError(f"no Kafka broker answered at {settings.bootstrap} within {timeout:.0f}s: {last}")


def _new_topic(settings: Settings, name: str) -> NewTopic:
    if name == settings.topics.ingest_state:  # keyed state: keep the latest value per key
        return NewTopic(name, 1, settings.replication, topic_configs={"cleanup.policy": "compact"})
    if name == settings.topics.stories:  # the latest summary per story id
        return NewTopic(name, settings.partitions, settings.replication, topic_configs={"cleanup.policy": "compact"})
    return NewTopic(name, settings.partitions, settings.replication)


async def ensure_topics(
    settings: Settings, extra: Iterable[str] = (), timeout: float = 30.0, *, pipeline: bool = True
) -> list[str]:
    """Create the pipeline's topics (unless ``pipeline`` is false) and ``extra`` ones that do not exist yet,
    wait until the broker serves them; return those created."""
    wanted = list(dict.fromkeys([*(settings.topics.all() if pipeline else ()), *extra]))
    admin = make_admin(settings, request_timeout_ms=15000)
    try:
        await admin.start()
    except (KafkaConnectionError, OSError) as exc:
        raise BrokerUnavailableError(f"no Kafka broker answered at {settings.bootstrap}: {exc}") from exc
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another worker won the race
                await admin.create_topics([_new_topic(settings, name) for name in missing])
            await _wait_until_served(admin, missing, timeout)
        return missing
    finally:
        await admin.close()


async def _wait_until_served(admin: AIOKafkaAdminClient, topics: list[str], timeout: float) -> None:
    """Until the broker's metadata lists every topic with a leader for each partition."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        pending = set(topics) - set(await admin.list_topics())
        if not pending:  # describing is safe now: every topic exists, nothing gets auto-created
            for item in await admin.describe_topics(topics):
                partitions = item.get("partitions") or []
                if item.get("error_code") or not partitions or any(p.get("leader", -1) < 0 for p in partitions):
                    pending.add(item.get("topic", "?"))
        if not pending:
            return
        if loop.time() >= deadline:
            raise BrokerUnavailableError(f"topics not served within {timeout:.0f}s: {', '.join(sorted(pending))}")
        await asyncio.sleep(0.2)


async def topic_partitions(settings: Settings, topic: str) -> list[int]:
    """The partition numbers of ``topic`` (empty when it does not exist; it is never created by asking)."""
    admin = make_admin(settings, request_timeout_ms=15000)
    await admin.start()
    try:
        if topic not in set(await admin.list_topics()):
            return []  # describing a missing topic would auto-create it on brokers that allow that
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    for item in described:
        if item.get("topic") == topic and not item.get("error_code"):
            return sorted(p["partition"] for p in item.get("partitions", []))
    return []

"""Topic administration with aiokafka: every topic the pipeline uses exists before a worker joins.

Faust would create topics lazily, but a consumer that joins before its source topic exists is assigned
nothing and stays idle until the next rebalance; creating them first avoids that. Creation returns before
every broker's metadata shows the topic (seconds on a freshly started broker, or when another worker created
it a moment ago), so ``ensure_topics`` also waits until each topic is listed with a leader for every
partition: a worker that joined earlier was assigned nothing and idled until its metadata refreshed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError, TopicAlreadyExistsError

from streams.errors import BrokerUnavailableError
from streams.settings import Settings

__all__ = ["ensure_topics", "topic_partitions", "wait_for_broker"]


async def wait_for_broker(settings: Settings, timeout: float = 30.0) -> None:
    """Return once the cluster answers a metadata request; raise BrokerUnavailableError after ``timeout``."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: Exception | None = None
    while asyncio.get_running_loop().time() < deadline:
        admin = AIOKafkaAdminClient(**settings.kafka_client_options(), request_timeout_ms=5000)
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
    return NewTopic(name, settings.partitions, settings.replication)


async def ensure_topics(settings: Settings, extra: Iterable[str] = (), timeout: float = 30.0) -> list[str]:
    """Create the pipeline's topics (and ``extra`` ones) that do not exist yet, wait until the broker serves
    them; return those created."""
    wanted = list(dict.fromkeys([*settings.topics.all(), *extra]))
    admin = AIOKafkaAdminClient(**settings.kafka_client_options(), request_timeout_ms=15000)
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
    admin = AIOKafkaAdminClient(**settings.kafka_client_options(), request_timeout_ms=15000)
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

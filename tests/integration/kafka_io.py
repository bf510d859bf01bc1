"""Small aiokafka helpers for the integration tests: produce, and read topics until a condition holds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]


async def produce(
    bootstrap: str, topic: str, messages: Iterable[tuple[bytes | None, bytes, list[tuple[str, bytes]]]]
) -> list[tuple[int, int]]:
    """Send each message and wait for the broker; the (partition, offset) each was written at."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=32 * 1024 * 1024)
    await producer.start()
    written = []
    try:
        for key, value, headers in messages:
            meta = await producer.send_and_wait(topic, value, key=key, headers=headers)
            written.append((meta.partition, meta.offset))
    finally:
        await producer.stop()
    return written


async def produce_backlog(
    bootstrap: str, topic: str, messages: Iterable[tuple[bytes | None, bytes, list[tuple[str, bytes]]]]
) -> None:
    """Send every message before waiting for any (a backlog appears at once), then wait for all."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    await producer.start()
    try:
        deliveries = [await producer.send(topic, value, key=key, headers=headers) for key, value, headers in messages]
        await asyncio.gather(*deliveries)
    finally:
        await producer.stop()


async def committed_offsets(bootstrap: str, group: str) -> dict[tuple[str, int], int]:
    """The group's committed offsets (the next offset it reads) by (topic, partition); absent when none."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {(tp.topic, tp.partition): o.offset for tp, o in offsets.items() if o.offset >= 0}


async def create_topic(bootstrap: str, name: str, partitions: int, configs: Mapping[str, str]) -> None:
    """Create ``name`` before the worker does, with topic configs of the test's choosing."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1, topic_configs=dict(configs))])
    finally:
        await admin.close()


async def topic_configs(bootstrap: str, name: str) -> dict[str, str]:
    """The configs the broker reports for topic ``name``."""
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (response,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)])
    finally:
        await admin.close()
    ((_error, _message, _type, _name, entries),) = response.resources
    return {entry[0]: entry[1] for entry in entries}


async def read_all(bootstrap: str, topics: list[str], timeout: float = 60.0) -> list[Record]:
    """Every record of ``topics`` up to their end offsets now (the topics must exist)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    partitions = [
        TopicPartition(t["topic"], p["partition"]) for t in described if t["error_code"] == 0 for p in t["partitions"]
    ]
    missing = set(topics) - {tp.topic for tp in partitions}
    assert not missing, f"topics not found: {sorted(missing)}"
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    records: list[Record] = []
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        position = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while any(position[tp] < end for tp, end in ends.items()):
            assert loop.time() < deadline, f"not all of {topics} read within {timeout}s"
            batch = await consumer.getmany(*partitions, timeout_ms=500)
            for tp, messages in batch.items():
                for m in messages:
                    position[tp] = m.offset + 1
                    if m.offset < ends[tp]:
                        records.append(
                            Record(m.topic, m.partition, m.offset, m.key, m.value, {k: v for k, v in m.headers})
                        )
    finally:
        await consumer.stop()
    return records


async def read_until(
    bootstrap: str,
    topics: list[str],
    done: Callable[[list[Record]], bool],
    timeout: float = 60.0,
    settle: float = 0.0,
) -> list[Record]:
    """Read ``topics`` from the beginning (no group) until ``done(records)``, then ``settle`` seconds more."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        metadata_max_age_ms=1000,
    )
    await consumer.start()
    records: list[Record] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    settled_at: float | None = None
    try:
        while loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                for m in messages:
                    records.append(Record(m.topic, m.partition, m.offset, m.key, m.value, {k: v for k, v in m.headers}))
            if settled_at is None and done(records):
                settled_at = loop.time()
            if settled_at is not None and loop.time() - settled_at >= settle:
                return records
    finally:
        await consumer.stop()
    return records

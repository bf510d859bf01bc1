"""Small aiokafka helpers for the integration tests: produce, and read topics until a condition holds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


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
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=32 * 1024 * 1024)
    await producer.start()
    try:
        for key, value, headers in messages:
            await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


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

"""What the poller has already published, kept in a compacted Kafka topic so that restarts remember it.

Keys: ``item:<feed>:<item key>`` (value: when it was published) and ``http:<feed>`` (the last ETag and
Last-Modified). On start the poller reads the topic to its end; entries older than ``retention`` are
forgotten and tombstoned, so the state stays bounded. Publishing comes first and the mark second: a crash
between the two republishes that item once (at-least-once), and downstream dedup sees the same article id.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from streams.runtime.kafka import make_consumer, make_producer, topic_partitions
from streams.settings import Settings
from streams.tools.ingest.http import Validators

__all__ = ["SeenState"]


class SeenState:
    def __init__(self, settings: Settings, topic: str, retention_s: float = 30 * 24 * 3600.0) -> None:
        self.settings = settings
        self.topic = topic
        self.retention_s = retention_s
        self.items: dict[str, float] = {}
        self.http: dict[str, Validators] = {}

    async def load(self) -> int:
        """Read the state topic to its end; return how many entries are in force."""
        consumer = make_consumer(
            self.settings,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        expired: list[str] = []
        try:
            partitions = [TopicPartition(self.topic, p) for p in await topic_partitions(self.settings, self.topic)]
            if partitions:
                await self._read_all(consumer, partitions, expired)
        finally:
            await consumer.stop()
        if expired:
            await self._write([(key, None) for key in expired])
        return len(self.items)

    async def _read_all(self, consumer: AIOKafkaConsumer, partitions: list[TopicPartition], expired: list[str]) -> None:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        now = time.time()
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(timeout_ms=1000)
            for messages in batch.values():
                for message in messages:
                    self._apply(message.key.decode(), message.value, now, expired)
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)

    def _apply(self, key: str, value: bytes | None, now: float, expired: list[str]) -> None:
        if key.startswith("item:"):
            if value is None:
                self.items.pop(key, None)
                return
            stamp = float(orjson.loads(value))
            if now - stamp > self.retention_s:
                self.items.pop(key, None)
                expired.append(key)
            else:
                self.items[key] = stamp
        elif key.startswith("http:") and value is not None:
            data: dict[str, Any] = orjson.loads(value)
            self.http[key[5:]] = Validators(data.get("etag"), data.get("last_modified"))

    def seen(self, feed: str, item_key: str) -> bool:
        return f"item:{feed}:{item_key}" in self.items

    def validators(self, feed: str) -> Validators:
        return self.http.get(feed, Validators())

    async def remember(self, feed: str, item_keys: list[str], validators: Validators | None) -> None:
        now = time.time()
        writes: list[tuple[str, bytes | None]] = []
        for item_key in item_keys:
            key = f"item:{feed}:{item_key}"
            self.items[key] = now
            writes.append((key, orjson.dumps(now)))
        if validators is not None and (validators.etag or validators.last_modified):
            self.http[feed] = validators
            writes.append(
                (f"http:{feed}", orjson.dumps({"etag": validators.etag, "last_modified": validators.last_modified}))
            )
        await self._write(writes)

    async def _write(self, writes: list[tuple[str, bytes | None]]) -> None:
        if not writes:
            return
        producer = make_producer(self.settings)
        await producer.start()
        try:
            deliveries = [await producer.send(self.topic, value, key=key.encode()) for key, value in writes]
            await asyncio.gather(*deliveries)  # every mark acknowledged before we call it remembered
        finally:
            await producer.stop()

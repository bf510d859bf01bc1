"""Replay and backfill: re-publish a time range of a topic, per partition, resumable, beside the live pipeline.

    python -m streams replay --topic news.raw --from 2026-11-01T00:00Z [--to ...] [--target NAME | --into TOPIC]
                             [--lead-in 7d] [--slices N] [--rate N] [--dry-run]

- **Range**: ``offsets_for_times`` per partition finds the first offset at or after ``--from``; the end is the
  first offset at or after ``--to`` (or the partition's end when the replay starts), so the range is fixed
  even while new messages arrive. Without ``--to`` the run is open-ended: run again, it publishes only what
  arrived since.
- **Target**: by default an isolated backfill run, the topic ``NAME.<topic>`` (``--target``, default
  ``backfill``): run a worker with ``STREAMS_TOPIC_PREFIX=NAME.`` and ``STREAMS_APP_ID=NAME`` and it has its
  own group, state and output topics. ``--into`` names one topic exactly instead.
- **Untouched live pipeline**: the reader has no consumer group (nothing is committed anywhere) and writes
  only to the target; ``--rate`` caps messages per second.
- **Resumable, once**: progress per partition is checkpointed (after each acknowledged batch) in
  ``STREAMS_DATA_DIR/replay/<run>.json``, where the run is named by topic, range, target and lead-in. An interrupted
  replay resumes where it stopped; the same range again publishes nothing new (``--restart`` starts over).
- **Traceable**: each message keeps its key, value, headers and timestamp, plus ``replay.source.topic``,
  ``replay.source.partition`` and ``replay.source.offset``, so the parse stage records the original
  coordinates and dedup gives a replayed article the verdict it had.
- **Lead-in** (``--lead-in 7d``): the messages of that long before ``--from`` are published first (every
  partition's before any of the range), marked ``replay.lead-in``: the run's dedup instance takes them into
  its state (copies and stories up to the dedup time-to-live back) and publishes nothing for them. So a long
  backfill splits into consecutive slices, each replayed into a target of its own with a lead-in and run by
  workers of its own: one dedup instance per slice, all at once, where one backfill has one
  (``docs/operations.md``). A message is in the lead-in by its offset (before the first at or after
  ``--from``), so it is the previous slice's, once. ``--slices N`` cuts ``--from``..``--to`` into N such
  slices of equal time (cut on whole seconds), planned together and replayed into ``NAME-1``...
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from aiokafka import TopicPartition
from aiokafka.admin import NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from streams.errors import ConfigError
from streams.headers import (
    HEADER_REPLAY_LEAD_IN,
    HEADER_REPLAY_OFFSET,
    HEADER_REPLAY_PARTITION,
    HEADER_REPLAY_TOPIC,
    REPLAY_PREFIX,
)
from streams.runtime.kafka import make_admin, make_consumer, make_producer, topic_partitions
from streams.settings import Settings

__all__ = ["ReplayPlan", "parse_time", "plan_replay", "run_replay", "slice_bounds"]

BATCH = 500


@dataclass
class ReplayPlan:
    topic: str
    target: str
    start_ms: int
    end_ms: int | None
    ranges: dict[int, tuple[int, int]]  # partition -> [first, end): the lead-in, then the range
    done: dict[int, int] = field(default_factory=dict)  # partition -> next offset to publish
    checkpoint: Path | None = None
    lead_in_ms: int = 0
    starts: dict[int, int] = field(default_factory=dict)  # partition -> first offset of the range (after the lead-in)

    def lead_in(self, partition: int) -> int:
        """How many of the partition's messages are in the lead-in."""
        first, end = self.ranges[partition]
        return max(0, min(self.starts.get(partition, first), end) - first)

    @property
    def total(self) -> int:
        return sum(end - first for first, end in self.ranges.values())

    def remaining(self, partition: int) -> int:
        first, end = self.ranges[partition]
        return max(0, end - max(first, self.done.get(partition, first)))


def parse_time(text: str) -> int:
    """ISO 8601 (a ``Z`` or an offset; naive means UTC) to epoch milliseconds."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"not an ISO 8601 time: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def slice_bounds(start_ms: int, end_ms: int, slices: int) -> list[tuple[int, int]]:
    """``[start_ms, end_ms)`` cut into ``slices`` consecutive ranges of about equal time, each ending where the
    next starts (``replay --slices``)."""
    if slices < 1 or end_ms <= start_ms:
        raise ConfigError(f"cannot cut {start_ms}..{end_ms} ms into {slices} slices")
    # inner cuts on whole seconds, so each slice's range can be given again by hand (``--from``/``--to``)
    inner = [(start_ms + (end_ms - start_ms) * k // slices) // 1000 * 1000 for k in range(1, slices)]
    cuts = [start_ms, *(max(cut, start_ms) for cut in inner), end_ms]
    return list(itertools.pairwise(cuts))


async def plan_replay(
    settings: Settings,
    topic: str,
    start_ms: int,
    end_ms: int | None,
    target: str,
    restart: bool = False,
    lead_in_ms: int = 0,
) -> ReplayPlan:
    """Find the offsets of the range per partition (with the ``lead_in_ms`` before it), and what a previous
    run of it already did."""
    if lead_in_ms < 0:
        raise ConfigError(f"a lead-in cannot be negative: {lead_in_ms} ms")
    partitions = await topic_partitions(settings, topic)
    if not partitions:
        raise ConfigError(f"topic {topic!r} does not exist or has no partitions")
    consumer = make_consumer(settings, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in partitions]
        ends = await consumer.end_offsets(tps)
        starts = await consumer.offsets_for_times({tp: start_ms for tp in tps})
        leads = await consumer.offsets_for_times({tp: start_ms - lead_in_ms for tp in tps}) if lead_in_ms else starts
        stops = await consumer.offsets_for_times({tp: end_ms for tp in tps}) if end_ms is not None else {}
    finally:
        await consumer.stop()
    ranges, range_starts = {}, {}
    for tp in tps:
        start = starts[tp].offset if starts.get(tp) is not None else ends[tp]
        first = min(leads[tp].offset if leads.get(tp) is not None else ends[tp], start)
        stop = stops[tp].offset if stops.get(tp) is not None else ends[tp]
        ranges[tp.partition] = (first, max(start, stop))
        range_starts[tp.partition] = start
    bound = "open" if end_ms is None else str(end_ms)
    lead = f"|lead-in {lead_in_ms}" if lead_in_ms else ""  # a run without one keeps its name of before
    run = hashlib.blake2b(f"{topic}|{start_ms}|{bound}|{target}{lead}".encode(), digest_size=6).hexdigest()
    checkpoint = settings.data_dir / "replay" / f"{run}.json"
    plan = ReplayPlan(
        topic, target, start_ms, end_ms, ranges, checkpoint=checkpoint, lead_in_ms=lead_in_ms, starts=range_starts
    )
    if checkpoint.exists() and not restart:
        saved = orjson.loads(checkpoint.read_bytes())
        for p, (first, end) in saved["ranges"].items():
            # a closed range is fixed by its first run; an open one keeps its start and grows to today's end
            fixed_end = int(end) if end_ms is not None else max(int(end), ranges.get(int(p), (0, 0))[1])
            plan.ranges[int(p)] = (int(first), fixed_end)
            plan.starts[int(p)] = int(first)  # a checkpoint from before lead-ins: none
        plan.starts.update({int(p): int(o) for p, o in saved.get("starts", {}).items()})
        plan.done = {int(p): int(o) for p, o in saved["done"].items()}
    return plan


def _save(plan: ReplayPlan) -> None:
    assert plan.checkpoint is not None
    plan.checkpoint.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "topic": plan.topic,
        "target": plan.target,
        "start_ms": plan.start_ms,
        "end_ms": plan.end_ms,
        "ranges": {str(p): list(r) for p, r in plan.ranges.items()},
        "done": {str(p): o for p, o in plan.done.items()},
        "lead_in_ms": plan.lead_in_ms,
        "starts": {str(p): o for p, o in plan.starts.items()},
    }
    tmp = plan.checkpoint.with_suffix(".tmp")
    tmp.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    os.replace(tmp, plan.checkpoint)


async def run_replay(
    settings: Settings,
    plan: ReplayPlan,
    *,
    rate: float | None = None,
    progress: Any = None,
    stop_after: int | None = None,
) -> int:
    """Publish what remains of the plan to its target; return how many messages were published.

    ``progress(partition, done, total)`` is called as work advances; ``stop_after`` interrupts the run after
    that many messages (as a crash would, but cleanly checkpointed), for tests and for careful operators.
    """
    await ensure_target(settings, plan.target, len(plan.ranges))
    if plan.checkpoint is not None:
        _save(plan)  # the range and its lead-in are fixed by the first run, even one that publishes nothing
    copier = _Copier(plan, make_consumer(settings, group_id=None, enable_auto_commit=False), make_producer(settings))
    copier.rate, copier.progress, copier.stop_after = rate, progress, stop_after
    await copier.consumer.start()
    await copier.producer.start()
    try:
        # every partition's lead-in before any of the range: a worker that runs while the replay does learns
        # the whole lead-in before the range's first article
        for lead_in_pass in (True, False):
            for partition in sorted(plan.ranges):
                first, end = plan.ranges[partition]
                await copier.copy(partition, min(end, plan.starts.get(partition, first)) if lead_in_pass else end)
                if copier.stopped():
                    return copier.published
    finally:
        await copier.producer.stop()
        await copier.consumer.stop()
    return copier.published


@dataclass
class _Copier:
    """Copies a plan's messages to its target, a partition at a time, checkpointed after each acknowledged
    batch; those before the range's start marked as its lead-in."""

    plan: ReplayPlan
    consumer: Any
    producer: Any
    rate: float | None = None
    progress: Any = None
    stop_after: int | None = None
    published: int = 0
    started: float = field(default_factory=time.monotonic)

    def stopped(self) -> bool:
        return self.stop_after is not None and self.published >= self.stop_after

    async def copy(self, partition: int, stop: int) -> None:
        """The partition's messages from where the plan stands up to offset ``stop``."""
        plan = self.plan
        first, end = plan.ranges[partition]
        position = max(first, plan.done.get(partition, first))
        if position >= stop:
            return
        tp = TopicPartition(plan.topic, partition)
        self.consumer.assign([tp])
        self.consumer.seek(tp, position)
        start = plan.starts.get(partition, first)
        while position < stop and not self.stopped():
            batch = await self.consumer.getmany(tp, timeout_ms=1000, max_records=BATCH)
            deliveries = []
            for message in batch.get(tp, []):
                if message.offset >= stop or self.stopped():
                    break
                headers = [
                    *[(k, v) for k, v in message.headers if not k.startswith(REPLAY_PREFIX)],
                    (HEADER_REPLAY_TOPIC, plan.topic.encode()),
                    (HEADER_REPLAY_PARTITION, str(partition).encode()),
                    (HEADER_REPLAY_OFFSET, str(message.offset).encode()),
                ]
                if plan.lead_in_ms and message.offset < start:
                    headers.append((HEADER_REPLAY_LEAD_IN, b"1"))
                deliveries.append(
                    await self.producer.send(
                        plan.target,
                        message.value,
                        key=message.key,
                        headers=headers,
                        timestamp_ms=message.timestamp,
                        partition=partition,  # same partition, same order as the source
                    )
                )
                position = message.offset + 1
                self.published += 1
                if self.rate:
                    await _pace(self.published, self.rate, self.started)
            await asyncio.gather(*deliveries)  # acknowledged before the checkpoint says so
            plan.done[partition] = position
            _save(plan)
            if self.progress is not None:
                self.progress(partition, position - first, end - first)


async def ensure_target(settings: Settings, topic: str, partitions: int) -> None:
    """Create the target with the source's partition count, so every message keeps its partition."""
    existing = await topic_partitions(settings, topic)
    if existing:
        if len(existing) < partitions:
            raise ConfigError(f"target {topic!r} has {len(existing)} partitions; the source has {partitions}")
        return
    admin = make_admin(settings)
    await admin.start()
    try:
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics([NewTopic(topic, partitions, settings.replication)])
    finally:
        await admin.close()


async def _pace(count: int, rate: float, started: float) -> None:
    ahead = count / rate - (time.monotonic() - started)
    if ahead > 0:
        await asyncio.sleep(ahead)

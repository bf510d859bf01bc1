"""Offset resets for a stopped consumer group: ``python -m streams offsets --group G ... [--execute]``.

Shows, and with ``--execute`` applies, new committed offsets for the group's partitions: to a time
(``offsets_for_times``), to the earliest or to the latest offset. It refuses while the group has live
members (the same rule as Kafka's ``kafka-consumer-groups --reset-offsets``): a running worker would
overwrite the reset with its next commit, and moving a live group under it loses or repeats work.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import TopicPartition
from aiokafka.structs import OffsetAndMetadata

from streams.errors import ConfigError, StreamsError
from streams.runtime.kafka import make_admin, make_consumer, topic_partitions
from streams.settings import Settings

__all__ = ["GroupIsLiveError", "OffsetChange", "apply_reset", "plan_reset"]


class GroupIsLiveError(StreamsError):
    """The group has members: stop its workers first, then reset."""

    stage = "offsets"
    reason = "group_live"


@dataclass(frozen=True, slots=True)
class OffsetChange:
    topic: str
    partition: int
    current: int | None  # committed offset now (None: nothing committed)
    new: int


async def group_members(settings: Settings, group: str) -> int:
    admin = make_admin(settings)
    await admin.start()
    try:
        described = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    total = 0
    for item in described:
        for group_info in getattr(item, "groups", []) or []:
            if group_info[1] == group:  # (error_code, group_id, state, protocol_type, protocol, members, ...)
                total += len(group_info[5] or [])
    return total


async def plan_reset(
    settings: Settings, group: str, topics: list[str], *, to_ms: int | None = None, to: str | None = None
) -> list[OffsetChange]:
    """The committed offsets of ``group`` on ``topics`` now, and where the reset would put them."""
    if (to_ms is None) == (to is None):
        raise ConfigError("give exactly one of a time, --to-earliest or --to-latest")
    admin = make_admin(settings)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    tps = []
    for topic in topics or sorted({tp.topic for tp in committed}):
        tps += [TopicPartition(topic, p) for p in await topic_partitions(settings, topic)]
    if not tps:
        raise ConfigError(f"group {group!r} has no committed offsets; name the topics with --topic")
    consumer = make_consumer(settings, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(tps)
        if to == "earliest":
            targets = await consumer.beginning_offsets(tps)
        elif to == "latest":
            targets = ends
        else:
            found = await consumer.offsets_for_times({tp: to_ms for tp in tps})
            targets = {tp: (found[tp].offset if found.get(tp) is not None else ends[tp]) for tp in tps}
    finally:
        await consumer.stop()
    changes = []
    for tp in tps:
        current = committed.get(tp)
        changes.append(
            OffsetChange(tp.topic, tp.partition, current.offset if current is not None else None, int(targets[tp]))
        )
    return changes


async def apply_reset(settings: Settings, group: str, changes: list[OffsetChange]) -> None:
    """Commit the new offsets for the stopped group; refuse when it has live members."""
    members = await group_members(settings, group)
    if members:
        raise GroupIsLiveError(f"group {group!r} has {members} live member(s); stop its workers before a reset")
    consumer = make_consumer(settings, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(c.topic, c.partition) for c in changes]
        consumer.assign(tps)
        await consumer.commit({tp: OffsetAndMetadata(c.new, "") for tp, c in zip(tps, changes, strict=True)})
    finally:
        await consumer.stop()

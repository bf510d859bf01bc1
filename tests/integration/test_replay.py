"""Replay, offset resets and reroute on the real broker."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from streams.settings import Settings
from streams.stages.parsing import RawMeta
from streams.stages.pipeline import parse_and_tag
from streams.stages.routing import Rules, load_rules
from streams.tools.offsets import GroupIsLiveError, apply_reset, plan_reset
from streams.tools.replay import plan_replay, run_replay
from streams.tools.reroute import reroute

from .kafka_io import read_until

# The base of the messages' timestamps: a day ago, to the hour. Not a fixed date: once a fixed base was older
# than the broker's retention (7 days), every batch rolled a new log segment (segment.ms is counted from the
# first timestamp) and the retention check deleted the rolled ones, so a replay found some records gone.
T0 = (int(time.time()) // 3600 - 24) * 3_600_000
COUNT = 40


def settings_for(bootstrap: str, tmp_path: Path) -> Settings:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMS_")}
    env.update(KAFKA_BOOTSTRAP=bootstrap, STREAMS_DATA_DIR=str(tmp_path / "state"))
    return Settings.from_env(env)


async def make_source(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 2, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for i in range(COUNT):
            await producer.send_and_wait(
                topic, f"id-{i}".encode(), key=f"k{i}".encode(), partition=i % 2, timestamp_ms=T0 + i * 1000
            )
    finally:
        await producer.stop()


def values(records: list) -> list[str]:  # type: ignore[type-arg]
    return sorted(r.value.decode() for r in records)


def expected(first: int, last: int) -> list[str]:
    return sorted(f"id-{i}" for i in range(first, last))


def test_sub_range_interruption_and_repeat(bootstrap: str, unique: str, tmp_path: Path) -> None:
    settings = settings_for(bootstrap, tmp_path)
    source, target = f"{unique}.src", f"{unique}.dst"

    async def scenario() -> tuple[int, int, int, list]:  # type: ignore[type-arg]
        await make_source(bootstrap, source)
        plan = await plan_replay(settings, source, T0 + 10_000, T0 + 30_000, target)
        assert plan.total == 20
        first = await run_replay(settings, plan, stop_after=7)  # interrupted
        resumed_plan = await plan_replay(settings, source, T0 + 10_000, T0 + 30_000, target)
        second = await run_replay(settings, resumed_plan)
        again_plan = await plan_replay(settings, source, T0 + 10_000, T0 + 30_000, target)
        third = await run_replay(settings, again_plan)  # the same range again: nothing new
        records = await read_until(bootstrap, [target], lambda rs: len(rs) >= 20, timeout=30, settle=2)
        return first, second, third, records

    first, second, third, records = asyncio.run(scenario())
    assert (first, second, third) == (7, 13, 0)
    assert values(records) == expected(10, 30)  # no gap, no repeat
    for record in records:
        assert record.headers["replay.source.topic"] == source.encode()
        assert int(record.headers["replay.source.offset"]) >= 0
        assert record.key is not None


def test_replay_leaves_live_group_offsets_alone(bootstrap: str, unique: str, tmp_path: Path) -> None:
    settings = settings_for(bootstrap, tmp_path)
    source, group = f"{unique}.src", f"{unique}-live"

    async def scenario() -> tuple[dict, dict]:  # type: ignore[type-arg]
        await make_source(bootstrap, source)
        live = AIOKafkaConsumer(
            source,
            bootstrap_servers=bootstrap,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=6000,
            heartbeat_interval_ms=500,
        )
        await live.start()
        try:
            got = 0
            while got < 10:
                batch = await live.getmany(timeout_ms=1000, max_records=10 - got)
                got += sum(len(v) for v in batch.values())
            await live.commit()
            before = {tp: await live.committed(tp) for tp in live.assignment()}
            plan = await plan_replay(settings, source, T0, T0 + COUNT * 1000, f"{unique}.dst")
            assert await run_replay(settings, plan) == COUNT
            after = {tp: await live.committed(tp) for tp in live.assignment()}
        finally:
            await live.stop()
        return before, after

    before, after = asyncio.run(scenario())
    assert before == after
    assert sum(before.values()) == 10


def test_offset_reset_moves_a_stopped_group_and_refuses_a_live_one(bootstrap: str, unique: str, tmp_path: Path) -> None:
    settings = settings_for(bootstrap, tmp_path)
    source, group = f"{unique}.src", f"{unique}-stopped"

    async def scenario() -> tuple[list, dict]:  # type: ignore[type-arg]
        await make_source(bootstrap, source)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=group,
            enable_auto_commit=False,
            session_timeout_ms=6000,
            heartbeat_interval_ms=500,
        )
        await consumer.start()
        tps = [TopicPartition(source, 0), TopicPartition(source, 1)]
        consumer.assign(tps)
        await consumer.commit({tp: 20 for tp in tps})  # at the end of both partitions
        await consumer.stop()
        changes = await plan_reset(settings, group, [source], to_ms=T0 + 20_000)
        await apply_reset(settings, group, changes)
        check = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
        await check.start()
        committed = {tp.partition: await check.committed(tp) for tp in tps}
        await check.stop()
        live = AIOKafkaConsumer(
            source, bootstrap_servers=bootstrap, group_id=group, session_timeout_ms=6000, heartbeat_interval_ms=500
        )
        await live.start()
        try:
            await live.getmany(timeout_ms=3000)  # joined
            with pytest.raises(GroupIsLiveError):
                await apply_reset(settings, group, changes)
        finally:
            await live.stop()
        return changes, committed

    changes, committed = asyncio.run(scenario())
    # messages i >= 20 have timestamps >= T0 + 20 s; partition p holds i = p, p + 2, ...: offset 10 in each
    assert {c.partition: (c.current, c.new) for c in changes} == {0: (20, 10), 1: (20, 10)}
    assert committed == {0: 10, 1: 10}


def test_reroute_reports_what_new_rules_would_change(
    bootstrap: str, unique: str, tmp_path: Path, samples_dir: Path
) -> None:
    settings = settings_for(bootstrap, tmp_path)
    topic = f"{unique}.unique"
    articles = parse_and_tag((samples_dir / "syria-diplomacy.rss").read_bytes(), RawMeta())
    strict = Rules.from_dict({"version": "nothing-routed", "routes": [{"name": "other", "topic": "other"}]})

    async def scenario():  # type: ignore[no-untyped-def]
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        try:
            for i, article in enumerate(articles):
                await producer.send_and_wait(topic, article.dumps(), key=article.id.encode(), timestamp_ms=T0 + i)
            await producer.send_and_wait(topic, b"not a record", timestamp_ms=T0 + 99)
        finally:
            await producer.stop()
        return await reroute(settings, topic, T0, T0 + 1000, load_rules(), strict)

    report = asyncio.run(scenario())
    assert report.read == len(articles) + 1
    assert report.unreadable == 1
    assert report.changes[("syria_diplomacy", "other")] == 3
    assert report.changes[("syria_other", "other")] == 1
    assert report.examples


def test_open_ended_replay_catches_up_without_repeats(bootstrap: str, unique: str, tmp_path: Path) -> None:
    settings = settings_for(bootstrap, tmp_path)
    source, target = f"{unique}.src", f"{unique}.open"

    async def scenario() -> tuple[int, int, list]:  # type: ignore[type-arg]
        await make_source(bootstrap, source)
        first = await run_replay(settings, await plan_replay(settings, source, T0 + 30_000, None, target))
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        for i in (COUNT, COUNT + 1):
            await producer.send_and_wait(source, f"id-{i}".encode(), partition=i % 2, timestamp_ms=T0 + i * 1000)
        await producer.stop()
        second = await run_replay(settings, await plan_replay(settings, source, T0 + 30_000, None, target))
        records = await read_until(bootstrap, [target], lambda rs: len(rs) >= 12, timeout=30, settle=2)
        return first, second, records

    first, second, records = asyncio.run(scenario())
    assert (first, second) == (10, 2)
    assert values(records) == expected(30, COUNT + 2)

"""A backfill slice with its lead-in on the real broker: ``replay --lead-in`` marks the messages before the
range, and a worker of the backfill run takes them into its dedup state and publishes nothing for them: the
range's copy of a lead-in article is its duplicate, the range's new article is published, and an unparseable
lead-in message is left to the run of its own range (no dead letter here). ``replay --slices`` cuts a range
into slices, each with its lead-in."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.errors import TopicAlreadyExistsError

from streams.headers import HEADER_CONTENT_TYPE, HEADER_REPLAY_LEAD_IN
from streams.settings import Settings
from streams.stages.parsing import parse_payload
from streams.stages.pipeline import meta_from_headers
from streams.tools.replay import plan_replay, run_replay

from .conftest import wait_for, worker_environment
from .kafka_io import Record, create_topic, read_all, read_until

JSON = [(HEADER_CONTENT_TYPE, b"application/json")]
HOUR_MS = 3_600_000
START = (int(time.time()) // 3600 - 24) * HOUR_MS  # the slice's start: a day ago (within the broker's retention)
BRIEFING = {
    "title": "Envoy briefs the council on the prisoner exchange talks",
    "body": "The special envoy told the security council that the two delegations had agreed on the lists for a "
    "first exchange of detainees, to take place under the supervision of the Red Crescent within two weeks. "
    "Talks on the second round will follow in Geneva, the envoy said, once the first exchange is complete.",
    "url": "https://one.example/envoy-briefing",
    "publishedAt": "2026-11-30T09:00:00Z",
}
REPUBLISHED = {**BRIEFING, "url": "https://two.example/envoy-council-briefing"}  # the same text elsewhere
HARBOUR = {
    "title": "Harbour cranes replaced in a northern port",
    "body": "Four container cranes were replaced over the weekend in the northern port, the port authority "
    "said, and traffic resumed on Monday morning after two days of work.",
    "url": "https://three.example/harbour-cranes",
    "publishedAt": "2026-11-30T10:00:00Z",
}
ORCHARD = {
    "title": "Orchard growers report an early harvest",
    "body": "Apple growers in the valley began picking two weeks early this year after a warm spring and a dry "
    "summer, the growers' association said in its weekly report.",
    "url": "https://four.example/orchard-harvest",
    "publishedAt": "2026-12-01T08:00:00Z",
}


def _id(payload: dict[str, str]) -> str:
    return parse_payload(orjson.dumps(payload), meta_from_headers(dict(JSON), b"k"))[0].id


async def _source(bootstrap: str, topic: str, messages: list[tuple[int, int, bytes]]) -> None:
    """Create ``topic`` (2 partitions) if needed and write (partition, timestamp, value) messages."""
    with contextlib.suppress(TopicAlreadyExistsError):
        await create_topic(bootstrap, topic, 2, {})
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for partition, stamp, value in messages:
            await producer.send_and_wait(topic, value, key=b"k", partition=partition, timestamp_ms=stamp, headers=JSON)
    finally:
        await producer.stop()


def _lead_in(metrics: dict[str, float], stage: str, outcome: str) -> float:
    return metrics.get(f'streams_lead_in_articles_total{{outcome="{outcome}",stage="{stage}"}}', -1.0)


def test_a_slice_learns_its_lead_in_and_publishes_only_its_range(
    bootstrap: str, unique: str, tmp_path: Path, start_worker
) -> None:
    live = Settings.from_env({"STREAMS_TOPIC_PREFIX": f"{unique}."}, bootstrap=bootstrap, data_dir=tmp_path / "live")
    source = live.topics.raw
    run_env = worker_environment(bootstrap, f"{unique}-slice", tmp_path)
    run = Settings.from_env(run_env)
    worker = start_worker(run_env)
    worker.wait_ready()

    # the lead-in (the hours before the slice): the briefing and a message no parser reads on partition 0,
    # the harbour report on partition 1; the range: the orchard report on partition 1
    asyncio.run(
        _source(
            bootstrap,
            source,
            [
                (0, START - 3 * HOUR_MS, orjson.dumps(BRIEFING)),
                (0, START - 2 * HOUR_MS, b"{not json"),
                (1, START - 1 * HOUR_MS, orjson.dumps(HARBOUR)),
                (1, START + 1 * HOUR_MS, orjson.dumps(ORCHARD)),
            ],
        )
    )

    def replay() -> tuple[dict[int, tuple[int, int]], list[int], int]:
        plan = asyncio.run(plan_replay(live, source, START, None, run.topics.raw, lead_in_ms=6 * HOUR_MS))
        published = asyncio.run(run_replay(live, plan))
        return plan.ranges, [plan.lead_in(p) for p in sorted(plan.ranges)], published

    assert replay() == ({0: (0, 2), 1: (0, 2)}, [2, 1], 4)
    wait_for(
        lambda: _lead_in(worker.metrics(), "dedup", "learnt") == 2,
        timeout=90,
        what=f"two lead-in articles learnt\n{worker.log_tail()}",
    )
    # the briefing published again elsewhere, in the range: the open-ended replay goes on from where it stopped
    asyncio.run(_source(bootstrap, source, [(0, START + 2 * HOUR_MS, orjson.dumps(REPUBLISHED))]))
    assert replay() == ({0: (0, 3), 1: (0, 2)}, [2, 1], 1)

    outputs = [run.topics.unique, run.topics.duplicates]
    records = asyncio.run(read_until(bootstrap, outputs, lambda rs: len(rs) >= 2, timeout=90, settle=3))
    by_topic: dict[str, list[Record]] = {topic: [r for r in records if r.topic == topic] for topic in outputs}
    assert [r.key for r in by_topic[run.topics.unique]] == [_id(ORCHARD).encode()], worker.log_tail()
    (duplicate,) = by_topic[run.topics.duplicates]
    verdict = orjson.loads(duplicate.value)["dedup"]
    assert (duplicate.key, verdict["dup_of"], verdict["kind"]) == (_id(REPUBLISHED).encode(), _id(BRIEFING), "content")
    stories = asyncio.run(read_all(bootstrap, [run.topics.stories], timeout=5))
    assert {r.key for r in stories} == {_id(ORCHARD).encode()}  # no summary for a lead-in report
    assert asyncio.run(read_all(bootstrap, [run.topics.deadletter], timeout=5)) == []  # the bad one: its own run's
    metrics = worker.metrics()
    assert (_lead_in(metrics, "parse", "skipped"), _lead_in(metrics, "dedup", "learnt")) == (1, 2)
    raw = asyncio.run(read_all(bootstrap, [run.topics.raw], timeout=5))
    marked = sorted((r.partition, r.offset) for r in raw if r.headers.get(HEADER_REPLAY_LEAD_IN) == b"1")
    assert marked == [(0, 0), (0, 1), (1, 0)]


def test_replay_cuts_a_range_into_slices_each_with_its_lead_in(bootstrap: str, unique: str, tmp_path: Path) -> None:
    source = f"{unique}.src"
    # twelve messages an hour apart over two partitions; value i at START + i hours
    asyncio.run(_source(bootstrap, source, [(i % 2, START + i * HOUR_MS, str(i).encode()) for i in range(12)]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMS_")}
    env.update(KAFKA_BOOTSTRAP=bootstrap, STREAMS_DATA_DIR=str(tmp_path / "state"))
    hours = [datetime.fromtimestamp((START + h * HOUR_MS) / 1000, UTC).isoformat() for h in (2, 10)]
    command = [sys.executable, "-m", "streams", "replay", "--topic", source, "--from", hours[0], "--to", hours[1]]
    command += ["--slices", "2", "--lead-in", "3h", "--target", f"{unique}-bf"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert f"STREAMS_TOPIC_PREFIX={unique}-bf-1." in done.stdout
    assert f"STREAMS_TOPIC_PREFIX={unique}-bf-2." in done.stdout

    def published(run: str) -> tuple[list[int], list[int]]:
        records = asyncio.run(read_all(bootstrap, [f"{unique}-bf-{run}.{source}"], timeout=10))
        lead = sorted(int(r.value) for r in records if HEADER_REPLAY_LEAD_IN in r.headers)
        own = sorted(int(r.value) for r in records if HEADER_REPLAY_LEAD_IN not in r.headers)
        return lead, own

    # slices [2 h, 6 h) and [6 h, 10 h), each with the 3 hours before it
    assert published("1") == ([0, 1], [2, 3, 4, 5])
    assert published("2") == ([3, 4, 5], [6, 7, 8, 9])

"""Faults on the real broker: SIGTERM, SIGKILL of one of two workers, bad input among good, the broker killed.

The guarantee is at-least-once with idempotent outputs: no input is lost; after a crash, messages in flight
are processed again and come out again with the same id, the same verdict and in the same topic (consumers
keep the latest record per key). These tests assert exactly that, by id.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter, defaultdict
from pathlib import Path

import orjson
from aiokafka.admin import AIOKafkaAdminClient

from streams.settings import Settings
from streams.stages.parsing import RawMeta, parse_payload

from .conftest import WorkerProcess, free_port, kill_broker, wait_for
from .kafka_io import Record, committed_offsets, produce, produce_backlog, read_all, read_until

JSON = [("content-type", b"application/json")]


def article_payload(n: int) -> bytes:
    words = " ".join(f"t{n}w{i}" for i in range(80))
    return orjson.dumps(
        {"title": f"Report {n}", "body": f"Story {n} in detail: {words}.", "url": f"https://x.example/{n}"}
    )


def ids_of(payloads: list[bytes]) -> set[str]:
    return {parse_payload(p, RawMeta(content_type="application/json"))[0].id for p in payloads}


def by_id(records: list[Record], settings: Settings) -> dict[str, list[str]]:
    topics: dict[str, list[str]] = defaultdict(list)
    for record in records:
        if record.topic != settings.topics.deadletter:
            topics[orjson.loads(record.value)["id"]].append(record.topic)
    return topics


async def committed_total(bootstrap: str, group: str, topic: str) -> int:
    offsets = await committed_offsets(bootstrap, group)
    return sum(offset for (name, _), offset in offsets.items() if name == topic)


def second_env(worker_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {**worker_env, "STREAMS_WEB_PORT": str(free_port()), "STREAMS_DATA_DIR": str(tmp_path / "state-2")}


def test_sigkill_of_one_of_two_workers_loses_nothing(
    bootstrap: str, worker_env: dict[str, str], start_worker, tmp_path: Path
) -> None:
    # no periodic commit: offsets are committed only when partitions move (a worker joins or dies), so whatever
    # the victim does once both have joined stays uncommitted
    env = {**worker_env, "STREAMS_COMMIT_INTERVAL": "600"}
    settings = Settings.from_env(env)
    first: WorkerProcess = start_worker(env, name="w1")
    second: WorkerProcess = start_worker(second_env(env, tmp_path), name="w2")
    first.wait_ready()
    second.wait_ready()
    payloads = [article_payload(n) for n in range(120)]
    messages = [(f"k{n}".encode(), p, JSON) for n, p in enumerate(payloads)]
    asyncio.run(produce(bootstrap, settings.topics.raw, messages[:60]))

    def victim_parsed() -> float:  # raw messages whose articles the victim has delivered
        return first.metrics().get('streams_stage_processing_seconds_count{stage="parse"}', 0.0)

    wait_for(lambda: victim_parsed() >= 1, 60, "the victim to parse a message")
    # the victim holds uncommitted work: outputs delivered for inputs its group has not committed
    committed = asyncio.run(committed_offsets(bootstrap, settings.app_id))
    assert sum(committed.get((settings.topics.raw, p), 0) for p in range(settings.partitions)) == 0, committed
    held = victim_parsed()
    first.proc.send_signal(signal.SIGKILL)  # no chance to commit or flush
    assert first.proc.wait(10) == -signal.SIGKILL
    asyncio.run(produce(bootstrap, settings.topics.raw, messages[60:]))
    records = asyncio.run(
        read_until(
            bootstrap, list(settings.topics.outputs()), lambda rs: len({*by_id(rs, settings)}) >= 120, 120, settle=3
        )
    )
    topics = by_id(records, settings)
    assert set(topics) == ids_of(payloads), second.log_tail()  # none lost
    assert not [r for r in records if r.topic == settings.topics.deadletter]
    # the survivor parsed again every message the victim had parsed without committing
    parsed = Counter(
        (origin["partition"], origin["offset"])
        for origin in (
            orjson.loads(r.value)["origin"] for r in asyncio.run(read_all(bootstrap, [settings.topics.articles]))
        )
    )
    assert sum(1 for n in parsed.values() if n >= 2) >= held, (held, parsed.most_common(5))
    for article_id, seen in topics.items():
        assert len(set(seen)) == 1, (article_id, seen)  # a repeat is the same decision in the same topic
    # one crash: each of the three stages (parse, dedup, route) redelivers at most once what it had done
    # since its last commit, so an article comes out at most 1 + 3 times, always with the same decision
    assert max(len(seen) for seen in topics.values()) <= 4
    assert second.proc.poll() is None  # the survivor took over and is still running


def test_bad_input_goes_to_dead_letters_and_the_good_is_all_routed(
    bootstrap: str, worker_env: dict[str, str], start_worker
) -> None:
    settings = Settings.from_env(worker_env)
    worker: WorkerProcess = start_worker()
    worker.wait_ready()
    bad = [
        b"",
        b"\x00\x01\x02\x03" * 100,
        b"<rss><channel><item><title>cut",
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><rss>&b;</rss>',
        b"[" * 5000,
        b'{"title": "x", "body": "' + b"\xff\xfe\xfa" * 1000 + b'"}',
        b"x" * (20 * 1024 * 1024),
        bytes(range(256)) * 40,
    ]
    good = [article_payload(1000 + n) for n in range(len(bad))]
    messages = []
    for n, (g, b) in enumerate(zip(good, bad, strict=True)):
        messages.append((f"g{n}".encode(), g, JSON))
        messages.append((f"b{n}".encode(), b, []))
    asyncio.run(produce(bootstrap, settings.topics.raw, messages))
    expected_bad = sum(1 for b in bad if _is_bad(b))

    def complete(records: list[Record]) -> bool:
        dead = sum(r.topic == settings.topics.deadletter for r in records)
        return dead >= expected_bad and len(by_id(records, settings)) >= len(good)

    records = asyncio.run(read_until(bootstrap, list(settings.topics.outputs()), complete, 120, settle=2))
    assert set(by_id(records, settings)) >= ids_of(good), worker.log_tail()
    dead = [r for r in records if r.topic == settings.topics.deadletter]
    assert len(dead) == expected_bad
    assert all(r.headers["dlq.reason"] and r.headers["dlq.stage"] == b"parse" for r in dead)
    time.sleep(1)
    assert worker.proc.poll() is None  # never died
    status, _ = worker.get("/healthz")
    assert status == 200


def _is_bad(payload: bytes) -> bool:
    try:
        parse_payload(payload)
    except Exception:
        return True
    return False


def test_a_dead_letter_too_large_for_its_topic_is_kept_truncated(
    bootstrap: str, worker_env: dict[str, str], start_worker
) -> None:
    from aiokafka.admin import NewTopic

    settings = Settings.from_env(worker_env)

    async def small_deadletter_topic() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.create_topics(
                [NewTopic(settings.topics.deadletter, 1, 1, topic_configs={"max.message.bytes": "1048576"})]
            )
        finally:
            await admin.close()

    asyncio.run(small_deadletter_topic())
    worker: WorkerProcess = start_worker()
    worker.wait_ready()
    huge = b"<html>" + b"y" * (9 * 1024 * 1024)
    after = article_payload(7)
    asyncio.run(produce(bootstrap, settings.topics.raw, [(b"h", huge, []), (b"h", after, JSON)]))
    records = asyncio.run(read_until(bootstrap, list(settings.topics.outputs()), lambda rs: len(rs) >= 2, 90))
    dead = [r for r in records if r.topic == settings.topics.deadletter]
    assert len(dead) == 1, worker.log_tail()
    assert dead[0].headers["dlq.reason"] == b"too_large"
    assert dead[0].headers["dlq.truncated.from.bytes"] == str(len(huge)).encode()
    assert dead[0].value == huge[: 64 * 1024]
    assert set(by_id(records, settings)) == ids_of([after])
    assert worker.proc.poll() is None


def test_an_output_the_broker_refuses_sends_its_input_to_the_dead_letters(
    bootstrap: str, worker_env: dict[str, str], start_worker
) -> None:
    """The broker refuses an article larger than ``news.articles`` takes: the raw message goes to the dead
    letters with the reason, the messages around it are routed, and every offset is committed (before, the
    agent crashed, Faust acknowledged the event anyway, and the message was lost without a trace)."""
    from aiokafka.admin import NewTopic

    settings = Settings.from_env(worker_env)

    async def small_articles_topic() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            topic = NewTopic(
                settings.topics.articles, settings.partitions, 1, topic_configs={"max.message.bytes": "16384"}
            )
            await admin.create_topics([topic])
        finally:
            await admin.close()

    asyncio.run(small_articles_topic())
    worker: WorkerProcess = start_worker()
    worker.wait_ready()
    before, after = article_payload(1), article_payload(2)
    words = " ".join(f"long{i}word" for i in range(3000))
    big = orjson.dumps({"title": "A long report", "body": words, "url": "https://x.example/long"})
    asyncio.run(produce(bootstrap, settings.topics.raw, [(b"a", before, JSON), (b"b", big, JSON), (b"c", after, JSON)]))
    expected = ids_of([before, after])

    def complete(records: list[Record]) -> bool:
        dead_letters = any(r.topic == settings.topics.deadletter for r in records)
        return dead_letters and set(by_id(records, settings)) >= expected

    records = asyncio.run(read_until(bootstrap, list(settings.topics.outputs()), complete, 90, settle=2))
    dead = [r for r in records if r.topic == settings.topics.deadletter]
    assert len(dead) == 1, worker.log_tail()
    assert dead[0].value == big
    assert dead[0].headers["dlq.stage"] == b"parse"
    assert dead[0].headers["dlq.reason"] == b"output_refused"
    assert set(by_id(records, settings)) == expected
    assert worker.proc.poll() is None  # alive, and nothing left unacknowledged
    assert worker.get("/healthz")[0] == 200
    deadline = time.monotonic() + 30
    while asyncio.run(committed_total(bootstrap, settings.app_id, settings.topics.raw)) < 3:
        assert time.monotonic() < deadline, "raw offsets not committed"
        time.sleep(0.5)


def test_broker_killed_mid_stream_loses_nothing(
    private_broker: dict[str, str], worker_env: dict[str, str], start_worker
) -> None:
    """The broker dies (SIGKILL, no clean shutdown) while the worker is in the middle of a backlog and is back
    within seconds, well under the producer's delivery timeout: the worker rides it out in the same process
    (never exits, is never restarted), every id comes out, nothing is dead-lettered, and /healthz is 200."""
    import subprocess

    bootstrap = private_broker["KAFKA_BOOTSTRAP"]
    env = {**worker_env, "KAFKA_BOOTSTRAP": bootstrap, "STREAMS_PRODUCER_TIMEOUT": "60"}
    settings = Settings.from_env(env)
    worker: WorkerProcess = start_worker(env, name="on-private-broker")
    worker.wait_ready()
    payloads = [article_payload(2000 + n) for n in range(320)]
    messages = [(f"k{n}".encode(), p, JSON) for n, p in enumerate(payloads)]
    script = private_broker["BROKER_SCRIPT"].split()

    async def backlog_under_way() -> list[Record]:
        reader = asyncio.create_task(
            read_until(bootstrap, list(settings.topics.outputs()), lambda rs: len(by_id(rs, settings)) >= 10, 120)
        )
        await produce_backlog(bootstrap, settings.topics.raw, messages[:300])
        return await reader

    assert 10 <= len(by_id(asyncio.run(backlog_under_way()), settings)) < 300, "no work in flight at the kill"
    kill_broker(private_broker)
    down_since = time.monotonic()
    time.sleep(2)
    started = subprocess.run([*script, "start"], env=private_broker, capture_output=True, text=True, timeout=240)
    assert started.returncode == 0, started.stdout + started.stderr
    outage = time.monotonic() - down_since
    assert outage < 30, f"the outage lasted {outage:.0f}s: not a short one"
    assert worker.proc.poll() is None, worker.log_tail()
    asyncio.run(produce(bootstrap, settings.topics.raw, messages[300:]))
    records = asyncio.run(
        read_until(bootstrap, list(settings.topics.outputs()), lambda rs: len(by_id(rs, settings)) >= 320, 180)
    )
    assert set(by_id(records, settings)) == ids_of(payloads), worker.log_tail()
    assert not [r for r in records if r.topic == settings.topics.deadletter]
    assert worker.proc.poll() is None
    assert worker.get("/healthz")[0] == 200, worker.log_tail()
    # under the supervisor, the Faust worker itself never had to be started again
    assert worker.metrics()["streams_worker_restarts"] == 0, worker.log_tail()

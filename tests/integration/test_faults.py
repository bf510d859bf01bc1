"""Faults on the real broker: SIGTERM, SIGKILL of one of two workers, bad input among good.

The guarantee is at-least-once with idempotent outputs: no input is lost; after a crash, messages in flight
are processed again and come out again with the same id, the same verdict and in the same topic (consumers
keep the latest record per key). These tests assert exactly that, by id.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import defaultdict
from pathlib import Path

import orjson
from aiokafka.admin import AIOKafkaAdminClient

from streams.settings import Settings
from streams.stages.parsing import RawMeta, parse_payload

from .conftest import WorkerProcess, free_port
from .kafka_io import Record, produce, read_until

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
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(o.offset for tp, o in offsets.items() if tp.topic == topic and o.offset >= 0)


def second_env(worker_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {**worker_env, "STREAMS_WEB_PORT": str(free_port()), "STREAMS_DATA_DIR": str(tmp_path / "state-2")}


def test_sigterm_finishes_in_flight_work_and_commits(bootstrap: str, worker_env: dict[str, str], start_worker) -> None:
    settings = Settings.from_env(worker_env)
    worker: WorkerProcess = start_worker()
    worker.wait_ready()
    payloads = [article_payload(n) for n in range(30)]
    asyncio.run(produce(bootstrap, settings.topics.raw, [(f"k{n}".encode(), p, JSON) for n, p in enumerate(payloads)]))
    records = asyncio.run(read_until(bootstrap, list(settings.topics.outputs()), lambda rs: len(rs) >= 30, 60))
    worker.proc.send_signal(signal.SIGTERM)
    assert worker.proc.wait(60) == 0, worker.log_tail()
    assert set(by_id(records, settings)) == ids_of(payloads)
    # every message processed is committed at every stage: a new worker would start after them (dedup
    # acknowledges its events from its outputs' delivery callbacks, several in flight at once)
    for topic in (settings.topics.raw, settings.topics.articles, settings.topics.unique):
        assert asyncio.run(committed_total(bootstrap, settings.app_id, topic)) == 30, topic


def test_sigkill_of_one_of_two_workers_loses_nothing(
    bootstrap: str, worker_env: dict[str, str], start_worker, tmp_path: Path
) -> None:
    settings = Settings.from_env(worker_env)
    first: WorkerProcess = start_worker(name="w1")
    second: WorkerProcess = start_worker(second_env(worker_env, tmp_path), name="w2")
    first.wait_ready()
    second.wait_ready()
    payloads = [article_payload(n) for n in range(120)]
    messages = [(f"k{n}".encode(), p, JSON) for n, p in enumerate(payloads)]

    async def scenario() -> list[Record]:
        await produce(bootstrap, settings.topics.raw, messages[:60])
        await asyncio.sleep(1.0)
        first.proc.send_signal(signal.SIGKILL)  # mid-stream, no chance to commit or flush
        await produce(bootstrap, settings.topics.raw, messages[60:])
        return await read_until(
            bootstrap, list(settings.topics.outputs()), lambda rs: len({*by_id(rs, settings)}) >= 120, 120, settle=3
        )

    records = asyncio.run(scenario())
    topics = by_id(records, settings)
    assert set(topics) == ids_of(payloads), second.log_tail()  # none lost
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
    records = asyncio.run(read_until(bootstrap, list(settings.topics.outputs()), lambda rs: len(rs) >= 3, 90))
    dead = [r for r in records if r.topic == settings.topics.deadletter]
    assert len(dead) == 1, worker.log_tail()
    assert dead[0].value == big
    assert dead[0].headers["dlq.stage"] == b"parse"
    assert dead[0].headers["dlq.reason"] == b"output_refused"
    assert set(by_id(records, settings)) == ids_of([before, after])
    assert worker.proc.poll() is None  # alive, and nothing left unacknowledged
    assert worker.get("/healthz")[0] == 200
    deadline = time.monotonic() + 30
    while asyncio.run(committed_total(bootstrap, settings.app_id, settings.topics.raw)) < 3:
        assert time.monotonic() < deadline, "raw offsets not committed"
        time.sleep(0.5)


def test_broker_restart_mid_stream_loses_nothing(
    private_broker: dict[str, str], worker_env: dict[str, str], start_worker
) -> None:
    import subprocess

    bootstrap = private_broker["KAFKA_BOOTSTRAP"]
    env = {**worker_env, "KAFKA_BOOTSTRAP": bootstrap}
    settings = Settings.from_env(env)
    worker: WorkerProcess = start_worker(env, name="on-private-broker")
    worker.wait_ready()
    payloads = [article_payload(2000 + n) for n in range(40)]
    messages = [(f"k{n}".encode(), p, JSON) for n, p in enumerate(payloads)]
    script = private_broker["BROKER_SCRIPT"].split()
    asyncio.run(produce(bootstrap, settings.topics.raw, messages[:20]))
    stopped = subprocess.run([*script, "stop"], env=private_broker, capture_output=True, text=True, timeout=120)
    assert stopped.returncode == 0, stopped.stderr
    time.sleep(3)
    started = subprocess.run([*script, "start"], env=private_broker, capture_output=True, text=True, timeout=240)
    assert started.returncode == 0, started.stdout + started.stderr
    asyncio.run(produce(bootstrap, settings.topics.raw, messages[20:]))
    records = asyncio.run(
        read_until(bootstrap, list(settings.topics.outputs()), lambda rs: len(by_id(rs, settings)) >= 40, 180)
    )
    assert set(by_id(records, settings)) == ids_of(payloads), worker.log_tail()
    assert worker.proc.poll() is None

"""Dedup state on the real broker: restarts, replays, and two workers agreeing with one."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from streams.settings import Settings
from streams.stages.dedup.index import DedupConfig, DedupIndex
from streams.stages.record import Article, iso_utc
from streams.tools.replay import plan_replay, run_replay

from .kafka_io import Record, produce, read_all, read_until, topic_configs

WIRE = (
    "The foreign ministers of the two neighbouring countries met on Tuesday to discuss border security, "
    "trade through the reopened crossings and the voluntary return of refugees, according to a joint "
    "statement. Both sides agreed to form a technical committee that will meet every month and report to "
    "the ministers, and to restore direct flights between the two capitals before the end of the year. "
    "The statement said the talks were held in a positive atmosphere and the next round would follow soon."
)
JSON = [("content-type", b"application/json")]


def story(n: int) -> bytes:
    """A distinct article per n: different words, not a copy of any other."""
    words = " ".join(f"w{n}x{i}" for i in range(60))
    return orjson.dumps({"title": f"Story number {n}", "body": f"Report {n}: {words}."})


def copy_of_wire(n: int) -> bytes:
    edited = WIRE.replace("on Tuesday", f"on Tuesday ({n})").replace("soon.", "soon, officials said.")
    return orjson.dumps({"title": f"Ministers meet, version {n}", "body": edited, "url": f"https://copy{n}.example/a"})


def outputs(records: list[Record], settings: Settings) -> list[dict]:  # type: ignore[type-arg]
    return [orjson.loads(r.value) for r in records if r.topic != settings.topics.deadletter]


def test_restart_keeps_state_and_replay_keeps_verdicts(
    bootstrap: str, worker_env: dict[str, str], start_worker, tmp_path: Path
) -> None:
    settings = Settings.from_env(worker_env)
    first = start_worker()
    first.wait_ready()
    original = orjson.dumps({"title": "Ministers meet", "body": WIRE, "url": "https://wire.example/a"})
    asyncio.run(produce(bootstrap, settings.topics.raw, [(b"a", original, JSON)]))
    before = asyncio.run(read_until(bootstrap, list(settings.topics.outputs()), lambda rs: len(rs) >= 1, timeout=60))
    assert len(before) == 1
    assert first.stop() == 0  # SIGTERM: a clean stop
    # the changelog is compacted and deleted by age, so neither it nor a restore grows with the stream
    changelog_topic = f"{settings.app_id}-dedup-state-changelog"
    changelog = asyncio.run(topic_configs(bootstrap, changelog_topic))
    assert changelog["cleanup.policy"] == "compact,delete"
    assert int(changelog["retention.ms"]) == int(2 * settings.dedup_ttl_seconds * 1000)
    # the changelog carries the records alone, one for the new article (its text with its verdict and what
    # its story takes from it); the rest, its story too, is rebuilt from them
    logged = asyncio.run(read_all(bootstrap, [changelog_topic]))
    assert sorted(orjson.loads(r.key or b"null")[:2] for r in logged) == ["v:"]

    # a new worker with an empty local store: the dedup table comes back from its changelog
    env = {**worker_env, "STREAMS_DATA_DIR": str(tmp_path / "fresh-state")}
    second = start_worker(env, name="worker-2")
    second.wait_ready()
    asyncio.run(produce(bootstrap, settings.topics.raw, [(b"c", copy_of_wire(1), JSON)]))
    after = asyncio.run(read_until(bootstrap, list(settings.topics.outputs()), lambda rs: len(rs) >= 2, timeout=60))
    records = outputs(after, settings)
    copy = next(r for r in records if r["title"].startswith("Ministers meet, version"))
    routed = next(r for r in records if r["title"] == "Ministers meet")
    assert copy["dedup"]["duplicate"] is True, second.log_tail()
    assert copy["dedup"]["dup_of"] == routed["id"]

    # replay the original's raw message: it carries its first coordinates and gets its first verdict again
    async def replay() -> list[Record]:
        plan = await plan_replay(settings, settings.topics.raw, 0, None, settings.topics.raw, restart=True)
        plan.ranges = {p: (first, min(end, first + 1)) for p, (first, end) in plan.ranges.items() if p == 0}
        await run_replay(settings, plan)
        return await read_until(bootstrap, list(settings.topics.outputs()), lambda rs: len(rs) >= 3, timeout=60)

    replayed = outputs(asyncio.run(replay()), settings)
    again = [r for r in replayed if r["id"] == routed["id"]]
    assert len(again) == 2, second.log_tail()
    assert again[1]["dedup"] == again[0]["dedup"]
    assert again[1]["dedup"]["duplicate"] is False
    assert again[1]["origin"]["replayed"] is True


def test_two_workers_give_the_verdicts_of_one(
    bootstrap: str, worker_env: dict[str, str], start_worker, tmp_path: Path
) -> None:
    settings = Settings.from_env(worker_env)
    workers = [
        start_worker(name="worker-a"),
        start_worker(
            {
                **worker_env,
                "STREAMS_WEB_PORT": str(int(worker_env["STREAMS_WEB_PORT"]) + 1),
                "STREAMS_DATA_DIR": str(tmp_path / "state-b"),
            },
            name="worker-b",
        ),
    ]
    workers[0].port = int(worker_env["STREAMS_WEB_PORT"])
    workers[1].port = int(worker_env["STREAMS_WEB_PORT"]) + 1
    for worker in workers:
        worker.wait_ready()
    payloads = []
    for n in range(12):
        payloads.append(story(n))
        if n % 3 == 0:
            payloads.append(copy_of_wire(n))
    messages = [(f"k{i}".encode(), p, JSON) for i, p in enumerate(payloads)]
    asyncio.run(produce(bootstrap, settings.topics.raw, messages))
    got = outputs(
        asyncio.run(read_until(bootstrap, list(settings.topics.outputs()), lambda rs: len(rs) >= len(payloads), 90)),
        settings,
    )
    assert len(got) == len(payloads), [w.log_tail() for w in workers]
    # the reference: the same logic in one process, over news.articles in the order the dedup stage read it
    parsed = asyncio.run(read_until(bootstrap, [settings.topics.articles], lambda rs: len(rs) >= len(payloads), 30))
    assert len({r.partition for r in parsed}) == 1  # one partition holds every article, and so the index
    index = DedupIndex({})
    reference = {}
    for record in sorted(parsed, key=lambda r: r.offset):
        article = Article.loads(record.value)
        reference[article.id] = index.check(article).duplicate
    by_id = {r["id"]: r for r in got}
    assert {i: r["dedup"]["duplicate"] for i, r in by_id.items()} == reference
    # the work was split: each worker parsed messages from its own share of the raw partitions
    parsed_by_worker = [
        _metric(w.get("/metrics")[1], 'streams_received_messages_total{stage="parse"}') for w in workers
    ]
    assert all(n > 0 for n in parsed_by_worker), parsed_by_worker
    assert sum(parsed_by_worker) >= len(payloads)
    assert sum(reference.values()) == 3  # the first wire copy is the original; three later ones are copies


def test_the_worker_sweeps_the_state_past_its_time_to_live(
    bootstrap: str, worker_env: dict[str, str], start_worker
) -> None:
    """Articles fetched two days ago, then one fetched now, with a one-day time-to-live: the worker's sweep
    deletes and prunes exactly what the same logic in one process finds past the time-to-live."""
    env = {**worker_env, "STREAMS_DEDUP_TTL_DAYS": "1"}
    settings = Settings.from_env(env)
    worker = start_worker(env)
    worker.wait_ready()
    now = datetime.now(UTC)
    old = iso_utc(now - timedelta(days=2)).encode()
    messages = [(f"old{n}".encode(), story(n), [*JSON, ("fetched-at", old)]) for n in range(3)]
    messages.append((b"new", story(3), [*JSON, ("fetched-at", iso_utc(now).encode())]))
    asyncio.run(produce(bootstrap, settings.topics.raw, messages))
    parsed = asyncio.run(read_until(bootstrap, [settings.topics.articles], lambda rs: len(rs) >= 4, 60))
    # the reference: the same articles through the index in one process, then swept as of the newest
    state: dict[str, object] = {}
    index = DedupIndex(state, DedupConfig(ttl_seconds=settings.dedup_ttl_seconds))
    for record in sorted(parsed, key=lambda r: r.offset):
        index.check(Article.loads(record.value))
    assert index.clock is not None
    expected = index.sweep(list(state.items()), index.clock)
    assert expected["delete"] >= 3 * 4  # at least each old article's four records

    def swept() -> dict[str, float]:
        body = worker.get("/metrics")[1]
        return {a: _metric(body, f'streams_dedup_swept_entries_total{{action="{a}"}}') for a in ("delete", "prune")}

    # the dedup agent checks the articles after they reach the articles topic, then the sweep steps once a
    # second: in a whole test run that once took more than 30 s
    deadline = time.monotonic() + 90
    while (seen := swept())["delete"] < expected["delete"]:
        assert time.monotonic() < deadline, (seen, dict(expected), worker.log_tail())
        time.sleep(1.0)
    time.sleep(2.0)  # a few more steps: nothing more is swept
    assert swept() == {"delete": float(expected["delete"]), "prune": float(expected["prune"])}, worker.log_tail()


def _metric(body: bytes, name: str) -> float:
    for line in body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0

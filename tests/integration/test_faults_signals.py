"""Signals to a worker with work in hand: SIGTERM in the middle of a backlog, SIGKILL of the dedup table's holder.

What the checks rest on: every raw message here holds one article, and every article records the raw message
it came from (``origin``), so each stage's committed offsets can be compared record by record with what that
stage wrote: the parse stage's with ``news.articles``, dedup's with ``news.unique`` and ``news.duplicates``,
route's with the routed topics.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from pathlib import Path

import orjson

from streams.settings import Settings, Topics

from .conftest import WorkerProcess, free_port, wait_for
from .kafka_io import Record, committed_offsets, produce, produce_backlog, read_all, read_until
from .test_dedup_state import WIRE, copy_of_wire
from .test_faults import JSON, article_payload, by_id, ids_of

BACKLOG = 600


def routed_topics(topics: Topics) -> list[str]:
    """Where the route stage writes: every output but the duplicates (dedup's) and the dead letters."""
    return [t for t in topics.outputs() if t not in (topics.duplicates, topics.deadletter)]


def ids_in(records: list[Record], topics: list[str]) -> Counter[str]:
    return Counter(orjson.loads(r.value)["id"] for r in records if r.topic in topics)


def below(committed: dict[tuple[str, int], int], records: list[Record], topic: str) -> list[Record]:
    """The records of ``topic`` the group has committed (offset below its partition's committed offset)."""
    return [r for r in records if r.topic == topic and r.offset < committed.get((topic, r.partition), 0)]


def test_sigterm_in_a_backlog_commits_exactly_what_was_output(
    bootstrap: str, worker_env: dict[str, str], start_worker
) -> None:
    """SIGTERM while most of a backlog is unread: the worker drains what it holds and exits 0; at every stage
    the committed offsets cover exactly the inputs whose outputs are on the broker (none committed without its
    output, none output and left uncommitted), so the restarted worker outputs the rest and repeats nothing:
    each id exactly once on news.articles, on news.unique + news.duplicates, and on the routed topics."""
    env = {**worker_env, "STREAMS_COMMIT_INTERVAL": "600"}  # no periodic commit: only the stop commits
    settings = Settings.from_env(env)
    topics = settings.topics
    worker: WorkerProcess = start_worker(env)
    worker.wait_ready()
    payloads = [article_payload(3000 + n) for n in range(BACKLOG)]
    expected = ids_of(payloads)

    async def some_out() -> list[Record]:
        reader = asyncio.create_task(read_until(bootstrap, routed_topics(topics), lambda rs: len(rs) >= 10, 120))
        await produce_backlog(bootstrap, topics.raw, [(f"k{n}".encode(), p, JSON) for n, p in enumerate(payloads)])
        return await reader

    assert len(asyncio.run(some_out())) >= 10, worker.log_tail()
    # mid-backlog: outputs exist, and the group has committed none of the raw messages (its lag is above zero)
    before = asyncio.run(committed_offsets(bootstrap, settings.app_id))
    assert sum(before.get((topics.raw, p), 0) for p in range(settings.partitions)) == 0, before
    worker.proc.send_signal(signal.SIGTERM)
    assert worker.proc.wait(60) == 0, worker.log_tail()

    seen = asyncio.run(read_all(bootstrap, [topics.articles, topics.unique, topics.duplicates, *topics.outputs()]))
    committed = asyncio.run(committed_offsets(bootstrap, settings.app_id))
    routed = ids_in(seen, routed_topics(topics))
    assert len(routed) < BACKLOG, "the backlog was done before SIGTERM: make it larger"
    assert not [r for r in seen if r.topic == topics.deadletter]

    # parse: the raw messages committed are exactly those whose article is on news.articles, each once
    articles = [r for r in seen if r.topic == topics.articles]
    parsed = Counter(
        (orjson.loads(r.value)["origin"]["partition"], orjson.loads(r.value)["origin"]["offset"]) for r in articles
    )
    assert set(parsed.values()) == {1}, parsed.most_common(3)
    committed_raw = {(p, o) for p in range(settings.partitions) for o in range(committed.get((topics.raw, p), 0))}
    assert set(parsed) == committed_raw, (sorted(set(parsed) ^ committed_raw)[:10], committed)
    # dedup: the articles committed are exactly those with a verdict on news.unique or news.duplicates, each once
    verdicts = ids_in(seen, [topics.unique, topics.duplicates])
    assert set(verdicts.values()) == {1}, verdicts.most_common(3)
    assert set(verdicts) == set(ids_in(below(committed, seen, topics.articles), [topics.articles])), committed
    # route: the unique articles committed are exactly those on a routed topic, each once
    assert set(routed.values()) == {1}, routed.most_common(3)
    assert set(routed) == set(ids_in(below(committed, seen, topics.unique), [topics.unique])), committed

    # a restart outputs the rest, and nothing again
    again: WorkerProcess = start_worker(env, name="restarted")
    again.wait_ready()
    done = asyncio.run(
        read_until(bootstrap, routed_topics(topics), lambda rs: len(ids_in(rs, routed_topics(topics))) >= BACKLOG, 180)
    )
    assert set(ids_in(done, routed_topics(topics))) == expected, again.log_tail()
    final = asyncio.run(read_all(bootstrap, [topics.articles, topics.unique, topics.duplicates, *topics.outputs()]))
    for stage_topics in ([topics.articles], [topics.unique, topics.duplicates], routed_topics(topics)):
        counts = ids_in(final, stage_topics)
        assert set(counts) == expected, stage_topics
        assert set(counts.values()) == {1}, (stage_topics, counts.most_common(3))
    assert not [r for r in final if r.topic == topics.deadletter]


def test_dedup_table_recovers_from_its_changelog_after_sigkill(
    bootstrap: str, worker_env: dict[str, str], start_worker, tmp_path: Path
) -> None:
    """SIGKILL of the worker holding the dedup table, after it committed an article's verdict; a worker with an
    empty local store recovers the table from its changelog: copies of that article sent afterwards are
    duplicates of it, and the article itself is not processed again (the verdicts come from the changelog,
    not from a replay of its input)."""
    settings = Settings.from_env(worker_env)
    topics = settings.topics
    holder: WorkerProcess = start_worker(name="holder")
    holder.wait_ready()
    original = orjson.dumps({"title": "Ministers meet", "body": WIRE, "url": "https://wire.example/original"})
    others = [article_payload(5000 + n) for n in range(5)]
    raw = [original, *others]
    asyncio.run(produce(bootstrap, topics.raw, [(f"k{n}".encode(), p, JSON) for n, p in enumerate(raw)]))
    before = asyncio.run(read_until(bootstrap, list(topics.outputs()), lambda rs: len(by_id(rs, settings)) >= 6, 60))
    assert set(by_id(before, settings)) == ids_of(raw), holder.log_tail()
    (original_id,) = ids_of([original])
    assert [t for i, ts in by_id(before, settings).items() if i == original_id for t in ts] == [topics.other]

    def all_committed() -> bool:  # every stage's input committed: nothing of it would be processed again
        committed = asyncio.run(committed_offsets(bootstrap, settings.app_id))
        return (
            sum(committed.get((topics.raw, p), 0) for p in range(settings.partitions)) == 6
            and sum(committed.get((topics.articles, p), 0) for p in range(settings.partitions)) == 6
            and sum(committed.get((topics.unique, p), 0) for p in range(settings.partitions)) == 6
        )

    wait_for(all_committed, 30, "every stage to commit")
    holder.proc.send_signal(signal.SIGKILL)
    assert holder.proc.wait(10) == -signal.SIGKILL

    env = {**worker_env, "STREAMS_DATA_DIR": str(tmp_path / "empty-store"), "STREAMS_WEB_PORT": str(free_port())}
    recovered: WorkerProcess = start_worker(env, name="recovered")
    recovered.wait_ready()
    resent, edited = original, copy_of_wire(1)
    asyncio.run(produce(bootstrap, topics.raw, [(b"again", resent, JSON), (b"edited", edited, JSON)]))
    (edited_id,) = ids_of([edited])
    after = asyncio.run(
        read_until(bootstrap, [topics.duplicates, *routed_topics(topics)], lambda rs: len(rs) >= 8, 90, settle=1)
    )
    dups = {
        (d["id"], d["dedup"]["dup_of"], d["dedup"]["kind"])
        for d in map(orjson.loads, (r.value for r in after))
        if d["dedup"]["duplicate"]
    }
    assert dups == {(original_id, original_id, "url"), (edited_id, original_id, "near")}, recovered.log_tail()
    assert sorted(by_id(after, settings)[original_id]) == sorted([topics.other, topics.duplicates])  # once each
    assert by_id(after, settings)[edited_id] == [topics.duplicates]
    metrics = recovered.metrics()
    assert metrics['streams_received_messages_total{stage="dedup"}'] == 2
    assert metrics["streams_dedup_state_entries"] >= 1

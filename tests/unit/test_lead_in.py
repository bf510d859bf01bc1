"""A replay's lead-in (``replay --lead-in``): the parse agent passes the mark on, the dedup agent takes a marked
article into its state and publishes nothing for it, and an article of the range then finds it (its copy, its
story). A lead-in message that fails is left to the run of its own range: no dead letter from this one."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from prometheus_client import CollectorRegistry

from streams.devtools.bench.scaleout import LEAD_IN_SHARE, backlog_slices
from streams.errors import ConfigError
from streams.headers import (
    HEADER_CONTENT_TYPE,
    HEADER_REPLAY_LEAD_IN,
    HEADER_REPLAY_OFFSET,
    HEADER_REPLAY_PARTITION,
    HEADER_REPLAY_TOPIC,
)
from streams.runtime.acks import Acknowledger, DeliveryWindow
from streams.runtime.agents import Handlers, RulesInForce
from streams.runtime.deadletter import refused_output
from streams.runtime.metrics import build_metrics
from streams.settings import Settings, Topics
from streams.stages.dedup.index import DedupIndex
from streams.stages.routing import RulesWatcher
from streams.tools import replay
from streams.tools.replay import ReplayPlan, slice_bounds
from streams.tools.stories import parse_since

from .test_dedup import tagged
from .test_stories_topic import Event, FakeOutputs, Message, Stream, event_reports, settle

LEAD_IN = [(HEADER_REPLAY_LEAD_IN, b"1")]


@dataclass
class DeliveredOutputs:
    """Outputs whose deliveries are done at once (the parse agent waits for them)."""

    sent: list[tuple[str, bytes | None, bytes, Any]] = field(default_factory=list)

    async def send(self, name: str, key: bytes | None, value: bytes, headers: Any = None) -> asyncio.Future[Any]:
        delivery: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        delivery.set_result(None)
        self.sent.append((name, key, value, headers))
        return delivery


@dataclass
class DeadLetters:
    sent: list[tuple[str, BaseException]] = field(default_factory=list)

    async def send(self, stage: str, event: Any, error: BaseException) -> None:
        self.sent.append((stage, error))


def handlers_with(outputs: Any, dead_letters: DeadLetters) -> tuple[Handlers, Any]:
    metrics = build_metrics(CollectorRegistry())

    async def window_dead_letter(event: Any, error: BaseException) -> None:
        raise AssertionError(f"unexpected dead letter: {error}")

    window = DeliveryWindow(Acknowledger(), size=8, dead_letter=window_dead_letter, refused_output=refused_output)
    handlers = Handlers(
        metrics=metrics,
        topics=Topics(),
        outputs=outputs,
        dead_letters=dead_letters,  # type: ignore[arg-type]
        index=DedupIndex({}),
        rules=RulesInForce(RulesWatcher(None), metrics),
        window=window,
    )
    return handlers, metrics.registry


def lead_in(registry: Any, stage: str, outcome: str) -> float | None:
    return registry.get_sample_value("streams_lead_in_articles_total", {"stage": stage, "outcome": outcome})


@pytest.mark.asyncio
async def test_a_lead_in_article_is_learnt_unpublished_and_the_range_finds_its_copy_and_its_story() -> None:
    outputs, dead = FakeOutputs(), DeadLetters()
    handlers, registry = handlers_with(outputs, dead)
    stream = Stream()
    english, second, *_ = event_reports()
    assert await handlers.dedup(stream, Event(Message(english.dumps(), 1, LEAD_IN))) is True  # acknowledged now
    assert outputs.sent == []
    assert lead_in(registry, "dedup", "learnt") == 1
    copy = tagged(english.title, english.body, english.published, 9)  # the same text, in the range
    await handlers.dedup(stream, Event(Message(copy.dumps(), 2)))
    await handlers.dedup(stream, Event(Message(second.dumps(), 3)))
    topics = Topics()
    assert [(name, key) for name, key, _, _ in outputs.sent] == [
        (topics.duplicates, copy.id.encode()),
        (topics.unique, second.id.encode()),
        (topics.stories, english.id.encode()),  # the lead-in's story, which the second report joined
    ]
    duplicate = orjson.loads(outputs.sent[0][2])["dedup"]
    assert (duplicate["duplicate"], duplicate["dup_of"], duplicate["story"]) == (True, english.id, english.id)
    assert orjson.loads(outputs.sent[1][2])["dedup"]["story"] == english.id
    assert orjson.loads(outputs.sent[2][2])["reports"] == 2
    for _, _, _, delivery in outputs.sent:
        delivery.set_result(None)
    await settle()
    assert sorted(stream.acked) == [2, 3]  # and 1 by the agent's loop, as the handler returned True
    assert dead.sent == []


@pytest.mark.asyncio
async def test_a_lead_in_article_that_fails_is_skipped_without_a_dead_letter() -> None:
    outputs, dead = FakeOutputs(), DeadLetters()
    handlers, registry = handlers_with(outputs, dead)
    stream = Stream()
    assert await handlers.dedup(stream, Event(Message(b"not an article", 1, LEAD_IN))) is True
    assert (outputs.sent, dead.sent) == ([], [])
    assert (lead_in(registry, "dedup", "skipped"), lead_in(registry, "dedup", "learnt")) == (1, 0)
    # the same bytes in the range: a dead letter, as ever
    assert await handlers.dedup(stream, Event(Message(b"not an article", 2))) is True
    assert [stage for stage, _ in dead.sent] == ["dedup"]


@pytest.mark.asyncio
async def test_the_parse_agent_passes_the_mark_on_and_leaves_a_bad_lead_in_message_to_its_own_run() -> None:
    outputs, dead = DeliveredOutputs(), DeadLetters()
    handlers, registry = handlers_with(outputs, dead)
    stream = Stream()
    payload = orjson.dumps({"title": "Envoy meets minister", "body": "The envoy met the minister in Damascus."})
    json = (HEADER_CONTENT_TYPE, b"application/json")
    replayed = [(HEADER_REPLAY_TOPIC, b"news.raw"), (HEADER_REPLAY_PARTITION, b"0"), (HEADER_REPLAY_OFFSET, b"5")]
    raw = Message(payload, 5, [json, *replayed, *LEAD_IN], topic="bf.news.raw")
    assert await handlers.parse(stream, Event(raw)) is True
    assert len(outputs.sent) == 1
    name, key, _, headers = outputs.sent[0]
    assert (name, key) == (Topics().articles, b"dedup")
    assert (HEADER_REPLAY_LEAD_IN, b"1") in headers
    await handlers.parse(stream, Event(Message(payload, 6, [json], topic="news.raw")))
    assert HEADER_REPLAY_LEAD_IN not in dict(outputs.sent[1][3])  # not marked: published as ever
    bad = Message(b"{not json", 7, [json, *replayed, *LEAD_IN], topic="bf.news.raw")
    assert await handlers.parse(stream, Event(bad)) is True
    assert (len(outputs.sent), dead.sent) == (2, [])
    assert lead_in(registry, "parse", "skipped") == 1
    await handlers.parse(stream, Event(Message(b"{not json", 8, [json], topic="news.raw")))
    assert [stage for stage, _ in dead.sent] == ["parse"]
    # the mark on a message that was not replayed counts for nothing: published as ever
    await handlers.parse(stream, Event(Message(payload, 9, [json, *LEAD_IN], topic="news.raw")))
    assert HEADER_REPLAY_LEAD_IN not in dict(outputs.sent[2][3])


def test_a_plan_counts_each_partitions_lead_in_by_offset() -> None:
    plan = ReplayPlan("news.raw", "bf.news.raw", 0, None, {0: (10, 50), 1: (4, 4), 2: (7, 9)}, starts={0: 30, 2: 12})
    assert [plan.lead_in(p) for p in (0, 1, 2)] == [20, 0, 2]  # partition 2: the whole range is lead-in
    assert ReplayPlan("t", "u", 0, None, {0: (3, 8)}).lead_in(0) == 0  # no lead-in asked


def test_the_lead_in_option_reads_a_duration_and_names_itself_in_its_error() -> None:
    assert parse_since("7d", "--lead-in") == 7 * 86400
    with pytest.raises(ConfigError, match="--lead-in"):
        parse_since("a week", "--lead-in")


def test_a_range_is_cut_into_slices_of_equal_time_each_ending_where_the_next_starts() -> None:
    assert slice_bounds(0, 10_000, 3) == [(0, 3_000), (3_000, 6_000), (6_000, 10_000)]  # cut on whole seconds
    assert slice_bounds(1_500, 9_250, 2) == [(1_500, 5_000), (5_000, 9_250)]  # the ends as given
    assert slice_bounds(100, 101, 1) == [(100, 101)]
    for start, end in ((5, 5), (7, 3)):
        with pytest.raises(ConfigError, match="cannot cut"):
            slice_bounds(start, end, 2)
    with pytest.raises(ConfigError, match="0 slices"):
        slice_bounds(0, 10, 0)


def test_the_scaleout_bench_cuts_its_backlog_into_slices_after_a_lead_in_each() -> None:
    messages = [(str(i).encode(), b"{}", "application/json") for i in range(40)]
    first, second = backlog_slices(messages, 2)
    assert (first[1], [int(m[0]) for m in first[0]]) == (0, list(range(20)))
    lead = round(LEAD_IN_SHARE * 20)
    assert second[1] == lead
    assert [int(m[0]) for m in second[0]] == list(range(20 - lead, 40))  # the end of the first slice, then its own


class FakeConsumer:
    """A consumer over partitions given as lists of message timestamps: offsets by time, as the broker's."""

    def __init__(self, partitions: dict[int, list[int]]) -> None:
        self.partitions = partitions

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def end_offsets(self, tps: list[Any]) -> dict[Any, int]:
        return {tp: len(self.partitions[tp.partition]) for tp in tps}

    async def offsets_for_times(self, times: dict[Any, int]) -> dict[Any, Any]:
        found = {}
        for tp, when in times.items():
            stamps = self.partitions[tp.partition]
            offset = next((o for o, stamp in enumerate(stamps) if stamp >= when), None)
            found[tp] = None if offset is None else SimpleNamespace(offset=offset, timestamp=stamps[offset])
        return found


def planned(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, partitions: dict[int, list[int]], **kwargs: Any) -> Any:
    async def topic_partitions(settings: Any, topic: str) -> list[int]:
        return sorted(partitions)

    monkeypatch.setattr(replay, "topic_partitions", topic_partitions)
    monkeypatch.setattr(replay, "make_consumer", lambda *args, **options: FakeConsumer(partitions))
    settings = Settings.from_env({}, data_dir=tmp_path)
    return asyncio.run(replay.plan_replay(settings, "news.raw", target="bf.news.raw", **kwargs))


def test_a_plan_finds_each_partitions_lead_in_and_range(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    partitions = {0: [10, 20, 30, 40], 1: [15, 25, 35], 2: [5]}
    plan = planned(monkeypatch, tmp_path, partitions, start_ms=30, end_ms=None, lead_in_ms=15)
    assert plan.ranges == {0: (1, 4), 1: (0, 3), 2: (1, 1)}
    assert plan.starts == {0: 2, 1: 2, 2: 1}
    assert [plan.lead_in(p) for p in (0, 1, 2)] == [1, 2, 0]
    closed = planned(monkeypatch, tmp_path, partitions, start_ms=20, end_ms=35, lead_in_ms=10)
    assert (closed.ranges, closed.starts) == ({0: (0, 3), 1: (0, 2), 2: (1, 1)}, {0: 1, 1: 1, 2: 1})
    none = planned(monkeypatch, tmp_path, partitions, start_ms=30, end_ms=None)
    assert [none.lead_in(p) for p in (0, 1, 2)] == [0, 0, 0]


def test_a_checkpoint_from_before_lead_ins_resumes_with_none(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # an open-ended run begun when partition 0 ended at offset 2 (nothing at or after its start then)
    first = planned(monkeypatch, tmp_path, {0: [10, 20]}, start_ms=30, end_ms=None)
    assert first.checkpoint is not None
    first.checkpoint.parent.mkdir(parents=True, exist_ok=True)
    old = {"topic": "news.raw", "target": "bf.news.raw", "ranges": {"0": [2, 2]}, "done": {"0": 2}}
    first.checkpoint.write_bytes(orjson.dumps(old))  # as written before lead-ins: no "starts"
    # later, messages stamped before the start arrive: they are the range's (after its first offset), unmarked
    resumed = planned(monkeypatch, tmp_path, {0: [10, 20, 12, 14]}, start_ms=30, end_ms=None)
    assert (resumed.ranges, resumed.starts, resumed.lead_in(0), resumed.remaining(0)) == ({0: (2, 4)}, {0: 2}, 0, 2)

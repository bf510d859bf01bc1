"""The stories topic: what the dedup stage records per story, the summary the dedup agent sends (and waits
for before acknowledging the article), and the ``stories`` command's reading, filtering and table."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from prometheus_client import CollectorRegistry
from rich.console import Console

from streams.devtools.demo import stories_view
from streams.errors import ConfigError
from streams.runtime.acks import Acknowledger, DeliveryWindow
from streams.runtime.agents import Handlers, RulesInForce
from streams.runtime.deadletter import refused_output
from streams.runtime.metrics import STORY_EVENTS as METRIC_EVENTS
from streams.runtime.metrics import Metrics, build_metrics
from streams.settings import Topics
from streams.stages.dedup.index import DedupIndex
from streams.stages.dedup.storystep import STORY_EVENTS
from streams.stages.dedup.summary import story_summary
from streams.stages.record import Article
from streams.stages.routing import RulesWatcher
from streams.tools.stories import latest_stories, parse_since, select_stories, stories_table

from .test_dedup import tagged


def event_reports() -> tuple[Article, Article, Article, Article]:
    """Two English reports and an Arabic one of one meeting, and an unrelated report."""
    english = tagged(
        "Pedersen and Shaibani discuss the constitutional committee in Damascus",
        "UN envoy Geir Pedersen met Syrian foreign minister Asaad al-Shaibani in Damascus on Sunday; they "
        "discussed the Constitutional Committee and the return of refugees from Lebanon.",
        "2026-11-22T08:00:00.000Z",
        1,
    )
    second = tagged(
        "UN envoy holds talks with Syrian foreign minister",
        "Geir Pedersen and Asaad al-Shaibani talked for two hours in Damascus, a ministry statement said, "
        "and agreed that the constitutional committee should meet again soon.",
        "2026-11-22T15:00:00.000Z",
        2,
    )
    arabic = tagged(
        "الشيباني يستقبل بيدرسن في دمشق",
        "استقبل وزير الخارجية السوري أسعد الشيباني المبعوث الأممي غير بيدرسن في دمشق، وبحث الجانبان عمل "
        "اللجنة الدستورية وعودة اللاجئين.",
        "2026-11-22T11:00:00.000Z",
        3,
        lang="ar",
    )
    other = tagged(
        "Kiribati fishing fleet returns",
        "The fishing fleet of Kiribati came back to Tarawa with a record catch of tuna, officials said.",
        "2026-11-22T12:00:00.000Z",
        4,
    )
    english.source.domain, second.source.domain, arabic.source.domain = "a.example", "b.example", "c.example"
    return english, second, arabic, other


def test_reports_start_and_join_stories_and_the_record_sums_them_up() -> None:
    index = DedupIndex({})
    english, second, arabic, other = event_reports()
    routes = ("syria_diplomacy", "syria_diplomacy", "syria_other", "other")
    events = []
    for report, route in zip((english, second, arabic, other), routes, strict=True):
        verdict = index.check(report, route=route)
        events.append((verdict.story, index.joined))
    assert events == [
        (english.id, "started"),
        (english.id, "joined"),
        (english.id, "cross_language"),
        (other.id, "started"),
    ]
    record = index.story_record(english.id)
    assert record is not None
    summary = story_summary(english.id, record)
    assert summary["story"] == english.id
    assert summary["headline"] == english.title
    assert summary["reports"] == 3
    assert summary["languages"] == {"en": 2, "ar": 1}
    assert summary["outlets"] == ["a.example", "b.example", "c.example"]
    assert summary["routes"] == {"syria_diplomacy": 2, "syria_other": 1}
    assert [m["id"] for m in summary["members"]] == [english.id, second.id, arabic.id]
    assert summary["first_seen"] == summary["last_seen"] == "2026-11-20T10:00:00Z"  # the fetch times
    assert (summary["first_published"], summary["last_published"]) == ("2026-11-22T08:00:00Z", "2026-11-22T15:00:00Z")
    alone = story_summary(other.id, index.story_record(other.id) or {})
    assert (alone["reports"], alone["languages"], alone["routes"]) == (1, {"en": 1}, {"other": 1})
    assert set(STORY_EVENTS) == set(METRIC_EVENTS)


def test_a_copy_or_a_redelivery_changes_no_story() -> None:
    index = DedupIndex({})
    english, *_ = event_reports()
    index.check(english, route="syria_diplomacy")
    before = index.story_record(english.id)
    copy = tagged(english.title, english.body, english.published, 9)  # the same text from another message
    verdict = index.check(copy, route="syria_diplomacy")
    assert (verdict.duplicate, verdict.story, index.joined) == (True, english.id, None)
    redelivered = index.check(english, route="syria_diplomacy")  # the same message again
    assert (redelivered.duplicate, redelivered.story, index.joined) == (False, english.id, None)
    assert index.story_record(english.id) == before


# ------------------------------------------------------------------------------------------ the dedup agent


@dataclass
class Message:
    value: bytes
    offset: int
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    topic: str = "news.articles"
    partition: int = 0
    key: bytes = b"dedup"


@dataclass
class Event:
    message: Message


@dataclass
class Stream:
    acked: list[int] = field(default_factory=list)

    async def events(self) -> Any:  # pragma: no cover - the handler is called directly
        yield None

    async def ack(self, event: Any) -> bool:
        self.acked.append(event.message.offset)
        return True


@dataclass
class FakeOutputs:
    sent: list[tuple[str, bytes | None, bytes, asyncio.Future[Any]]] = field(default_factory=list)

    async def send(self, name: str, key: bytes | None, value: bytes, headers: Any = None) -> asyncio.Future[Any]:
        delivery: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.sent.append((name, key, value, delivery))
        return delivery


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


def dedup_handlers() -> tuple[Handlers, Metrics, Topics, FakeOutputs]:
    """The agents' handlers over a fresh dedup index, outputs kept in memory, no dead letter expected."""
    metrics = build_metrics(CollectorRegistry())
    topics = Topics()
    outputs = FakeOutputs()

    async def no_dead_letters(event: Any, error: BaseException) -> None:
        raise AssertionError(f"unexpected dead letter: {error}")

    window = DeliveryWindow(Acknowledger(), size=8, dead_letter=no_dead_letters, refused_output=refused_output)
    handlers = Handlers(
        metrics=metrics,
        topics=topics,
        outputs=outputs,  # type: ignore[arg-type]
        dead_letters=None,  # type: ignore[arg-type]
        index=DedupIndex({}),
        rules=RulesInForce(RulesWatcher(None), metrics),
        window=window,
    )
    return handlers, metrics, topics, outputs


@pytest.mark.asyncio
async def test_the_dedup_agent_sends_the_summary_and_acknowledges_once_both_are_delivered() -> None:
    handlers, metrics, topics, outputs = dedup_handlers()
    stream = Stream()
    english, second, *_ = event_reports()
    assert await handlers.dedup(stream, Event(Message(english.dumps(), 1))) is False
    cpu = {stage: metrics.stage_cpu_seconds.labels(stage=stage)._value.get() for stage in ("parse", "dedup", "route")}
    assert cpu["dedup"] > 0  # the check's CPU time, counted as dedup's
    assert cpu["parse"] == cpu["route"] == 0
    assert [(name, key) for name, key, _, _ in outputs.sent] == [
        (topics.unique, english.id.encode()),
        (topics.stories, english.id.encode()),
    ]
    summary = orjson.loads(outputs.sent[1][2])
    assert (summary["story"], summary["reports"], summary["languages"]) == (english.id, 1, {"en": 1})
    assert sum(summary["routes"].values()) == 1  # the route it takes under the shipped rules
    outputs.sent[0][3].set_result(None)
    await settle()
    assert stream.acked == []  # the summary is not delivered yet
    outputs.sent[1][3].set_result(None)
    await settle()
    assert stream.acked == [1]

    await handlers.dedup(stream, Event(Message(second.dumps(), 2)))
    assert orjson.loads(outputs.sent[3][2])["reports"] == 2
    # a copy: only its duplicate record, no summary
    copy = tagged(english.title, english.body, english.published, 9)
    await handlers.dedup(stream, Event(Message(copy.dumps(), 3)))
    assert [name for name, *_ in outputs.sent[4:]] == [topics.duplicates]
    registry = metrics.registry
    assert registry.get_sample_value("streams_story_events_total", {"event": "started"}) == 1
    assert registry.get_sample_value("streams_story_events_total", {"event": "joined"}) == 1
    assert registry.get_sample_value("streams_story_events_total", {"event": "cross_language"}) == 0
    assert registry.get_sample_value("streams_story_size_reports_count") == 2
    assert registry.get_sample_value("streams_story_size_reports_sum") == 3


@pytest.mark.asyncio
async def test_the_dedup_agent_points_a_merged_storys_summary_to_the_story_that_took_it() -> None:
    from .test_story_merges import reports

    handlers, metrics, topics, outputs = dedup_handlers()
    stream = Stream()
    first, middle, last = reports()
    for offset, report in enumerate((first, last, middle)):
        await handlers.dedup(stream, Event(Message(report.dumps(), offset)))
    sent = [(name, key, orjson.loads(value)) for name, key, value, _ in outputs.sent[4:]]
    assert [(name, key) for name, key, _ in sent] == [
        (topics.unique, middle.id.encode()),
        (topics.stories, first.id.encode()),
        (topics.stories, last.id.encode()),
    ]
    assert (sent[1][2]["story"], sent[1][2]["reports"]) == (first.id, 3)
    assert (sent[2][2]["story"], sent[2][2]["merged_into"]) == (last.id, first.id)
    for _, _, _, future in outputs.sent:
        future.set_result(None)
    await settle()
    assert stream.acked == [0, 1, 2]
    registry = metrics.registry
    assert registry.get_sample_value("streams_story_events_total", {"event": "merged"}) == 1
    assert registry.get_sample_value("streams_story_events_total", {"event": "started"}) == 2
    assert registry.get_sample_value("streams_story_events_total", {"event": "joined"}) == 1


# ------------------------------------------------------------------------------------------ the command

NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z


def fake_summary(story: str, reports: int, hours_ago: float, routes: dict[str, int]) -> bytes:
    from streams.stages.dedup.summary import iso_time

    return orjson.dumps(
        {
            "story": story,
            "headline": f"Headline of {story}",
            "reports": reports,
            "languages": {"en": reports - 1, "ar": 1} if reports > 1 else {"en": 1},
            "outlets": [f"o{n}.example" for n in range(reports)],
            "first_seen": iso_time(NOW - hours_ago * 3600 - 600),
            "last_seen": iso_time(NOW - hours_ago * 3600),
            "routes": routes,
            "members": [],
        }
    )


def test_the_latest_summary_per_story_wins_and_an_empty_value_removes_it() -> None:
    records = [
        (b"s1", fake_summary("s1", 1, 1, {"syria_diplomacy": 1})),
        (b"s2", fake_summary("s2", 1, 2, {"other": 1})),
        (b"s1", fake_summary("s1", 3, 1, {"syria_diplomacy": 3})),
        (b"s3", fake_summary("s3", 2, 1, {"other": 2})),
        (b"s3", None),
        (b"s4", b"not json"),
        (None, fake_summary("s5", 1, 1, {})),
    ]
    stories = latest_stories(records)
    assert sorted(stories) == ["s1", "s2"]
    assert stories["s1"]["reports"] == 3


def test_stories_are_filtered_by_last_seen_and_route_most_reported_first() -> None:
    stories = latest_stories(
        [
            (b"old", fake_summary("old", 9, 30, {"syria_diplomacy": 9})),
            (b"big", fake_summary("big", 14, 2, {"syria_diplomacy": 10, "syria_other": 4})),
            (b"small", fake_summary("small", 2, 1, {"syria_diplomacy": 2})),
            (b"local", fake_summary("local", 5, 1, {"other": 5})),
        ]
    )

    def ids(**options: Any) -> list[str]:
        return [s["story"] for s in select_stories(stories, now=NOW, **options)]

    assert ids() == ["big", "old", "local", "small"]
    assert ids(since_seconds=parse_since("6h")) == ["big", "local", "small"]
    assert ids(since_seconds=parse_since("6h"), route="syria_diplomacy") == ["big", "small"]
    assert ids(route="syria_other") == ["big"]
    assert ids(route="syria_diplomacy", limit=2) == ["big", "old"]


def test_the_table_shows_headline_reports_languages_outlets_and_times() -> None:
    stories = latest_stories([(b"big", fake_summary("big", 8, 2, {"syria_diplomacy": 8}))])
    console = Console(record=True, width=240, color_system=None)
    console.print(stories_table(select_stories(stories, now=NOW), "stories"))
    text = console.export_text()
    row = next(line for line in text.splitlines() if "Headline of big" in line)
    assert " 8 " in row
    assert "en 7, ar 1" in row
    assert "8: o0.example, o1.example, o2.example, o3.example, o4.example, o5.example +2" in row
    assert "2027-01-15 05:50" in row  # first seen, UTC
    assert "2027-01-15 06:00" in row  # last seen


def test_the_demo_shows_the_stories_of_more_than_one_report_and_counts_the_others() -> None:
    stories = latest_stories(
        [
            (b"single", fake_summary("single", 1, 1, {"other": 1})),
            (b"pair", fake_summary("pair", 2, 1, {"syria_diplomacy": 2})),
            (b"trio", fake_summary("trio", 3, 2, {"syria_diplomacy": 3})),
            (b"lone", fake_summary("lone", 1, 3, {"syria_other": 1})),
        ]
    )
    console = Console(record=True, width=240, color_system=None)
    console.print(stories_view(stories))
    text = console.export_text()
    assert "2 with more than one report, 2 with one" in text
    shown = [line for line in text.splitlines() if "Headline of" in line]
    assert [line.split("Headline of ")[1].split()[0] for line in shown] == ["trio", "pair"]  # most reported first
    assert "en 2, ar 1" in shown[0]


@pytest.mark.parametrize(("text", "seconds"), [("6h", 21600), ("90m", 5400), ("2d", 172800), ("45s", 45), ("3", 10800)])
def test_since_takes_seconds_minutes_hours_and_days(text: str, seconds: float) -> None:
    assert parse_since(text) == seconds


def test_since_refuses_what_it_cannot_read() -> None:
    with pytest.raises(ConfigError):
        parse_since("yesterday")


def test_the_stories_topic_is_created_compacted_with_the_pipelines_partitions() -> None:
    from streams.runtime.kafka import _new_topic
    from streams.settings import Settings

    settings = Settings.from_env({"STREAMS_TOPIC_STORIES": "desk.stories"}, partitions=3)
    topic = _new_topic(settings, "desk.stories")
    assert (topic.name, topic.num_partitions, topic.topic_configs) == ("desk.stories", 3, {"cleanup.policy": "compact"})
    assert _new_topic(settings, settings.topics.unique).topic_configs == {}

"""The stories topic on the real broker: three reports of one meeting (two languages) and an unrelated article
through a worker give one story of three reports and one of its own, and the ``stories`` command prints them.
The first report's worker stops before the others arrive: a worker with an empty local store rebuilds the
story from the dedup changelog's records, and the later reports join it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
from rich.console import Console

from streams.settings import Settings
from streams.stages.parsing import parse_payload
from streams.stages.pipeline import meta_from_headers
from streams.tools.stories import latest_stories, run_stories

from .kafka_io import Record, produce, read_until

JSON = [("content-type", b"application/json")]
MEETING = [
    {
        "title": "Pedersen and Shaibani discuss the constitutional committee in Damascus",
        "body": "UN envoy Geir Pedersen met Syrian foreign minister Asaad al-Shaibani in Damascus on Sunday; they "
        "discussed the Constitutional Committee and the return of refugees from Lebanon.",
        "url": "https://a.example/pedersen-shaibani",
        "publishedAt": "2026-11-22T08:00:00Z",
    },
    {
        "title": "UN envoy holds talks with Syrian foreign minister",
        "body": "Geir Pedersen and Asaad al-Shaibani talked for two hours in Damascus, a ministry statement said, "
        "and agreed that the constitutional committee should meet again soon.",
        "url": "https://b.example/un-envoy-talks",
        "publishedAt": "2026-11-22T15:00:00Z",
    },
    {
        "title": "الشيباني يستقبل بيدرسن في دمشق",
        "body": "استقبل وزير الخارجية السوري أسعد الشيباني المبعوث الأممي غير بيدرسن في دمشق، وبحث الجانبان عمل "
        "اللجنة الدستورية وعودة اللاجئين.",
        "url": "https://c.example/shaibani-pedersen",
        "publishedAt": "2026-11-22T11:00:00Z",
    },
]
UNRELATED = {
    "title": "Kiribati fishing fleet returns",
    "body": "The fishing fleet of Kiribati came back to Tarawa with a record catch of tuna, officials said.",
    "url": "https://d.example/kiribati-fleet",
    "publishedAt": "2026-11-22T12:00:00Z",
}


def _id(payload: dict[str, str]) -> str:
    return parse_payload(orjson.dumps(payload), meta_from_headers(dict(JSON), b"s"))[0].id


def test_stories_topic_holds_the_story_of_three_reports_and_the_command_prints_it(
    bootstrap: str, worker_env: dict[str, str], start_worker, tmp_path: Path
) -> None:
    settings = Settings.from_env(worker_env)
    first = start_worker()
    first.wait_ready()
    meeting_ids = {_id(p) for p in MEETING}
    unrelated_id = _id(UNRELATED)

    def stories_of(records: list[Record]) -> dict[str, dict]:
        return latest_stories((r.key, r.value) for r in records)

    asyncio.run(
        produce(bootstrap, settings.topics.raw, [(b"s", orjson.dumps(p), JSON) for p in (MEETING[0], UNRELATED)])
    )
    started = asyncio.run(
        read_until(bootstrap, [settings.topics.stories], lambda rs: len(stories_of(rs)) == 2, timeout=120)
    )
    assert sorted(stories_of(started)) == sorted([_id(MEETING[0]), unrelated_id]), first.log_tail()
    assert first.stop() == 0
    worker = start_worker({**worker_env, "STREAMS_DATA_DIR": str(tmp_path / "fresh-state")}, name="worker-2")
    worker.wait_ready()
    asyncio.run(produce(bootstrap, settings.topics.raw, [(b"s", orjson.dumps(p), JSON) for p in MEETING[1:]]))

    def complete(records: list[Record]) -> bool:
        stories = stories_of(records)
        return unrelated_id in stories and any(s["reports"] == 3 for s in stories.values())

    records = asyncio.run(read_until(bootstrap, [settings.topics.stories], complete, timeout=120, settle=2))
    assert complete(records), worker.log_tail()
    stories = stories_of(records)
    assert sorted(stories) == sorted([unrelated_id, next(s for s, v in stories.items() if v["reports"] == 3)])
    (meeting,) = (v for v in stories.values() if v["reports"] == 3)
    assert meeting["story"] in meeting_ids  # a story is named after its first report
    assert {m["id"] for m in meeting["members"]} == meeting_ids
    assert meeting["languages"] == {"en": 2, "ar": 1}
    assert sorted(meeting["outlets"]) == ["a.example", "b.example", "c.example"]
    assert meeting["routes"] == {"syria_diplomacy": 3}
    assert (meeting["first_published"], meeting["last_published"]) == ("2026-11-22T08:00:00Z", "2026-11-22T15:00:00Z")
    alone = stories[unrelated_id]
    assert (alone["reports"], alone["languages"], alone["routes"]) == (1, {"en": 1}, {"other": 1})
    assert [m["id"] for m in alone["members"]] == [unrelated_id]
    # every summary is keyed by its story id, on a compacted topic
    assert all(r.key == orjson.loads(r.value)["story"].encode() for r in records)

    # the command: both stories within the last hour, the meeting alone on the diplomacy route
    console = Console(record=True, width=240, color_system=None)
    rows = asyncio.run(run_stories(settings, since="1h", console=console))
    assert [r["story"] for r in rows] == [meeting["story"], unrelated_id]
    text = console.export_text()
    headline = next(p["title"] for p in MEETING if _id(p) == meeting["story"])  # its first report's
    assert meeting["headline"] == headline
    assert headline in text
    assert UNRELATED["title"] in text
    assert "en 2, ar 1" in text
    rows = asyncio.run(run_stories(settings, since="6h", route="syria_diplomacy", console=Console(record=True)))
    assert [r["story"] for r in rows] == [meeting["story"]]
    assert asyncio.run(run_stories(settings, route="syria_other", console=Console(record=True))) == []

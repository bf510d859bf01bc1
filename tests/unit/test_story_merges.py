"""Stories merged: two stories of one event that a report matches, and that match each other, become one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from streams.stages.dedup.index import DedupConfig, DedupIndex
from streams.stages.dedup.stories import story_similarity
from streams.stages.dedup.storystep import followed
from streams.stages.dedup.summary import merged_summary
from streams.stages.record import Article
from streams.tools.stories import select_stories

from .test_dedup import tagged

# one event, reported on three days: the first and the last report are too far apart in time for either to
# join the other's story; the middle one is within a day and a half of both
TALKS = (
    "The foreign ministers of Kiribati and Tuvalu opened talks in Tarawa on fishing licences, a new undersea "
    "cable and ferries, officials said on Friday.",
    "Licences for tuna fleets, ferries and a cable under the sea were on the table as Tuvalu's minister met "
    "his Kiribati counterpart for a second day in Tarawa.",
    "A deal on tuna licences and the cable closed the Tarawa meeting of Kiribati and Tuvalu ministers; the "
    "ferries will be settled by officials later.",
)
DAYS = ("2026-11-20T08:00:00.000Z", "2026-11-21T20:00:00.000Z", "2026-11-23T08:00:00.000Z")


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def reports() -> list[Article]:
    return [tagged(f"Kiribati and Tuvalu ministers in Tarawa ({n})", text, DAYS[n], n) for n, text in enumerate(TALKS)]


def test_a_report_between_two_stories_of_one_event_merges_them_into_the_first() -> None:
    first, middle, last = reports()
    records: dict[str, Any] = {}
    derived: dict[str, Any] = {}
    index = DedupIndex(records, index=derived)
    assert index.check(first).story == first.id
    assert index.check(last).story == last.id  # three days on: too far from the first report to join it
    assert index.merged == ()
    verdict = index.check(middle)
    assert (verdict.duplicate, verdict.story) == (False, first.id)  # the story that started first stays
    assert index.merged == (last.id,)
    assert index.joined == "joined"
    story = derived[f"k:{first.id}"]
    assert (story["n"], story["L"], story["i"]) == (3, {"en": 3}, [first.id, middle.id, last.id])
    assert (story["f"], story["l"]) == (epoch(DAYS[0]), epoch(DAYS[2]))  # the first and the last report's times
    assert derived[f"k:{last.id}"] == {"into": first.id, "t": story["t"]}
    assert index.story_record(last.id) is None  # a mark, not a story
    assert records[f"v:{middle.id}"]["j"] == [last.id]  # the record that merged it says so, for a restore

    # what follows finds the story that holds the reports: a copy of the last report, the last report again
    copy = tagged(last.title, last.body, last.published, 9)
    assert index.check(copy).story == first.id
    again = tagged(last.title, last.body, last.published, 2)
    assert index.check(again).story == first.id
    assert index.merged == ()

    # a restore merges them again, in their place among the records
    rebuilt: dict[str, Any] = {}
    restored = DedupIndex(dict(records), index=rebuilt)
    for key, value in records.items():
        restored.reindex(key, value)
    for key in (f"k:{first.id}", f"k:{last.id}"):
        assert rebuilt[key] == derived[key]
    for key, value in records.items():  # and again over the restored store: nothing changes
        restored.reindex(key, value)
    assert rebuilt[f"k:{first.id}"] == derived[f"k:{first.id}"]


def test_the_middle_report_delivered_again_names_the_story_it_merged_again() -> None:
    """Its outputs were not all delivered: delivered again, it gives the agent the merged story once more."""
    first, middle, last = reports()
    index = DedupIndex({})
    for article in (first, last, middle):
        index.check(article)
    assert index.check(tagged(middle.title, middle.body, middle.published, 1)).story == first.id
    assert index.merged == (last.id,)


def test_without_merges_the_two_stories_stay_apart() -> None:
    first, middle, last = reports()
    index = DedupIndex({}, DedupConfig(merge_stories=False))
    assert [index.check(a).story for a in (first, last, middle)] == [first.id, last.id, first.id]
    assert index.merged == ()


def test_stories_that_do_not_match_each_other_are_not_merged() -> None:
    """A report that matches two stories is not enough: the stories must match each other as a report would."""
    first, _, last = reports()
    apart = DedupConfig(same_threshold=0.26)
    index = DedupIndex({}, apart)
    index.check(first)
    index.check(last)
    one, other = index.story_record(first.id), index.story_record(last.id)
    assert one is not None
    assert other is not None
    score, cross = story_similarity(one, other, apart.shared_weight, apart.min_words)
    assert not cross
    assert score >= apart.same_threshold
    stricter = DedupConfig(same_threshold=round(score + 0.01, 4))
    first, middle, last = reports()
    index = DedupIndex({}, stricter)
    stories = [index.check(a).story for a in (first, last)]
    assert stories == [first.id, last.id]
    index.check(middle)
    assert index.merged == ()  # whatever the middle report joined, the two stories do not match each other


def test_story_similarity_follows_the_rules_of_joining() -> None:
    a = {"w": {"en": {"x": 1.0, "y": 1.0}}, "wn": {"en": 2**0.5}, "e": {"@1": 1.0}, "en": 1.0}
    b = {"w": {"en": {"x": 1.0}}, "wn": {"en": 1.0}, "e": {"@1": 1.0, "@2": 1.0}, "en": 2**0.5}
    c = {"w": {"ar": {"z": 1.0}}, "wn": {"ar": 1.0}, "e": {"@1": 1.0}, "en": 1.0}
    score, cross = story_similarity(a, b, 0.4, 0.15)
    assert not cross
    assert abs(score - (0.6 * 2**-0.5 + 0.4 * 2**-0.5)) < 1e-9
    assert story_similarity(a, c, 0.4, 0.15) == (1.0, True)  # no common language: shared features alone
    assert story_similarity(a, b, 0.4, 0.9)[0] == 0.0  # the words under min_words: no match


def test_the_stories_topic_points_a_merged_story_to_its_story() -> None:
    summary = merged_summary("b", "a", 1_796_000_000.0)
    assert summary == {"story": "b", "merged_into": "a", "last_seen": "2026-11-30T00:53:20Z"}
    live = {"story": "a", "reports": 3, "last_seen": "2026-11-30T00:53:20Z", "routes": {}}
    assert select_stories({"a": live, "b": summary}, now=1_796_000_000.0) == [live]
    assert followed({"b": "a", "c": "b"}, "c") == "a"
    assert followed({"b": "c", "c": "b"}, "b") == "c"  # a cycle (no merge makes one) ends

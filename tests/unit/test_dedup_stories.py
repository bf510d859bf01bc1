"""The story step: rewritten copies, time windows, busy topics, and word counts rebuilt from the records."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import orjson
import pytest

from streams.stages.dedup import state
from streams.stages.dedup.features import bags, stem
from streams.stages.dedup.index import DedupConfig, DedupIndex
from streams.stages.dedup.state import GENERATION_KEY
from streams.stages.record import Article

from .test_dedup import tagged

WIRE = (
    "The foreign ministers of Kiribati and Tuvalu met on Tuesday in Tarawa to discuss fishing licences, a "
    "new undersea cable and the shipping route between the two capitals, according to a joint statement "
    "issued after the talks. Both sides agreed to form a technical committee that will meet every month and "
    "report to the ministers, and to restore direct flights before the end of the year. The statement said "
    "the talks were held in a positive atmosphere and that the next round would take place in Funafuti early "
    "next year, after the two governments have approved the cable agreement in their parliaments."
)
REWORDED = (
    "Kiribati's and Tuvalu's foreign ministers held talks in Tarawa on Tuesday about fishing licences, a new "
    "undersea cable and the shipping route linking the two capitals, a joint statement said after the "
    "meeting. The two sides agreed to set up a technical committee to meet monthly and report to the "
    "ministers, and to bring back direct flights by the end of the year. The talks were held in a positive "
    "atmosphere, the statement said, adding that the next round would be in Funafuti early next year once "
    "both parliaments have approved the cable agreement."
)
DAY = "2026-11-20T{}:00:00.000Z"


def _stream(index: DedupIndex, articles: list[Article]) -> list[str]:
    return [index.check(a).story for a in articles]


def test_a_rewritten_wire_copy_is_a_duplicate_and_a_separate_report_is_not() -> None:
    index = DedupIndex({})
    first = tagged("Kiribati and Tuvalu agree on cable", WIRE, DAY.format("08"), 1)
    copy = tagged("Ministers of Kiribati and Tuvalu hold talks", REWORDED, DAY.format("10"), 2)
    own = tagged(
        "Tuvalu opposition criticises cable deal",
        "Opposition members in Funafuti said on Tuesday that the undersea cable agreement discussed in Tarawa "
        "gives too much to foreign contractors and demanded a debate in parliament before any vote. They "
        "said fishing licences should not be traded for flights and asked the foreign minister to publish "
        "the full text of the joint statement issued after the meeting with his Kiribati counterpart.",
        DAY.format("12"),
        3,
    )
    assert not index.check(first).duplicate
    verdict = index.check(copy)
    assert (verdict.duplicate, verdict.kind, verdict.dup_of, verdict.story) == (True, "near", first.id, first.id)
    verdict = index.check(own)
    assert not verdict.duplicate


def test_reports_days_apart_are_two_stories_but_a_late_copy_keeps_its_story() -> None:
    index = DedupIndex({})
    first = tagged("Kiribati and Tuvalu agree on cable", WIRE, DAY.format("08"), 1)
    next_round = tagged(
        "Kiribati and Tuvalu ministers meet again in Funafuti",
        "A week after their Tarawa talks the two ministers were in Funafuti, where Tuvalu's parliament had "
        "approved the cable deal; they signed it in front of students and fishermen, and promised ferries "
        "and cheaper phone calls for the outer islands of Kiribati and Tuvalu.",
        "2026-11-25T08:00:00.000Z",
        2,
    )
    late_copy = tagged("Ministers of Kiribati and Tuvalu hold talks", REWORDED, "2026-11-25T09:00:00.000Z", 3)
    index.check(first)
    assert index.check(next_round).story == next_round.id  # five days later: another round, another story
    verdict = index.check(late_copy)  # a copy does not depend on time: it stays with its original
    assert (verdict.duplicate, verdict.dup_of, verdict.story) == (True, first.id, first.id)


def test_a_busy_topic_does_not_push_the_right_story_out() -> None:
    """Hundreds of reports of one day name Syria and the United Nations; the three reports of one event among
    them (the only ones naming its place and people) share a story, and no other report joins it."""
    rng = random.Random(3)
    vocabulary = [f"w{i}x" for i in range(3000)]
    index = DedupIndex({})
    event = ("Qamishli", "Pedersen", "water station")
    target: list[Article] = []
    stories = []
    for n in range(400):
        words = " ".join(rng.choice(vocabulary) for _ in range(60))
        body = f"The United Nations said on Syria that {words}."
        title = f"Syria and the United Nations: {rng.choice(vocabulary)} {rng.choice(vocabulary)}"
        if n in (150, 230, 310):
            title = f"Pedersen visits the {event[2]} in {event[0]}"
            body = (
                f"UN envoy Geir Pedersen visited the {event[2]} in {event[0]} in Syria, where repairs paid by "
                f"the United Nations restored water to the city; {words}."
            )
        article = tagged(title, body, f"2026-11-20T{8 + n // 60:02d}:{n % 60:02d}:00.000Z", n)
        stories.append(index.check(article).story)
        if n in (150, 230, 310):
            target.append(article)
    target_stories = {stories[150], stories[230], stories[310]}
    assert target_stories == {target[0].id}
    assert stories.count(target[0].id) == 3
    features = index._vectors(target[2])
    assert "x:@country.SY" not in features.keys  # named by every report of the day: never a lookup key
    assert any("qamish" in key for key in features.keys)


def test_word_counts_are_counted_again_from_the_records_when_the_state_changed_elsewhere() -> None:
    state: dict[str, object] = {}
    writer = DedupIndex(state, DedupConfig(ttl_seconds=3600))
    for n in range(30):
        writer.check(tagged(f"Report {n}", f"Words of report number {n} about w{n} and w{n + 1}.", DAY.format("08"), n))
    reader = DedupIndex(state)  # another worker, or this one after a restore
    reader._sync_stats()
    assert reader.stats.generation == writer.stats.generation == state[GENERATION_KEY]["g"]  # type: ignore[index]
    assert np.array_equal(reader.stats.counts, writer.stats.counts)
    assert reader.stats.docs == writer.stats.docs
    # a record past its time-to-live leaves the counts when it is touched, and the generation moves on
    old = next(k for k in state if k.startswith("v:"))
    writer._fresh(old, 1e12)
    writer._write_lists()  # as a check does at its end: the new generation is written with the lists
    assert old not in state
    reader._sync_stats()
    assert np.array_equal(reader.stats.counts, writer.stats.counts)
    assert reader.stats.docs["en"] == writer.stats.docs["en"] == 29


def test_features_fold_stem_and_keep_numbers_and_entities() -> None:
    assert stem("والشيباني") == stem("الشيباني") == stem("شيباني")
    assert stem("أستانا".replace("أ", "ا")) == stem("استانه")
    got = bags(
        "21st round of talks",
        "The 21st round opened on 24 January 2024.",
        {
            "entities": [
                {"id": "process.astana", "title": 0, "body": 2},
            ]
        },
    )
    assert got.shared == {"#21": 4, "#24": 1, "#2024": 1, "@process.astana": 2}
    assert {"round", "talks"} <= set(got.words)
    assert "on" not in got.words  # shorter than three letters


def test_a_key_too_common_to_tell_events_apart_is_no_longer_read_until_its_time_to_live_has_passed() -> None:
    """No lookup list grows with the state, and none is cut short: past ``max_postings`` stories a key is a
    marker (as a stopword), and the stories under it are found through their other keys."""
    index = DedupIndex({}, DedupConfig(max_postings=3, ttl_seconds=100))

    def post(story: str, at: float, *keys: str) -> None:
        index._post({"k": story, "t": at, "p": None, "x": list(keys)})
        index._write_lists()  # as at the end of a check

    for i in range(3):
        post(f"s{i}", 10.0 + i, "x:@hot", f"x:@own{i}")
    post("s1", 13.0, "x:@hot")  # a story listed again: one entry, its latest time
    assert index._postings("x:@hot") == {"s0": [10.0, None], "s1": [13.0, None], "s2": [12.0, None]}
    post("s3", 14.0, "x:@hot", "x:@own3")
    assert index.index["x:@hot"] == {"common": 14.0}
    assert index._postings("x:@hot") == {}
    assert index._postings("x:@own3") == {"s3": [14.0, None]}  # its other keys still list it
    post("s4", 60.0, "x:@hot")
    assert index.index["x:@hot"] == {"common": 14.0}  # not written while it is common
    post("s5", 120.0, "x:@hot")
    assert index._postings("x:@hot") == {"s5": [120.0, None]}  # the marker's time-to-live has passed
    # entries past their time-to-live leave a list when it reaches the limit, before it counts as common
    for i, at in enumerate((121.0, 122.0, 230.0)):
        post(f"t{i}", at, "x:@late")
    post("t3", 231.0, "x:@late")
    assert index._postings("x:@late") == {"t2": [230.0, None], "t3": [231.0, None]}


class _Encoded(dict):  # type: ignore[type-arg]
    """A mapping that stores values encoded, as RocksDB does: every read is a new object."""

    def __setitem__(self, key: str, value: object) -> None:
        super().__setitem__(key, orjson.dumps(value))

    def __getitem__(self, key: str) -> object:
        return orjson.loads(super().__getitem__(key))

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        raw = super().get(key)
        return default if raw is None else orjson.loads(raw)


class _Reads(_Encoded):
    """An encoded mapping that lists the keys read."""

    def __init__(self) -> None:
        super().__init__()
        self.read: list[str] = []

    def __getitem__(self, key: str) -> object:
        self.read.append(key)
        return super().__getitem__(key)

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        self.read.append(key)
        return super().get(key, default)


def test_the_texts_of_recent_reports_are_kept_decoded_within_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """A report that may be a copy of its story's reports compares their texts' records: those written or
    read lately are kept decoded (the latest ``CACHED_TEXTS``, while they hold no more than
    ``CACHED_TEXT_SHINGLES``), not read and decoded from the state again."""
    store = _Reads()
    index = DedupIndex(store)
    first = tagged("Kiribati and Tuvalu ministers meet in Tarawa", WIRE, DAY.format("08"), 1)
    copy = tagged("Kiribati, Tuvalu ministers hold talks in Tarawa", REWORDED, DAY.format("09"), 2)
    assert not index.check(first).duplicate
    verdict = index.check(copy)
    assert (verdict.duplicate, verdict.dup_of) == (True, first.id)  # found by comparing the first one's text
    # each article's own record was looked up for a verdict recorded before (none); the first one's text
    # was compared from memory
    assert [key for key in store.read if key.startswith("v:")] == [f"v:{first.id}", f"v:{copy.id}"]

    monkeypatch.setattr(state, "CACHED_TEXTS", 2)
    bounded = DedupIndex(_Reads())
    texts = [" ".join(f"word{n}x{i}" for i in range(60)) for n in range(4)]  # four unrelated texts
    others = [tagged(f"Report {n}", text, DAY.format("10"), 10 + n) for n, text in enumerate(texts)]
    for report in others:
        bounded.check(report)
    assert list(bounded._texts) == [f"v:{others[2].id}", f"v:{others[3].id}"]

    monkeypatch.setattr(state, "CACHED_TEXTS", 10)
    monkeypatch.setattr(state, "CACHED_TEXT_SHINGLES", 150)  # each text has 58 shingles: two fit, not three
    by_size = DedupIndex(_Reads())
    for report in others:
        by_size.check(report)
    assert list(by_size._texts) == [f"v:{others[2].id}", f"v:{others[3].id}"]
    assert by_size._text_shingles == 2 * 58


def test_stories_kept_in_memory_are_read_again_when_the_state_changed_elsewhere() -> None:
    """The index keeps the stories it read decoded across checks; another writer (a worker that held the
    partition, a restore) changes the generation, and the stories are read from the state again."""
    store = _Encoded()
    first, second = DedupIndex(store), DedupIndex(store)
    texts = (
        "UN envoy Pedersen visited the Alouk water station near Qamishli on Monday, where repairs paid by donors "
        "restored pumping to the city after months of cuts.",
        "Residents of Qamishli welcomed Pedersen, the UN envoy, at the Alouk station; engineers said the pumps "
        "would now run every day and reach outlying villages.",
        "The Alouk pumps near Qamishli work again: envoy Pedersen toured the station with engineers and local "
        "officials, and promised more funds for the network.",
    )
    reports = [
        tagged(f"Pedersen at the Alouk station near Qamishli ({n})", text, DAY.format(f"0{n + 1}"), n)
        for n, text in enumerate(texts)
    ]
    story = first.check(reports[0]).story
    assert second.check(reports[1]).story == story
    assert first.check(reports[2]).story == story
    assert store[f"k:{story}"]["n"] == 3  # type: ignore[index]  # not 2: the first index read the story again


def test_stories_are_rebuilt_from_the_texts_records_and_on_an_earlier_versions_story_records() -> None:
    """A story's record is not a record of the changelog: ``reindex`` rebuilds it from its reports' text
    records, in the order written, as the check made it. A changelog of the version that sent the stories
    (story records; text records without what a story takes from them) restores them in their place, and
    the reports after them add to them."""
    from types import SimpleNamespace

    import faust

    from streams.runtime.dedup_table import DedupTable

    texts = (
        "Envoy Pedersen opened talks with the Alouk water board in Qamishli on Monday about donor-funded repairs.",
        "In Qamishli the Alouk water board met Pedersen, the envoy, to agree the repairs that donors will pay for.",
        "Pedersen and the Alouk board in Qamishli signed the repair plan on Monday; donors pay for new pumps.",
    )
    reports = [
        tagged(f"Pedersen and the Alouk water board ({n})", text, DAY.format(f"0{n + 1}"), n)
        for n, text in enumerate(texts)
    ]
    records: dict[str, object] = {}
    derived: dict[str, object] = {}
    index = DedupIndex(records, index=derived)
    story = index.check(reports[0]).story
    first_story = orjson.loads(orjson.dumps(derived[f"k:{story}"]))  # as the earlier version sent it
    assert [index.check(r).story for r in reports[1:]] == [story, story]
    assert not any(key.startswith("k:") for key in records)
    first = f"v:{reports[0].id}"
    assert set(index._texts[first]) == set(records[first]) - {"w", "s"}  # type: ignore[arg-type]  # kept without its vectors
    live = derived[f"k:{story}"]
    assert live["n"] == 3  # type: ignore[index]
    assert live["i"] == [r.id for r in reports]  # type: ignore[index]

    rebuilt: dict[str, object] = {}
    restored = DedupIndex(dict(records), index=rebuilt)
    for key, value in records.items():
        restored.reindex(key, value)
    assert rebuilt[f"k:{story}"] == live

    app = faust.App("test-dedup-stories", store="memory://", autodiscover=False)
    table = DedupTable(app, name="dedup-state", default=None, beacon=app.tables.beacon, partitions=1)
    table.reindexer = lambda derived: DedupIndex({}, index=derived)
    earlier = {k: v for k, v in records[first].items() if k not in ("w", "s", "T", "O", "U", "r")}  # type: ignore[attr-defined]
    changelog = [(first, earlier), (f"k:{story}", first_story)]
    changelog += [(key, value) for key, value in records.items() if key != first]
    events = []
    for offset, (key, value) in enumerate(changelog):
        message = SimpleNamespace(
            key=orjson.dumps(key), value=orjson.dumps(value), partition=0, offset=offset, topic="changelog"
        )
        message.tp = SimpleNamespace(topic="changelog", partition=0)
        events.append(SimpleNamespace(message=message, key=key, value=value))
    table.apply_changelog_batch(events)
    assert table.data[f"k:{story}"] == live


def pump_reports() -> list[Article]:
    """Three reports of one event, one an hour, each written apart."""
    texts = (
        "The water board of Qamishli and envoy Pedersen agreed on Monday to repair the Alouk pumps with donor funds.",
        "Donors will pay for the Alouk pumps: Pedersen, the envoy, and the Qamishli water board agreed the repairs.",
        "Repairs to the Alouk pumps near Qamishli start next week, Pedersen said after meeting the water board.",
    )
    return [
        tagged(f"Alouk pumps to be repaired ({n})", text, DAY.format(f"0{n + 1}"), n) for n, text in enumerate(texts)
    ]


def test_a_report_restored_into_the_store_that_has_it_counts_once_in_its_story() -> None:
    """A worker stopped after a text's record reached the changelog but before Faust stored that offset finds
    the record in its store and restores it again on start: its story still counts each report once, with
    its centroid, languages and members as the check made them."""
    from types import SimpleNamespace

    import faust

    from streams.runtime.dedup_table import DedupTable

    reports = pump_reports()
    records: dict[str, object] = {}
    derived: dict[str, object] = {}
    index = DedupIndex(records, index=derived)
    story = index.check(reports[0]).story
    assert [index.check(r).story for r in reports[1:]] == [story, story]
    live = derived[f"k:{story}"]
    assert live["n"] == 3  # type: ignore[index]

    app = faust.App("test-dedup-restored-twice", store="memory://", autodiscover=False)
    table = DedupTable(app, name="dedup-state", default=None, beacon=app.tables.beacon, partitions=1)
    table.reindexer = lambda derived: DedupIndex({}, index=derived)

    def restore(items: list[tuple[str, object]], first_offset: int) -> None:
        events = []
        for offset, (key, value) in enumerate(items, start=first_offset):
            message = SimpleNamespace(
                key=orjson.dumps(key), value=orjson.dumps(value), partition=0, offset=offset, topic="changelog"
            )
            message.tp = SimpleNamespace(topic="changelog", partition=0)
            events.append(SimpleNamespace(message=message, key=key, value=value))
        table.apply_changelog_batch(events)

    changelog = list(records.items())
    restore(changelog, 0)
    assert table.data[f"k:{story}"] == live
    restore(changelog[-2:], len(changelog) - 2)  # the latest two again, as after the stop
    assert table.data[f"k:{story}"] == live
    assert table.data[f"k:{story}"]["i"] == [r.id for r in reports]


def test_an_articles_weights_are_kept_to_the_decimals_its_story_adds_them_up_to() -> None:
    from streams.stages.dedup.stories import merge_centroid
    from streams.stages.dedup.termstats import DECIMALS, TermStats

    stats = TermStats()
    stats.add("en", stats.slots("en", ["w1", "w2"]), [])
    for size in (40, 6):  # weighed in numpy, and in plain Python
        counts = {f"w{i}": float(1 + i % 3) for i in range(size)}
        weighed = stats.weigh("en", counts, 100)
        assert len(weighed.weights) == size
        assert all(w == round(w, DECIMALS) and w > 0 for w in weighed.weights)
        assert abs(sum(w * w for w in weighed.weights) - 1.0) < 1e-3  # unit length, to the decimals
        vector = dict(zip(weighed.features, weighed.weights, strict=True))
        assert merge_centroid({}, vector, 120)[0] == vector  # a story of one report: its vector
    assert merge_centroid({"a": 0.1}, {"a": 0.2}, 120)[0] == {"a": 0.3}  # not 0.30000000000000004


def test_a_restore_counts_a_report_once_whatever_the_story_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    """A report replayed into a store that has it counts once even when its story lists neither its first
    reports nor its latest ones any more (a busy story took more reports than it lists in the time Faust
    stores an offset): each text's record carries its place in its story (``q``)."""
    from streams.stages.dedup import storystep

    monkeypatch.setattr(storystep, "SUMMARY_MEMBERS", 1)
    monkeypatch.setattr(storystep, "COPY_MEMBERS", 1)
    reports = pump_reports()
    records: dict[str, Any] = {}
    derived: dict[str, Any] = {}
    index = DedupIndex(records, index=derived)
    story = index.check(reports[0]).story
    assert [index.check(r).story for r in reports[1:]] == [story, story]
    assert [records[f"v:{r.id}"]["q"] for r in reports] == [1, 2, 3]
    live = derived[f"k:{story}"]
    assert (live["n"], live["i"], live["m"]) == (3, [reports[0].id], {"en": [reports[2].id]})

    restored: dict[str, Any] = {}
    again = DedupIndex({}, index=restored)
    for key, value in records.items():
        again.reindex(key, value)
    assert restored[f"k:{story}"] == live
    for key in [f"v:{r.id}" for r in reports[1:]]:  # the latest two again: the middle one is listed nowhere
        again.reindex(key, records[key])
    assert restored[f"k:{story}"] == live

    older = {key: {k: v for k, v in value.items() if k != "q"} for key, value in records.items()}
    restored = {}
    again = DedupIndex({}, index=restored)
    for key, value in older.items():  # an earlier version's records, without their place: rebuilt as they were
        again.reindex(key, value)
    assert restored[f"k:{story}"] == live

"""Dedup verdicts: exact copies, near-copies, stories, replay safety and the time-to-live."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from streams.stages.dedup.index import DERIVED_PREFIXES, DedupConfig, DedupIndex
from streams.stages.dedup.state import GENERATION_KEY
from streams.stages.dedup.termstats import SHARED, SLOTS, feature_slots
from streams.stages.parsing import RawMeta, parse_payload
from streams.stages.record import Article

WIRE = (
    "The foreign ministers of the two countries met on Tuesday in the capital to discuss border security, "
    "trade through the reopened crossings and the voluntary return of refugees, according to a joint "
    "statement issued after the talks. Both sides agreed to form a technical committee that will meet "
    "every month and report to the ministers, and to restore direct flights between the capitals before "
    "the end of the year. The statement said the talks were held in a positive atmosphere and that the "
    "next round would take place in the other capital early next year."
)


def without_generation(lists: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in lists.items() if k != GENERATION_KEY}


def article(title: str, body: str, url: str | None = None, offset: int = 0, day: str = "2026-11-20") -> Article:
    payload = {"title": title, "body": body, "url": url}
    (a,) = parse_payload(__import__("orjson").dumps(payload), RawMeta(content_type="application/json"))
    a.fetched_at = f"{day}T10:00:00.000Z"
    a.origin = {"topic": "raw", "partition": 0, "offset": offset, "item": 0}
    return a


def test_first_copy_is_unique_and_starts_a_story() -> None:
    index = DedupIndex({})
    verdict = index.check(article("Ministers meet", WIRE, "https://a.example/1"))
    assert not verdict.duplicate
    assert verdict.dup_of is None


def test_same_url_is_an_exact_duplicate() -> None:
    index = DedupIndex({})
    first = article("Ministers meet", WIRE, "https://a.example/1?utm_source=x", offset=1)
    again = article("Ministers meet (updated)", WIRE + " More.", "https://a.example/1", offset=2)
    index.check(first)
    verdict = index.check(again)
    assert (verdict.duplicate, verdict.kind, verdict.dup_of) == (True, "url", first.id)


def test_syndicated_copy_with_small_edits_is_a_near_duplicate() -> None:
    index = DedupIndex({})
    first = article("Ministers meet in the capital", WIRE, "https://a.example/1", offset=1)
    edited = WIRE.replace("on Tuesday", "on Tuesday afternoon").replace(" early next year", "")
    copy = article("Two ministers hold talks", edited, "https://b.example/x", offset=2)
    index.check(first)
    verdict = index.check(copy)
    assert verdict.duplicate
    assert verdict.kind == "near"
    assert verdict.dup_of == first.id
    assert verdict.similarity >= 0.5
    assert verdict.story == first.id


def test_different_story_is_not_a_duplicate() -> None:
    index = DedupIndex({})
    index.check(article("Ministers meet", WIRE, "https://a.example/1", offset=1))
    other = (
        "Heavy rain flooded several neighbourhoods of the coastal city overnight, and civil defence teams "
        "evacuated dozens of families from low-lying streets while the power company cut electricity to "
        "three districts as a precaution. Schools will stay closed on Wednesday, the governor said."
    )
    verdict = index.check(article("Floods hit the coast", other, "https://c.example/2", offset=2))
    assert not verdict.duplicate


def test_redelivery_keeps_its_verdict_and_republication_is_a_duplicate() -> None:
    index = DedupIndex({})
    first = article("Ministers meet", WIRE, None, offset=1)
    assert not index.check(first).duplicate
    assert not index.check(first).duplicate  # the same message again: same verdict, not "dup of itself"
    republished = article("Ministers meet", WIRE, None, offset=7)
    verdict = index.check(republished)
    assert verdict.duplicate
    assert verdict.dup_of == first.id
    assert verdict.kind == "content"


def test_a_new_texts_verdict_is_kept_in_its_text_record_and_an_earlier_versions_is_read() -> None:
    """A new text writes no verdict record of its own: its ``v:`` record holds the raw message it came from
    and its similarity, and a redelivery gets the same verdict from there. A state written by the earlier
    version (an ``a:`` record for every article, ``v:`` records without the verdict) gives the same verdicts."""
    state: dict[str, object] = {}
    index = DedupIndex(state)
    first = article("Ministers meet", WIRE, "https://a.example/1", offset=1)
    other = "Heavy rain flooded the coastal city overnight and schools closed on Wednesday, the governor said."
    second = article("Floods hit the coast", other, "https://c.example/2", offset=2)
    verdicts = [index.check(first), index.check(second)]
    assert [key for key in state if key.startswith("a:")] == []
    text = state[f"v:{first.id}"]
    assert isinstance(text, dict)
    assert (text["o"], text["k"]) == ("raw:0:1:0", first.id)
    assert [index.check(first), index.check(second)] == verdicts  # redelivered: the same verdicts
    resent = article("Ministers meet", WIRE, "https://a.example/1", offset=9)  # the same id, another message
    again = index.check(resent)
    assert (again.duplicate, again.dup_of, again.kind, again.story) == (True, first.id, "url", first.id)
    assert [key for key in state if key.startswith("a:")] == []  # nothing new to record: as before

    earlier: dict[str, object] = {}  # as the earlier version wrote it
    for key, value in state.items():
        if key.startswith("v:") and isinstance(value, dict):
            aid = key[2:]
            if f"a:{aid}" not in state:
                verdict = verdicts[0] if aid == first.id else verdicts[1]
                earlier[f"a:{aid}"] = {**verdict.as_dict(), "t": value["t"], "o": value["o"]}
            value = {k: v for k, v in value.items() if k not in ("o", "y")}
        earlier[key] = value
    old = DedupIndex(earlier)
    assert [old.check(first), old.check(second)] == verdicts
    assert old.check(resent) == again


def test_old_entries_expire() -> None:
    index = DedupIndex({}, DedupConfig(ttl_seconds=3600))
    index.check(article("Ministers meet", WIRE, "https://a.example/1", offset=1, day="2026-11-01"))
    later = article("Ministers meet", WIRE, "https://a.example/1", offset=2, day="2026-11-20")
    assert not index.check(later).duplicate


def tagged(title: str, body: str, published: str, offset: int, lang: str = "en") -> Article:
    from streams.stages.tagging.tagger import tag

    a = article(title, body, offset=offset)
    a.published, a.published_estimated, a.lang = published, False, lang
    a.tags = tag(a.title, a.body)
    return a


def test_separately_written_reports_share_a_story_not_a_duplicate() -> None:
    index = DedupIndex({})
    first = tagged(
        "Pedersen meets Shaibani in Damascus",
        "UN envoy Geir Pedersen met Syrian foreign minister Asaad al-Shaibani in Damascus on Sunday to discuss "
        "the constitutional committee and the return of refugees.",
        "2026-11-20T08:00:00.000Z",
        1,
    )
    second = tagged(
        "UN envoy holds talks with Syrian foreign minister",
        "Geir Pedersen and Asaad al-Shaibani talked for two hours in Damascus, a ministry statement said, "
        "and agreed that the constitutional committee should meet again soon.",
        "2026-11-20T15:00:00.000Z",
        2,
    )
    index.check(first)
    verdict = index.check(second)
    assert not verdict.duplicate
    assert verdict.story == first.id


@pytest.mark.parametrize(
    ("second_date", "linked"), [("2026-10-02T09:00:00.000Z", True), ("2026-11-20T09:00:00.000Z", False)]
)
def test_story_links_need_close_dates(second_date: str, linked: bool) -> None:
    index = DedupIndex({}, DedupConfig(ttl_seconds=90 * 24 * 3600))
    first = tagged(
        "Envoy in Damascus",
        "Geir Pedersen met Asaad al-Shaibani in Damascus to discuss the constitutional committee and detainees.",
        "2026-10-01T08:00:00.000Z",
        1,
    )
    second = tagged(
        "Shaibani receives the UN envoy",
        "In Damascus, Asaad al-Shaibani received Geir Pedersen; they talked about the committee and detainees "
        "and about aid.",
        second_date,
        2,
    )
    index.check(first)
    verdict = index.check(second)
    assert not verdict.duplicate
    assert (verdict.story == first.id) is linked


def test_rocks_mapping_behaves_like_a_dict(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from streams.runtime.rocksdb import RocksMapping

    store = RocksMapping(tmp_path / "state")
    index = DedupIndex(store)
    first = article("Ministers meet", WIRE, "https://a.example/1", offset=1)
    index.check(first)
    verdict = index.check(article("Ministers meet again", WIRE, "https://a.example/1", offset=2))
    assert verdict.duplicate
    assert verdict.dup_of == first.id
    assert len(store) == len(list(store)) > 0
    store.set_many({"x:one": {"s": {"a": [1.0, None]}}, "x:two": [["b", 2.0]]})
    assert store.get_many(["x:two", "x:none", "x:one"]) == [[["b", 2.0]], None, {"s": {"a": [1.0, None]}}]
    assert store["x:one"] == {"s": {"a": [1.0, None]}}
    store.close()


class _Batched(dict):  # type: ignore[type-arg]
    """A mapping with ``get_many`` and ``set_many``, counting the calls of each kind."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = {"get": 0, "set": 0, "get_many": 0, "set_many": 0}
        self.got: Counter[str] = Counter()  # keys read one at a time, by prefix

    def get(self, key: str, default: object = None) -> object:
        self.calls["get"] += 1
        self.got[key[:2]] += 1
        return super().get(key, default)

    def __setitem__(self, key: str, value: object) -> None:
        self.calls["set"] += key != GENERATION_KEY  # the word counts' generation is written on its own
        super().__setitem__(key, value)

    def get_many(self, keys: list[str]) -> list[object]:
        self.calls["get_many"] += 1
        return [super(_Batched, self).get(key) for key in keys]

    def set_many(self, items: dict[str, object]) -> None:
        self.calls["set_many"] += 1
        self.update(items)


def test_lists_are_read_and_written_in_batches_with_the_same_verdicts() -> None:
    """Where the list mapping reads and writes many keys at once (RocksDB), a check reads the LSH band
    lists in one call and writes all the lists it changed in one; the verdicts and lists are the same."""
    articles = [
        article("Ministers meet", WIRE, "https://a.example/1", offset=1),
        article("Ministers meet", WIRE.replace("Tuesday", "Monday"), "https://b.example/2", offset=2),
        article("Floods in the north", "Heavy rain flooded villages " * 20, "https://c.example/3", offset=3),
    ]
    plain: dict[str, object] = {}
    batched = _Batched()
    one, other = DedupIndex({}, index=plain), DedupIndex({}, index=batched)
    verdicts = [one.check(a) for a in articles]
    assert [other.check(a) for a in articles] == verdicts
    assert [v.duplicate for v in verdicts] == [False, True, False]
    assert dict(batched) == plain
    assert batched.calls["set"] == 0  # every list write went through set_many
    assert batched.calls["set_many"] == 2  # one per article added (the copy is not listed)
    # in one call each: an article's band lists (3 articles), a new one's lookup lists (2 new articles)
    assert batched.calls["get_many"] == 5
    assert batched.got["b:"] == batched.got["x:"] == 0


def test_dedup_state_memory_is_bounded_in_the_worker_and_offline() -> None:
    """Faust's own defaults are a 2 GB block cache and three 64 MB write buffers per table partition."""
    from faust.stores.rocksdb import RocksDBOptions

    from streams.runtime.app import create_app
    from streams.runtime.rocksdb import rocksdb_options
    from streams.settings import Settings

    assert rocksdb_options(64) == {
        "block_cache_size": 64 << 20,
        "write_buffer_size": 16 << 20,
        "max_write_buffer_number": 2,
        "bloom_filter_size": 10,
    }
    app = create_app(Settings.from_env({}).with_(dedup_cache_mb=128))
    table = app.tables["dedup-state"]
    built = RocksDBOptions(**table.options)
    assert built.block_cache_size == 128 << 20
    assert built.write_buffer_size == 16 << 20
    assert built.bloom_filter_size == 10


def test_fingerprints_are_pinned() -> None:
    """Band keys live in the dedup table: a library or scheme change must not silently change them."""
    from streams.stages.dedup.fingerprint import fingerprint

    fp = fingerprint("", "one two three four five six seven eight nine ten eleven twelve " * 4)
    assert len(fp.bands) == 42
    assert fp.bands[0] == PINNED_FIRST_BAND
    assert min(fp.shingles) == PINNED_LEAST_SHINGLE
    assert len(fp.shingles) == 12  # the text repeats: twelve distinct shingles


PINNED_FIRST_BAND = "0:23ec69859df64f12"
PINNED_LEAST_SHINGLE = 584676384


def test_the_minhash_is_datasketchs_affine32_minhash() -> None:
    """The MinHash applied to all shingles at once gives exactly datasketch's ``MinHash`` values for the
    same seed and scheme, on random sets of every size from one value to thousands."""
    import numpy as np
    from datasketch import MinHash

    from streams.stages.dedup.fingerprint import NUM_PERM, SCHEME, SEED, minhash

    rng = np.random.default_rng(5)
    for size in (1, 2, 3, 40, 300, 5000):
        shingles = rng.integers(0, 1 << 32, size=size, dtype=np.uint64)
        reference = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=int, scheme=SCHEME)
        reference.update_batch(shingles.tolist())
        assert np.array_equal(minhash(shingles), reference.hashvalues), size


def test_shingles_are_the_texts_three_word_windows() -> None:
    """Two texts share a shingle hash exactly when they share three consecutive folded words, in order."""
    from streams.stages.dedup.fingerprint import shingle_hashes

    a = shingle_hashes("The ministers met in Ankara on Monday")
    assert len(a) == 5
    assert shingle_hashes("THE Ministers met, in") <= a  # folded: case and punctuation do not count
    assert not shingle_hashes("ministers the met") & a  # the same words in another order
    assert len(shingle_hashes("met in Ankara on Monday") & a) == 3
    assert len(shingle_hashes("two words")) == 1
    assert shingle_hashes("") == frozenset()


def test_arabic_and_english_reports_of_one_event_share_a_story() -> None:
    index = DedupIndex({})
    # how much a word weighs comes from the stream: in the news this stage serves, Damascus is everywhere
    for background, _ in parsed_bench_mix(60, seed=5):
        index.check(background)
    topics = ("الطقس", "الأسعار", "المدارس", "الكهرباء", "المرور", "الأسواق", "الخبز", "الوقود", "الصحة", "الرياضة")
    for n in range(60):
        body = f"تقرير من دمشق عن {topics[n % 10]} و{topics[(n * 3 + 1) % 10]} في الأسبوع {n}."
        index.check(tagged(f"{topics[n % 10]} في دمشق", body, "2026-11-01T08:00:00.000Z", 1000 + n, lang="ar"))
    english = tagged(
        "Pedersen and Shaibani discuss the constitutional committee in Damascus",
        "UN envoy Geir Pedersen met Syrian foreign minister Asaad al-Shaibani in Damascus on Sunday; they "
        "discussed the Constitutional Committee and the return of refugees from Lebanon.",
        "2026-11-22T08:00:00.000Z",
        1,
    )
    arabic = tagged(
        "الشيباني يستقبل بيدرسن في دمشق",
        "استقبل وزير الخارجية السوري أسعد الشيباني المبعوث الأممي غير بيدرسن في دمشق، وبحث الجانبان عمل "
        "اللجنة الدستورية وعودة اللاجئين.",
        "2026-11-22T11:00:00.000Z",
        2,
        lang="ar",
    )
    other_event = tagged(
        "انفجار في دمشق",
        "وقع انفجار في حي من أحياء دمشق صباح اليوم دون ذكر الشيباني أو أي مسؤول آخر.",
        "2026-11-22T12:00:00.000Z",
        3,
        lang="ar",
    )
    index.check(english)
    assert index.check(arabic).story == english.id  # names shared across languages, a day apart
    assert index.check(other_event).story == other_event.id


def test_candidate_lists_kept_apart_are_rebuilt_from_the_records() -> None:
    """The worker keeps the band and story lists and the stories out of the changelog: a store restored from the
    records alone, with ``reindex``, gives the same lists and stories and so the same verdicts as the store that
    wrote them."""
    articles = [article for article, _ in parsed_bench_mix(60, seed=11)]
    together: dict[str, object] = {}
    records: dict[str, object] = {}
    lists: dict[str, object] = {}
    one, apart = DedupIndex(together), DedupIndex(records, index=lists)
    first, later = articles[: len(articles) // 2], articles[len(articles) // 2 :]
    assert [one.check(a) for a in first] == [apart.check(a) for a in first]
    assert not any(key[:2] in DERIVED_PREFIXES for key in records)
    assert {k: v for k, v in together.items() if k[:2] in DERIVED_PREFIXES} == without_generation(lists)
    assert {key[:2] for key in records} == {"a:", "v:"}  # the stories, URL and content keys are derived too

    rebuilt: dict[str, object] = {}
    restored = DedupIndex(dict(records), index=rebuilt)
    for key, value in records.items():  # in the order written, as a changelog replays them
        restored.reindex(key, value)
    assert rebuilt == without_generation(lists)
    verdicts = [one.check(a) for a in later]
    assert [restored.check(a) for a in later] == verdicts
    assert any(v.kind == "near" for v in verdicts)  # the rebuilt band lists found syndicated copies
    assert any(v.kind in ("url", "content") for v in verdicts)  # ... and the rebuilt exact keys, re-sends


def test_an_earlier_versions_shingle_records_still_rebuild_their_bands() -> None:
    """A changelog written before the shingles moved into the ``v:`` record holds ``s:<id>`` records: they
    list their article under its bands again, as the ``v:`` record of this version does."""
    records: dict[str, object] = {}
    index = DedupIndex(records, index={})
    first = article("Ministers meet in the capital", WIRE, "https://a.example/1", offset=1)
    index.check(first)
    value = dict(records[f"v:{first.id}"])
    old_layout = {f"s:{first.id}": {"h": value.pop("h"), "t": value["t"]}, f"v:{first.id}": value}
    lists: dict[str, object] = {}
    restored = DedupIndex(dict(old_layout), index=lists)
    for key, record in old_layout.items():
        restored.reindex(key, record)
    assert without_generation(lists) == without_generation(index.index)


def test_dedup_table_rebuilds_lists_from_a_restored_changelog_batch() -> None:
    """``DedupTable`` applied to changelog events (raw JSON keys and values, as Faust reads them): records go
    to the store, the lists are rebuilt, and an old changelog's list records are applied in their place."""
    from types import SimpleNamespace

    import faust
    import orjson

    from streams.runtime.dedup_table import DedupTable

    app = faust.App("test-dedup-table", store="memory://", autodiscover=False)
    table = DedupTable(app, name="dedup-state", default=None, beacon=app.tables.beacon, partitions=1)
    table.reindexer = lambda derived: DedupIndex({}, index=derived)
    records: dict[str, object] = {}
    lists: dict[str, object] = {}
    index = DedupIndex(records, index=lists)
    for n in range(3):
        body = " ".join(f"w{n}x{i}" for i in range(60))
        article = Article(id=f"id{n}", title=f"Story {n}", body=body, fetched_at="2026-11-29T10:00:00Z")
        article.origin.update({"topic": "raw", "partition": 0, "offset": n})
        index.check(article)
    old_list = ("b:0:old", [["id-before", 1.0]])  # written to changelogs before the lists left them

    def event(offset: int, key: str, value: object) -> SimpleNamespace:
        message = SimpleNamespace(
            key=orjson.dumps(key), value=orjson.dumps(value), partition=0, offset=offset, topic="changelog"
        )
        message.tp = SimpleNamespace(topic="changelog", partition=0)
        return SimpleNamespace(message=message, key=key, value=value)

    batch = [event(0, *old_list)] + [event(i + 1, k, v) for i, (k, v) in enumerate(records.items())]
    table.apply_changelog_batch(batch)
    assert {k: table.data[k] for k in records} == records
    assert {k: table.data[k] for k in without_generation(lists)} == without_generation(lists)
    # the restored records are not those the index counted its words for: a new generation says so
    assert table.data[GENERATION_KEY]["g"] != lists[GENERATION_KEY]["g"]  # type: ignore[index]
    assert table.data["b:0:old"] == old_list[1]


def test_fingerprint_header_round_trips_and_refuses_what_does_not_fit() -> None:
    """The parse stage sends the fingerprint in a header; dedup takes it only for the same text and format."""
    from streams.stages.dedup.fingerprint import FINGERPRINT_HEADER, decode_fingerprint, encode_fingerprint, fingerprint
    from streams.stages.pipeline import fingerprint_from_headers, fingerprint_headers

    wire = article("Ministers meet", WIRE)
    headers = fingerprint_headers(wire)
    assert [name for name, _ in headers] == [FINGERPRINT_HEADER, "dedup.story"]
    name, data = headers[0]
    assert fingerprint_from_headers({name: data}, wire) == fingerprint(wire.title, wire.body)
    assert len(data) < 4 * len(WIRE.split()) + 400  # about 4 bytes a word and 336 for the bands
    made = fingerprint(wire.title, wire.body)
    assert made.digests.hex() == "".join(band.partition(":")[2] for band in made.bands)  # the keys' hex parts
    assert data[-len(made.digests) :] == made.digests
    without = dataclasses.replace(made, digests=b"")  # a fingerprint made elsewhere: its keys are read back
    assert encode_fingerprint(without, wire.title, wire.body) == data

    short = fingerprint("", "two words")
    assert decode_fingerprint(encode_fingerprint(short, "", "two words"), "", "two words") == short
    empty = fingerprint("", "")
    assert decode_fingerprint(encode_fingerprint(empty, "", ""), "", "") == empty

    assert fingerprint_from_headers({}, wire) is None  # from an older worker or another producer
    other_text = article("Ministers meet", WIRE + " One more sentence.")
    assert fingerprint_from_headers({name: data}, other_text) is None
    assert decode_fingerprint(b"\x00" * 4 + data[4:], wire.title, wire.body) is None  # another scheme
    for broken in (b"", data[:10], data[:-1], data + b"\x00", data.decode("latin-1")):
        assert decode_fingerprint(broken, wire.title, wire.body) is None  # type: ignore[arg-type]
    # the same text split otherwise between title and body is another text
    assert decode_fingerprint(data, "Ministers", "meet\n" + WIRE) is None


def test_a_fingerprint_that_cannot_be_made_leaves_the_header_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parse still sends the article; dedup then computes the fingerprint (and dead-letters it alone if that
    fails), instead of the whole raw message going to the dead letters."""
    import streams.stages.pipeline

    def broken(title: str, body: str) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(streams.stages.pipeline, "fingerprint", broken)
    assert [name for name, _ in streams.stages.pipeline.fingerprint_headers(article("Ministers meet", WIRE))] == [
        "dedup.story"
    ]
    monkeypatch.setattr(streams.stages.pipeline, "bags", broken)
    assert streams.stages.pipeline.fingerprint_headers(article("Ministers meet", WIRE)) == []


def test_story_features_header_round_trips_and_refuses_what_does_not_fit() -> None:
    """The parse stage sends the story step's bags too; dedup takes them only for the same text and scheme."""
    from streams.headers import HEADER_STORY_FEATURES
    from streams.stages.dedup.features import BAGS_SCHEME, bags, decode_bags, with_slots
    from streams.stages.pipeline import bags_from_headers, fingerprint_headers
    from streams.stages.tagging.tagger import tag

    wire = article("Ministers meet in Geneva", WIRE)
    wire.tags = tag(wire.title, wire.body)
    data = dict(fingerprint_headers(wire))[HEADER_STORY_FEATURES]
    received = Article.loads(wire.dumps())
    made = bags(wire.title, wire.body, wire.tags)
    decoded = bags_from_headers({HEADER_STORY_FEATURES: data}, received)
    assert decoded == with_slots(made, "en")
    assert decoded is not None
    assert decoded.word_slots == feature_slots("en", made.words)
    assert decoded.shared_slots == feature_slots(SHARED, made.shared)
    assert (decoded.words, decoded.shared) == (made.words, made.shared)
    assert bags_from_headers({}, received) is None
    assert bags_from_headers({HEADER_STORY_FEATURES: data}, article("Ministers meet", WIRE)) is None  # another text
    for broken in (
        b"",
        b"{",
        b"[]",
        data.replace(b'"v":"' + BAGS_SCHEME.encode(), b'"v":"0|'),
        data.replace(b'"w":{', b'"w":[{'),
    ):
        assert decode_bags(broken, wire.title, wire.body) is None
    # slots that cannot be the features' are left out: the bags stand, dedup looks the slots up itself
    value = orjson.loads(data)
    first = value["ws"][0]
    for changed in (
        {"ws": value["ws"][1:]},
        {"ws": [-1, *value["ws"][1:]]},
        {"ws": [SLOTS, *value["ws"][1:]]},
        {"ws": [float(first), *value["ws"][1:]]},
        {"ws": [True, *value["ws"][1:]]},
        {"ss": "1"},
        {"n": SLOTS * 2},
        {"l": None},
    ):
        unfit = decode_bags(orjson.dumps({**value, **changed}), wire.title, wire.body)
        assert unfit == made, changed


def test_count_slots_given_weigh_as_slots_looked_up() -> None:
    """The slots the parse stage makes are the ones the word counts use; slots made for another language
    than the article's are not used."""
    from streams.stages.dedup.features import bags, with_slots
    from streams.stages.dedup.stories import vectors
    from streams.stages.dedup.termstats import TermStats

    stats = TermStats()
    made = bags("Ministers meet in Geneva", WIRE)
    stats.add("en", stats.slots("en", made.words), stats.slots(SHARED, made.shared))
    assert feature_slots("en", made.words) == stats.slots("en", made.words)
    assert feature_slots("de", made.words) != feature_slots("en", made.words)
    looked_up = vectors(stats, "en", made, 6, 4, 0.5, 100)
    assert vectors(stats, "en", with_slots(made, "en"), 6, 4, 0.5, 100) == looked_up
    assert vectors(stats, "en", with_slots(made, "de"), 6, 4, 0.5, 100) == looked_up  # made for another language
    assert looked_up.word_slots == sorted(set(feature_slots("en", made.words)))


def test_verdicts_are_the_same_with_fingerprints_from_headers() -> None:
    """Dedup given the parse stage's fingerprints and story features decides exactly as dedup computing them
    itself."""
    from streams.stages.pipeline import bags_from_headers, fingerprint_from_headers

    computed, given = DedupIndex({}), DedupIndex({})
    verdicts = []
    for parsed, headers in parsed_bench_mix(80, seed=3):
        received = Article.loads(parsed.dumps())  # as the dedup stage reads it
        fp = fingerprint_from_headers(headers, received)
        story_bags = bags_from_headers(headers, received)
        assert fp is not None
        assert story_bags is not None
        assert story_bags.lang == received.lang
        assert story_bags.word_slots is not None
        verdicts.append(computed.check(received))
        assert given.check(received, fp, story_bags=story_bags) == verdicts[-1]
    assert computed.state == given.state
    assert {v.kind for v in verdicts} >= {None, "near", "content"}


def test_what_the_parse_stage_sent_is_decoded_only_when_the_article_needs_it() -> None:
    """Given as functions, the fingerprint and the story features are decoded only for an article that is
    compared: not for a redelivery or an exact copy; the story features not for a near copy. The verdicts
    are those of the features given decoded."""
    from streams.stages.pipeline import bags_from_headers, fingerprint_from_headers

    decoded, lazy = DedupIndex({}), DedupIndex({})
    calls: list[tuple[str, str]] = []

    def sent(what: str, decode: Callable[..., Any], headers: dict[str, bytes], article: Article) -> Callable[[], Any]:
        def decoding() -> Any:
            calls.append((what, article.id))
            return decode(headers, article)

        return decoding

    by_kind: dict[str | None, set[str]] = {}
    for parsed, headers in parsed_bench_mix(80, seed=3):
        received = Article.loads(parsed.dumps())
        fp, story_bags = fingerprint_from_headers(headers, received), bags_from_headers(headers, received)
        verdict = decoded.check(received, fp, story_bags=story_bags)
        before = len(calls)
        fp_sent = sent("fp", fingerprint_from_headers, headers, received)
        bags_sent = sent("bags", bags_from_headers, headers, received)
        assert lazy.check(received, fp_sent, story_bags=bags_sent) == verdict
        kind = "again" if verdict.duplicate and verdict.dup_of == received.id else verdict.kind
        by_kind.setdefault(kind, set()).add(",".join(what for what, _ in calls[before:]))
    assert decoded.state == lazy.state
    assert by_kind["again"] == by_kind["content"] == {""}  # republished, exact copies: nothing decoded
    assert by_kind["near"] <= {"fp", "fp,bags"}  # band copies: the fingerprint; story copies: both
    assert "fp" in by_kind["near"]
    assert by_kind[None] == {"fp,bags"}  # new texts: both, once each


def parsed_bench_mix(n: int, seed: int) -> list[tuple[Article, dict[str, bytes]]]:
    """The bench's messages parsed as the parse stage does: each article, and the headers it sends to dedup."""
    from datetime import UTC, datetime

    from streams.devtools.bench.mix import bench_messages
    from streams.headers import HEADER_CONTENT_TYPE, HEADER_FETCHED_AT
    from streams.stages.pipeline import fingerprint_headers, meta_from_headers, parse_and_tag
    from streams.stages.record import iso_utc

    out = []
    for offset, (_, payload, kind) in enumerate(bench_messages(n, seed)):
        meta = meta_from_headers(
            {HEADER_CONTENT_TYPE: kind.encode(), HEADER_FETCHED_AT: iso_utc(datetime.now(UTC)).encode()}
        )
        for item, article in enumerate(parse_and_tag(payload, meta)):
            article.origin.update({"topic": "raw", "partition": 0, "offset": offset}, item=item)
            out.append((article, dict(fingerprint_headers(article))))
    return out


def test_overlap_with_a_stored_list_is_jaccard_and_containment() -> None:
    from streams.stages.dedup.fingerprint import jaccard, overlap

    a = frozenset(range(0, 40))
    for b in (frozenset(range(20, 50)), frozenset(range(100, 110)), frozenset(range(5, 15)), a):
        sim, contained = overlap(a, sorted(b))
        assert sim == jaccard(a, b)
        assert contained == len(a & b) / min(len(a), len(b))
    assert overlap(a, []) == overlap(frozenset(), [1, 2]) == (0.0, 0.0)


def test_local_lists_go_straight_to_the_event_partitions_store(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """In an event, the lists are read and written in that partition's RocksDB directly, one at a time or
    many at once, in the table's own encoding: Faust's store reads them back. Outside an event they are read
    through the table's store (which writes only in an event)."""
    from types import SimpleNamespace

    import faust

    from streams.runtime.dedup_table import DedupTable, LocalLists
    from streams.runtime.rocksdb import rocksdb_options

    app = faust.App("test-local-lists", store="rocksdb://", datadir=str(tmp_path), autodiscover=False)
    table = DedupTable(
        app, name="dedup-state", default=None, beacon=app.tables.beacon, partitions=1, options=rocksdb_options(8)
    )
    lists = LocalLists(table)
    event = SimpleNamespace(message=SimpleNamespace(partition=0))
    monkeypatch.setattr(faust, "current_event", lambda: event)
    lists["b:0:one"] = [["a", 1.0]]
    lists.set_many({"b:1:two": [["b", 2.0]], "x:ar|سوريا": {"s": {"c": [3.0, None]}}})
    assert lists.get_many(["b:1:two", "b:9:none", "x:ar|سوريا"]) == [[["b", 2.0]], None, {"s": {"c": [3.0, None]}}]
    assert lists["b:0:one"] == [["a", 1.0]]
    monkeypatch.setattr(faust, "current_event", lambda: None)
    assert table.data["x:ar|سوريا"] == {"s": {"c": [3.0, None]}}  # Faust's own read, from any partition
    assert lists.get_many(["b:0:one", "b:9:none"]) == [[["a", 1.0]], None]

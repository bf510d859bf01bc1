"""Dedup verdicts: exact copies, near-copies, stories, replay safety and the time-to-live."""

from __future__ import annotations

from streams.dedup.index import DedupConfig, DedupIndex
from streams.parsing import RawMeta, parse_payload
from streams.record import Article

WIRE = (
    "The foreign ministers of the two countries met on Tuesday in the capital to discuss border security, "
    "trade through the reopened crossings and the voluntary return of refugees, according to a joint "
    "statement issued after the talks. Both sides agreed to form a technical committee that will meet "
    "every month and report to the ministers, and to restore direct flights between the capitals before "
    "the end of the year. The statement said the talks were held in a positive atmosphere and that the "
    "next round would take place in the other capital early next year."
)


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


def test_old_entries_expire() -> None:
    index = DedupIndex({}, DedupConfig(ttl_seconds=3600))
    index.check(article("Ministers meet", WIRE, "https://a.example/1", offset=1, day="2026-11-01"))
    later = article("Ministers meet", WIRE, "https://a.example/1", offset=2, day="2026-11-20")
    assert not index.check(later).duplicate

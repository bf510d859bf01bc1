"""Article ids come from provenance (URL, the source's own id, the message key, the source), never from the
text alone: the same text from two sources is two articles, each under its own id, the later one a duplicate
of the earlier; the same message fetched or replayed again keeps its id. The offline commands give one output
line per input line, carrying that input's id."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import orjson
import pytest

from streams.cli import _classify, _dedup
from streams.headers import HEADER_CONTENT_TYPE, HEADER_SOURCE
from streams.settings import Settings
from streams.stages.dedup.index import DedupIndex
from streams.stages.parsing import RawMeta, parse_payload
from streams.stages.pipeline import meta_from_headers
from streams.stages.record import Article, article_id
from streams.stages.textnorm import fold

WIRE_TITLE = "Foreign ministers agree on a monthly border committee"
WIRE = (
    "The foreign ministers of the two neighbouring countries agreed on Tuesday to form a technical committee "
    "that will meet every month to review crossings, trade and the return of refugees, according to a joint "
    "statement. Both delegations described the talks as constructive and said the next round would be held "
    "in the other capital before the end of the year."
)
OTHER = (
    "Heavy rain flooded several neighbourhoods of the coastal city overnight, and civil defence teams "
    "evacuated dozens of families from low-lying streets. Schools will stay closed on Wednesday."
)


def json_item(meta: RawMeta | None = None, **fields: object) -> Article:
    (article,) = parse_payload(orjson.dumps(fields), meta or RawMeta(content_type="application/json"))
    return article


def text_item(text: str, source: str | None, key: bytes | None = None) -> Article:
    headers = {HEADER_CONTENT_TYPE: b"text/plain"}
    if source is not None:
        headers[HEADER_SOURCE] = source.encode()
    (article,) = parse_payload(text.encode(), meta_from_headers(headers, key))
    return article


def checked(index: DedupIndex, article: Article, offset: int) -> dict[str, object]:
    article.fetched_at = "2026-11-20T10:00:00.000Z"
    article.origin.update(topic="raw", partition=0, offset=offset, item=0)
    return index.check(article).as_dict()


# ---------------------------------------------------------------------------------------------- ids


def test_json_items_with_their_own_ids_and_no_url_keep_apart() -> None:
    first = json_item(id="wire-1", source="Levant Wire", title=WIRE_TITLE, body=WIRE)
    second = json_item(id="daily-77", source="Coast Daily", title=WIRE_TITLE, body=WIRE)
    assert first.fingerprints["content"] == second.fingerprints["content"]
    assert first.id != second.id
    assert (first.origin["given_id"], second.origin["given_id"]) == ("wire-1", "daily-77")
    assert json_item(id="wire-1", source="Levant Wire", title=WIRE_TITLE, body=WIRE).id == first.id


def test_one_id_in_two_sources_is_two_articles_and_an_edit_keeps_the_id() -> None:
    first = json_item(id="1", source="Levant Wire", title=WIRE_TITLE, body=WIRE)
    assert json_item(id="1", source="Coast Daily", title=WIRE_TITLE, body=WIRE).id != first.id
    corrected = json_item(id="1", source="Levant Wire", title=WIRE_TITLE, body=WIRE + " Corrected.")
    assert corrected.id == first.id  # the source's id names the item, whatever its text becomes


def test_an_id_with_no_source_is_qualified_by_the_text() -> None:
    one = json_item(id="1", title=WIRE_TITLE, body=WIRE)
    assert json_item(id="1", title="Floods hit the coast", body=OTHER).id != one.id
    assert json_item(id="1", title=WIRE_TITLE, body=WIRE).id == one.id
    assert json_item(id="2", title=WIRE_TITLE, body=WIRE).id != one.id


def test_the_canonical_url_comes_first() -> None:
    url = "https://levant-wire.example/2026/11/committee"
    first = json_item(id="a", source="Levant Wire", url=url + "?utm_source=feed", title=WIRE_TITLE, body=WIRE)
    second = json_item(id="b", source="Other", url=url, title="Updated headline", body=WIRE + " More.")
    assert first.id == second.id == article_id(url, "")


def test_scraped_text_from_two_outlets_keeps_apart() -> None:
    page = f"{WIRE_TITLE}\n\n{WIRE}\n"
    wire, daily = text_item(page, "levant-wire"), text_item(page, "coast-daily")
    assert wire.id != daily.id
    assert text_item(page, "levant-wire").id == wire.id  # fetched again: same id


def test_the_message_key_separates_messages_not_texts() -> None:
    page = f"{WIRE_TITLE}\n\n{WIRE}\n"
    keyed = text_item(page, "scraper", key=b"item-17")
    assert text_item(page, "scraper", key=b"item-17").id == keyed.id  # the same message again
    assert text_item(page, "scraper", key=b"item-18").id != keyed.id  # another message of the same text
    assert text_item(page, "scraper").id != keyed.id
    # a producer keying every line of a file alike: different texts still get different ids
    assert text_item(f"Floods hit the coast\n\n{OTHER}\n", "scraper", key=b"item-17").id != keyed.id
    assert meta_from_headers({}, b"\xff\x00k").key == "hex:ff006b"
    assert meta_from_headers({}, None).key is None


def test_feed_guids_name_items_without_links() -> None:
    items = "".join(
        f"<item><guid isPermaLink='false'>{guid}</guid><title>{WIRE_TITLE}</title>"
        f"<description>{WIRE}</description></item>"
        for guid in ("urn:wire:1", "urn:wire:2")
    )
    feed = f"<?xml version='1.0'?><rss version='2.0'><channel><title>Levant Wire</title>{items}</channel></rss>"
    first, second = parse_payload(feed.encode(), RawMeta(content_type="application/rss+xml"))
    assert first.id != second.id
    assert first.fingerprints["content"] == second.fingerprints["content"]
    again = parse_payload(feed.encode(), RawMeta(content_type="application/rss+xml"))
    assert [a.id for a in again] == [first.id, second.id]


def test_an_item_with_nothing_but_its_text_has_the_id_of_its_content() -> None:
    article = json_item(title=WIRE_TITLE, body=WIRE)
    basis = "content:" + fold(WIRE_TITLE + "\n" + WIRE)
    assert article.id == hashlib.blake2b(basis.encode(), digest_size=12).hexdigest()


# ---------------------------------------------------------------------------------------------- dedup


def test_the_later_copy_is_a_duplicate_under_its_own_id_and_redelivery_keeps_verdicts() -> None:
    index = DedupIndex({})
    first = json_item(id="wire-1", source="Levant Wire", title=WIRE_TITLE, body=WIRE)
    copy = json_item(id="daily-77", source="Coast Daily", title=WIRE_TITLE, body=WIRE)
    assert first.id != copy.id
    v1 = checked(index, first, offset=1)
    v2 = checked(index, copy, offset=2)
    assert (v1["duplicate"], v1["dup_of"], v1["story"]) == (False, None, first.id)
    assert (v2["duplicate"], v2["dup_of"], v2["kind"], v2["story"]) == (True, first.id, "content", first.id)
    assert copy.id != v2["dup_of"]
    # redelivered (same id, same raw message): the recorded verdicts, the original never a copy of itself
    assert checked(index, copy, offset=2) == v2
    assert checked(index, first, offset=1) == v1
    # the first item published again (same id, another raw message): a duplicate of its first copy
    again = checked(index, json_item(id="wire-1", source="Levant Wire", title=WIRE_TITLE, body=WIRE), offset=3)
    assert (again["duplicate"], again["dup_of"]) == (True, first.id)


def test_scraped_copies_from_two_outlets_both_come_out() -> None:
    index = DedupIndex({})
    page = f"{WIRE_TITLE}\n\n{WIRE}\n"
    wire, daily = text_item(page, "levant-wire"), text_item(page, "coast-daily")
    assert not checked(index, wire, offset=1)["duplicate"]
    verdict = checked(index, daily, offset=2)
    assert (verdict["duplicate"], verdict["dup_of"], verdict["kind"]) == (True, wire.id, "content")


# ---------------------------------------------------------------------------------------------- offline


def _lines(rows: list[dict[str, object] | bytes]) -> bytes:
    return b"".join((row if isinstance(row, bytes) else orjson.dumps(row)) + b"\n" for row in rows)


ROWS: list[dict[str, object] | bytes] = [
    {"id": "w-1", "source": "Levant Wire", "title": WIRE_TITLE, "body": WIRE},
    {"id": "d-9", "source": "Coast Daily", "title": WIRE_TITLE, "body": WIRE},
    {"title": "Floods hit the coast", "body": OTHER},
    {"id": "junk-1", "title": "<<<", "body": "\u0000\u0000"},
    {"id": "u-1", "url": "https://levant-wire.example/a", "title": "Floods hit the coast", "body": OTHER},
    {"id": "u-2", "url": "https://levant-wire.example/a", "title": "Floods hit the coast", "body": OTHER},
    {"id": "w-1", "source": "Levant Wire", "title": WIRE_TITLE, "body": WIRE},
    b"{not json",
]


@pytest.fixture
def jsonl(tmp_path: Path) -> Path:
    path = tmp_path / "items.jsonl"
    path.write_bytes(_lines(ROWS))
    return path


def test_offline_dedup_gives_one_line_per_input_with_its_id(jsonl: Path) -> None:
    out = io.StringIO()
    assert _dedup(str(jsonl), Settings.from_env({}), out) == 0
    lines = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == len(ROWS)
    ids = [line["id"] for line in lines]
    assert ids[:2] == ["w-1", "d-9"]
    assert len(ids[2]) == 24  # no id given: the computed one
    assert ids[3:] == ["junk-1", "u-1", "u-2", "w-1", None]
    assert (lines[0]["duplicate"], lines[0]["dup_of"]) == (False, None)
    assert (lines[1]["duplicate"], lines[1]["dup_of"], lines[1]["kind"]) == (True, "w-1", "content")
    assert lines[2]["duplicate"] is False
    assert (lines[3]["reason"], lines[3]["input"]) == ("no_text", "items.jsonl:4")
    assert (lines[4]["duplicate"], lines[4]["dup_of"]) == (True, ids[2])  # the same text, earlier, no id
    assert (lines[5]["duplicate"], lines[5]["dup_of"], lines[5]["kind"]) == (True, "u-1", "url")  # one URL
    assert (lines[6]["duplicate"], lines[6]["dup_of"]) == (True, "w-1")  # the input repeats w-1 itself
    assert lines[7]["reason"] == "bad_json"


def test_offline_classify_gives_one_line_per_input_with_its_id(jsonl: Path) -> None:
    out = io.StringIO()
    assert _classify([str(jsonl)], None, False, out) == 0
    lines = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == len(ROWS)
    assert [line["id"] for line in lines[:2]] == ["w-1", "d-9"]
    assert len(lines[2]["id"]) == 24
    assert [line["id"] for line in lines[3:]] == ["junk-1", "u-1", "u-2", "w-1", None]
    assert lines[3]["reason"] == "no_text"
    assert all("route" in line for i, line in enumerate(lines) if i not in (3, 7))

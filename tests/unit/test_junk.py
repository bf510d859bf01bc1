"""Junk never becomes an article: a title and body with no letter or digit are refused with ``no_text``, and
control characters never reach a record field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest

from streams.errors import ParseError
from streams.stages.parsing import RawMeta, parse_payload
from streams.stages.pipeline import classify_article
from streams.stages.record import clean_text
from streams.stages.routing import load_rules

SCHEMA = orjson.loads((Path(__file__).resolve().parents[2] / "streams/schema/article.schema.json").read_bytes())
BODY = "The envoy met the foreign minister in the capital on Monday to discuss the next round of talks."


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [
        ("!!! ??? ### «» — … ☺☻♥♦".encode(), "text/plain"),  # decodes to symbols only
        (b"<<<", None),
        (b"<<<\n>>>\n***", "text/plain"),
        (b"\x01\x02 \x03\x1b[;", "text/plain"),
        (b'{"title": "<<<"}', "application/json"),
        (b'{"title": "<<<", "body": "--- *** ---"}', "application/json"),
        (b'{"id": "x1", "title": "\\u0000\\u0000\\u0000"}', "application/json"),
        (b'{"title": "\\u0007\\u0085", "body": "\\u009b\\u001b"}', "application/json"),
        (b'{"title": "\\u0000"}\n{"title": "<<<"}\n', "application/x-ndjson"),
        ("<html><body><article><p>*** — ***</p></article></body></html>".encode(), "text/html"),
    ],
)
def test_text_without_letters_or_digits_is_refused(payload: bytes, content_type: str | None) -> None:
    with pytest.raises(ParseError) as info:
        parse_payload(payload, RawMeta(content_type=content_type))
    assert info.value.reason == "no_text"


@pytest.mark.parametrize("payload", [b"{}", b'{"id": "x"}', b'{"url": "https://x.example/a"}', b'{"title": ""}'])
def test_an_item_with_no_text_is_a_dead_letter_with_a_reason(payload: bytes) -> None:
    with pytest.raises(ParseError) as info:
        parse_payload(payload, RawMeta(content_type="application/json"))
    assert info.value.reason == "not_an_article"


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _controls(text: str) -> set[str]:
    return {ch for ch in text if (ord(ch) < 0x20 and ch not in "\n\t") or 0x7F <= ord(ch) < 0xA0}


def test_control_characters_are_stripped_from_every_field() -> None:
    item = {
        "id": "c\u00001",
        "title": "Envoy\u0000 meets\u0007 the minister\u0085",
        "body": f"\u001b[31m{BODY}\u001b[0m\r\nSecond\u009b paragraph.\u0000",
        "url": "https://levant-wire.example/a\u0000b",
        "author": "Staff\u0008 writer",
        "source": "Levant\u0000 Wire",
        "published": "2026-11-20T10:00:00Z\u0000",
    }
    meta = RawMeta(content_type="application/json", feed="wire\u0001", source="poller\u0002", key="k\u0000")
    (article,) = parse_payload(orjson.dumps(item), meta)
    assert article.title == "Envoy meets the minister"
    assert article.body == f"[31m{BODY}[0m\nSecond paragraph."
    assert article.url == "https://levant-wire.example/ab"
    assert (article.byline, article.source.name, article.source.feed) == ("Staff writer", "Levant Wire", "wire")
    assert article.origin["given_id"] == "c1"
    assert article.published == "2026-11-20T10:00:00.000Z"
    classify_article(article, load_rules())
    article.dedup = {"duplicate": False, "dup_of": None, "kind": None, "similarity": 0.0, "story": article.id}
    record = orjson.loads(article.dumps())
    bad = {s for s in _strings(record) if _controls(s)}
    assert not bad, bad
    jsonschema.validate(record, SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**record, "title": "a\u0000b"}, SCHEMA)


def test_scraped_text_with_controls_keeps_its_lines() -> None:
    text = f"Envoy meets the minister\r\n\u0001\r\n{BODY}\r\nSecond\u0007 paragraph of the report.\r\n"
    (article,) = parse_payload(text.encode(), RawMeta(content_type="text/plain"))
    assert article.title == "Envoy meets the minister"
    assert article.body == f"{BODY}\nSecond paragraph of the report."
    (page,) = parse_payload(f"<html><body><article><h1>Envoy</h1><p>{BODY}\u0007</p></article></body></html>".encode())
    assert "\u0007" not in page.body


def test_a_feed_drops_its_junk_items_and_keeps_the_others() -> None:
    feed = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Wire</title>"
        "<item><title>&lt;&lt;&lt;</title><description>***</description><guid>g1</guid></item>"
        f"<item><title>Envoy meets the minister</title><description>{BODY}</description><guid>g2</guid></item>"
        "</channel></rss>"
    )
    (article,) = parse_payload(feed.encode(), RawMeta(content_type="application/rss+xml"))
    assert article.title == "Envoy meets the minister"
    only_junk = feed.replace("Envoy meets the minister", "~~~").replace(BODY, "...")
    with pytest.raises(ParseError) as info:
        parse_payload(only_junk.encode(), RawMeta(content_type="application/rss+xml"))
    assert info.value.reason == "empty_feed"


def test_clean_text() -> None:
    assert clean_text("a\u0000b\tc\nd\r\ne\rf\u007f\u0080\u009fg") == "ab\tc\nd\ne\nfg"
    assert clean_text("سوريا\u200c ok") == "سوريا\u200c ok"  # format characters (ZWNJ) are text

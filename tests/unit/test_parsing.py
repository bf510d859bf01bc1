"""Parsing: every format, the seed, the shared feeds, encodings, dates, URLs and bad input."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from streams.errors import ParseError
from streams.stages.parsing import RawMeta, parse_payload, sniff_format
from streams.stages.parsing.dates import parse_date
from streams.stages.parsing.urls import canonical_url

# items per shared feed file, counted by hand from the files
FEED_ITEMS = {
    "feedrs__rss_2.0_ilgiornale.xml": 1,
    "feedrs__rss_2.0_ilmessaggero.xml": 1,
    "feedrs__rss_2.0_nbcny.xml": 1,
    "feedrs__rss_2.0_spiegel.xml": 1,
    "prettyparser__aljazeera.xml": 50,
    "prettyparser__caravan.xml": 10,
    "prettyparser__cnet.xml": 25,
    "prettyparser__mashable.xml": 30,
    "prettyparser__new_yorker.xml": 10,
    "prettyparser__sci_am.xml": 25,
    "rssparser__encoding.rss": 40,
    "rssparser__guardian.rss": 55,
    "rssparser__heise.atom": 15,
    "rssparser__uolNoticias.rss": 15,
}


def test_seed_parses_as_one_clean_arabic_article(seed_bytes: bytes) -> None:
    (article,) = parse_payload(seed_bytes, RawMeta(content_type="text/plain"))
    assert article.lang == "ar"
    assert article.format == "text"
    assert not article.title.endswith("9000!")
    assert "It's Over" not in article.title
    assert article.source.name == "بلدي نيوز"
    assert len(article.related) == 6
    assert all(headline not in article.body for headline in article.related)
    assert "مقالات ذات صلة" not in article.body
    assert article.body.count("\n") >= 10  # paragraphs kept
    assert article.published_estimated is True  # no date in the text: fetch time stands in


@pytest.mark.parametrize(("name", "items"), sorted(FEED_ITEMS.items()))
def test_shared_feeds_parse_with_their_item_counts(shared_data: Path, name: str, items: int) -> None:
    articles = parse_payload((shared_data / "dev" / "feeds" / name).read_bytes())
    assert len(articles) == items
    assert all(a.title for a in articles)
    assert articles[0].format in {"rss", "atom"}


def _oracle(raw: bytes) -> list[tuple[str, str | None]]:
    """(title, date text) per item, read with the standard library's XML parser: an independent reading."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(raw)
    except ET.ParseError:  # undeclared Latin-1 (one of the shared feeds): decode it the way its server meant
        root = ET.fromstring(raw.decode("latin-1"))
    items = []
    for node in root.iter():
        tag = node.tag.rsplit("}", 1)[-1]
        if tag not in {"item", "entry"}:
            continue
        title, date = "", None
        for child in node:
            name = child.tag.rsplit("}", 1)[-1]
            if name == "title":
                title = "".join(child.itertext())
            elif name in {"pubDate", "published", "date"} or (name == "updated" and date is None):
                date = (child.text or "").strip() or date
        items.append((" ".join(title.split()), date))
    return items


@pytest.mark.parametrize("name", sorted(FEED_ITEMS))
def test_feed_titles_and_dates_match_an_independent_reading(shared_data: Path, name: str) -> None:
    import html

    from streams.stages.parsing.dates import parse_date

    raw = (shared_data / "dev" / "feeds" / name).read_bytes()
    ours = parse_payload(raw)
    theirs = _oracle(raw)
    assert len(ours) == len(theirs)
    for article, (title, date_text) in zip(ours, theirs, strict=True):
        expected = " ".join(html.unescape(title).split())
        if "<" not in expected:  # titles that carry markup are compared as text only in our output
            assert article.title == expected
        expected_date = parse_date(date_text)
        if expected_date is not None:
            assert not article.published_estimated, name
            assert article.published.startswith(expected_date.strftime("%Y-%m-%dT%H:%M")), name
        else:
            assert article.published_estimated, name


def test_dev_items_parse_as_json(shared_data: Path) -> None:
    lines = (shared_data / "dev" / "labelled.jsonl").read_bytes().splitlines()
    for line in lines:
        (article,) = parse_payload(line, RawMeta(content_type="application/json"))
        assert article.origin["given_id"] == orjson.loads(line)["id"]
        assert article.body


def test_samples_all_formats(samples_dir: Path) -> None:
    html = parse_payload((samples_dir / "envoy-visit.html").read_bytes())
    assert html[0].format == "html"
    assert html[0].canonical_url == "https://crescent-post.example/world/un-envoy-damascus-visit"
    assert html[0].published.startswith("2026-11-20T07:30")
    assert "cookie" not in html[0].body.lower()
    api = parse_payload((samples_dir / "api-articles.json").read_bytes())
    assert len(api) == 4
    assert all("[+" not in a.body for a in api)
    atom = parse_payload((samples_dir / "arabic-news.atom").read_bytes())
    assert len(atom) == 5
    assert {a.lang for a in atom} == {"ar"}
    jsonl = parse_payload((samples_dir / "local-news.jsonl").read_bytes())
    assert len(jsonl) == 4
    assert jsonl[0].id == jsonl[1].id  # the exact re-send has the same stable id


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty"),
        (b"   \n ", "empty"),
        (b'{"title": "cut', "bad_json"),
        (b"\x00\x01\x02binary\x00", "binary"),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]>'
            b"<rss><channel><item><title>&a;</title></item></channel></rss>",
            "xml_entities",
        ),
        (b"[1, 2, 3]", "not_an_article"),
        (b'{"foo": "bar"}', "not_an_article"),
        (b"x" * (9 * 1024 * 1024), "too_large"),
    ],
)
def test_bad_input_raises_parse_error_with_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_payload(payload)
    assert info.value.reason == reason


def test_encodings_declared_or_not() -> None:
    text = "وزير الخارجية يلتقي المبعوث الأممي في دمشق لبحث العملية السياسية"
    for encoding in ("utf-8", "utf-8-sig", "cp1256"):
        (article,) = parse_payload(text.encode(encoding), RawMeta(content_type="text/plain"))
        assert article.title == text, encoding
    mojibake = text.encode("utf-8").decode("latin-1").encode("utf-8")
    (article,) = parse_payload(mojibake, RawMeta(content_type="text/plain"))
    assert article.title == text


def test_sniffing() -> None:
    assert sniff_format(b'{"a": 1}') == "json"
    assert sniff_format(b'{"a": 1}\n{"a": 2}\n') == "jsonl"
    assert sniff_format(b"<?xml version='1.0'?><rss>") == "feed"
    assert sniff_format(b"<!DOCTYPE html><html>") == "html"
    assert sniff_format(b"plain words") == "text"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mon, 11 Nov 2024 10:00:00 +0300", "2024-11-11T07:00:00+00:00"),
        ("2024-11-11T10:00:00+03:00", "2024-11-11T07:00:00+00:00"),
        ("2024-11-11T07:00:00Z", "2024-11-11T07:00:00+00:00"),
        ("11 تشرين الثاني 2024", "2024-11-11T00:00:00+00:00"),
        ("١١ نوفمبر ٢٠٢٤", "2024-11-11T00:00:00+00:00"),
        ("3 كانون الثاني 2025 الساعة 14:30", "2025-01-03T14:30:00+00:00"),
    ],
)
def test_dates_to_utc(value: str, expected: str) -> None:
    parsed = parse_date(value)
    assert parsed is not None
    assert parsed.isoformat() == expected


def test_canonical_urls() -> None:
    assert canonical_url("https://www.example.com/a/?utm_source=x&fbclid=y&id=3#top") == (
        "https://www.example.com/a?id=3"
    )
    assert canonical_url("http://m.example.com/news/story/amp") == "https://example.com/news/story"
    assert canonical_url("ftp://example.com/x") is None
    assert canonical_url(None) is None

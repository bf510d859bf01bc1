"""Raw payloads (RSS/Atom, HTML, JSON, JSON Lines, scraped text) to article records.

:func:`parse_payload` is the parse stage: pure, no Kafka. It returns one article per item (a feed or a JSON
list holds many) or raises :class:`~streams.errors.ParseError` with a short ``reason``; nothing else escapes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson

from streams.errors import ParseError
from streams.stages.parsing.dates import parse_date
from streams.stages.parsing.draft import Draft
from streams.stages.parsing.encoding import decode
from streams.stages.parsing.feeds import parse_feed
from streams.stages.parsing.jsonapi import drafts_from_json
from streams.stages.parsing.langid import detect_language
from streams.stages.parsing.pages import parse_html
from streams.stages.parsing.scraped import parse_scraped_text
from streams.stages.parsing.urls import canonical_url, domain_of
from streams.stages.record import Article, Source, article_id, clean_text, iso_utc
from streams.stages.textnorm import fold

__all__ = ["MAX_PAYLOAD_BYTES", "RawMeta", "parse_payload", "sniff_format"]

MAX_PAYLOAD_BYTES = 8 * 1024 * 1024
MAX_TITLE_CHARS = 1_000
MAX_BODY_CHARS = 200_000
_XML_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_FEED_ROOT = re.compile(rb"<(rss|feed|rdf:rdf|channel)[\s>]", re.IGNORECASE)
_HTML_ROOT = re.compile(rb"<(!doctype\s+html|html|head|body|article)[\s>]", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RawMeta:
    """What travels with a raw payload (Kafka headers, or a file's name when producing)."""

    content_type: str | None = None
    source: str | None = None
    feed: str | None = None
    url: str | None = None
    lang_hint: str | None = None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    key: str | None = None  # the Kafka message key, when the producer set one: part of a URL-less item's id


def sniff_format(payload: bytes, content_type: str | None = None) -> str:
    """``json``, ``jsonl``, ``feed``, ``html`` or ``text``: from the content type, else from the bytes."""
    head = payload[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    ct = (content_type or "").lower()
    if "json" in ct:
        return "jsonl" if "jsonl" in ct or "ndjson" in ct or _is_jsonl(payload) else "json"
    if any(word in ct for word in ("rss", "atom", "xml")) and not _HTML_ROOT.search(head[:512]):
        return "feed"
    if "html" in ct:
        return "html"
    if ct.startswith("text/plain"):
        return "text"
    if head[:1] in (b"{", b"["):
        return "jsonl" if _is_jsonl(payload) else "json"
    if head[:1] == b"<":
        if _FEED_ROOT.search(head):
            return "feed"
        if _HTML_ROOT.search(head):
            return "html"
        if head.startswith(b"<?xml"):
            return "feed"
    return "text"


def _is_jsonl(payload: bytes) -> bool:
    lines = [line for line in payload.strip().splitlines()[:3] if line.strip()]
    return len(lines) > 1 and all(line.lstrip()[:1] == b"{" for line in lines)


def parse_payload(payload: bytes, meta: RawMeta | None = None, *, extract: str = "auto") -> list[Article]:
    """Parse one raw payload into articles. Raises :class:`ParseError` (with ``reason``) and nothing else.
    ``extract`` chooses how an HTML page's main text is read (:func:`~streams.stages.parsing.pages.parse_html`)."""
    meta = meta or RawMeta()
    if not payload or not payload.strip():
        raise ParseError("empty payload", reason="empty")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ParseError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}", reason="too_large")
    try:
        drafts = _drafts(payload, meta, extract)
        return [_finish(draft, meta) for draft in drafts]
    except ParseError:
        raise
    except RecursionError:
        raise ParseError("input nests too deeply", reason="too_deep") from None
    except Exception as exc:  # a library failing on hostile input is still bad input, not a crash
        raise ParseError(f"{type(exc).__name__}: {exc}"[:300], reason="parser_failure") from exc


def _drafts(payload: bytes, meta: RawMeta, extract: str = "auto") -> list[Draft]:
    kind = sniff_format(payload, meta.content_type)
    if b"\x00" in payload[:65536] and not payload.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ParseError("binary payload (NUL bytes)", reason="binary")
    if kind == "feed":
        if _XML_ENTITY_DECL.search(payload):  # anywhere: a declaration after padding is one all the same
            raise ParseError("XML with entity declarations is refused (entity expansion)", reason="xml_entities")
        return parse_feed(payload)
    if kind in {"json", "jsonl"}:
        text = decode(payload)
        if kind == "json":
            try:
                return drafts_from_json(orjson.loads(text))
            except orjson.JSONDecodeError:
                if not _is_jsonl(payload):
                    raise ParseError("payload is not valid JSON", reason="bad_json") from None
        drafts: list[Draft] = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    drafts.extend(drafts_from_json(orjson.loads(line)))
                except orjson.JSONDecodeError:
                    raise ParseError(f"line {number} is not valid JSON", reason="bad_json") from None
        return drafts
    text = clean_text(decode(payload))  # before the lines are read: a line of controls alone is an empty line
    if kind == "html":
        return [parse_html(text, meta.url, extract)]
    return [parse_scraped_text(text)]


def _finish(draft: Draft, meta: RawMeta) -> Article:
    """The article of one draft: control characters stripped from every field, the id from its provenance
    (:func:`~streams.stages.record.article_id`). A draft whose title and body hold no letter or digit (empty,
    symbols, control characters) is refused: it would be an article of the empty content key."""
    title = clean_text(draft.title).strip()[:MAX_TITLE_CHARS]
    body = clean_text(draft.body).strip()[:MAX_BODY_CHARS]
    content_key = fold(f"{title}\n{body}")
    if not content_key:
        raise ParseError("the payload holds no text (no letter or digit in its title or body)", reason="no_text")
    url = _clean(draft.url) or _clean(meta.url)
    canonical = canonical_url(url)
    content_hash = hashlib.blake2b(content_key.encode("utf-8"), digest_size=12).hexdigest()
    source_name = _clean(draft.source_name) or _clean(meta.source)
    feed = _clean(meta.feed)
    lang, confidence = detect_language(f"{title}. {body[:500]}", hint=_clean(draft.lang) or _clean(meta.lang_hint))
    published_at = parse_date(_clean(draft.published))
    fetched = iso_utc(meta.fetched_at)
    given_id = _clean(draft.given_id)
    return Article(
        id=article_id(
            canonical,
            content_key,
            source=_provenance(feed, _clean(meta.source), _clean(draft.source_name)),
            source_id=_clean(draft.source_id),
            message_key=_clean(meta.key),
        ),
        title=title,
        body=body,
        url=url,
        canonical_url=canonical,
        source=Source(name=source_name, domain=domain_of(canonical or url), feed=feed),
        lang=lang,
        lang_confidence=confidence,
        published=iso_utc(published_at) if published_at else fetched,
        published_estimated=published_at is None,
        fetched_at=fetched,
        byline=_clean(draft.byline),
        related=[line for line in (clean_text(r).strip() for r in draft.related) if line],
        format=draft.format,
        fingerprints={
            "content": content_hash,
            "url": hashlib.blake2b(canonical.encode(), digest_size=12).hexdigest() if canonical else None,
        },
        origin={"given_id": given_id} if given_id else {},
    )


def _clean(value: str | None) -> str | None:
    """A short field without control characters or surrounding space; None when nothing is left."""
    return (clean_text(value).strip() or None) if value else None


def _provenance(*names: str | None) -> str:
    """Where an item came from, for its id: the feed, the producer's source and the outlet it names, as far
    as known (each is the same for a message fetched or replayed again)."""
    return "\x1f".join(name or "" for name in names) if any(names) else ""

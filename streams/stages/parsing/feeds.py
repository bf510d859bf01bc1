"""RSS 0.9x/1.0/2.0 and Atom: fastfeedparser first, feedparser where the fast reading may differ from it.

feedparser handles every dialect and encoding we meet in the wild and was the only parser before; its
readings are the reference. fastfeedparser (lxml underneath, about 1/20 of the CPU) gives the same fields for
ordinary feeds; where it reads a feed differently, the fast path hands the feed to feedparser instead, so the
drafts are always what feedparser gives. Checked on the bytes, per feed, by counting elements in the items:

- not valid UTF-8: decoded here first (declared charset, else a guess: fastfeedparser would read undeclared
  ISO-8859-1 as UTF-8), the declaration dropped, and the text handed on as UTF-8 bytes (never as a string:
  fastfeedparser fetches a string that starts with ``http``);
- an item without a date element fastfeedparser could read (feedparser keeps the text, ``parse_date`` reads
  more: Portuguese weekday and month names), or a date fastfeedparser took from elsewhere (a guid);
- more author elements than bylines (feedparser keeps an item's last author, fastfeedparser its first);
- items without ``<link>``, or only some with a guid/id (feedparser's permalink guid rules, no made-up ids);
- the fast parser failing, or finding no item.

The channel's ``<language>`` (which fastfeedparser does not read) is read here from the channel's head.
docs/parsing.md has the comparison on the dev feeds.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime
from typing import Any

import fastfeedparser
import feedparser

from streams.errors import ParseError
from streams.stages.parsing.draft import Draft
from streams.stages.parsing.encoding import declared_charset, decode
from streams.stages.parsing.htmltext import html_to_text
from streams.stages.textnorm import fold

__all__ = ["parse_feed", "parse_feed_fast", "parse_feed_feedparser"]

_ROOT = re.compile(rb"<(rss|feed|rdf:rdf|channel)[\s>]", re.IGNORECASE)
_FIRST_ITEM = re.compile(rb"<(?:item|entry)[\s>]")
_DECLARED_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?)\s+encoding\s*=\s*["'][^"']*["']""")
_DECLARED_ENCODING_BYTES = re.compile(rb"""^(\s*<\?xml[^>]*?)\s+encoding\s*=\s*["'][^"']*["']""")
_CHANNEL_LANGUAGE = re.compile(rb"<(?:dc:)?language>\s*([^<\s]+)\s*</", re.IGNORECASE)
_DATE_TAG = re.compile(
    rb"<(?:pubDate|dc:date|dcterms:created|dcterms:issued|dcterms:modified|published|updated|issued|modified|created)[\s>]"
)
# author elements with something in them (``<dc:creator />`` is no byline for either parser)
_AUTHOR_TAG = re.compile(rb"<(author|dc:creator|dc:author|itunes:author)(?:\s[^>]*)?(?<!/)>(?!\s*</\1>)")
_LINK_TAG = re.compile(rb"<link[\s>/]")
_RSS_GUID_TAG = re.compile(rb"<guid[\s>]")
_ATOM_ID_TAG = re.compile(rb"<id[\s>]")


def parse_feed(payload: bytes) -> list[Draft]:
    """One draft per feed item; a feed with no readable item is a :class:`ParseError`."""
    drafts = parse_feed_fast(payload)
    return drafts if drafts is not None else parse_feed_feedparser(payload)


def parse_feed_fast(payload: bytes) -> list[Draft] | None:
    """The drafts from fastfeedparser, or None where its reading may differ from feedparser's."""
    data = _utf8(payload)
    if data is None:
        return None
    try:
        parsed = fastfeedparser.parse(data, include_tags=False, include_media=False, include_enclosures=False)
    except Exception:  # malformed, HTML, anything it refuses: feedparser decides
        return None
    entries = parsed.get("entries") or []
    if not entries:
        return None
    root = _ROOT.search(data[:8192])
    first_item = _FIRST_ITEM.search(data)
    if root is None or first_item is None:
        return None
    items = data[first_item.start() :]
    atom = root.group(1).lower() == b"feed"
    ids = _ATOM_ID_TAG if atom else _RSS_GUID_TAG
    if not _same_reading(entries, items, ids):
        return None
    feed = parsed.get("feed") or {}
    feed_title = str(feed.get("title") or "") or None
    language = str(feed.get("language") or "")
    if not language:
        found = _CHANNEL_LANGUAGE.search(data[: first_item.start()])
        language = found.group(1).decode("utf-8", "replace") if found else ""
    with_ids = ids.search(items) is not None
    drafts = []
    for entry in entries:
        title = html_to_text(str(entry.get("title") or ""))
        contents = entry.get("content") or []
        body = _body([str(c.get("value") or "") for c in contents], str(entry.get("description") or ""))
        if not fold(f"{title}\n{body}"):  # no letters or digits (empty, or symbols only): not an article
            continue
        drafts.append(
            Draft(
                title=title,
                body=body,
                format="atom" if atom else "rss",
                url=str(entry.get("link") or "") or None,
                published=str(entry.get("published") or entry.get("updated") or "") or None,
                byline=str(entry.get("author") or "") or None,
                source_name=feed_title,
                lang=language.split("-")[0].lower() or None,
                source_id=(str(entry.get("id") or "").strip() or None) if with_ids else None,
            )
        )
    if not drafts:
        return None
    return drafts


def _utf8(payload: bytes) -> bytes | None:
    """The feed as UTF-8 bytes fastfeedparser reads as meant: valid UTF-8 as it is (a declaration of another
    charset dropped); anything else decoded here (``decode``: declared charset, else a guess), its declaration
    dropped. None when it does not decode."""
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:  # UTF-8 whatever the declaration says (as feedparser and ``decode`` read it): drop a contrary one
        declared = declared_charset(payload[:1024])
        if declared in (None, "utf-8"):
            return payload
        head = _DECLARED_ENCODING_BYTES.sub(rb"\1", payload[:1024], count=1)
        return head + payload[1024:]
    try:
        text = decode(payload)
    except ParseError:
        return None
    return _DECLARED_ENCODING.sub(r"\1", text[:1024], count=1).encode("utf-8") + text[1024:].encode("utf-8")


def _same_reading(entries: list[Any], items: bytes, ids: re.Pattern[bytes]) -> bool:
    """Whether feedparser would read the same dates, bylines, links and ids, judged by counting the item
    elements each comes from (see the module's notes)."""
    count = len(entries)
    dated = sum(1 for e in entries if e.get("published") or e.get("updated"))
    date_tags = len(_DATE_TAG.findall(items))
    if (dated < count and date_tags) or dated > date_tags:
        return False
    if len(_AUTHOR_TAG.findall(items)) != sum(1 for e in entries if e.get("author")):
        return False
    if len(_LINK_TAG.findall(items)) < count:
        return False
    id_tags = len(ids.findall(items))
    return id_tags in (0, count)


def _body(contents: list[str], summary: str) -> str:
    best = max(contents, key=len, default="")
    return html_to_text(best if len(best) >= len(summary) else summary)


def parse_feed_feedparser(payload: bytes) -> list[Draft]:
    """The drafts from feedparser (the reference reading, and the fallback)."""
    parsed = feedparser.parse(payload, sanitize_html=True, resolve_relative_uris=False)
    version = str(parsed.get("version") or "")
    entries = parsed.get("entries") or []
    if not entries:
        detail = parsed.get("bozo_exception")
        raise ParseError(f"feed has no items{f' ({detail})' if detail else ''}", reason="empty_feed")
    feed_format = "atom" if version.startswith("atom") else "rss"
    feed_title = str(parsed.get("feed", {}).get("title") or "") or None
    feed_lang = str(parsed.get("feed", {}).get("language") or "") or None
    drafts = []
    for entry in entries:
        title = html_to_text(str(entry.get("title") or ""))
        body = _entry_body(entry)
        if not fold(f"{title}\n{body}"):  # no letters or digits (empty, or symbols only): not an article
            continue
        drafts.append(
            Draft(
                title=title,
                body=body,
                format=feed_format,
                url=str(entry.get("link") or "") or None,
                published=_entry_date(entry),
                byline=str(entry.get("author") or "") or None,
                source_name=feed_title,
                lang=(feed_lang or "").split("-")[0].lower() or None,
                source_id=str(dict.get(entry, "id") or "").strip() or None,  # RSS guid, Atom id
            )
        )
    if not drafts:
        raise ParseError("feed items have neither title nor text", reason="empty_feed")
    return drafts


def _entry_body(entry: Any) -> str:
    contents = entry.get("content") or []
    return _body([str(c.get("value") or "") for c in contents], str(entry.get("summary") or ""))


def _entry_date(entry: Any) -> str | None:
    # dict.get, not entry.get: feedparser's own get maps missing keys with a DeprecationWarning
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = dict.get(entry, key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), UTC).isoformat()
    for key in ("published", "updated", "created", "dc_date"):
        if dict.get(entry, key):
            return str(dict.get(entry, key))
    return None

"""RSS 0.9x/1.0/2.0 and Atom, via feedparser (it handles every dialect and encoding we meet in the wild)."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any

import feedparser

from streams.errors import ParseError
from streams.stages.parsing.draft import Draft
from streams.stages.parsing.htmltext import html_to_text
from streams.stages.textnorm import fold

__all__ = ["parse_feed"]


def parse_feed(payload: bytes) -> list[Draft]:
    """One draft per feed item; a feed with no readable item is a :class:`ParseError`."""
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
    best = max((str(c.get("value") or "") for c in contents), key=len, default="")
    summary = str(entry.get("summary") or "")
    return html_to_text(best if len(best) >= len(summary) else summary)


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

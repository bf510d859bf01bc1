"""A fetched feed, split into one raw message per item: each article travels alone through the pipeline.

An item becomes a small JSON object (title, summary, content, link, published, author, guid) that the parse
stage reads like any API article. Its ``key`` (guid, else link, else title and date) identifies it across
polls, so the poller publishes each item once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import feedparser
import orjson

from streams.errors import ParseError

__all__ = ["FeedItem", "split_feed"]

MAX_ITEMS = 500


@dataclass(frozen=True, slots=True)
class FeedItem:
    key: str  # stable identity of the item within its feed
    payload: bytes  # JSON for news.raw


def split_feed(body: bytes, feed_name: str) -> list[FeedItem]:
    if b"<!ENTITY" in body[:65536].upper():
        raise ParseError("feed declares XML entities (refused)", reason="xml_entities")
    parsed = feedparser.parse(body, sanitize_html=True, resolve_relative_uris=False)
    entries = parsed.get("entries") or []
    if not entries:
        raise ParseError(f"feed {feed_name} has no items", reason="empty_feed")
    feed_title = str(dict.get(parsed.get("feed", {}), "title") or "") or None
    items: list[FeedItem] = []
    for entry in entries[:MAX_ITEMS]:
        record = _record(entry, feed_title)
        if not record["title"] and not record["body"]:
            continue
        items.append(FeedItem(_identity(record), orjson.dumps(record)))
    return items


def _get(entry: Any, key: str) -> str:
    value = dict.get(entry, key)  # not entry.get: feedparser maps missing keys with a warning
    return str(value) if value else ""


def _record(entry: Any, feed_title: str | None) -> dict[str, Any]:
    contents = dict.get(entry, "content") or []
    content = max((str(c.get("value") or "") for c in contents), key=len, default="")
    summary = _get(entry, "summary")
    return {
        "guid": _get(entry, "id") or None,
        "title": _get(entry, "title"),
        "body": content if len(content) >= len(summary) else summary,
        "url": _get(entry, "link") or None,
        "published": _get(entry, "published") or _get(entry, "updated") or None,
        "author": _get(entry, "author") or None,
        "source": feed_title,
    }


def _identity(record: dict[str, Any]) -> str:
    basis = record["guid"] or record["url"] or f"{record['title']}|{record['published']}"
    return hashlib.blake2b(str(basis).encode(), digest_size=12).hexdigest()

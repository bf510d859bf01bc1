"""The one article record every stage reads and writes, serialised with orjson.

The wire format is documented by ``streams/schema/article.schema.json`` (a test validates records against it).
``schema_version`` changes only when a field changes meaning or disappears; new optional fields keep it.
Stages fill their own part: parse fills the article, tag fills ``tags``, dedup fills ``dedup``, route fills
``decision``. Everything is plain data: no stage needs another stage's classes to read a record.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from streams.errors import ParseError

__all__ = [
    "SCHEMA_VERSION",
    "Article",
    "Source",
    "article_id",
    "clean_text",
    "iso_utc",
]

SCHEMA_VERSION = 1


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, to the millisecond: the only time format on the wire."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# C0 and C1 control characters (NUL, escape, DEL, ...): never part of a text, often of a broken one.
# Newline and tab stay; a carriage return becomes a newline.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_US = "\x1f"  # joins the parts of an identity: controls are stripped from every part, so it never occurs in one


def clean_text(value: str) -> str:
    """``value`` without control characters (newline and tab kept; a carriage return becomes a newline)."""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub("", value)


def article_id(
    canonical_url: str | None,
    content_key: str,
    *,
    source: str = "",
    source_id: str | None = None,
    message_key: str | None = None,
) -> str:
    """A stable id from the article's provenance, first of:

    1. the canonical URL;
    2. the source's own id for the item (a feed guid, a JSON item's ``id``), qualified by the source;
    3. the Kafka message key, qualified by the source and the content key (a producer may key many
       messages alike, a file's name for each of its lines: the key tells messages apart, not texts);
    4. the source and the normalised content.

    ``source`` names where the item came from (feed, producer, outlet); with none, an id of the item's own
    is qualified by the content key too (ids like ``1`` from two unnamed producers must not meet). The same
    message fetched or replayed twice gets the same id, which is what makes outputs idempotent; the same text
    from two sources gets two ids (dedup, not the id, says that the later one is a copy). An article with none
    of URL, id, key and source has the id of its content alone.
    """
    if canonical_url:
        basis = f"url:{canonical_url}"
    elif source_id and source:
        basis = f"id:{source}{_US}{source_id}"
    elif source_id:
        basis = f"id:{_US}{source_id}{_US}{content_key}"
    elif message_key:
        basis = f"key:{source}{_US}{message_key}{_US}{content_key}"
    elif source:
        basis = f"content:{source}{_US}{content_key}"
    else:
        basis = f"content:{content_key}"
    return hashlib.blake2b(basis.encode("utf-8"), digest_size=12).hexdigest()


@dataclass(slots=True)
class Source:
    name: str | None = None
    domain: str | None = None
    feed: str | None = None


@dataclass(slots=True)
class Article:
    """One parsed article, plus what later stages add (``tags``, ``dedup``, ``decision``)."""

    id: str
    title: str
    body: str
    url: str | None = None
    canonical_url: str | None = None
    source: Source = field(default_factory=Source)
    lang: str = "und"
    lang_confidence: float = 0.0
    published: str | None = None
    published_estimated: bool = False
    fetched_at: str = ""
    byline: str | None = None
    related: list[str] = field(default_factory=list)
    format: str = "text"
    fingerprints: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, Any] = field(default_factory=dict)
    dedup: dict[str, Any] = field(default_factory=dict)
    decision: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def dumps(self) -> bytes:
        return orjson.dumps(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        if not isinstance(data, dict):
            raise ParseError("an article record must be a JSON object", reason="bad_record")
        version = data.get("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise ParseError(f"unsupported article schema_version {version!r}", reason="schema_version")
        try:
            values = dict(data)
            values["source"] = Source(**(values.get("source") or {}))
            return cls(**values)
        except TypeError as exc:
            raise ParseError(f"not an article record: {exc}", reason="bad_record") from None

    @classmethod
    def loads(cls, raw: bytes | str) -> Article:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"article record is not JSON: {exc}", reason="bad_record") from None
        return cls.from_dict(data)

    @property
    def text(self) -> str:
        """Title and body together, for matching."""
        return f"{self.title}\n{self.body}" if self.title else self.body

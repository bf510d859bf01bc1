"""The one article record every stage reads and writes, serialised with orjson.

The wire format is documented by ``streams/schema/article.schema.json`` (a test validates records against it).
``schema_version`` changes only when a field changes meaning or disappears; new optional fields keep it.
Stages fill their own part: parse fills the article, tag fills ``tags``, dedup fills ``dedup``, route fills
``decision``. Everything is plain data: no stage needs another stage's classes to read a record.
"""

from __future__ import annotations

import hashlib
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
    "iso_utc",
]

SCHEMA_VERSION = 1


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, to the millisecond: the only time format on the wire."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def article_id(canonical_url: str | None, content_key: str) -> str:
    """A stable id: from the canonical URL when there is one, else from the normalised content.

    The same article fetched twice (or replayed) gets the same id, which is what makes outputs idempotent.
    """
    basis = f"url:{canonical_url}" if canonical_url else f"content:{content_key}"
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

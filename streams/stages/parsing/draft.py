"""What a format parser hands on: the fields it found, before ids, language and fingerprints are added."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Draft"]


@dataclass(slots=True)
class Draft:
    title: str
    body: str
    format: str
    url: str | None = None
    published: str | None = None
    byline: str | None = None
    source_name: str | None = None
    related: list[str] = field(default_factory=list)
    lang: str | None = None
    given_id: str | None = None  # a JSON item's ``id``: what the offline commands show for it
    source_id: str | None = None  # the source's own id for the item (feed guid, JSON id or guid)

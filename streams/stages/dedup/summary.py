"""A story's summary as analysts read it on the stories topic, made from the story record in the dedup state.

The record (``storystep``) keeps its first report's headline, its report count per language and in all,
its outlets and member ids and URLs (capped), when its reports were fetched and published, and how many of
its reports took each route (counted when they joined, with the routing rules in force). The summary says
the same with plain names; times are ISO 8601 UTC. A story merged into another (two stories of one event,
gathered once a report showed it) is summarised as ``{"story", "merged_into", "last_seen"}``: its reports are
counted in the story it names.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

__all__ = ["dumps_summary", "iso_time", "merged_summary", "story_summary"]


def iso_time(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    return datetime.fromtimestamp(stamp, UTC).isoformat().replace("+00:00", "Z")


def story_summary(story: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """The summary of ``story`` from its stored record: counts in full, members and outlets as capped."""
    languages: dict[str, int] = record.get("L") or {}
    routes: dict[str, int] = record.get("r") or {}
    last = record.get("t")
    return {
        "story": story,
        "headline": record.get("h") or "",
        "reports": int(record.get("n") or 0),
        "languages": dict(sorted(languages.items(), key=lambda item: (-item[1], item[0]))),
        "outlets": list(record.get("o") or []),
        "first_seen": iso_time(record.get("s", last)),
        "last_seen": iso_time(last),
        "first_published": iso_time(record.get("f")),
        "last_published": iso_time(record.get("l")),
        "routes": dict(sorted(routes.items(), key=lambda item: (-item[1], item[0]))),
        "members": [{"id": i, "url": u} for i, u in zip(record.get("i") or [], record.get("u") or [], strict=False)],
    }


def merged_summary(story: str, into: str, now: float) -> dict[str, Any]:
    """What the stories topic says of a story merged into another: where its reports are now."""
    return {"story": story, "merged_into": into, "last_seen": iso_time(now)}


def dumps_summary(summary: Mapping[str, Any]) -> bytes:
    return orjson.dumps(summary)

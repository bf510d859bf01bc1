"""A story's summary as analysts read it on the stories topic, made from the story record in the dedup state.

The record (``storystep``) keeps its first report's headline, its report count per language and in all,
its outlets and member ids and URLs (capped), when its reports were fetched and published, and how many of
its reports took each route (counted when they joined, with the routing rules in force). The summary says
the same with plain names; times are ISO 8601 UTC.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from streams.stages.dedup.storystep import SUMMARY_MEMBERS, SUMMARY_OUTLETS

__all__ = ["dumps_summary", "group_summary", "iso_time", "story_summary"]


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


def group_summary(group: str, summaries: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The summary of a group of stories, one event in several languages (``links``), from its stories'
    summaries by language: named after the group (its first story), with that story's headline; counts added;
    outlets and members in the order their stories were first seen, capped as a story's; the widest times;
    and ``stories``, each language's story id (an article's ``dedup.story``)."""
    ordered = sorted(summaries.items(), key=lambda item: (item[1].get("first_seen") or "", item[1]["story"]))
    parts = [summary for _, summary in ordered]
    first = next((s for s in parts if s["story"] == group), parts[0] if parts else {})
    languages: Counter[str] = Counter()
    routes: Counter[str] = Counter()
    outlets: list[str] = []
    members: list[Any] = []
    for part in parts:
        languages.update(part.get("languages") or {})
        routes.update(part.get("routes") or {})
        outlets += [o for o in part.get("outlets") or [] if o not in outlets]
        members += part.get("members") or []
    return {
        "story": group,
        "headline": first.get("headline") or "",
        "reports": sum(int(part.get("reports") or 0) for part in parts),
        "languages": dict(sorted(languages.items(), key=lambda item: (-item[1], item[0]))),
        "outlets": outlets[:SUMMARY_OUTLETS],
        "first_seen": _widest(parts, "first_seen", min),
        "last_seen": _widest(parts, "last_seen", max),
        "first_published": _widest(parts, "first_published", min),
        "last_published": _widest(parts, "last_published", max),
        "routes": dict(sorted(routes.items(), key=lambda item: (-item[1], item[0]))),
        "members": members[:SUMMARY_MEMBERS],
        "stories": {lang: summary["story"] for lang, summary in ordered},
    }


def _widest(parts: Iterable[Mapping[str, Any]], name: str, pick: Callable[[list[str]], str]) -> str | None:
    values = [str(part[name]) for part in parts if part.get(name)]
    return pick(values) if values else None


def dumps_summary(summary: Mapping[str, Any]) -> bytes:
    return orjson.dumps(summary)

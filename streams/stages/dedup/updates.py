"""What the dedup stage sends the link step (``links``) when a report starts or joins a story: the story's
language and id, what the link step compares of its record, and its summary. JSON on ``news.story-links``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

__all__ = ["UPDATE_FIELDS", "link_update", "read_link_update"]

UPDATE_FIELDS = ("e", "en", "f", "l", "t")  # of a story's record: its summed shared vector, its norm, its span, time


def link_update(lang: str, story: str, record: Mapping[str, Any], summary: Mapping[str, Any]) -> bytes:
    """A story's update from its record (``UPDATE_FIELDS`` of it) and its summary."""
    kept = {name: record.get(name) for name in UPDATE_FIELDS}
    return orjson.dumps({"lang": lang, "story": story, "record": kept, "summary": summary})


def read_link_update(payload: bytes) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """The language, story, record and summary of a ``link_update``; ``ValueError`` for anything else."""
    try:
        value = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not a story update: {exc}") from exc
    if not isinstance(value, dict):
        raise ValueError("not a story update: not an object")
    lang, story, record, summary = (value.get(name) for name in ("lang", "story", "record", "summary"))
    if not (isinstance(lang, str) and isinstance(story, str) and story and "|" not in lang):
        raise ValueError("not a story update: no language or story")
    if not (
        isinstance(record, dict) and isinstance(record.get("e"), dict) and isinstance(record.get("t"), int | float)
    ):
        raise ValueError("not a story update: no shared vector or time")
    if not isinstance(summary, dict):
        raise ValueError("not a story update: no summary")
    return lang, story, record, summary

"""``python -m streams stories [--since 6h] [--route syria_diplomacy] [--limit N]``: the current stories.

Reads the compacted stories topic from its beginning to its end (the latest summary per story id wins; an
empty value removes the story), keeps the stories last seen within ``--since`` whose reports took
``--route`` (a route name of the rules), and prints them as a table, the most reported first.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka import TopicPartition
from rich.console import Console
from rich.table import Table

from streams.errors import ConfigError
from streams.runtime.kafka import make_consumer, topic_partitions
from streams.settings import Settings

__all__ = ["latest_stories", "parse_since", "read_stories", "run_stories", "select_stories", "stories_table"]

_SINCE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")
_UNITS = {"": 3600.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
MAX_OUTLETS_SHOWN = 6


def parse_since(text: str, option: str = "--since") -> float:
    """``90s``, ``30m``, ``6h``, ``2d`` (a bare number is hours) in seconds; ``option`` names it in the error."""
    match = _SINCE.fullmatch(text.strip().lower())
    if match is None:
        raise ConfigError(f"{option} {text!r}: give a number and s, m, h or d (6h, 2d)")
    return float(match.group(1)) * _UNITS[match.group(2)]


def latest_stories(records: Iterable[tuple[bytes | None, bytes | None]]) -> dict[str, dict[str, Any]]:
    """The latest summary per story id from (key, value) records in topic order; an empty value removes it,
    and a value that is not a summary is skipped."""
    stories: dict[str, dict[str, Any]] = {}
    for key, value in records:
        if key is None:
            continue
        story = key.decode("utf-8", "replace")
        if not value:
            stories.pop(story, None)
            continue
        try:
            summary = orjson.loads(value)
        except orjson.JSONDecodeError:
            continue
        if isinstance(summary, dict):
            stories[story] = summary
    return stories


def _epoch(iso: Any) -> float | None:
    if not isinstance(iso, str) or not iso:
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def select_stories(
    stories: Mapping[str, Mapping[str, Any]],
    *,
    since_seconds: float | None = None,
    route: str | None = None,
    limit: int | None = None,
    now: float | None = None,
) -> list[Mapping[str, Any]]:
    """The stories last seen within ``since_seconds`` of ``now`` with a report that took ``route``, the most
    reported first (then the latest seen, then by id); none that was merged into another."""
    now = time.time() if now is None else now
    chosen = []
    for summary in stories.values():
        if summary.get("merged_into"):  # its reports are counted in the story it names
            continue
        last = _epoch(summary.get("last_seen"))
        if since_seconds is not None and (last is None or now - last > since_seconds):
            continue
        if route is not None and not (summary.get("routes") or {}).get(route):
            continue
        chosen.append((summary, last or 0.0))
    chosen.sort(key=lambda item: (-int(item[0].get("reports") or 0), -item[1], str(item[0].get("story"))))
    rows = [summary for summary, _ in chosen]
    return rows[:limit] if limit is not None else rows


def _short_time(iso: Any) -> str:
    stamp = _epoch(iso)
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M") if stamp is not None else "-"


def stories_table(rows: Iterable[Mapping[str, Any]], title: str = "stories") -> Table:
    """The table printed: headline, reports, languages (with their report counts), outlets, first/last seen."""
    table = Table(title=title)
    table.add_column("headline", overflow="fold", ratio=3)
    table.add_column("reports", justify="right")
    table.add_column("languages")
    table.add_column("outlets", overflow="fold", ratio=2)
    table.add_column("first seen (UTC)")
    table.add_column("last seen (UTC)")
    for summary in rows:
        languages = summary.get("languages") or {}
        outlets = list(summary.get("outlets") or [])
        shown = ", ".join(outlets[:MAX_OUTLETS_SHOWN])
        if len(outlets) > MAX_OUTLETS_SHOWN:
            shown += f" +{len(outlets) - MAX_OUTLETS_SHOWN}"
        table.add_row(
            str(summary.get("headline") or ""),
            str(summary.get("reports") or 0),
            ", ".join(f"{lang} {count}" for lang, count in languages.items()),
            f"{len(outlets)}: {shown}" if outlets else "0",
            _short_time(summary.get("first_seen")),
            _short_time(summary.get("last_seen")),
        )
    return table


async def read_stories(settings: Settings, topic: str | None = None) -> dict[str, dict[str, Any]]:
    """The stories topic read from its beginning to its end: the latest summary per story id."""
    topic = topic or settings.topics.stories
    partitions = [TopicPartition(topic, p) for p in await topic_partitions(settings, topic)]
    if not partitions:
        return {}
    consumer = make_consumer(settings, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    records: list[tuple[bytes | None, bytes | None]] = []
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(timeout_ms=1000)
            for tp in sorted(batch, key=lambda tp: tp.partition):
                records.extend((message.key, message.value) for message in batch[tp])
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    return latest_stories(records)


async def run_stories(
    settings: Settings,
    *,
    since: str | None = None,
    route: str | None = None,
    limit: int | None = None,
    console: Console | None = None,
) -> list[Mapping[str, Any]]:
    """Read, select and print the stories; return the rows printed."""
    since_seconds = parse_since(since) if since else None
    rows = select_stories(await read_stories(settings), since_seconds=since_seconds, route=route, limit=limit)
    title = (
        f"stories ({len(rows)})" + (f", last seen within {since}" if since else "") + (f", {route}" if route else "")
    )
    (console or Console()).print(stories_table(rows, title))
    return rows

"""Publishing files to the raw topic: what ``streams produce`` and the demo do.

Each file becomes one message (a feed, a page, a JSON document) with headers naming its content type and
source; a ``.jsonl`` file becomes one message per line, so each article is its own message.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from streams.headers import HEADER_CONTENT_TYPE, HEADER_FETCHED_AT, HEADER_SOURCE
from streams.runtime.kafka import make_producer
from streams.settings import Settings
from streams.stages.record import iso_utc

__all__ = ["RawMessage", "messages_from_files", "publish"]

_TYPES = {
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".xml": "application/xml",
    ".html": "text/html",
    ".htm": "text/html",
    ".json": "application/json",
    ".jsonl": "application/x-ndjson",
    ".txt": "text/plain",
}


@dataclass(frozen=True, slots=True)
class RawMessage:
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]
    label: str  # for people: file name and line


def messages_from_files(paths: Iterable[Path]) -> list[RawMessage]:
    messages: list[RawMessage] = []
    for path in paths:
        data = path.read_bytes()
        content_type = _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or ""
        base = (
            (HEADER_CONTENT_TYPE, content_type.encode()),
            (HEADER_SOURCE, path.name.encode()),
        )
        if path.suffix.lower() == ".jsonl":
            for number, line in enumerate(data.splitlines(), 1):
                if line.strip():
                    headers = ((HEADER_CONTENT_TYPE, b"application/json"), base[1])
                    messages.append(RawMessage(path.name.encode(), line, headers, f"{path.name}:{number}"))
        else:
            messages.append(RawMessage(path.name.encode(), data, base, path.name))
    return messages


async def publish(settings: Settings, topic: str, messages: Iterable[RawMessage]) -> int:
    """Send ``messages`` to ``topic`` (acks=all), stamping each with the fetch time; return how many."""
    producer = make_producer(settings)
    await producer.start()
    count = 0
    try:
        for message in messages:
            now = iso_utc(datetime.now(UTC)).encode()
            await producer.send_and_wait(
                topic, message.value, key=message.key, headers=[*message.headers, (HEADER_FETCHED_AT, now)]
            )
            count += 1
    finally:
        await producer.stop()
    return count

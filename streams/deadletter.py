"""Bad records as data: the original bytes, with headers that say where they came from and why they failed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .errors import StreamsError
from .record import iso_utc

__all__ = ["MAX_MESSAGE_CHARS", "deadletter_headers", "error_reason"]

MAX_MESSAGE_CHARS = 500


def error_reason(exc: BaseException) -> str:
    """A bounded reason class for metrics and headers."""
    return exc.reason if isinstance(exc, StreamsError) else "internal"


def deadletter_headers(
    *,
    stage: str,
    exc: BaseException,
    topic: str,
    partition: int,
    offset: int,
    original: Any = None,
) -> list[tuple[str, bytes]]:
    """Headers for a dead letter: ``dlq.*`` first, then the original message's headers unchanged."""
    message = str(exc) or type(exc).__name__
    headers = [
        ("dlq.stage", stage.encode()),
        ("dlq.reason", error_reason(exc).encode()),
        ("dlq.error.class", type(exc).__name__.encode()),
        ("dlq.error.message", message[:MAX_MESSAGE_CHARS].encode("utf-8", "replace")),
        ("dlq.source.topic", topic.encode()),
        ("dlq.source.partition", str(partition).encode()),
        ("dlq.source.offset", str(offset).encode()),
        ("dlq.time", iso_utc(datetime.now(UTC)).encode()),
    ]
    for key, value in _pairs(original):
        if not key.startswith("dlq."):
            headers.append((key, value if isinstance(value, bytes) else str(value).encode()))
    return headers


def _pairs(headers: Any) -> list[tuple[str, Any]]:
    if not headers:
        return []
    if isinstance(headers, dict):
        return list(headers.items())
    return [(k, v) for k, v in headers]

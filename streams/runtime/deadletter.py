"""Bad records as data: the original bytes, with headers that say where they came from and why they failed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiokafka.errors import MessageSizeTooLargeError

from streams.errors import OutputRefusedError, StreamsError
from streams.headers import (
    DLQ_PREFIX,
    HEADER_DLQ_ERROR_CLASS,
    HEADER_DLQ_ERROR_MESSAGE,
    HEADER_DLQ_REASON,
    HEADER_DLQ_SOURCE_OFFSET,
    HEADER_DLQ_SOURCE_PARTITION,
    HEADER_DLQ_SOURCE_TOPIC,
    HEADER_DLQ_STAGE,
    HEADER_DLQ_TIME,
)
from streams.stages.record import iso_utc

__all__ = ["MAX_MESSAGE_CHARS", "deadletter_headers", "error_reason", "refused_output"]

MAX_MESSAGE_CHARS = 500


def error_reason(exc: BaseException) -> str:
    """A bounded reason class for metrics and headers."""
    return exc.reason if isinstance(exc, StreamsError) else "internal"


def refused_output(exc: BaseException) -> OutputRefusedError | None:
    """The error to dead-letter an input with when the broker refused one of its outputs for the record
    itself; None when the failure is the broker's or the connection's (the input must be processed again)."""
    if isinstance(exc, MessageSizeTooLargeError):
        return OutputRefusedError(f"the broker refused an output of this input: {exc}")
    return None


def deadletter_headers(
    *,
    stage: str,
    exc: BaseException,
    topic: str,
    partition: int,
    offset: int,
    original: Any = None,
) -> list[tuple[str, bytes]]:
    """Headers for a dead letter: ``dlq.*`` (named in ``streams.headers``) first, then the original message's
    headers unchanged."""
    message = str(exc) or type(exc).__name__
    headers = [
        (HEADER_DLQ_STAGE, stage.encode()),
        (HEADER_DLQ_REASON, error_reason(exc).encode()),
        (HEADER_DLQ_ERROR_CLASS, type(exc).__name__.encode()),
        (HEADER_DLQ_ERROR_MESSAGE, message[:MAX_MESSAGE_CHARS].encode("utf-8", "replace")),
        (HEADER_DLQ_SOURCE_TOPIC, topic.encode()),
        (HEADER_DLQ_SOURCE_PARTITION, str(partition).encode()),
        (HEADER_DLQ_SOURCE_OFFSET, str(offset).encode()),
        (HEADER_DLQ_TIME, iso_utc(datetime.now(UTC)).encode()),
    ]
    for key, value in _pairs(original):
        if not key.startswith(DLQ_PREFIX):
            headers.append((key, value if isinstance(value, bytes) else str(value).encode()))
    return headers


def _pairs(headers: Any) -> list[tuple[str, Any]]:
    if not headers:
        return []
    if isinstance(headers, dict):
        return list(headers.items())
    return [(k, v) for k, v in headers]

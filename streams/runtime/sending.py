"""Sending outputs and dead letters, waiting for the broker where an acknowledgement depends on it."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import faust

from streams.headers import HEADER_DLQ_TRUNCATED_FROM_BYTES
from streams.runtime.deadletter import deadletter_headers, error_reason, refused_output
from streams.runtime.metrics import Metrics

__all__ = ["TRUNCATED_DEADLETTER_BYTES", "DeadLetters", "Outputs"]

log = logging.getLogger(__name__)

TRUNCATED_DEADLETTER_BYTES = 64 * 1024


class Outputs:
    """The app's topics by name, raw bytes in and out."""

    def __init__(self, app: faust.App, names: tuple[str, ...]) -> None:
        self.app = app
        self.topics: dict[str, Any] = {name: self._new(name) for name in names}

    def _new(self, name: str) -> Any:
        return self.app.topic(name, value_serializer="raw", key_serializer="raw")

    def topic(self, name: str) -> Any:
        return self.topics.get(name) or self._new(name)

    async def send(self, name: str, key: bytes | None, value: bytes, headers: Any = None) -> asyncio.Future[Any]:
        """Buffer a record; the returned future completes when the broker has it (or failed to take it)."""
        delivery: asyncio.Future[Any] = await self.topic(name).send(key=key, value=value, headers=headers)
        return delivery

    async def deliver(self, name: str, key: bytes | None, value: bytes, headers: Any = None) -> None:
        """Send and wait until the broker has it: an event is acknowledged only after its outputs are.

        Faust's ``send`` only buffers; a delivery that fails later would be logged while the input offset is
        committed anyway, and the message lost. Waiting here turns that into an error where it happens.
        """
        await (await self.send(name, key, value, headers))


class DeadLetters:
    """Inputs a stage failed on, to the dead-letter topic with their original bytes and ``dlq.*`` headers."""

    def __init__(self, outputs: Outputs, topic: str, metrics: Metrics) -> None:
        self.outputs = outputs
        self.topic = topic
        self.metrics = metrics

    async def send(self, stage: str, event: Any, exc: BaseException) -> None:
        message = event.message
        self.metrics.failed.labels(stage=stage, reason=error_reason(exc)).inc()
        self.metrics.deadlettered.labels(stage=stage).inc()
        log.warning(
            "dead letter from %s at %s[%s]@%s: %s", stage, message.topic, message.partition, message.offset, exc
        )
        headers = deadletter_headers(
            stage=stage,
            exc=exc,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            original=message.headers,
        )
        try:
            await self.outputs.deliver(self.topic, message.key, message.value, headers)
        except Exception as send_error:  # e.g. larger than the broker takes: keep the head, say so
            value: bytes = message.value or b""
            log.error(
                "dead letter of %d bytes not accepted (%s); sending its first %d bytes",
                len(value),
                send_error,
                TRUNCATED_DEADLETTER_BYTES,
            )
            truncated = [*headers, (HEADER_DLQ_TRUNCATED_FROM_BYTES, str(len(value)).encode())]
            await self.outputs.deliver(self.topic, message.key, value[:TRUNCATED_DEADLETTER_BYTES], truncated)

    async def output_failed(self, stage: str, event: Any, exc: Exception) -> None:
        """An output of ``event`` was not delivered: dead-letter the input if the broker refused the record
        itself (it would be refused again), else raise (the event stays unacknowledged)."""
        record_error = refused_output(exc)
        if record_error is None:
            raise exc
        await self.send(stage, event, record_error)

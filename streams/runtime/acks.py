"""Acknowledging events by hand, once their outputs are on the broker (or the input is in the dead letters).

An event that fails otherwise (the broker unreachable, refusing us) is left unacknowledged and referenced in
``Acknowledger.held``, so no commit passes it (``patches.commits``: a message is "in progress" only while
something references it), and the agent stops. Only a new worker process handles a held event again (from the
last commit); a rebalance or SIGTERM would wait for it for ever. So /healthz fails while any is held, and
``on_stuck`` is called: the app ends the process shortly after (``exit_for_restart``), and the worker
command's supervisor starts a new one (``supervisor``). (Faust acknowledges an event of an ordinary stream
even when its agent raised: its output would be lost.)

Parse and route wait for their outputs before acknowledging each event (``each_event``). Dedup is one
instance (its verdicts follow the order), so it does not wait for each output before the next article: up to
``DeliveryWindow.size`` outputs await the broker, sent in order, and each article's event is acknowledged
from its delivery's callback, once the broker has the output; acknowledgements out of order are safe
(``patches.commits``). A delivery refused for the record itself sends the input to the dead letters; any
other failed delivery leaves its event unacknowledged (held), so its offset is not committed, and stops the
agent at its next event.

Nothing here needs Faust: the manual stream, deliveries (futures) and the dead-letter coroutine are given.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, Protocol

__all__ = ["EXIT_HELD", "Acknowledger", "DeliveryWindow", "Handler", "ManualStream", "exit_for_restart"]

log = logging.getLogger(__name__)

EXIT_HELD = 75  # EX_TEMPFAIL: the worker process ended itself to have held events handled again


class ManualStream(Protocol):
    """A stream whose events are acknowledged by hand (Faust's ``stream.noack()``)."""

    def events(self) -> AsyncIterator[Any]: ...

    async def ack(self, event: Any) -> Any: ...


# ``handle(manual, event)``: True when the event is finished (acknowledge it now), False when the handler
# arranged its acknowledgement itself (dedup, from delivery callbacks).
Handler = Callable[[ManualStream, Any], Awaitable[bool]]


class Acknowledger:
    """The events left unacknowledged after a failure, and the loop that acknowledges the others."""

    def __init__(self, logger: logging.Logger = log, on_stuck: Callable[[], None] | None = None) -> None:
        self.held: list[Any] = []
        self.log = logger
        self.on_stuck = on_stuck

    def hold(self, event: Any) -> None:
        """Keep ``event`` unacknowledged for good: only a new worker process handles it again."""
        if not any(held is event for held in self.held):
            self.held.append(event)
        message = event.message
        self.log.critical(
            "event at %s[%s]@%s left unacknowledged after a failure: commits stop at it and /healthz fails "
            "until a new worker process handles it again",
            message.topic,
            message.partition,
            message.offset,
        )
        if self.on_stuck is not None:
            self.on_stuck()

    def health(self) -> tuple[int, dict[str, Any]]:
        """The /healthz status and body: 503 while any event is held (only a restart processes it again)."""
        if self.held:
            return 503, {"status": "held", "unacknowledged_events": len(self.held)}
        return 200, {"status": "alive"}

    async def each_event(self, manual: ManualStream, handle: Handler) -> None:
        """``handle`` each event, acknowledging it after if ``handle`` says it is finished; an event it fails
        on is held, and the exception stops the agent."""
        async for event in manual.events():
            try:
                finished = await handle(manual, event)
            except Exception:
                self.hold(event)
                raise
            if finished:
                await manual.ack(event)


class DeliveryWindow:
    """At most ``size`` outputs awaiting the broker; each one's event acknowledged once it is delivered.

    ``dead_letter(event, error)`` sends an input whose output the broker refused for the record itself
    (``refused_output(error)`` says which, and what to dead-letter it with) to the dead letters.
    """

    def __init__(
        self,
        acks: Acknowledger,
        *,
        size: int,
        dead_letter: Callable[[Any, BaseException], Awaitable[None]],
        refused_output: Callable[[BaseException], BaseException | None],
        logger: logging.Logger = log,
    ) -> None:
        self.acks = acks
        self.size = size
        self.dead_letter = dead_letter
        self.refused_output = refused_output
        self.log = logger
        self.in_flight: set[asyncio.Future[Any]] = set()
        self.room = asyncio.Event()  # set while fewer than ``size`` outputs await the broker
        self.room.set()
        self.failures: list[BaseException] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    def raise_if_failed(self) -> None:
        """Raise the first failure of an earlier delivery, if any (the agent then stops at this event, which is
        not acknowledged either: both are processed again after a restart)."""
        if self.failures:
            error = self.failures[0]
            self.failures.clear()
            raise error

    async def add(self, manual: ManualStream, event: Any, delivery: asyncio.Future[Any]) -> None:
        """Acknowledge ``event`` once ``delivery`` completes; wait while the window is full."""
        self.in_flight.add(delivery)
        delivery.add_done_callback(self._when_delivered(manual, event))
        if len(self.in_flight) >= self.size:
            self.room.clear()
            await self.room.wait()

    def _when_delivered(self, manual: ManualStream, event: Any) -> Callable[[asyncio.Future[Any]], None]:
        def delivered(delivery: asyncio.Future[Any]) -> None:
            self.in_flight.discard(delivery)
            if len(self.in_flight) < self.size:
                self.room.set()
            if delivery.cancelled():
                return
            error = delivery.exception()
            if error is None:
                self._later(manual.ack(event))
                return
            record_error = self.refused_output(error)
            if record_error is not None:  # refused for the record itself: the input to the dead letters
                self.acks.held.append(event)  # until its dead letter is delivered
                self._later(self._dead_letter(manual, event, record_error))
                return
            self.log.error("dedup output not delivered; its offset stays uncommitted until a restart: %s", error)
            self.acks.hold(event)
            self.failures.append(error)

        return delivered

    def _later(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)  # referenced until done: the loop keeps only weak references to tasks
        task.add_done_callback(self._tasks.discard)

    async def _dead_letter(self, manual: ManualStream, event: Any, error: BaseException) -> None:
        try:
            await self.dead_letter(event, error)
        except Exception as exc:  # the dead letter not delivered either: stays held, the agent stops
            self.acks.hold(event)
            self.failures.append(exc)
            return
        self.acks.held.remove(event)
        await manual.ack(event)


def exit_for_restart(after_seconds: float, loop: asyncio.AbstractEventLoop | None = None) -> Callable[[], None]:
    """An ``on_stuck`` for the worker: end the process ``after_seconds`` after the first event is held.

    The process ends at once (``os._exit``), as a crash would: a clean stop would wait for the held event for
    ever, and nothing past it is committed, so the next process handles it and what followed it again
    (at-least-once; the dedup state is changelogged and its verdicts replay-safe, as after a SIGKILL). The
    delay lets other outputs in flight reach the broker and the log say why.
    """
    scheduled: list[asyncio.TimerHandle] = []

    def stuck() -> None:
        if scheduled:
            return
        running = loop or asyncio.get_running_loop()
        scheduled.append(running.call_later(after_seconds, _end_process))

    return stuck


def _end_process() -> None:
    log.critical("ending the worker process (status %d) so that a new one takes over from the last commit", EXIT_HELD)
    logging.shutdown()
    os._exit(EXIT_HELD)

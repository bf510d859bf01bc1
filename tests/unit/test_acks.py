"""Acknowledging events by hand: after their outputs are delivered, exactly once, failures held.

Fake events and a fake manual stream stand in for Faust's; deliveries are asyncio futures completed by the
test, in whatever order it chooses.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError, MessageSizeTooLargeError

from streams.errors import OutputRefusedError
from streams.runtime import acks as acks_module
from streams.runtime.acks import Acknowledger, DeliveryWindow, ManualStream, exit_for_restart
from streams.runtime.deadletter import refused_output


@dataclass
class Message:
    offset: int
    topic: str = "news.articles"
    partition: int = 0


@dataclass
class Event:
    message: Message


@dataclass
class Stream:
    """A manual stream: yields its events, records each acknowledgement with the state of its delivery."""

    events_: list[Event]
    deliveries: dict[int, asyncio.Future[Any]] = field(default_factory=dict)
    acked: list[int] = field(default_factory=list)
    acked_before_delivery: list[int] = field(default_factory=list)

    async def events(self) -> AsyncIterator[Any]:
        for event in self.events_:
            yield event

    async def ack(self, event: Any) -> bool:
        offset = event.message.offset
        delivery = self.deliveries.get(offset)
        if delivery is not None and not delivery.done():
            self.acked_before_delivery.append(offset)
        self.acked.append(offset)
        return True


def stream_of(count: int) -> Stream:
    return Stream([Event(Message(offset)) for offset in range(count)])


async def settle() -> None:
    """Let callbacks and the tasks they start run."""
    for _ in range(10):
        await asyncio.sleep(0)


@dataclass
class DeadLetters:
    sent: list[tuple[int, BaseException]] = field(default_factory=list)
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    fail: BaseException | None = None

    async def send(self, event: Any, error: BaseException) -> None:
        await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        self.sent.append((event.message.offset, error))


def window_of(acks: Acknowledger, size: int, dead_letters: DeadLetters | None = None) -> DeliveryWindow:
    return DeliveryWindow(
        acks, size=size, dead_letter=(dead_letters or DeadLetters()).send, refused_output=refused_output
    )


def dedup_like(stream: Stream, window: DeliveryWindow, started: list[int] | None = None) -> Any:
    """A handler that sends one output per event and leaves its acknowledgement to the window."""
    loop = asyncio.get_running_loop()

    async def handle(manual: ManualStream, event: Any) -> bool:
        window.raise_if_failed()
        if started is not None:
            started.append(event.message.offset)
        delivery: asyncio.Future[Any] = loop.create_future()
        stream.deliveries[event.message.offset] = delivery
        await window.add(manual, event, delivery)
        return False

    return handle


@pytest.mark.asyncio
async def test_each_event_is_acknowledged_once_after_its_outputs_are_delivered() -> None:
    stream = stream_of(3)
    loop = asyncio.get_running_loop()

    async def handle(manual: ManualStream, event: Any) -> bool:
        delivery: asyncio.Future[Any] = loop.create_future()
        stream.deliveries[event.message.offset] = delivery
        loop.call_later(0.01, delivery.set_result, None)
        await delivery
        return True

    acks = Acknowledger()
    await acks.each_event(stream, handle)
    assert stream.acked == [0, 1, 2]
    assert stream.acked_before_delivery == []
    assert acks.held == []
    assert acks.health() == (200, {"status": "alive"})


@pytest.mark.asyncio
async def test_an_unfinished_event_is_left_to_its_handler() -> None:
    stream = stream_of(2)

    async def handle(manual: ManualStream, event: Any) -> bool:
        return event.message.offset == 1

    await Acknowledger().each_event(stream, handle)
    assert stream.acked == [1]


@pytest.mark.asyncio
async def test_a_failing_handler_holds_its_event_and_stops_the_agent(caplog: pytest.LogCaptureFixture) -> None:
    stream = stream_of(3)
    seen: list[int] = []

    async def handle(manual: ManualStream, event: Any) -> bool:
        seen.append(event.message.offset)
        if event.message.offset == 1:
            raise KafkaConnectionError("broker gone")
        return True

    acks = Acknowledger()
    with caplog.at_level(logging.CRITICAL), pytest.raises(KafkaConnectionError, match="broker gone"):
        await acks.each_event(stream, handle)
    assert seen == [0, 1]
    assert stream.acked == [0]
    assert [event.message.offset for event in acks.held] == [1]
    assert acks.health() == (503, {"status": "held", "unacknowledged_events": 1})
    assert "news.articles[0]@1 left unacknowledged" in caplog.text


@pytest.mark.asyncio
async def test_deliveries_completing_out_of_order_acknowledge_each_event_in_its_own_time() -> None:
    stream = stream_of(3)
    acks = Acknowledger()
    window = window_of(acks, size=8)
    await acks.each_event(stream, dedup_like(stream, window))
    await settle()
    assert stream.acked == []  # nothing delivered yet
    for offset, expected in ((2, [2]), (0, [2, 0]), (1, [2, 0, 1])):
        stream.deliveries[offset].set_result(None)
        await settle()
        assert stream.acked == expected
    assert stream.acked_before_delivery == []
    assert acks.held == []
    assert window.in_flight == set()


@pytest.mark.asyncio
async def test_the_window_blocks_at_its_size_and_resumes_when_a_delivery_completes() -> None:
    stream = stream_of(5)
    acks = Acknowledger()
    window = window_of(acks, size=2)
    started: list[int] = []
    agent = asyncio.ensure_future(acks.each_event(stream, dedup_like(stream, window, started)))
    await settle()
    assert started == [0, 1]  # the second output filled the window: its handler waits
    assert len(window.in_flight) == 2
    stream.deliveries[1].set_result(None)
    await settle()
    assert started == [0, 1, 2]
    assert stream.acked == [1]
    stream.deliveries[0].set_result(None)
    await settle()
    assert started == [0, 1, 2, 3]
    assert sorted(stream.acked) == [0, 1]
    for offset in (2, 3):
        stream.deliveries[offset].set_result(None)
        await settle()
    assert started == [0, 1, 2, 3, 4]
    await asyncio.wait_for(agent, 1)  # the stream ended with one output in flight, below the window's size
    assert sorted(stream.acked) == [0, 1, 2, 3]
    stream.deliveries[4].set_result(None)
    await settle()
    assert sorted(stream.acked) == [0, 1, 2, 3, 4]
    assert len(stream.acked) == 5
    assert stream.acked_before_delivery == []


@pytest.mark.asyncio
async def test_an_output_refused_for_the_record_sends_the_input_to_the_dead_letters_then_acknowledges_it() -> None:
    stream = stream_of(2)
    acks = Acknowledger()
    dead_letters = DeadLetters()
    window = window_of(acks, size=8, dead_letters=dead_letters)
    await acks.each_event(stream, dedup_like(stream, window))
    stream.deliveries[0].set_exception(MessageSizeTooLargeError("too large"))
    await settle()
    # the dead letter is on its way: the input is neither acknowledged nor forgotten meanwhile
    assert stream.acked == []
    assert [event.message.offset for event in acks.held] == [0]
    assert acks.health()[0] == 503
    dead_letters.gate.set()
    await settle()
    assert [offset for offset, _ in dead_letters.sent] == [0]
    error = dead_letters.sent[0][1]
    assert isinstance(error, OutputRefusedError)
    assert error.reason == "output_refused"
    assert stream.acked == [0]
    assert acks.held == []
    assert acks.health() == (200, {"status": "alive"})
    stream.deliveries[1].set_result(None)
    await settle()
    assert stream.acked == [0, 1]
    window.raise_if_failed()  # nothing failed for good


@pytest.mark.asyncio
async def test_a_refused_output_whose_dead_letter_fails_stays_held_and_stops_the_agent() -> None:
    stream = stream_of(1)
    acks = Acknowledger()
    dead_letters = DeadLetters(fail=KafkaConnectionError("dead letters unreachable"))
    dead_letters.gate.set()
    window = window_of(acks, size=8, dead_letters=dead_letters)
    await acks.each_event(stream, dedup_like(stream, window))
    stream.deliveries[0].set_exception(MessageSizeTooLargeError("too large"))
    await settle()
    assert stream.acked == []
    assert [event.message.offset for event in acks.held] == [0]
    with pytest.raises(KafkaConnectionError, match="dead letters unreachable"):
        window.raise_if_failed()


@pytest.mark.asyncio
async def test_any_other_failed_delivery_holds_its_event_and_the_next_event_raises() -> None:
    events = [Event(Message(offset)) for offset in range(3)]
    first = Stream(events[:2])
    acks = Acknowledger()
    dead_letters = DeadLetters()
    dead_letters.gate.set()
    window = window_of(acks, size=8, dead_letters=dead_letters)
    await acks.each_event(first, dedup_like(first, window))
    failure = KafkaConnectionError("broker gone")
    first.deliveries[0].set_exception(failure)
    first.deliveries[1].set_result(None)
    await settle()
    assert first.acked == [1]
    assert [event.message.offset for event in acks.held] == [0]
    assert dead_letters.sent == []
    assert acks.health() == (503, {"status": "held", "unacknowledged_events": 1})
    # the agent, restarted by Faust on the same window, stops at its next event, which is held as well
    second = Stream(events[2:])
    with pytest.raises(KafkaConnectionError) as raised:
        await acks.each_event(second, dedup_like(second, window))
    assert raised.value is failure
    assert second.deliveries == {}  # the next event was not handled
    assert second.acked == []
    assert [event.message.offset for event in acks.held] == [0, 2]
    assert acks.health() == (503, {"status": "held", "unacknowledged_events": 2})
    window.raise_if_failed()  # raised once: the failure is not raised again


@pytest.mark.asyncio
async def test_a_held_event_calls_on_stuck_and_a_dead_letter_on_its_way_does_not() -> None:
    stuck: list[int] = []
    acks = Acknowledger(on_stuck=lambda: stuck.append(len(acks.held)))
    dead_letters = DeadLetters()
    dead_letters.gate.set()
    stream = stream_of(2)
    window = window_of(acks, size=8, dead_letters=dead_letters)
    await acks.each_event(stream, dedup_like(stream, window))
    stream.deliveries[0].set_exception(MessageSizeTooLargeError("too large"))  # refused for the record
    await settle()
    assert stuck == []  # dead-lettered, then acknowledged: nothing stuck
    stream.deliveries[1].set_exception(KafkaConnectionError("broker gone"))
    await settle()
    assert stuck == [1]  # held for good: the process is to end so that a new one handles it


@pytest.mark.asyncio
async def test_exit_for_restart_ends_the_process_once_after_its_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    ended: list[float] = []
    loop = asyncio.get_running_loop()
    monkeypatch.setattr(acks_module, "_end_process", lambda: ended.append(loop.time()))
    stuck = exit_for_restart(0.05)
    started = loop.time()
    stuck()
    stuck()  # a second held event: still one end
    await asyncio.sleep(0.02)
    assert ended == []
    await asyncio.sleep(0.1)
    assert len(ended) == 1
    assert ended[0] - started >= 0.05

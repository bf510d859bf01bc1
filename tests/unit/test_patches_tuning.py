"""The Faust adjustments: where held-back records are fetched again from, and that patching is idempotent."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from faust.types import TP

from streams.runtime.patches import undo_all
from streams.runtime.patches.tuning import (
    _rewind,
    drop_stale_batches,
    rewind_targets,
    shorten_fetch_wait,
    without_spinner,
)

RAW = TP("news.raw", 0)
UNIQUE = TP("news.unique", 1)


@pytest.fixture(autouse=True)
def unpatched() -> Iterator[None]:
    """Faust as shipped before and after each test: no patched class leaks into other tests."""
    undo_all()
    yield
    undo_all()


def test_a_position_past_the_held_back_records_goes_back_to_the_first() -> None:
    # fetched after the seek: aiokafka counts 60..69 consumed, so they must be fetched again
    assert rewind_targets({RAW: (60, 69)}, {RAW: 70}) == {RAW: 60}


def test_a_position_a_seek_moved_back_is_left_alone() -> None:
    # fetched before the seek to the committed offset 40: the seek already fetches them again
    assert rewind_targets({RAW: (60, 69)}, {RAW: 40}) == {}
    assert rewind_targets({RAW: (60, 69)}, {RAW: 69}) == {}


def test_an_unknown_position_is_left_to_the_reset() -> None:
    assert rewind_targets({RAW: (0, 9), UNIQUE: (5, 6)}, {RAW: None}) == {}


class FakeState:
    def __init__(self, position: int | None) -> None:
        self._position = position

    @property
    def has_valid_position(self) -> bool:
        return self._position is not None

    @property
    def position(self) -> int:
        assert self._position is not None
        return self._position


class FakeConsumer:
    """The slice of aiokafka's consumer that ``_rewind`` reads and calls."""

    def __init__(self, positions: dict[Any, int | None]) -> None:
        states = {tp: FakeState(p) for tp, p in positions.items()}
        assignment = SimpleNamespace(state_value=states.get)
        self._subscription = SimpleNamespace(subscription=SimpleNamespace(assignment=assignment))
        self.seeks: list[tuple[str, int, int]] = []

    def seek(self, tp: Any, offset: int) -> None:
        self.seeks.append((tp.topic, tp.partition, offset))


def test_rewind_seeks_only_partitions_whose_records_were_counted_consumed() -> None:
    consumer = FakeConsumer({RAW: 70, UNIQUE: 12})
    asyncio.run(_rewind(consumer, {RAW: (60, 69), UNIQUE: (20, 25), TP("gone", 0): (1, 2)}))
    assert consumer.seeks == [("news.raw", 0, 60)]


def test_rewind_without_an_assignment_does_nothing() -> None:
    consumer = FakeConsumer({})
    consumer._subscription = SimpleNamespace(subscription=None)
    asyncio.run(_rewind(consumer, {RAW: (1, 2)}))
    assert consumer.seeks == []


def test_patches_apply_once() -> None:
    from faust.transport.consumer import ThreadDelegateConsumer
    from faust.transport.drivers import aiokafka as driver

    drop_stale_batches()
    patched = ThreadDelegateConsumer.getmany
    drop_stale_batches()
    assert ThreadDelegateConsumer.getmany is patched
    assert getattr(patched, "streams_guard", False)

    shorten_fetch_wait(100)
    factory = driver.AIOKafkaConsumerThread._create_worker_consumer
    shorten_fetch_wait(100)
    assert driver.AIOKafkaConsumerThread._create_worker_consumer is factory


def test_a_worker_without_spinner_leaves_the_root_logger_at_its_level() -> None:
    """Faust's spinner set the root logger to DEBUG for good: every debug call then built a record."""
    import logging

    import faust

    app = faust.App("spinner-check", broker="kafka://127.0.0.1:1", store="memory://", autodiscover=False)
    logger = logging.getLogger("streams-spinner-check")
    logger.setLevel(logging.WARNING)
    logger.addHandler(logging.NullHandler())
    as_shipped = faust.Worker(app, loglevel="warn", quiet=True, redirect_stdouts=False)
    as_shipped.on_setup_root_logger(logger, logging.WARNING)
    assert logger.level == logging.DEBUG  # what Faust does: if this fails, the adjustment may be obsolete

    logger.setLevel(logging.WARNING)
    logger.handlers[:] = [logging.NullHandler()]
    ours = without_spinner(faust.Worker(app, loglevel="warn", quiet=True, redirect_stdouts=False))
    ours.on_setup_root_logger(logger, logging.WARNING)
    assert logger.level == logging.WARNING
    assert ours.spinner is None

"""The stall watchdog: a partition with records waiting whose read position does not move, while the worker is
ready, is stalled after the set time; reading, catching up, not being ready or losing the partition resets it."""

from __future__ import annotations

from types import SimpleNamespace

from streams.runtime.patches.positions import read_positions
from streams.runtime.stalls import StallWatch

TP = ("news.raw", 1)


def test_records_waiting_and_no_read_for_the_set_time_is_a_stall() -> None:
    watch = StallWatch(after_seconds=30)
    assert watch.observe(0, {TP: 50}, {TP: 23}, {TP: 24}, ready=True) == []
    assert watch.observe(29, {TP: 50}, {TP: 23}, {TP: 24}, ready=True) == []
    assert watch.observe(30, {TP: 50}, {TP: 23}, {TP: 24}, ready=True) == [TP]


def test_a_partition_never_read_with_records_past_the_commit_is_a_stall() -> None:
    watch = StallWatch(after_seconds=30)
    watch.observe(0, {TP: 50}, {}, {TP: 24}, ready=True)
    assert watch.observe(31, {TP: 50}, {}, {TP: 24}, ready=True) == [TP]


def test_reading_resets_the_clock() -> None:
    watch = StallWatch(after_seconds=30)
    watch.observe(0, {TP: 50}, {TP: 23}, {}, ready=True)
    watch.observe(20, {TP: 50}, {TP: 30}, {}, ready=True)  # moved
    assert watch.observe(40, {TP: 50}, {TP: 30}, {}, ready=True) == []
    assert watch.observe(50, {TP: 50}, {TP: 30}, {}, ready=True) == [TP]


def test_nothing_waiting_is_no_stall() -> None:
    watch = StallWatch(after_seconds=30)
    watch.observe(0, {TP: 50}, {TP: 49}, {}, ready=True)  # read up to the end
    assert watch.observe(100, {TP: 50}, {TP: 49}, {}, ready=True) == []
    watch.observe(0, {TP: 0}, {}, {}, ready=True)  # an empty partition
    assert watch.observe(100, {TP: 0}, {}, {}, ready=True) == []


def test_time_not_ready_does_not_count() -> None:
    watch = StallWatch(after_seconds=30)
    watch.observe(0, {TP: 50}, {TP: 23}, {}, ready=True)
    watch.observe(25, {TP: 50}, {TP: 23}, {}, ready=False)  # rebalancing: the clock starts again
    assert watch.observe(50, {TP: 50}, {TP: 23}, {}, ready=True) == []
    assert watch.observe(56, {TP: 50}, {TP: 23}, {}, ready=True) == [TP]


def test_a_partition_moved_away_is_forgotten() -> None:
    watch = StallWatch(after_seconds=30)
    watch.observe(0, {TP: 50}, {TP: 23}, {}, ready=True)
    watch.observe(10, {}, {}, {}, ready=True)  # assigned elsewhere
    assert watch.observe(35, {TP: 50}, {TP: 23}, {}, ready=True) == []  # back: its clock starts afresh


def test_read_positions_reads_fausts_consumer() -> None:
    from faust.types import TP as FaustTP

    app = SimpleNamespace(consumer=SimpleNamespace(_read_offset={FaustTP("news.raw", 1): 41, FaustTP("x", 0): None}))
    assert read_positions(app) == {("news.raw", 1): 41, ("x", 0): None}

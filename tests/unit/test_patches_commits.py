"""Faust commits only offsets whose events are finished, however out of order they are acknowledged."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from faust.transport.consumer import Consumer
from intervaltree import IntervalTree

from streams.runtime.patches import undo_all
from streams.runtime.patches.commits import commit_only_finished, committable_run


@pytest.fixture(autouse=True)
def unpatched() -> Iterator[None]:
    """Faust as shipped before and after each test: no patched class leaks into other tests."""
    undo_all()
    yield
    undo_all()


@pytest.mark.parametrize(
    ("acked", "committed", "pending", "run"),
    [
        ([10, 11, 12], 10, None, [10, 11, 12]),
        ([11, 12, 13], 10, 10, []),  # Faust's own check let one missing offset at the head through
        ([11, 12, 13], 10, None, [11, 12, 13]),  # 10 gone from the log (retention, a marker), as in Faust
        ([12, 13], 10, None, []),
        ([5, 6], None, 0, []),  # nothing committed yet, 0-4 still in progress
        ([0, 1, 2, 5], None, 3, [0, 1, 2]),
        ([0, 1, 2, 3, 4], None, 3, [0, 1, 2]),  # never up to or past an offset still in progress
        ([10, 11, 13, 14], 10, None, [10, 11]),
        ([], 10, None, []),
    ],
)
def test_committable_run(acked: list[int], committed: int | None, pending: int | None, run: list[int]) -> None:
    assert committable_run(acked, committed, pending) == run


def _consumer(committed: int | None, acked: list[int], in_progress: list[int]) -> Any:
    tp = ("news.articles", 0)
    unacked = [SimpleNamespace(tp=tp, offset=o, acked=False) for o in in_progress]
    state = SimpleNamespace(
        _acked=defaultdict(list, {tp: list(acked)}),
        _acked_index=defaultdict(set, {tp: set(acked)}),
        _gap=defaultdict(IntervalTree),
        _committed_offset=defaultdict(lambda: None, {tp: committed}),
        _unacked_messages=unacked,
    )
    return state, tp


def test_faust_as_shipped_commits_past_an_event_in_progress() -> None:
    """What the patch works around: if this fails on a new release, the patch may be obsolete."""
    state, tp = _consumer(committed=10, acked=[11, 12, 13], in_progress=[10])
    assert Consumer._new_offset(state, tp) == 14  # offset 10 is still being processed


def test_faust_consumer_no_longer_commits_past_an_event_in_progress() -> None:
    commit_only_finished()
    commit_only_finished()  # idempotent
    state, tp = _consumer(committed=10, acked=[11, 12, 13], in_progress=[10])
    assert Consumer._new_offset(state, tp) is None
    assert state._acked[tp] == [11, 12, 13]  # kept for later
    state._unacked_messages.clear()
    state._acked[tp].append(10)
    assert Consumer._new_offset(state, tp) == 14

    state, tp = _consumer(committed=None, acked=[5, 6], in_progress=[0, 1, 2, 3, 4])
    assert Consumer._new_offset(state, tp) is None

    state, tp = _consumer(committed=20, acked=[10, 11, 20, 21], in_progress=[])  # 10, 11 acknowledged late
    assert Consumer._new_offset(state, tp) == 22
    assert state._acked[tp] == []
    assert state._acked_index[tp] == set()


def test_offsets_missing_from_the_log_count_as_done() -> None:
    commit_only_finished()
    state, tp = _consumer(committed=10, acked=[13, 14], in_progress=[])
    state._gap[tp].addi(10, 13)  # 10-12 compacted away
    assert Consumer._new_offset(state, tp) == 15
    # the committed offset deleted by retention: the worker resumes at the log start, Faust's gap tracking
    # counts the offsets after the committed one (never the committed one itself)
    state, tp = _consumer(committed=500, acked=[1000, 1001], in_progress=[])
    state._gap[tp].addi(501, 1000)
    assert Consumer._new_offset(state, tp) == 1002

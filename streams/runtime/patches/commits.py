"""A fix to Faust's choice of the offset to commit, applied when the app is created (never at import).

Faust acknowledges each event when a stream is done with it and, at each commit, commits the end of the first
run of consecutive acknowledged offsets (``Consumer._new_offset``). Events are acknowledged out of order
whenever several agent instances share a stream (``STREAMS_CONCURRENCY``) or an agent acknowledges from a
delivery callback (dedup). Faust's check that the run starts at the committed offset lets one missing
offset at the head through (on purpose: the committed offset itself may be gone from the log) and is
skipped when nothing was committed yet, so an offset still being processed could be committed past, and
lost if the worker then died: at-least-once broken.

``commit_only_finished`` keeps Faust's check and adds one: the run ends below the lowest offset still in
progress (Faust tracks every message handed to the streams until it is acknowledged). The gap handling is
Faust's own (offsets missing from the log, such as compacted ones, count as done). A message stays "in
progress" only while something references it, so an event must not be dropped unacknowledged (the app keeps
the events whose outputs failed in ``held``).

Replaces ``faust.transport.consumer.Consumer._new_offset`` (recorded, undone by ``undo_all``); idempotent.
Upstream: the same loss is reported as https://github.com/faust-streaming/faust/issues/606 (open; reproduced
with ``concurrency=2`` and a slow first message, as https://github.com/robinhood/faust/issues/682 and
https://github.com/robinhood/faust/issues/355 reported it for the original Faust), and
https://github.com/faust-streaming/faust/pull/707 (open) proposes the same rule: never commit past the lowest
offset still in progress.
Delete it when: the faust-streaming release the project moves to ships such a fix (#707 or another). The unit
test that shows Faust's own ``_new_offset`` committing past an offset in progress
(``tests/unit/test_patches_commits.py``) then fails, and the patched assertions pass without the patch.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from streams.runtime.patches.registry import replace
from streams.runtime.patches.versions import check_versions

__all__ = ["commit_only_finished", "committable_run"]


def committable_run(acked: list[int], committed: int | None, pending: int | None) -> list[int]:
    """The acknowledged offsets that may be committed now (the commit is the last one plus one).

    ``acked``: acknowledged offsets, sorted, not yet committed; ``committed``: the next offset to read as last
    committed (``None`` before the first commit); ``pending``: the lowest offset handed to a stream and not
    acknowledged (``None`` if none). Only a run of consecutive offsets ending below any pending one
    qualifies, and it must start at the committed offset or the one after: as in Faust, the committed offset
    itself may be missing from the log (deleted by retention, a transaction marker) and Faust's gap tracking
    never counts it, so a run starting just after it is accepted; if that offset is in progress instead,
    it is pending and holds the run back.
    """
    if not acked or (committed is not None and acked[0] > committed + 1):
        return []
    if pending is not None and acked[0] > pending:
        return []
    run = [acked[0]]
    for offset in acked[1:]:
        if offset != run[-1] + 1 or (pending is not None and offset >= pending):
            break
        run.append(offset)
    return run


def commit_only_finished() -> None:
    """Make Faust's consumer commit only up to the lowest offset still in progress (see the module)."""
    check_versions()
    from faust.transport.consumer import Consumer
    from faust.types.tuples import ack_lock

    consumer_class: Any = Consumer
    if getattr(consumer_class._new_offset, "streams_guard", False):
        return

    def _new_offset(self: Any, tp: Any) -> int | None:
        acked = self._acked[tp]
        if not acked:
            return None
        gap_for_tp = self._gap[tp]
        if gap_for_tp:  # as Faust does: offsets absent from the log count as acknowledged
            max_offset = max(acked)
            candidates = sorted(gap_for_tp.overlap(0, max_offset), key=lambda interval: interval.begin)
            if candidates:
                filled: list[int] = []
                for interval in candidates:
                    filled.extend(range(interval.begin, interval.end))
                acked.extend(filled)
                gap_for_tp.chop(0, max(filled[-1], max_offset + 1))
        acked.sort()
        committed = self._committed_offset[tp]
        if committed is not None and acked[0] < committed:  # acknowledged late, already committed past
            stale = bisect_left(acked, committed)
            self._acked_index[tp].difference_update(acked[:stale])
            acked[:stale] = []
        floor = committed or 0
        with ack_lock:  # acknowledgements may come from other threads (Event.ack is public)
            in_progress = list(self._unacked_messages)
        pending = [m.offset for m in in_progress if m.tp == tp and not m.acked and m.offset >= floor]
        run = committable_run(acked, committed, min(pending) if pending else None)
        if not run:
            return None
        acked[: len(run)] = []
        self._acked_index[tp].difference_update(run)
        return run[-1] + 1

    _new_offset.streams_guard = True  # type: ignore[attr-defined]
    replace("commit_only_finished", consumer_class, "_new_offset", _new_offset)

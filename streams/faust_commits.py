"""A fix to Faust's choice of the offset to commit, applied when the app is created (never at import).

Faust acknowledges each event when a stream is done with it and, at each commit, commits the end of the first
run of consecutive acknowledged offsets (``Consumer._new_offset``). Events are acknowledged out of order
whenever several agent instances share a stream (``STREAMS_CONCURRENCY``) or an agent acknowledges from a
delivery callback (dedup). Faust's check that the run starts at the committed offset is off by one (one
missing offset at the head is passed over) and is skipped when nothing was committed yet, so an offset
still being processed could be committed past, and lost if the worker then died: at-least-once broken.

``commit_only_finished`` makes the run start where it must: at the committed offset, and below the lowest
offset still in progress (Faust tracks every message handed to the streams until it is acknowledged). The
gap handling is Faust's own (offsets missing from the log, such as compacted ones, count as done).
Tied to faust-streaming < 0.16, the range pyproject allows; idempotent.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

__all__ = ["commit_only_finished", "committable_run"]


def committable_run(acked: list[int], committed: int | None, pending: int | None) -> list[int]:
    """The acknowledged offsets that may be committed now (the commit is the last one plus one).

    ``acked``: acknowledged offsets, sorted, not yet committed; ``committed``: the next offset to read as last
    committed (``None`` before the first commit); ``pending``: the lowest offset handed to a stream and not
    acknowledged (``None`` if none). Only a run of consecutive offsets starting at the committed offset and
    ending below any pending one qualifies.
    """
    if not acked or (committed is not None and acked[0] != committed):
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
    from faust.transport.consumer import Consumer

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
        pending = [m.offset for m in list(self._unacked_messages) if m.tp == tp and not m.acked and m.offset >= floor]
        run = committable_run(acked, committed, min(pending) if pending else None)
        if not run:
            return None
        acked[: len(run)] = []
        self._acked_index[tp].difference_update(run)
        return run[-1] + 1

    _new_offset.streams_guard = True  # type: ignore[attr-defined]
    consumer_class._new_offset = _new_offset

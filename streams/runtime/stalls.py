"""A watchdog for partitions the worker holds but no longer reads.

Faust can leave a partition it was assigned in a rebalance unread while the worker reports itself ready
(faust-streaming issue #471; seen here after one of two workers was killed, 1 run in 5). Nothing is lost, as
nothing past the records is committed, but nothing moves either, until the worker restarts. The health probe
feeds ``StallWatch`` with each assigned partition's end offset and the consumer's read position; a partition
with records waiting whose position has not moved for ``after_seconds`` while the worker was ready is stalled,
and the app ends the Faust worker process (as for a held event) so that the supervisor starts a new one, which
joins the group again and reads from the last commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["StallWatch"]


@dataclass
class StallWatch:
    """Since when each partition has had records waiting without its read position moving."""

    after_seconds: float = 60.0
    _seen: dict[tuple[str, int], tuple[int | None, float]] = field(default_factory=dict)

    def observe(
        self,
        now: float,
        ends: dict[tuple[str, int], int],
        positions: dict[tuple[str, int], int | None],
        committed: dict[tuple[str, int], int],
        ready: bool,
    ) -> list[tuple[str, int]]:
        """The partitions stalled for ``after_seconds`` as of ``now`` (monotonic seconds). ``ends``: end offsets
        of the assigned partitions; ``positions``: the last offset handed to the streams (None: none yet);
        ``committed``: the group's committed offsets. Time spent not ready (rebalancing, recovering) does not
        count."""
        stalled = []
        for tp, end in ends.items():
            position = positions.get(tp)
            next_offset = position + 1 if position is not None else committed.get(tp, 0)
            waiting = end > next_offset
            previous = self._seen.get(tp)
            if not waiting or not ready or previous is None or previous[0] != position:
                self._seen[tp] = (position, now)
                continue
            if now - previous[1] >= self.after_seconds:
                stalled.append(tp)
        for tp in set(self._seen) - set(ends):  # no longer assigned
            del self._seen[tp]
        return stalled

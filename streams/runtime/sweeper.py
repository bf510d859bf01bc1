"""The dedup state's sweep in the worker: what no article reads again leaves the local store.

Every ``SWEEP_INTERVAL_S`` a timer reads the next ``keys`` entries of each active partition's local store, in
key order from where the last step stopped (from the start again after the last key), and hands them to the
index (``IndexState.sweep``), which deletes the records and lists past the time-to-live and writes lists back
without their expired entries (``streams.stages.dedup.expiry``). A store of N entries is walked in
``N / keys`` steps. A new walk starts once the sweep's "now" (below) is ``MIN_CYCLE_S`` past the "now" of the
last walk's start: nothing more can have expired before, the time-to-live is counted in days, and a walk
over a store just emptied by a sweep is slow (RocksDB reads past the deleted keys until it compacts them),
so the sweep does not start over every second on a small store.

Deletes go to the local store only, as the candidate lists do: no changelog record. The changelog forgets
the records by age on its own (``dedup_table.changelog_configs``); a record a restore brings back after its
time-to-live is ignored by the index and swept again.

The sweep's "now" is the latest fetch time of an article the index has checked, never later than the wall
clock: the index judges records by the articles' own times (a backfill of last year's articles keeps last
year's state), and one article stamped in the future cannot sweep the rest away. Before the first article
of a run there is no "now", and no sweep.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from streams.runtime.metrics import Metrics
from streams.runtime.patches.stores import PartitionStore, active_partitions
from streams.stages.dedup.index import DedupIndex

__all__ = ["MIN_CYCLE_S", "SWEEP_INTERVAL_S", "StateSweeper"]

SWEEP_INTERVAL_S = 1.0
MIN_CYCLE_S = 3600.0


class StateSweeper:
    def __init__(self, table: Any, index: DedupIndex, metrics: Metrics, keys: int) -> None:
        self.table = table
        self.index = index
        self.metrics = metrics
        self.keys = keys  # entries read per partition and step (0: no sweep)
        self._after: dict[int | None, bytes | None] = {}  # per partition: the raw key the next step starts after
        self._started: dict[int | None, float] = {}  # per partition: the "now" its last walk started at

    def step(self) -> Counter[str]:
        """One step over each active partition: how many entries were deleted and pruned."""
        done: Counter[str] = Counter()
        clock = self.index.clock
        if not self.keys or clock is None:
            return done
        cpu = time.thread_time()
        now = min(clock, time.time())
        for partition in active_partitions(self.table):
            after = self._after.get(partition)
            if after is None:  # a new walk, if "now" has moved on enough since the last one started
                if now - self._started.get(partition, now - MIN_CYCLE_S) < MIN_CYCLE_S:
                    continue
                self._started[partition] = now
            store = PartitionStore(self.table.data, partition)
            entries, self._after[partition] = store.scan(after, self.keys)
            done += self.index.sweep(entries, now, store)
        for action, count in done.items():
            self.metrics.dedup_swept.labels(action=action).inc(count)
        self.metrics.stage_cpu_seconds.labels(stage="sweep").inc(time.thread_time() - cpu)
        return done

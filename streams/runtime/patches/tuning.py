"""Three adjustments to Faust that no setting reaches, applied when the app or worker is created (never at
import).

All refuse to run outside the versions they were tested with (``versions.check_versions``), all are idempotent,
and the two that replace class attributes record them for ``undo_all``. Each says below what it works around,
where that is reported upstream and when it can go.

``without_spinner``: at a log level of WARN or above, Faust's worker shows a start-up spinner and, to turn it
on every log call, sets the root logger to DEBUG, and leaves it there after start-up. Every debug call in
Faust and aiokafka then built a log record (Faust's ``send`` logs each message's key and value), and the
spinner wrote terminal escapes into log files. In a profile of the pipeline bench these records took about
4% of the worker's time. It sets the ``spinner`` attribute of the one worker given (``faust.Worker``, before
it starts), so there is nothing global to undo. Upstream: no issue found in faust-streaming/faust; one to
report: "faust.Worker: at a log level of WARN or above the start-up spinner sets the root logger to DEBUG
(``_setup_spinner_handler``) and never restores it". Delete it when: the test that shows a shipped worker
setting the root logger to DEBUG (``tests/unit/test_patches_tuning.py``) fails on a new release.

``shorten_fetch_wait``: faust-streaming builds its aiokafka consumer with ``fetch_max_wait_ms=1500`` fixed.
A partition that has just been drained is not part of the fetch request already waiting at the broker, so
a message arriving there waits until that request expires: up to 1.5 s per hop, three hops in this pipeline
(measured: p50 23 ms but p90 2 s). It wraps Faust's consumer factory
(``AIOKafkaConsumerThread._create_worker_consumer``, recorded for ``undo_all``) to set aiokafka's private
``_fetch_max_wait_ms`` on the new consumer. Upstream: no issue or setting found in faust-streaming/faust; one to
report: "make the worker consumer's fetch_max_wait_ms a setting (e.g. ``consumer_fetch_max_wait_ms``) instead
of the fixed 1500 in ``faust/transport/drivers/aiokafka.py``". Delete it when: Faust has such a setting (then
set it in ``create_app``) or builds the consumer with a wait of about 100 ms.

``drop_stale_batches``: a fix for lost messages after a rebalance, found by the SIGKILL fault test. After a
rebalance Faust resumes the stream partitions and *then* seeks them to their committed offsets, and it runs
aiokafka in a thread of its own, so records fetched from the old positions reach the agents while or after
the seek runs. Faust remembers the highest offset handed out, drops the re-fetched lower offsets as "already
read", and its gap tracking then commits past them. Measured on the real broker before the fix: 1 to 69 of
120 articles lost or stalled in most runs; after it, none in 8 of 8 runs. The guard holds back every record
fetched across a seek or a generation change, then, in one step in the consumer's thread, seeks each of
those partitions back to the first held-back record where aiokafka had already counted them consumed, so
they are fetched again from where the seek put the partition. It replaces ``getmany``, ``perform_seek``,
``_seek`` and ``seek_wait`` of ``faust.transport.consumer.ThreadDelegateConsumer`` (recorded for
``undo_all``) and reads aiokafka's private subscription state in ``_rewind``. Upstream: related, not the same:
https://github.com/faust-streaming/faust/issues/216 (fixed by https://github.com/faust-streaming/faust/pull/217:
the flow is now resumed after the seek, but the partitions are still resumed before it, and the consumer thread
keeps fetching) and https://github.com/faust-streaming/faust/issues/596 (open: a race in recovery leaves gaps
in the acknowledged offsets). No issue reports this loss itself; one to report: "records fetched from the old
position while ``perform_seek`` runs after a rebalance are dropped as already read, and the gap tracking then
commits past them". Delete it when: Faust discards fetched records across a seek or generation change itself
(the consumer thread's buffered records for a partition are dropped when it is seeked); then
``tests/integration/test_faults.py`` passes repeatedly without this patch.
"""

from __future__ import annotations

from typing import Any, TypeVar

from streams.runtime.patches.registry import replace, shipped
from streams.runtime.patches.versions import check_versions

__all__ = ["drop_stale_batches", "shorten_fetch_wait", "without_spinner"]

_Worker = TypeVar("_Worker")


def without_spinner(worker: _Worker) -> _Worker:
    """Drop the worker's spinner before it starts, so the root logger keeps the level asked for."""
    check_versions()
    worker.spinner = None  # type: ignore[attr-defined]  # faust.Worker; generic so callers keep its type
    return worker


def shorten_fetch_wait(milliseconds: int) -> None:
    """Make Faust's worker consumer wait at most ``milliseconds`` for a fetch (see the module)."""
    check_versions()
    from faust.transport.drivers import aiokafka as driver

    thread_class: Any = driver.AIOKafkaConsumerThread
    if getattr(thread_class._create_worker_consumer, "streams_fetch_wait", None) == milliseconds:
        return
    original = shipped(thread_class, "_create_worker_consumer")  # a new wait wraps Faust's factory, not ours

    def create_worker_consumer(self: Any, transport: Any) -> Any:
        consumer = original(self, transport)
        consumer._fetch_max_wait_ms = milliseconds  # read when the consumer starts and builds its fetcher
        return consumer

    create_worker_consumer.streams_fetch_wait = milliseconds  # type: ignore[attr-defined]
    replace("shorten_fetch_wait", thread_class, "_create_worker_consumer", create_worker_consumer)


def drop_stale_batches() -> None:
    """Hold back records fetched across a seek or a rebalance and fetch them again (see the module)."""
    check_versions()
    from faust.transport.consumer import ThreadDelegateConsumer

    consumer_class: Any = ThreadDelegateConsumer
    if getattr(consumer_class.getmany, "streams_guard", False):
        return
    original_getmany = shipped(consumer_class, "getmany")
    original_perform_seek = shipped(consumer_class, "perform_seek")
    original_seek = shipped(consumer_class, "_seek")
    original_seek_wait = shipped(consumer_class, "seek_wait")

    def note_seek(self: Any) -> None:
        self._streams_seeks = getattr(self, "_streams_seeks", 0) + 1

    def epoch(self: Any) -> tuple[int, int]:
        return (getattr(self, "_streams_seeks", 0), self.app.consumer_generation_id)

    async def perform_seek(self: Any) -> None:
        self._streams_seeking = getattr(self, "_streams_seeking", 0) + 1
        note_seek(self)
        try:
            await original_perform_seek(self)
        finally:
            note_seek(self)
            self._streams_seeking -= 1

    async def _seek(self: Any, partition: Any, offset: int) -> None:
        note_seek(self)
        await original_seek(self, partition, offset)
        note_seek(self)

    async def seek_wait(self: Any, partitions: Any) -> None:
        note_seek(self)
        await original_seek_wait(self, partitions)
        note_seek(self)

    async def getmany(self: Any, timeout: float) -> Any:
        before = epoch(self)
        dropped: dict[Any, tuple[int, int]] = {}
        try:
            async for tp, message in original_getmany(self, timeout):
                if getattr(self, "_streams_seeking", 0) or epoch(self) != before:
                    first, last = dropped.get(tp, (message.offset, message.offset))
                    dropped[tp] = (min(first, message.offset), max(last, message.offset))
                    continue
                yield tp, message
        finally:
            if dropped:
                thread = self._thread
                await thread.call_thread(_rewind, thread._ensure_consumer(), dropped)
                self.log.info("held back records fetched across a seek or rebalance: %s", _ranges(dropped))

    getmany.streams_guard = True  # type: ignore[attr-defined]
    patched = {"getmany": getmany, "perform_seek": perform_seek, "_seek": _seek, "seek_wait": seek_wait}
    for name, function in patched.items():
        replace("drop_stale_batches", consumer_class, name, function)


def rewind_targets(dropped: dict[Any, tuple[int, int]], positions: dict[Any, int | None]) -> dict[Any, int]:
    """Where to seek so that dropped records are fetched again: only where the position has passed them.

    A position at or before the dropped records (a seek moved it back, or it is unknown until reset)
    already fetches them again; a position past them (aiokafka counts them consumed) goes back to the first.
    """
    return {
        tp: first
        for tp, (first, last) in dropped.items()
        if (position := positions.get(tp)) is not None and position > last
    }


async def _rewind(consumer: Any, dropped: dict[Any, tuple[int, int]]) -> None:
    """Run in the consumer's thread, in one step, so no seek can slip between reading positions and seeking."""
    from aiokafka import TopicPartition

    subscription = consumer._subscription.subscription
    assignment = subscription.assignment if subscription is not None else None
    if assignment is None:
        return
    positions: dict[Any, int | None] = {}
    for tp in dropped:
        state = assignment.state_value(tp)
        positions[tp] = state.position if state is not None and state.has_valid_position else None
    for tp, offset in rewind_targets(dropped, positions).items():
        consumer.seek(TopicPartition(tp.topic, tp.partition), offset)


def _ranges(dropped: dict[Any, tuple[int, int]]) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}]@{first}-{last}" for tp, (first, last) in sorted(dropped.items()))

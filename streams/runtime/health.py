"""Worker health for operators: readiness, rebalances and consumer lag, from Faust's signals and the broker.

- **Ready** (``/readyz``): the worker has joined its group and been assigned partitions, is not
  rebalancing, its tables are recovered, and the broker answered the last lag probe (within 30 s).
- **Lag**: every ``interval`` seconds, for the partitions assigned to this worker, the end offset minus the
  group's committed offset (``streams_consumer_lag_messages{topic,partition}``), read with aiokafka's admin
  and consumer clients: the same numbers ``kafka-consumer-groups --describe`` shows.
- **Rebalances**: ``streams_rebalances_total`` counts revocations, for the rebalance-storm alert.
- **Stalls**: with each lag probe, a partition with records waiting whose read position has not moved for
  ``STALL_AFTER_S`` while the worker was ready calls ``on_stall`` (the app ends the process; ``stalls``).

Faust's own Prometheus sensor is not used: its metric names carry the app id (so dashboards break when the
app id changes), its histograms are in milliseconds, and it would export a second, overlapping vocabulary.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import faust
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from streams.runtime.kafka import make_admin, make_consumer
from streams.runtime.metrics import Metrics
from streams.runtime.patches.positions import read_positions
from streams.runtime.stalls import StallWatch
from streams.settings import Settings

__all__ = ["HealthMonitor"]

log = logging.getLogger(__name__)

BROKER_FRESH_S = 30.0
STALL_AFTER_S = 30.0  # a partition with records waiting and no read for this long is stalled (``stalls``)


class HealthMonitor:
    def __init__(
        self,
        app: faust.App,
        settings: Settings,
        metrics: Metrics,
        sources: tuple[str, ...],
        on_stall: Callable[[], None] | None = None,
        stall_after_s: float = STALL_AFTER_S,
    ) -> None:
        self.app = app
        self.settings = settings
        self.metrics = metrics
        self.sources = set(sources)
        self.on_stall = on_stall
        self.stalls = StallWatch(after_seconds=stall_after_s)
        self.joined = False
        self.broker_ok_at: float | None = None
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._lag_series: set[tuple[str, str]] = set()

    def install(self, interval: float = 5.0) -> None:
        async def revoked(app: Any, revoked: Any, **kwargs: Any) -> None:
            self.metrics.rebalances.inc()
            self.metrics.worker_ready.set(0)

        async def assigned(app: Any, assigned: Any, **kwargs: Any) -> None:
            self.joined = True

        signals: Any = self.app  # Faust's signal types do not describe async receivers
        signals.on_partitions_revoked.connect(revoked)
        signals.on_partitions_assigned.connect(assigned)

        @self.app.timer(interval=interval)  # type: ignore[untyped-decorator]
        async def probe() -> None:
            await self.update_lag()
            self.metrics.worker_ready.set(1 if self.ready()[0] else 0)

    def ready(self) -> tuple[bool, dict[str, Any]]:
        tables: Any = self.app.tables
        recovered = bool(tables.recovery.completed.is_set())
        rebalancing = bool(self.app.rebalancing)
        broker = self.broker_ok_at is not None and time.monotonic() - self.broker_ok_at < BROKER_FRESH_S
        checks = {"joined": self.joined, "recovered": recovered, "rebalancing": rebalancing, "broker": broker}
        return (self.joined and recovered and not rebalancing and broker), checks

    async def update_lag(self) -> None:
        try:
            if self._admin is None:
                self._admin = make_admin(self.settings, request_timeout_ms=5000)
                await self._admin.start()
                self._consumer = make_consumer(self.settings, group_id=None)
                await self._consumer.start()
            assigned = [
                TopicPartition(tp.topic, tp.partition)
                for tp in self.app.assignor.assigned_actives()
                if tp.topic in self.sources
            ]
            committed = await self._admin.list_consumer_group_offsets(self.settings.app_id)
            ends = await self._consumer.end_offsets(assigned) if assigned else {}  # type: ignore[union-attr]
        except Exception as exc:  # the probe reports; it never takes the worker down
            log.warning("lag probe failed: %s", exc)
            return
        self.broker_ok_at = time.monotonic()
        self._watch_stalls(ends, committed)
        current = set()
        for tp, end in ends.items():
            offset = committed.get(tp)
            position = offset.offset if offset is not None and offset.offset >= 0 else 0
            labels = (tp.topic, str(tp.partition))
            self.metrics.consumer_lag.labels(*labels).set(max(0, end - position))
            current.add(labels)
        for labels in self._lag_series - current:  # partitions moved to another worker
            self.metrics.consumer_lag.remove(*labels)
        self._lag_series = current

    def _watch_stalls(self, ends: dict[Any, int], committed: dict[Any, Any]) -> None:
        """Partitions with records waiting and a read position that does not move (see ``stalls``)."""
        stalled = self.stalls.observe(
            time.monotonic(),
            {(tp.topic, tp.partition): end for tp, end in ends.items()},
            read_positions(self.app),
            {(tp.topic, tp.partition): o.offset for tp, o in committed.items() if o.offset >= 0},
            ready=self.ready()[0],
        )
        if stalled:
            log.critical(
                "partitions %s have had records waiting for %.0f s without being read: ending the worker process "
                "so that a new one reads them from the last commit",
                ", ".join(f"{topic}[{partition}]" for topic, partition in stalled),
                self.stalls.after_seconds,
            )
            if self.on_stall is not None:
                self.on_stall()

    async def close(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
        if self._admin is not None:
            await self._admin.close()

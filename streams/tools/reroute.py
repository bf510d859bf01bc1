"""What would change: re-decide a time range under other rules without publishing anything.

    python -m streams reroute --from T1 --to T2 --rules NEW.yaml [--topic news.unique] [--examples 10]

Reads the tagged articles of the range (``news.unique`` by default: every unique article, before routing)
with no consumer group, decides each one under the rules in force and under ``NEW.yaml``, and reports how
many change route, from where to where, with examples.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition

from streams.errors import ParseError
from streams.runtime.kafka import make_consumer, topic_partitions
from streams.settings import Settings
from streams.stages.record import Article
from streams.stages.routing import Rules, decide

__all__ = ["RerouteReport", "reroute"]


@dataclass
class RerouteReport:
    read: int = 0
    unreadable: int = 0
    changes: Counter[tuple[str, str]] = field(default_factory=Counter)
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(self.changes.values())


async def reroute(
    settings: Settings, topic: str, start_ms: int, end_ms: int, old: Rules, new: Rules, examples: int = 10
) -> RerouteReport:
    report = RerouteReport()
    tps = [TopicPartition(topic, p) for p in await topic_partitions(settings, topic)]
    if not tps:
        return report
    consumer = make_consumer(settings, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(tps)
        starts = await consumer.offsets_for_times({tp: start_ms for tp in tps})
        stops = await consumer.offsets_for_times({tp: end_ms for tp in tps})
        ends = await consumer.end_offsets(tps)
        for tp in tps:
            first = starts[tp].offset if starts.get(tp) is not None else ends[tp]
            last = stops[tp].offset if stops.get(tp) is not None else ends[tp]
            if first >= last:
                continue
            consumer.seek(tp, first)
            position = first
            while position < last:
                batch = await consumer.getmany(tp, timeout_ms=1000, max_records=500)
                for message in batch.get(tp, []):
                    if message.offset >= last:
                        break
                    position = message.offset + 1
                    _one(report, message.value, old, new, examples)
                if not batch:
                    break
    finally:
        await consumer.stop()
    return report


def _one(report: RerouteReport, value: bytes, old: Rules, new: Rules, examples: int) -> None:
    report.read += 1
    try:
        article = Article.loads(value)
    except ParseError:
        report.unreadable += 1
        return
    before, after = decide(article, old)["route"], decide(article, new)["route"]
    if before != after:
        report.changes[(before, after)] += 1
        if len(report.examples) < examples:
            report.examples.append({"id": article.id, "title": article.title[:100], "from": before, "to": after})

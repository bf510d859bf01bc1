"""Where a worker's CPU went in a bench run, and the Kafka records it moved: read from the worker's own metrics
and from the topics' end offsets, so the scaling model (``model``) shares what Kafka and Faust cost by them."""

from __future__ import annotations

import urllib.request

from aiokafka import TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from streams.runtime.kafka import make_admin, make_consumer, topic_partitions
from streams.settings import Settings

__all__ = ["records_written", "stage_cpu", "stories_merged"]


def _samples(settings: Settings, counter: str) -> list[tuple[dict[str, str], float]]:
    """The samples of one of the worker's counters (``streams_<counter>_total``): labels and value."""
    url = f"http://{settings.web_host}:{settings.web_port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    return [
        (sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        if family.name == f"streams_{counter}"
        for sample in family.samples
        if sample.name == f"streams_{counter}_total"
    ]


def stage_cpu(settings: Settings) -> dict[str, float]:
    """The worker's own count of its stages' CPU seconds (``streams_stage_cpu_seconds_total``), by stage."""
    return {labels["stage"]: value for labels, value in _samples(settings, "stage_cpu_seconds")}


def stories_merged(settings: Settings) -> float:
    """How many stories the worker merged into others: each sent one more record to the stories topic."""
    return sum(value for labels, value in _samples(settings, "story_events") if labels.get("event") == "merged")


async def records_written(settings: Settings) -> dict[str, int]:
    """Records on the fresh topics of a drain: articles parsed, unique articles, story summaries and the dedup
    table's changelog records (its topic found by the table's name)."""
    topics = settings.topics
    admin = make_admin(settings)
    await admin.start()
    try:
        changelog = [t for t in await admin.list_topics() if t.startswith(settings.app_id) and "dedup-state" in t]
    finally:
        await admin.close()
    named = {"articles": [topics.articles], "unique": [topics.unique], "stories": [topics.stories]}
    named["changelog"] = changelog
    partitions = {
        kind: [TopicPartition(t, p) for t in names for p in await topic_partitions(settings, t)]
        for kind, names in named.items()
    }
    consumer = make_consumer(settings, group_id=None)
    await consumer.start()
    try:
        ends = await consumer.end_offsets([tp for tps in partitions.values() for tp in tps])
    finally:
        await consumer.stop()
    return {kind: sum(ends[tp] for tp in tps) for kind, tps in partitions.items()}

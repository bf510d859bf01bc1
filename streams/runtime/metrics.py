"""Prometheus metrics, built by a factory that takes the registry (tests pass a fresh ``CollectorRegistry``).

Base units (seconds), ``_total`` on counters, and only bounded label values: stage names, reason classes
(the ``reason`` of :class:`~streams.errors.StreamsError`), route names, format names, duplicate kinds,
language codes (``language_label``), story events (``STORY_EVENTS``), lead-in outcomes (``LEAD_IN_OUTCOMES``).
Never URLs, ids or titles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, PlatformCollector, ProcessCollector

__all__ = ["Metrics", "build_metrics", "language_label"]

STAGES = ("parse", "dedup", "route")
CPU_STAGES = (*STAGES, "sweep")  # the stages whose CPU time is counted (``stage_cpu_seconds``)
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_STORY_SIZE_BUCKETS = (1, 2, 3, 5, 10, 20, 50, 100, 250, 1000)
STORY_EVENTS = ("started", "joined", "cross_language", "merged")  # as streams.stages.dedup.storystep names them
SWEEP_ACTIONS = ("delete", "prune")  # as streams.stages.dedup.expiry names them
LEAD_IN_OUTCOMES = (("parse", "skipped"), ("dedup", "learnt"), ("dedup", "skipped"))
_E2E_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    received: Counter
    parsed: Counter
    failed: Counter
    duplicates: Counter
    story_events: Counter
    story_size: Histogram
    lead_in: Counter
    routed: Counter
    review: Counter
    deadlettered: Counter
    stage_seconds: Histogram
    stage_cpu_seconds: Counter
    end_to_end_seconds: Histogram
    dedup_state_entries: Gauge
    dedup_swept: Counter
    rules_info: Gauge
    rules_reload_failures: Counter
    feed_fetches: Counter
    feed_items_published: Counter
    feed_last_success: Gauge
    consumer_lag: Gauge
    rebalances: Counter
    worker_ready: Gauge
    worker_restarts: Gauge
    worker_up: Gauge


def build_metrics(
    registry: CollectorRegistry | None = None, namespace: str = "streams", *, process: bool = False
) -> Metrics:
    """The metrics on ``registry`` (a fresh one by default). ``process=True`` (the worker and the poller) adds
    the standard ``process_*`` series (resident memory, CPU seconds, open files) and ``python_info``."""
    registry = registry if registry is not None else CollectorRegistry()
    if process:
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
    metrics = Metrics(
        registry=registry,
        received=Counter(
            "received_messages_total",
            "Messages consumed, by stage.",
            ["stage"],
            namespace=namespace,
            registry=registry,
        ),
        parsed=Counter(
            "parsed_articles_total",
            "Articles parsed from raw payloads, by input format.",
            ["format"],
            namespace=namespace,
            registry=registry,
        ),
        failed=Counter(
            "failed_messages_total",
            "Messages that failed, by stage and reason class.",
            ["stage", "reason"],
            namespace=namespace,
            registry=registry,
        ),
        duplicates=Counter(
            "duplicates_total",
            "Articles found to be duplicates, by kind (url, content, near).",
            ["kind"],
            namespace=namespace,
            registry=registry,
        ),
        story_events=Counter(
            "story_events_total",
            "Reports added to stories: started one, joined one, or joined one with no report in its language "
            "yet (cross_language); and stories merged into the story a report joined (merged).",
            ["event"],
            namespace=namespace,
            registry=registry,
        ),
        story_size=Histogram(
            "story_size_reports",
            "Reports in a story after each report starts or joins it.",
            buckets=_STORY_SIZE_BUCKETS,
            namespace=namespace,
            registry=registry,
        ),
        lead_in=Counter(
            "lead_in_articles_total",
            "Articles of a replay's lead-in (before its range): taken into the dedup state and published nowhere "
            "(learnt), or left out where parsing or dedup failed (skipped: the run of the range they belong to "
            "dead-letters them).",
            ["stage", "outcome"],
            namespace=namespace,
            registry=registry,
        ),
        routed=Counter(
            "routed_articles_total",
            "Articles routed, by route name and language (ISO 639 code, `und` when unknown).",
            ["route", "lang"],
            namespace=namespace,
            registry=registry,
        ),
        review=Counter(
            "review_articles_total",
            "Articles sent to review instead of a low-confidence route, by language.",
            ["lang"],
            namespace=namespace,
            registry=registry,
        ),
        deadlettered=Counter(
            "deadletter_messages_total",
            "Messages sent to the dead-letter topic, by stage.",
            ["stage"],
            namespace=namespace,
            registry=registry,
        ),
        stage_seconds=Histogram(
            "stage_processing_seconds",
            "Processing time of one message, by stage.",
            ["stage"],
            buckets=_LATENCY_BUCKETS,
            namespace=namespace,
            registry=registry,
        ),
        stage_cpu_seconds=Counter(
            "stage_cpu_seconds_total",
            "CPU time of the stages' own work in this worker (parse and tag, dedup, route, the dedup state's "
            "sweep): process_cpu_seconds_total less their sum is what the Kafka client and Faust cost.",
            ["stage"],
            namespace=namespace,
            registry=registry,
        ),
        end_to_end_seconds=Histogram(
            "end_to_end_latency_seconds",
            "From fetch time to routed.",
            buckets=_E2E_BUCKETS,
            namespace=namespace,
            registry=registry,
        ),
        dedup_state_entries=Gauge(
            "dedup_state_entries",
            "Entries in the local store of this worker's dedup table partitions (RocksDB's estimate).",
            namespace=namespace,
            registry=registry,
        ),
        dedup_swept=Counter(
            "dedup_swept_entries_total",
            "Dedup state entries past the time-to-live, by what the sweep did: delete, or prune (a list "
            "written back without its expired entries).",
            ["action"],
            namespace=namespace,
            registry=registry,
        ),
        rules_info=Gauge(
            "rules_info",
            "The routing rules version in force (value 1).",
            ["version"],
            namespace=namespace,
            registry=registry,
        ),
        rules_reload_failures=Counter(
            "rules_reload_failures_total",
            "Rules files refused on reload (the previous rules stay).",
            namespace=namespace,
            registry=registry,
        ),
        feed_fetches=Counter(
            "feed_fetches_total",
            "Feed fetches, by feed and outcome (ok, not_modified, http_error, timeout, too_large, ...).",
            ["feed", "outcome"],
            namespace=namespace,
            registry=registry,
        ),
        feed_items_published=Counter(
            "feed_items_published_total",
            "New feed items published to the raw topic, by feed.",
            ["feed"],
            namespace=namespace,
            registry=registry,
        ),
        feed_last_success=Gauge(
            "feed_last_success_timestamp_seconds",
            "When a feed was last fetched successfully (ok or not modified), Unix time.",
            ["feed"],
            namespace=namespace,
            registry=registry,
        ),
        consumer_lag=Gauge(
            "consumer_lag_messages",
            "End offset minus the group's committed offset, for this worker's partitions.",
            ["topic", "partition"],
            namespace=namespace,
            registry=registry,
        ),
        rebalances=Counter(
            "rebalances_total",
            "Partition revocations seen by this worker (each rebalance revokes once).",
            namespace=namespace,
            registry=registry,
        ),
        worker_ready=Gauge(
            "worker_ready",
            "1 when the worker is ready (joined, recovered, not rebalancing, broker reachable).",
            namespace=namespace,
            registry=registry,
        ),
        worker_restarts=Gauge(
            "worker_restarts",
            "Times the worker command's supervisor started the Faust worker again after it exited.",
            namespace=namespace,
            registry=registry,
        ),
        worker_up=Gauge(
            "worker_up",
            "1 while a Faust worker process runs (the supervisor answers with 0 while restarting it).",
            namespace=namespace,
            registry=registry,
        ),
    )
    for stage in STAGES:
        metrics.received.labels(stage=stage)
        metrics.stage_seconds.labels(stage=stage)
    for stage in CPU_STAGES:
        metrics.stage_cpu_seconds.labels(stage=stage)
    for event in STORY_EVENTS:
        metrics.story_events.labels(event=event)
    for action in SWEEP_ACTIONS:
        metrics.dedup_swept.labels(action=action)
    for stage, outcome in LEAD_IN_OUTCOMES:
        metrics.lead_in.labels(stage=stage, outcome=outcome)
    return metrics


def language_label(lang: str | None) -> str:
    """An article's language as a label value: its ISO 639 code, else ``und`` (the set stays bounded)."""
    return lang if lang and _LANGUAGE_CODE.fullmatch(lang) else "und"

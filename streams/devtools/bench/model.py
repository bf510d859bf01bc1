"""A scaling model from the measured costs: the rate each stage allows for N workers and P partitions.

Labelled as a model wherever it is printed: it is arithmetic over one run's measurements, not a measurement.

Per raw message, each stage costs its own work (``work``: parse + tag + decide + fingerprint, dedup, route,
measured without Kafka) plus its share of what Faust and Kafka cost the worker: the worker's CPU per raw
message in the pipeline less all stage work, split over the three agents by the messages each consumes (parse
one raw message, dedup and route each of its articles). Then, with ``workers`` single-core workers (a Python
worker runs on one core) and ``partitions`` partitions of the raw and unique topics:

- parse and route run on ``min(workers, partitions)`` workers, spread evenly;
- dedup is one instance (all articles are keyed to one partition): one worker does all of it, besides its
  share of the parse and route partitions;
- so the rate is the least of: all the work over all the workers' cores, and the dedup worker's load
  ``dedup + (parse + route) / min(workers, partitions)`` on its one core.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["StageCosts", "backfill_hours", "costs_from_run", "rate", "scaling_table"]


@dataclass(frozen=True, slots=True)
class StageCosts:
    """CPU milliseconds per raw message of each agent, Faust's share included; articles per raw message."""

    parse_ms: float
    dedup_ms: float
    route_ms: float
    articles_per_message: float


def costs_from_run(
    work_ms: dict[str, float], worker_cpu_ms_per_message: float, articles_per_message: float
) -> StageCosts:
    """The costs from a pipeline run: stage work per raw message (``parse``, ``dedup``, ``route``) and the
    worker's CPU per raw message while draining."""
    overhead = max(worker_cpu_ms_per_message - sum(work_ms.values()), 0.0)
    consumed = 1.0 + 2.0 * articles_per_message  # parse reads the raw message, dedup and route its articles
    per_message = overhead / consumed
    return StageCosts(
        parse_ms=work_ms["parse"] + per_message,
        dedup_ms=work_ms["dedup"] + articles_per_message * per_message,
        route_ms=work_ms["route"] + articles_per_message * per_message,
        articles_per_message=articles_per_message,
    )


def rate(costs: StageCosts, workers: int, partitions: int) -> dict[str, float | str]:
    """Raw messages and articles per second for ``workers`` workers and ``partitions`` partitions, and which
    limit binds: ``all cores`` or ``dedup worker``."""
    spread = max(min(workers, partitions), 1)
    total = costs.parse_ms + costs.dedup_ms + costs.route_ms
    all_cores = 1000.0 * workers / total
    dedup_worker = 1000.0 / (costs.dedup_ms + (costs.parse_ms + costs.route_ms) / spread)
    raw = min(all_cores, dedup_worker)
    return {
        "workers": workers,
        "partitions": partitions,
        "raw messages/s": raw,
        "articles/s": raw * costs.articles_per_message,
        "bound by": "all cores" if all_cores <= dedup_worker else "dedup worker",
    }


def scaling_table(
    costs: StageCosts, workers: tuple[int, ...] = (1, 2, 4, 8, 16), partitions: int = 16
) -> list[dict[str, float | str]]:
    return [rate(costs, n, partitions) for n in workers]


def backfill_hours(costs: StageCosts, articles: float, workers: int, partitions: int) -> float:
    """Hours to run ``articles`` through the pipeline at the modelled rate."""
    per_second = float(rate(costs, workers, partitions)["articles/s"])
    return articles / per_second / 3600.0

"""A scaling model from the measured costs: the rate each stage allows for N workers and P partitions.

Labelled as a model wherever it is printed: it is arithmetic over one run's measurements, not a measurement.

Per raw message, each stage costs its own work plus its share of what Faust and Kafka cost the worker. Its own
work is the CPU time the worker counted for it while draining (``streams_stage_cpu_seconds_total``: the
stage's functions, its state store and the encoding of its records). What remains of the worker's CPU (the
Kafka client, Faust's streams and producer, the event loop) is shared over the three agents by the Kafka
records each reads and writes (``Records``): parse reads the raw message and writes its articles; dedup reads
the articles and writes their verdicts, the stories' summaries and its changelog records; route reads the
unique articles and writes them routed. A changelog record counts for what it costs against a record read
or written, both measured on the bare Faust pass-through (with and without table writes).

Then, with ``workers`` single-core workers (a Python worker runs on one core) and ``partitions`` partitions of
the raw and unique topics:

- parse and route run on ``min(workers, partitions)`` workers, spread evenly;
- dedup is one instance (all articles are keyed to one partition): one worker does all of it, besides its
  share of the parse and route partitions;
- so the rate is the least of: all the work over all the workers' cores, and the dedup worker's load
  ``dedup + (parse + route) / min(workers, partitions)`` on its one core.

A backfill may instead be cut into ``slices`` consecutive time ranges, each replayed with a lead-in
(``replay --lead-in``) into a run of its own with ``workers / slices`` workers: one dedup instance per slice,
all at once. Every slice also takes in its lead-in (a share of its own articles), at an article's full cost
(its outputs, which a lead-in article does not send, are counted too: an upper bound).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Records",
    "StageCosts",
    "backfill_hours",
    "costs_from_run",
    "floor_ms_per_article",
    "lead_in_share",
    "model_results",
    "rate",
    "scaling_table",
    "sliced_backfill_hours",
]


@dataclass(frozen=True, slots=True)
class StageCosts:
    """CPU milliseconds per raw message of each agent, Faust's share included; articles per raw message."""

    parse_ms: float
    dedup_ms: float
    route_ms: float
    articles_per_message: float


@dataclass(frozen=True, slots=True)
class Records:
    """Kafka records per raw message: articles parsed (each a duplicate or unique), unique articles, story
    summaries and changelog records written by dedup."""

    articles: float
    unique: float
    stories: float
    changelog: float

    def per_agent(self, changelog_weight: float = 1.0) -> dict[str, float]:
        """Records each agent reads and writes per raw message, a changelog record counted as
        ``changelog_weight`` of one (its measured cost against a record read or written: ``floor``)."""
        return {
            "parse": 1.0 + self.articles,
            "dedup": self.articles + self.articles + self.stories + changelog_weight * self.changelog,
            "route": self.unique + self.unique,
        }

    def moved(self) -> float:
        """Records read or written per raw message, the changelog's aside."""
        return sum(self.per_agent(0.0).values())


def floor_ms_per_article(records: Records, record_ms: float, changelog_ms: float) -> float:
    """What Faust and Kafka alone cost an article at these costs per record read or written and per changelog
    record: the least CPU an article can take in this topology, were the stages' own work free."""
    return (records.moved() * record_ms + records.changelog * changelog_ms) / records.articles


def costs_from_run(
    work_ms: dict[str, float], worker_cpu_ms_per_message: float, records: Records, changelog_weight: float = 1.0
) -> StageCosts:
    """The costs from a pipeline run: each stage's own CPU per raw message in the worker (``parse``,
    ``dedup``, ``route``), the worker's CPU per raw message while draining, the records it moved, and what a
    changelog record costs against a record read or written."""
    overhead = max(worker_cpu_ms_per_message - sum(work_ms.values()), 0.0)
    moved = records.per_agent(changelog_weight)
    per_record = overhead / sum(moved.values())
    return StageCosts(
        parse_ms=work_ms["parse"] + moved["parse"] * per_record,
        dedup_ms=work_ms["dedup"] + moved["dedup"] * per_record,
        route_ms=work_ms["route"] + moved["route"] * per_record,
        articles_per_message=records.articles,
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


DESK_ARTICLES_PER_DAY = 20_000.0  # a desk following a few hundred outlets in ten languages (docs/benchmarks.md)
LEAD_IN_DAYS = 7.0  # the dedup time-to-live


def lead_in_share(
    articles: float, slices: int, per_day: float = DESK_ARTICLES_PER_DAY, lead_in_days: float = LEAD_IN_DAYS
) -> float:
    """A slice's lead-in against its own articles, for ``articles`` published ``per_day`` cut into ``slices``:
    100M at 20,000 a day span 5,000 days, a slice of 16 is 312 days and a lead-in of 7 days 2.2% of it."""
    return lead_in_days * per_day * slices / articles


def sliced_backfill_hours(
    costs: StageCosts, articles: float, workers: int, partitions: int, slices: int, lead_in: float
) -> float:
    """Hours to run ``articles`` as ``slices`` runs side by side, ``workers // slices`` workers each, every
    slice after a lead-in of ``lead_in`` of its own articles (a share)."""
    if not 1 <= slices <= workers:
        raise ValueError(f"{slices} slices need at least as many workers, not {workers}")
    per_slice = float(rate(costs, workers // slices, partitions)["articles/s"])
    return articles / slices * (1.0 + lead_in) / per_slice / 3600.0


def model_results(costs: StageCosts) -> dict[str, float]:
    """What ``bench --stage pipeline`` prints of the model, labelled as such."""
    results = {
        f"model: {stage} ms per raw message, its Kafka and Faust share included": getattr(costs, f"{stage}_ms")
        for stage in ("parse", "dedup", "route")
    }
    for row in scaling_table(costs):
        results[f"model: {row['workers']} workers, {row['partitions']} partitions, articles/s"] = float(
            row["articles/s"]
        )
    results["model: 100M articles backfill with 16 workers, hours"] = backfill_hours(costs, 100e6, 16, 16)
    results["model: 100M articles backfill in 16 slices of 1 worker (lead-in 7 days), hours"] = sliced_backfill_hours(
        costs, 100e6, 16, 16, 16, lead_in_share(100e6, 16)
    )
    return results

"""The scaling model: arithmetic over measured costs, checked on figures worked out by hand."""

from __future__ import annotations

import pytest

from streams.devtools.bench.model import (
    Records,
    StageCosts,
    backfill_hours,
    costs_from_run,
    floor_ms_per_article,
    lead_in_share,
    model_results,
    rate,
    scaling_table,
    sliced_backfill_hours,
)


def test_faust_overhead_is_shared_by_the_records_each_agent_reads_and_writes() -> None:
    records = Records(articles=2.0, unique=1.5, stories=1.0, changelog=4.0)
    assert records.per_agent() == {"parse": 3.0, "dedup": 9.0, "route": 3.0}
    costs = costs_from_run({"parse": 2.0, "dedup": 1.0, "route": 0.5}, worker_cpu_ms_per_message=11.0, records=records)
    # 7.5 ms of overhead over 3 + 9 + 3 records: 0.5 ms each
    assert costs == StageCosts(parse_ms=3.5, dedup_ms=5.5, route_ms=2.0, articles_per_message=2.0)
    # a worker cheaper than its stage work (a noisy run) has no negative overhead
    assert costs_from_run({"parse": 2.0, "dedup": 1.0, "route": 0.5}, 3.0, records).parse_ms == 2.0
    # a changelog record at half the cost of a record read or written: 7.5 ms over 3 + 7 + 3 records
    weighed = costs_from_run({"parse": 2.0, "dedup": 1.0, "route": 0.5}, 11.0, records, changelog_weight=0.5)
    assert weighed.dedup_ms == pytest.approx(1.0 + 7 * 7.5 / 13)
    assert weighed.route_ms == pytest.approx(0.5 + 3 * 7.5 / 13)


def test_the_floor_is_the_records_an_article_moves_at_their_cost() -> None:
    records = Records(articles=2.0, unique=1.5, stories=1.0, changelog=4.0)
    assert records.moved() == 3.0 + 5.0 + 3.0  # read or written, the changelog aside
    # (11 records * 0.2 ms + 4 changelog records * 0.1 ms) over 2 articles
    assert floor_ms_per_article(records, record_ms=0.2, changelog_ms=0.1) == pytest.approx(1.3)


def test_one_worker_is_bound_by_all_its_work_and_many_by_the_dedup_worker() -> None:
    costs = StageCosts(parse_ms=3.0, dedup_ms=3.0, route_ms=2.0, articles_per_message=2.0)
    one = rate(costs, 1, 16)
    assert one["raw messages/s"] == pytest.approx(125.0)  # 1000 / 8
    assert one["articles/s"] == pytest.approx(250.0)
    two = rate(costs, 2, 16)
    assert two["raw messages/s"] == pytest.approx(1000 / (3.0 + 5.0 / 2))  # the dedup worker: 181.8 < 250
    assert two["bound by"] == "dedup worker"
    many = [row["raw messages/s"] for row in scaling_table(costs, (1, 2, 4, 8, 64), partitions=8)]
    assert many[-1] == pytest.approx(1000 / (3.0 + 5.0 / 8))  # no more than 8 partitions to spread over
    assert many[-1] < 1000 / 3.0  # never past the one dedup instance
    assert many == sorted(many)
    assert backfill_hours(costs, 1e6, 1, 16) == pytest.approx(1e6 / 250.0 / 3600)


def test_a_backfill_in_slices_has_a_dedup_instance_per_slice_and_pays_for_the_lead_ins() -> None:
    costs = StageCosts(parse_ms=3.0, dedup_ms=3.0, route_ms=2.0, articles_per_message=2.0)
    # one slice without a lead-in is one run; with one, it does that much more
    assert sliced_backfill_hours(costs, 1e6, 16, 16, 1, 0.0) == pytest.approx(backfill_hours(costs, 1e6, 16, 16))
    assert sliced_backfill_hours(costs, 1e6, 16, 16, 1, 0.5) == pytest.approx(1.5 * backfill_hours(costs, 1e6, 16, 16))
    # 16 slices of one worker at 250 articles/s each, each slice with a lead-in of 10% of its articles
    assert sliced_backfill_hours(costs, 1e6, 16, 16, 16, 0.1) == pytest.approx(1e6 / 16 * 1.1 / 250 / 3600)
    # 4 slices of 4 workers, no lead-in: 4 x the rate of 4 workers, which the dedup worker bounds
    four = float(rate(costs, 4, 16)["articles/s"])
    assert sliced_backfill_hours(costs, 1e6, 16, 16, 4, 0.0) == pytest.approx(1e6 / (4 * four) / 3600)
    assert sliced_backfill_hours(costs, 1e6, 16, 16, 16, 0.0) < backfill_hours(costs, 1e6, 16, 16) / 3
    assert lead_in_share(100e6, 16) == pytest.approx(7 / 312.5)
    with pytest.raises(ValueError, match="8 slices"):
        sliced_backfill_hours(costs, 1e6, 4, 16, 8, 0.0)


def test_the_bench_prints_the_model_labelled_as_such() -> None:
    costs = StageCosts(parse_ms=3.0, dedup_ms=3.0, route_ms=2.0, articles_per_message=2.0)
    results = model_results(costs)
    assert all(name.startswith("model: ") for name in results)
    assert results["model: dedup ms per raw message, its Kafka and Faust share included"] == 3.0
    assert results["model: 1 workers, 16 partitions, articles/s"] == pytest.approx(250.0)
    one_run = results["model: 100M articles backfill with 16 workers, hours"]
    sliced = results["model: 100M articles backfill in 16 slices of 1 worker (lead-in 7 days), hours"]
    assert sliced == pytest.approx(100e6 / 16 * (1 + 7 / 312.5) / 250.0 / 3600)
    assert one_run == pytest.approx(backfill_hours(costs, 100e6, 16, 16))

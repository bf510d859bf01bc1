"""The scaling model: arithmetic over measured costs, checked on figures worked out by hand."""

from __future__ import annotations

import pytest

from streams.devtools.bench.model import (
    Records,
    StageCosts,
    backfill_hours,
    costs_from_run,
    floor_ms_per_article,
    rate,
    scaling_table,
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

"""The scaling model: arithmetic over measured costs, checked on figures worked out by hand."""

from __future__ import annotations

import pytest

from streams.devtools.bench.model import StageCosts, backfill_hours, costs_from_run, rate, scaling_table


def test_faust_overhead_is_shared_by_the_messages_each_agent_consumes() -> None:
    costs = costs_from_run(
        {"parse": 2.0, "dedup": 1.0, "route": 0.5}, worker_cpu_ms_per_message=8.5, articles_per_message=2.0
    )
    # 5 ms of overhead over 1 + 2 * 2 consumed messages: 1 ms each
    assert costs == StageCosts(parse_ms=3.0, dedup_ms=3.0, route_ms=2.5, articles_per_message=2.0)
    # a worker cheaper than its stage work (a noisy run) has no negative overhead
    assert costs_from_run({"parse": 2.0, "dedup": 1.0, "route": 0.5}, 3.0, 2.0).parse_ms == 2.0


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

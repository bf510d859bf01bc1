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
    records = Records(articles=2.0, unique=1.5, links=1.5, changelog=2.0, stories=1.5, link_changelog=1.0)
    assert records.per_agent() == {"parse": 3.0, "dedup": 7.5, "link": 4.0, "route": 3.0}
    work = {"parse": 2.0, "dedup": 1.0, "link": 0.5, "route": 0.5}
    costs = costs_from_run(work, worker_cpu_ms_per_message=11.75, records=records, largest_share=0.6)
    # 7.75 ms of overhead over 3 + 7.5 + 4 + 3 records: 0.44 ms each
    each = 7.75 / 17.5
    assert costs == StageCosts(
        parse_ms=pytest.approx(2.0 + 3 * each),
        dedup_ms=pytest.approx(1.0 + 7.5 * each),
        link_ms=pytest.approx(0.5 + 4 * each),
        route_ms=pytest.approx(0.5 + 3 * each),
        articles_per_message=2.0,
        largest_share=0.6,
    )
    # a worker cheaper than its stage work (a noisy run) has no negative overhead
    assert costs_from_run(work, 3.0, records).parse_ms == 2.0
    # a changelog record at half the cost of a record read or written: 7.75 ms over 3 + 6.5 + 3.5 + 3 records
    weighed = costs_from_run(work, 11.75, records, changelog_weight=0.5)
    assert weighed.dedup_ms == pytest.approx(1.0 + 6.5 * 7.75 / 16)
    assert weighed.link_ms == pytest.approx(0.5 + 3.5 * 7.75 / 16)


def test_the_floor_is_the_records_an_article_moves_at_their_cost() -> None:
    records = Records(articles=2.0, unique=1.5, links=1.5, changelog=2.0, stories=1.5, link_changelog=1.0)
    assert records.moved() == 3.0 + 5.5 + 3.0 + 3.0  # read or written, the changelogs aside
    # (14.5 records * 0.2 ms + 3 changelog records * 0.1 ms) over 2 articles
    assert floor_ms_per_article(records, record_ms=0.2, changelog_ms=0.1) == pytest.approx(1.6)


def test_one_worker_is_bound_by_all_its_work_and_many_by_the_busiest_worker() -> None:
    costs = StageCosts(
        parse_ms=3.0, dedup_ms=3.0, link_ms=0.5, route_ms=1.5, articles_per_message=2.0, largest_share=0.5
    )
    one = rate(costs, 1, 16)
    assert one["raw messages/s"] == pytest.approx(125.0)  # 1000 / 8
    assert one["articles/s"] == pytest.approx(250.0)
    assert one["bound by"] == "all cores"
    two = rate(costs, 2, 16)
    assert two["raw messages/s"] == pytest.approx(1000 / (1.5 + 0.5 + 4.5 / 2))  # 235.3 < 2000 / 8
    assert two["bound by"] == "busiest worker"
    many = [row["raw messages/s"] for row in scaling_table(costs, (1, 2, 4, 8, 64), partitions=8)]
    # the busiest worker: half the dedup work (its language's partition), the link step, an eighth of the rest
    assert many[-1] == pytest.approx(1000 / (1.5 + 0.5 + 4.5 / 8))
    assert rate(costs, 64, 8)["bound by"] == "busiest worker"
    assert many[-1] < 1000 / (3.0 * 0.5 + 0.5)  # never past the busiest dedup instance and the link step
    assert many == sorted(many)
    # the whole dedup work in one partition (one language): as one instance of it
    alone = StageCosts(parse_ms=3.0, dedup_ms=3.0, link_ms=0.5, route_ms=1.5, articles_per_message=2.0)
    assert rate(alone, 64, 8)["raw messages/s"] == pytest.approx(1000 / (3.0 + 0.5 + 4.5 / 8))
    assert backfill_hours(costs, 1e6, 1, 16) == pytest.approx(1e6 / 250.0 / 3600)

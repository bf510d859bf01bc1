"""The pipeline benchmark runs end to end on the real broker (a small backlog): the numbers it writes down come
from a worker that routed every article, and from pass-throughs that passed every message on."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.devtools.bench.mix import bench_messages
from streams.devtools.bench.model import Records, floor_ms_per_article
from streams.devtools.bench.pipeline import bench_pipeline
from streams.devtools.localrun import expected_outputs
from streams.settings import Settings


def test_pipeline_bench_on_a_small_backlog(bootstrap: str, tmp_path: Path) -> None:
    n = 40
    expected = expected_outputs((value, content_type) for _, value, content_type in bench_messages(n))
    results = bench_pipeline(Settings.from_env({"KAFKA_BOOTSTRAP": bootstrap}), n=n, repeats=2, workdir=tmp_path)

    assert results["raw messages"] == n
    assert results["articles"] == expected > n  # feeds carry several articles each
    low, median, high = (results[f"pipeline articles/s ({k})"] for k in ("lowest", "median", "highest"))
    assert 0 < low <= median <= high
    assert results["pipeline raw messages/s (median)"] == median * n / expected
    assert 0 < results["worker CPU busy (of 1 core, median)"] <= 2
    assert results["worker CPU ms per article (median)"] > 0
    hops = [results[f"hop {name} p50 s"] for name in ("raw -> articles", "articles -> unique", "unique -> output")]
    assert all(0 <= hop < 60 for hop in hops)
    assert sum(hops) > 0
    assert 0 < results["latency p50 s"] <= results["latency p95 s"] <= results["latency p99 s"] < 60
    assert 100 < results["worker peak RSS MB"] < 4000
    for baseline in ("bare Faust messages/s (as shipped)", "bare Faust messages/s (worker's fetch wait)"):
        assert results[baseline] > 0
    assert results["raw aiokafka messages/s"] > 0
    assert results["pipeline / bare Faust (as shipped)"] == (
        results["pipeline raw messages/s (median)"] / results["bare Faust messages/s (as shipped)"]
    )
    # the stages' own work without Kafka, and the pipeline against the ceiling it sets
    ceiling = results["stage work ceiling on one core, raw messages/s"]
    assert ceiling == pytest.approx(1000 / results["stage work ms per raw message"])
    assert results["pipeline / stage work ceiling"] == results["pipeline raw messages/s (median)"] / ceiling
    assert results["stage work ceiling / bare Faust (worker's fetch wait)"] == (
        ceiling / results["bare Faust messages/s (worker's fetch wait)"]
    )
    assert 0 < results["stage work in the one dedup instance %"] < 100
    # where the worker's CPU went, from its own counts, and the records each agent moved
    assert results["records per raw message: articles"] == expected / n
    unique = results["records per raw message: unique"]
    assert 0 < unique < expected / n  # the mix re-sends some articles
    # each unique article updates its story; each story merged into another gets a pointer to it besides
    merged = results["stories merged per raw message"]
    assert results["records per raw message: stories"] == pytest.approx(unique + merged)
    # a new article's text (with its features, vectors and verdict; its story is rebuilt from them); at most a
    # verdict for a duplicate (none for a re-sent id)
    assert unique <= results["records per raw message: changelog"] <= unique + (expected / n - unique)
    record_ms = results["Faust and Kafka ms per record read or written (bare pass-through)"]
    assert record_ms == pytest.approx(500 / results["bare Faust messages/s (worker's fetch wait)"])
    changelog_ms = results["Faust and Kafka ms per changelog record (bare pass-through with table writes)"]
    moved = Records(
        *(results[f"records per raw message: {kind}"] for kind in ("articles", "unique", "stories", "changelog"))
    )
    floor = results["Faust and Kafka floor, ms per article (the records above at these costs)"]
    assert floor == pytest.approx(floor_ms_per_article(moved, record_ms, changelog_ms))
    assert floor > record_ms  # an article moves more than one record
    for stage in ("parse", "dedup", "route"):
        assert results[f"in the worker: {stage} ms per raw message"] > 0
        share = results[f"model: {stage} ms per raw message, its Kafka and Faust share included"]
        assert share > results[f"in the worker: {stage} ms per raw message"]


def test_one_drain_of_a_small_backlog(bootstrap: str, tmp_path: Path) -> None:
    """``bench --stage drain``: one drain, and the worker's CPU by stage, to compare versions drain for drain."""
    from streams.devtools.bench.drain import bench_drain

    n = 30
    expected = expected_outputs((value, content_type) for _, value, content_type in bench_messages(n))
    results = bench_drain(Settings.from_env({"KAFKA_BOOTSTRAP": bootstrap}), n=n, workdir=tmp_path)

    assert (results["raw messages"], results["articles"]) == (n, expected)
    assert results["articles/s"] > 0
    assert results["worker CPU ms per article"] == pytest.approx(
        1000 * results["worker CPU busy (of 1 core)"] / results["articles/s"]
    )
    stages = [results[f"in the worker: {stage} ms per raw message"] for stage in ("parse", "dedup", "route")]
    assert all(ms > 0 for ms in stages)
    per_raw_message = results["worker CPU ms per article"] * expected / n
    assert sum(stages) + results["in the worker: Kafka and Faust ms per raw message"] <= per_raw_message * 1.001
    assert results["records per raw message: articles"] == expected / n
    unique = results["records per raw message: unique"]
    merged = results["stories merged per raw message"]
    assert results["records per raw message: stories"] == pytest.approx(unique + merged)
    assert unique <= results["records per raw message: changelog"] <= unique + (expected / n - unique)
    assert 100 < results["worker peak RSS MB"] < 4000


def test_scaleout_bench_on_a_small_backlog(bootstrap: str, tmp_path: Path) -> None:
    from streams.devtools.bench.scaleout import bench_scaleout

    n = 30
    results = bench_scaleout(Settings.from_env({"KAFKA_BOOTSTRAP": bootstrap}), n=n, workdir=tmp_path)

    assert results["raw messages"] == n
    assert results["machine cores"] >= 1
    for count in (1, 2):  # every output arrived (else it raises), from workers that worked
        assert results[f"{count} worker(s) articles/s"] > 0
        assert results[f"{count} worker(s) CPU busy (cores)"] > 0
        assert 0 < results[f"{count} worker(s) machine CPU busy (cores)"] <= results["machine cores"] + 0.1
    assert results["2 / 1 worker(s)"] == results["2 worker(s) articles/s"] / results["1 worker(s) articles/s"]
    sliced = "2 slices of 1 worker"  # every output of both runs arrived (else it raises), from workers that worked
    assert results[f"{sliced} articles/s"] > 0
    assert results[f"{sliced} CPU busy (cores)"] > 0

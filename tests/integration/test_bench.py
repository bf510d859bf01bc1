"""The pipeline benchmark runs end to end on the real broker (a small backlog): the numbers it writes down come
from a worker that routed every article, and from pass-throughs that passed every message on."""

from __future__ import annotations

from pathlib import Path

from streams.bench_mix import bench_messages
from streams.bench_pipeline import bench_pipeline
from streams.localrun import expected_outputs
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

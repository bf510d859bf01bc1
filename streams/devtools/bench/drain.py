"""``python -m streams bench --stage drain``: one drain of the bench backlog by a fresh worker on fresh topics
(the pipeline bench's first step, once), and where the worker's CPU went. Two versions of the code are
compared by running it from each checkout in turn, drain for drain: this machine's speed drifts by more than
most changes between runs minutes apart (``docs/benchmarks.md``).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from streams.devtools.bench.mix import bench_messages
from streams.devtools.bench.pipeline import (
    RECORD_KINDS,
    _drain_backlog,
    _peak_rss_mb,
    _pipeline_settings,
    _stop,
)
from streams.devtools.localrun import expected_outputs
from streams.settings import Settings

__all__ = ["bench_drain"]


def bench_drain(base: Settings, n: int = 3000, workdir: Path | None = None) -> dict[str, float]:
    """One drain of ``n`` raw messages of the bench mix, the worker's CPU by stage, the records it moved and
    its peak memory."""
    workdir = workdir or Path(".streams-data") / f"bench-{uuid.uuid4().hex[:6]}"
    workdir.mkdir(parents=True, exist_ok=True)
    messages = bench_messages(n)
    expected = expected_outputs((value, content_type) for _, value, content_type in messages)
    worker, numbers = _drain_backlog(_pipeline_settings(base, workdir), messages, expected, workdir / "drain.log")
    try:
        peak = _peak_rss_mb(worker.pid)
    finally:
        _stop(worker)
    results: dict[str, float] = {"raw messages": n, "articles": expected, "articles/s": numbers["articles/s"]}
    results["worker CPU busy (of 1 core)"] = numbers["cpu"]
    results["worker CPU ms per article"] = 1000 * numbers["cpu"] / numbers["articles/s"]
    worker_ms = numbers["cpu ms per raw message"]
    stages = {k.removeprefix("stage cpu "): v for k, v in numbers.items() if k.startswith("stage cpu ")}
    for stage in ("parse", "dedup", "route"):
        results[f"in the worker: {stage} ms per raw message"] = stages.get(stage, 0.0)
    results["in the worker: Kafka and Faust ms per raw message"] = max(worker_ms - sum(stages.values()), 0.0)
    for kind in RECORD_KINDS:
        results[f"records per raw message: {kind}"] = numbers[f"records {kind}"]
    results["stories merged per raw message"] = numbers["stories merged"]
    results["worker peak RSS MB"] = peak
    return results

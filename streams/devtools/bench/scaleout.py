"""``python -m streams bench --stage scaleout``: one worker against two (or more) on the same backlog.

For each worker count, on fresh topics of the same broker: start the workers, wait until every one is ready
and the group has settled, then publish N raw messages at once (a replay or a backfill arriving) and time
until every output is on its topic. Dedup is one partition by design, so it runs on one of the workers
whatever their number; parsing, tagging and routing spread over the partitions of ``news.raw`` and
``news.unique``.

The whole machine's CPU is reported too (the broker, the publisher and the reader share it): when it is
near all of its cores, a further worker has nothing to run on, and the scaling measured is the machine's.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path

import psutil

from streams.devtools.bench.mix import bench_messages
from streams.devtools.bench.pipeline import _cpu_seconds, _peak_rss_mb, _publish, _until_last_output
from streams.devtools.localrun import drain, expected_outputs, free_port, start_worker, wait_ready
from streams.runtime.kafka import ensure_topics
from streams.settings import Settings

__all__ = ["bench_scaleout"]

SETTLE_SECONDS = 5.0  # after the last worker is ready: let the group's last rebalance finish


def _machine_busy_seconds() -> float:
    """CPU seconds every core of the machine has spent busy so far: all but idle and iowait (and guest time,
    which user time already counts)."""
    times = psutil.cpu_times()
    busy = ("user", "nice", "system", "irq", "softirq", "steal")
    return float(sum(getattr(times, name, 0.0) for name in busy))


def bench_scaleout(
    base: Settings, n: int = 3000, counts: tuple[int, ...] = (1, 2), workdir: Path | None = None
) -> dict[str, float]:
    messages = bench_messages(n, seed=23)
    expected = expected_outputs((value, content_type) for _, value, content_type in messages)
    root = workdir or Path(".streams-data") / f"scaleout-{uuid.uuid4().hex[:6]}"
    results: dict[str, float] = {"raw messages": n, "articles": expected, "machine cores": float(os.cpu_count() or 1)}
    for count in counts:
        run = uuid.uuid4().hex[:6]
        settings = Settings.from_env({"KAFKA_BOOTSTRAP": base.bootstrap, "STREAMS_TOPIC_PREFIX": f"scale-{run}."})
        settings = settings.with_(app_id=f"scale-{run}", log_level="warn", concurrency=base.concurrency)
        asyncio.run(ensure_topics(settings))
        workers = []
        try:
            for i in range(count):
                mine = settings.with_(web_port=free_port(), data_dir=root / f"{count}-{i}" / "state")
                log = root / f"{count}-{i}.log"
                log.parent.mkdir(parents=True, exist_ok=True)
                workers.append((mine, start_worker(mine, log), log))
            for mine, process, log in workers:
                wait_ready(mine, process, log)
            time.sleep(SETTLE_SECONDS)
            for mine, process, log in workers:
                wait_ready(mine, process, log)
            started, cpu_before = time.time(), sum(_cpu_seconds(p.pid) for _, p, _ in workers)
            machine_before = _machine_busy_seconds()
            asyncio.run(_publish(settings, settings.topics.raw, messages))
            records = asyncio.run(drain(settings, list(settings.topics.outputs()), expected, timeout=1800))
            elapsed = _until_last_output(records, started)
            # the machine's busy time and wall time both to the reader's end (the workers' is to the last output)
            machine, machine_seconds = _machine_busy_seconds() - machine_before, time.time() - started
            if len(records) < expected:
                raise RuntimeError(f"{count} worker(s): {len(records)} of {expected} outputs within the timeout")
            results[f"{count} worker(s) articles/s"] = len(records) / elapsed
            cpu = sum(_cpu_seconds(p.pid) for _, p, _ in workers) - cpu_before
            results[f"{count} worker(s) CPU busy (cores)"] = cpu / elapsed
            results[f"{count} worker(s) machine CPU busy (cores)"] = machine / machine_seconds
            results[f"{count} worker(s) peak RSS MB"] = max(_peak_rss_mb(p.pid) for _, p, _ in workers)
        finally:
            for _, process, _ in workers:
                process.terminate()
            for _, process, _ in workers:
                process.wait(60)
    first = results[f"{counts[0]} worker(s) articles/s"]
    for count in counts[1:]:
        results[f"{count} / {counts[0]} worker(s)"] = results[f"{count} worker(s) articles/s"] / first
    return results

"""``python -m streams bench --stage scaleout``: one worker against two (or more) on the same backlog, and
the backlog as a backfill in slices, a run of one worker each.

For each worker count, on fresh topics of the same broker: start the workers, wait until every one is ready
and the group has settled, then publish N raw messages at once (a replay or a backfill arriving) and time
until every output is on its topic. Dedup is one partition by design, so it runs on one of the workers
whatever their number; parsing, tagging and routing spread over the partitions of ``news.raw`` and
``news.unique``.

Then the same backlog cut into ``slices`` consecutive slices, each published into a run of its own (its own
topics, group and dedup instance) with one worker, every slice but the first after a lead-in of the last
``LEAD_IN_SHARE`` of the slice before it, marked as ``replay --lead-in`` marks it: what a backfill in slices
does (``docs/operations.md``), timed until the last output of every run.

The whole machine's CPU is reported too (the broker, the publisher and the reader share it): when it is
near all of its cores, a further worker has nothing to run on, and the scaling measured is the machine's.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import uuid
from pathlib import Path

import psutil

from streams.devtools.bench.mix import bench_messages
from streams.devtools.bench.pipeline import _cpu_seconds, _peak_rss_mb, _publish, _until_last_output
from streams.devtools.localrun import drain, expected_outputs, free_port, start_worker, wait_ready
from streams.runtime.kafka import ensure_topics
from streams.settings import Settings

__all__ = ["LEAD_IN_SHARE", "backlog_slices", "bench_scaleout"]

SETTLE_SECONDS = 5.0  # after the last worker is ready: let the group's last rebalance finish
LEAD_IN_SHARE = 0.1  # a slice's lead-in against the slice before it (a week of a few months' backfill is less)

Message = tuple[bytes, bytes, str]
Worker = tuple[Settings, subprocess.Popen[bytes], Path]


def _machine_busy_seconds() -> float:
    """CPU seconds every core of the machine has spent busy so far: all but idle and iowait (and guest time,
    which user time already counts)."""
    times = psutil.cpu_times()
    busy = ("user", "nice", "system", "irq", "softirq", "steal")
    return float(sum(getattr(times, name, 0.0) for name in busy))


def _run_settings(base: Settings) -> Settings:
    run = uuid.uuid4().hex[:6]
    settings = Settings.from_env({"KAFKA_BOOTSTRAP": base.bootstrap, "STREAMS_TOPIC_PREFIX": f"scale-{run}."})
    return settings.with_(app_id=f"scale-{run}", log_level="warn", concurrency=base.concurrency)


def _time_runs(
    label: str, runs: list[tuple[Settings, int, list[Message], int]], root: Path, results: dict[str, float]
) -> None:
    """Start ``count`` workers for each run, publish each run's messages at once (the first ``lead_in`` of them
    marked), and time until every run's outputs are on its topics; the figures go to ``results[label ...]``."""
    workers: list[Worker] = []
    try:
        for n, (settings, count, _, _) in enumerate(runs):
            asyncio.run(ensure_topics(settings))
            for i in range(count):
                mine = settings.with_(web_port=free_port(), data_dir=root / label / f"{n}-{i}" / "state")
                log = root / label / f"{n}-{i}.log"
                log.parent.mkdir(parents=True, exist_ok=True)
                workers.append((mine, start_worker(mine, log), log))
        for mine, process, log in workers:
            wait_ready(mine, process, log)
        time.sleep(SETTLE_SECONDS)
        for mine, process, log in workers:
            wait_ready(mine, process, log)
        expected = sum(expected_outputs((v, c) for _, v, c in messages[lead_in:]) for _, _, messages, lead_in in runs)
        topics = [topic for settings, *_ in runs for topic in settings.topics.outputs()]
        started, cpu_before = time.time(), sum(_cpu_seconds(p.pid) for _, p, _ in workers)
        machine_before = _machine_busy_seconds()

        async def publish_all() -> None:
            await asyncio.gather(
                *(_publish(s, s.topics.raw, messages, lead_in=lead_in) for s, _, messages, lead_in in runs)
            )

        asyncio.run(publish_all())
        records = asyncio.run(drain(runs[0][0], topics, expected, timeout=1800))
        elapsed = _until_last_output(records, started)
        # the machine's busy time and wall time both to the reader's end (the workers' is to the last output)
        machine, machine_seconds = _machine_busy_seconds() - machine_before, time.time() - started
        if len(records) < expected:
            raise RuntimeError(f"{label}: {len(records)} of {expected} outputs within the timeout")
        results[f"{label} articles/s"] = len(records) / elapsed
        cpu = sum(_cpu_seconds(p.pid) for _, p, _ in workers) - cpu_before
        results[f"{label} CPU busy (cores)"] = cpu / elapsed
        results[f"{label} machine CPU busy (cores)"] = machine / machine_seconds
        results[f"{label} peak RSS MB"] = max(_peak_rss_mb(p.pid) for _, p, _ in workers)
    finally:
        for _, process, _ in workers:
            process.terminate()
        for _, process, _ in workers:
            process.wait(60)


def backlog_slices(messages: list[Message], slices: int) -> list[tuple[list[Message], int]]:
    """Consecutive slices of ``messages``, each but the first after its lead-in: (messages, lead-in count)."""
    bounds = [round(k * len(messages) / slices) for k in range(slices + 1)]
    out = []
    for k in range(slices):
        own = messages[bounds[k] : bounds[k + 1]]
        lead = messages[bounds[k] - round(LEAD_IN_SHARE * (bounds[k] - bounds[k - 1])) : bounds[k]] if k else []
        out.append(([*lead, *own], len(lead)))
    return out


def bench_scaleout(
    base: Settings, n: int = 3000, counts: tuple[int, ...] = (1, 2), workdir: Path | None = None, slices: int = 2
) -> dict[str, float]:
    messages = bench_messages(n, seed=23)
    expected = expected_outputs((value, content_type) for _, value, content_type in messages)
    root = workdir or Path(".streams-data") / f"scaleout-{uuid.uuid4().hex[:6]}"
    results: dict[str, float] = {"raw messages": n, "articles": expected, "machine cores": float(os.cpu_count() or 1)}
    for count in counts:
        _time_runs(f"{count} worker(s)", [(_run_settings(base), count, messages, 0)], root, results)
    first = results[f"{counts[0]} worker(s) articles/s"]
    for count in counts[1:]:
        results[f"{count} / {counts[0]} worker(s)"] = results[f"{count} worker(s) articles/s"] / first
    if slices > 1:
        label = f"{slices} slices of 1 worker"
        runs = [(_run_settings(base), 1, part, lead) for part, lead in backlog_slices(messages, slices)]
        _time_runs(label, runs, root, results)
        results[f"{label} / {counts[0]} worker(s)"] = results[f"{label} articles/s"] / first
    return results

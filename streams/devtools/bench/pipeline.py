"""``python -m streams bench --stage pipeline``: the whole pipeline on the real broker, against pass-throughs.

Three runs over the same broker and the same N raw messages (``bench_mix``: Arabic and English JSON articles,
RSS and Atom feeds, HTML pages and scraped text; most of them new stories, 20% exact re-sends, 10% syndicated
copies):

1. **pipeline**: one ``streams worker`` drains the messages (published at once when it is ready), three times on
   fresh topics: articles/s as the median and the range (runs of the same input differ by up to a third on
   a shared 2-core machine), the worker's CPU, and how long routed articles took on each hop (raw to
   parsed, parsed to deduplicated, deduplicated to routed: the longest is the stage that sets the pace);
2. **latency**: the last worker fed at half the median rate: end-to-end latency p50/p95/p99 (fetch-time
   header to the routed record's broker timestamp), and its peak resident memory;
3. **bare Faust**: one Faust agent that consumes, ``orjson`` loads and dumps, and sends (``bench_apps``),
   three times: as Faust ships (a fixed 1.5 s fetch wait, which paces it), with the 100 ms fetch wait the
   worker uses (``streams.runtime.patches``), which makes it CPU-bound, and so with three changelogged table
   writes a message: what Faust and Kafka cost a record, and a changelog record;
4. **raw aiokafka**: a consumer and a producer in one loop doing the same;
5. **stage work** (``bench_work``): the stages' own functions on the same messages without Kafka, in this
   process: the one-core ceiling no Faust tuning can lift the pipeline above, against the bare pass-through,
   and the share of the work done in the one dedup instance, which bounds what a second worker can add;
6. **where the worker's CPU went**: each stage's own CPU as the worker counted it while draining
   (``accounting``), the rest (Kafka, Faust), the records each agent moved, and the floor those records set;
7. **the scaling model** over these figures (``model``).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import fields
from pathlib import Path
from typing import Any

import orjson
import psutil

from streams.devtools.bench.accounting import records_written, stage_cpu, stories_merged
from streams.devtools.bench.mix import bench_messages
from streams.devtools.bench.model import Records, costs_from_run, floor_ms_per_article, model_results
from streams.devtools.bench.offline import peak_memory_mb
from streams.devtools.bench.work import stage_work
from streams.devtools.localrun import drain, expected_outputs, free_port, start_worker, wait_ready
from streams.headers import HEADER_CONTENT_TYPE, HEADER_FETCHED_AT, HEADER_REPLAY_LEAD_IN
from streams.runtime.kafka import ensure_topics, make_consumer, make_producer
from streams.settings import Settings
from streams.stages.record import iso_utc

__all__ = ["bench_pipeline"]

TABLE_WRITES = 3  # changelogged table writes a message in the bare pass-through that prices a changelog record
RECORD_KINDS = tuple(field.name for field in fields(Records))
SETTLE_SECONDS = 2.0  # after the worker reports ready: let its group's first rebalance finish


async def _create(settings: Settings, *topics: str) -> None:
    """The pass-throughs' topics, as the broker would create them on first use (one partition), but before:
    a client that meets a missing topic logs an error while the broker creates it."""
    await ensure_topics(settings.with_(partitions=1), topics, pipeline=False)


async def _publish(
    settings: Settings,
    topic: str,
    messages: list[tuple[bytes, bytes, str]],
    rate: float | None = None,
    lead_in: int = 0,
) -> None:
    """Publish ``messages`` to ``topic``, the first ``lead_in`` of them marked as a replay's lead-in."""
    producer = make_producer(settings, linger_ms=5)
    await producer.start()
    started = time.monotonic()
    try:
        pending = []
        for i, (key, value, content_type) in enumerate(messages):
            headers = [(HEADER_CONTENT_TYPE, content_type.encode()), (HEADER_FETCHED_AT, iso_utc(_now()).encode())]
            if i < lead_in:
                headers.append((HEADER_REPLAY_LEAD_IN, b"1"))
            pending.append(await producer.send(topic, value, key=key, headers=headers))
            if rate:
                ahead = (i + 1) / rate - (time.monotonic() - started)
                if ahead > 0:
                    await asyncio.sleep(ahead)
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def _peak_rss_mb(pid: int) -> float:
    return peak_memory_mb(pid)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def _rate(records: list[Any]) -> float:
    """Messages per second from the broker timestamps of the first and last output."""
    stamps = [r.timestamp for r in records]
    return (len(stamps) - 1) / max((max(stamps) - min(stamps)) / 1000, 0.001) if len(stamps) > 1 else 0.0


def _until_last_output(records: list[Any], started: float) -> float:
    """Seconds from ``started`` (epoch) to the broker timestamp of the last output: the reader's own delay
    (seconds on a busy 2-core machine) is not counted, as it is not for the pass-throughs (``_rate``)."""
    return max(max((r.timestamp for r in records), default=0) / 1000 - started, 0.001)


def _pipeline_settings(base: Settings, workdir: Path) -> Settings:
    run = uuid.uuid4().hex[:6]
    return Settings.from_env({"KAFKA_BOOTSTRAP": base.bootstrap, "STREAMS_TOPIC_PREFIX": f"bench-{run}."}).with_(
        app_id=f"bench-{run}",
        data_dir=workdir / f"state-{run}",
        web_port=free_port(),
        log_level="warn",
        concurrency=base.concurrency,
        dedup_cache_mb=base.dedup_cache_mb,
        langid_accuracy=base.langid_accuracy,
    )


def _drain_backlog(
    settings: Settings, messages: list[tuple[bytes, bytes, str]], expected: int, log: Path
) -> tuple[subprocess.Popen[bytes], dict[str, float]]:
    """Start a worker on fresh topics; once it is ready, publish the backlog at once and time it until every
    output is out (publishing before the start would let the worker work before the clock runs)."""
    asyncio.run(ensure_topics(settings))
    worker = start_worker(settings, log)
    try:
        wait_ready(settings, worker, log)
        time.sleep(SETTLE_SECONDS)
        wait_ready(settings, worker, log)
        merged_before = stories_merged(settings)  # before the clock: the scrape is the worker's work too
        started, cpu_before, stage_cpu_before = time.time(), _cpu_seconds(worker.pid), stage_cpu(settings)
        asyncio.run(_publish(settings, settings.topics.raw, messages))
        records = asyncio.run(drain(settings, list(settings.topics.outputs()), expected, timeout=1800))
        cpu = _cpu_seconds(worker.pid) - cpu_before  # includes the drain's last poll: a little high
        elapsed = _until_last_output(records, started)
        own_cpu = {stage: seconds - stage_cpu_before.get(stage, 0.0) for stage, seconds in stage_cpu(settings).items()}
        moved = asyncio.run(records_written(settings))
        merged = stories_merged(settings) - merged_before
    except BaseException:
        _stop(worker)
        raise
    if len(records) < expected:
        _stop(worker)
        raise RuntimeError(f"pipeline: {len(records)} of {expected} outputs within the timeout (see {log})")
    numbers = {"articles/s": len(records) / elapsed, "raw/s": len(messages) / elapsed, "cpu": cpu / elapsed}
    numbers["cpu ms per raw message"] = 1000 * cpu / len(messages)
    for stage, seconds in own_cpu.items():
        numbers[f"stage cpu {stage}"] = 1000 * seconds / len(messages)
    for kind, count in moved.items():
        numbers[f"records {kind}"] = count / len(messages)
    numbers["stories merged"] = merged / len(messages)  # each a record on the stories topic beside the summaries
    return worker, {**numbers, **_hops(settings, records, len(messages))}


def _hops(settings: Settings, records: list[Any], raw_messages: int) -> dict[str, float]:
    """Median seconds a routed article spent on each hop of a drain (waiting, then being worked on), from
    the broker timestamps of its raw message, its record on ``news.articles`` and on ``news.unique``, and its
    output: the stage with the longest hop sets the pace."""
    topics = settings.topics
    routed = [r for r in records if r.topic not in (topics.deadletter, topics.duplicates)]
    parsed = sum(1 for r in records if r.topic != topics.deadletter)
    raw = asyncio.run(drain(settings, [topics.raw], raw_messages, timeout=120))
    articles = asyncio.run(drain(settings, [topics.articles], parsed, timeout=120))
    unique = asyncio.run(drain(settings, [topics.unique], len(routed), timeout=120))
    raw_at = {(r.partition, r.offset): r.timestamp for r in raw}
    parsed_at = {_origin(r): r.timestamp for r in articles}
    unique_at = {_origin(r): r.timestamp for r in unique}
    hops: dict[str, list[float]] = {"raw -> articles": [], "articles -> unique": [], "unique -> output": []}
    for record in routed:
        key = _origin(record)
        if key[:2] in raw_at and key in parsed_at and key in unique_at:
            hops["raw -> articles"].append(parsed_at[key] - raw_at[key[:2]])
            hops["articles -> unique"].append(unique_at[key] - parsed_at[key])
            hops["unique -> output"].append(record.timestamp - unique_at[key])
    return {f"hop {name} p50 s": statistics.median(ms) / 1000 for name, ms in hops.items() if ms}


def _origin(record: Any) -> tuple[int, int, int]:
    origin = orjson.loads(record.value)["origin"]
    return origin["partition"], origin["offset"], origin.get("item", 0)


def _latency(settings: Settings, rate: float, already: int) -> dict[str, float]:
    """End-to-end latency with raw messages published at ``rate`` to a running worker."""
    fresh = bench_messages(max(200, min(int(rate * 20), 20_000)), seed=99)
    fresh_expected = expected_outputs((v, c) for _, v, c in fresh)
    send_started_ms = int(time.time() * 1000)
    asyncio.run(_publish(settings, settings.topics.raw, fresh, rate=rate))
    later = asyncio.run(drain(settings, list(settings.topics.outputs()), already + fresh_expected, timeout=600))
    latencies = []
    for record in later:
        if record.timestamp < send_started_ms or record.topic == settings.topics.deadletter:
            continue
        fetched = orjson.loads(record.value).get("fetched_at")
        if fetched:
            latencies.append(record.timestamp / 1000 - _epoch(fetched))
    if len(latencies) < 2:
        return {}
    q = statistics.quantiles(sorted(latencies), n=100)
    return {"latency p50 s": q[49], "latency p95 s": q[94], "latency p99 s": q[98], "latency at msg/s": rate}


def _bare_faust(
    base: Settings,
    workdir: Path,
    messages: list[tuple[bytes, bytes, str]],
    tuned: bool,
    label: str,
    table_writes: int = 0,
) -> float:
    """Messages/s through the bare Faust pass-through (``bench_apps``) on its own fresh topics, writing
    ``table_writes`` changelogged table entries a message."""
    run = uuid.uuid4().hex[:6]
    source, target = f"bench-{run}.bare-in", f"bench-{run}.bare-out"
    settings = Settings.from_env({"KAFKA_BOOTSTRAP": base.bootstrap})
    asyncio.run(_create(settings, source, target))
    asyncio.run(_publish(settings, source, messages))
    env = {
        **os.environ,
        **settings.to_env(),
        "BENCH_IN": source,
        "BENCH_OUT": target,
        "BENCH_APP": f"bench-bare-{run}",
        "BENCH_PORT": str(free_port()),
        "BENCH_DIR": str(workdir / f"bare-{label}"),
        "BENCH_TUNED": "1" if tuned else "0",
        "BENCH_TABLE_WRITES": str(table_writes),
    }
    with (workdir / f"bare-{label}.log").open("wb") as log:
        bare = subprocess.Popen(
            [sys.executable, "-m", "streams.devtools.bench.apps"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        done = asyncio.run(drain(settings, [target], len(messages), timeout=900))
    finally:
        _stop(bare)
    if len(done) < len(messages):
        raise RuntimeError(f"bare Faust ({label}): {len(done)} of {len(messages)} messages passed on")
    return _rate(done)


def bench_pipeline(base: Settings, n: int = 3000, repeats: int = 3, workdir: Path | None = None) -> dict[str, float]:
    """The pipeline drained ``repeats`` times (median and range), latency, memory and the pass-throughs."""
    workdir = workdir or Path(".streams-data") / f"bench-{uuid.uuid4().hex[:6]}"
    workdir.mkdir(parents=True, exist_ok=True)
    messages = bench_messages(n)
    expected = expected_outputs((value, content_type) for _, value, content_type in messages)
    results: dict[str, float] = {"raw messages": n, "articles": expected}

    # 1. the pipeline draining a backlog, on fresh topics each time; the last worker stays for 2.
    runs: list[dict[str, float]] = []
    worker = None
    for i in range(repeats):
        if worker is not None:
            _stop(worker)
        settings = _pipeline_settings(base, workdir)
        worker, numbers = _drain_backlog(settings, messages, expected, workdir / f"pipeline-{i}.log")
        runs.append(numbers)
    assert worker is not None
    try:
        rates = sorted(r["articles/s"] for r in runs)
        median = statistics.median(rates)
        results["pipeline articles/s (median)"] = median
        results["pipeline articles/s (lowest)"] = rates[0]
        results["pipeline articles/s (highest)"] = rates[-1]
        results["pipeline raw messages/s (median)"] = median * n / expected
        results["worker CPU busy (of 1 core, median)"] = statistics.median(r["cpu"] for r in runs)
        # CPU time per article varies less than the rate when the machine is shared
        results["worker CPU ms per article (median)"] = statistics.median(
            1000 * r["cpu"] / r["articles/s"] for r in runs
        )
        for hop in [k for k in runs[0] if k.startswith("hop ")]:  # where articles waited (medians of the runs)
            results[hop] = statistics.median(r.get(hop, 0.0) for r in runs)
        # 2. latency at half the median rate, on fresh messages, through the last worker
        results.update(_latency(settings, results["pipeline raw messages/s (median)"] / 2, expected))
        results["worker peak RSS MB"] = _peak_rss_mb(worker.pid)
    finally:
        _stop(worker)

    # 3. the bare Faust pass-through, as Faust ships and with the worker's fetch-wait setting; 4. raw aiokafka.
    # Three times the messages, so that the fast pass-throughs run for seconds, not a fraction of one.
    passes = messages * 3
    results["bare Faust messages/s (as shipped)"] = _bare_faust(base, workdir, passes, tuned=False, label="stock")
    results["bare Faust messages/s (worker's fetch wait)"] = _bare_faust(
        base, workdir, passes, tuned=True, label="tuned"
    )
    results[f"bare Faust with {TABLE_WRITES} table writes a message, messages/s (worker's fetch wait)"] = _bare_faust(
        base, workdir, passes, tuned=True, label="table", table_writes=TABLE_WRITES
    )
    raw_in, raw_out = f"bench-{uuid.uuid4().hex[:6]}.raw-in", f"bench-{uuid.uuid4().hex[:6]}.raw-out"
    asyncio.run(_create(settings, raw_in, raw_out))
    asyncio.run(_publish(settings, raw_in, passes))
    results["raw aiokafka messages/s"] = asyncio.run(_aiokafka_pass(settings, raw_in, raw_out, len(passes)))
    pipeline = results["pipeline raw messages/s (median)"]
    results["pipeline / bare Faust (as shipped)"] = pipeline / results["bare Faust messages/s (as shipped)"]
    results["pipeline / bare Faust (worker's fetch wait)"] = (
        pipeline / results["bare Faust messages/s (worker's fetch wait)"]
    )
    results["pipeline / raw aiokafka"] = pipeline / results["raw aiokafka messages/s"]
    # 5. the stages' own work without Kafka: what the pipeline could reach if Faust and Kafka cost nothing
    results.update(stage_work(messages, cache_mb=base.dedup_cache_mb))
    ceiling = results["stage work ceiling on one core, raw messages/s"]
    results["stage work ceiling / bare Faust (worker's fetch wait)"] = (
        ceiling / results["bare Faust messages/s (worker's fetch wait)"]
    )
    results["pipeline / stage work ceiling"] = pipeline / ceiling
    # 6. where the worker's CPU went: each stage's own work as the worker counted it, and the rest (Kafka, Faust)
    in_worker = {
        stage: statistics.median(r[f"stage cpu {stage}"] for r in runs) for stage in ("parse", "dedup", "route")
    }
    for stage, ms in in_worker.items():
        results[f"in the worker: {stage} ms per raw message"] = ms
    worker_ms = results["worker CPU ms per article (median)"] * expected / n
    results["in the worker: Kafka and Faust ms per raw message"] = max(worker_ms - sum(in_worker.values()), 0.0)
    moved = Records(**{kind: statistics.median(r[f"records {kind}"] for r in runs) for kind in RECORD_KINDS})
    for kind in RECORD_KINDS:
        results[f"records per raw message: {kind}"] = getattr(moved, kind)
    results["stories merged per raw message"] = statistics.median(r["stories merged"] for r in runs)
    # what Faust and Kafka cost a record, from the bare pass-throughs (CPU-bound on one core): half a pass for a
    # record read or written, and what the table writes added for a changelog record
    record_ms = 1000 / results["bare Faust messages/s (worker's fetch wait)"] / 2
    with_table = results[f"bare Faust with {TABLE_WRITES} table writes a message, messages/s (worker's fetch wait)"]
    changelog_ms = max(1000 / with_table - 2 * record_ms, 0.0) / TABLE_WRITES
    results["Faust and Kafka ms per record read or written (bare pass-through)"] = record_ms
    results["Faust and Kafka ms per changelog record (bare pass-through with table writes)"] = changelog_ms
    results["Faust and Kafka floor, ms per article (the records above at these costs)"] = floor_ms_per_article(
        moved, record_ms, changelog_ms
    )
    # 7. the scaling model (arithmetic over the figures above, not a measurement: ``model``)
    costs = costs_from_run(in_worker, worker_ms, moved, changelog_weight=changelog_ms / record_ms)
    results.update(model_results(costs))
    return results


async def _aiokafka_pass(settings: Settings, source: str, target: str, n: int) -> float:
    consumer = make_consumer(settings, source, group_id=None, auto_offset_reset="earliest")
    producer = make_producer(settings, linger_ms=5)
    await consumer.start()
    await producer.start()
    done = 0
    started = time.monotonic()
    try:
        while done < n:
            if time.monotonic() - started > 600:
                raise RuntimeError(f"raw aiokafka: {done} of {n} messages passed on within 600 s")
            pending = []
            for batch in (await consumer.getmany(timeout_ms=1000, max_records=1000)).values():
                for message in batch:
                    value = orjson.dumps(_loads_or_raw(message.value))
                    pending.append(await producer.send(target, value, key=message.key))
                    done += 1
            await asyncio.gather(*pending)
    finally:
        await producer.stop()
        await consumer.stop()
    return done / (time.monotonic() - started)


def _loads_or_raw(value: bytes) -> Any:
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return {"raw": len(value)}


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()

"""Property-based bad input through a real worker: whatever arrives, the worker lives, every message that
cannot be parsed is a dead letter with a reason, and every good message around them is routed.

Hypothesis draws a batch of payloads (random bytes, our samples cut and spliced with junk, deep nesting,
NUL runs, wrong encodings) with a fixed seed, so the test is deterministic; the expected
outcome of each payload comes from the same pure parser the worker runs.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from streams.settings import Settings
from streams.stages.parsing import parse_payload
from streams.stages.pipeline import meta_from_headers

from .conftest import WorkerProcess
from .kafka_io import Record, produce, read_until
from .test_faults import JSON, article_payload, by_id, ids_of

SAMPLES = Path(__file__).resolve().parents[2] / "streams" / "samples"
SEEDS = [p.read_bytes() for p in sorted(SAMPLES.iterdir()) if p.suffix in {".rss", ".atom", ".html", ".json", ".txt"}]
CONTENT_TYPES = [None, "application/json", "application/rss+xml", "text/html", "text/plain"]


@st.composite
def payloads(draw: st.DrawFn) -> tuple[bytes, str | None]:
    kind = draw(st.sampled_from(["bytes", "mangled", "nested", "nul", "encoding"]))
    if kind == "bytes":
        payload = draw(st.binary(max_size=2048))
    elif kind == "mangled":
        seed = draw(st.sampled_from(SEEDS))
        cut = draw(st.integers(min_value=0, max_value=len(seed)))
        at = draw(st.integers(min_value=0, max_value=cut))
        payload = seed[:at] + draw(st.binary(max_size=64)) + seed[at:cut]
    elif kind == "nested":
        depth = draw(st.integers(min_value=100, max_value=20_000))
        opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}"), (b"<x>", b"</x>")]))
        payload = opener * depth + closer * draw(st.integers(min_value=0, max_value=depth))
    elif kind == "nul":
        payload = b"\x00" * draw(st.integers(min_value=0, max_value=4096))
    else:
        text = draw(st.text(min_size=1, max_size=300))
        payload = text.encode(draw(st.sampled_from(["utf-16", "utf-32", "cp1256", "koi8-r"])), "replace")
    return payload, draw(st.sampled_from(CONTENT_TYPES))


def outcome(key: bytes, payload: bytes, headers: list[tuple[str, bytes]]) -> set[str] | None:
    """The article ids the worker must route, or None when the payload must become a dead letter."""
    try:
        return {a.id for a in parse_payload(payload, meta_from_headers(dict(headers), key))}
    except Exception:
        return None


def draw_batch(size: int) -> list[tuple[bytes, str | None]]:
    """``size`` payloads drawn by Hypothesis with a fixed seed: the same batch on every run."""
    batch: list[tuple[bytes, str | None]] = []

    @seed(20261129)
    @settings(
        max_examples=size,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(payloads())
    def collect(item: tuple[bytes, str | None]) -> None:
        batch.append(item)

    collect()
    return batch


def test_fuzzed_input_through_a_worker(bootstrap: str, worker_env: dict[str, str], start_worker) -> None:
    batch = draw_batch(60)
    settings_ = Settings.from_env(worker_env)
    worker: WorkerProcess = start_worker()
    worker.wait_ready()
    good = [article_payload(5000 + n) for n in range(len(batch))]
    messages = []
    expected_ids = set(ids_of(good))
    expected_dead = 0
    for n, ((payload, content_type), g) in enumerate(zip(batch, good, strict=True)):
        headers = [("content-type", content_type.encode())] if content_type else []
        messages.append((f"fuzz{n}".encode(), payload, headers))
        messages.append((f"good{n}".encode(), g, JSON))
        ids = outcome(*messages[-2])
        if ids is None:
            expected_dead += 1
        else:
            expected_ids |= ids
    asyncio.run(produce(bootstrap, settings_.topics.raw, messages))

    def complete(records: list[Record]) -> bool:
        dead = sum(r.topic == settings_.topics.deadletter for r in records)
        return dead >= expected_dead and set(by_id(records, settings_)) >= expected_ids

    records = asyncio.run(read_until(bootstrap, list(settings_.topics.outputs()), complete, 180, settle=2))
    assert set(by_id(records, settings_)) >= expected_ids, worker.log_tail()
    dead = [r for r in records if r.topic == settings_.topics.deadletter]
    assert len(dead) == expected_dead, worker.log_tail()
    assert all(r.headers.get("dlq.reason") and r.headers.get("dlq.stage") == b"parse" for r in dead)
    assert worker.proc.poll() is None  # never died
    status, _ = worker.get("/healthz")
    assert status == 200

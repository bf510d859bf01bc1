"""Property-based bad input through a real worker: whatever arrives, the worker lives, every message that
cannot be parsed is a dead letter with a reason, and every good message around them is routed.

Hypothesis draws a batch of payloads (random bytes, our samples cut and spliced with junk, deep nesting,
NUL runs, wrong encodings) with a fixed seed, so the test is deterministic; the expected
outcome is the contract's: each payload comes out exactly one way, matched to it by its coordinates.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path

import orjson
from hypothesis import strategies as st

from streams.settings import Settings

from .conftest import WorkerProcess, draw_fixed
from .kafka_io import Record, produce, read_until
from .test_faults import JSON, article_payload

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


def draw_batch(size: int) -> list[tuple[bytes, str | None]]:
    """``size`` payloads drawn with a fixed seed: the same batch on every run."""
    return draw_fixed(payloads(), size, 20261129)


PARSE_REASONS = {  # the parse stage's dead-letter reasons (streams.errors.ParseError's ``reason`` values)
    "empty", "too_large", "binary", "encoding", "xml_entities", "bad_json", "json_depth", "not_an_article",
    "bad_record", "schema_version", "no_text", "empty_feed", "too_deep", "parser_failure", "output_refused",
}  # fmt: skip


def test_fuzzed_input_through_a_worker(bootstrap: str, worker_env: dict[str, str], start_worker) -> None:
    """Whatever each payload is, it comes out exactly one way: as articles or as one dead letter with a parse
    reason, never both and never neither; the good messages between them come out as their own articles;
    the worker lives. No expectation is taken from the parser."""
    batch = draw_batch(60)
    settings_ = Settings.from_env(worker_env)
    worker: WorkerProcess = start_worker()
    worker.wait_ready()
    messages = []
    good_urls: dict[int, str] = {}
    for n, (payload, content_type) in enumerate(batch):
        headers = [("content-type", content_type.encode())] if content_type else []
        messages.append((f"fuzz{n}".encode(), payload, headers))
        good = article_payload(5000 + n)
        good_urls[len(messages)] = orjson.loads(good)["url"]
        messages.append((f"good{n}".encode(), good, JSON))
    written = asyncio.run(produce(bootstrap, settings_.topics.raw, messages))
    index = {coordinates: n for n, coordinates in enumerate(written)}

    def outcomes(records: list[Record]) -> tuple[dict[int, list[str]], dict[int, list[Record]]]:
        articles: dict[int, list[str]] = defaultdict(list)
        dead: dict[int, list[Record]] = defaultdict(list)
        for record in records:
            if record.topic == settings_.topics.deadletter:
                at = (int(record.headers["dlq.source.partition"]), int(record.headers["dlq.source.offset"]))
                dead[index[at]].append(record)
            else:
                origin = orjson.loads(record.value)["origin"]
                articles[index[(origin["partition"], origin["offset"])]].append(orjson.loads(record.value)["url"])
        return articles, dead

    def complete(records: list[Record]) -> bool:
        articles, dead = outcomes(records)
        return set(articles) | set(dead) == set(range(len(messages)))

    records = asyncio.run(read_until(bootstrap, list(settings_.topics.outputs()), complete, 180, settle=2))
    articles, dead = outcomes(records)
    assert set(articles) | set(dead) == set(range(len(messages))), worker.log_tail()  # none lost
    assert set(articles) & set(dead) == set()  # none both
    for n, letters in dead.items():
        assert len(letters) == 1, n
        (letter,) = letters
        assert letter.key == messages[n][0]
        assert letter.value == messages[n][1]  # the original bytes
        assert letter.headers["dlq.stage"] == b"parse"
        assert letter.headers["dlq.reason"].decode() in PARSE_REASONS
    assert {n: articles[n] for n in good_urls} == {n: [url] for n, url in good_urls.items()}
    assert worker.proc.poll() is None  # never died
    status, _ = worker.get("/healthz")
    assert status == 200

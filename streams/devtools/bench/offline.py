"""``python -m streams bench``: speed of the stages, offline (parse, tag+route, and the dedup instance in
``dedupstate``) — numbers for docs/benchmarks.md. The whole pipeline on the broker: ``pipeline``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import psutil

from streams.devtools.bench.dedupstate import bench_dedup
from streams.stages.parsing import RawMeta, parse_payload
from streams.stages.pipeline import classify_article
from streams.stages.record import Article
from streams.stages.routing import load_rules
from streams.stages.tagging.lexicon import default_lexicon

__all__ = ["bench_parse", "bench_tag_route", "memory_mb", "peak_memory_mb", "run_bench"]

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
_FORMATS = {
    "rss": ("syria-diplomacy.rss", "application/rss+xml"),
    "atom": ("arabic-news.atom", "application/atom+xml"),
    "html": ("envoy-visit.html", "text/html"),
    "json": ("api-articles.json", "application/json"),
    "text": ("scraped-page.txt", "text/plain"),
}


def _timed(seconds: float, work: Any) -> tuple[int, float]:
    """Run ``work()`` (returning items done) repeatedly for about ``seconds``; return (items, elapsed)."""
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        done += work()
    return done, time.perf_counter() - started


def bench_parse(seconds: float = 3.0) -> dict[str, float]:
    """Articles per second through ``parse_payload`` and CPU microseconds per article (``time.process_time``,
    which other processes on the machine do not inflate), per input format (bundled samples)."""
    parse_payload(b'{"title": "warm", "body": "up the language models"}')  # lingua loads lazily
    results = {}
    for name, (file_name, content_type) in _FORMATS.items():
        payload = (SAMPLES / file_name).read_bytes()
        meta = RawMeta(content_type=content_type)
        cpu = time.process_time()
        items, elapsed = _timed(seconds, lambda payload=payload, meta=meta: len(parse_payload(payload, meta)))
        results[name] = items / elapsed
        results[f"{name} CPU µs/article"] = 1e6 * (time.process_time() - cpu) / items
    return results


def bench_tag_route(seconds: float = 5.0, size: int = 2048) -> dict[str, float]:
    """Articles per second through tag + route on ~``size``-byte Arabic and English articles."""
    default_lexicon()
    rules = load_rules()
    texts = {}
    for file_name in ("arabic-news.atom", "syria-diplomacy.rss"):
        articles = parse_payload((SAMPLES / file_name).read_bytes())
        body = " ".join(a.body for a in articles)
        while len(body.encode()) < size:
            body += " " + body
        texts[articles[0].lang] = (articles[0].title, body.encode()[:size].decode("utf-8", "ignore"))
    results = {}
    for lang, (title, body) in texts.items():

        def work(title: str = title, body: str = body, lang: str = lang) -> int:
            classify_article(Article(id="b", title=title, body=body, lang=lang), rules)
            return 1

        items, elapsed = _timed(seconds, work)
        results[lang] = items / elapsed
    return results


def run_bench(stage: str, articles: int = 100_000, cache_mb: int = 64) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    if stage == "dedup":
        out.update(bench_dedup(articles, cache_mb=cache_mb))
    if stage in ("parse", "all"):
        out["parse (articles/s)"] = bench_parse()
    if stage in ("tag", "all"):
        out["tag+route, 2 KB articles (articles/s)"] = bench_tag_route()
    return out


def memory_mb(pid: int | None = None) -> float:
    """The resident memory of a process (default: this one) now, in MiB."""
    return float(psutil.Process(pid).memory_info().rss) / 2**20


def peak_memory_mb(pid: int) -> float:
    """The peak resident memory of a running process, in MiB: Linux's ``VmHWM``, which psutil does not report
    (0 where there is no such figure)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0.0
    for line in lines:
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0

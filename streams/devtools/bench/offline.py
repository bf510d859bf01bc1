"""``python -m streams bench``: speed of the stages, offline (parse, tag+route) — numbers for docs/benchmarks.md.

The whole-pipeline benchmark on the real broker (against bare Faust and aiokafka pass-throughs) belongs
here too as ``--stage pipeline`` once it exists; the offline stages need no broker.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import psutil

from streams.stages.parsing import RawMeta, parse_payload
from streams.stages.pipeline import classify_article
from streams.stages.record import Article
from streams.stages.routing import load_rules
from streams.stages.tagging.lexicon import default_lexicon

__all__ = ["bench_dedup", "bench_parse", "bench_tag_route", "memory_mb", "peak_memory_mb", "run_bench"]

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
        out["dedup over RocksDB state"] = bench_dedup(articles, cache_mb=cache_mb)
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


def bench_dedup(
    articles: int = 100_000,
    copy_share: float = 0.3,
    path: Path | None = None,
    progress: int = 50_000,
    cache_mb: int = 64,
) -> dict[str, float]:
    """Dedup over ``articles`` synthetic 300-word articles (``copy_share`` of them edited copies of earlier
    ones), state in RocksDB with the worker's options (``cache_mb`` as ``STREAMS_DEDUP_CACHE_MB``).

    The process first loads what a worker holds (Faust, the language models, the lexicon, the parsers), so
    its resident memory is a worker's with that much dedup state, less Kafka clients' buffers. Reports
    items/s, resident memory before any state and at its peak, state on disk and copies found."""
    import random
    import resource
    import shutil
    import tempfile

    import faust  # noqa: F401 - held by every worker

    from streams.runtime.rocksdb import RocksMapping
    from streams.stages.dedup.index import DedupIndex
    from streams.stages.pipeline import warm_up
    from streams.stages.record import Source

    warm_up()
    rss_before = memory_mb()
    rng = random.Random(7)
    vocabulary = [f"w{i}" for i in range(50_000)]
    workdir = Path(tempfile.mkdtemp(prefix="dedup-bench-", dir=path))
    store = RocksMapping(workdir / "state", cache_mb=cache_mb)
    index = DedupIndex(store)
    recent: list[list[str]] = []
    copies = found = 0
    started = time.perf_counter()
    for n in range(articles):
        if recent and rng.random() < copy_share:
            words = list(rng.choice(recent))
            for _ in range(len(words) // 20):  # 5% of the words edited
                words[rng.randrange(len(words))] = rng.choice(vocabulary)
            copies += 1
            is_copy = True
        else:
            words = [rng.choice(vocabulary) for _ in range(300)]
            is_copy = False
            recent.append(words)
            if len(recent) > 5_000:
                recent.pop(0)
        article = Article(
            id=f"{n:024x}",
            title="",
            body=" ".join(words),
            source=Source(),
            fetched_at="2026-11-29T12:00:00.000Z",
            fingerprints={"content": f"c{n}"},
            origin={"topic": "bench", "partition": 0, "offset": n, "item": 0},
        )
        if index.check(article).duplicate and is_copy:
            found += 1
        if progress and (n + 1) % progress == 0:
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"  {n + 1:>9,} articles  {(n + 1) / (time.perf_counter() - started):>7,.0f}/s  peak RSS {rss:,.0f} MB",
                flush=True,
            )
    elapsed = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    disk_mb = sum(f.stat().st_size for f in workdir.rglob("*") if f.is_file()) / 1e6
    store.close()
    shutil.rmtree(workdir, ignore_errors=True)
    return {
        "articles": articles,
        "items/s": articles / elapsed,
        "RSS before state MB": rss_before,
        "peak RSS MB": rss_mb,
        "state on disk MB": disk_mb,
        "copies found %": 100.0 * found / max(copies, 1),
    }

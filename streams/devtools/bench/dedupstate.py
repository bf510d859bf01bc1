"""``bench --stage dedup``: the dedup instance alone over RocksDB state, on a synthetic stream with known stories.

The fingerprints and story features are made before the timer, as the parse stage makes them and sends them
in headers; what is timed is what the one dedup instance does per article (``DedupIndex.check``), and within
it the story step (weighing, candidates, copies among a story's reports, joining). The same run scores the
verdicts against the stream's truth (``synthetic``): copies found, false duplicates, and pairs of reports of
one event in one story, with hot terms (names and words a large share of the reports carry) and, for
comparison, on a stream without them. Memory is the process's: it first loads what a worker holds (Faust, the
language models, the lexicon, the parsers), so its resident memory is a worker's with that much dedup state,
less Kafka clients' buffers.
"""

from __future__ import annotations

import resource
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any, TextIO

from streams.devtools.bench.synthetic import synthetic_stream
from streams.stages.dedup.features import bags, with_slots
from streams.stages.dedup.fingerprint import fingerprint
from streams.stages.dedup.index import DedupConfig, DedupIndex
from streams.stages.dedup.storystep import followed

__all__ = ["TimedIndex", "bench_dedup", "pairs_within", "score_stream"]

STORY_METHODS = ("_vectors", "_match", "_story_copy", "_join")
CONTROL_ARTICLES = 20_000  # the stream without hot terms, for comparison


class TimedIndex(DedupIndex):
    """The dedup index, adding up the CPU time of its story step (the methods of ``STORY_METHODS``)."""

    story_seconds = 0.0

    def _timed(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return method(*args, **kwargs)
        finally:
            self.story_seconds += time.process_time() - started

    def _vectors(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed(super()._vectors, *args, **kwargs)

    def _match(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed(super()._match, *args, **kwargs)

    def _story_copy(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed(super()._story_copy, *args, **kwargs)

    def _join(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed(super()._join, *args, **kwargs)


def pairs_within(counts: Counter[Any]) -> int:
    """Pairs within groups of these sizes."""
    return sum(n * (n - 1) // 2 for n in counts.values())


def score_stream(rows: Iterable[tuple[int, str | None, bool, str]]) -> dict[str, float]:
    """Copies found and story pairs from ``(event, copy_of, duplicate, story)`` per report."""
    copies = copies_found = originals = false_duplicates = 0
    both: Counter[tuple[int, str]] = Counter()
    events: Counter[int] = Counter()
    stories: Counter[str] = Counter()
    for event, copy_of, duplicate, story in rows:
        if copy_of is not None:
            copies += 1
            copies_found += duplicate
            continue
        originals += 1
        false_duplicates += duplicate
        if not duplicate:
            both[event, story] += 1
            events[event] += 1
            stories[story] += 1
    pairs, same_event, same_story = pairs_within(both), pairs_within(events), pairs_within(stories)
    return {
        "copies found %": 100.0 * copies_found / max(copies, 1),
        "false duplicates %": 100.0 * false_duplicates / max(originals, 1),
        "story pairs precision": pairs / same_story if same_story else 1.0,
        "story pairs recall": pairs / same_event if same_event else 1.0,
    }


def _run(
    index: DedupIndex,
    articles: int,
    hot: bool,
    per_day: float,
    progress: int,
    out: TextIO,
    merged_into: dict[str, str],
) -> float:
    """Run the stream through ``index``, writing each report's truth and verdict to ``out`` (a file, so the
    process holds no more than a worker would) and the stories merged to ``merged_into``; the CPU seconds of
    the checks."""
    spent = 0.0
    started = time.perf_counter()
    for n, report in enumerate(synthetic_stream(articles, hot=hot, per_day=per_day)):
        article = report.article
        fp = fingerprint(article.title, article.body)  # made in the parse stage
        story_bags = with_slots(bags(article.title, article.body, article.tags), article.lang)
        before = time.process_time()
        verdict = index.check(article, fp, story_bags=story_bags)
        spent += time.process_time() - before
        merged_into.update(dict.fromkeys(index.merged, verdict.story))
        out.write(f"{report.event}\t{report.copy_of or ''}\t{int(verdict.duplicate)}\t{verdict.story}\n")
        if progress and (n + 1) % progress == 0:
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"  {n + 1:>9,} articles  {(n + 1) / (time.perf_counter() - started):>7,.0f}/s (with the stream made)"
                f"  peak RSS {rss:,.0f} MB",
                flush=True,
            )
    return spent


def _rows(path: Path, merged_into: Mapping[str, str]) -> Iterator[tuple[int, str | None, bool, str]]:
    """The reports' truth and verdicts, each story the one that holds it at the end (``followed``)."""
    with path.open() as lines:
        for line in lines:
            event, copy_of, duplicate, story = line.rstrip("\n").split("\t")
            yield int(event), copy_of or None, duplicate == "1", followed(merged_into, story)


def _lists(store: MutableMapping[str, Any]) -> dict[str, float]:
    """How many lookup keys, how many of them too common to read, and the longest list, one at a time."""
    keys = common = longest = 0
    for key in store:
        if key.startswith("x:"):
            value = store[key]
            keys += 1
            common += "common" in value
            longest = max(longest, len(value.get("s", ())))
    return {
        "lookup keys": keys,
        "lookup keys too common to read": common,
        "longest lookup list (stories)": longest,
    }


def bench_dedup(
    articles: int = 100_000,
    path: Path | None = None,
    progress: int = 50_000,
    cache_mb: int = 64,
    per_day: float | None = None,
    control: int = CONTROL_ARTICLES,
    config: DedupConfig | None = None,
) -> dict[str, dict[str, float]]:
    """The dedup instance over ``articles`` synthetic reports (``per_day`` of them a day; by default all within
    five days, so every one of them is live state), state in RocksDB with the worker's options (``cache_mb``
    as ``STREAMS_DEDUP_CACHE_MB``); then a stream of ``control`` reports without hot terms, for comparison."""
    import faust  # noqa: F401 - held by every worker

    from streams.runtime.rocksdb import RocksMapping
    from streams.stages.pipeline import warm_up

    warm_up()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out: dict[str, dict[str, float]] = {}
    for name, count, hot in (("with hot terms", articles, True), ("without hot terms", control, False)):
        if count <= 0:
            continue
        workdir = Path(tempfile.mkdtemp(prefix="dedup-bench-", dir=path))
        store = RocksMapping(workdir / "state", cache_mb=cache_mb)
        index = TimedIndex(store, config)
        try:
            merged_into: dict[str, str] = {}
            with (workdir / "verdicts.tsv").open("w") as verdicts:
                spent = _run(index, count, hot, per_day or max(count / 5, 1.0), progress, verdicts, merged_into)
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before scoring, as a worker
            disk_mb = sum(f.stat().st_size for f in (workdir / "state").rglob("*") if f.is_file()) / 1e6
            lists = _lists(store)
            scores = score_stream(_rows(workdir / "verdicts.tsv", merged_into))
        finally:
            store.close()
            shutil.rmtree(workdir, ignore_errors=True)
        result: dict[str, float] = {
            "articles": count,
            "dedup CPU ms per article (fingerprints and story features given)": 1000 * spent / count,
            "of which the story step, ms per article": 1000 * index.story_seconds / count,
            "articles/s on one core": count / spent if spent else 0.0,
            **scores,
            **lists,
            "state on disk MB": disk_mb,
        }
        if hot:
            result["RSS before state MB"] = rss_before
            result["peak RSS MB"] = peak_mb
        out[f"dedup over RocksDB state, {name}"] = result
    return out

"""The stages' own work per raw message, without Kafka or Faust: the ceiling the pipeline's rate is held to.

``bench --stage pipeline`` compares the pipeline with a bare Faust pass-through. Both pay Faust and Kafka per
message; the pipeline also parses, tags, fingerprints, deduplicates and routes. This module runs exactly the
functions the agents call (``parse_and_tag``, ``decide`` and ``fingerprint_headers`` in parse,
``Article.loads``, ``DedupIndex.check`` over RocksDB with the worker's options, the story's summary and
``Article.dumps`` in dedup, ``route`` in route), on the same messages, in this process, and measures their CPU
time. From it follow:

- the **ceiling** on one core: the rate the pipeline would reach if Kafka and Faust cost nothing, and that
  ceiling against the bare pass-through's rate (no tuning of the Faust side can lift the pipeline above it);
- the share of the work done in the **one dedup instance** (the whole index is one partition), which limits
  what added workers can gain. With the other stages split evenly, the busier of two workers does
  ``serial + (1 - serial) / 2`` of one worker's stage work, so two reach about ``1 / (serial + (1 - serial) / 2)``
  times one. An estimate from the stage work alone: Faust's per-message work (most of a worker's CPU) is
  split the same way only roughly.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from streams.headers import HEADER_CONTENT_TYPE, HEADER_FETCHED_AT
from streams.runtime.rocksdb import RocksMapping
from streams.settings import Topics
from streams.stages.dedup.index import DedupIndex
from streams.stages.dedup.summary import dumps_summary, story_summary
from streams.stages.pipeline import (
    bags_from_headers,
    fingerprint_from_headers,
    fingerprint_headers,
    meta_from_headers,
    parse_and_tag,
    route,
    warm_up,
)
from streams.stages.record import Article, iso_utc
from streams.stages.routing import decide, load_rules

__all__ = ["stage_work"]


def stage_work(messages: Sequence[tuple[bytes, bytes, str]], cache_mb: int = 64) -> dict[str, float]:
    """CPU milliseconds per raw message of each stage's own work, the one-core ceiling and the dedup share."""
    warm_up()
    rules, topics = load_rules(), Topics()
    spent = {"parse": 0.0, "dedup": 0.0, "route": 0.0}
    workdir = Path(tempfile.mkdtemp(prefix="stage-work-"))
    store = RocksMapping(workdir / "state", cache_mb=cache_mb)
    try:
        index = DedupIndex(store)
        for offset, (key, payload, content_type) in enumerate(messages):
            headers = {
                HEADER_CONTENT_TYPE: content_type.encode(),
                HEADER_FETCHED_AT: iso_utc(datetime.now(UTC)).encode(),
            }
            started = time.process_time()
            parsed = parse_and_tag(payload, meta_from_headers(headers, key))
            sent = []
            for item, article in enumerate(parsed):
                article.decision = decide(article, rules)
                fp_headers = dict(fingerprint_headers(article))
                article.origin.update({"topic": "raw", "partition": 0, "offset": offset}, item=item)
                sent.append((article.dumps(), fp_headers))
            spent["parse"] += time.process_time() - started
            for value, fp_headers in sent:
                started = time.process_time()
                article = Article.loads(value)
                verdict = index.check(
                    article,
                    functools.partial(fingerprint_from_headers, fp_headers, article),
                    route=article.decision.get("route"),
                    story_bags=functools.partial(bags_from_headers, fp_headers, article),
                )
                article.dedup = verdict.as_dict()
                value = article.dumps()
                story = None if verdict.duplicate else index.story_record(verdict.story)
                if story is not None:
                    dumps_summary(story_summary(verdict.story, story))
                spent["dedup"] += time.process_time() - started
                if verdict.duplicate:
                    continue
                started = time.process_time()
                _, routed = route(Article.loads(value), rules, topics)
                routed.dumps()
                spent["route"] += time.process_time() - started
    finally:
        store.close()
        shutil.rmtree(workdir, ignore_errors=True)
    count = max(len(messages), 1)
    total = sum(spent.values())
    serial = spent["dedup"] / total if total else 0.0
    results = {f"stage work {stage} ms per raw message": 1000 * seconds / count for stage, seconds in spent.items()}
    results["stage work ms per raw message"] = 1000 * total / count
    results["stage work ceiling on one core, raw messages/s"] = count / total if total else 0.0
    results["stage work in the one dedup instance %"] = 100 * serial
    busiest = spent["dedup"] + (total - spent["dedup"]) / 2
    results["busier of two workers, stage work ms per raw message (even split)"] = 1000 * busiest / count
    results["two workers against one, estimate (stage work, even split)"] = total / busiest if total else 0.0
    return results

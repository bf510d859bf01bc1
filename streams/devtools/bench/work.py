"""The stages' own work per raw message, without Kafka or Faust: the ceiling the pipeline's rate is held to.

``bench --stage pipeline`` compares the pipeline with a bare Faust pass-through. Both pay Faust and Kafka per
message; the pipeline also parses, tags, fingerprints, deduplicates and routes. This module runs exactly the
functions the agents call (``parse_and_tag``, ``decide`` and ``fingerprint_headers`` in parse,
``Article.loads``, ``DedupIndex.check`` of the article's language partition over RocksDB with the worker's
options, the story's update and ``Article.dumps`` in dedup, ``StoryLinks.update`` and the group's summary in
link, ``route`` in route), on the same messages, in this process, and measures their CPU time. From it follow:

- the **ceiling** on one core: the rate the pipeline would reach if Kafka and Faust cost nothing, and that
  ceiling against the bare pass-through's rate (no tuning of the Faust side can lift the pipeline above it);
- the share of the work that cannot be spread over workers, the **busiest dedup instance** (one per
  partition of languages) and the **link step** (one instance), which limits what added workers can gain.
  With the other stages split evenly, the busier of two workers does ``serial + (1 - serial) / 2`` of one
  worker's stage work, so two reach about ``1 / (serial + (1 - serial) / 2)`` times one. An estimate from the
  stage work alone: Faust's per-message work (most of a worker's CPU) is split the same way only roughly.
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
from streams.runtime.dedup_partitions import language_partition
from streams.runtime.rocksdb import RocksMapping
from streams.settings import Settings, Topics
from streams.stages.dedup.features import UNKNOWN_LANG
from streams.stages.dedup.index import DedupConfig, DedupIndex
from streams.stages.dedup.links import StoryLinks
from streams.stages.dedup.summary import dumps_summary, group_summary, story_summary
from streams.stages.dedup.updates import link_update, read_link_update
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
    """CPU milliseconds per raw message of each stage's own work, the one-core ceiling and the share of the
    work that cannot be spread (the busiest dedup instance, and the link step)."""
    warm_up()
    rules, topics = load_rules(), Topics()
    partitions = Settings().partitions
    spent = {"parse": 0.0, "dedup": 0.0, "link": 0.0, "route": 0.0}
    by_partition: dict[int, float] = {}  # the dedup work of each partition's instance
    workdir = Path(tempfile.mkdtemp(prefix="stage-work-"))
    stores: dict[int, RocksMapping] = {}

    def store(name: int) -> RocksMapping:
        if name not in stores:
            stores[name] = RocksMapping(workdir / f"state-{name}", cache_mb=cache_mb)
        return stores[name]

    config = DedupConfig(cross_language=False)
    indexes: dict[int, DedupIndex] = {}
    links = StoryLinks(store(-1), config)
    try:
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
                sent.append((language_partition(article.lang or UNKNOWN_LANG, partitions), article.dumps(), fp_headers))
            spent["parse"] += time.process_time() - started
            for partition, value, fp_headers in sent:
                started = time.process_time()
                if partition not in indexes:
                    indexes[partition] = DedupIndex(store(partition), config)
                index = indexes[partition]
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
                update = None
                if story is not None:
                    lang = article.lang or UNKNOWN_LANG
                    update = link_update(lang, verdict.story, story, story_summary(verdict.story, story))
                elapsed = time.process_time() - started
                spent["dedup"] += elapsed
                by_partition[partition] = by_partition.get(partition, 0.0) + elapsed
                if update is not None:
                    started = time.process_time()
                    link = links.update(*read_link_update(update))
                    dumps_summary(group_summary(link.group, links.summaries(link.group)))
                    spent["link"] += time.process_time() - started
                if verdict.duplicate:
                    continue
                started = time.process_time()
                _, routed = route(Article.loads(value), rules, topics)
                routed.dumps()
                spent["route"] += time.process_time() - started
    finally:
        for mapping in stores.values():
            mapping.close()
        shutil.rmtree(workdir, ignore_errors=True)
    count = max(len(messages), 1)
    total = sum(spent.values())
    serial_seconds = max(by_partition.values(), default=0.0) + spent["link"]
    serial = serial_seconds / total if total else 0.0
    results = {f"stage work {stage} ms per raw message": 1000 * seconds / count for stage, seconds in spent.items()}
    results["stage work ms per raw message"] = 1000 * total / count
    results["stage work ceiling on one core, raw messages/s"] = count / total if total else 0.0
    results["stage work in the busiest dedup instance and the link step %"] = 100 * serial
    busiest = serial_seconds + (total - serial_seconds) / 2
    results["busier of two workers, stage work ms per raw message (even split)"] = 1000 * busiest / count
    results["two workers against one, estimate (stage work, even split)"] = total / busiest if total else 0.0
    return results

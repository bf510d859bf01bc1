"""One dedup index per partition of the articles topic: articles are keyed by language, so each partition holds
the index of its languages, on whichever worker consumes it.

Which partition a language goes to (``language_partition``): the languages the project is built for, in its
order (Arabic and English first: ``PRIORITY_LANGUAGES``), take the partitions in turn, so the busiest are
apart whenever there are partitions enough; any other language goes where Kafka's default partitioner sends
its code. The worker's producer applies it to the articles' keys (``ArticlesPartitioner``; the partition
count from the topic's metadata), and offline runs with the same count put each language in the same index.

A ``DedupIndex`` keeps what it has counted and decoded (the word counts of its records, the latest stories,
lists and texts) in memory, so each partition gets its own, over views that reach that partition's local
store alone: ``PartitionView``. Reads go to the partition's store (``PartitionStore``); the records' writes go
through the Faust table (its changelog), the derived entries' to the store only (``dedup_table``). A view is
resolved on every call, so a partition revoked and assigned again is read from its current store; a restore
gives the store a new generation, and the index counts its words again (``IndexState._sync_stats``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any

import faust
from aiokafka.partitioner import DefaultPartitioner, murmur2

from streams.runtime.patches.stores import PartitionStore
from streams.stages.dedup.index import DedupConfig, DedupIndex

__all__ = [
    "ARTICLES_KEY_PREFIX",
    "PRIORITY_LANGUAGES",
    "ArticlesPartitioner",
    "PartitionIndexes",
    "PartitionView",
    "articles_key",
    "language_partition",
]

ARTICLES_KEY_PREFIX = b"lang:"  # an article's key on the articles topic: this and its language code
PRIORITY_LANGUAGES = ("ar", "en", "tr", "ru", "fa", "fr", "de", "it", "es")  # the project's languages, in its order


def articles_key(lang: str) -> bytes:
    return ARTICLES_KEY_PREFIX + lang.encode()


def language_partition(lang: str, partitions: int) -> int:
    """The partition of the articles topic (of ``partitions``) that a language's articles go to."""
    if lang in PRIORITY_LANGUAGES:
        return PRIORITY_LANGUAGES.index(lang) % partitions
    return int(murmur2(lang.encode()) & 0x7FFFFFFF) % partitions


class ArticlesPartitioner:
    """The producer's partitioner: an articles key (``articles_key``) by ``language_partition``, every other
    key as Kafka's default partitioner does."""

    def __init__(self) -> None:
        self._default = DefaultPartitioner()

    def __call__(self, key: bytes | None, all_partitions: list[int], available: list[int]) -> int:
        if key is not None and key.startswith(ARTICLES_KEY_PREFIX):
            lang = key[len(ARTICLES_KEY_PREFIX) :].decode("utf-8", "replace")
            return all_partitions[language_partition(lang, len(all_partitions))]
        return int(self._default(key, all_partitions, available))


SCAN_BATCH = 10_000  # entries read at a time when the index walks its partition's records


class PartitionView(MutableMapping[str, Any]):
    """A table partition's local store by key: reads from the store; writes to the table (``changelogged``:
    a changelog record each, in an event of this partition) or to the store alone (the derived entries)."""

    def __init__(self, table: faust.Table[str, Any], partition: int | None, *, changelogged: bool) -> None:
        self._table = table
        self._partition = partition
        self._changelogged = changelogged

    def _store(self) -> PartitionStore:
        return PartitionStore(self._table.data, self._partition)

    def __getitem__(self, key: str) -> Any:
        return self._store()[key]

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self._store()[key]
        except KeyError:
            return default

    def __setitem__(self, key: str, value: Any) -> None:
        if self._changelogged:
            self._table[key] = value
        else:
            self._store()[key] = value

    def __delitem__(self, key: str) -> None:
        if self._changelogged:
            del self._table[key]
        else:
            del self._store()[key]

    def get_many(self, keys: Iterable[str]) -> list[Any]:
        return self._store().get_many(keys)

    def set_many(self, items: Mapping[str, Any]) -> None:
        if self._changelogged:
            for key, value in items.items():
                self._table[key] = value
        else:
            self._store().set_many(items)

    def __iter__(self) -> Iterator[str]:
        store, after = self._store(), None
        while True:
            entries, after = store.scan(after, SCAN_BATCH)
            yield from (key for key, _ in entries if isinstance(key, str))
            if after is None:
                return

    def __len__(self) -> int:
        return sum(1 for _ in self)


class PartitionIndexes:
    """The dedup index of each partition, made when the partition's first article (or sweep) needs it. The
    decoded stories, lists and texts the indexes keep in memory share the bounds of one index
    (``IndexState.cache_share``); each keeps the word counts of its own records."""

    def __init__(self, table: faust.Table[str, Any], config: DedupConfig) -> None:
        self.table = table
        self.config = config
        self._indexes: dict[int | None, DedupIndex] = {}

    def __call__(self, partition: int | None) -> DedupIndex:
        """The index of ``partition`` (None: the in-memory store, which keeps all partitions in one mapping)."""
        index = self._indexes.get(partition)
        if index is None:
            records = PartitionView(self.table, partition, changelogged=True)
            derived = PartitionView(self.table, partition, changelogged=False)
            index = self._indexes[partition] = DedupIndex(records, self.config, index=derived)
            for each in self._indexes.values():  # the decoded records they keep share one bound
                each.cache_share = 1.0 / len(self._indexes)
        return index

    @property
    def clock(self) -> float | None:
        """The latest fetch time of an article any partition's index has checked."""
        clocks = [index.clock for index in self._indexes.values() if index.clock is not None]
        return max(clocks) if clocks else None

"""The dedup index's state in the worker: one Faust table whose changelog carries the records only.

A Faust table sends a changelog record for every write. The index writes 1 record per article (a new text's
shingles, story features, vectors and verdict; a duplicate's verdict), and besides it appends a new article to
about 54 candidate lists (42 LSH bands, up to 12 story lookup keys), rewrites its story's record (centroids,
counts, a summary: about 5 KB), stores its URL and content keys and moves the word counts' generation on.
Sent to the changelog, these would be 59 of a new article's 60 writes and most of its bytes (each list is
rewritten whole), and the dedup stage spent its time producing them. They follow from the records, so here
they are written to the table's local store only (``LocalLists``), and when Faust restores the table from its
changelog (a new worker, another worker taking the partition over, a standby) ``DedupTable`` rebuilds them
from each restored record with ``DedupIndex.reindex``, in changelog order, that is, in the order the records
were first written, and gives the store a new generation, so the index counts its words again. Reaching a
partition's store outside an event uses private methods of Faust's stores: they are in
``streams.runtime.patches.stores``, with the Faust patches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from typing import Any, Protocol

import faust

from streams.runtime.patches.stores import PartitionStore, decode_key, decode_value
from streams.stages.dedup.index import DERIVED_PREFIXES, RECORD_PREFIXES
from streams.stages.dedup.state import GENERATION_KEY, new_generation

__all__ = ["CHANGELOG_RETENTION_TTLS", "DedupTable", "LocalLists", "changelog_configs"]

log = logging.getLogger(__name__)


class Reindexer(Protocol):
    def reindex(self, key: str, value: Any) -> None: ...


# for the derived entries of one partition's store: what adds a restored record to them (a ``DedupIndex``)
ReindexerFor = Callable[[MutableMapping[str, Any]], Reindexer]


class LocalLists(MutableMapping[str, Any]):
    """The candidate lists and the stories, read and written in the table's local store: no changelog record.

    Reads and writes go to the store of the partition of the event being processed, as the table's own do,
    straight to that partition's database (``PartitionStore``): a new article reads and writes about 54 lists,
    and each trip through the table's store costs a lookup of the current event and an update of Faust's key
    index besides. ``get_many`` and ``set_many`` read and write many lists in one call. Outside an event (no
    partition to go to) they go through the table's store.
    """

    def __init__(self, table: faust.Table[str, Any]) -> None:
        self._table = table

    def _partition(self) -> PartitionStore | None:
        event = faust.current_event()
        return None if event is None else PartitionStore(self._table.data, event.message.partition)

    def __getitem__(self, key: str) -> Any:
        partition = self._partition()
        return self._table.data[key] if partition is None else partition[key]

    def __setitem__(self, key: str, value: Any) -> None:
        partition = self._partition()
        if partition is None:
            self._table.data[key] = value
        else:
            partition[key] = value

    def __delitem__(self, key: str) -> None:
        del self._table.data[key]

    def get_many(self, keys: Iterable[str]) -> list[Any]:
        partition = self._partition()
        if partition is None:
            return [self._table.data.get(key) for key in keys]
        return partition.get_many(keys)

    def set_many(self, items: Mapping[str, Any]) -> None:
        partition = self._partition()
        if partition is None:
            for key, value in items.items():
                self._table.data[key] = value
        else:
            partition.set_many(items)

    def __iter__(self) -> Iterator[str]:
        return (key for key in self._table.data if isinstance(key, str) and key[:2] in DERIVED_PREFIXES)

    def __len__(self) -> int:
        return sum(1 for _ in self)


# The changelog keeps a record for as long as any article may still need it: an article's records are
# ignored once older than the time-to-live, and a record is rewritten when it changes (a story when a report
# joins), so twice the time-to-live keeps every live record with a margin for replays and late articles.
CHANGELOG_RETENTION_TTLS = 2


def changelog_configs(ttl_seconds: float) -> dict[str, str]:
    """The dedup changelog topic's configs: compacted (the latest record per key) and also deleted by age.

    Compaction alone keeps every key's latest record for ever, and records past the time-to-live are only
    deleted (with a tombstone) when an article touches them: the changelog, and with it a restore, would grow
    with the stream. Deleting by age bounds both. Faust sets them when it creates the topic; an existing
    topic keeps its own (``docs/operations.md`` has the command that changes them)."""
    return {
        "cleanup.policy": "compact,delete",
        "retention.ms": str(int(CHANGELOG_RETENTION_TTLS * ttl_seconds * 1000)),
    }


class DedupTable(faust.Table[str, Any]):
    """A table that rebuilds the stories and the candidate lists from the records it restores from its
    changelog."""

    reindexer: ReindexerFor | None = None  # set by the app: a DedupIndex over the derived entries given

    def apply_changelog_batch(self, batch: Iterable[Any]) -> None:
        events = list(batch)
        # what is derived first: Faust records the batch's offsets as restored when it writes the records, so
        # a worker killed in between must find it already there (rebuilding never reads the records)
        if self.reindexer is not None:
            events = self._rebuild_lists(events)
        super().apply_changelog_batch(events)

    def _rebuild_lists(self, events: list[Any]) -> list[Any]:
        """Rebuild what follows from the batch's records; return the events Faust still has to apply.

        A changelog written before the lists (or the stories) left it holds such records too: they are
        applied here, in their place among the records, so that a list or a story is what it was, plus what
        the records after it add.
        """
        assert self.reindexer is not None
        store = self.data
        views: dict[int, PartitionStore] = {}
        indexes: dict[int, Reindexer] = {}  # one per partition and batch: making an index costs more than a record
        rest = []
        for event in events:
            message = event.message
            try:
                key = decode_key(store, message.key) if message.key is not None else None
                if key == GENERATION_KEY:  # an old changelog's generation: the store's own is set below
                    continue
                if not isinstance(key, str) or key[:2] not in (*RECORD_PREFIXES, *DERIVED_PREFIXES):
                    rest.append(event)
                    continue
                view = views.get(message.partition)
                if view is None:
                    view = views[message.partition] = PartitionStore(store, message.partition)
                    indexes[message.partition] = self.reindexer(view)
                value = decode_value(store, message.value) if message.value is not None else None
                if key[:2] in DERIVED_PREFIXES:  # an old changelog's list or story record
                    if value is None:
                        view.pop(key, None)
                    else:
                        view[key] = value
                    continue
                rest.append(event)
                indexes[message.partition].reindex(key, value)
            except Exception:  # one unreadable record must not stop the recovery of all the others
                if not rest or rest[-1] is not event:
                    rest.append(event)  # Faust applies it as it would have
                log.exception(
                    "dedup lists: record at %s[%s]@%s not indexed",
                    message.topic,
                    message.partition,
                    message.offset,
                )
        for view in views.values():  # records changed behind the index's back: it counts the words again
            view[GENERATION_KEY] = new_generation()
        return rest

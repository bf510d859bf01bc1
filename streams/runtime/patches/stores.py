"""A Faust table's local store, reached outside any event: the one place that uses the stores' private methods.

The dedup table (``streams.runtime.dedup_table``) rebuilds its candidate lists while Faust restores the table
from its changelog, and writes them to the local store only, with no changelog record. Faust has no public way
to do either: a table's writes go to the store of the current event's partition and send a changelog record,
and recovery runs outside any event. So this uses, of ``faust.stores``: ``Store._decode_key``,
``_decode_value``, ``_encode_key`` and ``_encode_value`` (the table's key and value codecs) and the RocksDB
store's ``_db_for_partition``. Nothing is replaced, so there is nothing to undo; the version check in
``apply_all`` (run by ``create_app`` before the table exists) covers these methods too.

Upstream: no issue found in faust-streaming/faust; one to report: "a public API for a table's local store per
partition (read, write and delete without a changelog record) and for the store's key and value codecs, for
``Table.apply_changelog_batch`` overrides that derive state from the restored records". Delete this module
when: Faust has such an API (``DedupTable`` then uses it), or when the candidate lists move out of the table.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from typing import Any

import orjson
from faust.types import TP

__all__ = ["PartitionStore", "active_partitions", "decode_key", "decode_value", "estimated_entries"]


def decode_key(store: Any, raw: bytes) -> Any:
    """A changelog record's key, decoded with the table's key codec."""
    return store._decode_key(raw)


def decode_value(store: Any, raw: bytes) -> Any:
    """A changelog record's value, decoded with the table's value codec."""
    return store._decode_value(raw)


Codecs = tuple[Callable[[Any], bytes], Callable[[Any], bytes], Callable[[bytes], Any], Callable[[bytes], Any]]
_CODECS: dict[int, tuple[weakref.ref[Any], Codecs]] = {}  # by id: a store is a Mapping, its == reads it all
_PROBE = {"k:x": {"w": {"سوريا": [0.1 + 0.2, None, 2**62, True]}, "t": 1796000000.123456}, 'q"\\\u2028': []}


def _codecs(store: Any) -> Codecs:
    """The store's key and value encoders and decoders: orjson's own where they give what Faust's give."""
    known = _CODECS.get(id(store))
    if known is not None and known[0]() is store:
        return known[1]
    own: Codecs = (store._encode_key, store._encode_value, store._decode_key, store._decode_value)
    codecs = own
    table = getattr(store, "table", None)
    if getattr(table, "key_serializer", None) == "json" and getattr(table, "value_serializer", None) == "json":
        with contextlib.suppress(Exception):
            if all(
                own[0](key) == orjson.dumps(key)
                and own[1](value) == orjson.dumps(value)
                and own[2](orjson.dumps(key)) == key
                and own[3](orjson.dumps(value)) == value
                for key, value in _PROBE.items()
            ):
                codecs = (orjson.dumps, orjson.dumps, orjson.loads, orjson.loads)
    with contextlib.suppress(TypeError):  # an object without weak references is probed again next time
        _CODECS[id(store)] = (weakref.ref(store), codecs)
    return codecs


def active_partitions(table: Any) -> list[int | None]:
    """The partitions of ``table`` whose local store this worker holds as their active owner (not standbys);
    ``[None]`` for the in-memory store, which keeps one mapping for all."""
    store = table.data
    dbs = getattr(store, "_dbs", None)
    if dbs is None:
        return [None]
    actives = table.app.assignor.assigned_actives()
    topic = table.changelog_topic_name
    return [partition for partition in list(dbs) if TP(topic, partition) in actives]


def estimated_entries(table: Any) -> int:
    """The entries in the local stores of ``table``'s active partitions, by RocksDB's own estimate (no scan:
    the state may hold millions), or counted for the in-memory store."""
    store = table.data
    dbs = getattr(store, "_dbs", None)
    if dbs is None:
        return len(store.data)
    total = 0
    for partition in active_partitions(table):
        db = dbs.get(partition)
        if db is not None and hasattr(db, "property_int_value"):
            total += int(db.property_int_value("rocksdb.estimate-num-keys") or 0)
    return total


class PartitionStore(MutableMapping[str, Any]):
    """One partition's local store, by key, outside any event (recovery runs outside the agents). Writes send
    no changelog record."""

    def __init__(self, store: Any, partition: int | None) -> None:
        self._store = store
        self._db = (
            store._db_for_partition(partition)
            if partition is not None and hasattr(store, "_db_for_partition")
            else None
        )
        self._encode_key, self._encode_value, self._decode_key, self._decode_value = _codecs(store)

    def __getitem__(self, key: str) -> Any:
        if self._db is None:  # the in-memory store keeps objects
            return self._store.data[key]
        raw = self._db.get(self._encode_key(key))
        if raw is None:
            raise KeyError(key)
        return self._decode_value(raw)

    def __setitem__(self, key: str, value: Any) -> None:
        if self._db is None:
            self._store.data[key] = value
        else:
            self._db.put(self._encode_key(key), self._encode_value(value))

    def __delitem__(self, key: str) -> None:
        if self._db is None:
            del self._store.data[key]
        else:
            self._db.delete(self._encode_key(key))

    def get_many(self, keys: Iterable[str]) -> list[Any]:
        """The values of ``keys`` (None where there is none), in one RocksDB multi-get."""
        if self._db is None:
            return [self._store.data.get(key) for key in keys]
        encode, decode = self._encode_key, self._decode_value
        raws = self._db.get([encode(key) for key in keys])
        return [None if raw is None else decode(raw) for raw in raws]

    def set_many(self, items: Mapping[str, Any]) -> None:
        """Write ``items`` in one RocksDB write batch (rocksdict's, in the raw mode Faust opens it in)."""
        if self._db is None or not getattr(self._store, "use_rocksdict", False):
            for key, value in items.items():
                self[key] = value
            return
        from rocksdict import WriteBatch

        encode_key, encode_value = self._encode_key, self._encode_value
        batch = WriteBatch(raw_mode=True)
        for key, value in items.items():
            batch.put(encode_key(key), encode_value(value))
        self._db.write(batch)

    def scan(self, after: bytes | None, limit: int) -> tuple[list[tuple[Any, Any]], bytes | None]:
        """Up to ``limit`` entries (decoded key and value) in key order after the raw key ``after`` (from the
        start when None), and the raw key to go on after (None: the end was reached). Entries that do not
        decode, and Faust's own offset entry, are passed over."""
        entries: list[tuple[Any, Any]] = []
        if self._db is None:  # the in-memory store: its keys are objects, walked in the order of their repr
            data = self._store.data
            keys = sorted(data, key=repr)
            start = 0 if after is None else next((i for i, k in enumerate(keys) if repr(k).encode() > after), len(keys))
            chosen = keys[start : start + limit]
            entries = [(key, data[key]) for key in chosen if key in data]
            return entries, (repr(chosen[-1]).encode() if start + limit < len(keys) else None)
        it = self._db.iter()
        if after is None:
            it.seek_to_first()
        else:
            it.seek(after)
            if it.valid() and it.key() == after:
                it.next()
        last: bytes | None = None
        while it.valid() and len(entries) < limit:
            raw_key = last = it.key()
            if raw_key != self._store.offset_key:
                with contextlib.suppress(Exception):
                    entries.append((self._decode_key(raw_key), self._decode_value(it.value())))
            it.next()
        return entries, (last if it.valid() else None)

    def __iter__(self) -> Iterator[str]:
        raise TypeError("a partition's store is looked up by key only")

    def __len__(self) -> int:
        raise TypeError("a partition's store is looked up by key only")

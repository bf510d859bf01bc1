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

from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any

__all__ = ["PartitionStore", "decode_key", "decode_value"]


def decode_key(store: Any, raw: bytes) -> Any:
    """A changelog record's key, decoded with the table's key codec."""
    return store._decode_key(raw)


def decode_value(store: Any, raw: bytes) -> Any:
    """A changelog record's value, decoded with the table's value codec."""
    return store._decode_value(raw)


class PartitionStore(MutableMapping[str, Any]):
    """One partition's local store, by key, outside any event (recovery runs outside the agents). Writes send
    no changelog record."""

    def __init__(self, store: Any, partition: int) -> None:
        self._store = store
        self._db = store._db_for_partition(partition) if hasattr(store, "_db_for_partition") else None

    def __getitem__(self, key: str) -> Any:
        if self._db is None:  # the in-memory store keeps objects
            return self._store.data[key]
        raw = self._db.get(self._store._encode_key(key))
        if raw is None:
            raise KeyError(key)
        return self._store._decode_value(raw)

    def __setitem__(self, key: str, value: Any) -> None:
        if self._db is None:
            self._store.data[key] = value
        else:
            self._db.put(self._store._encode_key(key), self._store._encode_value(value))

    def __delitem__(self, key: str) -> None:
        if self._db is None:
            del self._store.data[key]
        else:
            self._db.delete(self._store._encode_key(key))

    def get_many(self, keys: Iterable[str]) -> list[Any]:
        """The values of ``keys`` (None where there is none), in one RocksDB multi-get."""
        if self._db is None:
            return [self._store.data.get(key) for key in keys]
        encode, decode = self._store._encode_key, self._store._decode_value
        raws = self._db.get([encode(key) for key in keys])
        return [None if raw is None else decode(raw) for raw in raws]

    def set_many(self, items: Mapping[str, Any]) -> None:
        """Write ``items`` in one RocksDB write batch (rocksdict's, in the raw mode Faust opens it in)."""
        if self._db is None or not getattr(self._store, "use_rocksdict", False):
            for key, value in items.items():
                self[key] = value
            return
        from rocksdict import WriteBatch

        encode_key, encode_value = self._store._encode_key, self._store._encode_value
        batch = WriteBatch(raw_mode=True)
        for key, value in items.items():
            batch.put(encode_key(key), encode_value(value))
        self._db.write(batch)

    def __iter__(self) -> Iterator[str]:
        raise TypeError("a partition's store is looked up by key only")

    def __len__(self) -> int:
        raise TypeError("a partition's store is looked up by key only")

"""RocksDB sizes for the dedup state, and a RocksDB-backed mapping for the index outside Faust.

In the worker the index runs over a Faust table kept in RocksDB (rocksdict) and restored from its changelog
topic; ``rocksdb_options`` gives that table its sizes. Faust's defaults suit a machine of its own: a 2 GB
block cache and three 64 MB write buffers for *each* table partition's database, so a worker's memory would
grow with its state towards gigabytes. Here the cache is bounded (``STREAMS_DEDUP_CACHE_MB``) and the write
buffers are two of 16 MB, per database: all dedup state is in one partition (``DEDUP_KEY``), so the other
partitions' databases stay empty and the bound holds for the worker. The Bloom filters get 10 bits a key
instead of Faust's 3: most keys a new article looks up (its 42 LSH bands) are in no database, and at 3 bits
a third of those lookups read a data block for nothing (about 1% at 10 bits); the band lists' reads took
150 µs an article instead of 230 in ``bench --stage dedup``, for about 1 MB more memory per 800,000 keys.
``RocksMapping`` (benchmarks, offline
runs) opens its database with exactly the same options, through Faust's own option builder, so its memory
numbers hold for the worker.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any, cast

import orjson
from rocksdict import Rdict, WriteBatch

__all__ = ["RocksMapping", "rocksdb_options"]

WRITE_BUFFER_BYTES = 16 << 20
WRITE_BUFFERS = 2
BLOOM_BITS_PER_KEY = 10


def rocksdb_options(cache_mb: int) -> dict[str, int]:
    """Options for Faust's RocksDB store (``Table(options=...)``): bounded cache and write buffers."""
    return {
        "block_cache_size": cache_mb << 20,
        "write_buffer_size": WRITE_BUFFER_BYTES,
        "max_write_buffer_number": WRITE_BUFFERS,
        "bloom_filter_size": BLOOM_BITS_PER_KEY,
    }


class RocksMapping(MutableMapping[str, Any]):
    def __init__(self, path: Path, cache_mb: int = 64) -> None:
        from faust.stores.rocksdb import RocksDBOptions

        options = RocksDBOptions(**rocksdb_options(cache_mb), use_rocksdict=True).as_options()
        self._db = Rdict(str(path), options)
        self._count = 0

    def __getitem__(self, key: str) -> Any:
        raw = self._db.get(key.encode())
        if raw is None:
            raise KeyError(key)
        return orjson.loads(raw)

    def get(self, key: str, default: Any = None) -> Any:
        raw = self._db.get(key.encode())
        return default if raw is None else orjson.loads(raw)

    def __setitem__(self, key: str, value: Any) -> None:
        self._db[key.encode()] = orjson.dumps(value)

    def __delitem__(self, key: str) -> None:
        del self._db[key.encode()]

    def get_many(self, keys: Iterable[str]) -> list[Any]:
        """The values of ``keys`` (None where there is none), in one multi-get."""
        raws = cast(list[bytes | None], self._db.get([key.encode() for key in keys]))  # a list for a list
        return [None if raw is None else orjson.loads(raw) for raw in raws]

    def set_many(self, items: Mapping[str, Any]) -> None:
        """Write ``items`` in one write batch."""
        batch = WriteBatch(raw_mode=True)
        for key, value in items.items():
            batch.put(key.encode(), orjson.dumps(value))
        self._db.write(batch)

    def __iter__(self) -> Iterator[str]:
        for key in self._db.keys():  # noqa: SIM118 - iterating an Rdict in raw mode needs keys()
            yield key.decode() if isinstance(key, bytes) else str(key)

    def __len__(self) -> int:
        return sum(1 for _ in self._db.keys())  # noqa: SIM118 - as above

    def close(self) -> None:
        self._db.close()

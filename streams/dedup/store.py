"""A RocksDB-backed mapping (rocksdict) for the dedup index outside Faust: benchmarks and offline runs.

Values are JSON (orjson). In the worker the index runs over a Faust table instead, which is itself kept in
RocksDB through rocksdict and restored from its changelog topic.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import orjson
from rocksdict import Options, Rdict

__all__ = ["RocksMapping"]


class RocksMapping(MutableMapping[str, Any]):
    def __init__(self, path: Path) -> None:
        options = Options(raw_mode=True)
        options.create_if_missing(True)
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

    def __iter__(self) -> Iterator[str]:
        for key in self._db.keys():  # noqa: SIM118 - iterating an Rdict in raw mode needs keys()
            yield key.decode() if isinstance(key, bytes) else str(key)

    def __len__(self) -> int:
        return sum(1 for _ in self._db.keys())  # noqa: SIM118 - as above

    def close(self) -> None:
        self._db.close()

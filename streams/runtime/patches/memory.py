"""``bound_rocksdb_memory``: the dedup table's RocksDB index and filter blocks inside its bounded block cache.

Faust builds a rocksdict table's options itself (``faust.stores.rocksdb.RocksDBOptions.as_options``) and
offers no setting for where RocksDB keeps the index and filter blocks of its files: by default outside the
block cache, in memory that grows with the data on disk. With a million articles of dedup state (about 50
keys each: LSH bands, records, lookup lists) the worker's memory grew by about 60 MB past its bounded cache
and write buffers (``bench --stage dedup``, 1M articles). This wraps ``as_options`` (recorded for
``undo_all``) to rebuild the block-based table options as Faust does (the bloom filter, the block cache of
the size given, binary-search index) and also charge index and filter blocks to that cache
(``cache_index_and_filter_blocks``), pinning level-0's so the newest files stay fast. Only the rocksdict
path is changed. Upstream: no issue found in faust-streaming/faust; one to report: "RocksDBOptions: allow
``cache_index_and_filter_blocks`` (and block-based table options generally) for rocksdict". Delete it when:
Faust takes such an option (then pass it in ``streams.runtime.rocksdb.rocksdb_options``).
"""

from __future__ import annotations

from typing import Any

from streams.runtime.patches.registry import replace, shipped
from streams.runtime.patches.versions import check_versions

__all__ = ["bound_rocksdb_memory"]


def bound_rocksdb_memory() -> None:
    """Keep RocksDB's index and filter blocks in the block cache (see the module); idempotent."""
    check_versions()
    from faust.stores.rocksdb import RocksDBOptions

    options_class: Any = RocksDBOptions
    if getattr(options_class.as_options, "streams_bounded", False):
        return
    original = shipped(options_class, "as_options")

    def as_options(self: Any) -> Any:
        options = original(self)
        if not self.use_rocksdict:
            return options
        import rocksdict

        table = rocksdict.BlockBasedOptions()
        table.set_bloom_filter(self.bloom_filter_size, True)
        table.set_block_cache(rocksdict.Cache(self.block_cache_size))
        table.set_index_type(rocksdict.BlockBasedIndexType.binary_search())
        table.set_cache_index_and_filter_blocks(True)
        table.set_pin_l0_filter_and_index_blocks_in_cache(True)
        options.set_block_based_table_factory(table)
        return options

    as_options.streams_bounded = True  # type: ignore[attr-defined]
    replace("bound_rocksdb_memory", options_class, "as_options", as_options)

"""The sweep of the dedup state: what has outlived the time-to-live leaves the store, the rest stays, the word
counts follow, and the worker's sweeper walks a real Faust RocksDB store a step at a time."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest

from streams.devtools.bench.synthetic import synthetic_stream
from streams.stages.dedup.expiry import expire
from streams.stages.dedup.index import DedupConfig, DedupIndex
from streams.stages.dedup.state import GENERATION_KEY

DAY = 86_400.0
TTL = 2 * DAY


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("a:x", {"duplicate": False, "t": 0.0}, ("delete", None)),
        ("a:x", {"duplicate": False, "t": 9.0 * DAY}, ("keep", None)),
        ("s:x", {"h": [1, 2], "t": 8.0 * DAY}, ("keep", None)),  # exactly the time-to-live old: still read
        ("v:x", {"l": "en", "d": [], "e": [], "t": 7.0 * DAY}, ("delete", None)),
        ("k:x", {"n": 3, "t": 5.0 * DAY}, ("delete", None)),
        ("u:h", {"id": "x", "t": 1.0}, ("delete", None)),
        ("c:h", {"id": "x", "t": 9.5 * DAY}, ("keep", None)),
        ("b:3:ab", [["old", 1.0], ["new", 9.0 * DAY]], ("prune", [["new", 9.0 * DAY]])),
        ("b:3:ab", [["old", 1.0], ["older", 0.0]], ("delete", None)),
        ("b:3:ab", [["new", 9.0 * DAY]], ("keep", None)),
        ("x:en|minis", {"s": {"old": [1.0, None], "new": [9.0 * DAY, 8.0 * DAY]}}, ("prune", None)),
        ("x:@person.p1", {"s": {"old": [1.0, None]}}, ("delete", None)),
        ("x:#22", {"common": 1.0}, ("delete", None)),
        ("x:#22", {"common": 9.0 * DAY}, ("keep", None)),
        ("x:en|talks", [["old", 1.0, None], ["new", 9.0 * DAY, None]], ("prune", [["new", 9.0 * DAY, None]])),
        (GENERATION_KEY, {"g": 4}, ("keep", None)),
        ("q:unknown", {"t": 0.0}, ("keep", None)),
        ("a:broken", {"t": "yesterday"}, ("keep", None)),
    ],
)
def test_expire_judges_each_entry_by_its_own_time(key: str, value: Any, expected: tuple[str, Any]) -> None:
    action, pruned = expire(key, value, now=10.0 * DAY, ttl=TTL)
    assert action == expected[0]
    if key.startswith("x:en|minis"):
        assert pruned == {"s": {"new": [9.0 * DAY, 8.0 * DAY]}}
    else:
        assert pruned == expected[1]


def _stream(articles: int) -> list[Any]:
    return [r.article for r in synthetic_stream(articles, per_day=100, hot=False)]


def _times(state: dict[str, Any]) -> list[float]:
    """Every time an entry of the state carries (records, list entries, markers)."""
    out: list[float] = []
    for key, value in state.items():
        if key == GENERATION_KEY:
            continue
        if isinstance(value, dict) and "t" in value:
            out.append(value["t"])
        elif isinstance(value, dict) and "common" in value:
            out.append(value["common"])
        elif isinstance(value, dict):
            out += [entry[0] for entry in value["s"].values()]
        else:
            out += [entry[1] for entry in value]
    return out


def test_a_sweep_leaves_nothing_past_the_ttl_and_keeps_the_counts_true() -> None:
    """Over six days at a two-day time-to-live, an index swept once a day keeps no entry past the
    time-to-live, gives the same duplicate verdicts as one never swept, and its word counts are exactly
    those of its remaining article records (as a recount from the records finds them)."""
    config = DedupConfig(ttl_seconds=TTL)
    swept_state: dict[str, Any] = {}
    swept, unswept = DedupIndex(swept_state, config), DedupIndex({}, config)
    done: dict[str, int] = {"delete": 0, "prune": 0}
    last_sweep = None
    for item in _stream(600):
        a, b = swept.check(item), unswept.check(item)
        assert (a.duplicate, a.dup_of, a.kind) == (b.duplicate, b.dup_of, b.kind), item.id
        assert swept.clock is not None
        if last_sweep is None or swept.clock - last_sweep >= DAY:
            for action, count in swept.sweep(list(swept_state.items()), swept.clock).items():
                done[action] += count
            last_sweep = swept.clock
            assert min(_times(swept_state)) >= swept.clock - TTL
    assert done["delete"] > 1000
    assert done["prune"] > 10
    # an article's verdict: a duplicate's ``a:`` record, a new text's ``v:``: two days at 100 a day, one unswept
    assert sum(key[:2] in ("a:", "v:") for key in swept_state) <= 300
    recount = DedupIndex(swept_state, config)
    recount._sync_stats()
    assert recount.stats.docs == swept.stats.docs
    assert np.array_equal(recount.stats.counts, swept.stats.counts)
    assert swept_state[GENERATION_KEY] == {"g": swept.stats.generation}  # the next check counts nothing again


def test_a_sweep_past_everything_empties_the_state() -> None:
    config = DedupConfig(ttl_seconds=TTL)
    state: dict[str, Any] = {}
    index = DedupIndex(state, config)
    for item in _stream(150):
        index.check(item)
    assert index.clock is not None
    assert not index.sweep(list(state.items()), index.clock)  # nothing is past the time-to-live yet
    index.sweep(list(state.items()), index.clock + TTL + 1.0)
    assert list(state) == [GENERATION_KEY]
    assert int(index.stats.counts.sum()) == 0
    assert set(index.stats.docs.values()) == {0}


def test_the_worker_sweeper_walks_a_faust_rocksdb_store_in_steps(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The sweeper reads a partition's store ``keys`` entries a step, deletes there what is past the
    time-to-live (no changelog record: outside any event), passes over Faust's offset entry, starts again
    after the last key, and counts what it did."""
    from types import SimpleNamespace

    import faust
    from faust.types import TP

    from streams.runtime.dedup_table import DedupTable, LocalLists
    from streams.runtime.metrics import build_metrics
    from streams.runtime.patches.stores import PartitionStore, estimated_entries
    from streams.runtime.rocksdb import rocksdb_options
    from streams.runtime.sweeper import MIN_CYCLE_S, StateSweeper

    app = faust.App("test-sweeper", store="rocksdb://", datadir=str(tmp_path), autodiscover=False)
    table = DedupTable(
        app, name="dedup-state", default=None, beacon=app.tables.beacon, partitions=1, options=rocksdb_options(8)
    )
    monkeypatch.setattr(app.assignor, "assigned_actives", lambda: {TP(table.changelog_topic_name, 0)})
    store = PartitionStore(table.data, 0)
    now = 1_796_000_000.0
    old, new = now - 8 * DAY, now - DAY
    entries = {f"a:old{i}": {"t": old} for i in range(5)} | {f"a:new{i}": {"t": new} for i in range(4)}
    entries |= {"b:1:ab": [["old0", old], ["new0", new]], "u:h": {"id": "old1", "t": old}}
    store.set_many(entries)
    table.data._db_for_partition(0).put(table.data.offset_key, b"41")
    assert estimated_entries(table) == len(entries) + 1

    index = DedupIndex(table, DedupConfig(), index=LocalLists(table))
    metrics = build_metrics()
    sweeper = StateSweeper(table, index, metrics, keys=4)
    assert not sweeper.step()  # no article checked yet: no "now"
    index.clock = now
    steps = [sweeper.step() for _ in range(3)]  # 12 entries, the offset entry among them: 3 steps
    assert sum(s["delete"] for s in steps) == 6
    assert sum(s["prune"] for s in steps) == 1
    assert sweeper._after[0] is None  # the end was reached: the next step starts from the first key
    left = {key: value for key, value in store.scan(None, 100)[0]}
    assert left == {f"a:new{i}": {"t": new} for i in range(4)} | {"b:1:ab": [["new0", new]]}
    assert table.data._db_for_partition(0).get(table.data.offset_key) == b"41"
    assert metrics.dedup_swept.labels(action="delete")._value.get() == 6
    store["a:late"] = {"t": old}  # a walk starts again once "now" is an hour past the last one's
    index.clock = now + MIN_CYCLE_S - 1.0
    assert not sweeper.step()
    index.clock = now + MIN_CYCLE_S
    assert sweeper.step() == Counter({"delete": 1})
    assert store.get("a:late") is None
    monkeypatch.setattr(faust, "current_event", lambda: SimpleNamespace(message=SimpleNamespace(partition=0)))
    assert LocalLists(table).get("b:1:ab") == [["new0", new]]


def test_the_sweeper_walks_the_in_memory_store_too(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``STREAMS_STORE=memory`` keeps one mapping for all partitions: the sweep walks it a step at a time."""
    import faust

    from streams.runtime.dedup_table import DedupTable, LocalLists
    from streams.runtime.metrics import build_metrics
    from streams.runtime.patches.stores import PartitionStore, active_partitions, estimated_entries
    from streams.runtime.sweeper import StateSweeper

    app = faust.App("test-sweeper-memory", store="memory://", datadir=str(tmp_path), autodiscover=False)
    table = DedupTable(app, name="dedup-state", default=None, beacon=app.tables.beacon, partitions=1)
    assert active_partitions(table) == [None]
    now = 1_796_000_000.0
    store = PartitionStore(table.data, None)
    store.set_many({f"a:old{i}": {"t": now - 9 * DAY} for i in range(3)} | {"a:new": {"t": now}})
    assert estimated_entries(table) == 4
    index = DedupIndex(table, DedupConfig(), index=LocalLists(table))
    index.clock = now
    sweeper = StateSweeper(table, index, build_metrics(), keys=3)
    assert sweeper.step() + sweeper.step() == Counter({"delete": 3})
    assert dict(table.data.data) == {"a:new": {"t": now}}


def test_partition_stores_use_orjson_only_where_it_gives_fausts_bytes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The dedup table's JSON codecs are Faust's layers over orjson: the store calls orjson itself and Faust
    reads back what it wrote. A table of other serializers keeps its own codecs."""
    import faust
    import orjson

    from streams.runtime.dedup_table import DedupTable
    from streams.runtime.patches.stores import PartitionStore, _codecs
    from streams.runtime.rocksdb import rocksdb_options

    app = faust.App("test-codecs", store="rocksdb://", datadir=str(tmp_path), autodiscover=False)
    table = DedupTable(
        app, name="dedup-state", default=None, beacon=app.tables.beacon, partitions=1, options=rocksdb_options(8)
    )
    assert _codecs(table.data) == (orjson.dumps, orjson.dumps, orjson.loads, orjson.loads)
    PartitionStore(table.data, 0)["x:ar|سوريا"] = {"s": {"story": [1796000000.5, None]}}
    assert table.data._decode_value(table.data._db_for_partition(0).get(table.data._encode_key("x:ar|سوريا"))) == {
        "s": {"story": [1796000000.5, None]}
    }
    raw = faust.App("test-codecs-raw", store="rocksdb://", datadir=str(tmp_path / "raw"), autodiscover=False)
    other = raw.Table("other", key_type=bytes, value_type=bytes, partitions=1)  # the "raw" serializer
    assert _codecs(other.data)[0] == other.data._encode_key

"""The dedup index's access to its state: records and lists read once per check, time-to-live, word counts.

Records (verdicts; texts: shingles, article features and vectors) go to ``state``; what follows from them
goes to ``index``, which may be another mapping (the worker keeps it out of the changelog and rebuilds it from
the records): the stories, the candidate lists and exact keys (prefixes ``DERIVED_PREFIXES``) and the
generation of the word counts (``GENERATION_KEY``). The word counts (``termstats``) are counted again from the
``v:`` records whenever the generation stored there is not the one they were counted for; whoever restores
records into the state without this index (the worker's table, from its changelog) changes it
(``new_generation``).
"""

from __future__ import annotations

import contextlib
import secrets
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

from streams.stages.dedup.config import DedupConfig
from streams.stages.dedup.expiry import expire
from streams.stages.dedup.termstats import TermStats

__all__ = [
    "DERIVED_PREFIXES",
    "GENERATION_KEY",
    "RECORD_PREFIXES",
    "IndexState",
    "get_many",
    "new_generation",
    "set_many",
]

# derived from the records, never needed in a changelog: LSH band lists, story lookup lists, the URL and
# content keys of the stored texts, the stories (``e:``: an older version's lists)
DERIVED_PREFIXES = ("b:", "x:", "e:", "u:", "c:", "k:")
RECORD_PREFIXES = ("s:", "v:")  # the records all that is derived comes from (``s:``: an earlier version's shingles)
GENERATION_KEY = "z:terms"  # in ``index`` too: a count of changes, local to the store
# Stories and their lookup lists are read again and again while their event is in the news: the latest ones
# read are kept decoded in memory (their writes go through), as long as the records they came from are the
# ones the word counts were counted for (the generation), so a state restored or changed elsewhere is read
# again. A story is about 13 KB in memory (120 words of a centroid): 3,000 records stay under 40 MB.
CACHED_PREFIXES = ("k:", "x:")
CACHED_RECORDS = 3_000
# The texts' records (``v:``) of a story's latest reports are read by every report that may be a copy of one,
# and those of recent texts by their band candidates: the latest read or written are kept too (in the worker
# this took 16% off the dedup stage's CPU), apart, as a text's record is larger: its shingles, about 40 bytes
# each decoded. The latest 1,000 are kept, or fewer when they hold more than 250,000 shingles (about 10 MB):
# 1,000 records of the development set's texts hold about 8 MB, of the bench mix's 10 MB; long pages fill
# the bound with fewer.
TEXT_PREFIX = "v:"
TEXT_VECTORS = ("w", "s")  # a text's weighed vectors: read to rebuild its story only, not kept decoded
CACHED_TEXTS = 1_000
CACHED_TEXT_SHINGLES = 250_000
MAX_MERGES_FOLLOWED = 32  # a story merged into one merged in turn...: more is a cycle, which no merge makes


class IndexState:
    def __init__(
        self,
        state: MutableMapping[str, Any],
        config: DedupConfig | None = None,
        index: MutableMapping[str, Any] | None = None,
    ) -> None:
        self.state = state
        self.config = config or DedupConfig()
        self.index = state if index is None else index  # where the candidate lists live
        self.stats = TermStats(self.config.prior_articles)  # counted from the ``v:`` records (``termstats``)
        # what one check has read or written: a list is read to find candidates and again to append to it,
        # and a candidate's record may be read by several steps; in the worker every read is a RocksDB get
        # and a JSON decode
        self._seen: dict[str, Any] = {}
        self._cache: OrderedDict[str, Any] = OrderedDict()  # decoded stories and lookup lists across checks
        self._texts: OrderedDict[str, Any] = OrderedDict()  # decoded texts' records across checks
        self._text_shingles = 0  # the shingles the texts' records kept hold
        # list writes of one check, written together at its end (``_write_lists``): a new article updates about
        # 54 lists and the generation, and a mapping with ``set_many`` (RocksDB) takes them in one batch
        self._pending: dict[str, Any] = {}

    def _get(self, key: str) -> Any:
        if key in self._seen:
            return self._seen[key]
        cache = self._cache_of(key)
        if cache is not None and key in cache:
            cache.move_to_end(key)
            value = self._seen[key] = cache[key]
            return value
        value = self._seen[key] = (self.index if key[:2] in DERIVED_PREFIXES else self.state).get(key)
        if cache is not None:
            self._keep(key, value)
        return value

    def _cache_of(self, key: str) -> OrderedDict[str, Any] | None:
        """The cache of decoded records that keeps ``key``'s, if one does."""
        prefix = key[:2]
        if prefix in CACHED_PREFIXES:
            return self._cache
        return self._texts if prefix == TEXT_PREFIX else None

    def _read_lists(self, keys: list[str]) -> None:
        """Read the lists of ``keys`` that this check has not seen yet, in one call where the mapping has
        ``get_many`` (RocksDB's multi-get); ``_get`` then finds them."""
        wanted = [k for k in keys if k not in self._seen and not (k[:2] in CACHED_PREFIXES and k in self._cache)]
        if not wanted:
            return
        for key, value in zip(wanted, get_many(self.index, wanted), strict=True):
            self._seen[key] = value
            if key[:2] in CACHED_PREFIXES:
                self._keep(key, value)

    def _delete(self, key: str) -> None:
        del (self.index if key[:2] in DERIVED_PREFIXES else self.state)[key]

    def _set(self, key: str, value: Any) -> None:
        self._seen[key] = value
        if key[:2] in DERIVED_PREFIXES:
            self._pending[key] = value
        else:
            self.state[key] = value
        if self._cache_of(key) is not None:
            self._keep(key, value)

    def _write_lists(self) -> None:
        """Write the lists this check changed, in one call where the mapping has ``set_many``."""
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        set_many(self.index, pending)

    def _keep(self, key: str, value: Any) -> None:
        if key[:2] == TEXT_PREFIX:
            self._keep_text(key, value)
            return
        self._cache[key] = value
        self._cache.move_to_end(key)
        if len(self._cache) > CACHED_RECORDS:
            self._cache.popitem(last=False)

    def _keep_text(self, key: str, value: Any) -> None:
        self._drop_text(key)
        if value is None:  # missing (most often an article's own, looked up for a verdict): it would push texts out
            return
        if any(name in value for name in TEXT_VECTORS):
            value = {name: field for name, field in value.items() if name not in TEXT_VECTORS}
        self._texts[key] = value
        self._text_shingles += _shingles_of(value)
        while self._texts and (len(self._texts) > CACHED_TEXTS or self._text_shingles > CACHED_TEXT_SHINGLES):
            self._text_shingles -= _shingles_of(self._texts.popitem(last=False)[1])

    def _drop_text(self, key: str) -> None:
        if key in self._texts:
            self._text_shingles -= _shingles_of(self._texts.pop(key))

    def _drop(self, key: str) -> None:
        """Forget the decoded record of ``key`` (deleted or rewritten behind the caches)."""
        self._cache.pop(key, None)
        self._drop_text(key)

    def _forget(self) -> None:
        """Drop the decoded records kept across checks (the state may have changed underneath)."""
        self._cache.clear()
        self._texts.clear()
        self._text_shingles = 0

    def _fresh(self, key: str, now: float) -> dict[str, Any] | None:
        value = self._get(key)
        if value is None:
            return None
        if now - value.get("t", now) > self.config.ttl_seconds:
            self._delete(key)
            self._seen[key] = None
            self._drop(key)
            if key[:2] == "v:":  # its words leave the counts
                self._sync_stats()
                self.stats.add(value["l"], value["d"], value["e"], sign=-1)
                self._bump_generation()
            return None
        record: dict[str, Any] = value  # not to be changed in place: a copy is changed and set
        return record

    def _story_of(self, article_id: str, now: float) -> str:
        """The story of a stored text (a copy's original): in its ``v:`` record, or its verdict's; the story it
        was merged into, if it was."""
        text = self._fresh(f"v:{article_id}", now)
        if text is not None and text.get("k"):
            return self._story(str(text["k"]), now)[0]
        recorded = self._fresh(f"a:{article_id}", now)
        return self._story(str(recorded["story"]), now)[0] if recorded and recorded.get("story") else article_id

    def _story(self, story: str, now: float) -> tuple[str, dict[str, Any] | None]:
        """A story's id and record (None: none lives), following the marks of stories merged into others
        (``{"into": story}``) to the story that holds their reports."""
        for _ in range(MAX_MERGES_FOLLOWED):
            record = self._fresh(f"k:{story}", now)
            if record is None or "into" not in record:
                return story, record
            story = str(record["into"])
        return story, None

    def _sync_stats(self) -> None:
        """Count the words of the stored article records again if they changed since they were counted."""
        stored = self._pending.get(GENERATION_KEY) or self.index.get(GENERATION_KEY)
        generation = int(stored["g"]) if stored else 0
        if self.stats.generation == generation:
            return
        self._forget()
        self.stats.reset()
        for key in list(self.state):
            if isinstance(key, str) and key[:2] == "v:":
                value = self.state.get(key)
                if value:
                    self.stats.add(value["l"], value["d"], value["e"])
        self.stats.generation = generation

    def sweep(
        self, entries: Iterable[tuple[Any, Any]], now: float, store: MutableMapping[str, Any] | None = None
    ) -> Counter[str]:
        """Delete what has outlived the time-to-live as of ``now`` among ``entries`` (keys and values read
        from the state) and write lists back without their expired entries (``expiry``), in ``store`` (the
        mapping they were read from; by default the state for records and ``index`` for lists). An article
        record deleted takes its words off the counts. How many entries were deleted and pruned."""
        done: Counter[str] = Counter()
        ttl = self.config.ttl_seconds
        counted = False
        for key, value in entries:
            if not isinstance(key, str):
                continue
            action, pruned = expire(key, value, now, ttl)
            if action == "keep":
                continue
            if action == "delete" and key[:2] == "v:":
                if not counted:  # the counts must be those of the records before any is deleted
                    self._sync_stats()
                    counted = True
                with contextlib.suppress(KeyError, TypeError, ValueError):  # a malformed record was never counted
                    self.stats.add(value["l"], value["d"], value["e"], sign=-1)
            target = store if store is not None else self.index if key[:2] in DERIVED_PREFIXES else self.state
            if action == "delete":
                with contextlib.suppress(KeyError):
                    del target[key]
            else:
                target[key] = pruned
            self._drop(key)
            done[action] += 1
        if counted:
            generation = (self.stats.generation or 0) + 1
            (store if store is not None else self.index)[GENERATION_KEY] = {"g": generation}
            self.stats.generation = generation
        return done

    def _bump_generation(self) -> None:
        """Count a change of the records: the new generation is written with the check's lists."""
        generation = (self.stats.generation or 0) + 1
        self._pending[GENERATION_KEY] = {"g": generation}
        self.stats.generation = generation


def get_many(mapping: Mapping[str, Any], keys: list[str]) -> list[Any]:
    """The values of ``keys`` in ``mapping`` (None where there is none), in one call where it has ``get_many``
    (RocksDB's multi-get)."""
    read = getattr(mapping, "get_many", None)
    return list(read(keys)) if read is not None else [mapping.get(key) for key in keys]


def set_many(mapping: MutableMapping[str, Any], items: Mapping[str, Any]) -> None:
    """Write ``items`` to ``mapping``, in one call where it has ``set_many`` (a RocksDB write batch)."""
    write = getattr(mapping, "set_many", None)
    if write is not None:
        write(items)
    else:
        for key, value in items.items():
            mapping[key] = value


def new_generation() -> dict[str, int]:
    """A generation no index has counted for, to store at ``GENERATION_KEY`` after records were restored into
    the state behind the index's back: it then counts the words again."""
    return {"g": secrets.randbits(62) + (1 << 62)}  # above any count of changes an index reaches by adding one


def _shingles_of(record: Any) -> int:
    """How many shingles a text's record holds (none for a record that is missing or not a text's)."""
    shingles = record.get("h") if isinstance(record, dict) else None
    return len(shingles) if isinstance(shingles, list) else 0

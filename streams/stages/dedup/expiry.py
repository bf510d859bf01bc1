"""What of the dedup state has outlived the time-to-live: one stored entry judged at a time, for a sweep.

The index ignores a record older than the time-to-live and deletes it when an article reads it
(``IndexState._fresh``); its lists skip entries past the time-to-live where they are read. What no article
reads again (most verdicts, the shingles and features of texts nobody repeated, the lists of words that did
not come back) would stay in the store for ever. A sweep (``IndexState.sweep``, driven in the worker by
``streams.runtime.sweeper``) walks the store and, for each entry, asks ``expire``: keep it, delete it, or
write it back without its expired entries. Every judgement is by the time the entry itself carries (the
articles' fetch times), as the index's own reads are, so a sweep never changes what a read would find.
"""

from __future__ import annotations

from typing import Any, Literal

__all__ = ["Expiry", "expire"]

Expiry = tuple[Literal["keep", "delete", "prune"], Any]  # the action, and for "prune" the value to write

_KEEP: Expiry = ("keep", None)
_DELETE: Expiry = ("delete", None)
# records and exact keys (and the link step's parts and groups, ``links``): a dict with its time "t"
_STAMPED = ("a:", "s:", "v:", "k:", "u:", "c:", "p:", "g:")


def expire(key: str, value: Any, now: float, ttl: float) -> Expiry:
    """The sweep's action for one stored entry as of ``now`` (a record, a list, or anything else)."""
    prefix = key[:2]
    if value is None:
        return _KEEP
    if prefix in _STAMPED:
        stamp = value.get("t") if isinstance(value, dict) else None
        return _DELETE if isinstance(stamp, int | float) and now - stamp > ttl else _KEEP
    if prefix == "b:" and isinstance(value, list):  # [[article, time], ...]
        return _pruned(value, [e for e in value if not _expired(e, 1, now, ttl)])
    if prefix == "l:" and isinstance(value, dict) and isinstance(value.get("g"), dict):  # {"g": {group: time}}
        groups = value["g"]
        kept_groups = {g: t for g, t in groups.items() if not (isinstance(t, int | float) and now - t > ttl)}
        if len(kept_groups) == len(groups):
            return _KEEP
        return ("prune", {**value, "g": kept_groups}) if kept_groups else _DELETE
    if prefix in ("x:", "e:", "l:"):
        if isinstance(value, list):  # an older version's [[story, time, published], ...]
            return _pruned(value, [e for e in value if not _expired(e, 1, now, ttl)])
        if isinstance(value, dict) and "common" in value:  # a marker: stands for the time-to-live
            return _DELETE if now - float(value["common"]) > ttl else _KEEP
        if isinstance(value, dict) and isinstance(value.get("s"), dict):  # {"s": {story: [time, published]}}
            stories = value["s"]
            kept = {s: e for s, e in stories.items() if not _expired(e, 0, now, ttl)}
            if len(kept) == len(stories):
                return _KEEP
            return ("prune", {**value, "s": kept}) if kept else _DELETE
    return _KEEP  # the word counts' generation, and anything this version does not know


def _expired(entry: Any, at: int, now: float, ttl: float) -> bool:
    return isinstance(entry, list) and len(entry) > at and isinstance(entry[at], int | float) and now - entry[at] > ttl


def _pruned(value: list[Any], kept: list[Any]) -> Expiry:
    if len(kept) == len(value):
        return _KEEP
    return ("prune", kept) if kept else _DELETE

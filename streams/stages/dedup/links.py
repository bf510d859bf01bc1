"""Cross-language links between stories of one language: the second step of dedup keyed by language.

With the dedup index split by language (copies are always in one language, and so is the wording that ties
the reports of one story), each language's index clusters its own reports into stories and compares no
report with another language's. This step links those stories across languages, from their summaries: what
does not depend on the language, the sum of their reports' shared vectors (entity ids, numbers: the story's
``e`` and its norm ``en``) and the span of their publication times (``f``, ``l``). It sees one update per
report that starts or joins a story, so its cost grows with stories, not with their words.

A **group** is one event in every language: at most one story per language (two stories of one language are
two events to the index that keeps them apart). A story alone in its group, updated, looks for a group with
no story in its language and joins the best one if, as an article joins a story of other languages only
(``stories.score_story``): their shared vectors' cosine (the group's is the sum of its stories') times the
time factor of their publication spans reaches ``cross_threshold``, at least ``cross_min_shared`` of the
story's uncommon shared features are the group's, and both spans are known. Uncommon: fewer than
``common_share`` of the stories have it once ``MIN_STORIES_FOR_SHARE`` are counted (the frequencies learned
here, over stories), and a feature that more than ``max_postings`` groups have is not read (as the index's
lookup lists). A story keeps looking while it is alone, with every report that changes its vector; once in a
group it stays (the group's id is its first story's).

State: ``p:<lang>|<story>`` a story's part (its shared vector, span, time, group), the records, in ``state``;
derived from them, in ``index`` (the same mapping unless another is given: the worker would keep it out of the
changelog and rebuild it with ``reindex``), ``g:<group>`` its stories by language and ``l:<feature>`` the groups
listed under a shared feature. A list of more than ``max_postings`` groups within the time-to-live becomes a
marker, as the index's lookup lists do (``StoryStep._post``): no list grows with the state. The counts of the
features over the parts are kept in memory and counted again from the parts when a ``StoryLinks`` is made.
Parts and groups older than the time-to-live are dropped where read; list entries are skipped, and dropped
when the list reaches its limit.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from streams.stages.dedup.config import DedupConfig
from streams.stages.dedup.stories import dot, time_factor

__all__ = ["MIN_STORIES_FOR_SHARE", "Link", "StoryLinks"]

GroupVector: TypeAlias = tuple[dict[str, float], float, float | None, float | None]  # sum, norm, first, last
MIN_STORIES_FOR_SHARE = 40  # fewer stories counted tell no shared feature common (as ``TermStats``)
PART, GROUP, LIST = "p:", "g:", "l:"  # the records; the derived groups and feature lists


@dataclass(frozen=True, slots=True)
class Link:
    group: str  # the group the story is in: its own id while it is alone
    linked: bool  # this update put it in another language's group
    score: float  # the score it joined with (0.0 when it did not join one now)


class StoryLinks:
    # parts with each shared feature ("": the parts), counted from the stored parts when first needed
    _df: Counter[str] | None = None

    def __init__(
        self,
        state: MutableMapping[str, Any],
        config: DedupConfig | None = None,
        index: MutableMapping[str, Any] | None = None,
    ) -> None:
        self.state = state  # the parts: what a changelog carries
        self.config = config or DedupConfig()
        self.index = state if index is None else index  # the groups and the lists, derived from the parts

    def group_of(self, lang: str, story: str) -> str:
        """The group of a language's story (its own id when it is in none, or unknown)."""
        part = self.state.get(_key(lang, story))
        return str(part["g"]) if part else story

    def members(self, group: str) -> dict[str, str]:
        """The stories of ``group`` by language."""
        record = self.index.get(GROUP + group)
        return dict(record["m"]) if record else {}

    def update(self, lang: str, story: str, record: Mapping[str, Any]) -> Link:
        """Take a language story's latest record (``k:``: ``e``, ``en``, ``f``, ``l``, ``t``) and link it to
        another language's group if it is alone in its own and one is close enough."""
        self._count_parts()
        key = _key(lang, story)
        now = float(record.get("t") or 0.0)
        part = self._fresh(key, now)
        vector = dict(record.get("e") or {})
        new = {"e": vector, "en": record.get("en") or 0.0, "f": record.get("f"), "l": record.get("l"), "t": now}
        self._count(part["e"] if part else None, vector)
        group = str(part["g"]) if part else story
        members = {**self._members(group, now), lang: story}
        best = None
        if len(members) == 1 and new["en"] and new["f"] is not None:
            best = self._best(lang, group, new, now)
        if best is not None:
            self.index.pop(GROUP + group, None)  # its one story moves: the group is no more
            group = best[1]
            members = {**self._members(group, now), lang: story}
        self.state[key] = {**new, "g": group}
        self.index[GROUP + group] = {"m": members, "t": now}
        self._post(group, vector, now)
        return Link(group, best is not None, best[0] if best else 0.0)

    def reindex(self, key: str, part: Mapping[str, Any]) -> None:
        """Add a stored part to its group and its features' lists, as ``update`` did when it stored it: rebuilds
        the derived entries from parts restored elsewhere, given them in the order they were written."""
        if not key.startswith(PART) or not part:
            return
        lang, story = _lang_story(key)
        group, now = str(part["g"]), float(part.get("t") or 0.0)
        stored = self.index.get(GROUP + group)
        members = {**(stored["m"] if stored else {}), lang: story}
        self.index[GROUP + group] = {"m": members, "t": max(now, stored["t"] if stored else now)}
        self._post(group, part.get("e") or {}, now)

    def _best(self, lang: str, group: str, part: dict[str, Any], now: float) -> tuple[float, str] | None:
        """The best group with no story in ``lang`` for the story alone in ``group``, and its score."""
        c = self.config
        vector: dict[str, float] = part["e"]
        shared: Counter[str] = Counter()
        for feature in self._uncommon(vector):
            listed = self.index.get(LIST + feature)
            for other, stamp in (listed or {}).get("g", {}).items():
                if other != group and now - stamp <= c.ttl_seconds:
                    shared[other] += 1
        members: dict[str, dict[str, str]] = {}
        for other, n in shared.items():
            if n >= c.cross_min_shared:
                members[other] = self._members(other, now)
        # the groups with no story in its language sharing the most uncommon features first, then by id
        ranked = sorted((-shared[other], other) for other, m in members.items() if m and lang not in m)
        best: tuple[float, str] | None = None
        for _, other in ranked[: c.candidates]:
            summed = self._group_vector(members[other], now)
            if summed is None:
                continue
            others, norm, first, last = summed
            if not norm or first is None or last is None:
                continue
            gap = max(0.0, first - part["l"], part["f"] - last)  # between the two publication spans
            # the time factor of that gap (as of a report published ``gap`` after a one-day story)
            factor = time_factor(first + gap, first, first, c.close_seconds, c.story_window_seconds, 0.0)
            score = dot(vector, others) / (part["en"] * norm) * factor
            if score >= c.cross_threshold and (best is None or (score, other) > best):
                best = (score, other)
        return best

    def _members(self, group: str, now: float) -> dict[str, str]:
        """A group's stories by language, those whose parts are past the time-to-live left out."""
        record = self.index.get(GROUP + group)
        if record is None:
            return {}
        if now - float(record["t"]) > self.config.ttl_seconds:
            self.index.pop(GROUP + group, None)
        return {lang: story for lang, story in record["m"].items() if self._fresh(_key(lang, story), now)}

    def _group_vector(self, members: Mapping[str, str], now: float) -> GroupVector | None:
        """The sum of a group's stories' shared vectors, its norm and their publication span."""
        summed: dict[str, float] = {}
        first = last = None
        for lang, story in members.items():
            part = self._fresh(_key(lang, story), now)
            if part is None:
                continue
            for feature, weight in part["e"].items():
                summed[feature] = summed.get(feature, 0.0) + weight
            if part["f"] is not None:
                first = part["f"] if first is None else min(first, part["f"])
            if part["l"] is not None:
                last = part["l"] if last is None else max(last, part["l"])
        if not summed:
            return None
        return summed, math.sqrt(math.fsum(w * w for w in summed.values())), first, last

    def _post(self, group: str, features: Iterable[str], now: float) -> None:
        """List ``group`` under each of ``features`` (a list over ``max_postings`` becomes a marker)."""
        ttl, limit = self.config.ttl_seconds, self.config.max_postings
        for feature in features:
            stored = self.index.get(LIST + feature)
            if stored is not None and "common" in stored:
                if now - stored["common"] <= ttl:
                    continue
                stored = None
            groups = {**(stored["g"] if stored else {}), group: now}
            if len(groups) > limit:
                groups = {g: t for g, t in groups.items() if now - t <= ttl}
            self.index[LIST + feature] = {"g": groups} if len(groups) <= limit else {"common": now}

    def _uncommon(self, vector: Mapping[str, float]) -> list[str]:
        df = self._count_parts()
        parts = df[""]
        if parts < MIN_STORIES_FOR_SHARE:
            return list(vector)
        share = self.config.common_share
        return [f for f in vector if df[f] / parts < share]

    def _count_parts(self) -> Counter[str]:
        """The counts of the parts' features: counted from the stored parts once, then kept as parts change."""
        if self._df is None:
            self._df = Counter()
            for key in list(self.state):
                if isinstance(key, str) and key.startswith(PART):
                    self._count(None, self.state[key].get("e") or {})
        return self._df

    def _count(self, before: Mapping[str, float] | None, after: Mapping[str, float] | None) -> None:
        """Count a part's features (``""``: the parts) as its vector changes from ``before`` to ``after``
        (None: no part)."""
        df = self._df
        if df is None:  # not counted yet: counted from the stored parts when first needed
            return
        df[""] += (after is not None) - (before is not None)
        before, after = before or {}, after or {}
        for feature in after:
            if feature not in before:
                df[feature] += 1
        for feature in before:
            if feature not in after:
                df[feature] -= 1

    def _fresh(self, key: str, now: float) -> dict[str, Any] | None:
        """A part, or None (and it is dropped, from its group too) once it is past the time-to-live."""
        part = self.state.get(key)
        if part is None:
            return None
        if now - float(part.get("t") or 0.0) <= self.config.ttl_seconds:
            return dict(part)
        self.state.pop(key, None)
        self._count(part.get("e") or {}, None)
        lang, story = _lang_story(key)
        group = self.index.get(GROUP + str(part["g"]))
        if group is not None and group["m"].get(lang) == story:
            left = {k: v for k, v in group["m"].items() if k != lang}
            if left:
                self.index[GROUP + str(part["g"])] = {**group, "m": left}
            else:
                self.index.pop(GROUP + str(part["g"]), None)
        return None


def _key(lang: str, story: str) -> str:
    return f"{PART}{lang}|{story}"


def _lang_story(key: str) -> tuple[str, str]:
    lang, _, story = key[len(PART) :].partition("|")
    return lang, story

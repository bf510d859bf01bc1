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

State: ``p:<lang>|<story>`` a story's part (its shared vector, span, time, group), in ``state``; the groups,
the lookup lists and the counts are derived from those records (in memory, rebuilt from ``state`` when
empty). Parts older than the time-to-live are dropped where read.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from streams.stages.dedup.config import DedupConfig
from streams.stages.dedup.stories import dot, time_factor

__all__ = ["MIN_STORIES_FOR_SHARE", "Link", "StoryLinks"]

GroupVector: TypeAlias = tuple[dict[str, float], float, float | None, float | None]  # sum, norm, first, last
MIN_STORIES_FOR_SHARE = 40  # fewer stories counted tell no shared feature common (as ``TermStats``)
PART = "p:"


@dataclass(frozen=True, slots=True)
class Link:
    group: str  # the group the story is in: its own id while it is alone
    linked: bool  # this update put it in another language's group
    score: float  # the score it joined with (0.0 when it did not join one now)


class StoryLinks:
    def __init__(self, state: MutableMapping[str, Any], config: DedupConfig | None = None) -> None:
        self.state = state
        self.config = config or DedupConfig()
        self._groups: dict[str, dict[str, str]] = {}  # group -> {lang: story}
        self._postings: defaultdict[str, set[str]] = defaultdict(set)  # shared feature -> groups
        self._df: Counter[str] = Counter()  # parts with each shared feature
        self._built = False

    def group_of(self, lang: str, story: str) -> str:
        """The group of a language's story (its own id when it is in none, or unknown)."""
        self._build()
        part = self.state.get(_key(lang, story))
        return str(part["g"]) if part else story

    def members(self, group: str) -> dict[str, str]:
        """The stories of ``group`` by language."""
        self._build()
        return dict(self._groups.get(group, {}))

    def update(self, lang: str, story: str, record: Mapping[str, Any]) -> Link:
        """Take a language story's latest record (``k:``: ``e``, ``en``, ``f``, ``l``, ``t``) and link it to
        another language's group if it is alone in its own and one is close enough."""
        self._build()
        key = _key(lang, story)
        now = float(record.get("t") or 0.0)
        part = self._fresh(key, now)
        vector = dict(record.get("e") or {})
        group = str(part["g"]) if part else story
        new = {"e": vector, "en": record.get("en") or 0.0, "f": record.get("f"), "l": record.get("l"), "t": now}
        self._count(part["e"] if part else None, vector)
        self.state[key] = {**new, "g": group}
        self._groups.setdefault(group, {})[lang] = story
        for feature in vector:
            self._postings[feature].add(group)
        if len(self._groups[group]) > 1 or not new["en"] or new["f"] is None:
            return Link(group, False, 0.0)
        best = self._best(lang, group, new, now)
        if best is None:
            return Link(group, False, 0.0)
        score, target = best
        del self._groups[group]
        self._unlist(group, vector)
        self._groups[target][lang] = story
        self.state[key] = {**new, "g": target}
        for feature in vector:
            self._postings[feature].add(target)
        return Link(target, True, score)

    def _best(self, lang: str, group: str, part: dict[str, Any], now: float) -> tuple[float, str] | None:
        """The best group with no story in ``lang`` for the story alone in ``group``, and its score."""
        c = self.config
        vector: dict[str, float] = part["e"]
        rare = self._uncommon(vector)
        shared: Counter[str] = Counter()
        for feature in rare:
            listed = self._postings.get(feature, ())
            if len(listed) > c.max_postings:  # as the index's lookup lists: too many events to tell apart
                continue
            for other in listed:
                if other != group and other in self._groups and lang not in self._groups[other]:
                    shared[other] += 1
        best: tuple[float, str] | None = None
        # the groups sharing the most uncommon features first, then by id
        ranked = sorted((-n, other) for other, n in shared.items() if n >= c.cross_min_shared)
        for _, other in ranked[: c.candidates]:
            summed = self._group_vector(other, now)
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

    def _group_vector(self, group: str, now: float) -> GroupVector | None:
        """The sum of a group's stories' shared vectors, its norm and their publication span."""
        summed: dict[str, float] = {}
        first = last = None
        for lang, story in list(self._groups.get(group, {}).items()):
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

    def _uncommon(self, vector: Mapping[str, float]) -> list[str]:
        parts = self._df[""]
        if parts < MIN_STORIES_FOR_SHARE:
            return list(vector)
        share = self.config.common_share
        return [f for f in vector if self._df[f] / parts < share]

    def _count(self, before: Mapping[str, float] | None, after: Mapping[str, float] | None) -> None:
        """Count a part's features (``""``: the parts) as its vector changes from ``before`` to ``after``
        (None: no part)."""
        self._df[""] += (after is not None) - (before is not None)
        before, after = before or {}, after or {}
        for feature in after:
            if feature not in before:
                self._df[feature] += 1
        for feature in before:
            if feature not in after:
                self._df[feature] -= 1

    def _fresh(self, key: str, now: float) -> dict[str, Any] | None:
        part = self.state.get(key)
        if part is None:
            return None
        if now - float(part.get("t") or 0.0) > self.config.ttl_seconds:
            self._drop(key, part)
            return None
        return dict(part)

    def _drop(self, key: str, part: Mapping[str, Any]) -> None:
        """Forget an expired part: its record, its place in its group, its counts."""
        self.state.pop(key, None)
        lang, story = key[len(PART) :].split("|", 1)
        name = str(part["g"])
        group = self._groups.get(name, {})
        if group.get(lang) == story:
            del group[lang]
            if not group:
                del self._groups[name]
        self._count(part.get("e") or {}, None)
        kept: set[str] = set()  # the features the group's other stories still list it under
        for other in group.items():
            kept.update((self.state.get(_key(*other)) or {}).get("e") or ())
        self._unlist(name, [f for f in part.get("e") or () if f not in kept])

    def _unlist(self, group: str, features: Iterable[str]) -> None:
        for feature in features:
            listed = self._postings.get(feature)
            if listed is not None:
                listed.discard(group)
                if not listed:
                    del self._postings[feature]

    def _build(self) -> None:
        """The groups, lookup lists and counts from the parts in ``state`` (once, when they are empty)."""
        if self._built:
            return
        self._built = True
        for key in list(self.state):
            if not (isinstance(key, str) and key.startswith(PART)):
                continue
            part = self.state[key]
            lang, story = key[len(PART) :].split("|", 1)
            group = str(part["g"])
            self._groups.setdefault(group, {})[lang] = story
            self._count(None, part.get("e") or {})
            for feature in part.get("e") or {}:
                self._postings[feature].add(group)


def _key(lang: str, story: str) -> str:
    return f"{PART}{lang}|{story}"

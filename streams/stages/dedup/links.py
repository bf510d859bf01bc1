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
lookup lists). A story keeps looking while it is alone, with every report that changes its vector; failing a
group, it takes out of a group a story of another language that it matches better than that story matches the
rest of its group, when it does not match the rest itself (a story linked early, for want of its own event's).
Otherwise a story stays in its group, and a group's first story (whose id it has) is never taken out.

State: ``p:<lang>|<story>`` a story's part (its shared vector, span, time, group and summary), the records, in
``state``; derived from them, in ``index`` (the same mapping unless another is given: a worker would keep it out
of the changelog and rebuild it with ``reindex``), ``g:<group>`` its stories by language and ``l:<feature>`` the
groups listed under a story's uncommon shared features (all of them when it is new to its group or half a
time-to-live has passed, else those it has just gained). A list of more than ``max_postings`` groups within the
time-to-live becomes a marker, as the index's lookup lists do (``StoryStep._post``): no list grows with the
state. The counts of the features over the parts are kept in memory, counted from the parts when first needed
and again when parts were restored behind them (a new generation at ``GENERATION_KEY``, as for the index's
word counts).
Parts and groups older than the time-to-live are dropped where read; list entries are skipped, and dropped
when the list reaches its limit.
"""

from __future__ import annotations

import math
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from streams.stages.dedup.config import DedupConfig
from streams.stages.dedup.expiry import expire
from streams.stages.dedup.state import GENERATION_KEY, get_many, set_many
from streams.stages.dedup.stories import dot, time_factor

__all__ = ["DERIVED", "MIN_STORIES_FOR_SHARE", "PART", "Link", "StoryLinks"]

GroupVector: TypeAlias = tuple[dict[str, float], float, float | None, float | None]  # sum, norm, first, last
KEPT_PARTS = 4_096  # parts kept decoded: a candidate group's are read again and again (about 3 KB each)
MIN_STORIES_FOR_SHARE = 40  # fewer stories counted tell no shared feature common (as ``TermStats``)
PART, GROUP, LIST = "p:", "g:", "l:"  # the records; the derived groups and feature lists
DERIVED = (GROUP, LIST)


@dataclass(frozen=True, slots=True)
class Link:
    group: str  # the group the story is in: its own id while it is alone
    linked: bool  # this update linked it: into another language's group, or with a story it took out of one
    score: float  # the score it was linked with (0.0 when it was not linked now)
    changed: tuple[str, ...] = ()  # other groups this update changed (one it took a story out of)


@dataclass(frozen=True, slots=True)
class Found:
    score: float
    group: str  # the group to join, or the group to take a story out of
    taken: tuple[str, str] | None  # that story's language and id


class StoryLinks:
    # parts with each shared feature ("": the parts), counted from the stored parts when first needed
    _df: Counter[str] | None = None
    _generation = 0  # of the parts the counts were counted from (``GENERATION_KEY`` in ``index``)
    clock: float | None = None  # the latest time of a story updated: the sweep's "now"
    _kept: OrderedDict[str, dict[str, Any]] | None = None  # the latest parts read or written, decoded

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
        part = self._part(_key(lang, story))
        return str(part["g"]) if part else story

    def members(self, group: str) -> dict[str, str]:
        """The stories of ``group`` by language."""
        record = self.index.get(GROUP + group)
        return dict(record["m"]) if record else {}

    def summaries(self, group: str) -> dict[str, dict[str, Any]]:
        """The summaries kept with the parts of ``group``'s stories, by language."""
        parts = {lang: self._part(_key(lang, story)) for lang, story in self.members(group).items()}
        return {lang: dict(part["summary"]) for lang, part in parts.items() if part and part.get("summary")}

    def update(
        self, lang: str, story: str, record: Mapping[str, Any], summary: Mapping[str, Any] | None = None
    ) -> Link:
        """Take a language story's latest record (``k:``: ``e``, ``en``, ``f``, ``l``, ``t``), and its summary
        to keep with it, and link it to another language's group if it is alone in its own and one is close
        enough (or take a story of another language out of its group, to which it was linked less closely)."""
        self._count_parts()
        key = _key(lang, story)
        now = float(record.get("t") or 0.0)
        part = self._fresh(key, now)
        vector = dict(record.get("e") or {})
        new = {"e": vector, "en": record.get("en") or 0.0, "f": record.get("f"), "l": record.get("l"), "t": now}
        new["s"] = part.get("s", 0.0) if part else 0.0
        if summary is not None:
            new["summary"] = dict(summary)
        self._count(part["e"] if part else None, vector)
        group = str(part["g"]) if part else story
        members = {**self._members(group, now), lang: story}
        found = None
        if len(members) == 1 and new["en"] and new["f"] is not None:
            found = self._best(lang, group, new, now)
        changed: tuple[str, ...] = ()
        if found is not None and found.taken is None:  # it joins the group
            self.index.pop(GROUP + group, None)  # its one story moves: the group is no more
            group, new["s"] = found.group, found.score
            members = {**self._members(group, now), lang: story}
        elif found is not None and found.taken is not None:  # it takes a story out of its group
            taken_lang, taken_story = found.taken
            left = {k: v for k, v in self._members(found.group, now).items() if k != taken_lang}
            self.index[GROUP + found.group] = {"m": left, "t": now}
            taken = self._part(_key(taken_lang, taken_story)) or {}
            self._keep(_key(taken_lang, taken_story), {**taken, "g": group, "s": found.score})
            self._post(group, taken.get("e") or {}, now)
            members[taken_lang] = taken_story
            changed = (found.group,)
        # listed under its uncommon features: all of them when it is new to its group or last listed half a
        # time-to-live ago (entries expire), else those its vector has just gained
        listed = self._uncommon(vector)
        if part is None or part["g"] != group or now - float(part.get("pt") or 0.0) > self.config.ttl_seconds / 2:
            new["pt"] = now
        else:
            new["pt"], listed = part["pt"], [feature for feature in listed if feature not in part["e"]]
        self._keep(key, {**new, "g": group})
        self.index[GROUP + group] = {"m": members, "t": now}
        self.clock = now if self.clock is None else max(self.clock, now)
        self._post(group, listed, now)
        return Link(group, found is not None, found.score if found else 0.0, changed)

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

    def sweep(
        self, entries: Iterable[tuple[Any, Any]], now: float, store: MutableMapping[str, Any] | None = None
    ) -> Counter[str]:
        """Delete the parts, groups and lists past the time-to-live as of ``now`` among ``entries`` (read from the
        state), and write lists back without their expired groups, in ``store`` (by default where each lives):
        as ``IndexState.sweep`` does for the index. A part deleted leaves the counts."""
        done: Counter[str] = Counter()
        for key, value in entries:
            if not isinstance(key, str):
                continue
            action, pruned = expire(key, value, now, self.config.ttl_seconds)
            if action == "keep":
                continue
            target = store if store is not None else self.state if key.startswith(PART) else self.index
            if self._kept is not None:
                self._kept.pop(key, None)
            if action == "delete":
                target.pop(key, None)
                if key.startswith(PART):
                    self._count(value.get("e") or {}, None)
            else:
                target[key] = pruned
            done[action] += 1
        return done

    def _best(self, lang: str, group: str, part: dict[str, Any], now: float) -> Found | None:
        """For the story alone in ``group``: the best group with no story in ``lang``; failing one, the best
        story of another language, linked into a group with a story in ``lang``, that it matches better than
        that story matches the rest of its group, while it does not match the rest itself (another event):
        the story was linked there for want of its own event's (never a group's first story)."""
        c = self.config
        vector: dict[str, float] = part["e"]
        rare = self._uncommon(vector)
        shared: Counter[str] = Counter()
        for listed in get_many(self.index, [LIST + feature for feature in rare]):
            for other, stamp in (listed or {}).get("g", {}).items():
                if other != group and now - stamp <= c.ttl_seconds:
                    shared[other] += 1
        # the groups sharing the most uncommon features first, then by id: the first ``candidates`` with no
        # story in its language, and as many with one (whose other stories it may take out); their records
        # read a few at a time
        ranked = [other for _, other in sorted((-n, other) for other, n in shared.items() if n >= c.cross_min_shared)]
        members: dict[str, dict[str, str]] = {}
        joinable: list[str] = []
        taking: list[str] = []
        step = 2 * c.candidates
        for start in range(0, len(ranked), step):
            chunk = ranked[start : start + step]
            for other, record in zip(chunk, get_many(self.index, [GROUP + other for other in chunk]), strict=True):
                if not record or now - float(record["t"]) > c.ttl_seconds:
                    continue
                members[other] = dict(record["m"])
                wanted = taking if lang in members[other] else joinable
                if len(wanted) < c.candidates:
                    wanted.append(other)
            if len(joinable) >= c.candidates and len(taking) >= c.candidates:
                break
        best: Found | None = None
        for other in joinable:
            summed = self._group_vector(members[other], now)
            score = self._score(part, summed) if summed is not None else 0.0
            if score >= c.cross_threshold and (best is None or (score, other) > (best.score, best.group)):
                best = Found(score, other, None)
        if best is not None:
            return best
        for other in taking:
            for taken_lang, taken_story in members[other].items():
                taken = self._fresh(_key(taken_lang, taken_story), now)
                if taken_lang == lang or taken is None or not taken.get("s"):
                    continue
                if sum(1 for feature in rare if feature in taken["e"]) < c.cross_min_shared:
                    continue
                score = self._score(part, (taken["e"], taken["en"], taken["f"], taken["l"]))
                if score < c.cross_threshold or (best is not None and (score, other) <= (best.score, best.group)):
                    continue
                # the rest of its group is another event than this story's, and further from the story taken
                rest = self._group_vector({k: v for k, v in members[other].items() if k != taken_lang}, now)
                if rest is None or self._score(part, rest) >= c.cross_threshold or self._score(taken, rest) >= score:
                    continue
                best = Found(score, other, (taken_lang, taken_story))
        return best

    def _score(self, part: Mapping[str, Any], others: GroupVector) -> float:
        """A story's shared vector against a group's (or a story's) summed one, times the time factor of the
        gap between their publication spans (0 when either is unknown)."""
        c = self.config
        vector, norm, first, last = others
        if not norm or not part["en"] or first is None or last is None:
            return 0.0
        gap = max(0.0, first - part["l"], part["f"] - last)  # between the two publication spans
        # the time factor of that gap (as of a report published ``gap`` after a one-day story)
        factor = time_factor(first + gap, first, first, c.close_seconds, c.story_window_seconds, 0.0)
        return float(dot(part["e"], vector) / (part["en"] * norm) * factor)

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
        """List ``group`` under each of ``features`` (a list over ``max_postings`` becomes a marker), in one
        read and one write where the mapping has ``get_many`` and ``set_many``."""
        ttl, limit = self.config.ttl_seconds, self.config.max_postings
        keys = [LIST + feature for feature in features]
        if not keys:
            return
        written: dict[str, Any] = {}
        for key, stored in zip(keys, get_many(self.index, keys), strict=True):
            if stored is not None and "common" in stored:
                if now - stored["common"] <= ttl:
                    continue
                stored = None
            groups = {**(stored["g"] if stored else {}), group: now}
            if len(groups) > limit:
                groups = {g: t for g, t in groups.items() if now - t <= ttl}
            written[key] = {"g": groups} if len(groups) <= limit else {"common": now}
        set_many(self.index, written)

    def _uncommon(self, vector: Mapping[str, float]) -> list[str]:
        df = self._count_parts()
        parts = df[""]
        if parts < MIN_STORIES_FOR_SHARE:
            return list(vector)
        share = self.config.common_share
        return [f for f in vector if df[f] / parts < share]

    def _count_parts(self) -> Counter[str]:
        """The counts of the parts' features: counted from the stored parts once, then kept as parts change,
        and counted again when parts were restored behind this object's back (a new ``GENERATION_KEY``)."""
        stored = self.index.get(GENERATION_KEY)
        generation = int(stored["g"]) if stored else 0
        if self._df is None or generation != self._generation:  # restored behind its back: nothing kept holds
            self._df, self._generation, self._kept = Counter(), generation, None
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

    def _part(self, key: str) -> dict[str, Any] | None:
        """A stored part, decoded (the latest ``KEPT_PARTS`` read or written are kept so)."""
        kept = self._kept
        if kept is not None and key in kept:
            kept.move_to_end(key)
            return kept[key]
        part = self.state.get(key)
        if part is not None:
            self._keep(key, part, write=False)
        return part

    def _keep(self, key: str, part: dict[str, Any], write: bool = True) -> None:
        if write:
            self.state[key] = part
        if self._kept is None:
            self._kept = OrderedDict()
        self._kept[key] = part
        self._kept.move_to_end(key)
        if len(self._kept) > KEPT_PARTS:
            self._kept.popitem(last=False)

    def _fresh(self, key: str, now: float) -> dict[str, Any] | None:
        """A part, or None (and it is dropped, from its group too) once it is past the time-to-live."""
        part = self._part(key)
        if part is None:
            return None
        if now - float(part.get("t") or 0.0) <= self.config.ttl_seconds:
            return part  # not to be changed in place: it may be the one kept decoded
        self.state.pop(key, None)
        if self._kept is not None:
            self._kept.pop(key, None)
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

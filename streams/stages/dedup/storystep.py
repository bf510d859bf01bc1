"""The story step of the dedup index: an article's vectors, the story it joins, the copy it may be of, and
what joining it writes (the method: ``stories``; the state: ``state``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from streams.stages.dedup.features import BODY_CHARS, UNKNOWN_LANG, Bags, bags
from streams.stages.dedup.fingerprint import Fingerprint, overlap
from streams.stages.dedup.state import IndexState
from streams.stages.dedup.stories import (
    STORY_SHARED,
    STORY_WORDS,
    ArticleVectors,
    StoryMatch,
    merge_centroid,
    score_story,
    story_similarity,
    time_factor,
    vectors,
)
from streams.stages.record import Article

__all__ = ["STORY_EVENTS", "StoryStep", "followed"]

# what a report does to its story, and to the stories merged into it (a metric's label)
STORY_EVENTS = ("started", "joined", "cross_language", "merged")

SUMMARY_MEMBERS = 20  # member ids and URLs a story record keeps for its summary
SUMMARY_OUTLETS = 50
COPY_MEMBERS = 8  # a story's latest reports per language, that a new report may be a copy of
MAX_COPY_STORIES = 3  # the most similar stories whose reports are compared as copies


class StoryStep(IndexState):
    joined: str | None = None  # what the last check did to a story: STORY_EVENTS, or None
    merged: tuple[str, ...] = ()  # the stories the last check merged into its report's story

    def story_record(self, story: str) -> dict[str, Any] | None:
        """The stored record of ``story`` (``summary.story_summary`` makes it readable), if any."""
        key = f"k:{story}"
        record = self._cache.get(key) or self.index.get(key)  # the check before it has just read or written it
        return dict(record) if record and "into" not in record else None

    def _vectors(self, article: Article, given: Bags | None = None) -> ArticleVectors:
        """The article's weighed vectors, from the bags the parse stage made (``given``) or made here (the
        word counts are those of the state: ``check`` synchronised them)."""
        c = self.config
        lang = article.lang or UNKNOWN_LANG
        if given is None or c.body_chars != BODY_CHARS:
            given = bags(article.title, article.body, article.tags, c.body_chars)
        return vectors(
            self.stats,
            lang,
            given,
            c.lookup_words,
            c.lookup_shared,
            c.common_share,
            c.article_words,
        )

    def _match(
        self, article: ArticleVectors, published: float | None, now: float, family: str | None
    ) -> tuple[StoryMatch | None, list[str]]:
        """The story the article joins, if any: the best scoring candidate at its threshold; and the stories
        in its language that are as similar whatever their time, most similar first (where copies are)."""
        c = self.config
        weight: dict[str, float] = {}
        ttl = c.ttl_seconds
        self._read_lists(article.keys)
        for key, key_weight in zip(article.keys, article.key_weights, strict=True):
            for story, (stamp, story_published) in self._postings(key).items():
                if now - stamp > ttl or (
                    published is not None and story_published is not None and abs(published - story_published) > ttl
                ):
                    continue
                weight[story] = weight.get(story, 0.0) + key_weight
        # the most shared weight first, then by id: pairs sort in C, no key function called per story
        ranked = [story for _, story in sorted([(-w, story) for story, w in weight.items()])[: c.candidates]]
        if family is not None and family not in ranked:
            ranked.append(family)
        best: StoryMatch | None = None
        similar: list[tuple[float, str]] = []
        reached: list[tuple[float, str]] = []
        scored: set[str] = set()
        for listed in ranked:
            story, record = self._story(listed, now)  # a story merged into another stands for it
            if record is None or story in scored:
                continue
            scored.add(story)
            score, cross = score_story(article, record, c.shared_weight, c.cross_min_shared, c.min_words)
            if story == family:
                score, cross = max(score, 1.0), False
            if cross and not c.cross_language:
                continue
            if not cross and score >= c.same_threshold:
                similar.append((score, story))
            # across languages, where no wording can be compared, the time must be known
            score *= time_factor(
                published,
                record.get("f"),
                record.get("l"),
                c.close_seconds,
                c.story_window_seconds,
                0.0 if cross else c.unknown_time,
            )
            if score < (c.cross_threshold if cross else c.same_threshold):
                continue
            reached.append((score, story))
            if best is None or (score, story) > (best.score, best.story):
                best = StoryMatch(story, score, cross)
        if best is not None and len(reached) > 1 and c.merge_stories:
            also = tuple(story for _, story in sorted(reached, reverse=True) if story != best.story)
            best = StoryMatch(best.story, best.score, best.cross, also)
        return best, [story for _, story in sorted(similar, reverse=True)]

    def _merging(self, match: StoryMatch, now: float) -> tuple[str, list[str]]:
        """The story a report that matched ``match.story`` and ``match.also`` joins, and the stories merged into
        it: those of ``also`` that match its best story as a report would (``story_similarity`` at the
        thresholds of joining). Two reports of one event that started two stories (the first report of
        each could not tell they were one) are gathered once a report shows it; two events that one report
        happens to match stay apart unless their stories match each other. The story that started first
        takes the others (ids of the stories analysts already follow stay), ties by id."""
        c = self.config
        record = self._fresh(f"k:{match.story}", now)
        if record is None or not match.also:
            return match.story, []
        group = [(record.get("s", now), match.story)]
        for other in match.also:
            taken = self._fresh(f"k:{other}", now)
            if taken is None or "into" in taken:
                continue
            score, cross = story_similarity(record, taken, c.shared_weight, c.min_words)
            if score >= (c.cross_threshold if cross else c.same_threshold):
                group.append((taken.get("s", now), other))
        if len(group) < 2:
            return match.story, []
        survivor = min(group)[1]
        return survivor, [story for _, story in group if story != survivor]

    def _story_copy(
        self, article: ArticleVectors, fp: Fingerprint, stories: list[str], now: float
    ) -> tuple[str, float] | None:
        """A report of one of ``stories`` in the article's language that the article is an edited copy of:
        the same words (``copy_words`` of the shorter text's) and a good part of the same phrases
        (``copy_shingles`` of the shorter text's 3-word shingles). Its id and the Jaccard of their shingles.
        Band candidates find copies with most phrases in common; this finds the rewritten ones, among the
        reports that are already as similar as reports of one story."""
        c = self.config
        if not article.word_slots or len(fp.ordered) < c.min_shingles_for_containment:
            return None  # a short text (a feed's summary) shares its few words with any report of its story
        words = set(article.word_slots)
        best: tuple[float, float, str] | None = None
        members: list[str] = []
        for story in stories[:MAX_COPY_STORIES]:
            record = self._fresh(f"k:{story}", now)
            members += record.get("m", {}).get(article.lang, []) if record else []
        for member in members:
            stored = self._fresh(f"v:{member}", now)
            if stored is None or not stored["d"]:
                continue
            shared_words = len(words.intersection(stored["d"])) / min(len(words), len(stored["d"]))
            if shared_words < c.copy_words:
                continue
            shingles = stored.get("h") or ()
            if len(shingles) < c.min_shingles_for_containment:
                continue
            sim, contained = overlap(fp.shingles, shingles)
            if contained >= c.copy_shingles and (best is None or (contained, sim) > best[:2]):
                best = (contained, sim, member)
        return (best[2], best[1]) if best else None

    def _join(
        self,
        article: Article,
        features: ArticleVectors,
        story: str,
        published: float | None,
        now: float,
        route: str | None = None,
        shingles: list[int] | None = None,
        recorded: dict[str, Any] | None = None,
        merged: list[str] | None = None,
    ) -> None:
        """Store the article's text record (its features, its vectors and ``shingles``, sorted, and what
        ``recorded`` adds: its verdict), add it to its story (or start it), merge ``merged`` into that story
        (the record names them, as a restore must merge them again) and list it under its keys."""
        value = {
            "l": features.lang,
            "d": features.word_slots,
            "e": features.shared_slots,
            "x": features.keys,
            "k": story,
            "p": published,
            "t": now,
            # its URL and content keys, which are not sent to the changelog: rebuilt from here (``reindex``)
            "u": article.fingerprints.get("url") or None,
            "c": article.fingerprints.get("content") or None,
            # what its story takes from it (``_add_to_story``), as the story is rebuilt from here too
            "w": features.words,  # weights to 4 decimals (``termstats.DECIMALS``)
            "s": features.shared,
            "T": article.title,
            "O": article.source.domain or article.source.name or None,
            "U": article.url,
            "r": route or None,
        }
        if shingles:
            value["h"] = shingles  # what a copy's text is compared with
        if recorded:
            value.update(recorded)
        if merged:
            value["j"] = merged
        value["q"] = self._add_to_story(article.id, value)  # its place in its story: a restore adds it once
        self._merge_stories(value)
        self._set(f"v:{article.id}", value)
        self.stats.add(features.lang, features.word_slots, features.shared_slots)
        self._bump_generation()
        self._post(value)

    def _add_to_story(self, article_id: str, text: dict[str, Any]) -> int:
        """Add a text's record (``v:``) to its story's (``k:``), or start the story: a function of the two
        records alone, so the stories are rebuilt from the texts' records in the order they were written
        (``reindex``) as they were made, and the story's record is not sent to the changelog. The reports the
        story counts after it: the text's place in its story (``q`` in its record)."""
        now, lang, published = text["t"], text["l"], text["p"]
        story, existing = self._story(text["k"], now)
        if existing is not None and _added(existing, lang, article_id, text.get("q")):
            # its report is in the story already: a record restored into the store that has it (a worker
            # stopped after the record reached the changelog but before Faust stored that offset replays it),
            # or an article checked again once its text's record expired. A story counts a report once.
            self.joined = None
            return int(existing["n"])
        if existing is None:
            self.joined = "started"
        else:
            self.joined = "joined" if lang in existing.get("L", {}) else "cross_language"
        record = (
            dict(existing)
            if existing
            else {
                "w": {},
                "wn": {},
                "e": {},
                "en": 0.0,
                "f": None,
                "l": None,
                "n": 0,
                "L": {},
                "h": text.get("T"),
                "o": [],
                "i": [],
                "u": [],
                "m": {},
                "s": now,
            }
        )
        if text.get("w"):
            record["w"][lang], record["wn"][lang] = merge_centroid(record["w"].get(lang, {}), text["w"], STORY_WORDS)
        if text.get("s"):
            record["e"], record["en"] = merge_centroid(record["e"], text["s"], STORY_SHARED)
        if published is not None:
            record["f"] = published if record["f"] is None else min(record["f"], published)
            record["l"] = published if record["l"] is None else max(record["l"], published)
        record["n"] += 1
        route = text.get("r")
        if route:
            routes = record.setdefault("r", {})
            routes[route] = routes.get(route, 0) + 1
        record["L"][lang] = record["L"].get(lang, 0) + 1
        outlet = text.get("O")
        if outlet and outlet not in record["o"] and len(record["o"]) < SUMMARY_OUTLETS:
            record["o"].append(outlet)
        if len(record["i"]) < SUMMARY_MEMBERS:
            record["i"].append(article_id)
            record["u"].append(text.get("U"))
        recent = record.setdefault("m", {}).setdefault(lang, [])
        recent[:] = [*recent, article_id][-COPY_MEMBERS:]
        record["t"] = now
        self._set(f"k:{story}", record)
        return int(record["n"])

    def _merge_stories(self, text: dict[str, Any]) -> None:
        """Merge the stories a text's record names (``j``) into its story, as ``_merging`` chose them: a
        function of the records, so a restore merges them again in their place. A merged story's record becomes
        a mark, ``{"into": story}``, that its lists and its reports' records are followed through."""
        now = text["t"]
        story, record = self._story(text["k"], now)
        for other in text.get("j") or ():
            taken = self._fresh(f"k:{other}", now)
            if record is None or taken is None or "into" in taken or other == story:
                continue
            record = _merged(record, taken)
            record["t"] = now
            self._set(f"k:{story}", record)
            self._set(f"k:{other}", {"into": story, "t": now})
            self.merged = (*self.merged, other)

    def _postings(self, key: str) -> dict[str, list[Any]]:
        """The stories listed under a lookup key, each with its time and publication time; none for a key
        too common to tell events apart (see ``_post``)."""
        value = self._get(key)
        if isinstance(value, list):  # an older version's list of [story, time, published]
            return {e[0]: [e[1], e[2]] for e in value}
        return value.get("s", {}) if value else {}

    def _post(self, value: dict[str, Any]) -> None:
        """List an article's story under its lookup keys (from its ``v:`` record).

        A key that lists more than ``max_postings`` stories within the time-to-live is too common to tell
        events apart, as a stopword is: its list becomes a marker, ``{"common": time}``, and is no longer read
        or written (the stories under it are found through their rarer keys) until the marker is older than
        the time-to-live. So no list grows with the state, and none is cut short to keep only some stories.
        Entries past the time-to-live are skipped where read and dropped when a list reaches the limit."""
        story, now, ttl, limit = value["k"], value["t"], self.config.ttl_seconds, self.config.max_postings
        self._read_lists(value["x"])
        for key in value["x"]:
            stored = self._get(key)
            if isinstance(stored, dict) and "common" in stored:
                if now - stored["common"] <= ttl:
                    continue
                stored = None
            postings = self._postings(key) if stored else {}
            postings[story] = [now, value["p"]]
            if len(postings) > limit:
                postings = {s: e for s, e in postings.items() if now - e[0] <= ttl}
                if len(postings) > limit:
                    self._set(key, {"common": now})
                    continue
            self._set(key, {"s": postings})


def _added(story: dict[str, Any], lang: str, article_id: str, place: int | None) -> bool:
    """Whether a story has the report of ``article_id`` already: it counts the report's ``place`` (the reports
    it counted once the report was added, kept in its text's record): the records are added in the order they
    were written and a story's count only grows (a story merged into another, later, adds its count to it);
    or it lists the report, among its first ``SUMMARY_MEMBERS`` and its latest ``COPY_MEMBERS`` in ``lang`` (a
    record of an earlier version, an article checked again, a story rebuilt without its expired reports)."""
    if place is not None and int(story.get("n", 0)) >= place:
        return True
    return article_id in story.get("m", {}).get(lang, ()) or article_id in story.get("i", ())


def _merged(into: dict[str, Any], taken: dict[str, Any]) -> dict[str, Any]:
    """A story's record with another's reports added: centroids and shared vectors summed (their heaviest
    features kept), counts added, publication span joined, members, outlets and latest reports within the
    summary's bounds."""
    record = {**into, "w": dict(into["w"]), "wn": dict(into["wn"])}
    for lang, centroid in taken["w"].items():
        if lang in record["w"]:
            record["w"][lang], record["wn"][lang] = merge_centroid(record["w"][lang], centroid, STORY_WORDS)
        else:
            record["w"][lang], record["wn"][lang] = dict(centroid), taken["wn"][lang]
    if taken.get("e"):
        record["e"], record["en"] = merge_centroid(record["e"], taken["e"], STORY_SHARED)
    for bound, pick in (("f", min), ("l", max)):
        known = [t for t in (into.get(bound), taken.get(bound)) if t is not None]
        record[bound] = pick(known) if known else None
    record["s"] = min(into.get("s", into["t"]), taken.get("s", taken["t"]))
    record["n"] = into["n"] + taken["n"]
    for counts in ("L", "r"):
        added = dict(into.get(counts) or {})
        for name, count in (taken.get(counts) or {}).items():
            added[name] = added.get(name, 0) + count
        if added:
            record[counts] = added
    record["o"] = [*into["o"], *(o for o in taken["o"] if o not in into["o"])][:SUMMARY_OUTLETS]
    room = max(SUMMARY_MEMBERS - len(into["i"]), 0)
    record["i"], record["u"] = [*into["i"], *taken["i"][:room]], [*into["u"], *taken["u"][:room]]
    recent = {lang: list(ids) for lang, ids in (into.get("m") or {}).items()}
    for lang, ids in (taken.get("m") or {}).items():
        recent[lang] = [*ids, *recent.get(lang, [])][-COPY_MEMBERS:]
    record["m"] = recent
    return record


def followed(merged_into: Mapping[str, str], story: str) -> str:
    """The story that holds ``story``'s reports, by the merges seen (``StoryStep.merged`` after each check,
    each into that check's story; what the stories topic says of a merged story): for evaluations."""
    seen = {story}
    while story in merged_into and merged_into[story] not in seen:
        story = merged_into[story]
        seen.add(story)
    return story

"""The dedup stage's decision, over any mutable mapping (a dict offline, a Faust table in the worker).

For each article, in order:

1. **Replay**: the same message delivered again (same id from the same raw topic, partition, offset and
   item) gets its recorded verdict again, never "duplicate of itself". The same article published again
   (same id, another raw message) is a duplicate of the first copy: ``dup_of`` names that id. Verdicts last
   as long as the records: a message delivered again once its records are past the time-to-live (they are
   deleted when read, by any article, or swept) is checked again.
2. **Exact**: the same canonical URL, or the same normalised content hash, as a stored article of another
   id. Ids come from provenance (URL, the source's own id, the source), not from the text, so the same
   text from two sources is two articles: the later one is a duplicate of the earlier, under its own id.
3. **Near-copy**: LSH band keys (MinHash of word shingles) find candidates; real Jaccard (or containment
   for trimmed copies) over the stored shingles verifies them.
4. **Story** (``stories``): the article joins the story it is most similar to (words of its language, entity
   ids and numbers in any language, publication times), or starts its own; a candidate too different to be a
   copy but clearly of the same text family gives its story.

State keys: ``a:<id>`` a duplicate's verdict and ``v:<id>`` a new article's text record (its shingles, its story
features: language, count slots, lookup keys, story; its weighed vectors, title, outlet, URL and route, which its
story takes; its exact keys, time; its verdict: the raw message it came from and its similarity): the
**records**, one per article (earlier versions wrote an ``a:`` record for every article and kept the story as a
record, and before that kept the shingles apart, in ``s:<id>``: all are still read). From them follow, in the
order they were written, the **stories** ``k:<story>`` (centroids, times, counts, a summary) and the **lists**:
``b:<band>`` (articles with that LSH band key, from the shingles), ``x:<key>`` (stories under a lookup key), 42 and
about 12 per article, and ``u:<hash>`` and ``c:<hash>`` (the article with that canonical URL or content); and the
word counts (``termstats``, in memory) with their generation (``z:terms``). What is derived may live in a mapping
of its own (``index``): the worker keeps it in the table's local store only, so its changelog carries the records
alone, and ``reindex`` rebuilds it from records restored from the changelog. Entries older than the time-to-live
(by the articles' own fetch time, so replays get the same answers) are ignored; records are deleted when touched,
band lists keep their latest entries and lookup lists drop old ones at their limit, and a sweep
(``IndexState.sweep``, ``expiry``) deletes what no article touches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias, TypeVar

from streams.stages.dedup.config import DedupConfig
from streams.stages.dedup.features import Bags
from streams.stages.dedup.fingerprint import Fingerprint, band_keys, fingerprint, overlap
from streams.stages.dedup.state import DERIVED_PREFIXES, RECORD_PREFIXES
from streams.stages.dedup.storystep import StoryStep
from streams.stages.record import Article

__all__ = ["DERIVED_PREFIXES", "RECORD_PREFIXES", "DedupConfig", "DedupIndex", "Verdict"]

T = TypeVar("T")
Given: TypeAlias = T | Callable[[], T | None] | None  # what the parse stage sent, or a function that decodes it

MAX_BAND_ENTRIES = 16  # candidates kept per band key: syndicated copies cluster, they don't pile up


@dataclass(frozen=True, slots=True)
class Verdict:
    duplicate: bool
    dup_of: str | None
    kind: str | None  # url | content | near | None
    similarity: float
    story: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "duplicate": self.duplicate,
            "dup_of": self.dup_of,
            "kind": self.kind,
            "similarity": round(self.similarity, 4),
            "story": self.story,
        }


def _given(value: Given[T]) -> T | None:
    return value() if callable(value) else value


def _origin_key(article: Article) -> str:
    """Which raw message (and which item in it) this article came from."""
    o = article.origin
    return f"{o.get('topic')}:{o.get('partition')}:{o.get('offset')}:{o.get('item', 0)}"


def _epoch(iso: str) -> float:
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def _published(article: Article) -> float | None:
    """The article's publication time, or None when the parser only estimated it."""
    if article.published_estimated or not article.published:
        return None
    return _epoch(article.published)


class DedupIndex(StoryStep):
    clock: float | None = None  # the latest fetch time of an article checked: the sweep's "now"

    def check(
        self,
        article: Article,
        fp: Given[Fingerprint] = None,
        route: str | None = None,
        story_bags: Given[Bags] = None,
    ) -> Verdict:
        """The verdict for ``article``, remembering it for the articles that follow. ``fp`` and
        ``story_bags`` are the article's fingerprint and story features when the parse stage sent them along,
        or functions that decode them from what it sent, called only when needed (not for a redelivery or an
        exact copy, nor the features for a near copy); made here when there are none. ``route``, the route name
        its report takes, counted in its story's summary. ``joined`` says afterwards whether the article
        started its story, joined it, or joined it as its first report in its language (None: not added to
        a story, as a duplicate or a redelivery)."""
        self._seen.clear()
        self.joined = None
        self.merged = ()
        try:
            self._sync_stats()  # first: it also drops the records kept across checks if the state changed
            return self._check(article, fp, route, story_bags)
        except BaseException:
            self._forget()  # a record kept in memory may have been changed half way
            raise
        finally:
            self._seen.clear()
            self._write_lists()  # what was written before a failure too, as if written at once

    def reindex(self, key: str, value: Any) -> None:
        """Add the article of one stored record (``v:``, or an earlier version's ``s:``) to the candidate lists
        it belongs in and to its story, as ``check`` did when it stored the record: rebuilds what is derived
        from the records restored elsewhere, given them in the order they were written."""
        if not value or key[:2] not in RECORD_PREFIXES:
            return
        self._seen.clear()
        self._forget()
        self.merged = ()
        try:
            if key[:2] == "v:":
                for prefix in ("u", "c"):  # the exact keys of its text, as ``_remember`` stored them
                    if value.get(prefix):
                        self._set(f"{prefix}:{value[prefix]}", {"id": key[2:], "t": value.get("t", 0.0)})
            if value.get("h"):  # its bands, as ``_remember`` listed them
                bands = band_keys(value["h"])
                self._read_lists([f"b:{band}" for band in bands])
                self._list_under_bands(bands, key[2:], value.get("t", 0.0))
            if key[:2] == "v:":
                self._post(value)
                if "w" in value:  # its story, as ``_join`` added it (an earlier version's story was a record)
                    self._add_to_story(key[2:], value)
                    self._merge_stories(value)
        finally:
            self._seen.clear()
            self._write_lists()

    def _check(self, article: Article, sent: Given[Fingerprint], route: str | None, given: Given[Bags]) -> Verdict:
        now = _epoch(article.fetched_at)
        self.clock = now if self.clock is None else max(self.clock, now)
        origin = _origin_key(article)
        recorded = self._recorded(article, origin, now)
        if recorded is not None:
            return recorded

        verdict = self._exact(article, now)
        if verdict is not None:  # an exact copy needs no fingerprint
            self._record(article, verdict, now, origin)
            return verdict
        fp = _given(sent) or fingerprint(article.title, article.body)
        best_id, best_sim, near = self._near(fp, article.id, now)
        if best_id is not None and near:
            verdict = Verdict(True, best_id, "near", best_sim, self._story_of(best_id, now))
            self._record(article, verdict, now, origin)
            return verdict  # a duplicate's original already stands for its text
        family = (
            self._story_of(best_id, now) if best_id is not None and best_sim >= self.config.story_threshold else None
        )
        features = self._vectors(article, _given(given))
        published = _published(article)
        match, similar = self._match(features, published, now, family)
        copy = self._story_copy(features, fp, similar, now)
        if copy is not None:
            verdict = Verdict(True, copy[0], "near", copy[1], self._story_of(copy[0], now))
            self._record(article, verdict, now, origin)
            return verdict
        story, merged = self._merging(match, now) if match else (article.id, [])
        verdict = Verdict(False, None, None, best_sim, story)
        self._remember(article, fp, now)
        # a new text's verdict is in its text's record (``_recorded``): one record fewer in the changelog
        in_text = {"o": origin, "y": round(best_sim, 4)}  # as ``Verdict.as_dict`` gives it
        self._join(article, features, story, published, now, route, list(fp.ordered), in_text, merged)
        return verdict

    # ------------------------------------------------------------------------------------------ steps

    def _exact(self, article: Article, now: float) -> Verdict | None:
        for kind, key in (
            ("url", article.fingerprints.get("url")),
            ("content", article.fingerprints.get("content")),
        ):
            if not key:
                continue
            owner = self._fresh(f"{kind[0]}:{key}", now)
            if owner is not None and owner["id"] != article.id:
                story = self._story_of(owner["id"], now)
                return Verdict(True, owner["id"], kind, 1.0, story)
        return None

    def _near(self, fp: Fingerprint, article_id: str, now: float) -> tuple[str | None, float, bool]:
        """The most similar stored text among the band candidates: its id, Jaccard, and whether it is a copy."""
        best_id, best_sim, best_near = None, 0.0, False
        seen: set[str] = set()
        self._read_lists([f"b:{band}" for band in fp.bands])
        for band in fp.bands:
            for candidate_id, stamp in self._get(f"b:{band}") or []:
                if candidate_id in seen or candidate_id == article_id or now - stamp > self.config.ttl_seconds:
                    continue
                seen.add(candidate_id)
                stored = self._fresh(f"v:{candidate_id}", now)
                if stored is None or not stored.get("h"):
                    continue
                sim, contained = overlap(fp.shingles, stored["h"])
                near = sim >= self.config.near_threshold or (
                    min(len(fp.ordered), len(stored["h"])) >= self.config.min_shingles_for_containment
                    and contained >= self.config.containment_threshold
                )
                if (near, sim) > (best_near, best_sim):
                    best_id, best_sim, best_near = candidate_id, sim, near
        return best_id, best_sim, best_near

    def _recorded(self, article: Article, origin: str, now: float) -> Verdict | None:
        """The verdict recorded for ``article``'s id, if any: the same verdict for the same raw message (and
        item in it) delivered again; for another raw message, a duplicate of the first copy. A duplicate's
        verdict is an ``a:`` record; a new text's is in its ``v:`` record (an earlier version wrote an ``a:``
        record for every article: those are read first). Its story is the one that holds it now (its story may
        have been merged into another since)."""
        recorded = self._fresh(f"a:{article.id}", now)
        if recorded is not None:
            story = self._story(str(recorded.get("story") or article.id), now)[0]
            if recorded.get("o") == origin:
                fields = {k: v for k, v in recorded.items() if k not in ("t", "o")}
                return Verdict(**{**fields, "story": story})
        else:
            text = self._fresh(f"v:{article.id}", now)
            if text is None or "o" not in text:
                return None
            story = self._story(str(text["k"]), now)[0]
            if text["o"] == origin:  # delivered again: its outputs too, the marks of the stories it merged
                self.merged = tuple(text.get("j") or ())
                return Verdict(False, None, None, float(text.get("y") or 0.0), story)
        kind = "url" if article.fingerprints.get("url") else "content"
        return Verdict(True, article.id, kind, 1.0, story)

    def _record(self, article: Article, verdict: Verdict, now: float, origin: str) -> None:
        """A duplicate's verdict, with the raw message it was given for: a redelivery gets it again."""
        self._set(f"a:{article.id}", {**verdict.as_dict(), "t": now, "o": origin})

    def _remember(self, article: Article, fp: Fingerprint, now: float) -> None:
        """Store a new text's exact keys and list it under its bands (its shingles go in its ``v:`` record)."""
        for kind in ("url", "content"):
            key = article.fingerprints.get(kind)
            if key:
                self._set(f"{kind[0]}:{key}", {"id": article.id, "t": now})
        self._list_under_bands(fp.bands, article.id, now)

    def _list_under_bands(self, bands: Iterable[str], article_id: str, stamp: float) -> None:
        """List an article under its LSH band keys: each keeps its latest ``MAX_BAND_ENTRIES`` articles, each
        once. Entries past the time-to-live stay until newer ones push them out: they are skipped where read.
        As ``_set`` would, for about 42 lists an article: the new lists go to this check's writes."""
        seen, pending, keep = self._seen, self._pending, 1 - MAX_BAND_ENTRIES
        for band in bands:
            key = f"b:{band}"
            listed = seen[key] if key in seen else self._get(key)
            kept = [e for e in listed if e[0] != article_id][keep:] if listed else []
            seen[key] = pending[key] = [*kept, [article_id, stamp]]

"""The dedup stage's decision, over any mutable mapping (a dict offline, a Faust table in the worker).

For each article, in order:

1. **Replay**: the same message delivered again (same id from the same raw topic, partition, offset and
   item) gets its recorded verdict again, never "duplicate of itself". The same article published again
   (same id, another raw message) is a duplicate of the first copy: ``dup_of`` names that id.
2. **Exact**: the same canonical URL, or the same normalised content hash, as a stored article of another
   id. Ids come from provenance (URL, the source's own id, the source), not from the text, so the same
   text from two sources is two articles: the later one is a duplicate of the earlier, under its own id.
3. **Near-copy**: LSH band keys (MinHash of word shingles) find candidates; real Jaccard (or containment
   for trimmed copies) over the stored shingles verifies them.
4. **Story**: a candidate too different to be a copy but clearly the same text family shares its story id;
   else a report that names the same people, groups, places or processes (at least two of its five most
   prominent; three across languages, where wording cannot be compared), published within three days and,
   in one language, sharing a little wording, joins that report's story; otherwise it starts its own.

State keys: ``a:<id>`` verdicts, ``u:<hash>`` and ``c:<hash>`` exact keys, ``s:<id>`` shingles and ``m:<id>``
names, date and language: the **records**, a few per article. From them follow the **lists** that find
candidates: ``b:<band>`` (articles with that LSH band key, from ``s:``) and ``e:<entity>|<entity>`` (reports
naming both, from ``m:``), 42 and up to 10 per article. The lists may live in a mapping of their own
(``index``): the worker keeps them in the table's local store only, so its changelog carries the records
alone (about 4 writes a new article instead of 49), and ``reindex`` rebuilds the lists from records
restored from the changelog. Entries older than the time-to-live (by the articles' own fetch time, so
replays get the same answers) are ignored and pruned when touched.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from streams.stages.dedup.fingerprint import Fingerprint, band_keys, fingerprint, overlap
from streams.stages.record import Article

__all__ = ["LIST_PREFIXES", "DedupConfig", "DedupIndex", "Verdict"]

LIST_PREFIXES = ("b:", "e:")  # derived lists: rebuilt from the records, never needed in a changelog

MAX_BAND_ENTRIES = 16  # candidates kept per band key: syndicated copies cluster, they don't pile up


@dataclass(frozen=True, slots=True)
class DedupConfig:
    near_threshold: float = 0.4  # Jaccard of 3-word shingles at or above which a copy is a duplicate
    containment_threshold: float = 0.6  # ... or this much of the shorter text inside the longer
    min_shingles_for_containment: int = 25
    story_threshold: float = 0.2  # a text candidate this similar (but no copy) shares the story
    story_window_seconds: float = 3 * 24 * 3600.0  # reports of one event are published within days
    story_min_entities: int = 2  # named entities (not countries) two reports must share
    story_min_entities_cross_language: int = 3
    story_min_text: float = 0.03  # same-language reports must also share a little wording
    ttl_seconds: float = 7 * 24 * 3600.0


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


STORY_TYPES = frozenset({"person", "organisation", "place", "process"})
MAX_STORY_ENTITIES = 5


def _story_entities(article: Article) -> set[str]:
    """The most prominent named entities (countries are too common to tell events apart)."""
    entities = [e for e in article.tags.get("entities", []) if e.get("type") in STORY_TYPES]
    entities.sort(key=lambda e: (-(3 * e.get("title", 0) + e.get("body", 0)), e["id"]))
    return {e["id"] for e in entities[:MAX_STORY_ENTITIES]}


def _story_keys(names: set[str]) -> list[str]:
    ordered = sorted(names)
    return [f"e:{a}|{b}" for i, a in enumerate(ordered) for b in ordered[i + 1 :]]


def _origin_key(article: Article) -> str:
    """Which raw message (and which item in it) this article came from."""
    o = article.origin
    return f"{o.get('topic')}:{o.get('partition')}:{o.get('offset')}:{o.get('item', 0)}"


def _epoch(iso: str) -> float:
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


class DedupIndex:
    def __init__(
        self,
        state: MutableMapping[str, Any],
        config: DedupConfig | None = None,
        index: MutableMapping[str, Any] | None = None,
    ) -> None:
        self.state = state
        self.config = config or DedupConfig()
        self.index = state if index is None else index  # where the candidate lists live
        # what one check has read or written: a band or story list is read to find candidates and again to
        # append to it, and a candidate's shingles may be read by both steps; in the worker every read is a
        # RocksDB get and a JSON decode (about half of the state reads were repeats)
        self._seen: dict[str, Any] = {}

    def check(self, article: Article, fp: Fingerprint | None = None) -> Verdict:
        """The verdict for ``article``, remembering it for the articles that follow. ``fp`` is the article's
        fingerprint when the parse stage sent it along (computed here otherwise)."""
        self._seen.clear()
        try:
            return self._check(article, fp)
        finally:
            self._seen.clear()

    def reindex(self, key: str, value: Any) -> None:
        """Add the article of one stored record (``s:`` or ``m:``) to the candidate lists it belongs in, as
        ``check`` did when it stored the record: rebuilds the lists from records restored elsewhere."""
        if not value or key[:2] not in ("s:", "m:"):
            return
        article_id, stamp = key[2:], value.get("t", 0.0)
        keys = band_keys(frozenset(value["h"])) if key[:2] == "s:" else _story_keys(set(value["e"]))
        self._seen.clear()
        try:
            for list_key in keys:
                self._append(f"b:{list_key}" if key[:2] == "s:" else list_key, article_id, stamp)
        finally:
            self._seen.clear()

    def _check(self, article: Article, fp: Fingerprint | None) -> Verdict:
        now = _epoch(article.fetched_at)
        origin = _origin_key(article)
        recorded = self._fresh(f"a:{article.id}", now)
        if recorded is not None:
            if recorded.get("o") == origin:
                return Verdict(**{k: v for k, v in recorded.items() if k not in ("t", "o")})
            kind = "url" if article.fingerprints.get("url") else "content"
            return Verdict(True, article.id, kind, 1.0, str(recorded.get("story") or article.id))

        verdict = self._exact(article, now)
        if verdict is not None:  # an exact copy needs no fingerprint
            self._record(article, verdict, now, origin)
            return verdict
        fp = fp or fingerprint(article.title, article.body)
        verdict = self._near(article, fp, now)
        self._record(article, verdict, now, origin)
        if not verdict.duplicate:  # a duplicate's original already stands for its text
            self._remember(article, fp, now)
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

    def _near(self, article: Article, fp: Fingerprint, now: float) -> Verdict:
        best_id, best_sim, best_near = None, 0.0, False
        seen: set[str] = set()
        for band in fp.bands:
            for candidate_id, stamp in self._get(f"b:{band}") or []:
                if candidate_id in seen or candidate_id == article.id or now - stamp > self.config.ttl_seconds:
                    continue
                seen.add(candidate_id)
                stored = self._fresh(f"s:{candidate_id}", now)
                if stored is None:
                    continue
                sim, contained = overlap(fp.shingles, stored["h"])
                near = sim >= self.config.near_threshold or (
                    min(len(fp.shingles), len(stored["h"])) >= self.config.min_shingles_for_containment
                    and contained >= self.config.containment_threshold
                )
                if (near, sim) > (best_near, best_sim):
                    best_id, best_sim, best_near = candidate_id, sim, near
        if best_id is not None and best_near:
            return Verdict(True, best_id, "near", best_sim, self._story_of(best_id, now))
        if best_id is not None and best_sim >= self.config.story_threshold:
            return Verdict(False, None, None, best_sim, self._story_of(best_id, now))
        story = self._story_by_entities(article, fp, now)
        return Verdict(False, None, None, best_sim, story or article.id)

    def _story_by_entities(self, article: Article, fp: Fingerprint, now: float) -> str | None:
        """A separately written report of the same event: shared names, close dates, some shared wording."""
        names = _story_entities(article)
        if len(names) < self.config.story_min_entities:
            return None
        published = _epoch(article.published or article.fetched_at)
        best: tuple[int, float, str] | None = None
        seen: set[str] = set()  # a report sharing k names is listed under k(k-1)/2 pair keys: judge it once
        for key in _story_keys(names):
            for candidate_id, stamp in self._get(key) or []:
                if candidate_id in seen or candidate_id == article.id or now - stamp > self.config.ttl_seconds:
                    continue
                seen.add(candidate_id)
                meta = self._fresh(f"m:{candidate_id}", now)
                if meta is None or abs(meta["p"] - published) > self.config.story_window_seconds:
                    continue
                shared = len(names & set(meta["e"]))
                same_lang = meta["l"] == article.lang
                needed = self.config.story_min_entities if same_lang else self.config.story_min_entities_cross_language
                if shared < needed or (best is not None and shared < best[0]):
                    continue  # too few names, or fewer than the best so far: its text need not be read
                text = 0.0
                if same_lang:
                    stored = self._fresh(f"s:{candidate_id}", now)
                    text = overlap(fp.shingles, stored["h"])[0] if stored else 0.0
                    if text < self.config.story_min_text:
                        continue
                if best is None or (shared, text) > best[:2]:
                    best = (shared, text, candidate_id)
        return self._story_of(best[2], now) if best else None

    def _record(self, article: Article, verdict: Verdict, now: float, origin: str) -> None:
        """The verdict, with the raw message it was given for: a redelivery gets it again."""
        self._set(f"a:{article.id}", {**verdict.as_dict(), "t": now, "o": origin})

    def _remember(self, article: Article, fp: Fingerprint, now: float) -> None:
        """Store a new text's exact keys, names and shingles, and list it under its story pairs and bands."""
        for kind in ("url", "content"):
            key = article.fingerprints.get(kind)
            if key:
                self._set(f"{kind[0]}:{key}", {"id": article.id, "t": now})
        names = _story_entities(article)
        if len(names) >= self.config.story_min_entities:
            published = _epoch(article.published or article.fetched_at)
            self._set(f"m:{article.id}", {"e": sorted(names), "p": published, "l": article.lang, "t": now})
            for key in _story_keys(names):
                self._append(key, article.id, now)
        if not fp.shingles:
            return
        self._set(f"s:{article.id}", {"h": sorted(fp.shingles), "t": now})
        for band in fp.bands:
            self._append(f"b:{band}", article.id, now)

    def _append(self, key: str, article_id: str, now: float) -> None:
        entries = [e for e in (self._get(key) or []) if now - e[1] <= self.config.ttl_seconds and e[0] != article_id]
        entries.append([article_id, now])
        self._set(key, entries[-MAX_BAND_ENTRIES:])

    # ------------------------------------------------------------------------------------------ helpers

    def _get(self, key: str) -> Any:
        if key in self._seen:
            return self._seen[key]
        value = self._seen[key] = (self.index if key[:2] in LIST_PREFIXES else self.state).get(key)
        return value

    def _set(self, key: str, value: Any) -> None:
        (self.index if key[:2] in LIST_PREFIXES else self.state)[key] = self._seen[key] = value

    def _fresh(self, key: str, now: float) -> dict[str, Any] | None:
        value = self._get(key)
        if value is None:
            return None
        if now - value.get("t", now) > self.config.ttl_seconds:
            del self.state[key]
            self._seen[key] = None
            return None
        return dict(value)

    def _story_of(self, article_id: str, now: float) -> str:
        recorded = self._fresh(f"a:{article_id}", now)
        return str(recorded["story"]) if recorded and recorded.get("story") else article_id

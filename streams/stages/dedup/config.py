"""The dedup stage's thresholds and weights (chosen on the tuning half of the development sets: ``docs/dedup.md``)."""

from __future__ import annotations

from dataclasses import dataclass

from streams.stages.dedup.features import BODY_CHARS

__all__ = ["DedupConfig"]


@dataclass(frozen=True, slots=True)
class DedupConfig:
    near_threshold: float = 0.4  # Jaccard of 3-word shingles at or above which a copy is a duplicate
    containment_threshold: float = 0.6  # ... or this much of the shorter text inside the longer
    min_shingles_for_containment: int = 25
    copy_words: float = 0.6  # a report of the same story is an edited copy when this much of its words ...
    copy_shingles: float = 0.15  # ... and this much of its 3-word shingles are in the shorter text
    story_threshold: float = 0.2  # a text candidate this similar (but no copy) shares the story
    same_threshold: float = 0.26  # story score to join a story with reports in the article's language
    cross_threshold: float = 0.25  # ... with reports in other languages only (shared features alone)
    cross_min_shared: int = 2  # ... sharing at least this many uncommon entity ids and numbers with it
    # whether this index links stories across languages itself (dedup keyed by language: no, ``StoryLinks`` does)
    cross_language: bool = True
    # whether two stories that one report matches, and that match each other as a report would, are merged
    merge_stories: bool = True
    min_words: float = 0.15  # ... and no less than this similarity of the words alone
    shared_weight: float = 0.4  # weight of the shared features (entities, numbers) in a same-language score
    close_seconds: float = 1.5 * 24 * 3600.0  # reports within this of a story's are of its days
    story_window_seconds: float = 3 * 24 * 3600.0  # ... and none joins a story this far from its reports
    unknown_time: float = 0.7  # the time factor when a report or a story has no publication time
    body_chars: int = BODY_CHARS  # the start of the body the story step reads
    article_words: int = 100  # an article's heaviest words that stand for it
    lookup_words: int = 6  # lookup keys: an article's heaviest words of its language ...
    lookup_shared: int = 6  # ... and shared features
    common_share: float = 0.5  # no feature that more of the articles have is a lookup key or "uncommon"
    candidates: int = 8  # stories scored per article: those sharing the most lookup weight
    # a lookup key listing more stories than this within the time-to-live tells no event apart: it is no
    # longer read or written (its stories are found through their rarer keys), so no list grows with the state
    max_postings: int = 200
    prior_articles: float = 3.0  # document frequencies start as if this many articles had none of the words
    ttl_seconds: float = 7 * 24 * 3600.0

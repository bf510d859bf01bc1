"""The story step: online clustering of the reports of one event, in the line of Miranda et al. (EMNLP 2018,
"Multilingual Clustering of Streaming News") and the Europe Media Monitor's NewsBrief.

Each article is a unit vector of TF-IDF weights of its words, one of its shared features (entity ids,
numbers: ``features``), the frequencies learned from the stream (``termstats``). A **story** keeps, per
language, the sum of its reports' word vectors (the centroid, its ``STORY_WORDS`` heaviest words kept), the
sum of their shared vectors, and when its reports were published. An article joins the story that scores best
if that reaches the threshold, else it starts its own story:

- same language: ``(1 - shared_weight) * cos(words) + shared_weight * cos(shared)``, at ``same_threshold``;
- a story with no report in the article's language yet: ``cos(shared)`` alone, at ``cross_threshold``, with
  at least ``cross_min_shared`` uncommon shared features in common (entity ids and numbers do not depend on
  the language) and both publication times known;
- times the **time factor**: 1 while the article is within ``close_seconds`` of the story's reports (the same
  and the next day), falling to 0 at ``story_window_seconds``; ``unknown_time`` when either has no
  publication time (0 across languages).

When an article reaches more than one story, those that match its best story as an article would
(``story_similarity``) are merged into the one that started first (``StoryStep._merging``): an online
clustering's first reports of an event can start two stories that no single later report could join.

Single link (the best of a story's reports) was measured against the centroid: no better in publication
order, worse in file order, and it reads every report (``docs/dedup.md``).

**Candidates** come from an inverted index over the state's lists: each article is listed under its lookup
keys (``x:<lang>|<word>``, ``x:@<entity>``, ``x:#<number>``) with its story: its ``lookup_words`` heaviest words
and ``lookup_shared`` heaviest shared features, among those fewer than ``common_share`` of the articles have.
A feature half the stream names (Syria, the UN on a busy day) is never a key: it cannot tell events apart.
Nor is a key that already lists ``max_postings`` stories within the time-to-live: as a stopword learned from
the stream, its list becomes a marker that is neither read nor written until the time-to-live has passed
(``StoryStep._post``), so no list grows with the state, and none is cut short to keep only some of its
stories. The stories sharing the most key weight with the article are scored, ``candidates`` of them: the ones
that share its rarest words, so a busy topic does not push the right story out (``bench --stage dedup``
shows it on a stream with hot names: without the rule, recall fell and the step cost twice as much).
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from streams.stages.dedup.features import Bags
from streams.stages.dedup.termstats import DECIMALS, SHARED, TermStats, Weighed

__all__ = [
    "ArticleVectors",
    "StoryMatch",
    "merge_centroid",
    "score_story",
    "story_similarity",
    "time_factor",
    "vectors",
]

STORY_WORDS = 120  # words kept per language in a story's centroid
STORY_SHARED = 40  # shared features kept in a story's centroid
ARTICLE_SHARED = 20  # an article's heaviest shared features kept in its vector
SMALL_VECTOR = 24  # vectors of this many features or fewer are added to a centroid in plain Python


@dataclass(frozen=True, slots=True)
class ArticleVectors:
    lang: str
    words: dict[str, float]
    shared: dict[str, float]
    word_slots: list[int]  # count slots of its words and of its shared features (``termstats``)
    shared_slots: list[int]
    keys: list[str]  # its lookup keys
    key_weights: list[float]  # their weights in the article
    rare: frozenset[str]  # its shared features that fewer than ``common_share`` of the articles have
    known_words: bool  # enough articles of its language are counted to tell its telling words


@dataclass(frozen=True, slots=True)
class StoryMatch:
    story: str
    score: float
    cross: bool  # joined through shared features alone (no report in its language)
    also: tuple[str, ...] = ()  # the other stories the article reached the threshold of, most similar first


def vectors(
    stats: TermStats,
    lang: str,
    bags: Bags,
    lookup_words: int,
    lookup_shared: int,
    common_share: float,
    keep_words: int,
) -> ArticleVectors:
    # the count slots the parse stage made, those of the words if made for this language
    words = stats.weigh(lang, bags.words, keep_words, bags.word_slots if bags.lang == lang else None)
    shared = stats.weigh(SHARED, bags.shared, ARTICLE_SHARED, bags.shared_slots)
    keys = _keys(words, lookup_words, common_share, f"x:{lang}|") + _keys(shared, lookup_shared, common_share, "x:")
    key_weights = [w for _, w in keys]
    rare = frozenset(f for f, s in zip(shared.features, shared.shares, strict=True) if s < common_share)
    return ArticleVectors(
        lang,
        dict(zip(words.features, words.weights, strict=True)),
        dict(zip(shared.features, shared.weights, strict=True)),
        sorted(set(words.slots)),
        sorted(set(shared.slots)),
        [k for k, _ in keys],
        key_weights,
        rare,
        stats.docs[lang] >= stats.min_docs_for_share,
    )


def _keys(weighed: Weighed, count: int, common_share: float, prefix: str) -> list[tuple[str, float]]:
    """The lookup keys of one bag and their weights: its heaviest ``count`` features that fewer than
    ``common_share`` of the articles have (every feature while few articles are counted)."""
    usable = (
        (prefix + f, w)
        for f, w, s in zip(weighed.features, weighed.weights, weighed.shares, strict=True)
        if s < common_share
    )
    return list(itertools.islice(usable, count))


def dot(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    return sum([a[k] * b[k] for k in a.keys() & b.keys()])  # the shared features only: few, but for a match


def time_factor(
    published: float | None, first: float | None, last: float | None, close: float, window: float, unknown: float
) -> float:
    if published is None or first is None or last is None:
        return unknown
    gap = max(0.0, first - published, published - last)
    if gap <= close:
        return 1.0
    return max(0.0, 1.0 - (gap - close) / max(window - close, 1.0))


def score_story(
    article: ArticleVectors, story: Mapping[str, Any], shared_weight: float, cross_min_shared: int, min_words: float
) -> tuple[float, bool]:
    """The similarity of an article and a story (before the time factor), and whether it is cross-language.
    Across languages at least ``cross_min_shared`` of the article's uncommon shared features must be the
    story's: one name, however rare, is a topic (a city, its soap), not an event. In the same language the
    words must reach ``min_words`` whatever the names (a report that names a minister in passing is not
    about his meeting) once the language's word frequencies are known: before, every word of a report
    weighs alike and two reports of one event share few of them."""
    shared_norm = story.get("en") or 0.0
    shared = dot(article.shared, story["e"]) / shared_norm if shared_norm else 0.0
    centroid = story["w"].get(article.lang)
    if centroid is None:
        if sum(1 for f in article.rare if f in story["e"]) < cross_min_shared:
            return 0.0, True
        return shared, True
    words = dot(article.words, centroid) / story["wn"][article.lang]
    if words < min_words and article.known_words:  # in one language the wording must agree too
        return 0.0, False
    return (1.0 - shared_weight) * words + shared_weight * shared, False


def story_similarity(
    a: Mapping[str, Any], b: Mapping[str, Any], shared_weight: float, min_words: float
) -> tuple[float, bool]:
    """The similarity of two stories by the rules of an article joining a story: in a language both have, the
    blend of their centroids' cosine (the closest of their common languages) and their shared vectors' (0 if
    the words stay under ``min_words``); with no language in common, the shared vectors' alone (cross-language:
    True)."""
    a_norm, b_norm = a.get("en") or 0.0, b.get("en") or 0.0
    shared = dot(a["e"], b["e"]) / (a_norm * b_norm) if a_norm and b_norm else 0.0
    languages = a["w"].keys() & b["w"].keys()
    if not languages:
        return shared, True
    words = max(
        (dot(a["w"][lang], b["w"][lang]) / (a["wn"][lang] * b["wn"][lang]) if a["wn"][lang] and b["wn"][lang] else 0.0)
        for lang in sorted(languages)
    )
    if words < min_words:
        return 0.0, False
    return (1.0 - shared_weight) * words + shared_weight * shared, False


def merge_centroid(
    centroid: Mapping[str, float], vector: Mapping[str, float], keep: int
) -> tuple[dict[str, float], float]:
    """``centroid + vector`` (each sum to ``DECIMALS`` decimals, as the weights), its ``keep`` heaviest
    features, and the norm of what is kept. A word vector (about 100 features) is added in numpy; a few shared
    features in Python."""
    merged = dict(centroid)
    if len(vector) <= SMALL_VECTOR:
        get = merged.get
        for feature, weight in vector.items():
            merged[feature] = round(get(feature, 0.0) + weight, DECIMALS)
    else:
        names = list(vector)
        sums = np.fromiter(map(merged.get, names, itertools.repeat(0.0)), dtype=np.float64, count=len(names))
        sums += np.fromiter(vector.values(), dtype=np.float64, count=len(names))
        merged.update(zip(names, np.round(sums, DECIMALS).tolist(), strict=True))  # as round(), but at exact ties
    if len(merged) > keep:
        names = list(merged)
        weights = np.fromiter(merged.values(), dtype=np.float64, count=len(names))
        heaviest = np.argsort(-weights, kind="stable")[:keep]  # the heaviest first, ties in their order
        merged = dict(zip([names[i] for i in heaviest.tolist()], weights[heaviest].tolist(), strict=True))
    values = list(merged.values())
    return merged, math.sqrt(math.fsum(map(operator.mul, values, values)))

"""Document frequencies learned from the stream: how many stored articles have each word or shared feature.

The counts are those of the article records (``v:``) in the dedup state: each record lists the count slots of
its features, a new record adds one to each, a record removed for its age takes one off. So they are a
function of the records alone, as the candidate lists are, and can be rebuilt from them in any order: the
index rebuilds them (one pass over the ``v:`` records) when the generation number stored beside the records
(``z:terms``, changed with every record added or removed) is not the one they were counted for, that is on a
worker's first article and after its state was restored or changed elsewhere.

The counts live in memory in a fixed array (``SLOTS`` counters, 8 MiB): a feature's slot is a CRC-32 of its
language and text. Two features may share a slot; for a rare feature that means a slightly higher count. The
memory does not grow with the stream. A word's frequency is counted among the articles of its language (so
the words every article of a language has, its function words, weigh nothing, whatever the mix of languages);
a shared feature's among all articles.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["DECIMALS", "SHARED", "SLOTS", "TermStats", "Weighed", "feature_slots"]

SLOTS = 1 << 21
_MASK = SLOTS - 1
SHARED = ""  # the "language" of the shared features: counted among all articles
MAX_CACHED = 200_000  # feature slots remembered (most words of a stream recur): about 20 MB at most
SMALL_BAG = 24  # bags of this many features or fewer are weighed in plain Python
DECIMALS = 4  # a weight's precision: a fifth less to store than at full precision, and no verdict changes


def feature_slots(lang: str, features: Iterable[str]) -> list[int]:
    """The count slots of ``features`` of ``lang`` (``SHARED`` for the shared ones): a CRC-32 of each, seeded
    with the language. The parse stage sends them with the bags, so the dedup instance need not make them."""
    seed = zlib.crc32(f"{lang}\x1f".encode())
    return [zlib.crc32(feature.encode(), seed) & _MASK for feature in features]


@dataclass(frozen=True, slots=True)
class Weighed:
    """One bag of an article weighed: its heaviest features, their unit-length weights and how common they
    are, and the count slots of all its features."""

    features: list[str]
    weights: list[float]
    shares: list[float]  # the share of the counted articles (of its language) that have each feature
    slots: list[int]


class TermStats:
    def __init__(self, prior: float = 10.0, min_docs_for_share: int = 40) -> None:
        self.prior = prior
        self.min_docs_for_share = min_docs_for_share  # fewer counted articles tell no common feature
        self.counts = np.zeros(SLOTS, dtype=np.uint32)
        self.docs: Counter[str] = Counter()  # articles per language, and all of them under SHARED
        self.generation: int | None = None  # of the records counted (None: not counted yet)
        self._slots: dict[str, dict[str, int]] = {}  # per language: feature -> slot, for the recurring ones
        self._cached = 0

    def slots(self, lang: str, features: Iterable[str]) -> list[int]:
        cache = self._slots.get(lang)
        if cache is None:
            cache = self._slots[lang] = {}
        names = features if isinstance(features, list) else list(features)
        out = list(map(cache.get, names))
        if None in out:
            missing = [i for i, slot in enumerate(out) if slot is None]
            for i, slot in zip(missing, feature_slots(lang, [names[i] for i in missing]), strict=True):
                out[i] = cache[names[i]] = slot
            self._cached += len(missing)
        if self._cached > MAX_CACHED:
            self._slots.clear()
            self._cached = 0
        return out  # type: ignore[return-value]  # no None left

    def weigh(self, lang: str, counts: Mapping[str, float], keep: int, slots: list[int] | None = None) -> Weighed:
        """TF-IDF weights of one bag, ``(1 + ln tf) * idf`` with the probabilistic idf of BM25,
        ``ln(1 + (N - df + 0.5) / (df + 0.5))``, over the ``N`` articles counted for ``lang`` and ``prior``
        more that have none of the features: near 0 for a feature every article has once many are counted,
        and while few are, no feature weighs much more than another (one article in, every word of it would
        otherwise look common). The ``keep`` heaviest features are kept, scaled to unit length, each weight to
        ``DECIMALS`` decimals (as a story sums them and a text's record keeps them). ``slots``: the features'
        count slots when they came with them (``feature_slots``), else they are looked up here."""
        if slots is None:
            slots = self.slots(lang, counts)
        if not slots:
            return Weighed([], [], [], [])
        if len(slots) <= SMALL_BAG:
            return self._weigh_small(lang, counts, keep, slots)
        index = np.asarray(slots, dtype=np.int64)
        docs = float(self.docs[lang])
        n = docs + self.prior
        df = np.minimum(self.counts[index].astype(np.float64), n)
        values = np.log1p((n - df + 0.5) / (df + 0.5))
        values *= 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(slots)))
        order = np.argsort(-values, kind="stable")[:keep]
        kept = values[order]
        norm = float(np.sqrt(np.dot(kept, kept)))
        if norm == 0.0:
            return Weighed([], [], [], slots)
        names = list(counts)
        shares = (df[order] / docs).tolist() if docs >= self.min_docs_for_share else [0.0] * len(order)
        weights = np.round(kept / norm, DECIMALS).tolist()
        return Weighed([names[i] for i in order.tolist()], weights, shares, slots)

    def _weigh_small(self, lang: str, counts: Mapping[str, float], keep: int, slots: list[int]) -> Weighed:
        """``weigh`` for a few features (the shared ones): the same figures in plain Python, which is faster
        than numpy's per-call cost at this size."""
        docs = float(self.docs[lang])
        n = docs + self.prior
        dfs = [min(float(c), n) for c in self.counts.take(slots).tolist()]
        values = [
            math.log1p((n - df + 0.5) / (df + 0.5)) * (1.0 + math.log(tf))
            for df, tf in zip(dfs, counts.values(), strict=True)
        ]
        order = sorted(range(len(values)), key=lambda i: -values[i])[:keep]  # stable, as argsort's
        kept = [values[i] for i in order]
        norm = math.sqrt(math.fsum(v * v for v in kept))
        if norm == 0.0:
            return Weighed([], [], [], slots)
        names = list(counts)
        shares = [dfs[i] / docs for i in order] if docs >= self.min_docs_for_share else [0.0] * len(order)
        return Weighed([names[i] for i in order], [round(v / norm, DECIMALS) for v in kept], shares, slots)

    def add(self, lang: str, word_slots: Iterable[int], shared_slots: Iterable[int], sign: int = 1) -> None:
        """Count one article (``sign`` -1: take it off) from the slots of its features (each once)."""
        for group in (word_slots, shared_slots):
            slots = np.fromiter(group, dtype=np.int64)
            if sign > 0:
                self.counts[slots] += 1
            else:
                current = self.counts[slots]
                self.counts[slots] = current - (current > 0)
        self.docs[lang] += sign
        self.docs[SHARED] += sign

    def reset(self) -> None:
        self.counts[:] = 0
        self.docs.clear()
        self.generation = None

"""What the story step compares: an article's words, and what does not depend on its language.

An article becomes two sparse bags of weighted features, from its title and the start of its body:

- **words** of its own language: folded (``textnorm.fold``); Arabic-script words without their clitics (the
  light stemming of Larkey et al. 2002: a conjunction, preposition or the article in front, a pronoun or
  plural ending behind); other words cut to their first ``PREFIX`` letters, which joins the forms of a word
  in the languages that inflect by endings (Russian, Turkish, German...) without a stemmer per language.
  Words shorter than three letters are left out; the scripts written without spaces (Chinese, Japanese, Thai)
  come as overlapping character bigrams (``textnorm.words``). There is no stopword list: how common a word is
  comes from the stream (``termstats``) and weighs it down.
- **shared** features, the same in every language: the tagger's entity ids (countries too, weighted like any
  feature: how common they are decides their weight) and numbers of two to four digits (days, years, counts).

Title words count ``TITLE_WEIGHT`` times. Counts are raw here; ``termstats`` turns them into TF-IDF weights.

The parse stage makes the bags (it scales with the raw partitions) and sends them with the article in a header
(``encode_bags``), as it does the fingerprint, with the count slot of each feature (``with_slots``); the dedup
instance reads them (``decode_bags``) and makes them itself only when the header is missing, of another scheme
or for another text.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import orjson

from streams.stages.dedup.fingerprint import text_digest
from streams.stages.dedup.termstats import SHARED, SLOTS, feature_slots
from streams.stages.textnorm import cached_map, fold, unsegmented, words

__all__ = [
    "BAGS_SCHEME",
    "BODY_CHARS",
    "UNKNOWN_LANG",
    "Bags",
    "bags",
    "decode_bags",
    "encode_bags",
    "stem",
    "with_slots",
]

BODY_CHARS = 1200  # the start of the body: the lead carries the story (the same figures from 1000 to 4000)
PREFIX = 5  # 4 and 5 the best on the tuning half, 6 and 7 a little less, no cut the least
TITLE_WEIGHT = 3
MIN_WORD = 3
_ARABIC_LETTER = re.compile("[\u0600-\u06ff]")
# Larkey's light10 (after folding, which already maps taa marbuta to heh and alef maqsura to yeh)
_AR_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
_AR_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")
_AR_FINAL_VOWELS = "اهي"  # a foreign name's last vowel is written either way: أستانا, أستانة
_NUMBER = re.compile(r"(\d{1,4})[^\W\d_]{0,3}")  # 21, 21st, 22nd, 21e, 5th: the number
_FEATURES: dict[str, str] = {}  # folded word -> its feature: most words of a stream recur
MAX_CACHED = 100_000  # folded words remembered with their feature: about 15 MB at most
UNKNOWN_LANG = "und"  # the words' language of an article without one
# The header's scheme: bump the version with any change the parameters do not show (``fold``, ``stem``, the
# hash of ``termstats.feature_slots``; the header holds the slot count itself).
BAGS_SCHEME = f"2|{BODY_CHARS}|{PREFIX}|{TITLE_WEIGHT}|{MIN_WORD}"


def stem(word: str) -> str:
    """The matching form of one folded word (see the module's docstring)."""
    if _ARABIC_LETTER.match(word):
        if len(word) > 3 and word[0] == "و":
            word = word[1:]
        for prefix in _AR_PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 2:
                word = word[len(prefix) :]
                break
        for suffix in _AR_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 2:
                word = word[: -len(suffix)]
        if len(word) > 3 and word[-1] in _AR_FINAL_VOWELS:
            word = word[:-1]
        return word
    return word[:PREFIX]


@dataclass(frozen=True, slots=True)
class Bags:
    words: dict[str, float]  # language words: counts, title words weighted
    shared: dict[str, float]  # "@<entity id>" and "#<number>": the same in any language
    # the count slots of the features, in their order (``termstats.feature_slots``), those of the words for
    # the language ``lang``: made in the parse stage, so the one dedup instance need not; None: not made
    lang: str | None = None
    word_slots: list[int] | None = None
    shared_slots: list[int] | None = None


def bags(title: str, body: str, tags: dict[str, Any] | None = None, body_chars: int = BODY_CHARS) -> Bags:
    counts = Counter(_features(words(fold(body[:body_chars]))))
    for feature in _features(words(fold(title))):
        counts[feature] += TITLE_WEIGHT
    counts.pop("", None)
    shared: dict[str, float] = {f: counts.pop(f) for f in [f for f in counts if f[0] == "#"]}
    for entity in (tags or {}).get("entities", []):
        count = TITLE_WEIGHT * int(entity.get("title", 0)) + int(entity.get("body", 0))
        if count > 0:
            key = "@" + str(entity["id"])
            shared[key] = shared.get(key, 0) + count
    return Bags(dict(counts), shared)


def with_slots(found: Bags, lang: str | None) -> Bags:
    """``found`` with the count slots of its features, its words' for ``lang`` (``UNKNOWN_LANG`` if None)."""
    lang = lang or UNKNOWN_LANG
    return Bags(found.words, found.shared, lang, feature_slots(lang, found.words), feature_slots(SHARED, found.shared))


def _features(words: list[str]) -> list[str]:
    return cached_map(_feature, words, _FEATURES, MAX_CACHED)


def _feature(word: str) -> str:
    """The feature a folded word stands for: ``#<number>``, a stemmed word, or "" (none)."""
    if word[0].isdigit():
        number = _NUMBER.fullmatch(word)
        if number and len(value := number.group(1).lstrip("0")) >= 2:
            return "#" + value
        if number or word.isdigit():
            return ""
    if len(word) < MIN_WORD and not unsegmented(word):  # a bigram of a script without spaces is a term
        return ""
    term = stem(word)
    return term if len(term) >= 2 else ""


def encode_bags(found: Bags, title: str, body: str) -> bytes:
    """``found`` (made from ``title`` and ``body`` with the default ``body_chars``) as header bytes."""
    value: dict[str, Any] = {"v": BAGS_SCHEME, "d": text_digest(title, body).hex(), "w": found.words, "s": found.shared}
    if found.lang is not None and found.word_slots is not None and found.shared_slots is not None:
        value.update(l=found.lang, n=SLOTS, ws=found.word_slots, ss=found.shared_slots)
    return orjson.dumps(value)


def decode_bags(data: bytes, title: str, body: str) -> Bags | None:
    """The bags in header bytes, or None when they are of another scheme, for another text or unreadable; their
    count slots where they are there and fit (ints within ``SLOTS``, one per feature)."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if (
        not isinstance(value, dict)
        or value.get("v") != BAGS_SCHEME
        or value.get("d") != text_digest(title, body).hex()
        or not isinstance(value.get("w"), dict)
        or not isinstance(value.get("s"), dict)
    ):
        return None
    words, shared, lang = value["w"], value["s"], value.get("l")
    word_slots, shared_slots = value.get("ws"), value.get("ss")
    if isinstance(lang, str) and value.get("n") == SLOTS and _fit(word_slots, words) and _fit(shared_slots, shared):
        return Bags(words, shared, lang, word_slots, shared_slots)
    return Bags(words, shared)


def _fit(slots: Any, bag: dict[str, Any]) -> bool:
    """Whether ``slots`` can be the count slots of ``bag``'s features."""
    if not isinstance(slots, list) or len(slots) != len(bag):
        return False
    return not slots or (set(map(type, slots)) == {int} and min(slots) >= 0 and max(slots) < SLOTS)

"""Language identification, offline, with lingua limited to the languages our feeds carry.

The script decides the candidates first: Arabic script is one of Arabic, Persian, Urdu or Kurdish (lingua
tells them apart), Latin script one of English, Turkish, French, German, Italian, Portuguese or Spanish;
Cyrillic here is Russian and Hebrew script Hebrew without a model. Smaller candidate sets make lingua both
faster (it scores each candidate) and more accurate on short headlines.

Arabic-script text of 60 letters or more that uses none of the letters Persian, Urdu and Kurdish add to the
alphabet is Arabic without asking lingua (as Cyrillic is Russian): that skips about 0.4 ms for most of our
traffic. Any such letter, or a shorter text, goes to lingua.

Accuracy mode (``STREAMS_LANGID_ACCURACY``, set once by the worker through ``set_accuracy``): ``low``, the
default, loads only lingua's trigram models, 16 MB for the eleven languages instead of 263 MB for the 1- to
5-gram models of ``high``. Over 280 real feed items and 126 labelled articles both modes gave the same
answer for every title-plus-body sample; on headlines alone ``low`` got 3 of 126 short English titles wrong
(as Spanish or French), ``high`` none. Short samples therefore lean on the feed's declared language: under
120 characters a hint that lingua does not rule out wins.

First pass (pycld2, Google's compact language detector, compiled, its model inside the wheel): it reads the
first 300 characters and answers when it is sure (its own "reliable" flag and 80% of the text in one language)
of one of our languages and the declared language, if any, agrees; anything else (unsure, another language,
a hint it contradicts, input it refuses: control characters and noncharacters) goes the way above. On the dev
items it is about a quarter of the CPU and gets more titles right (English headlines the trigram models took
for French); docs/parsing.md has the numbers. It alone answers the further languages the tagger reads
(``FIRST_PASS_ONLY``: Dutch, Polish, Ukrainian, Greek, Chinese, Hindi, Swedish...), which the rules above cannot
tell (they would make Dutch German and Ukrainian Russian); from a short Latin-script sample only as declared.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import pycld2

__all__ = ["FIRST_PASS_ONLY", "KNOWN", "SUPPORTED", "detect_language", "set_accuracy"]

ARABIC_SCRIPT = ("ar", "fa", "ur", "ku")
LATIN_SCRIPT = ("en", "tr", "fr", "de", "it", "pt", "es")
SUPPORTED = (*ARABIC_SCRIPT, *LATIN_SCRIPT, "ru", "he")
# Further languages the tagger reads (cue words, or the names of countries or of Syria) that pycld2 may answer when
# it is sure of them; the script rules and lingua know only ``SUPPORTED`` (they would make Dutch German, Ukrainian
# Russian, and leave Chinese to the feed's word).
FIRST_PASS_ONLY = (
    *("nl", "pl", "uk", "el", "bg", "id", "ms", "sv", "da", "nb", "fi", "cs", "sk", "hu", "ro", "hr", "sr", "sl"),
    *("lt", "lv", "et", "ca", "az", "kk", "sq", "mk", "vi", "sw", "ha", "uz"),
    *("zh", "ja", "ko", "hi", "bn", "ta", "mr", "ne", "pa", "gu", "th", "ka", "hy", "ps"),
)
KNOWN = (*SUPPORTED, *FIRST_PASS_ONLY)

_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
# Letters Persian, Urdu or Kurdish add to the Arabic alphabet (پ چ ژ گ ک ی ۀ ٹ ڈ ڑ ں ھ ہ ے ە ێ ۆ ڵ ڕ ڤ):
# running Arabic-script text with none of them is Arabic, and lingua is asked only when one appears.
_NOT_ARABIC_ONLY = re.compile(
    "[\u067e\u0686\u0698\u06af\u06a9\u06cc\u06c0\u0679\u0688\u0691\u06ba\u06be\u06c1"
    "\u06d2\u06d5\u06ce\u06c6\u06b5\u0695\u06a4]"
)
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_HEBREW = re.compile("[\u0590-\u05ff]")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")
SHORT_SAMPLE = 120  # characters; below this lingua's trigram evidence is thin, a declared language helps
LINGUA_SAMPLE = 240  # characters given to lingua: enough for its trigrams, and its time grows with length
CLD2_SAMPLE = 300  # characters given to pycld2
CLD2_MIN_PERCENT = 80  # share of the sample pycld2 must give one language (mixed text goes to the script rules)
_CLD2_CODES = {"iw": "he", "no": "nb", "zh-Hant": "zh"}  # CLD2's codes for ours (Norwegian: Bokmål, as CLDR)

_mode = {"accuracy": "low"}


def set_accuracy(accuracy: str) -> None:
    """``low`` (trigram models only) or ``high`` (all n-gram models); takes effect for the next detection."""
    if accuracy not in ("low", "high"):
        raise ValueError(f"accuracy must be 'low' or 'high', got {accuracy!r}")
    if accuracy != _mode["accuracy"]:
        _mode["accuracy"] = accuracy
        _detector.cache_clear()


@lru_cache(maxsize=4)
def _detector(codes: tuple[str, ...]) -> Any:
    """One lingua detector per candidate set, in the accuracy mode set now."""
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = []
    for code in codes:
        try:
            languages.append(Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())))
        except (AttributeError, ValueError):
            continue
    builder = LanguageDetectorBuilder.from_languages(*languages).with_minimum_relative_distance(0.0)
    if _mode["accuracy"] == "low":
        builder = builder.with_low_accuracy_mode()
    return builder.build()


def _cld2(sample: str) -> tuple[str, float] | None:
    """pycld2's language for ``sample`` when it is sure and the language is one of ours, else None."""
    try:
        reliable, _, details = pycld2.detect(sample.encode("utf-8", "replace"), isPlainText=True, bestEffort=False)
    except pycld2.error:  # CLD2 refuses control characters and noncharacters as invalid UTF-8
        return None
    if not reliable:
        return None
    _, code, percent, _ = details[0]
    code = _CLD2_CODES.get(code, code)
    if code not in KNOWN or percent < CLD2_MIN_PERCENT:
        return None
    return (code, percent / 100)


def _short_latin(sample: str) -> bool:
    """Whether ``sample`` is shorter than ``SHORT_SAMPLE`` and mostly Latin letters (a few words of a script
    with more to tell, Chinese, Greek, Ukrainian, say more)."""
    return len(sample) < SHORT_SAMPLE and 2 * len(_LATIN.findall(sample)) > len(sample)


def detect_language(text: str, hint: str | None = None, *, first_pass: bool = True) -> tuple[str, float]:
    """``(ISO 639-1 code, confidence)``; ``("und", 0.0)`` when there is nothing to go on. ``first_pass=False``
    skips pycld2 (the script rules and lingua alone: what the evaluation compares against)."""
    sample = " ".join(text.split())[:400]
    if first_pass and sample:
        found = _cld2(sample[:CLD2_SAMPLE])
        # a further language from a short Latin-script sample only as declared: CLD2 took a few English headlines
        # for Indonesian, a German one for Danish
        short = found is not None and found[0] in FIRST_PASS_ONLY and _short_latin(sample)
        if found is not None and (hint == found[0] or (hint is None and not short)):
            return (found[0], round(found[1], 3))
    counts = {
        "arabic": len(_ARABIC.findall(sample)),
        "latin": len(_LATIN.findall(sample)),
        "cyrillic": len(_CYRILLIC.findall(sample)),
        "hebrew": len(_HEBREW.findall(sample)),
    }
    script, letters = max(counts.items(), key=lambda kv: kv[1])
    if letters < 3:
        return (hint or "und", 0.0)
    if script == "cyrillic":
        return ("ru", round(letters / max(1, sum(counts.values())), 3))
    if script == "hebrew":
        return ("he", round(letters / max(1, sum(counts.values())), 3))
    arabic_only = hint not in ("fa", "ur", "ku")  # Persian typed with Arabic ي and ك: let lingua and the hint decide
    if script == "arabic" and arabic_only and letters >= SHORT_SAMPLE // 2 and not _NOT_ARABIC_ONLY.search(sample):
        return ("ar", round(letters / max(1, sum(counts.values())), 3))
    candidates = ARABIC_SCRIPT if script == "arabic" else LATIN_SCRIPT
    values = _detector(candidates).compute_language_confidence_values(sample[:LINGUA_SAMPLE])
    if not values:
        return (hint or "und", 0.0)
    best = values[0]
    code = best.language.iso_code_639_1.name.lower()
    confidence = float(best.value)
    if hint and hint != code:
        hinted = next((v for v in values[:3] if v.language.iso_code_639_1.name.lower() == hint), None)
        if hinted is not None and (confidence < 0.5 or (len(sample) < SHORT_SAMPLE and hinted.value > 0)):
            return (hint, round(float(hinted.value), 3))
    return (code, round(confidence, 3))

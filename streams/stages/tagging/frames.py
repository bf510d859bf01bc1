"""Headline clauses: who does what in a headline, from the order of its hits.

A headline usually names its core event as one clause: *France and Britain say the UN must ...*, *روسيا تدعو
...*, *Damascus forms a committee ...*. The route stage needs to know what kind of act the clause is (a
statement, a call, a condemnation, the founding of a body) and who performs it (a foreign state, a Syrian
body, an army), because the same words mean different things with different actors.

Acts come from the signal topics' ``act`` (``streams/data/signals.yaml``): ``directive`` (urge, call for,
demand), ``assertive`` (say, state), ``expressive`` (condemn, welcome), ``establish`` (form a committee);
``deontic`` marks modals (must, should, يجب) that turn a plain statement into a demand. A short name and a
colon (*Erdogan: ...*) is a statement too.

The subject is found without a parser, in a way that holds for the languages we read: the named entities
shortly before the verb (SVO in English, French, Russian and Arabic nominal headlines: at most three words
between, so that in *X explains why Y abstained on a resolution that condemns Z* the condemner is not X or Y);
for a Turkish or Persian verb (SOV: the object stands between subject and verb) the headline's first name and
names joined to it; when none precede an Arabic verb, the first entity within a few words after it (Arabic
VSO: دعت روسيا).
A conflict term next to a subject's name (*Russian military*, *الجيش التركي*) marks that subject as armed.
"""

from __future__ import annotations

from typing import Any

from streams.stages.tagging.lexicon import Hit, Lexicon
from streams.stages.textnorm import fold

__all__ = ["SPEECH_ACTS", "headline_clauses", "quote_mark"]

SPEECH_ACTS = frozenset({"directive", "assertive", "expressive"})
_CLAUSE_ACTS = SPEECH_ACTS | {"establish"}
_VSO_WINDOW = 3  # words after an Arabic-script verb where its subject may stand
_SVO_WINDOW = 3  # words between a subject and its verb
_SOV_LANGS = frozenset({"tr", "fa"})
_JOINERS = frozenset({"", "ve", "ile", "و", "and", "et", "и"})  # words that join two names into one subject
MAX_CLAUSES = 3
_QUOTE = "quote"  # the colon of a quoted headline, standing for "says"
_QUOTE_WORDS = 4  # a speaker's name before a colon is at most this many words


def quote_mark(title: str, folded_title: str) -> int | None:
    """Where the speaker ends in a quoted headline (*Erdogan: Assad must go*, *لافروف: ...*): the folded
    length of a short name before a colon, or None."""
    head, colon, rest = title.partition(":")
    if not colon or not rest.strip():
        return None
    key = fold(head)
    if not key or key.count(" ") >= _QUOTE_WORDS or not folded_title.startswith(key):
        return None
    return len(key)


def headline_clauses(
    folded_title: str, hits: list[Hit], lexicon: Lexicon, quote: int | None = None
) -> list[dict[str, Any]]:
    """The acts in a folded headline with their subjects, in headline order (at most ``MAX_CLAUSES``).

    ``quote`` (from :func:`quote_mark`) adds the quoted statement after a speaker's name and colon, as a
    plain statement (an ``assertive`` act).
    """
    signals = lexicon.signals
    acts = [h for h in hits if not h.is_entity and signals[h.ref].act in _CLAUSE_ACTS]
    if quote is not None and not any(h.end <= quote for h in acts):
        acts.append(Hit(_QUOTE, False, quote, quote, ":", lang="quote"))
    if not acts:
        return []
    acts.sort(key=lambda h: h.start)
    entities = sorted((h for h in hits if h.is_entity), key=lambda h: h.start)
    armed = [h for h in hits if not h.is_entity and signals[h.ref].kind == "conflict"]
    modals = [h for h in hits if not h.is_entity and signals[h.ref].act == "deontic"]
    clauses = []
    for verb in acts[:MAX_CLAUSES]:
        before = [e for e in entities if e.end <= verb.start]
        if verb.lang in _SOV_LANGS:
            speakers = _first_group(folded_title, before)
        else:
            speakers = [e for e in before if folded_title.count(" ", e.end, verb.start) <= _SVO_WINDOW + 1]
        side = [h for h in armed if h.end <= verb.start]
        if not speakers and verb.lang == "ar":
            speakers = _after(folded_title, verb, entities)
            side = [h for h in armed if h.start >= verb.end]
        clauses.append(
            {
                "act": "assertive" if verb.ref == _QUOTE else signals[verb.ref].act,
                "topic": verb.ref,
                "verb": folded_title[verb.start : verb.end],
                "speakers": sorted({e.ref for e in speakers}),
                "armed": sorted({e.ref for e in speakers if any(_near(folded_title, e, h) for h in side)}),
                "deontic": any(m.start >= verb.end for m in modals),
            }
        )
    return clauses


def _first_group(text: str, before: list[Hit]) -> list[Hit]:
    """SOV: the headline's first name and those joined to it (*Rusya ve Türkiye*), not names in the object."""
    group = before[:1]
    for entity in before[1:]:
        if text[group[-1].end : entity.start].strip() not in _JOINERS:
            break
        group.append(entity)
    return group


def _after(text: str, verb: Hit, entities: list[Hit]) -> list[Hit]:
    """Arabic VSO: the first entity within a few words after the verb is its subject."""
    for entity in entities:
        if entity.start >= verb.end:
            return [entity] if text.count(" ", verb.end, entity.start) <= _VSO_WINDOW else []
    return []


def _near(text: str, entity: Hit, armed: Hit) -> bool:
    """An army word next to a speaker's name, at most one word apart: *Russian military*, *US-led
    coalition*, *الجيش التركي*. Then the speaker is that army, not the state's diplomacy."""
    if armed.end <= entity.start:
        return text.count(" ", armed.end, entity.start) <= 2
    if entity.end <= armed.start:
        return text.count(" ", entity.end, armed.start) <= 2
    return True

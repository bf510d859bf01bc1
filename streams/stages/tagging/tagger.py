"""The tag stage: entities, places and topic signals found in an article, with where they were found.

Pure: ``tag(title, body, lexicon)`` returns plain data for ``Article.tags``. The decisions (is it about
Syria, is it diplomatic) are the route stage's job (``streams.stages.routing.decide``), made from these tags.

An article without a title (a feed item with only a description, a scraped lead paragraph) has its lead
sentence read as the headline, wherever the headline counts: its hits are headline hits and its clauses the
headline's clauses (``tags["lead_as_headline"]`` says so). Words that scraping ran together are split where a
lower-case letter meets a capital (*DamascusForeign* -> *Damascus Foreign*), so that a name inside is found.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from streams.stages.tagging.frames import headline_clauses, quote_mark
from streams.stages.tagging.lexicon import Hit, Lexicon, default_lexicon
from streams.stages.textnorm import fold

__all__ = ["tag"]

MAX_TERMS_PER_ITEM = 3
BODY_CHARS = 20_000  # what matching reads of a body; the lead carries the story
LEAD_CHARS = 300  # the longest lead sentence read as a headline; a longer one is cut at a word
LEAD_MIN_CHARS = 20  # a sentence end before this is an abbreviation or a dateline, not the lead's end
# a sentence ends at . ! ? (and their Arabic, Devanagari and CJK forms) followed by a space, or at a line end
_SENTENCE_END = re.compile(r"[.!?\u061f\u06d4\u0964\u3002\uff01\uff1f](?=\s)|\n")
_RUN_TOGETHER = re.compile(r"([a-z\u00df-\u00ff\u0430-\u044f])([A-Z\u00c0-\u00de\u0410-\u042f])")
_CASE_MASK = bytes(  # Windows-1251 bytes: lower-case letters to a, capitals to A, anything else to a space
    ord("a") if char.islower() else ord("A") if char.isupper() else ord(" ")
    for char in (bytes([i]).decode("cp1251", "replace") for i in range(256))
)


def tag(title: str, body: str, lexicon: Lexicon | None = None) -> dict[str, Any]:
    lexicon = lexicon or default_lexicon()
    lead_as_headline = not title.strip()
    if lead_as_headline:
        title, body = lead_sentence(body)
    title = lexicon.short_forms.expand(_split_run_together(title))  # "US says" -> "United States says"
    title_key = fold(title)
    body_key = fold(lexicon.short_forms.expand(_split_run_together(body[:BODY_CHARS])))
    # folded text has single spaces and none at the ends: words are spaces plus one
    words = sum(text.count(" ") + 1 for text in (title_key, body_key) if text)
    entities: dict[str, dict[str, Any]] = {}
    topics: dict[str, dict[str, Any]] = {}
    clauses: list[dict[str, Any]] = []
    for where, text in (("title", title_key), ("body", body_key)):
        title_pass = where == "title"
        hits = _one_per_span(lexicon.find(text, title=title_pass), lexicon)
        if title_pass:
            clauses = headline_clauses(text, hits, lexicon, quote_mark(title, text))
        size = max(1, len(text))
        for hit in hits:
            if hit.is_entity:
                item = entities.get(hit.ref)
                if item is None:
                    entity = lexicon.entities[hit.ref]
                    item = entities[hit.ref] = {
                        "id": entity.id,
                        "type": entity.type,
                        "name": entity.name,
                        "syria": entity.syria,
                        "diplomatic": entity.diplomatic,
                        "seat": entity.seat,
                        "ambiguous": True,  # until a clear spelling of it is seen
                        "title": 0,
                        "body": 0,
                        "first": None,
                        "terms": [],
                    }
                if not hit.ambiguous:
                    item["ambiguous"] = False
            else:
                item = topics.get(hit.ref)
                if item is None:
                    signal = lexicon.signals[hit.ref]
                    item = topics[hit.ref] = {
                        "id": signal.id,
                        "kind": signal.kind,
                        "weight": signal.weight,
                        "title": 0,
                        "body": 0,
                        "terms": [],
                        "first": None,
                    }
            item[where] += 1
            if hit.qualified:
                item["syria"] = "strong"  # "Homs governorate", "ريف حماة": the Syrian place, surely
            if title_pass:
                item["first"] = 0.0
            elif item["first"] is None:
                item["first"] = round(hit.start / size, 3)
            terms = item["terms"]
            if len(terms) < MAX_TERMS_PER_ITEM:
                term = text[hit.start : hit.end]
                if term not in terms:
                    terms.append(term)
    kinds: dict[str, float] = defaultdict(float)
    for item in topics.values():
        kinds[item["kind"]] += item["weight"] * (item["title"] + item["body"])
    return {
        "entities": sorted(entities.values(), key=lambda e: (-(e["title"] * 3 + e["body"]), e["id"])),
        "places": sorted({e["name"] for e in entities.values() if e["type"] == "place"}),
        "topics": {item["id"]: item for item in sorted(topics.values(), key=lambda t: t["id"])},
        "signals": {kind: round(value, 3) for kind, value in sorted(kinds.items())},
        "headline": clauses,
        "lead_as_headline": lead_as_headline,
        "words": words,
        "lexicon_version": lexicon.version,
    }


def lead_sentence(body: str) -> tuple[str, str]:
    """``(lead sentence, the rest)`` of a body: the first sentence of at least ``LEAD_MIN_CHARS``, at most
    ``LEAD_CHARS`` (cut at a word). A body with no sentence end is all lead, up to that length."""
    text = body.strip()
    end = None
    for match in _SENTENCE_END.finditer(text, LEAD_MIN_CHARS):
        start = match.start()
        if text[start] == "." and text[start - 1].isupper() and not text[start - 2].isalnum():
            continue  # an initial or a short form: "U.S.", "J. Smith"
        end = match.end()
        break
    if end is None or end > LEAD_CHARS:
        end = len(text) if len(text) <= LEAD_CHARS else (text.rfind(" ", 0, LEAD_CHARS) + 1 or LEAD_CHARS)
    return text[:end].strip(), text[end:].strip()


def _split_run_together(text: str) -> str:
    """*SyriaThe*, *inDamascus*: a space where a lower-case letter meets a capital (Latin and Cyrillic).

    A regular-expression search over a whole body costs more than the rest of tagging's text work, so a cheap
    look first: the text's Latin and Cyrillic letters as ``a``/``A`` (encoded to Windows-1251, which holds both
    alphabets' plain letters, and translated byte by byte at C speed) must hold ``aA``."""
    if not text or b"aA" not in text.encode("cp1251", "ignore").translate(_CASE_MASK):
        return text
    return _RUN_TOGETHER.sub(r"\1 \2", text)


def _preference(hit: Hit) -> tuple[bool, str]:
    return (hit.ref.startswith("place.sy."), hit.ref)  # curated before GeoNames, then by id


def _one_per_span(hits: list[Hit], lexicon: Lexicon) -> list[Hit]:
    """Where two entities claim the same words (a curated place and its GeoNames twin), keep the curated."""
    by_span: dict[tuple[bool, int, int], Hit] = {}
    for hit in hits:
        key = (hit.is_entity, hit.start, hit.end)
        kept = by_span.get(key)
        if kept is None or _preference(hit) < _preference(kept):
            by_span[key] = hit
    return list(by_span.values())

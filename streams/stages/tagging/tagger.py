"""The tag stage: entities, places and topic signals found in an article, with where they were found.

Pure: ``tag(title, body, lexicon)`` returns plain data for ``Article.tags``. The decisions (is it about
Syria, is it diplomatic) are the route stage's job (``streams.stages.routing.decide``), made from these tags.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from streams.stages.tagging.frames import headline_clauses, quote_mark
from streams.stages.tagging.lexicon import Hit, Lexicon, default_lexicon
from streams.stages.textnorm import fold

__all__ = ["tag"]

MAX_TERMS_PER_ITEM = 3
BODY_CHARS = 20_000  # what matching reads of a body; the lead carries the story


def tag(title: str, body: str, lexicon: Lexicon | None = None) -> dict[str, Any]:
    lexicon = lexicon or default_lexicon()
    title = lexicon.short_forms.expand(title)  # "US says ..." -> "United States says ...", before folding
    title_key = fold(title)
    body_key = fold(lexicon.short_forms.expand(body[:BODY_CHARS]))
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
        "words": words,
        "lexicon_version": lexicon.version,
    }


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

"""Two calibrated scores from an article's tags: is it about Syria, and is its core event diplomatic.

Both are logistic functions of a few evidence sums, so each score reads as a probability and the evidence
behind it can be shown (``why``). What counts:

*About Syria* — where Syria is named, not only whether: names in the headline weigh most, repeated mentions
in the body next, an early first mention adds; places that are also ordinary words or exist abroad (حمص
chickpeas, Aleppo pepper, Damascus in Maryland) count only when an unambiguous Syrian name corroborates
them; many other countries against one mention of Syria make it a passing mention.

*Diplomatic* — diplomatic signals (talks, envoys, visits, Security Council, sanctions, embassies...) and
diplomatic actors (foreign ministers, envoys, UN bodies, processes) against non-diplomatic signals (strikes,
shelling, casualties, appointments, economy, disasters, crime). Headline terms count three times and the
body's total is capped: the headline names the core event, the body adds context. A story with no foreign
state or international body in it is domestic, whatever its vocabulary.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["NON_DIPLOMATIC_KINDS", "scores"]

NON_DIPLOMATIC_KINDS = ("conflict", "domestic", "economy", "disaster", "crime", "humanitarian")
BODY_CAP = 3  # one term repeated many times is still one idea
BODY_TOTAL_CAP = 6.0  # a long body full of context does not outweigh its headline
TITLE_FACTOR = 3.0  # the headline names the core event
FOREIGN_IN_TITLE = 0.8  # a foreign state in the headline: other states' diplomacy about Syria
# Aid deliveries and crimes are often the subject of diplomacy; they weigh less against it.
SOFT_AGAINST = {"humanitarian": 0.4, "crime": 0.5, "economy": 0.7}


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def scores(tags: dict[str, Any]) -> dict[str, Any]:
    """``{"syria": p, "diplomacy": p, "evidence": {...}}`` from ``Article.tags``."""
    entities = tags.get("entities", [])
    topics = tags.get("topics", {}).values()

    strong = [e for e in entities if e["syria"] == "strong" and not e["ambiguous"]]
    weak = [e for e in entities if e["syria"] == "weak" or (e["syria"] == "strong" and e["ambiguous"])]
    clear_weak = [e for e in weak if not e["ambiguous"]]
    # an unclear name is corroborated by a clear one, by two clear weak ones, or by an unclear name of
    # another kind (الشرع with دمشق: a person in a city); two unclear places (Aleppo pepper and حمص) are not
    unclear_types = {e["type"] for e in weak if e["ambiguous"]}
    corroborated = bool(strong) or len(clear_weak) >= 2 or len(unclear_types) >= 2
    counted_weak = weak if corroborated else clear_weak

    strong_title = sum(e["title"] for e in strong)
    strong_body = sum(min(e["body"], BODY_CAP) for e in strong)
    weak_title = sum(e["title"] for e in counted_weak)
    weak_body = sum(min(e["body"], BODY_CAP) for e in counted_weak)
    early = any((e["first"] is not None and e["first"] < 0.2) for e in strong)
    foreign = sum(
        e["title"] * 2 + min(e["body"], BODY_CAP)
        for e in entities
        if e["type"] == "country" and e["id"] != "country.SY"
    )
    syria_raw = (
        2.5 * min(strong_title, 2)
        + 0.9 * min(strong_body, 8)
        + 1.2 * min(weak_title, 2)
        + 0.35 * min(weak_body, 8)
        + (0.6 if early else 0.0)
    )
    syria_mass = strong_title * 2 + strong_body + weak_title + 0.5 * weak_body
    # a passing mention: Syria named once among several countries (a share rule was tried and rejected:
    # reports on the Astana talks name seven states and are about Syria all the same)
    passing = syria_mass <= 1.5 and foreign >= 3
    syria_logit = 1.4 * (syria_raw - 2.0) - (1.5 if passing else 0.0)

    dip_title = dip_body = against_title = against_body = 0.0
    dip_terms: list[tuple[str, float]] = []
    against_terms: list[tuple[str, float]] = []
    for topic in topics:
        title_amount = topic["weight"] * topic["title"]
        body_amount = topic["weight"] * min(topic["body"], BODY_CAP)
        if topic["kind"] == "diplomacy":
            dip_title += title_amount
            dip_body += body_amount
            dip_terms.append((topic["id"], title_amount * TITLE_FACTOR + body_amount))
        elif topic["kind"] in NON_DIPLOMATIC_KINDS:
            factor = SOFT_AGAINST.get(topic["kind"], 1.0)
            against_title += title_amount * factor
            against_body += body_amount * factor
            against_terms.append((topic["id"], (title_amount * TITLE_FACTOR + body_amount) * factor))
    actors = [e for e in entities if e["diplomatic"]]
    actor_amount = min(sum(1.0 * min(e["title"], 1) + 0.3 * min(e["body"], 2) for e in actors), 3.0)
    foreign = [e for e in entities if _is_foreign_actor(e)]
    foreign_in_title = min(sum(1 for e in foreign if e["title"]), 2)
    # a one-sided headline settles what the core event is; the body's other side is context
    if dip_title > 0 and against_title == 0:
        against_body *= 0.5
    elif against_title > 0 and dip_title == 0:
        dip_body *= 0.5
    dip_amount = (
        TITLE_FACTOR * dip_title + min(dip_body, BODY_TOTAL_CAP) + actor_amount + FOREIGN_IN_TITLE * foreign_in_title
    )
    against_amount = TITLE_FACTOR * against_title + min(against_body, BODY_TOTAL_CAP)
    domestic_only = not foreign
    diplomacy_logit = 0.7 * (dip_amount - 1.1 * against_amount) - 0.8 - (2.5 if domestic_only else 0.0)

    return {
        "syria": round(_sigmoid(syria_logit), 4),
        "diplomacy": round(_sigmoid(diplomacy_logit), 4),
        "evidence": {
            "syria": {
                "entities": [_named(e) for e in strong + counted_weak][:8],
                "ignored_lookalikes": [e["id"] for e in weak if e not in counted_weak][:5],
                "passing_mention": passing,
                "raw": round(syria_raw, 3),
            },
            "diplomacy": {
                "signals": _top(dip_terms),
                "actors": [_named(e) for e in actors][:6],
                "against": _top(against_terms),
                "raw": round(dip_amount - 1.1 * against_amount, 3),
                "domestic_only": domestic_only,
            },
        },
    }


def _is_foreign_actor(entity: dict[str, Any]) -> bool:
    """A state other than Syria, or an international body or process: what makes an event diplomatic.

    Talks between Syrian parties (a local evacuation deal, Damascus and the SDF) are not diplomacy.
    """
    if entity["type"] == "country":
        return bool(entity["id"] != "country.SY")
    if entity["type"] in ("organisation", "process"):
        return bool(entity["diplomatic"])
    if entity["type"] == "person":
        return bool(entity["syria"] != "strong")  # our curated people: the non-Syrians
    if entity["type"] == "place":
        return bool(entity["syria"] == "none")  # foreign capitals standing for their governments
    return False


def _named(entity: dict[str, Any]) -> dict[str, Any]:
    return {"id": entity["id"], "terms": entity["terms"], "title": entity["title"], "body": entity["body"]}


def _top(items: list[tuple[str, float]], n: int = 6) -> list[dict[str, Any]]:
    return [{"topic": k, "weight": round(v, 3)} for k, v in sorted(items, key=lambda kv: -kv[1])[:n]]

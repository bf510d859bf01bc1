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

*Headline clauses* (``tags["headline"]``, see ``streams.stages.tagging.frames``) say who does what: a foreign state
or international body that urges, calls for, demands or condemns something in a headline naming Syria is
doing diplomacy about Syria, and the strikes or attacks its statement is about are the statement's content,
not the core event ("X says" alone does not count: "X says it struck ..." is a military claim; "X says Y
must ..." does). A committee founded by a foreign state or an international body is not a domestic act.

*Lists*: a ranking or league table naming several countries mentions Syria in passing.

*Look-alike contexts* (entities of type ``lookalike``, such as Kerala's "Syrian" churches) make the country's
name an unclear one: it then counts only when a Syrian place, person or body corroborates it.
"""

from __future__ import annotations

import math
from typing import Any

from streams.stages.tagging.frames import SPEECH_ACTS

__all__ = ["NON_DIPLOMATIC_KINDS", "scores"]

NON_DIPLOMATIC_KINDS = ("conflict", "domestic", "economy", "disaster", "crime", "humanitarian")
BODY_CAP = 3  # one term repeated many times is still one idea
BODY_TOTAL_CAP = 6.0  # a long body full of context does not outweigh its headline
TITLE_FACTOR = 3.0  # the headline names the core event
FOREIGN_IN_TITLE = 0.8  # a foreign state in the headline: other states' diplomacy about Syria
# Aid deliveries and crimes are often the subject of diplomacy; they weigh less against it.
SOFT_AGAINST = {"humanitarian": 0.4, "crime": 0.5, "economy": 0.7}
STATEMENT = 1.2  # a foreign state's call or condemnation about Syria in the headline: one title signal
STATEMENT_CONTENT = 0.3  # what the statement is about (an attack, a strike) weighs this much in its headline
TRUCE_ENDS = 1.3  # a truce that ends or breaks down in the headline: a military event...
TRUCE_ENDS_DIPLOMACY = 0.3  # ...which the headline's words of how the truce was made only describe
_TRUCE_TOPICS = ("ceasefire", "ceasefire_collapse")
_TALKS_TOPICS = ("talks", "meeting_strong", "summit", "phone_call", "envoy", "security_council")
LIST_COUNTRIES = 3  # a ranking naming this many other countries...
LIST_SYRIA_MASS = 3.0  # ...where Syria is named no more than this (once in the headline, once below)
LIST_PENALTY = 3.5


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def scores(tags: dict[str, Any]) -> dict[str, Any]:
    """``{"syria": p, "diplomacy": p, "evidence": {...}}`` from ``Article.tags``."""
    entities = tags.get("entities", [])
    topics = tags.get("topics", {}).values()
    if any(e["type"] == "lookalike" for e in entities):
        # "Syrian" churches in Kerala: the country's name alone no longer says Syria
        entities = [{**e, "ambiguous": True} if e["id"] == "country.SY" else e for e in entities]

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
    other_countries = sum(1 for e in entities if e["type"] == "country" and e["id"] != "country.SY")
    # the headline is the ranking itself: no diplomatic act in it (talks that agree on a list are talks)
    listed = (
        "ranking" in tags.get("topics", {})
        and other_countries >= LIST_COUNTRIES
        and syria_mass <= LIST_SYRIA_MASS
        and not any(t["title"] and t["kind"] == "diplomacy" for t in topics)
    )
    syria_logit = 1.4 * (syria_raw - 2.0) - (1.5 if passing else 0.0) - (LIST_PENALTY if listed else 0.0)

    by_id = {e["id"]: e for e in entities}
    syria_in_title = any(e["title"] for e in strong + counted_weak)
    clauses = tags.get("headline") or []
    statement = _statement(clauses, by_id) if syria_in_title else None
    foreign_bodies = {c["topic"] for c in clauses if c["act"] == "establish" and _foreign_subject(c, by_id)}

    dip_title = dip_body = against_title = against_body = 0.0
    dip_terms: list[tuple[str, float]] = []
    against_terms: list[tuple[str, float]] = []
    for topic in topics:
        title_amount = topic["weight"] * topic["title"] * (0.0 if topic["id"] in foreign_bodies else 1.0)
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
    if _truce_ends(tags.get("topics", {})):
        against_title += TRUCE_ENDS
        dip_title *= TRUCE_ENDS_DIPLOMACY
        against_terms.append(("truce_ends", TRUCE_ENDS * TITLE_FACTOR))
    if statement is not None:
        dip_title += STATEMENT
        against_title *= STATEMENT_CONTENT
        dip_terms.append(("statement", STATEMENT * TITLE_FACTOR))
    # a one-sided headline settles what the core event is; the body's other side is context
    if dip_title > 0 and (against_title == 0 or statement is not None):
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
                "passing_mention": passing or listed,
                "raw": round(syria_raw, 3),
            },
            "diplomacy": {
                "signals": _top(dip_terms),
                "actors": [_named(e) for e in actors][:6],
                "against": _top(against_terms),
                "raw": round(dip_amount - 1.1 * against_amount, 3),
                "domestic_only": domestic_only,
                "statement": statement,
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


def _truce_ends(topics: dict[str, Any]) -> bool:
    """A headline where a truce ends, collapses or is violated, and no talks are its subject."""

    def in_title(ids: tuple[str, ...]) -> bool:
        return any(topics[i]["title"] for i in ids if i in topics)

    collapse = "collapse" in topics and topics["collapse"]["title"]
    return bool(collapse) and in_title(_TRUCE_TOPICS) and not in_title(_TALKS_TOPICS)


def _foreign_subject(clause: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> bool:
    """The clause's subject is a foreign state or international body, not an army."""
    armed = set(clause.get("armed", ()))
    return any(_is_foreign_actor(by_id[i]) for i in clause["speakers"] if i in by_id and i not in armed)


def _statement(clauses: list[dict[str, Any]], by_id: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The headline's call, demand or condemnation by a foreign state or international body, if any."""
    for clause in clauses:
        if clause["act"] not in SPEECH_ACTS or (clause["act"] == "assertive" and not clause["deontic"]):
            continue
        if _foreign_subject(clause, by_id):
            return {"act": clause["act"], "verb": clause["verb"], "speakers": clause["speakers"]}
    return None


def _named(entity: dict[str, Any]) -> dict[str, Any]:
    return {"id": entity["id"], "terms": entity["terms"], "title": entity["title"], "body": entity["body"]}


def _top(items: list[tuple[str, float]], n: int = 6) -> list[dict[str, Any]]:
    return [{"topic": k, "weight": round(v, 3)} for k, v in sorted(items, key=lambda kv: -kv[1])[:n]]

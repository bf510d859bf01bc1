"""Two calibrated scores from an article's tags: is it about Syria, and is its core event diplomatic.

Both are logits of a few evidence sums, turned into probabilities by a calibration fitted on labelled news
(``streams.stages.routing.calibration``); the evidence behind each can be shown (``why``). The method and its
measured quality: ``docs/routing.md``. What counts:

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

*A diplomatic frame* (a strong diplomatic act in the headline and a foreign state or international body in the
article) corroborates unclear Syrian names, and in it the seat of government stands for the state (*EU lifts
sanctions on Damascus*). Acts that take another state by themselves (sanctions, embassies, envoys, a
counterpart, a phone call) keep a headline from counting as domestic when the other side is not named.

*No cue words to read* (a language without cues, or none found): the diplomacy score starts at the calibrated
threshold and only entities move it, so such an article reaches the route on clear evidence or goes to review.
"""

from __future__ import annotations

import math
from typing import Any

from streams.stages.routing.calibration import calibrated, threshold_logit
from streams.stages.tagging.frames import SPEECH_ACTS
from streams.stages.tagging.sources import CUE_LANGS, NAME_LANGS

__all__ = ["NON_DIPLOMATIC_KINDS", "raw_logits", "scores"]

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
# acts that take another state by themselves: sanctions and their relief, embassies, envoys, a counterpart, a
# phone call reported as news; in a headline they make a story not domestic even when the other side is
# unnamed or unknown to us (*EU lifts sanctions* with "EU" unread, a call with a minister we do not list)
_INTERSTATE_TOPICS = (
    "sanctions",
    "sanctions_relief",
    "embassy",
    "envoy",
    "counterpart",
    "phone_call",
    "security_council",
    "normalisation",
    "guarantors",
)
LIST_COUNTRIES = 3  # a ranking naming this many other countries...
LIST_SYRIA_MASS = 3.0  # ...where Syria is named no more than this (once in the headline, once below)
LIST_PENALTY = 3.5
FRAME_WEIGHT = 1.0  # a diplomatic topic this strong in the headline frames the article as diplomacy


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def raw_logits(tags: dict[str, Any], lang: str = "") -> dict[str, float]:
    """The two scores before calibration, as logits."""
    result = _evidence(tags, lang)
    return {"syria": result["syria"], "diplomacy": result["diplomacy"]}


def scores(tags: dict[str, Any], lang: str = "") -> dict[str, Any]:
    """``{"syria": p, "diplomacy": p, "evidence": {...}}`` from ``Article.tags``: calibrated probabilities
    (``streams.stages.routing.calibration``). ``lang`` is the article's language: one without cue words is
    judged on its entities (see :func:`_uncovered`)."""
    result = _evidence(tags, lang)
    return {
        "syria": round(calibrated("syria", result["syria"]), 4),
        "diplomacy": round(calibrated("diplomacy", result["diplomacy"]), 4),
        "evidence": result["evidence"],
    }


def _evidence(tags: dict[str, Any], lang: str) -> dict[str, Any]:
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
    # ...or by a diplomatic headline with a foreign state or international body in the article: Damascus
    # in Maryland and Aleppo pepper do not come with sanctions, envoys and foreign ministers
    frame = _diplomatic_frame(tags.get("topics", {}), entities)
    corroborated = bool(strong) or len(clear_weak) >= 2 or len(unclear_types) >= 2 or frame
    counted_weak = weak if corroborated else clear_weak

    # in a diplomatic frame the seat of government stands for the state (*EU lifts sanctions on Damascus*,
    # *the Damascus delegation*): it weighs as Syria's own name (another city does not: Libya's Homs)
    seats = [e for e in counted_weak if e.get("seat")] if frame else []
    strong_title = sum(e["title"] for e in strong) or min(1, sum(e["title"] for e in seats))
    strong_body = sum(min(e["body"], BODY_CAP) for e in [*strong, *seats])
    weak_title = sum(e["title"] for e in counted_weak if e not in seats)
    weak_body = sum(min(e["body"], BODY_CAP) for e in counted_weak if e not in seats)
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
        against_body *= STATEMENT_CONTENT / 0.5  # the body reports what the statement is about
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
    topic_map = tags.get("topics", {})
    uncovered = _uncovered(topic_map, lang)
    # in a script whose country names we do not list (Chinese, Hindi, Urdu) not seeing a foreign state says
    # nothing, whether or not the language has cue words
    blind = bool(lang) and lang not in NAME_LANGS
    domestic_only = (
        not foreign and not any(topic_map[i]["title"] for i in _INTERSTATE_TOPICS if i in topic_map) and not blind
    )
    diplomacy_logit = 0.7 * (dip_amount - 1.1 * against_amount) - 0.8 - (2.5 if domestic_only else 0.0)
    if uncovered:
        # entities alone, from a coin toss (the calibrated threshold): a foreign state in the headline and
        # nothing else, or nothing at all where foreign states cannot be seen; diplomatic bodies and ministers
        # lift it, a story with no foreign side at all sinks
        seen = 0.0 if blind else 0.7 * FOREIGN_IN_TITLE
        diplomacy_logit += 0.8 - seen + threshold_logit("diplomacy")

    return {
        "syria": syria_logit,
        "diplomacy": diplomacy_logit,
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
                "frame": frame,
                "uncovered": uncovered,
            },
        },
    }


def _diplomatic_frame(topics: dict[str, Any], entities: list[dict[str, Any]]) -> bool:
    """A strong diplomatic act in the headline (sanctions, an embassy, an envoy, talks, a foreign minister)
    and a foreign state or international body in the article."""
    act = any(t["title"] and t["kind"] == "diplomacy" and t["weight"] >= FRAME_WEIGHT for t in topics.values())
    return act and any(_is_foreign_actor(e) for e in entities)


def _uncovered(topics: dict[str, Any], lang: str) -> bool:
    """No cue words can be read: a language we have no cues for, or not one cue word of any kind found.
    Then the entities alone speak (a UN envoy, a foreign ministry), from near the review band, so that such
    an article reaches the Syria-diplomacy route or review rather than "other" by default."""
    if lang and lang not in CUE_LANGS:
        return True
    kinds = ("diplomacy", *NON_DIPLOMATIC_KINDS)
    return not any(t["title"] or t["body"] for t in topics.values() if t["kind"] in kinds)


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

"""Tagging and routing on the shipped lexicon and rules: the seed, look-alikes, and clear cases.

Texts here are written for these tests, except the seed, which is read from ../shared.
"""

from __future__ import annotations

import pytest

from streams.stages.parsing import RawMeta, parse_payload
from streams.stages.pipeline import classify_article
from streams.stages.record import Article
from streams.stages.routing import load_rules


def decide(title: str, body: str = "", lang: str = "en") -> dict:
    article = Article(id="t", title=title, body=body, lang=lang)
    classify_article(article, load_rules())
    return article.decision


def test_seed_is_syria_diplomacy_with_its_entities(seed_bytes: bytes) -> None:
    (seed,) = parse_payload(seed_bytes, RawMeta(content_type="text/plain"))
    classify_article(seed, load_rules())
    assert seed.decision["route"] == "syria_diplomacy"
    assert seed.decision["why"]["rule"] == "syria_diplomacy"
    ids = {e["id"] for e in seed.tags["entities"]}
    assert {"country.KZ", "country.TR", "country.RU", "country.IR", "person.geir_pedersen"} <= ids
    assert {"organisation.united_nations", "process.astana"} <= ids


def test_seed_related_headlines_two_diplomatic_four_not(seed_bytes: bytes) -> None:
    (seed,) = parse_payload(seed_bytes, RawMeta(content_type="text/plain"))
    routes = [decide(headline, lang="ar")["route"] for headline in seed.related]
    assert routes.count("syria_diplomacy") == 2, routes
    assert routes.count("syria_other") == 4, routes


@pytest.mark.parametrize(
    ("title", "body", "lang", "route"),
    [
        (
            "UN envoy briefs Security Council on Syria's political process",
            "The special envoy told the Security Council that talks on a new constitution should resume in Geneva.",
            "en",
            "syria_diplomacy",
        ),
        (
            "وزير الخارجية السوري يبحث مع نظيره التركي في أنقرة ملف عودة اللاجئين",
            "عقد وزير الخارجية السوري جلسة مباحثات مع نظيره التركي تناولت العلاقات الثنائية.",
            "ar",
            "syria_diplomacy",
        ),
        (
            "Air strikes hit targets in Idlib countryside, killing four",
            "Four people were killed when air strikes hit a market in the Idlib countryside, rescuers said.",
            "en",
            "syria_other",
        ),
        (
            "Foreign ministers of Ukraine and Turkey discuss grain corridor",
            "The ministers met in Ankara to discuss shipping through the Black Sea.",
            "en",
            "other",
        ),
    ],
)
def test_clear_cases(title: str, body: str, lang: str, route: str) -> None:
    assert decide(title, body, lang)["route"] == route


@pytest.mark.parametrize(
    ("title", "body", "lang"),
    [
        ("Damascus town council votes on library budget", "The council in Damascus, Maryland, met on Monday.", "en"),
        ("A guide to Aleppo pepper and Aleppo soap", "Both make good gifts, and the pepper suits hummus.", "en"),
        ("طريقة تحضير الحمص بالطحينة في المنزل", "يُنقع الحمص ليلة كاملة ثم يُسلق ويُهرس مع الطحينة والليمون.", "ar"),
        ("الأسد ملك الغابة في حديقة الحيوان", "زار الأطفال حديقة الحيوان وشاهدوا الأسد والنمر.", "ar"),
    ],
)
def test_lookalikes_are_not_about_syria(title: str, body: str, lang: str) -> None:
    decision = decide(title, body, lang)
    assert decision["syria"] is False
    assert decision["route"] in {"other", "review"}


def test_every_decision_says_why() -> None:
    decision = decide("Saudi Arabia reopens its embassy in Damascus", "The Syrian foreign ministry welcomed the step.")
    assert decision["route"] == "syria_diplomacy"
    why = decision["why"]
    assert why["rule"] == "syria_diplomacy"
    assert any(s["topic"] == "embassy" for s in why["diplomacy"]["signals"])
    assert decision["rules_version"]
    assert 0 <= decision["confidence"] <= 1


def entity_ids(title: str, body: str = "") -> set[str]:
    from streams.stages.tagging.tagger import tag

    return {e["id"] for e in tag(title, body)["entities"]}


@pytest.mark.parametrize(
    ("title", "expected", "absent"),
    [
        ("US and Jordan discuss border crossings", {"country.US"}, set()),
        ("Officials say US-based charity reopened its office", {"country.US"}, set()),
        ("EU foreign ministers meet on refugee returns", {"organisation.european_union"}, set()),
        ("UK envoy travels to the region", {"country.GB"}, set()),
        ("UN convoy reaches the camp", {"organisation.united_nations"}, set()),
        ("Les ministres de l'UE se réunissent", {"organisation.european_union"}, set()),
        ("Let us talk about the weather", set(), {"country.US"}),
        ("LET US TALK ABOUT THE WEATHER", set(), {"country.US"}),  # a headline in capitals
        ("LET US TALK: an op-ed", set(), {"country.US"}),
        ("US EU talks resume", {"country.US", "organisation.european_union"}, set()),
        ("قال مسؤول في US إن المحادثات مستمرة", {"country.US"}, set()),  # no case in the script around it
        ("UNHCR opens a new office", set(), {"organisation.united_nations"}),
        ("Prices quoted in US$ rose", set(), {"country.US"}),
    ],
)
def test_capitalised_short_forms_are_read_as_names(title: str, expected: set[str], absent: set[str]) -> None:
    found = entity_ids(title)
    assert expected <= found
    assert not (absent & found)


def test_a_statement_by_the_us_about_syria_is_diplomacy() -> None:
    decision = decide("US urges all parties in Syria to return to talks")
    assert decision["route"] == "syria_diplomacy"


def test_a_short_form_can_be_the_speaker_of_a_quoted_headline() -> None:
    from streams.stages.tagging.tagger import tag

    clauses = tag("UN envoy: talks on Syria must resume", "")["headline"]
    assert [c["speakers"] for c in clauses] == [["organisation.united_nations"]]

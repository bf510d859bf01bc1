"""Urdu: read as Persian is (``textnorm.fold``: heh goal, heh doachashmee, yeh barree), with cue words of its own
(``streams/data/signals_world.yaml``) and names of its own (``streams/data/entities_langs.yaml``). Syria is named
by its adjective and its phrases; شام alone stays unclear, as it is also "evening".

Sentences here are written for these tests.
"""

from __future__ import annotations

from typing import Any

import pytest

from streams.stages.pipeline import classify_article
from streams.stages.record import Article
from streams.stages.routing import load_rules
from streams.stages.tagging.sources import CUE_LANGS
from streams.stages.tagging.tagger import tag

RULES = load_rules()


def decide(title: str, body: str) -> dict[str, Any]:
    article = Article(id="t", title=title, body=body, lang="ur")
    classify_article(article, RULES)
    return article.decision


def entities(text: str) -> dict[str, bool]:
    """The entities of ``text``, each with whether only unclear spellings of it were seen."""
    return {e["id"]: e["ambiguous"] for e in tag(text, "")["entities"]}


def test_urdu_is_a_cue_language() -> None:
    assert "ur" in CUE_LANGS


DIPLOMATIC = [
    (
        "روسی وزیر خارجہ کی دمشق میں شامی ہم منصب سے ملاقات",
        "روس کے وزیر خارجہ نے منگل کو دمشق کا دورہ کیا جہاں انہوں نے شام کے وزیر خارجہ سے ملاقات کی۔ دونوں رہنماؤں "
        "نے اقوام متحدہ کی سلامتی کونسل کی قرارداد اور امن مذاکرات پر تبادلہ خیال کیا۔",
        {"counterpart", "foreign_ministry", "meeting_strong", "security_council", "visit"},
    ),
    (
        "ترکی اور سوریہ کے درمیان سفارتی تعلقات کی بحالی پر مذاکرات",
        "انقرہ میں ترکی اور سوریہ کے سفارت کاروں نے دو روزہ مذاکرات کیے۔ ترک وزارت خارجہ کے مطابق دونوں ممالک سفارت "
        "خانے دوبارہ کھولنے پر غور کر رہے ہیں۔",
        {"diplomatic", "embassy", "foreign_ministry", "normalisation", "talks"},
    ),
    (
        "امریکہ نے شام پر نئی پابندیاں عائد کر دیں",
        "امریکی محکمہ خزانہ نے منگل کو شام کی حکومت سے وابستہ کئی افراد اور کمپنیوں پر نئی اقتصادی پابندیوں کا "
        "اعلان کیا۔",
        {"sanctions"},
    ),
    (
        "برطانیہ کا دمشق میں سفارت خانہ دوبارہ کھولنے کا فیصلہ",
        "برطانوی حکومت نے کہا ہے کہ وہ شام کے دارالحکومت دمشق میں اپنا سفارت خانہ دوبارہ کھولے گی اور ایک ناظم "
        "الامور مقرر کرے گی۔",
        {"embassy"},
    ),
]


@pytest.mark.parametrize(("title", "body", "cues"), DIPLOMATIC, ids=["counterparts", "embassies", "sanctions", "uk"])
def test_a_diplomatic_report_about_syria_reaches_the_route(title: str, body: str, cues: set[str]) -> None:
    decision = decide(title, body)
    assert decision["why"]["diplomacy"]["uncovered"] is False
    assert cues <= set(tag(title, body)["topics"])
    assert decision["syria"] is True
    assert decision["route"] == "syria_diplomacy"


def test_an_air_strike_in_syria_is_not_diplomacy() -> None:
    decision = decide(
        "حلب میں فضائی حملے میں دس افراد ہلاک",
        "شام کے شہر حلب میں فضائی حملے میں کم از کم دس شہری ہلاک اور بیس زخمی ہو گئے۔",
    )
    assert {"airstrikes", "casualties"} <= {t["topic"] for t in decision["why"]["diplomacy"]["against"]}
    assert decision["syria"] is True
    assert decision["route"] == "syria_other"


def test_talks_between_other_states_are_diplomacy_elsewhere() -> None:
    decision = decide(
        "پاکستان اور چین کے وزرائے خارجہ کی بیجنگ میں ملاقات",
        "پاکستان کے وزیر خارجہ نے بیجنگ میں اپنے چینی ہم منصب سے ملاقات کی اور دو طرفہ تجارت پر بات چیت کی۔",
    )
    assert decision["diplomacy"] is True
    assert decision["syria"] is False
    assert decision["route"] == "other"


def test_evening_is_not_syria() -> None:
    decision = decide("لاہور میں شام کو تیز بارش", "لاہور میں آج شام کو تیز بارش ہوئی اور کئی سڑکیں زیر آب آ گئیں۔")
    assert decision["syria"] is False
    assert entities("آج شام کو تیز بارش") == {"country.SY": True}  # seen, unclear


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("ملک شام میں", "country.SY"),
        ("شامی حکومت نے کہا", "country.SY"),
        ("شمالی شام میں", "country.SY"),
        ("شام کے وزیر خارجہ", "organisation.syrian_foreign_ministry"),
        ("اقوام متحدہ کے سیکرٹری جنرل", "organisation.united_nations"),
        ("برطانوی وزیر اعظم", "country.GB"),
        ("امریکہ اور روس", "country.US"),
        ("امریکہ اور روس", "country.RU"),
    ],
)
def test_urdu_names_are_clear(text: str, entity: str) -> None:
    assert entities(text).get(entity) is False


def test_agence_france_presse_is_not_france() -> None:
    assert "country.FR" not in entities("قال مراسل وكالة فرانس برس")  # Arabic: Agence France-Presse
    assert entities("فرانسیسی صدر").get("country.FR") is False  # Urdu's adjective names France


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("بامداد امروز باران بارید", "humanitarian_weak"),  # Persian "dawn" holds Urdu امداد (aid)
        ("قطع امدادات الوقود", "humanitarian_weak"),  # Arabic "supplies": Urdu words take no Arabic suffixes
        ("گرفتار تورم شدیم", "security_arrests"),  # Persian "caught up in", not Urdu "arrested"
    ],
)
def test_persian_and_arabic_words_are_not_urdu_cues(text: str, absent: str) -> None:
    assert absent not in set(tag(text, "")["topics"])


def test_urdu_names_take_no_arabic_clitics() -> None:
    assert "country.RU" not in entities("بروس ویلیس")  # Bruce: ب + روس is no Urdu way of writing Russia
    assert entities("روس کے صدر").get("country.RU") is False


def test_a_session_of_the_assembly_is_not_a_summit() -> None:
    found = set(tag("قومی اسمبلی کے اجلاس میں بجٹ پر بحث", "")["topics"])
    assert "parliament" in found
    assert "summit" not in found  # Persian اجلاس (a summit) is any session in Urdu

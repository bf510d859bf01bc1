"""Cue words in Dutch, Polish, Ukrainian, Greek, Hebrew, Indonesian, Chinese, Japanese, Hindi, Swedish and Kurdish
(Kurmanji, Sorani) (``streams/data/signals_world.yaml``; Urdu has its own tests): diplomacy and conflict found in
each, routes that follow, and ordinary words of other languages that the new terms must not take.

Sentences here are written for these tests.
"""

from __future__ import annotations

from typing import Any

import pytest

from streams.stages.pipeline import classify_article
from streams.stages.record import Article
from streams.stages.routing import load_rules
from streams.stages.tagging.lexicon import default_lexicon
from streams.stages.tagging.sources import CUE_LANGS
from streams.stages.tagging.tagger import tag
from streams.stages.textnorm import fold

RULES = load_rules()
WORLD = ("nl", "pl", "uk", "el", "he", "id", "zh", "ja", "hi", "sv", "ku", "ckb")
DIPLOMACY = {s.id for s in default_lexicon().signals.values() if s.kind == "diplomacy"}
CONFLICT = {s.id for s in default_lexicon().signals.values() if s.kind == "conflict"}


def topics(text: str) -> set[str]:
    return set(tag(text, "")["topics"])


def decide(title: str, lang: str) -> dict[str, Any]:
    article = Article(id="t", title=title, body="", lang=lang)
    classify_article(article, RULES)
    return article.decision


def test_the_new_languages_are_cue_languages() -> None:
    assert set(WORLD) <= set(CUE_LANGS)


DIPLOMATIC = [
    (
        "nl",
        "De Syrische minister van Buitenlandse Zaken sprak in Genève met de speciale gezant van de VN over "
        "nieuwe vredesgesprekken.",
        {"foreign_ministry", "envoy", "talks"},
    ),
    (
        "pl",
        "Minister spraw zagranicznych Syrii rozmawiał z wysłannikiem ONZ o zawieszeniu broni i sankcjach.",
        {"foreign_ministry", "meeting_strong", "envoy", "ceasefire", "sanctions"},
    ),
    (
        "uk",
        "Міністр закордонних справ Сирії провів переговори з турецьким колегою щодо санкцій.",
        {"foreign_ministry", "meeting_strong", "counterpart", "sanctions"},
    ),
    (
        "el",
        "Ο υπουργός Εξωτερικών της Συρίας είχε συνομιλίες με τον ειδικό απεσταλμένο του ΟΗΕ για την εκεχειρία.",
        {"foreign_ministry", "talks", "envoy", "ceasefire"},
    ),
    (
        "he",
        'שר החוץ הסורי נפגש עם השליח המיוחד של האו"ם לשיחות על הפסקת אש',
        {"foreign_ministry", "meeting_strong", "envoy", "talks", "ceasefire"},
    ),
    (
        "id",
        "Menteri Luar Negeri Suriah bertemu dengan utusan khusus PBB untuk membahas gencatan senjata dan sanksi.",
        {"foreign_ministry", "meeting_strong", "envoy", "ceasefire", "sanctions"},
    ),
    (
        "zh",
        "叙利亚外长与联合国特使举行会谈，讨论停火和制裁问题。",
        {"foreign_ministry", "envoy", "meeting_strong", "ceasefire", "sanctions"},
    ),
    (
        "ja",
        "シリア外相は国連特使と会談し、停戦と制裁解除について協議した。",
        {"foreign_ministry", "envoy", "ceasefire", "sanctions_relief"},
    ),
    (
        "hi",
        "सीरिया के विदेश मंत्री ने संयुक्त राष्ट्र के विशेष दूत से मुलाकात की और युद्धविराम पर बातचीत की।",
        {"foreign_ministry", "envoy", "meeting_strong", "ceasefire", "talks"},
    ),
    (
        "sv",
        "Syriens utrikesminister sammanträffade med FN:s sändebud i Genève för samtal om vapenvila och sanktioner.",
        {"foreign_ministry", "meeting_strong", "envoy", "talks", "ceasefire", "sanctions"},
    ),
    (
        "ku",
        "Wezîrê derve yê Sûriyeyê bi nûnerê taybet ê NY re hevdîtin kir û li ser agirbestê danûstandin kirin.",
        {"foreign_ministry", "envoy", "meeting_strong", "ceasefire", "talks"},
    ),
    (
        "ckb",
        "وەزیری دەرەوەی سووریا لەگەڵ نێردەی تایبەتی نەتەوە یەکگرتووەکان کۆبووەوە و دەربارەی ئاگربەست و سزاکان "
        "گفتوگۆیان کرد.",
        {"foreign_ministry", "envoy", "meeting_strong", "ceasefire", "sanctions"},
    ),
]

MILITARY = [
    (
        "nl",
        "Bij luchtaanvallen op Idlib zijn twaalf doden gevallen; het leger zette de beschietingen voort.",
        {"airstrikes", "casualties", "military", "shelling"},
    ),
    (
        "pl",
        "W nalotach na Aleppo zginęło pięć osób, a wojsko ostrzelało okoliczne wioski.",
        {"airstrikes", "casualties", "military", "shelling"},
    ),
    (
        "uk",
        "Унаслідок авіаударів по Ідлібу загинули семеро людей, армія продовжує обстріли.",
        {"airstrikes", "casualties", "military", "shelling"},
    ),
    ("el", "Αεροπορικές επιδρομές στην Ιντλίμπ: δώδεκα νεκροί και δεκάδες τραυματίες.", {"airstrikes", "casualties"}),
    (
        "he",
        "בתקיפה אווירית באידליב נהרגו שמונה בני אדם והצבא המשיך בהפגזות",
        {"airstrikes", "casualties", "military", "shelling"},
    ),
    (
        "id",
        "Serangan udara di Idlib menewaskan sepuluh orang; tentara pemerintah melanjutkan penembakan.",
        {"airstrikes", "casualties", "military", "shelling"},
    ),
    ("zh", "伊德利卜遭空袭，造成十二人死亡，政府军继续炮击。", {"airstrikes", "casualties", "military", "shelling"}),
    (
        "ja",
        "イドリブで空爆があり、10人が死亡した。政府軍は砲撃を続けている。",
        {"airstrikes", "casualties", "military", "shelling"},
    ),
    ("hi", "इदलिब में हवाई हमले में दस लोगों की मौत हो गई और कई घायल हुए।", {"airstrikes", "casualties"}),
    ("sv", "Flyganfall mot Idlib: tolv människor dödades och många skadades.", {"airstrikes", "casualties"}),
    (
        "ku",
        "Di êrişa asmanî ya li ser Idlibê de deh kes hatin kuştin û gelek birîndar bûn.",
        {"airstrikes", "casualties"},
    ),
    ("ckb", "لە هێرشی ئاسمانی بۆ سەر ئیدلب دە کەس کوژران و چەندین کەسی تر بریندار بوون.", {"airstrikes", "casualties"}),
]


@pytest.mark.parametrize(("lang", "text", "expected"), DIPLOMATIC, ids=[row[0] for row in DIPLOMATIC])
def test_diplomacy_cues_are_found(lang: str, text: str, expected: set[str]) -> None:
    found = topics(text)
    assert expected <= found
    assert not found & CONFLICT


@pytest.mark.parametrize(("lang", "text", "expected"), MILITARY, ids=[row[0] for row in MILITARY])
def test_conflict_cues_are_found(lang: str, text: str, expected: set[str]) -> None:
    found = topics(text)
    assert expected <= found
    assert not found & DIPLOMACY


@pytest.mark.parametrize(("lang", "text", "expected"), DIPLOMATIC, ids=[row[0] for row in DIPLOMATIC])
def test_a_diplomatic_headline_reaches_the_route(lang: str, text: str, expected: set[str]) -> None:
    decision = decide(text, lang)
    assert decision["why"]["diplomacy"]["uncovered"] is False
    assert decision["route"] == "syria_diplomacy"


@pytest.mark.parametrize(
    ("lang", "title"),
    [
        ("nl", "Syrië: bij luchtaanvallen op Idlib zijn twaalf doden gevallen"),
        ("pl", "Syria: w nalotach na Aleppo zginęło pięć osób"),
        ("uk", "Сирія: унаслідок авіаударів по Ідлібу загинули семеро людей"),
        ("el", "Συρία: αεροπορικές επιδρομές στην Ιντλίμπ, δώδεκα νεκροί"),
        ("he", "סוריה: בתקיפה אווירית באידליב נהרגו שמונה בני אדם"),
        ("id", "Suriah: serangan udara di Idlib menewaskan sepuluh orang"),
        ("zh", "叙利亚伊德利卜遭空袭，造成十二人死亡"),
        ("ja", "シリア北部イドリブで空爆、10人が死亡"),
        ("hi", "सीरिया के इदलिब में हवाई हमले में दस लोगों की मौत"),
        ("sv", "Syrien: tolv dödades i flyganfall mot Idlib"),
        ("ku", "Sûriye: di êrişa asmanî ya li ser Idlibê de deh kes hatin kuştin"),
        ("ckb", "سووریا: لە هێرشی ئاسمانی بۆ سەر ئیدلب دە کەس کوژران"),
    ],
)
def test_a_military_headline_about_syria_is_not_diplomacy(lang: str, title: str) -> None:
    decision = decide(title, lang)
    assert decision["syria"] is True
    assert decision["route"] == "syria_other"


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("O governo tentará um acordo", "military"),  # Portuguese "will try", not Indonesian "tentara" (army)
        ("Il faut militer pour la paix", "military"),  # French "to campaign", not Indonesian "militer"
        ("stemming from the talks", "voting"),  # English, not Dutch "stemming" (a vote)
        ("organizacje pozarządowe", "disaster"),  # Polish "non-governmental", not "pożar" (a fire)
        ("thuis met de kinderen", "meeting_weak"),  # Dutch "met" (with) is not English "met"
        ("שמונה בני אדם", "appointments"),  # Hebrew "eight" holds "מונה" (appointed)
        ("הטיל סנקציות על סוריה", "strikes_weak"),  # Hebrew "imposed" holds "טיל" (a missile)
        ("全国会议在北京举行", "parliament"),  # Chinese "national conference" holds 国会 (a parliament)
        ("人気アイドルが来日", "economy_weak"),  # Japanese "idol" holds ドル (dollar)
        ("जानेवाले लोग", "peace_venues"),  # Hindi "those going": its consonants spell Geneva
        ("Wir müssen jetzt handeln", "trade"),  # German "to act", not Swedish "the trade"
        ("O telefone tocou duas vezes", "phone_call"),  # Portuguese "telephone", not Kurmanji "by phone"
        ("Yardıma erişen aileler", "attack"),  # Turkish "reaching" folds as Kurmanji "attacks" would: left out
        ("Missilen träffade ett bostadshus", "meeting_strong"),  # Swedish "hit", not "met"
        ("Det säger hon i ett samtal med TT", "talks"),  # a Swedish interview, not talks
        ("Kami akan datang besok pagi", "visit"),  # Indonesian "tomorrow" is Swedish "visit" folded: left out
    ],
)
def test_ordinary_words_elsewhere_are_not_cues(text: str, absent: str) -> None:
    assert absent not in topics(text)


def test_hebrew_prefixes_and_polish_endings_are_read() -> None:
    assert {"embassy", "talks"} <= topics("בשגרירות התקיימו השיחות")  # ב and ה written onto the words
    assert {"sanctions", "delegation"} <= topics("delegacji, sankcjami")
    hits = {h.ref for h in default_lexicon().find(fold("ΣΥΝΟΜΙΛΙΕΣ"))}  # Greek in capitals loses its accents
    assert "talks" in hits

"""Headline acts and their subjects (issue #6): other states' statements about Syria, truces that end,
domestic versus joint bodies, state honours, and rankings. Every text here is written for these tests."""

from __future__ import annotations

from typing import Any

import pytest

from streams.stages.pipeline import classify_article
from streams.stages.record import Article
from streams.stages.routing import load_rules
from streams.stages.tagging.tagger import tag

RULES = load_rules()


def decide(title: str, body: str = "", lang: str = "en") -> dict[str, Any]:
    article = Article(id="t", title=title, body=body, lang=lang)
    classify_article(article, RULES)
    return article.decision


def clauses(title: str) -> list[dict[str, Any]]:
    return list(tag(title, "")["headline"])


# ------------------------------------------------------------------------------------- clauses


def test_subject_is_what_precedes_the_verb() -> None:
    (clause,) = clauses("Norway and Chile urge an inquiry into the Syria chemical attack")
    assert clause["act"] == "directive"
    assert {"country.NO", "country.CL"} <= set(clause["speakers"])
    assert clause["armed"] == []


def test_arabic_verb_first_takes_the_entity_after_it() -> None:
    (clause,) = clauses("دعت النرويج إلى تحقيق في الهجوم على ريف حلب")
    assert clause["act"] == "directive"
    assert clause["speakers"] == ["country.NO"]


def test_a_distant_name_is_not_the_subject() -> None:
    # the resolution condemns, not Chile, four words back
    clause = clauses("Chile explains its abstention on the resolution that condemns Syria")[-1]
    assert clause["act"] == "expressive"
    assert clause["speakers"] == []


def test_an_army_next_to_the_name_is_an_armed_subject() -> None:
    (clause,) = clauses("Russian military urges fighters in Idlib to lay down arms")
    assert clause["armed"] == ["country.RU"]
    (clause,) = clauses("الجيش الروسي يطالب المسلحين بالانسحاب من منبج")
    assert "country.RU" in clause["armed"] or "country.RU" not in clause["speakers"]


def test_an_attack_in_the_object_does_not_arm_the_subject() -> None:
    # Turkish puts the object between subject and verb: "Japan [attacks' halting] called for"
    (clause,) = clauses("Japonya Suriye'de saldırıların durdurulması çağrısında bulundu")
    assert "country.JP" in clause["speakers"]
    assert "country.JP" not in clause["armed"]


def test_in_turkish_the_subject_is_the_first_name() -> None:
    # SOV: "Syrian refugees wanted to stay in Turkey": Turkey is in the object, not the subject
    (clause,) = clauses("Suriyeli mülteciler Türkiye'de kalmak istedi")
    assert clause["speakers"] == ["country.SY"]
    (clause,) = clauses("Rusya ve Türkiye Suriye'de ateşkesin korunmasını istedi")
    assert {"country.RU", "country.TR"} <= set(clause["speakers"])


def test_a_modal_after_a_plain_statement_is_seen() -> None:
    (clause,) = clauses("Chile says Syria must let the inspectors in")
    assert clause["act"] == "assertive"
    assert clause["deontic"] is True
    (clause,) = clauses("Chile says the inspectors reached Syria")
    assert clause["deontic"] is False


def test_headline_verbs_are_not_matched_in_bodies() -> None:
    # a title is given: a title-less article reads its lead sentence as the headline (test_tagging_routing)
    tags = tag("Inspectors wait at the border", "Chile says Syria must let the inspectors in, the minister urged.")
    assert tags["headline"] == []
    assert not {"speech_assertive", "speech_directive", "deontic"} & set(tags["topics"])


# ------------------------------------------------------------------ other states' statements


@pytest.mark.parametrize(
    ("title", "body", "lang"),
    [
        (
            "Norway and Chile say Syria must grant inspectors access to attack site",
            "The two governments said the inspectors already in the country should reach the site at once.",
            "en",
        ),
        (
            "Japan urges restraint in northern Syria after border shelling",
            "Tokyo called on all sides to exercise restraint after artillery fire hit villages near the border.",
            "en",
        ),
        (
            "Canada condemns deadly strike on Syrian market",
            "Ottawa said the attack that killed 20 was unacceptable.",
            "en",
        ),
        (
            "ألمانيا تطالب بتحقيق دولي في قصف ريف إدلب",
            "قالت الحكومة الألمانية إن القصف الذي أودى بحياة مدنيين يستوجب تحقيقا مستقلا.",
            "ar",
        ),
        ("دعت إيطاليا إلى وقف القصف على شمال سوريا", "وقالت روما في بيان إن استمرار الهجمات يهدد المدنيين.", "ar"),
        ("La Belgique appelle à une enquête sur l'attaque en Syrie", "Bruxelles demande un accès au site.", "fr"),
        (
            "Китай призвал к прекращению атак в Сирии",
            "Пекин заявил, что нападения на мирных жителей недопустимы.",
            "ru",
        ),
        ("آلمان خواستار توقف حملات در سوریه شد", "دولت آلمان از همه طرف‌ها خواست به حملات پایان دهند.", "fa"),
        (
            "Japonya Suriye'de saldırıların durdurulması çağrısında bulundu",
            "Tokyo, sivillerin korunmasını istedi.",
            "tr",
        ),
        ("Ecuador: Syria must free its political prisoners", "The foreign minister spoke after the vote.", "en"),
        ("Mexico opposes foreign military intervention in Syria", "The government said force was no answer.", "en"),
    ],
)
def test_a_foreign_state_calling_for_something_about_syria_is_diplomacy(title: str, body: str, lang: str) -> None:
    decision = decide(title, body, lang)
    assert decision["route"] == "syria_diplomacy", decision["why"]
    assert decision["why"]["diplomacy"]["statement"]["speakers"]


@pytest.mark.parametrize(
    ("title", "body"),
    [
        # a claim of one's own strike is a military report, not a statement of policy
        ("Israel says it struck weapons depots in Syria", "The army said its jets hit targets near the capital."),
        ("Russia says its jets killed 30 militants in Syria", "The defence ministry said strikes hit positions."),
        ("روسيا تقول إن طائراتها قتلت 30 مسلحا في سوريا", "قالت وزارة الدفاع الروسية إن الغارات استهدفت مواقع."),
        # an army is the speaker
        ("Russian military urges fighters in Idlib to surrender", "Leaflets told the fighters to hand over weapons."),
        ("الجيش التركي يطالب المسلحين بالانسحاب من منبج", "قال الجيش إن قواته سترد على أي هجوم."),
        # a quoted army, a quoted casualty count
        ("Russian military: Syria must hand over the militants", "The ministry said the fighters would be targeted."),
        ("Turkish defence ministry: 5 soldiers killed in Syria", "The soldiers died in an attack near the border."),
        # a threat of force
        ("Turkey warns it will launch new offensive in northern Syria", "Ankara said its troops were ready to move."),
        # the speaker is Syrian: talks and calls at home are not other states' diplomacy
        ("Syrian army urges residents to leave Idlib countryside", "The army dropped leaflets over the villages."),
        ("Assad says Syria must rebuild its army", "The president spoke at a military academy."),
    ],
)
def test_military_claims_armies_and_syrian_speakers_are_not_statements(title: str, body: str) -> None:
    decision = decide(title, body, "ar" if title[0] > "\u0600" else "en")
    assert decision["why"]["diplomacy"]["statement"] is None
    assert decision["route"] != "syria_diplomacy"


def test_a_statement_about_another_country_is_not_about_syria() -> None:
    decision = decide("Norway urges Lebanon to form a government", "Oslo said Beirut must act; Syria was not named.")
    assert decision["route"] == "other"


# ------------------------------------------------------------------------------ truces that end


@pytest.mark.parametrize(
    ("title", "body", "lang"),
    [
        (
            "Moscow-brokered truce in southern Syria collapses",
            "The ceasefire agreed by Russia and Jordan ended on Friday as shelling resumed.",
            "en",
        ),
        ("Syria truce ends amid air strikes on Daraa", "Barrel bombs fell on two towns; five were killed.", "en"),
        ("انهيار الهدنة الروسية التركية في إدلب", "عادت الاشتباكات إلى ريف إدلب بعد أسبوع من الاتفاق.", "ar"),
        ("Перемирие в Идлибе сорвано, возобновились авиаудары", "Сирийские войска обстреляли несколько сел.", "ru"),
    ],
)
def test_a_truce_that_ends_is_not_diplomacy(title: str, body: str, lang: str) -> None:
    decision = decide(title, body, lang)
    assert decision["syria"] is True
    assert decision["route"] == "syria_other", decision["why"]


@pytest.mark.parametrize(
    ("title", "body", "lang"),
    [
        ("Russia and Turkey agree to extend Idlib truce", "The foreign ministers met in Sochi.", "en"),
        ("Guarantors discuss truce violations at Astana talks", "Russia, Turkey and Iran met on Syria.", "en"),
        ("روسيا وتركيا تبحثان خروقات الهدنة في إدلب هاتفيا", "بحث وزيرا خارجية البلدين الوضع في سوريا.", "ar"),
        ("Security Council demands end to violations of Syria ceasefire", "Members adopted a statement.", "en"),
    ],
)
def test_talks_about_a_truce_stay_diplomacy(title: str, body: str, lang: str) -> None:
    assert decide(title, body, lang)["route"] == "syria_diplomacy"


# --------------------------------------------------------------------------- domestic vs joint


@pytest.mark.parametrize(
    ("title", "body", "lang"),
    [
        (
            "مجلس الوزراء السوري يشكل لجنة لتسهيل عودة المهجرين من دول الجوار",
            "تأتي الخطوة بعد مبادرة روسية لإعادة اللاجئين.",
            "ar",
        ),
        (
            "Syrian government sets up committee to coordinate refugee return",
            "The cabinet said the body would work with ministries on housing, after a Russian proposal.",
            "en",
        ),
    ],
)
def test_a_syrian_committee_for_refugee_return_is_domestic(title: str, body: str, lang: str) -> None:
    decision = decide(title, body, lang)
    assert decision["syria"] is True
    assert decision["route"] == "syria_other", decision["why"]


@pytest.mark.parametrize(
    ("title", "body", "lang"),
    [
        ("Syria and Lebanon form joint committee on refugee return", "The committee will meet monthly.", "en"),
        ("لبنان وسوريا يشكلان لجنة مشتركة لتنظيم عودة اللاجئين", "اتفق الجانبان على آلية لعودة النازحين.", "ar"),
        ("الجامعة العربية تشكل لجنة وزارية لمتابعة الأزمة السورية", "اتفق وزراء الخارجية العرب على آلية.", "ar"),
        ("Arab League forms committee on Syrian refugees", "Foreign ministers agreed to coordinate with Jordan.", "en"),
    ],
)
def test_joint_and_international_committees_are_diplomacy(title: str, body: str, lang: str) -> None:
    assert decide(title, body, lang)["route"] == "syria_diplomacy"


# ------------------------------------------------------------------------------ state honours


@pytest.mark.parametrize(
    ("title", "body", "lang"),
    [
        ("سوريا تعيد إلى إيطاليا الوسام الذي منحته روما للرئيس", "قالت الرئاسة إنها سلمت الوسام للسفارة.", "ar"),
        (
            "Syria returns Legion of Honour to France",
            "The presidency said it handed the decoration back in protest.",
            "en",
        ),
    ],
)
def test_returning_a_foreign_decoration_is_diplomacy(title: str, body: str, lang: str) -> None:
    assert decide(title, body, lang)["route"] == "syria_diplomacy"


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("الأسد يمنح وسام الشجاعة لعدد من الضباط السوريين", "منح الرئيس السوري أوسمة لضباط في الجيش في دمشق."),
        # وسام is also a first name
        ("اللاعب السوري وسام ينتقل إلى نادي أردني", "أكمل اللاعب انتقاله بعد موسم جيد مع فريقه."),
        ("السباح السوري يحرز ميدالية ذهبية في طوكيو", "حقق السباح رقما قياسيا جديدا في النهائي."),
    ],
)
def test_domestic_honours_names_and_sports_medals_are_not(title: str, body: str) -> None:
    assert decide(title, body, "ar")["route"] != "syria_diplomacy"


# ---------------------------------------------------------------------------------- rankings


@pytest.mark.parametrize(
    ("title", "body", "lang"),
    [
        (
            "Syria, Yemen and Somalia at bottom of global peace index",
            "Iceland tops the ranking again, with New Zealand and Denmark close behind.",
            "en",
        ),
        ("سوريا واليمن والصومال في ذيل مؤشر السلام العالمي", "تصدرت آيسلندا الترتيب تلتها نيوزيلندا والدنمارك.", "ar"),
        (
            "Norway tops press freedom ranking, Syria near the bottom",
            "The United Nations cited the report; Denmark, Sweden and Eritrea are named.",
            "en",
        ),
    ],
)
def test_syria_in_a_ranking_of_countries_is_a_passing_mention(title: str, body: str, lang: str) -> None:
    decision = decide(title, body, lang)
    assert decision["syria"] is False
    assert decision["why"]["syria"]["passing_mention"] is True
    assert decision["route"] == "other"


@pytest.mark.parametrize(
    ("title", "body"),
    [
        (
            "Astana talks: Russia, Turkey and Iran agree list of Syrian constitutional committee",
            "The guarantors agreed on the names.",
        ),
        ("Britain adds Syrian officials to sanctions list", "London said the officials served the government."),
    ],
)
def test_lists_in_diplomatic_headlines_do_not_make_a_passing_mention(title: str, body: str) -> None:
    assert decide(title, body)["route"] == "syria_diplomacy"


# ------------------------------------------------------------------------ look-alike contexts


@pytest.mark.parametrize(
    ("title", "body"),
    [
        (
            "India urges Kerala's Syrian church factions to reconcile",
            "The Malankara Orthodox Syrian Church and the Jacobite faction have quarrelled over parishes.",
        ),
        ("Vatican calls for unity among Kerala Syrian Christians", "The Syro-Malabar Church is divided on liturgy."),
    ],
)
def test_keralas_syrian_churches_are_not_syria(title: str, body: str) -> None:
    decision = decide(title, body)
    assert decision["syria"] is False
    assert decision["route"] in {"other", "review"}


def test_a_syria_story_naming_kerala_is_still_about_syria() -> None:
    decision = decide(
        "Kerala nurses flee fighting in Aleppo province",
        "The nurses from Kerala worked in a hospital in Aleppo province.",
    )
    assert decision["syria"] is True

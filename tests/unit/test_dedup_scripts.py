"""Dedup in the scripts written without spaces between words (Chinese, Japanese, Thai) and in those that write
vowels as combining marks (Hindi, Bengali): copies and stories found as in any other language."""

from __future__ import annotations

import random

import pytest

from streams.stages.dedup.index import DedupIndex

from .test_dedup import tagged

DAY = "2026-11-20T{}:00:00.000Z"

# written for these tests: two reports of one meeting, and a report of another event
ZH_MEETING = (
    "叙利亚外交部长周一在莫斯科与俄罗斯外交部长拉夫罗夫举行会谈，双方讨论了阿斯塔纳进程和叙利亚北部局势。"
    "拉夫罗夫表示，俄方支持通过政治途径解决叙利亚问题，并呼吁各方遵守停火协议，保障人道主义物资运送。"
)
ZH_MEETING_AGAIN = (
    "俄罗斯外长拉夫罗夫周一在莫斯科接待了到访的叙利亚外长，两国外长就阿斯塔纳进程和叙利亚北部局势交换了意见。"
    "拉夫罗夫重申，俄罗斯支持以政治方式解决叙利亚危机，敦促有关各方遵守停火，让人道主义物资顺利运抵。"
)
ZH_STORM = (
    "今年第十五号台风周一傍晚在广东沿海登陆，当地政府紧急转移了数万名居民，多条高铁线路暂停运营。"
    "气象部门预计强降雨将持续到周三，提醒沿海渔船回港避风，学校停课一天，机场取消了上百个航班。"
)
HI_MEETING = (
    "सीरिया के विदेश मंत्री ने सोमवार को मॉस्को में रूसी विदेश मंत्री लावरोव से मुलाकात की और अस्ताना प्रक्रिया "
    "तथा उत्तरी सीरिया की स्थिति पर चर्चा की। लावरोव ने कहा कि रूस राजनीतिक समाधान का समर्थन करता है और सभी "
    "पक्षों से युद्धविराम का पालन करने की अपील की।"
)
HI_MEETING_AGAIN = (
    "मॉस्को में सोमवार को हुई बैठक के बाद लावरोव ने पत्रकारों को बताया कि सीरिया में शांति केवल बातचीत से आएगी। "
    "रूसी मंत्रालय के एक बयान के अनुसार सीरियाई मंत्री के साथ उनकी वार्ता अस्ताना प्रारूप, शरणार्थियों की वापसी और "
    "युद्धविराम पर केंद्रित रही।"
)


def warmed(lang: str) -> DedupIndex:
    """An index that has counted enough articles of ``lang`` to know its telling words (then reports of one
    story must share words, not only names): texts of random Han characters, or of random Devanagari words."""
    index = DedupIndex({})
    rng = random.Random(7)
    for n in range(index.stats.min_docs_for_share):
        if lang == "zh":
            text = "，".join("".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(9)) for _ in range(12))
        else:
            syllables = [
                chr(c) + rng.choice(["", chr(0x093E), chr(0x093F), chr(0x0940), chr(0x0947)])
                for c in range(0x0915, 0x0939)
            ]
            text = " ".join("".join(rng.choices(syllables, k=3)) for _ in range(40))
        assert not index.check(tagged(text[:12], text, DAY.format("06"), 100 + n, lang)).duplicate
    return index


def test_an_edited_chinese_republication_is_a_copy() -> None:
    index = DedupIndex({})
    original = tagged("叙利亚外长在莫斯科会见俄罗斯外长", ZH_MEETING, DAY.format("08"), 1, "zh")
    # another headline, the lead cut short and a clause of its own at the end
    edited = tagged(
        "俄叙外长莫斯科会谈",
        ZH_MEETING.replace("，双方讨论了阿斯塔纳进程和叙利亚北部局势", "") + "双方同意下月再次会晤。",
        DAY.format("09"),
        2,
        "zh",
    )
    assert not index.check(original).duplicate
    verdict = index.check(edited)
    assert (verdict.duplicate, verdict.dup_of, verdict.story) == (True, original.id, original.id)


@pytest.mark.parametrize(
    ("lang", "reports"),
    [
        ("zh", (("叙利亚外长在莫斯科会见俄罗斯外长", ZH_MEETING), ("俄叙外长会谈聚焦阿斯塔纳进程", ZH_MEETING_AGAIN))),
        (
            "hi",
            (
                ("सीरियाई विदेश मंत्री ने मॉस्को में लावरोव से मुलाकात की", HI_MEETING),
                ("लावरोव और सीरियाई विदेश मंत्री की बातचीत", HI_MEETING_AGAIN),
            ),
        ),
    ],
)
def test_reports_of_one_meeting_share_a_story_and_another_event_does_not(
    lang: str, reports: tuple[tuple[str, str], ...]
) -> None:
    index = warmed(lang)
    (title, body), (title_again, body_again) = reports
    first = tagged(title, body, DAY.format("08"), 1, lang)
    second = tagged(title_again, body_again, DAY.format("11"), 2, lang)
    storm = tagged("台风登陆广东沿海", ZH_STORM, DAY.format("12"), 3, "zh")
    verdicts = [index.check(a) for a in (first, second, storm)]
    assert [v.duplicate for v in verdicts] == [False, False, False]
    assert [v.story for v in verdicts] == [first.id, first.id, storm.id]

"""Normalisation for matching keys and the Aho-Corasick matcher's word boundaries, on a small lexicon."""

from __future__ import annotations

import pytest

from streams.stages import textnorm
from streams.stages.tagging import sources
from streams.stages.tagging.lexicon import Lexicon
from streams.stages.textnorm import _fold_whole, fold

ENTITIES = {
    "version": 1,
    "entities": [
        {
            "id": "org.un",
            "type": "organisation",
            "name": "United Nations",
            "syria": "none",
            "diplomatic": True,
            "aliases": {
                "ar": ["الأمم المتحدة"],
                "en": ["United Nations"],
                "ru": ["Организация Объединённых Наций"],
            },
        },
        {
            "id": "person.envoy",
            "type": "person",
            "name": "Envoy Example",
            "syria": "strong",
            "diplomatic": True,
            "aliases": {"ru": ["Педерсен"], "en": ["Pedersen"], "ar": ["بيدرسن"]},
        },
        {
            "id": "place.homs",
            "type": "place",
            "name": "Homs",
            "syria": "strong",
            "ambiguous": True,
            "aliases": {"ar": ["حمص"], "en": ["Homs"]},
        },
    ],
}
SIGNALS = {
    "version": 1,
    "topics": {
        "visit": {"kind": "diplomacy", "weight": 1.0, "terms": {"ar": ["زيارة"], "en": ["visit"]}},
        "talks": {"kind": "diplomacy", "weight": 1.0, "terms": {"ru": ["переговор*"], "tr": ["müzakere*"]}},
    },
}


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.build(ENTITIES, SIGNALS, with_countries=True, with_cities=False)


def refs(lexicon: Lexicon, text: str) -> list[str]:
    return [hit.ref for hit in lexicon.find(fold(text))]


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("أستانا ٢٢", "استانا 22"),
        ("مُحَمَّدٌ", "محمد"),
        ("الـــشرع", "الشرع"),
        ("مدرسة", "مدرسه"),
        ("مصطفى", "مصطفي"),
        ("ایران", "ايران"),
        ("کرد", "كرد"),
        ("وزیر خارجہ نے کہا", "وزير خارجه ني كها"),  # Urdu heh goal, yeh barree, heh doachashmee: as Persian
        ("سوریۂ بھارت", "سوريه بهارت"),  # heh goal with hamza, one letter
        ("سوری\u06c1\u0654", "سوريه"),  # ...or heh goal and a hamza above, dropped as a mark
        ("İSTANBUL ılık", "istanbul ilik"),
        ("Syria's envoy", "syria envoy"),
        ("Ёлка", "елка"),
        ("Pédersen", "pedersen"),
        ("Pédersen’s talks", "pedersen talks"),  # the possessive in a text that is not ASCII
        ("it is 's' he said", "it is s he said"),  # no word before it: not a possessive
        ("Ḥamā وأَحمد", "hama واحمد"),
        ("भारत के विदेश मंत्री", "भारत के विदेश मंत्री"),  # vowel signs and the virama stay in their words
        ("পররাষ্ট্রমন্ত্রী, ঢাকা।", "পররাষ্ট্রমন্ত্রী ঢাকা"),  # the danda is punctuation
        ("รัฐมนตรีต่างประเทศ", "รัฐมนตรีต่างประเทศ"),
        ("שָׁלוֹם בֵּית־סֵפֶר", "שלום בית ספר"),  # points dropped; the maqaf is a hyphen
    ],
)
def test_fold(raw: str, key: str) -> None:
    assert fold(raw) == key
    long = f"{raw} . {raw}\n({raw}) " * 4  # folded a token at a time, remembered: the same key as whole
    assert len(long) >= textnorm.TOKENWISE_MIN_CHARS
    assert fold(long) == fold(long) == _fold_whole(long) == " ".join([key] * 12).strip()


def test_words_of_scripts_without_spaces_are_character_bigrams() -> None:
    assert textnorm.words("the envoy met 12 ministers") == ["the", "envoy", "met", "12", "ministers"]
    assert textnorm.words(fold("外长会谈。")) == ["外长", "长会", "会谈"]
    assert textnorm.words(fold("2026年 联合国Syria会议 和")) == ["2026", "年", "联合", "合国", "syria", "会议", "和"]
    assert textnorm.words(fold("シリアの外相")) == ["シリ", "リア", "アの", "の外", "外相"]
    assert textnorm.words("มอสโก") == ["มอ", "อส", "สโ", "โก"]
    assert textnorm.words(fold("मंत्री ने कहा")) == ["मंत्री", "ने", "कहा"]  # written with spaces: words
    assert [textnorm.unsegmented(w) for w in ("外长", "年", "มอ", "syria", "मंत्री", "12")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]


def test_the_marks_kept_in_words_are_the_unicode_combining_marks_outside_latin() -> None:
    import unicodedata

    marks, word = textnorm._marked_words()
    for code in (0x093E, 0x094D, 0x0E31, 0x0E48, 0x09CD, 0x17B6, 0x102C):  # Devanagari, Thai, Bengali, Khmer, Myanmar
        assert unicodedata.category(chr(code)) in ("Mn", "Mc")
        assert marks.match(chr(code))
    for char in ("\u0301", "a", "।", ",", "_", " "):  # Latin accents are composed and dropped; no letters
        assert marks.match(char) is None
    assert word.findall("a_b मंत्री, x") == ["a", "b", "मंत्री", "x"]


def test_a_text_with_a_decomposed_accent_is_folded_whole() -> None:
    # composing (NFC) is applied to the whole text when any of it needs it, as before: the decomposed é
    # meets e there, and the rest of the text is folded alike
    text = "Pe\u0301dersen met the envoy in the city of Évian " * 3
    assert fold(text) == _fold_whole(text) == " ".join(["pedersen met the envoy in the city of evian"] * 3)
    assert textnorm._fold_token("Pe\u0301dersen") == textnorm._COMPOSED


def test_long_tokens_are_folded_but_not_remembered() -> None:
    blob = "x" * (textnorm.MAX_TOKEN_CHARS + 1)
    text = f"{blob} Damascus talks resume after a week of delays in the capital"
    assert fold(text) == f"{blob} damascus talks resume after a week of delays in the capital"
    assert blob not in textnorm._TOKENS
    assert textnorm._TOKENS["Damascus"] == "damascus"


def test_the_latest_long_texts_keys_are_remembered_within_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textnorm, "_RECENT", {})
    monkeypatch.setattr(textnorm, "RECENT_TEXTS", 2)
    texts = [f"Report {n}: the envoy met the ministers in the capital on the {n}th day of the talks." for n in range(3)]
    assert [fold(text) for text in texts] == [_fold_whole(text) for text in texts]
    assert list(textnorm._RECENT) == [texts[2]]  # cleared when full, then the third one kept
    textnorm._RECENT[texts[2]] = "remembered"
    assert fold(texts[2]) == "remembered"  # read back, not folded again
    composed = "Pe\u0301dersen met the envoy in the city of Évian " * 3
    assert fold(composed) == fold(composed) == _fold_whole(composed)
    monkeypatch.setattr(textnorm, "RECENT_MAX_CHARS", 100)
    long = " ".join(texts) * 2
    assert fold(long) == _fold_whole(long)
    assert long not in textnorm._RECENT


def test_arabic_clitics_match_but_not_inside_words(lexicon: Lexicon) -> None:
    assert refs(lexicon, "وللأمم المتحدة دور") == ["org.un"]
    assert refs(lexicon, "بالأمم المتحدة") == ["org.un"]
    assert refs(lexicon, "وبيدرسن قال") == ["person.envoy"]
    assert refs(lexicon, "زيارته إلى") == ["visit"]  # taa marbuta before a pronoun suffix
    assert refs(lexicon, "احمصوا") == []  # letters of حمص inside another word
    assert refs(lexicon, "سوريا") == ["country.SY"]
    assert refs(lexicon, "سورياليه") == []


def test_inflected_languages(lexicon: Lexicon) -> None:
    assert refs(lexicon, "Переговоры прошли") == ["talks"]
    assert refs(lexicon, "встреча с Педерсеном") == ["person.envoy"]
    assert refs(lexicon, "Suriye müzakereleri") == ["country.SY", "talks"]


def test_names_in_indic_scripts_take_their_case_endings(lexicon: Lexicon) -> None:
    # Syria with a genitive or dative ending written onto it: Bengali, Tamil, Marathi, Gujarati; Hindi writes
    # its postposition apart
    for text in ("সিরিয়ার মন্ত্রী", "சிரியாவின் அமைச்சர்", "சிரியாவுக்கு", "सीरियाच्या मंत्र्यांनी", "સીરિયાના મંત્રી"):
        assert refs(lexicon, text) == ["country.SY"], text
    assert refs(lexicon, "सीरिया के विदेश मंत्री") == ["country.SY"]
    assert refs(lexicon, "सीरियाआआआआआआआ") == []  # more than an ending: another word


def test_names_in_georgian_and_armenian_take_their_case_endings(lexicon: Lexicon) -> None:
    for text in ("სირია", "სირიის მთავრობა", "სირიაში", "Սիրիա", "Սիրիայի կառավարություն", "Սիրիայից"):
        assert refs(lexicon, text) == ["country.SY"], text


def test_names_match_at_both_ends_of_the_text(lexicon: Lexicon) -> None:
    assert refs(lexicon, "Pedersen") == ["person.envoy"]
    assert refs(lexicon, "visit") == ["visit"]
    assert refs(lexicon, "Pedersenko") == []  # a longer word, at the end of the text too


def test_english_word_boundaries(lexicon: Lexicon) -> None:
    assert refs(lexicon, "Pedersen's visit") == ["person.envoy", "visit"]
    assert refs(lexicon, "revisit the plan") == []
    assert refs(lexicon, "the United Nations") == ["org.un"]


@pytest.mark.parametrize("lang", ["ar", "en", "nb", "sr", "de"])
def test_country_names_read_from_cldr_files_are_babels(lang: str) -> None:
    """The lexicon reads CLDR's names from Babel's files (not through its loader, which keeps every locale
    in memory): the names, inherited ones included (Norwegian Bokmål's come from ``no``), are Babel's."""
    from babel import Locale

    names = sources._territories(lang)
    assert names == dict(Locale.parse(lang).territories)
    assert names["SY"]

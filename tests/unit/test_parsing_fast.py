"""The parse stage's fast paths: pycld2 before lingua, fastfeedparser before feedparser, trafilatura's fast mode
before its standard one; each falls back where it may read differently, and ``streams parse`` shows the result."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.cli import _parse, main
from streams.errors import ParseError
from streams.stages.parsing import RawMeta, feeds, langid, pages, parse_payload
from streams.stages.parsing.dates import parse_date

ENGLISH = "The foreign minister met the UN envoy in Damascus on Monday to discuss a new round of talks in Geneva."
FRENCH = "Le ministre des affaires étrangères a rencontré l'envoyé de l'ONU à Damas lundi pour parler des pourparlers."


def _no_lingua(codes: tuple[str, ...]) -> None:
    raise AssertionError("lingua was asked")


# --- language identification ---------------------------------------------------------------------------------


def test_the_first_pass_answers_a_clear_sample_without_lingua(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(langid, "_detector", _no_lingua)
    code, confidence = langid.detect_language(ENGLISH)
    assert code == "en"
    assert 0.8 <= confidence <= 1
    assert langid.detect_language(ENGLISH, hint="en")[0] == "en"  # an agreeing hint changes nothing


def test_without_the_first_pass_lingua_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(langid, "_detector", _no_lingua)
    with pytest.raises(AssertionError, match="lingua was asked"):
        langid.detect_language(ENGLISH, first_pass=False)


@pytest.mark.parametrize("bad", ["\x00", "\x7f", "\x85", "\ufffe", "\U0010ffff"])
def test_input_pycld2_refuses_goes_to_lingua(bad: str) -> None:
    text = f"{FRENCH[:40]}{bad}{FRENCH[40:]}"
    assert langid._cld2(text) is None
    assert langid.detect_language(text)[0] == "fr"


def test_a_lone_surrogate_is_replaced_not_raised() -> None:
    text = f"{FRENCH[:40]}\ud800{FRENCH[40:]}"
    assert langid._cld2(text) == ("fr", 0.99)
    assert langid.detect_language(text) == ("fr", 0.99)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (
            "Україна відновила дипломатичні відносини з Сирією після тривалої перерви. Міністри домовилися про "
            "нові переговори наступного місяця.",
            "uk",
        ),
        (
            "De Nederlandse minister sprak in Genève met de gezant over nieuwe gesprekken tussen de partijen. De "
            "volgende ronde begint volgende maand.",
            "nl",
        ),
        (
            "Norges utenriksminister møtte sin syriske kollega i Oslo for samtaler om sanksjonene. Møtet varte i "
            "to timer, opplyser departementet.",
            "nb",
        ),
        (
            "叙利亚外长与联合国特使举行会谈，讨论停火和制裁问题，双方同意继续保持联系，并将在下个月于日内瓦再次会面。",
            "zh",
        ),
    ],
)
def test_the_first_pass_answers_the_further_languages_the_tagger_reads(text: str, code: str) -> None:
    assert code in langid.FIRST_PASS_ONLY
    assert len(text) >= langid.SHORT_SAMPLE or code == "zh"
    assert langid.detect_language(text)[0] == code  # the rules alone: Russian, German, German, "und"


def test_a_further_language_on_a_short_sample_only_as_declared() -> None:
    short = "De minister sprak met de gezant over nieuwe gesprekken."
    found = langid._cld2(short)
    assert found is not None
    assert found[0] == "nl"
    assert langid.detect_language(short, hint="nl")[0] == "nl"
    assert langid.detect_language(short)[0] in langid.LATIN_SCRIPT  # the rules answer: CLD2 was sure too soon


def test_a_contradicted_hint_and_languages_not_ours_go_the_former_way(monkeypatch: pytest.MonkeyPatch) -> None:
    found = langid._cld2(ENGLISH)
    assert found is not None
    assert found[0] == "en"
    # pycld2 is sure of Icelandic, which we do not read: lingua answers among the Latin-script languages, as before
    icelandic = "Utanríkisráðherra Sýrlands hitti sendimann Sameinuðu þjóðanna í Genf á mánudag til að ræða viðræður."
    assert langid._cld2(icelandic) is None
    assert langid.detect_language(icelandic)[0] in langid.LATIN_SCRIPT
    # pycld2 says English, the feed says French: lingua (restricted to Latin script) and the hint decide
    calls: list[tuple[str, ...]] = []
    real = langid._detector

    def spy(codes: tuple[str, ...]) -> Any:
        calls.append(codes)
        return real(codes)

    monkeypatch.setattr(langid, "_detector", spy)
    langid.detect_language(ENGLISH, hint="fr")
    assert calls == [langid.LATIN_SCRIPT]


@settings(max_examples=200, deadline=2000)
@given(text=st.text(max_size=400), hint=st.sampled_from([None, "en", "ar", "fa"]))
def test_any_text_gets_one_of_our_languages(text: str, hint: str | None) -> None:
    code, confidence = langid.detect_language(text, hint=hint)
    assert code in (*langid.KNOWN, "und") or code == hint
    assert 0.0 <= confidence <= 1.0


# --- feeds ----------------------------------------------------------------------------------------------------

FALLBACK_FEEDS = {"prettyparser__sci_am.xml", "rssparser__uolNoticias.rss"}  # two authors; Portuguese dates


def test_dev_feeds_read_as_feedparser_reads_them(shared_data: Path) -> None:
    fallback = set()
    for path in sorted((shared_data / "dev" / "feeds").iterdir()):
        if path.suffix not in {".xml", ".rss", ".atom"}:
            continue
        payload = path.read_bytes()
        fast = feeds.parse_feed_fast(payload)
        if fast is None:
            fallback.add(path.name)
            continue
        former = feeds.parse_feed_feedparser(payload)
        assert len(fast) == len(former), path.name
        for a, b in zip(former, fast, strict=True):
            for name in ("title", "body", "format", "url", "byline", "source_name", "lang", "source_id"):
                assert getattr(a, name) == getattr(b, name), (path.name, name)
            assert parse_date(a.published) == parse_date(b.published), path.name
    assert fallback == FALLBACK_FEEDS


def _rss(items: str, head: str = '<?xml version="1.0" encoding="utf-8"?>', channel: str = "") -> bytes:
    return (
        f'{head}<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Wire</title>'
        f"{channel}{items}</channel></rss>"
    ).encode()


ITEM = "<item><title>{title}</title><link>https://wire.example/{n}</link><guid>w-{n}</guid>{extra}</item>"


def _items(*extras: str) -> str:
    return "".join(ITEM.format(title=f"Talks resume, day {n}", n=n, extra=e) for n, e in enumerate(extras, 1))


def test_ordinary_feed_takes_the_fast_path_with_its_channel_language() -> None:
    payload = _rss(
        _items(
            "<pubDate>Mon, 16 Nov 2026 15:20:00 +0000</pubDate><dc:creator>A. Writer</dc:creator>",
            "<pubDate>Tue, 17 Nov 2026 08:00:00 GMT</pubDate><dc:creator />",
        ),
        channel="<language>en-GB</language>",
    )
    fast = feeds.parse_feed_fast(payload)
    assert fast is not None
    assert [d.source_id for d in fast] == ["w-1", "w-2"]
    assert [d.lang for d in fast] == ["en", "en"]
    assert [d.byline for d in fast] == ["A. Writer", None]
    former = feeds.parse_feed_feedparser(payload)
    for name in ("title", "body", "url", "byline", "source_name", "lang", "source_id"):
        assert [getattr(d, name) for d in fast] == [getattr(d, name) for d in former]
    assert [parse_date(d.published) for d in fast] == [parse_date(d.published) for d in former]
    assert parse_date(fast[1].published) == parse_date("2026-11-17T08:00:00Z")


@pytest.mark.parametrize(
    ("items", "field", "expected"),
    [
        # two authors: feedparser keeps the last
        (_items("<dc:creator>First One</dc:creator><dc:creator>Second Two</dc:creator>"), "byline", "Second Two"),
        # a date fastfeedparser cannot read: feedparser keeps the text, parse_date reads it
        (_items("<pubDate>Seg, 24 Set 2018 19:42:40 -0300</pubDate>"), "published", "Seg, 24 Set 2018 19:42:40 -0300"),
        # no <link>: feedparser's permalink rules for the guid
        (
            "<item><title>Talks resume</title><guid>https://wire.example/g</guid></item>",
            "url",
            "https://wire.example/g",
        ),
    ],
)
def test_readings_that_may_differ_go_to_feedparser(items: str, field: str, expected: str) -> None:
    payload = _rss(items)
    assert feeds.parse_feed_fast(payload) is None
    (draft,) = feeds.parse_feed(payload)
    assert getattr(draft, field) == expected


def test_no_guid_means_no_source_id_not_a_made_up_one() -> None:
    payload = _rss("<item><title>Talks resume</title><link>https://wire.example/1</link></item>")
    (fast,) = feeds.parse_feed_fast(payload) or []
    (former,) = feeds.parse_feed_feedparser(payload)
    assert fast.source_id is None
    assert former.source_id is None


def test_undeclared_latin1_and_declared_arabic_code_page_are_decoded_first() -> None:
    latin = _rss("<item><title>Notícias da Síria</title><link>https://uol.example/1</link></item>", head="")
    latin_bytes = latin.decode().encode("latin-1")
    (draft,) = feeds.parse_feed_fast(latin_bytes) or []
    assert draft.title == "Notícias da Síria"
    arabic = _rss(
        "<item><title>وزير الخارجية يلتقي المبعوث الأممي</title><link>https://sana.example/1</link></item>",
        head='<?xml version="1.0" encoding="windows-1256"?>',
    )
    arabic_bytes = arabic.decode().encode("cp1256")
    (fast,) = feeds.parse_feed_fast(arabic_bytes) or []
    (former,) = feeds.parse_feed_feedparser(arabic_bytes)
    assert fast.title == former.title == "وزير الخارجية يلتقي المبعوث الأممي"


def test_a_payload_that_names_an_address_is_never_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    import fastfeedparser.main

    def no_fetch(url: str) -> None:
        raise AssertionError(f"fetched {url}")

    monkeypatch.setattr(fastfeedparser.main, "_fetch_url_content", no_fetch)
    with pytest.raises(ParseError):
        parse_payload(b"https://feeds.example/rss", RawMeta(content_type="application/rss+xml"))


# --- article pages --------------------------------------------------------------------------------------------


class _Doc:
    def __init__(self, text: str) -> None:
        self.text = text


def test_fast_extraction_unless_the_body_looks_wrong(monkeypatch: pytest.MonkeyPatch, samples_dir: Path) -> None:
    page = (samples_dir / "envoy-visit.html").read_text(encoding="utf-8")
    modes: list[bool] = []
    real = pages.trafilatura.bare_extraction

    def spy(*args: Any, **kwargs: Any) -> Any:
        modes.append(bool(kwargs.get("fast")))
        return real(*args, **kwargs)

    monkeypatch.setattr(pages.trafilatura, "bare_extraction", spy)
    draft = pages.parse_html(page)
    assert modes == [True]
    assert len(draft.body) >= pages.MIN_FAST_BODY

    def short_when_fast(*args: Any, **kwargs: Any) -> _Doc:
        return _Doc("Too short." if kwargs.get("fast") else "The standard reading. " * 20)

    monkeypatch.setattr(pages.trafilatura, "bare_extraction", short_when_fast)
    assert pages.parse_html(page).body.startswith("The standard reading.")
    assert pages.parse_html(page, extract="fast").body == "Too short."


def test_auto_keeps_the_former_metadata_on_the_sample(samples_dir: Path) -> None:
    page = (samples_dir / "envoy-visit.html").read_text(encoding="utf-8")
    former = pages.parse_html(page, extract="standard")
    now = pages.parse_html(page)
    assert now.title == former.title
    assert now.title.startswith("UN envoy meets Syrian foreign minister")
    assert (now.url, parse_date(now.published)) == (former.url, parse_date(former.published))
    assert now.body.split("\n")[0] == former.body.split("\n")[0]


def test_a_page_without_main_text_is_refused() -> None:
    page = "<html><head><title>Only a title here</title></head><body><script>var a = 1;</script></body></html>"
    for extract in pages.EXTRACTORS:
        with pytest.raises(ParseError) as caught:
            pages.parse_html(page, extract=extract)
        assert caught.value.reason == "no_text"
    with pytest.raises(ValueError, match="extract"):
        pages.parse_html(page, extract="best")


# --- streams parse --------------------------------------------------------------------------------------------


def test_parse_command_one_line_per_article_with_its_path(tmp_path: Path, samples_dir: Path) -> None:
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "news.atom").write_bytes((samples_dir / "arabic-news.atom").read_bytes())
    (folder / "broken.json").write_bytes(b'{"title": "no end')
    rss = samples_dir / "syria-diplomacy.rss"
    html = samples_dir / "envoy-visit.html"
    out = io.StringIO()
    assert _parse([str(rss), str(html), str(folder)], "auto", out) == 0
    lines = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert [line["path"] for line in lines] == [str(rss)] * 5 + [str(html)] + [str(folder / "broken.json")] + [
        str(folder / "news.atom")
    ] * 5
    assert [line["format"] for line in lines[:6]] == ["rss"] * 5 + ["html"]
    assert lines[0]["title"].startswith("UN envoy tells Security Council")
    assert lines[0]["lang"] == "en"
    assert lines[0]["published"] == "2026-11-16T15:20:00.000Z"
    assert lines[0]["url"] == "https://levant-wire.example/2026/11/16/un-envoy-security-council-briefing"
    assert lines[6] == {"path": str(folder / "broken.json"), "error": "payload is not valid JSON", "reason": "bad_json"}
    assert {line["lang"] for line in lines[7:]} == {"ar"}
    assert all(len(line["id"]) == 24 and line["body"] for i, line in enumerate(lines) if i != 6)


def test_parse_command_is_wired(capsys: pytest.CaptureFixture[str], samples_dir: Path) -> None:
    assert main(["parse", "--extract", "standard", str(samples_dir / "envoy-visit.html")]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    record = orjson.loads(line)
    assert record["path"] == str(samples_dir / "envoy-visit.html")
    assert record["title"].startswith("UN envoy meets Syrian foreign minister")

"""JSON articles: NewsAPI-style, GDELT DOC-style and generic ``title``/``body`` objects, alone or in lists."""

from __future__ import annotations

import re
from typing import Any

from streams.errors import ParseError
from streams.stages.parsing.draft import Draft
from streams.stages.parsing.htmltext import html_to_text

__all__ = ["drafts_from_json"]

_BODY_KEYS = ("body", "content", "text", "article", "description", "summary", "snippet")
_DATE_KEYS = ("published", "publishedAt", "published_at", "pubDate", "date", "datetime", "seendate", "time")
_URL_KEYS = ("url", "link", "canonical_url", "href")
_LIST_KEYS = ("articles", "items", "results", "data", "entries", "news")
# GDELT DOC gives "20241111T070000Z"; NewsAPI truncates content with "[+1234 chars]".
_GDELT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$")
_TRUNCATION = re.compile(r"\s*…?\s*\[\+\d+ chars\]\s*$")
_LANGUAGE_NAMES = {
    "arabic": "ar",
    "english": "en",
    "turkish": "tr",
    "russian": "ru",
    "persian": "fa",
    "farsi": "fa",
    "french": "fr",
    "german": "de",
    "italian": "it",
    "portuguese": "pt",
    "spanish": "es",
    "urdu": "ur",
}
MAX_DEPTH = 6


def drafts_from_json(value: Any, *, depth: int = 0) -> list[Draft]:
    """Every article object found in a decoded JSON value."""
    if depth > MAX_DEPTH:
        raise ParseError("JSON nests too deeply to hold articles", reason="json_depth")
    if isinstance(value, list):
        drafts: list[Draft] = []
        for item in value:
            drafts.extend(drafts_from_json(item, depth=depth + 1))
        return drafts
    if not isinstance(value, dict):
        raise ParseError(f"JSON {type(value).__name__} is not an article object", reason="not_an_article")
    for key in _LIST_KEYS:
        if isinstance(value.get(key), list):
            return drafts_from_json(value[key], depth=depth + 1)
    return [_one(value)]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return _text(value.get("name") or value.get("value") or value.get("text"))
    if isinstance(value, list):
        return "\n".join(_text(v) for v in value if v is not None)
    return ""


def _first(obj: dict[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        text = _text(obj.get(key)).strip()
        if text:
            return text
    return ""


def _one(obj: dict[str, Any]) -> Draft:
    title = html_to_text(_text(obj.get("title") or obj.get("headline")).strip())
    # NewsAPI has both description and (truncated) content: keep the longer, minus the truncation marker
    candidates = [_TRUNCATION.sub("", _text(obj.get(key))) for key in _BODY_KEYS]
    body = html_to_text(max(candidates, key=len).strip())
    if not title and not body:
        raise ParseError("JSON object has no title or text field", reason="not_an_article")
    published = _first(obj, _DATE_KEYS) or None
    if published:
        gdelt = _GDELT_DATE.match(published)
        if gdelt:
            y, mo, d, h, mi, s = gdelt.groups()
            published = f"{y}-{mo}-{d}T{h}:{mi}:{s}+00:00"
    source = obj.get("source") or obj.get("source_outlet") or obj.get("outlet") or obj.get("domain")
    lang = _text(obj.get("lang") or obj.get("language")).strip().lower()
    lang = _LANGUAGE_NAMES.get(lang, lang)
    given_id = _text(obj.get("id")).strip() or None
    guid = _text(obj.get("guid")).strip() or None  # a feed item published as JSON (streams ingest)
    return Draft(
        title=title,
        body=body,
        format="json",
        url=_first(obj, _URL_KEYS) or None,
        published=published,
        byline=_text(obj.get("author") or obj.get("byline")).strip() or None,
        source_name=_text(source).strip() or None,
        lang=lang[:2] if lang and len(lang) >= 2 else None,
        given_id=given_id,
        source_id=given_id or guid,
    )

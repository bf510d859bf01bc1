"""HTML article pages: main text, title, byline, date and canonical link, via trafilatura."""

from __future__ import annotations

import re
import warnings

import trafilatura

from streams.errors import ParseError
from streams.stages.parsing.draft import Draft

__all__ = ["parse_html"]

_PUBLISHED_META = re.compile(
    r"""<meta[^>]+(?:property|name|itemprop)\s*=\s*["'](?:article:published_time|datePublished|"""
    r"""pubdate|publishdate|date|dc\.date)["'][^>]*content\s*=\s*["']([^"']+)["']""",
    re.IGNORECASE,
)


def parse_html(page: str, url: str | None = None) -> Draft:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lxml/trafilatura chatter about element truthiness
        document = trafilatura.bare_extraction(
            page,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            favor_precision=True,
        )
    if document is None:
        raise ParseError("no article text found in the HTML page", reason="no_text")
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    title = (data.get("title") or "").strip()
    text = (data.get("text") or "").strip()
    lines = text.splitlines()
    if lines and title and lines[0].strip() == title:
        text = "\n".join(lines[1:]).strip()
    if not text and not title:
        raise ParseError("no article text found in the HTML page", reason="no_text")
    published_meta = _PUBLISHED_META.search(page[:200_000])
    return Draft(
        title=title,
        body=text,
        format="html",
        url=data.get("url") or url,
        published=published_meta.group(1) if published_meta else data.get("date"),
        byline=data.get("author") or None,
        source_name=data.get("sitename") or None,
    )

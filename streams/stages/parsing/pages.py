"""HTML article pages: main text, title, byline, date and canonical link, via trafilatura on one lxml tree.

Main text: trafilatura's fast mode (its own extraction without the comparison with its readability and
jusText fallbacks), and its standard mode where the fast result looks wrong: a body under
``MIN_FAST_BODY`` characters (the fast mode's misses are pages where it finds little or nothing).
Metadata from the same tree, with trafilatura's readers: meta tags and JSON-LD, then the title, canonical
link and site name; the date from the published-time meta tags, else htmldate with its extensive search, as
trafilatura does (without it 13 of 150 dev pages lost their date, for 1.7 ms a page); the byline from meta
tags and JSON-LD only (trafilatura's search of the page for an author costs about 4 ms a page, and nothing
downstream reads the byline). On the dev and held-out pages this extracts as well as the standard mode with
full metadata did, at a little over half its CPU; ``extract="standard"`` is that former reading, kept for the
evaluation. docs/parsing.md has the numbers.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from typing import Any

import trafilatura
from htmldate import find_date
from trafilatura import metadata as trafilatura_metadata
from trafilatura.settings import set_date_params
from trafilatura.utils import load_html

from streams.errors import ParseError
from streams.stages.parsing.draft import Draft

__all__ = ["EXTRACTORS", "MIN_FAST_BODY", "parse_html"]

EXTRACTORS = ("auto", "fast", "standard")
MIN_FAST_BODY = 200  # characters: a fast extraction with less is done again in the standard mode

_PUBLISHED_META = re.compile(
    r"""<meta[^>]+(?:property|name|itemprop)\s*=\s*["'](?:article:published_time|datePublished|"""
    r"""pubdate|publishdate|date|dc\.date)["'][^>]*content\s*=\s*["']([^"']+)["']""",
    re.IGNORECASE,
)
_EXTRACT_OPTIONS: dict[str, Any] = {"include_comments": False, "include_tables": False}


def parse_html(page: str, url: str | None = None, extract: str = "auto") -> Draft:
    """The draft of one HTML page. ``extract``: ``auto`` (fast, standard where that looks wrong), ``fast``,
    or ``standard`` (trafilatura's standard mode with its full metadata, favouring precision)."""
    if extract not in EXTRACTORS:
        raise ValueError(f"extract must be one of {EXTRACTORS}, got {extract!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lxml/trafilatura chatter about element truthiness
        if extract == "standard":
            return _standard(page, url)
        tree = load_html(page)
        if tree is None:
            raise ParseError("no article text found in the HTML page", reason="no_text")
        meta = _metadata(tree, url)
        text = _text(trafilatura.bare_extraction(tree, url=url, fast=True, **_EXTRACT_OPTIONS))
        if extract == "auto" and len(text) < MIN_FAST_BODY:
            text = max(text, _text(trafilatura.bare_extraction(tree, url=url, **_EXTRACT_OPTIONS)), key=len)
    if not text:  # as the standard mode: a page without main text is no article, whatever its title
        raise ParseError("no article text found in the HTML page", reason="no_text")
    published_meta = _PUBLISHED_META.search(page[:200_000])
    published = published_meta.group(1) if published_meta else None
    if published is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            published = find_date(tree, url=meta["url"], **set_date_params(True))
    return _draft(meta["title"], text, meta["url"] or url, published, meta["author"], meta["sitename"])


def _text(document: Any) -> str:
    return ((document.text if document is not None else None) or "").strip()


def _metadata(tree: Any, url: str | None) -> dict[str, str | None]:
    """Title, canonical URL, byline and site name as trafilatura reads them, less its costly page-wide author
    search (see the module's notes)."""
    found = trafilatura_metadata.examine_meta(tree)
    if found.author and " " not in found.author:  # as trafilatura: a one-word "author" is a handle or a site
        found.author = None
    with contextlib.suppress(Exception):  # trafilatura's JSON-LD reader on broken JSON-LD: meta tags alone
        found = trafilatura_metadata.extract_meta_json(tree, found)
    title = found.title or trafilatura_metadata.extract_title(tree)
    canonical = found.url or trafilatura_metadata.extract_url(tree, url)
    sitename = found.sitename or trafilatura_metadata.extract_sitename(tree)
    if sitename:
        sitename = sitename.lstrip("@")
        if sitename and "." not in sitename and not sitename[0].isupper():
            sitename = sitename.title()
    elif canonical:
        host = trafilatura_metadata.META_URL.match(canonical)
        sitename = host[1] if host else None
    return {"title": title, "url": canonical, "author": found.author, "sitename": sitename or None}


def _standard(page: str, url: str | None) -> Draft:
    document = trafilatura.bare_extraction(page, url=url, with_metadata=True, favor_precision=True, **_EXTRACT_OPTIONS)
    if document is None:
        raise ParseError("no article text found in the HTML page", reason="no_text")
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    published_meta = _PUBLISHED_META.search(page[:200_000])
    return _draft(
        data.get("title"),
        (data.get("text") or "").strip(),
        data.get("url") or url,
        published_meta.group(1) if published_meta else data.get("date"),
        data.get("author"),
        data.get("sitename"),
    )


def _draft(
    title: str | None, text: str, url: str | None, published: str | None, author: str | None, site: str | None
) -> Draft:
    title = (title or "").strip()
    lines = text.splitlines()
    if lines and title and lines[0].strip() == title:
        text = "\n".join(lines[1:]).strip()
    if not text and not title:
        raise ParseError("no article text found in the HTML page", reason="no_text")
    return Draft(
        title=title,
        body=text,
        format="html",
        url=url,
        published=published,
        byline=author or None,
        source_name=site or None,
    )

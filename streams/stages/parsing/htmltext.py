"""HTML fragments (feed summaries, JSON bodies) to plain paragraphs, scripts and styles dropped."""

from __future__ import annotations

import html
import re

import lxml.html
from lxml import etree

__all__ = ["html_to_text", "looks_like_html"]

_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")
_BLOCKS = {
    "p",
    "div",
    "br",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "tr",
    "section",
    "article",
}


def looks_like_html(text: str) -> bool:
    return _TAG.search(text) is not None


def html_to_text(fragment: str) -> str:
    """Visible text of an HTML fragment, one paragraph a line."""
    if not looks_like_html(fragment):
        return _tidy(html.unescape(fragment))
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return _tidy(html.unescape(_TAG.sub(" ", fragment)))
    for bad in root.xpath("//script|//style|//noscript|//iframe|//form"):
        bad.drop_tree()
    parts: list[str] = []
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        if node.tag in _BLOCKS:
            parts.append("\n")
        if node.text:
            parts.append(node.text)
        if node.tag in _BLOCKS:
            parts.append("\n")
        if node.tail:
            parts.append(node.tail)
    return _tidy("".join(parts))


def _tidy(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)

"""Plain text scraped from an article page, in Arabic or English (and our other languages).

Scrapers copy what a reader sees, so the text carries page furniture around the story:

    Headline - Site Name            <- page title with the site's suffix
    Headline                        <- the headline again
    Outlet                          <- a short line naming the outlet
    paragraphs...                   <- the body
    Related articles                <- a related block: short headline lines
    Other headline / ...
    //                              <- end marker

This module finds those parts by their shape (repetition, length, marker phrases), not by any site's text.
"""

from __future__ import annotations

import re

from streams.stages.parsing.draft import Draft
from streams.stages.textnorm import fold

__all__ = ["parse_scraped_text"]

# Headings that open a related-articles block, in our languages (compared after textnorm.fold).
_RELATED_MARKERS = {
    fold(m)
    for m in (
        "مقالات ذات صلة",
        "أخبار ذات صلة",
        "مواضيع ذات صلة",
        "ذات صلة",
        "اقرأ أيضا",
        "اقرأ أيضاً",
        "إقرأ أيضا",
        "اقرأ المزيد",
        "شاهد أيضا",
        "المزيد من الأخبار",
        "الأكثر قراءة",
        "قد يعجبك أيضا",
        "Related",
        "Related articles",
        "Related stories",
        "Related news",
        "Read more",
        "Read also",
        "Also read",
        "More stories",
        "More from",
        "You may also like",
        "Most read",
        "Recommended",
        "İlgili haberler",
        "Benzer haberler",
        "Bunlar da ilginizi çekebilir",
        "Читайте также",
        "Похожие новости",
        "По теме",
        "مطالب مرتبط",
        "اخبار مرتبط",
        "بیشتر بخوانید",
        "À lire aussi",
        "Lire aussi",
        "Articles liés",
        "Sur le même sujet",
    )
}
# Lines that are sharing widgets and page chrome, not text.
_CHROME = {
    fold(m)
    for m in (
        "شارك",
        "مشاركة",
        "شارك الخبر",
        "طباعة",
        "تويتر",
        "فيسبوك",
        "واتساب",
        "تلغرام",
        "نسخ الرابط",
        "Share",
        "Share this",
        "Share this article",
        "Tweet",
        "Facebook",
        "Twitter",
        "X",
        "WhatsApp",
        "Telegram",
        "Email",
        "Print",
        "Copy link",
        "Advertisement",
        "إعلان",
        "Paylaş",
        "Поделиться",
        "Partager",
        "اشتراک گذاری",
    )
}
_END_MARKERS = {"//", "///", "—", "--", "***", "* * *"}
_TITLE_SEPARATOR = re.compile(r"^\s*[-|–—:·•]\s*(.+?)\s*$")
_SENTENCE_END = re.compile(r"[.!؟?。…:؛]\s*$")
_CHROME_PREFIX = re.compile(r"^(tags?|الوسوم|كلمات مفتاحية|etiketler|теги|برچسب ها|mots-clés)\s*[:：]", re.IGNORECASE)
_COPYRIGHT = re.compile(r"©|\bcopyright\b|all rights reserved|جميع الحقوق محفوظة", re.IGNORECASE)

MAX_HEADLINE_WORDS = 30
MAX_OUTLET_WORDS = 5


def parse_scraped_text(text: str) -> Draft:
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    title, site, start = _title(lines)
    source_name, start = _outlet(lines, start)
    body_lines: list[str] = []
    related: list[str] = []
    in_related = False
    for line in lines[start:]:
        key = fold(line)
        if line in _END_MARKERS:
            in_related = False
            continue
        if key in _RELATED_MARKERS:
            in_related = True
            continue
        if key in _CHROME or _CHROME_PREFIX.match(line) or (_COPYRIGHT.search(line) and len(line) < 120):
            continue
        if in_related:
            if _is_headline(line):
                related.append(line)
                continue
            in_related = False  # a real paragraph after the block: the block is over
        body_lines.append(line)
    return Draft(
        title=title,
        body="\n".join(body_lines),
        format="text",
        source_name=source_name or site,
        related=related,
    )


def _title(lines: list[str]) -> tuple[str, str | None, int]:
    """The headline, the site suffix that the page title carried (if any), and where the rest starts."""
    if not lines:
        return "", None, 0
    first = lines[0]
    for index in range(1, min(4, len(lines))):
        candidate = lines[index]
        if candidate == first:
            return candidate, None, index + 1
        if len(candidate) >= 8 and first.startswith(candidate):
            suffix = _TITLE_SEPARATOR.match(first[len(candidate) :])
            if suffix:
                return candidate, suffix.group(1), index + 1
    if _is_headline(first):
        return first, None, 1
    return "", None, 0


def _outlet(lines: list[str], start: int) -> tuple[str | None, int]:
    """A short line right after the headline, before the first paragraph, names the outlet."""
    if start == 0 or start >= len(lines) - 1:
        return None, start
    line = lines[start]
    words = line.split()
    if len(words) <= MAX_OUTLET_WORDS and not _SENTENCE_END.search(line) and not any(ch.isdigit() for ch in line):
        return line, start + 1
    return None, start


def _is_headline(line: str) -> bool:
    words = len(line.split())
    return 0 < words <= MAX_HEADLINE_WORDS and not _SENTENCE_END.search(line.rstrip('"»”'))

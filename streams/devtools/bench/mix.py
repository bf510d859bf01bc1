"""The raw messages the broker benchmarks publish: a mix of formats and languages, mostly distinct stories.

Each message starts from one of the bundled samples (``streams/samples/``: Arabic and English JSON articles,
RSS and Atom feeds, an HTML page, Arabic scraped text) with its words varied, so that the dedup stage sees
what a live stream gives it: most articles new, some sent again byte for byte, some syndicated with a few
words changed. Without the variation every copy of a sample is a near-duplicate of the first, the route stage
is skipped for them, and the bench measures a pipeline that mostly drops articles.

Varying words: in the text (never in markup, entity references, addresses or JSON keys), a share of the words of three
or more letters is replaced by another word of the same script drawn from the samples' own vocabulary;
capitalised Latin words (names: "Syria", "Geneva") are kept, so tagging still finds places and names in
English text. At the default share (0.7) two variants of one sample share 0-5% of their 3-word shingles,
far under the near-duplicate threshold (0.4); a syndicated copy (share 0.04) keeps about 0.8 (0.64 at least
in 200 messages).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import orjson

__all__ = ["EXACT_SHARE", "NEAR_SHARE", "bench_messages"]

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
# the samples the varied words are drawn from: named, so that a sample added for the demo leaves the mix as it was
VOCABULARY_SAMPLES = (
    "api-articles.json",
    "arabic-news.atom",
    "envoy-visit.html",
    "local-news.jsonl",
    "malformed.json",
    "scraped-page.txt",
    "syria-diplomacy.rss",
)
EXACT_SHARE = 0.2  # messages sent again byte for byte (a feed polled twice, a retried fetch)
NEAR_SHARE = 0.1  # messages that are an earlier one with a few words changed (syndication)
FRESH_RATE = 0.7  # share of eligible words replaced in a new story
NEAR_RATE = 0.04  # ... in a syndicated copy

_WORD = re.compile(r"[^\W\d_]{3,}")
_MARKUP = re.compile(r"(<[^>]*>|&#?\w+;|https?://[^\s<\"]+)")  # tags, entity references, addresses: kept
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_SITE = re.compile(r"https://(?:\d+x\d+-)*([\w-]+?)\.example/")

Message = tuple[bytes, bytes, str]  # key, payload, content type


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(Arabic-script words, other words) found in the text of ``VOCABULARY_SAMPLES``."""
    arabic: set[str] = set()
    latin: set[str] = set()
    for name in VOCABULARY_SAMPLES:
        for word in _WORD.findall(_MARKUP.sub(" ", (SAMPLES / name).read_text(encoding="utf-8"))):
            (arabic if _ARABIC.search(word) else latin).add(word.lower() if word.isascii() else word)
    return tuple(sorted(arabic)), tuple(sorted(latin))


def _varier(rng: random.Random, rate: float) -> Callable[[str], str]:
    arabic, latin = _vocabulary()

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        if word[0].isupper() or rng.random() >= rate:
            return word
        return rng.choice(arabic) if _ARABIC.search(word) else rng.choice(latin)

    def vary(text: str) -> str:
        parts = _MARKUP.split(text)  # odd positions are markup
        return "".join(part if i % 2 else _WORD.sub(swap, part) for i, part in enumerate(parts))

    return vary


def _vary_json(payload: bytes, vary: Callable[[str], str]) -> bytes:
    document = orjson.loads(payload)
    for field in ("title", "description", "content", "body"):
        if isinstance(document.get(field), str):
            document[field] = vary(document[field])
    return orjson.dumps(document, option=orjson.OPT_NON_STR_KEYS)


@lru_cache(maxsize=1)
def _templates() -> tuple[bytes, bytes, str, str, tuple[bytes, ...]]:
    api = orjson.loads((SAMPLES / "api-articles.json").read_bytes())["articles"]
    return (
        (SAMPLES / "syria-diplomacy.rss").read_bytes(),
        (SAMPLES / "arabic-news.atom").read_bytes(),
        (SAMPLES / "envoy-visit.html").read_text(encoding="utf-8"),
        (SAMPLES / "scraped-page.txt").read_text(encoding="utf-8"),
        tuple(orjson.dumps(item) for item in api),
    )


def _own_addresses(text: str, u: str) -> str:
    """Every address in a feed or page (links, ids, canonical URLs) moved to a site of its own."""
    return _SITE.sub(lambda m: f"https://{u}-{m.group(1)}.example/", text)


def _fresh(i: int, u: str, rng: random.Random) -> Message:
    """Message ``i``: a new story in one of five formats (the kind cycles so every format is in any slice);
    ``u`` makes its addresses unique across runs with different seeds."""
    rss, atom, html, text, api = _templates()
    vary = _varier(rng, FRESH_RATE)
    kind = i % 10
    if kind == 0:
        return f"f{i}".encode(), vary(_own_addresses(rss.decode(), u)).encode(), "application/rss+xml"
    if kind == 1:
        return f"a{i}".encode(), vary(_own_addresses(atom.decode(), u)).encode(), "application/atom+xml"
    if kind == 2:
        return f"h{i}".encode(), vary(_own_addresses(html, u)).encode(), "text/html"
    if kind < 6:
        item = orjson.loads(rng.choice(api))
        item["url"] = f"https://api{u}.example/a"
        return f"j{i}".encode(), _vary_json(orjson.dumps(item), vary), "application/json"
    lines = [line for line in text.splitlines() if len(line) > 80]
    doc = {"title": vary(rng.choice(lines)[:90]), "body": vary(" ".join(lines)), "url": f"https://ar{u}.example/n"}
    return f"t{i}".encode(), orjson.dumps(doc), "application/json"


def _near_copy(i: int, u: str, earlier: Message, rng: random.Random) -> Message:
    """An earlier message as another outlet runs it: its own address, a few words changed."""
    _, payload, content_type = earlier
    vary = _varier(rng, NEAR_RATE)
    if content_type == "application/json":
        document = orjson.loads(payload)
        document["url"] = f"https://syndicated{u}.example/a"
        return f"n{i}".encode(), _vary_json(orjson.dumps(document), vary), content_type
    return f"n{i}".encode(), vary(_own_addresses(payload.decode(), u)).encode(), content_type


def bench_messages(n: int, seed: int = 11) -> list[Message]:
    """``n`` raw messages: new stories, exact re-sends (``EXACT_SHARE``) and syndicated copies
    (``NEAR_SHARE``), the same list for the same ``n`` and ``seed``."""
    rng = random.Random(seed)
    out: list[Message] = []
    for i in range(n):
        draw = rng.random()
        if out and draw < EXACT_SHARE:
            out.append(rng.choice(out))
        elif out and draw < EXACT_SHARE + NEAR_SHARE:
            out.append(_near_copy(i, f"{seed}x{i}", rng.choice(out), rng))
        else:
            out.append(_fresh(i, f"{seed}x{i}", rng))
    return out

#!/usr/bin/env python3
"""The parse stage's choices side by side: quality and CPU, the former reading against the one in use.

    python scripts/eval_parsing.py [--part lang|feeds|html|all] [--repeat 5] [--html DIR] [--limit N]

- Language identification on every item of ``labelled.jsonl``, ``stories.jsonl`` and ``neardup.jsonl``
  (they carry ``lang``), on the sample the parse stage gives the detector (title, then the body's first 500
  characters) and on titles alone: the script rules and lingua alone (``first_pass=False``, the former
  reading) against pycld2 first. Accuracy on all items and on the items in our languages (the detector
  answers only those; Sorani ``ckb`` counts as ``ku``), the share pycld2 answered, CPU per call.
- Feeds: every file in ``feeds/`` and the bundled RSS and Atom samples through ``parse_payload`` with
  feedparser alone (the former reading) and with the fast path: articles equal field by field (one fetch
  time), the path each feed took, CPU per item of the feed parsers.
- Main text on ``html/`` (pages and ``expected.jsonl``): every ``with`` snippet found in the title and body
  is a true positive (else a false negative), every ``without`` snippet found a false positive, whitespace
  collapsed on both sides; precision, recall, F1 and CPU per page for trafilatura's standard mode with full
  metadata (the former reading), its fast mode, ``auto`` (in use) and, when installed, resiliparse's main
  content with and without a fallback to the standard mode; metadata of ``auto`` against the former.

CPU is ``time.process_time``; candidates alternate within each repetition and the median is reported (the
machine may be shared). Nothing is written; the tables print as Markdown.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import re
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

import streams.stages.parsing as parsing
from streams.stages.parsing import RawMeta, langid, parse_payload
from streams.stages.parsing import feeds as feed_parsers
from streams.stages.parsing.dates import parse_date
from streams.stages.parsing.encoding import decode
from streams.stages.parsing.pages import parse_html
from streams.stages.record import clean_text

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dev"
SAMPLES = Path(__file__).resolve().parents[1] / "streams" / "samples"
FETCHED = datetime(2026, 11, 29, 12, tzinfo=UTC)
_SPACE = re.compile(r"\s+")
_LABEL = {"ckb": "ku"}  # Sorani: the detector's Kurdish


def _detect_all(detect: Callable[[str], tuple[str, float]], sample: list[tuple[str, str]]) -> list[Any]:
    return [detect(text) for _, text in sample]


def _cpu(candidates: Mapping[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    """Median CPU seconds of each candidate's whole run, candidates alternating within each repetition."""
    runs: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeat):
        for name, run in candidates.items():
            started = time.process_time()
            run()
            runs[name].append(time.process_time() - started)
    return {name: statistics.median(values) for name, values in runs.items()}


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def eval_language(repeat: int) -> str:
    items = []
    for name in ("labelled.jsonl", "stories.jsonl", "neardup.jsonl"):
        for line in (DATA / name).read_bytes().splitlines():
            item = orjson.loads(line)
            items.append((_LABEL.get(item["lang"], item["lang"]), item.get("title") or "", item.get("body") or ""))
    samples = {
        "title + body": [(lang, f"{title}. {body[:500]}") for lang, title, body in items],
        "titles alone": [(lang, title) for lang, title, _ in items if title.strip()],
    }
    detect: dict[str, Callable[[str], tuple[str, float]]] = {
        "script rules + lingua (former)": lambda text: langid.detect_language(text, first_pass=False),
        "pycld2 first, then those (in use)": langid.detect_language,
    }
    detect[next(iter(detect))]("warm up the language models")
    rows = []
    for sample_name, sample in samples.items():
        ours = [(lang, text) for lang, text in sample if lang in langid.SUPPORTED]
        first = sum(1 for _, text in sample if langid._cld2(" ".join(text.split())[: langid.CLD2_SAMPLE]))
        runs = {name: functools.partial(_detect_all, f, sample) for name, f in detect.items()}
        cpu = _cpu(runs, repeat)
        for name, f in detect.items():
            right = sum(1 for lang, text in sample if f(text)[0] == lang)
            right_ours = sum(1 for lang, text in ours if f(text)[0] == lang)
            rows.append(
                [
                    sample_name,
                    name,
                    f"{right}/{len(sample)} ({right / len(sample):.1%})",
                    f"{right_ours}/{len(ours)} ({right_ours / len(ours):.1%})",
                    f"{first / len(sample):.0%}" if "pycld2" in name else "-",
                    f"{1e6 * cpu[name] / len(sample):.0f}",
                ]
            )
    header = ["sample", "detector", "right, all items", "right, our languages", "pycld2 answered", "CPU µs/call"]
    return "### Language identification\n\n" + _table(header, rows)


def eval_feeds(repeat: int) -> str:
    paths = sorted(p for p in (DATA / "feeds").iterdir() if p.suffix in {".xml", ".rss", ".atom"})
    paths += [SAMPLES / "syria-diplomacy.rss", SAMPLES / "arabic-news.atom"]
    rows, payloads, items = [], [], 0
    for path in paths:
        payload = path.read_bytes()
        payloads.append(payload)
        former = _articles(payload, feed_parsers.parse_feed_feedparser)
        now = _articles(payload, feed_parsers.parse_feed)
        differing = sum(1 for a, b in zip(former, now, strict=False) if a != b) + abs(len(former) - len(now))
        items += len(former)
        path_taken = "fast" if feed_parsers.parse_feed_fast(payload) is not None else "feedparser"
        rows.append([path.name, len(former), len(now), differing, path_taken])
    cpu = _cpu(
        {
            "feedparser (former)": lambda: [feed_parsers.parse_feed_feedparser(p) for p in payloads],
            "fastfeedparser alone": lambda: [feed_parsers.parse_feed_fast(p) for p in payloads],
            "fast path with fallback (in use)": lambda: [feed_parsers.parse_feed(p) for p in payloads],
        },
        repeat,
    )
    speed = [[name, f"{1e3 * seconds / items:.3f}"] for name, seconds in cpu.items()]
    return (
        "### Feeds\n\n"
        + _table(["file", "items (former)", "items (now)", "articles differing", "path"], rows)
        + f"\n\nCPU per item over the {items} items (feed parser and text of the items, no language):\n\n"
        + _table(["parser", "CPU ms/item"], speed)
    )


def _articles(payload: bytes, parser: Callable[[bytes], Any]) -> list[dict[str, Any]]:
    names = vars(parsing)  # the stage reads ``parse_feed`` from its package: swap it there
    saved = names["parse_feed"]
    names["parse_feed"] = parser  # the stage as it was, or as it is
    try:
        return [dataclasses.asdict(a) for a in parse_payload(payload, RawMeta(fetched_at=FETCHED))]
    finally:
        names["parse_feed"] = saved


def eval_html(folder: Path, repeat: int, limit: int | None) -> str:
    expected = [orjson.loads(line) for line in (folder / "expected.jsonl").read_bytes().splitlines()][:limit]
    pages, refused = [], 0
    for row in expected:
        try:
            pages.append((row, clean_text(decode((folder / "pages" / row["file"]).read_bytes()))))
        except Exception:  # the parse stage refuses the page before extraction (no supported encoding)
            refused += 1
    extractors: dict[str, Callable[[str, str | None], str]] = {
        "trafilatura standard + full metadata (former)": lambda page, url: _page_text(page, url, "standard"),
        "trafilatura fast": lambda page, url: _page_text(page, url, "fast"),
        "fast, standard where the body is short (in use)": lambda page, url: _page_text(page, url, "auto"),
    }
    extractors.update(_resiliparse_extractors())
    texts: dict[str, list[str]] = {}

    def run(name: str) -> None:
        texts[name] = [extractors[name](page, row.get("url")) for row, page in pages]

    cpu = _cpu({name: functools.partial(run, name) for name in extractors}, repeat)
    rows = []
    for name in extractors:
        precision, recall, f1 = _score([row for row, _ in pages], texts[name])
        rows.append([name, f"{precision:.3f}", f"{recall:.3f}", f"{f1:.3f}", f"{1e3 * cpu[name] / len(pages):.1f}"])
    note = f" ({refused} refused before extraction: no supported encoding)" if refused else ""
    return (
        f"### Main text: {folder}, {len(pages)} pages{note}\n\n"
        + _table(["extractor", "precision", "recall", "F1", "CPU ms/page"], rows)
        + "\n\n"
        + _metadata_agreement(pages)
    )


def _page_text(page: str, url: str | None, extract: str) -> str:
    try:
        draft = parse_html(page, url, extract=extract)
    except Exception:  # ParseError (no text), or a library failing on the page: nothing extracted
        return ""
    return f"{draft.title}\n{draft.body}"


def _resiliparse_extractors() -> dict[str, Callable[[str, str | None], str]]:
    try:
        from resiliparse.extract.html2text import extract_plain_text
        from resiliparse.parse.html import HTMLTree
    except ImportError:
        print("resiliparse is not installed: its rows are left out", file=sys.stderr)
        return {}

    def main_content(page: str, url: str | None) -> str:
        tree = HTMLTree.parse(page)
        body = extract_plain_text(
            tree, main_content=True, preserve_formatting=True, list_bullets=False, comments=False, alt_texts=False
        )
        return f"{tree.title or ''}\n{body}"

    def with_fallback(page: str, url: str | None) -> str:
        text = main_content(page, url)
        title, _, body = text.partition("\n")
        return text if title.strip() and len(body) >= 500 else _page_text(page, url, "standard")

    return {
        "resiliparse main content": main_content,
        "resiliparse, standard where short or untitled": with_fallback,
    }


def _score(rows: list[dict[str, Any]], texts: list[str]) -> tuple[float, float, float]:
    tp = fn = fp = 0
    for row, text in zip(rows, texts, strict=True):
        flat = _SPACE.sub(" ", text)
        for snippet in row.get("with") or []:
            found = _SPACE.sub(" ", snippet).strip() in flat
            tp, fn = tp + found, fn + (not found)
        fp += sum(1 for snippet in row.get("without") or [] if _SPACE.sub(" ", snippet).strip() in flat)
    precision = tp / max(1, tp + fp)
    recall = tp / max(1, tp + fn)
    return precision, recall, 2 * precision * recall / max(1e-9, precision + recall)


def _metadata_agreement(pages: list[tuple[dict[str, Any], str]]) -> str:
    fields = ("title", "url", "published", "byline", "source_name")
    same = dict.fromkeys(fields, 0)
    both = 0
    for row, page in pages:
        try:
            former = parse_html(page, row.get("url"), extract="standard")
            now = parse_html(page, row.get("url"), extract="auto")
        except Exception:
            continue
        both += 1
        for name in fields:
            a, b = getattr(former, name), getattr(now, name)
            if name == "published":
                a, b = parse_date(a), parse_date(b)
            same[name] += a == b
    cells = [f"{same[name]}/{both}" for name in fields]
    return "Metadata of `auto` equal to the former reading's, on the pages both read:\n\n" + _table(
        list(fields), [cells]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--part", choices=["lang", "feeds", "html", "all"], default="all")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions for the CPU medians")
    parser.add_argument("--html", type=Path, default=DATA / "html", help="pages/ and expected.jsonl")
    parser.add_argument("--limit", type=int, default=None, help="the first N pages only")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    sections = []
    if args.part in ("lang", "all"):
        sections.append(eval_language(args.repeat))
    if args.part in ("feeds", "all"):
        sections.append(eval_feeds(args.repeat))
    if args.part in ("html", "all"):
        sections.append(eval_html(args.html, max(1, (args.repeat + 1) // 2), args.limit))
    print("\n\n".join(sections))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

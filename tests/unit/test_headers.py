"""Wire header names live in streams.headers only: no other module spells one."""

from __future__ import annotations

import ast
from pathlib import Path

import streams.headers as headers
from streams.runtime.deadletter import deadletter_headers
from streams.stages.pipeline import meta_from_headers, origin_of

PACKAGE = Path(__file__).resolve().parents[2] / "streams"
NAMES = {value for key, value in vars(headers).items() if key.startswith(("HEADER_", "DLQ_", "REPLAY_"))}
# short names ("source", "url", "lang", "feed") are ordinary words elsewhere (record fields, JSON keys)
DISTINCT = {name for name in NAMES if "." in name or "-" in name}


def test_the_names_are_unique_and_prefixed() -> None:
    values = [value for key, value in vars(headers).items() if key.startswith("HEADER_")]
    assert len(values) == len(set(values))
    assert all(value.startswith(headers.DLQ_PREFIX) for key, value in vars(headers).items() if "_DLQ_" in key)
    assert all(value.startswith(headers.REPLAY_PREFIX) for key, value in vars(headers).items() if "_REPLAY_" in key)
    assert {"content-type", "fetched-at", "dedup.fingerprint", "dlq.reason", "replay.source.offset"} <= NAMES


def test_no_other_module_spells_a_header_name() -> None:
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "headers.py" and path.parent == PACKAGE:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in DISTINCT and id(node) not in docstrings:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {node.value!r}")
    assert not found, "use the names in streams.headers:\n" + "\n".join(found)


def test_the_stages_read_what_the_tools_write() -> None:
    meta = meta_from_headers(
        {
            headers.HEADER_CONTENT_TYPE: b"application/json",
            headers.HEADER_SOURCE: b"wire",
            headers.HEADER_LANG: b"ar",
            headers.HEADER_FETCHED_AT: b"2026-11-29T12:00:00Z",
        }
    )
    assert (meta.content_type, meta.source, meta.lang_hint, meta.fetched_at.isoformat()) == (
        "application/json",
        "wire",
        "ar",
        "2026-11-29T12:00:00+00:00",
    )
    replayed = {headers.HEADER_REPLAY_TOPIC: b"news.raw", headers.HEADER_REPLAY_PARTITION: b"3"}
    assert origin_of("backfill.news.raw", 0, 9, {**replayed, headers.HEADER_REPLAY_OFFSET: b"41"}) == {
        "topic": "news.raw",
        "partition": 3,
        "offset": 41,
        "replayed": True,
    }
    assert origin_of("news.raw", 1, 2, replayed) == {"topic": "news.raw", "partition": 1, "offset": 2}


def test_dead_letter_headers_come_first_and_replace_older_ones() -> None:
    made = deadletter_headers(
        stage="parse",
        exc=ValueError("bad"),
        topic="news.raw",
        partition=0,
        offset=5,
        original=[(headers.HEADER_SOURCE, b"api"), (headers.HEADER_DLQ_STAGE, b"old")],
    )
    keys = [key for key, _ in made]
    assert keys[:8] == [
        headers.HEADER_DLQ_STAGE,
        headers.HEADER_DLQ_REASON,
        headers.HEADER_DLQ_ERROR_CLASS,
        headers.HEADER_DLQ_ERROR_MESSAGE,
        headers.HEADER_DLQ_SOURCE_TOPIC,
        headers.HEADER_DLQ_SOURCE_PARTITION,
        headers.HEADER_DLQ_SOURCE_OFFSET,
        headers.HEADER_DLQ_TIME,
    ]
    assert keys[8:] == [headers.HEADER_SOURCE]
    assert dict(made)[headers.HEADER_DLQ_REASON] == b"internal"

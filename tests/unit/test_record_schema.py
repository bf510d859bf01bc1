"""Records on the wire match the JSON Schema in the repo, and round-trip through orjson."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from streams.errors import ParseError
from streams.runtime.deadletter import deadletter_headers
from streams.stages.parsing import RawMeta, parse_payload
from streams.stages.pipeline import classify_article, parse_and_tag
from streams.stages.record import Article
from streams.stages.routing import load_rules

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "streams/schema/article.schema.json").read_text())


def test_a_fully_processed_record_matches_the_schema(samples_dir: Path) -> None:
    for article in parse_and_tag((samples_dir / "syria-diplomacy.rss").read_bytes(), RawMeta()):
        article.dedup = {
            "duplicate": False,
            "dup_of": None,
            "kind": None,
            "similarity": 0.0,
            "story": article.id,
        }
        classify_article(article, load_rules())
        article.origin.update(topic="news.raw", partition=0, offset=3, item=0)
        data = json.loads(article.dumps())
        jsonschema.validate(data, SCHEMA)
        assert Article.loads(article.dumps()) == article


def test_foreign_records_are_refused_clearly() -> None:
    with pytest.raises(ParseError, match="schema_version"):
        Article.loads(b'{"schema_version": 99, "id": "x"}')
    with pytest.raises(ParseError):
        Article.loads(b'{"schema_version": 1, "nope": 1}')
    with pytest.raises(ParseError):
        Article.loads(b"not json")


def test_ids_are_stable_across_fetches() -> None:
    payload = b'{"title": "Envoy visits", "body": "Text of the story.", "url": "https://x.example/a?utm_medium=y"}'
    first = parse_payload(payload, RawMeta())[0]
    second = parse_payload(payload.replace(b"?utm_medium=y", b""), RawMeta())[0]
    assert first.id == second.id


def test_deadletter_headers_carry_where_and_why() -> None:
    headers = dict(
        deadletter_headers(
            stage="parse",
            exc=ParseError("bad " * 400, reason="bad_json"),
            topic="news.raw",
            partition=2,
            offset=41,
            original=[("source", b"api"), ("dlq.stage", b"old")],
        )
    )
    assert headers["dlq.stage"] == b"parse"
    assert headers["dlq.reason"] == b"bad_json"
    assert headers["dlq.error.class"] == b"ParseError"
    assert len(headers["dlq.error.message"]) <= 500
    assert (headers["dlq.source.topic"], headers["dlq.source.partition"], headers["dlq.source.offset"]) == (
        b"news.raw",
        b"2",
        b"41",
    )
    assert headers["source"] == b"api"

"""Hostile input through a real worker, judged against the parse stage's contract.

Every payload is built to be of one kind, and the kind alone says what must happen to it: a dead letter with
a given reason, or an article with its text intact. Nothing here asks the parser what it thinks: each dead
letter is matched to its input by key and reason, and the routed articles are matched to the good inputs by
URL, with ``==``. Hypothesis draws the variations with a fixed seed, so every run sends the same batch.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from hypothesis import strategies as st

from streams.settings import Settings

from .conftest import WorkerProcess, draw_fixed
from .kafka_io import Record, produce, read_until

JSON = "application/json"
RSS = "application/rss+xml"
SYMBOLS = "<>{}[]()!?.,;:-_=+*/\\|~^'\"@#$%&"


@st.composite
def hostile(draw: st.DrawFn) -> tuple[str, bytes, str | None, str]:
    """(kind, payload, content type, the dead-letter reason the contract gives that kind)."""
    kind = draw(st.sampled_from(["binary", "empty", "truncated_json", "deep_json", "symbols", "entities"]))
    if kind == "binary":
        noise = draw(st.binary(min_size=1, max_size=4096))
        at = draw(st.integers(min_value=0, max_value=len(noise)))
        payload = noise[:at] + b"\x00" + noise[at:]
        if payload.startswith((b"\xff\xfe", b"\xfe\xff")):  # a UTF-16 byte-order mark: text, not binary
            payload = b"\x00" + payload
        return kind, payload, None, "binary"
    if kind == "empty":
        return kind, draw(st.sampled_from([b"", b" ", b"\n\t \r\n"])), draw(st.sampled_from([None, JSON])), "empty"
    if kind == "truncated_json":
        whole = orjson.dumps({"title": draw(st.text(min_size=1, max_size=40)), "body": "x" * 50})
        cut = draw(st.integers(min_value=1, max_value=len(whole) - 1))
        return kind, whole[:cut], JSON, "bad_json"
    if kind == "deep_json":
        depth = draw(st.integers(min_value=8, max_value=400))
        return kind, b'{"items": [' * depth + b'{"title": "deep"}' + b"]}" * depth, JSON, "json_depth"
    if kind == "symbols":
        junk = draw(st.text(alphabet=SYMBOLS, min_size=1, max_size=200))
        return kind, orjson.dumps({"title": junk, "body": junk[::-1]}), JSON, "no_text"
    padding = draw(st.integers(min_value=0, max_value=200_000))  # past the first 64 KB as well
    return kind, _entity_bomb(padding), RSS, "xml_entities"


def _entity_bomb(padding: int) -> bytes:
    declarations = b'<!ENTITY e0 "ha">' + b"".join(
        b'<!ENTITY e%d "%s">' % (n, b"&e%d;" % (n - 1) * 10) for n in range(1, 10)
    )
    return (
        b'<?xml version="1.0"?><!--'
        + b" " * padding
        + b"--><!DOCTYPE rss ["
        + declarations
        + b']><rss version="2.0"><channel><title>t</title><item><title>Talks &e9;</title>'
        + b"<link>https://news.example/bomb</link><description>d</description></item></channel></rss>"
    )


def draw_batch(size: int) -> list[tuple[str, bytes, str | None, str]]:
    """``size`` payloads drawn with a fixed seed: the same batch on every run."""
    return draw_fixed(hostile(), size, 20261204)


def good_article(n: int) -> tuple[str, bytes]:
    url = f"https://wire.example/news/{n}"
    words = " ".join(f"g{n}w{i}" for i in range(60))
    return url, orjson.dumps({"title": f"Envoy report {n}", "body": f"Report {n}: {words}.", "url": url})


def test_hostile_input_meets_the_contract(bootstrap: str, worker_env: dict[str, str], start_worker: Any) -> None:
    settings_ = Settings.from_env(worker_env)
    worker: WorkerProcess = start_worker()
    worker.wait_ready()

    expected_dead: dict[bytes, str] = {}
    expected_urls: set[str] = set()
    expected_text: dict[str, str] = {}
    messages: list[tuple[bytes, bytes, list[tuple[str, bytes]]]] = []

    def add_bad(key: bytes, payload: bytes, content_type: str | None, reason: str) -> None:
        headers = [("content-type", content_type.encode())] if content_type else []
        messages.append((key, payload, headers))
        expected_dead[key] = reason

    def add_good(n: int) -> None:
        url, payload = good_article(n)
        messages.append((f"good-{n}".encode(), payload, [("content-type", JSON.encode())]))
        expected_urls.add(url)

    for n, (kind, payload, content_type, reason) in enumerate(draw_batch(48)):
        add_bad(f"{kind}-{n}".encode(), payload, content_type, reason)
        add_good(n)
    add_bad(b"huge-body", orjson.dumps({"title": "Huge", "body": "y" * (20 * 1024 * 1024)}), JSON, "too_large")
    # UTF-8 with a stray Latin-1 byte, and a charset declaration that lies: articles, their text intact
    mixed_url = "https://wire.example/news/mixed"
    mixed = (
        b'{"title": "D\xc3\xa9l\xc3\xa9gation \xc3\xa0 Gen\xc3\xa8ve", "body": "Talks resume, na\xefve hopes aside.",'
    )
    messages.append((b"mixed", mixed + b' "url": "' + mixed_url.encode() + b'"}', [("content-type", JSON.encode())]))
    expected_urls.add(mixed_url)
    expected_text[mixed_url] = "Talks resume, naïve hopes aside."
    lying_url = "https://wire.example/news/lying"
    lying = (
        '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel><title>w</title><item>'
        f"<title>محادثات جنيف تستأنف</title><link>{lying_url}</link>"
        "<description>المبعوث الأممي يلتقي وزير الخارجية</description></item></channel></rss>"
    ).encode()
    messages.append((b"lying", lying, [("content-type", RSS.encode())]))
    expected_urls.add(lying_url)
    expected_text[lying_url] = "محادثات جنيف تستأنف"

    asyncio.run(produce(bootstrap, settings_.topics.raw, messages))

    def articles(records: list[Record]) -> dict[str, dict[str, Any]]:
        out = {}
        for record in records:
            if record.topic not in (settings_.topics.deadletter, settings_.topics.duplicates):
                article = orjson.loads(record.value)
                out[article["url"]] = article
        return out

    def complete(records: list[Record]) -> bool:
        dead = {r.key for r in records if r.topic == settings_.topics.deadletter}
        return dead >= set(expected_dead) and set(articles(records)) >= expected_urls

    records = asyncio.run(read_until(bootstrap, list(settings_.topics.outputs()), complete, 240, settle=3))
    dead = {r.key: r for r in records if r.topic == settings_.topics.deadletter}
    assert {key: r.headers.get("dlq.reason", b"").decode() for key, r in dead.items()} == expected_dead, (
        worker.log_tail()
    )
    assert all(r.headers["dlq.stage"] == b"parse" for r in dead.values())
    assert all(r.value == m[1] for m in messages for key, r in dead.items() if m[0] == key and m[0] != b"huge-body")
    routed = articles(records)
    assert set(routed) == expected_urls
    assert len({article["id"] for article in routed.values()}) == len(expected_urls)
    assert routed[mixed_url]["body"] == expected_text[mixed_url]
    assert routed[mixed_url]["title"] == "Délégation à Genève"
    assert routed[lying_url]["title"] == expected_text[lying_url]
    for article in routed.values():
        assert "\x00" not in article["title"] + article["body"]
    assert worker.proc.poll() is None
    assert worker.get("/healthz")[0] == 200

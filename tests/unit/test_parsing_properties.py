"""Property-based: whatever bytes arrive, the parser returns articles or raises ParseError, and returns."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.errors import ParseError
from streams.stages.parsing import RawMeta, parse_payload

SAMPLES = Path(__file__).resolve().parents[2] / "streams" / "samples"
SEEDS = [p.read_bytes() for p in sorted(SAMPLES.iterdir()) if p.suffix in {".rss", ".atom", ".html", ".json"}]
CONTENT_TYPES = [None, "application/json", "application/rss+xml", "text/html", "text/plain", "application/xml"]


def check(payload: bytes, content_type: str | None) -> None:
    try:
        articles = parse_payload(payload, RawMeta(content_type=content_type))
    except ParseError as exc:
        reason = exc.reason
        articles = []
    else:
        reason = "parsed"
    assert reason
    for article in articles:
        assert article.title or article.body
        assert len(article.id) == 24


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(payload=st.binary(max_size=4096), content_type=st.sampled_from(CONTENT_TYPES))
def test_arbitrary_bytes(payload: bytes, content_type: str | None) -> None:
    check(payload, content_type)


@settings(max_examples=150, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    cut=st.integers(min_value=0, max_value=6000),
    junk=st.binary(max_size=64),
    at=st.integers(min_value=0, max_value=6000),
)
def test_mangled_real_feeds(seed: bytes, cut: int, junk: bytes, at: int) -> None:
    mangled = seed[:at] + junk + seed[at:cut] if cut > at else seed[:cut] + junk
    check(mangled, None)


@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b"<a>" * 50_000,
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><rss><channel><item>'
        b"<title>&e;</title></item></channel></rss>",
        b"\xef\xbb\xbf" + b"\x00" * 100,
    ],
)
def test_hostile_shapes(payload: bytes) -> None:
    check(payload, None)

"""The benchmark's raw messages: every one parses, new stories are new to dedup, re-sends and syndicated copies
are what they claim to be, and the same seed gives the same list."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from streams.devtools.bench.mix import bench_messages
from streams.headers import HEADER_CONTENT_TYPE, HEADER_FETCHED_AT
from streams.stages.dedup.fingerprint import jaccard, shingle_hashes
from streams.stages.dedup.index import DedupConfig, DedupIndex
from streams.stages.pipeline import meta_from_headers, parse_and_tag
from streams.stages.record import Article, iso_utc


def _articles(payload: bytes, content_type: str) -> list[Article]:
    headers = {HEADER_CONTENT_TYPE: content_type.encode(), HEADER_FETCHED_AT: iso_utc(datetime.now(UTC)).encode()}
    return parse_and_tag(payload, meta_from_headers(headers))


def test_same_seed_same_messages_other_seed_other_addresses() -> None:
    assert bench_messages(30) == bench_messages(30)
    first = {a.id for key, payload, kind in bench_messages(20, seed=1) for a in _articles(payload, kind)}
    second = {a.id for key, payload, kind in bench_messages(20, seed=2) for a in _articles(payload, kind)}
    assert not first & second  # a second run's messages are not copies of the first's by address


def test_mix_of_formats_languages_and_copies() -> None:
    messages = bench_messages(200)
    kinds = Counter(content_type for _, _, content_type in messages)
    assert set(kinds) == {"application/rss+xml", "application/atom+xml", "text/html", "application/json"}
    exact = len(messages) - len(set(messages))
    near = len({m for m in messages if m[0].startswith(b"n")})  # syndicated copies, not their re-sends
    assert 20 <= exact <= 60  # about 20%
    assert 8 <= near <= 35  # about 10%
    languages = Counter(a.lang for _, payload, kind in messages[:60] for a in _articles(payload, kind))
    assert languages["ar"] > 30
    assert languages["en"] > 30


def test_new_stories_are_new_to_dedup_and_copies_are_duplicates() -> None:
    messages = bench_messages(120)
    index = DedupIndex({}, DedupConfig())
    seen: set[tuple[bytes, bytes, str]] = set()
    verdicts: Counter[tuple[str, str]] = Counter()
    for offset, message in enumerate(messages):
        key, payload, kind = message
        sent = "re-sent" if message in seen else ("syndicated" if key.startswith(b"n") else "new story")
        seen.add(message)
        for item, article in enumerate(_articles(payload, kind)):
            article.origin.update({"topic": "raw", "partition": 0, "offset": offset}, item=item)
            verdict = index.check(article)
            verdicts[sent, verdict.kind or "new"] += 1
    assert set(verdicts) <= {
        ("new story", "new"),
        ("re-sent", "url"),
        ("syndicated", "near"),
        ("syndicated", "content"),
    }
    assert verdicts["new story", "new"] > 0.6 * sum(verdicts.values())
    assert verdicts["re-sent", "url"] > 0
    assert verdicts["syndicated", "near"] > 0


def test_variants_of_one_sample_share_few_shingles() -> None:
    messages = bench_messages(120)
    for prefix in (b"t", b"j", b"h", b"f"):  # Arabic text, JSON, HTML, RSS: each built from one sample
        bodies = [_articles(p, k)[0].body for key, p, k in messages if key.startswith(prefix)][:3]
        pairs = [(a, b) for i, a in enumerate(bodies) for b in bodies[i + 1 :]]
        assert len(pairs) == 3
        for a, b in pairs:
            assert jaccard(shingle_hashes(a), shingle_hashes(b)) < 0.1, prefix

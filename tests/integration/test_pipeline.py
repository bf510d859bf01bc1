"""The whole pipeline on the real broker: the seed, dead letters, and every input accounted for once."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import orjson

from streams.settings import Settings
from streams.stages.dedup.features import bags, with_slots
from streams.stages.dedup.fingerprint import FINGERPRINT_HEADER, fingerprint
from streams.stages.parsing import parse_payload
from streams.stages.pipeline import bags_from_headers, fingerprint_from_headers, meta_from_headers
from streams.stages.record import Article
from streams.stages.routing import load_rules

from .kafka_io import Record, produce, read_until

TEXT = [("content-type", b"text/plain"), ("source", b"seed-test")]


def _outputs(records: list[Record], topics: Settings) -> dict[str, list[dict]]:
    by_topic: dict[str, list[dict]] = {}
    for r in records:
        if r.topic != topics.topics.deadletter:
            by_topic.setdefault(r.topic, []).append(orjson.loads(r.value))
    return by_topic


def test_seed_malformed_and_samples(
    bootstrap: str, worker_env: dict[str, str], start_worker, seed_bytes: bytes, samples_dir: Path
) -> None:
    settings = Settings.from_env(worker_env)
    topics = settings.topics
    worker = start_worker()
    worker.wait_ready()

    rss = (samples_dir / "syria-diplomacy.rss").read_bytes()
    malformed = b'{"title": "a JSON article cut off in the mid'
    messages = [
        (b"seed", seed_bytes, TEXT),
        (b"bad", malformed, [("content-type", b"application/json"), ("source", b"broken-api")]),
        (b"rss", rss, [("content-type", b"application/rss+xml"), ("source", b"levant-wire")]),
        (b"seed", seed_bytes, TEXT),  # the same article published again: a duplicate
    ]
    # ids as the parse stage makes them, from the payload, headers and key (the seed has no URL: its id
    # is its source's, not its text's)
    seed_id = parse_payload(seed_bytes, meta_from_headers(dict(TEXT), b"seed"))[0].id
    rss_ids = {a.id for a in parse_payload(rss, meta_from_headers(dict(messages[2][2]), b"rss"))}
    expected_articles = 1 + len(rss_ids) + 1  # seed, feed items, the seed's second copy
    asyncio.run(produce(bootstrap, topics.raw, messages))

    def complete(records: list[Record]) -> bool:
        dead = sum(r.topic == topics.deadletter for r in records)
        return dead >= 1 and len(records) - dead >= expected_articles

    records = asyncio.run(read_until(bootstrap, list(topics.outputs()), complete, timeout=120, settle=3))
    assert complete(records), worker.log_tail()

    # the malformed payload: dead letter with the original bytes and headers that say why
    dead = [r for r in records if r.topic == topics.deadletter]
    assert len(dead) == 1
    assert dead[0].value == malformed
    assert dead[0].headers["dlq.stage"] == b"parse"
    assert dead[0].headers["dlq.reason"] == b"bad_json"
    assert dead[0].headers["dlq.source.topic"] == topics.raw.encode()
    assert dead[0].headers["dlq.source.offset"].isdigit()
    assert dead[0].headers["source"] == b"broken-api"

    outputs = _outputs(records, settings)
    # the seed: once on news.syria.diplomacy, as described in the issue
    routed_seed = [a for a in outputs.get(topics.syria_diplomacy, []) if a["id"] == seed_id]
    assert len(routed_seed) == 1, {t: [a["title"] for a in v] for t, v in outputs.items()}
    seed = routed_seed[0]
    assert seed["lang"] == "ar"
    assert "It's Over 9000" not in seed["title"]
    headline = [line.strip() for line in seed_bytes.decode().splitlines() if line.strip()][1]
    assert seed["title"] == headline  # the repeated headline, without the page title's site suffix
    assert seed["source"]["name"] == "بلدي نيوز"
    assert len(seed["related"]) == 6
    assert "مقالات ذات صلة" not in seed["body"]
    assert not any(headline in seed["body"] for headline in seed["related"])
    entity_ids = {e["id"] for e in seed["tags"]["entities"]}
    for wanted in ("country.KZ", "country.TR", "country.RU", "country.IR", "person.geir_pedersen"):
        assert wanted in entity_ids, entity_ids
    assert "organisation.united_nations" in entity_ids, entity_ids
    assert "process.astana" in entity_ids, entity_ids
    assert seed["decision"]["why"]["rule"] == "syria_diplomacy"
    assert seed["decision"]["rules_version"]

    # the second copy: on news.duplicates, pointing at the first
    dups = outputs.get(topics.duplicates, [])
    assert [(d["id"], d["dedup"]["dup_of"]) for d in dups] == [(seed_id, seed_id)]

    # every article accounted for exactly once per raw message it came from
    seen = Counter((a["id"], a["origin"]["offset"], a["origin"]["item"]) for batch in outputs.values() for a in batch)
    assert all(count == 1 for count in seen.values()), seen
    routed_ids = Counter(a["id"] for t, batch in outputs.items() if t != topics.duplicates for a in batch)
    assert set(routed_ids) == rss_ids | {seed_id}
    assert all(count == 1 for count in routed_ids.values()), routed_ids

    # the worker is still alive and its metrics say what happened
    status, body = worker.get("/metrics")
    assert status == 200
    text = body.decode()
    assert 'streams_deadletter_messages_total{stage="parse"} 1.0' in text
    assert 'streams_duplicates_total{kind="content"} 1.0' in text

    # the parse stage sent each article's dedup fingerprint and story features along, for the text it sent,
    # and its routing decision under the rules in force
    parsed = asyncio.run(read_until(bootstrap, [topics.articles], lambda rs: len(rs) >= expected_articles, 30))
    assert len(parsed) == expected_articles
    for record in parsed:
        sent = Article.loads(record.value)
        assert FINGERPRINT_HEADER in record.headers
        assert fingerprint_from_headers(record.headers, sent) == fingerprint(sent.title, sent.body)
        assert bags_from_headers(record.headers, sent) == with_slots(bags(sent.title, sent.body, sent.tags), sent.lang)
        assert sent.decision["rules_version"] == load_rules().version

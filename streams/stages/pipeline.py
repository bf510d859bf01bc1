"""The pipeline's stages as pure functions: what the Faust agents and the offline commands both call.

    parse_and_tag(payload, meta)  -> [Article]     (parse + tag: stateless, scales with news.raw partitions)
    fingerprint_headers(article)  -> headers       (what dedup compares, computed where work scales out)
    DedupIndex.check(article, fp, story_bags=...) -> Verdict   (stateful: one partition holds the whole index)
    route(article, rules, topics) -> (topic, Article with decision)

``classify_payload`` chains parse, tag and route without Kafka or dedup state, for rule development.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from streams.headers import (
    HEADER_CONTENT_TYPE,
    HEADER_FEED,
    HEADER_FETCHED_AT,
    HEADER_FINGERPRINT,
    HEADER_LANG,
    HEADER_REPLAY_OFFSET,
    HEADER_REPLAY_PARTITION,
    HEADER_REPLAY_TOPIC,
    HEADER_SOURCE,
    HEADER_STORY_FEATURES,
    HEADER_URL,
)
from streams.settings import Topics
from streams.stages.dedup.features import Bags, bags, decode_bags, encode_bags, with_slots
from streams.stages.dedup.fingerprint import (
    Fingerprint,
    decode_fingerprint,
    encode_fingerprint,
    fingerprint,
)
from streams.stages.parsing import RawMeta, parse_payload
from streams.stages.record import Article
from streams.stages.routing import Rules, decide
from streams.stages.tagging.tagger import tag

__all__ = [
    "bags_from_headers",
    "classify_article",
    "fingerprint_from_headers",
    "fingerprint_headers",
    "meta_from_headers",
    "origin_of",
    "parse_and_tag",
    "route",
    "summary",
    "warm_up",
]

log = logging.getLogger(__name__)


def origin_of(topic: str, partition: int, offset: int, headers: dict[str, bytes]) -> dict[str, object]:
    """Where a raw message first came from: a replayed one carries its original coordinates in headers."""
    try:
        return {
            "topic": headers[HEADER_REPLAY_TOPIC].decode(),
            "partition": int(headers[HEADER_REPLAY_PARTITION]),
            "offset": int(headers[HEADER_REPLAY_OFFSET]),
            "replayed": True,
        }
    except (KeyError, ValueError):
        return {"topic": topic, "partition": partition, "offset": offset}


def meta_from_headers(headers: dict[str, bytes], key: bytes | None = None) -> RawMeta:
    """Read a raw message's headers (all optional) and its key (when the producer set one) into parse
    metadata; the key is part of the id of an item without a URL or an id of its own."""

    def text(name: str) -> str | None:
        value = headers.get(name)
        if not value:
            return None
        return value.decode("utf-8", "replace").strip() or None

    fetched = datetime.now(UTC)
    raw_time = text(HEADER_FETCHED_AT)
    if raw_time:
        with contextlib.suppress(ValueError):
            fetched = datetime.fromisoformat(raw_time.replace("Z", "+00:00"))
    return RawMeta(
        content_type=text(HEADER_CONTENT_TYPE),
        source=text(HEADER_SOURCE),
        feed=text(HEADER_FEED),
        url=text(HEADER_URL),
        lang_hint=text(HEADER_LANG),
        fetched_at=fetched,
        key=_message_key(key),
    )


def _message_key(key: bytes | None) -> str | None:
    """The message key as text: UTF-8 as it is, other bytes in hex (two keys never read alike)."""
    if not key:
        return None
    try:
        return key.decode("utf-8")
    except UnicodeDecodeError:
        return f"hex:{key.hex()}"


def parse_and_tag(payload: bytes, meta: RawMeta) -> list[Article]:
    articles = parse_payload(payload, meta)
    for article in articles:
        article.tags = tag(article.title, article.body)
    return articles


def fingerprint_headers(article: Article) -> list[tuple[str, bytes]]:
    """The headers that carry what the dedup stage compares from the parse stage to it: the fingerprint and
    the story step's bags. The dedup stage is one instance for the whole index, so the work that can be done
    before it is done here. A header that cannot be made (a bug, logged) is left out: dedup then tries
    itself, and dead-letters this article alone if it fails too."""
    headers = []
    try:
        fp = fingerprint(article.title, article.body)
        headers.append((HEADER_FINGERPRINT, encode_fingerprint(fp, article.title, article.body)))
    except Exception:
        log.warning("no dedup fingerprint made for article %s; dedup will compute it", article.id, exc_info=True)
    try:
        found = with_slots(bags(article.title, article.body, article.tags), article.lang)
        headers.append((HEADER_STORY_FEATURES, encode_bags(found, article.title, article.body)))
    except Exception:
        log.warning("no story features made for article %s; dedup will make them", article.id, exc_info=True)
    return headers


def fingerprint_from_headers(headers: dict[str, bytes], article: Article) -> Fingerprint | None:
    """The fingerprint the parse stage sent with ``article``; None (dedup computes it) when there is none
    or it does not fit: from an older worker, of another format, or for another text."""
    data = headers.get(HEADER_FINGERPRINT)
    return decode_fingerprint(data, article.title, article.body) if data else None


def bags_from_headers(headers: dict[str, bytes], article: Article) -> Bags | None:
    """The story features the parse stage sent with ``article``; None (dedup makes them) when there are
    none or they do not fit."""
    data = headers.get(HEADER_STORY_FEATURES)
    return decode_bags(data, article.title, article.body) if data else None


def warm_up(rules: Rules | None = None) -> None:
    """Pay the first-use costs (language models, the lexicon automaton, MinHash permutations) before
    reporting ready, so the first articles do not wait seconds for them."""
    from streams.stages.routing import load_rules

    samples = (
        b'{"title": "Envoy meets the foreign minister", "body": "Talks on the political process resumed."}',
        '{"title": "المبعوث يلتقي وزير الخارجية", "body": "استؤنفت المحادثات حول العملية السياسية."}'.encode(),
        '{"title": "Dışişleri Bakanı görüştü", "body": "Görüşmeler yeniden başladı."}'.encode(),
    )
    chosen = rules or load_rules()
    for sample in samples:
        for article in parse_and_tag(sample, RawMeta(content_type="application/json")):
            classify_article(article, chosen)
            fingerprint(article.title, article.body)


def classify_article(article: Article, rules: Rules) -> Article:
    """Tag (when not yet tagged) and decide (when not yet decided under these rules), without Kafka. The
    decision is a function of the tags and the rules: one made under the same rules version stands."""
    if not article.tags:
        article.tags = tag(article.title, article.body)
    if not article.decision or article.decision.get("rules_version") != rules.version:
        article.decision = decide(article, rules)
    return article


def route(article: Article, rules: Rules, topics: Topics) -> tuple[str, Article]:
    """Decide and return the topic the article goes to (review when uncertain)."""
    classify_article(article, rules)
    if article.decision["review"]:
        return topics.review, article
    try:
        return topics.by_name(article.decision["topic"]), article
    except Exception:
        return str(article.decision["topic"]), article  # a user rule naming its own topic


def summary(article: Article) -> dict[str, Any]:
    """The compact view ``classify`` prints: what was decided and why."""
    decision = article.decision
    return {
        "id": article.origin.get("given_id") or article.id,
        "lang": article.lang,
        "title": article.title,
        "syria": decision.get("syria"),
        "diplomacy": decision.get("diplomacy"),
        "route": decision.get("route"),
        "score": decision.get("scores"),
        "confidence": decision.get("confidence"),
        "entities": [e["id"] for e in article.tags.get("entities", [])],
        "topics": sorted(article.tags.get("topics", {})),
        "why": decision.get("why"),
        "rules_version": decision.get("rules_version"),
    }

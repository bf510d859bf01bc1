"""Failures inside the dedup and route stages on the real broker, and the review route end to end.

A record that is not an article, written straight to a stage's input topic, must come out as a dead letter
from that stage (its original bytes, the reason, where it was read); an output the broker refuses in dedup
sends dedup's input to the dead letters; the records around either are routed and the worker stays healthy.
The dead-letter checks share one worker: each looks only at its own records.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

import streams
from streams.settings import Settings
from streams.stages.parsing import RawMeta, parse_payload
from streams.stages.pipeline import classify_article
from streams.stages.routing import load_rules

from .conftest import WorkerProcess, wait_for, worker_environment
from .kafka_io import Record, committed_offsets, create_topic, produce, read_all, read_until
from .test_faults import JSON, article_payload, by_id, ids_of

# Candidates for the review route: the same story naming Syria more and more often, late or early in the body,
# so the "about Syria" score climbs through its threshold in steps smaller than the review band around it;
# the test sends the first one that the rules it runs with send to review.
STORY = (
    "Farmers across the plains began harvesting wheat this week, weeks earlier than usual, after a warm and dry "
    "spring.",
    "Grain traders said prices were steady and storage was ample.",
    "The cooperative said it had hired more drivers for the season.",
)
MENTIONS = ("Some of the crop is sold to buyers in Syria.", "Exporters expect more orders from Syria this year.")


def near_the_line() -> list[bytes]:
    payloads = []
    for mentions in range(1, 5):
        named = [MENTIONS[0], *[MENTIONS[1]] * (mentions - 1)]
        for early in (False, True):
            body = " ".join([*named, *STORY] if early else [*STORY, *named])
            url = f"https://near.example/{mentions}/{'early' if early else 'late'}"
            payloads.append(orjson.dumps({"title": "Wheat harvest begins early", "body": body, "url": url}))
    return payloads


@pytest.fixture(scope="module")
def shared(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WorkerProcess, Settings]]:
    """One worker, with the shipped rules, for the checks below that look only at their own records."""
    tmp = tmp_path_factory.mktemp("stages")
    env = worker_environment(bootstrap, f"t{uuid.uuid4().hex[:10]}", tmp)
    worker = WorkerProcess(["-m", "streams", "worker"], env, tmp / "worker.log")
    try:
        worker.wait_ready()
        yield worker, Settings.from_env(env)
    finally:
        worker.stop()


def dead_letters(records: list[Record], settings: Settings, key: bytes) -> list[Record]:
    return [r for r in records if r.topic == settings.topics.deadletter and r.key == key]


@pytest.mark.parametrize(
    ("stage", "bad", "reason"),
    [
        ("dedup", b'{"title": "cut off in the mid', b"bad_record"),  # not JSON
        ("route", b'{"schema_version": 99, "id": "a1", "title": "From the future"}', b"schema_version"),
    ],
    ids=["dedup", "route"],
)
def test_a_bad_record_in_a_stage_input_is_that_stages_dead_letter(
    shared: tuple[WorkerProcess, Settings], stage: str, bad: bytes, reason: bytes
) -> None:
    shared_worker, settings = shared
    topics = settings.topics
    source = topics.articles if stage == "dedup" else topics.unique
    bootstrap = settings.bootstrap
    key = f"bad-{stage}".encode()
    n = 6100 if stage == "dedup" else 6200
    before, after = article_payload(n), article_payload(n + 1)
    asyncio.run(produce(bootstrap, topics.raw, [(b"before", before, JSON)]))
    ((partition, offset),) = asyncio.run(produce(bootstrap, source, [(key, bad, [("trace", b"t-1")])]))
    asyncio.run(produce(bootstrap, topics.raw, [(b"after", after, JSON)]))
    good = ids_of([before, after])

    def complete(records: list[Record]) -> bool:
        return bool(dead_letters(records, settings, key)) and good <= set(by_id(records, settings))

    records = asyncio.run(read_until(bootstrap, list(topics.outputs()), complete, 90, settle=1))
    dead = dead_letters(records, settings, key)
    assert len(dead) == 1, shared_worker.log_tail()
    assert dead[0].value == bad
    headers = dead[0].headers
    assert headers["dlq.stage"] == stage.encode()
    assert headers["dlq.reason"] == reason
    assert headers["dlq.source.topic"] == source.encode()
    assert headers["dlq.source.partition"] == str(partition).encode()
    assert headers["dlq.source.offset"] == str(offset).encode()
    assert headers["trace"] == b"t-1"  # the original headers travel with it
    routed = by_id(records, settings)
    assert all(routed[i] == [topics.other] for i in good), {i: routed[i] for i in good}
    assert shared_worker.metrics()[f'streams_deadletter_messages_total{{stage="{stage}"}}'] == 1
    assert shared_worker.proc.poll() is None
    assert shared_worker.get("/healthz")[0] == 200


def test_an_uncertain_article_reaches_the_review_topic_with_its_decision(
    bootstrap: str, worker_env: dict[str, str], start_worker: Any, tmp_path: Path
) -> None:
    """The shipped rules with a review band wide enough that a story naming Syria a few times falls in it (the
    shipped band is narrow, and the scores move in steps): the worker sends it to review with its decision."""
    shipped = (Path(streams.__file__).parent / "data" / "rules.yaml").read_text(encoding="utf-8")
    assert "review_margin: " in shipped
    wide = tmp_path / "rules.yaml"
    wide.write_text(re.sub(r"(?m)^review_margin: .*$", "review_margin: 0.2", shipped), encoding="utf-8")
    rules = load_rules(wide)
    env = {**worker_env, "STREAMS_RULES": str(wide)}
    settings = Settings.from_env(env)
    topics = settings.topics
    worker: WorkerProcess = start_worker(env, name="review")
    worker.wait_ready()
    offline = {}
    for payload in near_the_line():
        article = parse_payload(payload, RawMeta(content_type="application/json"))[0]
        offline[payload] = classify_article(article, rules)
    chosen = next((p for p, a in offline.items() if a.decision["review"]), None)
    assert chosen is not None, [a.decision["scores"] for a in offline.values()]  # no candidate in the band
    expected = offline[chosen]
    asyncio.run(produce(settings.bootstrap, topics.raw, [(b"review", chosen, JSON)]))
    records = asyncio.run(
        read_until(settings.bootstrap, list(topics.outputs()), lambda rs: expected.id in by_id(rs, settings), 60)
    )
    assert by_id(records, settings)[expected.id] == [topics.review], worker.log_tail()
    (routed,) = [orjson.loads(r.value) for r in records if r.topic == topics.review and r.key == expected.id.encode()]
    decision = routed["decision"]
    assert decision["route"] == "review"
    assert decision["review"] is True
    assert decision["rules_version"] == rules.version
    for field in ("rule", "topic", "scores", "syria", "diplomacy", "confidence"):
        assert decision[field] == expected.decision[field], field
    assert decision["why"]["uncertain"] == expected.decision["why"]["uncertain"] != []
    reviewed = {k: v for k, v in worker.metrics().items() if k.startswith("streams_review_articles_total{")}
    assert reviewed == {f'streams_review_articles_total{{lang="{expected.lang}"}}': 1.0}


def test_an_output_refused_in_dedup_sends_dedups_input_to_the_dead_letters(
    bootstrap: str, worker_env: dict[str, str], start_worker, tmp_path: Path
) -> None:
    """news.unique and news.duplicates take records of at most 16 KB: a big article passes parse but its
    verdict is refused, so the article record dedup read is a dead letter (stage dedup, output_refused); the
    articles around it are routed, the worker stays healthy and every stage commits past all three."""
    settings = Settings.from_env(worker_env)
    topics = settings.topics
    for name in (topics.unique, topics.duplicates):
        asyncio.run(create_topic(bootstrap, name, settings.partitions, {"max.message.bytes": "16384"}))
    worker: WorkerProcess = start_worker()
    worker.wait_ready()
    before, after = article_payload(6301), article_payload(6302)
    words = " ".join(f"long{i}word" for i in range(3000))
    big = orjson.dumps({"title": "A long report", "body": words, "url": "https://x.example/long-dedup"})
    raw = [(b"a", before, JSON), (b"b", big, JSON), (b"c", after, JSON)]
    asyncio.run(produce(bootstrap, topics.raw, raw))
    records = asyncio.run(read_until(bootstrap, list(topics.outputs()), lambda rs: len(rs) >= 3, 90, settle=1))
    (big_id,) = ids_of([big])
    (big_article,) = [
        r for r in asyncio.run(read_all(bootstrap, [topics.articles])) if orjson.loads(r.value)["id"] == big_id
    ]
    dead = [r for r in records if r.topic == topics.deadletter]
    assert len(dead) == 1, worker.log_tail()
    assert dead[0].value == big_article.value
    assert dead[0].headers["dlq.stage"] == b"dedup"
    assert dead[0].headers["dlq.reason"] == b"output_refused"
    assert dead[0].headers["dlq.source.topic"] == topics.articles.encode()
    assert dead[0].headers["dlq.source.partition"] == str(big_article.partition).encode()
    assert dead[0].headers["dlq.source.offset"] == str(big_article.offset).encode()
    assert by_id(records, settings) == {i: [topics.other] for i in ids_of([before, after])}
    assert worker.proc.poll() is None
    assert worker.get("/healthz")[0] == 200

    def committed_past_all() -> bool:  # 3 raw messages, 3 articles, 2 verdicts on news.unique
        committed = asyncio.run(committed_offsets(bootstrap, settings.app_id))
        inputs = (topics.raw, topics.articles, topics.unique)
        return [sum(committed.get((t, p), 0) for p in range(settings.partitions)) for t in inputs] == [3, 3, 2]

    wait_for(committed_past_all, 30, "raw, articles and unique offsets committed past every record")

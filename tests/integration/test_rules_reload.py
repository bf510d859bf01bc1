"""The routing rules file changed under a running worker: new rules apply to the next articles, a broken file
is refused and the rules in force stay, and /metrics says which version is in force."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import orjson
import yaml

from streams.settings import Settings
from streams.stages.parsing import RawMeta, parse_payload
from streams.stages.pipeline import route
from streams.stages.routing import Rules, load_rules

from .conftest import REPO, WorkerProcess
from .kafka_io import produce, read_until
from .test_faults import JSON, article_payload

WATCH_INTERVAL_S = 2.0  # the worker looks at the rules file at most this often (RulesWatcher)


def write_atomically(path: Path, text: str) -> None:
    """Replace the file in one step, as a deploy should: the worker never reads half a file."""
    partial = path.with_suffix(".partial")
    partial.write_text(text)
    os.replace(partial, path)


def offline(payload: bytes, rules: Rules, settings: Settings) -> tuple[str, dict[str, Any]]:
    """The topic and decision ``rules`` give the article of ``payload``, without Kafka."""
    article = parse_payload(payload, RawMeta(content_type="application/json"))[0]
    topic, article = route(article, rules, settings.topics)
    return topic, article.decision


def test_rules_reload_in_a_running_worker(
    bootstrap: str, worker_env: dict[str, str], start_worker, tmp_path: Path
) -> None:
    rules_file = tmp_path / "rules.yaml"
    shipped = (REPO / "streams" / "data" / "rules.yaml").read_text()
    write_atomically(rules_file, shipped)
    env = {**worker_env, "STREAMS_RULES": str(rules_file)}
    settings = Settings.from_env(env)
    topics = settings.topics
    first = load_rules(rules_file)
    # the second rules: another version, and every article counts as about Syria, none as uncertain
    changed = yaml.safe_load(shipped)
    changed.update(version="reload-test.2", review_margin=0.0)
    changed["thresholds"]["syria"] = 0.0
    second_text = yaml.safe_dump(changed)
    articles = [article_payload(6400 + n) for n in range(3)]  # stories with no Syria in them
    worker: WorkerProcess = start_worker(env)
    worker.wait_ready()
    assert worker.metrics()[f'streams_rules_info{{version="{first.version}"}}'] == 1

    def routed(payload: bytes) -> tuple[str, dict[str, Any]]:
        (article,) = parse_payload(payload, RawMeta(content_type="application/json"))
        asyncio.run(produce(bootstrap, topics.raw, [(article.id.encode(), payload, JSON)]))
        outputs = [t for t in topics.outputs() if t != topics.duplicates]
        key = article.id.encode()
        records = asyncio.run(read_until(bootstrap, outputs, lambda rs: any(r.key == key for r in rs), 60))
        found = [(r.topic, orjson.loads(r.value)["decision"]) for r in records if r.key == key]
        assert len(found) == 1, (found, worker.log_tail())
        return found[0]

    # the shipped rules in force
    topic, decision = routed(articles[0])
    assert (topic, decision) == offline(articles[0], first, settings)
    assert decision["rules_version"] == first.version

    # the file changed: the next article follows the new rules, and /metrics names their version alone
    write_atomically(rules_file, second_text)
    second = load_rules(rules_file)
    assert offline(articles[1], second, settings)[0] != offline(articles[1], first, settings)[0]  # it matters
    time.sleep(WATCH_INTERVAL_S + 0.5)
    topic, decision = routed(articles[1])
    assert (topic, decision) == offline(articles[1], second, settings), worker.log_tail()
    assert decision["rules_version"] == second.version
    metrics = worker.metrics()
    assert [s for s in metrics if s.startswith("streams_rules_info{")] == [
        f'streams_rules_info{{version="{second.version}"}}'
    ]
    assert metrics[f'streams_rules_info{{version="{second.version}"}}'] == 1
    assert metrics["streams_rules_reload_failures_total"] == 0

    # a broken file: refused, the second rules stay in force, and the failure is counted
    write_atomically(rules_file, "version: broken\nroutes: []\n")
    time.sleep(WATCH_INTERVAL_S + 0.5)
    topic, decision = routed(articles[2])
    assert (topic, decision) == offline(articles[2], second, settings), worker.log_tail()
    assert topic != offline(articles[2], first, settings)[0]  # neither the shipped rules nor a default took over
    metrics = worker.metrics()
    assert metrics["streams_rules_reload_failures_total"] == 1
    assert [s for s in metrics if s.startswith("streams_rules_info{")] == [
        f'streams_rules_info{{version="{second.version}"}}'
    ]
    assert worker.proc.poll() is None

"""``make demo``: the whole pipeline on the bundled samples, with a readable table of where each went.

Uses the broker at KAFKA_BOOTSTRAP when one answers, else starts the local one (``ops/kafka/broker``);
starts a worker with topics and a consumer group of its own (a unique prefix per run); publishes the samples;
reads every output topic; prints the table, the stories the reports were gathered into (as ``python -m
streams stories`` prints them) and the metrics URL; stops everything it started.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from streams.devtools.localrun import drain, expected_outputs, free_port, start_worker, wait_ready
from streams.errors import BrokerUnavailableError, StreamsError
from streams.headers import (
    HEADER_CONTENT_TYPE,
    HEADER_DLQ_ERROR_MESSAGE,
    HEADER_DLQ_REASON,
    HEADER_DLQ_STAGE,
    HEADER_SOURCE,
)
from streams.runtime.kafka import wait_for_broker
from streams.settings import Settings
from streams.tools.produce import messages_from_files, publish
from streams.tools.stories import read_stories, select_stories, stories_table

__all__ = ["run_demo", "stories_view"]

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
BROKER_SCRIPT = Path(__file__).resolve().parents[2] / "ops" / "kafka" / "broker"
# publish order matters for the duplicates: originals first
ORDER = (
    "syria-diplomacy.rss",
    "arabic-news.atom",
    "envoy-visit.html",
    "scraped-page.txt",
    "api-articles.json",
    "local-news.jsonl",
    "second-reports.jsonl",
    "malformed.json",
)


def _broker_answers(settings: Settings) -> bool:
    """Whether a broker answers at the bootstrap servers. A plain TCP connect first, so that when nothing
    listens the client never tries (aiokafka logs each refused connection as an ERROR), then a metadata
    request with the client's connection errors kept out of the demo's output."""
    if not any(_listens(server) for server in settings.bootstrap_servers):
        return False
    client_log = logging.getLogger("aiokafka")
    level = client_log.level
    client_log.setLevel(logging.CRITICAL)
    try:
        asyncio.run(wait_for_broker(settings, timeout=3.0))
        return True
    except BrokerUnavailableError:
        return False
    finally:
        client_log.setLevel(level)


def _listens(server: str) -> bool:
    host, _, port = server.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]") or "localhost", int(port)), timeout=1.0):
            return True
    except (OSError, ValueError):
        return False


def run_demo(base: Settings, keep: bool = False) -> int:
    console = Console()
    run = uuid.uuid4().hex[:6]
    workdir = Path(".demo") / run
    settings = base.with_(
        app_id=f"streams-demo-{run}",
        topics=type(base.topics)(**{k: f"demo-{run}.{v}" for k, v in base.topics.__dict__.items()}),
        data_dir=workdir / "state",
        web_port=free_port(),
        partitions=2,
    )
    started_broker = False
    worker: subprocess.Popen[bytes] | None = None
    try:
        if _broker_answers(settings):
            console.print(f"[bold]broker[/]: using the one at {settings.bootstrap}")
        else:
            if not BROKER_SCRIPT.exists():
                raise BrokerUnavailableError(
                    f"no broker answers at {settings.bootstrap} and the local broker script is not here"
                )
            console.print("[bold]broker[/]: none answers; starting the local one (ops/kafka/broker)")
            subprocess.run([sys.executable, str(BROKER_SCRIPT), "start"], check=True)
            started_broker = True
        workdir.mkdir(parents=True, exist_ok=True)
        worker = start_worker(settings, workdir / "worker.log")
        console.print(f"[bold]worker[/]: starting (log {workdir / 'worker.log'})")
        wait_ready(settings, worker, workdir / "worker.log")
        paths = [SAMPLES / name for name in ORDER if (SAMPLES / name).exists()]
        messages = messages_from_files(paths)
        expected = expected_outputs((m.value, dict(m.headers).get(HEADER_CONTENT_TYPE, b"").decode()) for m in messages)
        console.print(
            f"[bold]publish[/]: {len(messages)} raw messages from {len(paths)} sample files "
            f"-> {settings.topics.raw} (expecting {expected} output records)"
        )
        asyncio.run(publish(settings, settings.topics.raw, messages))
        started = time.monotonic()
        records = asyncio.run(drain(settings, settings.topics.outputs(), expected, timeout=90.0))
        console.print(f"[bold]result[/]: {len(records)} records in {time.monotonic() - started:.1f}s")
        console.print(_table(settings, records))
        console.print(stories_view(asyncio.run(read_stories(settings))))
        console.print(f"metrics: http://{settings.web_host}:{settings.web_port}/metrics  (until the worker stops)")
        _print_metrics(console, settings)
        return 0 if len(records) >= expected else 1
    except StreamsError as exc:
        console.print(f"[red]demo failed[/]: {exc}")
        return 2
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
        if not keep:
            shutil.rmtree(workdir / "state", ignore_errors=True)
        if started_broker:
            subprocess.run([sys.executable, str(BROKER_SCRIPT), "stop"], check=False)


def _table(settings: Settings, records: list[Any]) -> Table:
    table = Table(title="Where each sample article went", show_lines=False, expand=True)
    for column, style in (("topic", "bold"), ("lang", ""), ("title", ""), ("tags", "cyan"), ("why", "green")):
        table.add_column(column, style=style or None, overflow="fold")
    prefix = f"{settings.topics.raw.rsplit('news.', 1)[0]}"
    order = {topic: i for i, topic in enumerate(settings.topics.outputs())}
    for record in sorted(records, key=lambda r: (order.get(r.topic, 99), r.offset)):
        topic = record.topic.removeprefix(prefix)
        if record.topic == settings.topics.deadletter:
            headers = {k: v.decode("utf-8", "replace") for k, v in record.headers}
            stage, reason = headers.get(HEADER_DLQ_STAGE), headers.get(HEADER_DLQ_REASON)
            table.add_row(
                topic,
                "",
                f"({len(record.value)} bytes from {headers.get(HEADER_SOURCE, '?')})",
                "",
                f"{stage}: {reason}: {headers.get(HEADER_DLQ_ERROR_MESSAGE, '')[:80]}",
            )
            continue
        article = orjson.loads(record.value)
        table.add_row(topic, article["lang"], article["title"][:90], _tags(article), _why(article))
    return table


def stories_view(stories: dict[str, dict[str, Any]]) -> Table:
    """The stories with more than one report (what an analyst reads first); the count of the others."""
    rows = select_stories(stories)
    shown = [row for row in rows if int(row.get("reports") or 0) > 1]
    title = f"Stories the reports were gathered into: {len(shown)} with more than one report"
    if len(rows) > len(shown):
        title += f", {len(rows) - len(shown)} with one"
    return stories_table(shown, title)


def _tags(article: dict[str, Any]) -> str:
    names = [e["name"] for e in article["tags"].get("entities", [])[:4]]
    topics = list(article["tags"].get("topics", {}))[:3]
    return ", ".join(names) + (f" | {', '.join(topics)}" if topics else "")


def _why(article: dict[str, Any]) -> str:
    if article["dedup"].get("duplicate"):
        d = article["dedup"]
        return f"duplicate ({d['kind']}, similarity {d['similarity']:.2f}) of {d['dup_of'][:8]}"
    decision = article["decision"]
    scores = decision["scores"]
    signals = [s["topic"] for s in decision["why"]["diplomacy"]["signals"][:2]]
    against = [s["topic"] for s in decision["why"]["diplomacy"]["against"][:2]]
    text = f"{decision['why']['rule']}: syria {scores['syria']:.2f}, diplomacy {scores['diplomacy']:.2f}"
    if signals:
        text += f"; +{','.join(signals)}"
    if against:
        text += f"; -{','.join(against)}"
    if decision["review"]:
        text += f"; uncertain: {', '.join(decision['why']['uncertain'])}"
    return text


def _print_metrics(console: Console, settings: Settings) -> None:
    url = f"http://{settings.web_host}:{settings.web_port}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            lines = response.read().decode().splitlines()
    except (urllib.error.URLError, OSError):
        return
    wanted = (
        "streams_routed_articles_total{",
        "streams_duplicates_total{",
        "streams_deadletter_messages_total{",
    )
    for line in lines:
        if line.startswith(wanted):
            console.print(f"  {line}")

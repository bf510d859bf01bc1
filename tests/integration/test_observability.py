"""A real Prometheus scrapes a real worker and feed poller while articles flow through the real broker."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

from streams.settings import Settings
from tests.conftest import unavailable
from tests.feed_server import ThreadedFeedServer, rss

from .conftest import REPO, WorkerProcess, free_port
from .kafka_io import produce, read_until

RULES = REPO / "ops" / "prometheus" / "rules" / "streams.yml"
DASHBOARD = REPO / "ops" / "grafana" / "dashboards" / "streams-overview.json"


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        unavailable(f"{tool} is not installed (Debian package prometheus)")
    return path


def query(port: int, expr: str) -> list:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=5) as response:
        body = json.loads(response.read())
    assert body["status"] == "success", body
    return list(body["data"]["result"])


def wait_for(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_prometheus_scrapes_worker_and_poller(
    bootstrap: str, worker_env: dict[str, str], start_worker, tmp_path: Path, seed_bytes: bytes
) -> None:
    prometheus, promtool = need("prometheus"), need("promtool")
    settings = Settings.from_env(worker_env)
    worker: WorkerProcess = start_worker()

    # /readyz: 503 until the worker has joined its group (and probed the broker), 200 after
    statuses: list[int] = []

    def answered() -> bool:
        try:
            statuses.append(worker.get("/readyz")[0])
        except OSError:
            return False
        return statuses[-1] == 200

    wait_for(answered, 90, "the worker to become ready")
    assert statuses[0] == 503, statuses
    assert statuses[-1] == 200

    # a feed poller with its own metrics port, polling a loopback feed into the worker's raw topic
    server = ThreadedFeedServer({"wire.xml": rss("Wire", [("m1", "UN envoy meets Syrian foreign minister")])})
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(yaml.safe_dump({"feeds": [{"name": "wire", "url": server.url("/wire.xml"), "interval": 600}]}))
    ingest_port = free_port()
    poller = WorkerProcess(
        ["-m", "streams", "ingest", "--feeds", str(feeds), "--metrics-port", str(ingest_port)],
        worker_env,
        tmp_path / "ingest.log",
    )
    poller.port = ingest_port

    prom_port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(RULES)],
                "scrape_configs": [
                    {"job_name": "streams-worker", "static_configs": [{"targets": [f"127.0.0.1:{worker.port}"]}]},
                    {"job_name": "streams-ingest", "static_configs": [{"targets": [f"127.0.0.1:{ingest_port}"]}]},
                ],
            }
        )
    )
    with (tmp_path / "prometheus.log").open("wb") as prom_log:  # Prometheus writes to its own descriptor
        prom = subprocess.Popen(
            [
                prometheus,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
            ],
            stdout=prom_log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: _answers(prom_port), 60, "Prometheus to start")
        # traffic: the seed twice (a duplicate), a malformed payload (a dead letter); the poller adds one item
        text = [("content-type", b"text/plain")]
        messages = [
            (b"s", seed_bytes, text),
            (b"bad", b"{not json", [("content-type", b"application/json")]),
            (b"s", seed_bytes, text),
        ]
        asyncio.run(produce(bootstrap, settings.topics.raw, messages))
        records = asyncio.run(
            read_until(bootstrap, list(settings.topics.outputs()), lambda rs: len(rs) >= 4, timeout=90)
        )
        assert len(records) >= 4, worker.log_tail()
        # let Prometheus scrape the counters after the traffic, several times
        wait_for(lambda: bool(query(prom_port, "streams_routed_articles_total")), 60, "routed articles in Prometheus")
        wait_for(lambda: bool(query(prom_port, "streams_feed_items_published_total")), 60, "the poller's metrics")
        wait_for(lambda: bool(query(prom_port, "streams_consumer_lag_messages")), 60, "lag in Prometheus")
        time.sleep(4)

        # the worker's exposition passes promtool's lint
        status, body = worker.get("/metrics")
        assert status == 200
        lint = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True)
        assert lint.returncode == 0, lint.stdout.decode() + lint.stderr.decode()

        # every dashboard query and every alert's data check returns data
        dashboard = json.loads(DASHBOARD.read_text())
        empty = [
            f"panel {p['title']!r}: {t['expr']}"
            for p in dashboard["panels"]
            for t in p["targets"]
            if not query(prom_port, t["expr"])
        ]
        rules = yaml.safe_load(RULES.read_text())["groups"][0]["rules"]
        empty += [
            f"alert {r['alert']}: {r['annotations']['data_check']}"
            for r in rules
            if not query(prom_port, r["annotations"]["data_check"])
        ]
        assert not empty, "\n".join(empty)
        # the rules loaded, and with a healthy worker the worker-down alert is quiet
        assert not query(prom_port, 'ALERTS{alertname="StreamsWorkerDown"}')
    finally:
        prom.terminate()
        prom.wait(30)
        poller.stop()
        server.stop()


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False

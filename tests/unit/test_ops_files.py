"""ops/: the alert rules pass promtool's checks and unit tests; the dashboard is valid and complete."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.conftest import unavailable

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "ops" / "prometheus" / "rules"
DASHBOARD = REPO / "ops" / "grafana" / "dashboards" / "streams-overview.json"


def promtool() -> str:
    tool = shutil.which("promtool")
    if tool is None:
        unavailable("promtool is not installed (Debian package prometheus)")
    return tool


def test_rules_pass_promtool_check() -> None:
    result = subprocess.run([promtool(), "check", "rules", str(RULES / "streams.yml")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rules_pass_their_unit_tests() -> None:
    result = subprocess.run(
        [promtool(), "test", "rules", "streams_test.yml"], cwd=RULES, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_runbook_and_a_data_check() -> None:
    rules = yaml.safe_load((RULES / "streams.yml").read_text())["groups"][0]["rules"]
    assert {r["alert"] for r in rules} >= {
        "StreamsWorkerDown",
        "StreamsConsumerLagGrowing",
        "StreamsStalled",
        "StreamsDeadLettersHigh",
        "StreamsFeedStale",
        "StreamsRebalanceStorm",
        "StreamsDedupSaturated",
    }
    for rule in rules:
        assert rule["annotations"]["runbook"], rule["alert"]
        assert rule["annotations"]["data_check"], rule["alert"]


def test_dashboard_panels_query_our_metrics() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "streams-overview"
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len(exprs) >= 15
    assert all("streams_" in e or 'job="streams-worker"' in e for e in exprs)  # ours, or the worker's process
    titles = " ".join(p["title"].lower() for p in dashboard["panels"])
    topics = ("throughput", "routed", "duplicate", "dead letters", "latency", "lag", "feed", "review", "memory", "cpu")
    for topic in topics:
        assert topic in titles, topic

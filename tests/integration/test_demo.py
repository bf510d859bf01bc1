"""`python -m streams demo` (what `make demo` runs) works, says nothing alarming, and leaves nothing running."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.integration.conftest import free_port


def _run_demo(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streams", "demo"], cwd=cwd, env=env, capture_output=True, text=True, timeout=420
    )


def _demo_env(bootstrap: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STREAMS_", "KAFKA_"))}
    env.update(KAFKA_BOOTSTRAP=bootstrap, COLUMNS="160")
    return env


def _assert_demo_result(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "news.syria.diplomacy" in out
    assert "news.duplicates" in out
    assert "news.deadletter" in out
    assert "bad_json" in out
    assert re.search(r'streams_routed_articles_total\{lang="[a-z]+",route="syria_diplomacy"\}', out)
    # the stories: the English report of the Astana round joined the Arabic one, the second report of the Saudi
    # embassy its first (outlets are shown only in the stories table, and only stories of two reports are)
    assert "Stories the reports were gathered into" in out
    assert "steppe-post.example" in out
    assert "gulf-dispatch.example" in out
    errors = [line for line in (out + result.stderr).splitlines() if "ERROR" in line or "Traceback" in line]
    assert errors == []


def test_demo_runs_and_cleans_up(bootstrap: str, tmp_path: Path) -> None:
    result = _run_demo(_demo_env(bootstrap), tmp_path)
    _assert_demo_result(result)
    assert "using the one at" in result.stdout
    assert _workers_in(tmp_path) == set()  # the demo's worker is gone


def test_demo_starts_and_stops_its_own_broker_quietly(bootstrap: str, tmp_path: Path) -> None:
    """The fresh-clone path: no broker answers, so the demo starts the local one, and no ERROR line shows."""
    port, controller = free_port(), free_port()
    env = _demo_env(f"127.0.0.1:{port}")
    env.update(KAFKA_PORT=str(port), KAFKA_CONTROLLER_PORT=str(controller), KAFKA_DATA_DIR=str(tmp_path / "kafka"))
    result = _run_demo(env, tmp_path)
    _assert_demo_result(result)
    assert "starting the local one" in result.stdout
    assert _workers_in(tmp_path) == set()
    status = subprocess.run(
        [sys.executable, str(Path(__file__).resolve().parents[2] / "ops/kafka/broker"), "status"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert status.returncode == 1, status.stdout  # the demo stopped the broker it started
    assert "is running" not in status.stdout


def _workers_in(directory: Path) -> set[int]:
    """Worker processes started in ``directory`` (the demo's, which run where the demo was started)."""
    listed = subprocess.run(["pgrep", "-f", "--", "-m streams worker"], capture_output=True, text=True)
    assert listed.returncode in (0, 1), listed.stderr  # 1: none found; anything else: pgrep refused the call
    found = set()
    for pid in map(int, listed.stdout.split()):
        try:
            if Path(f"/proc/{pid}/cwd").resolve() == directory.resolve():
                found.add(pid)
        except OSError:  # ended meanwhile
            continue
    return found

"""`python -m streams demo` (what `make demo` runs) works and leaves nothing running."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_demo_runs_and_cleans_up(bootstrap: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMS_")}
    env.update(KAFKA_BOOTSTRAP=bootstrap, COLUMNS="160")
    before = _workers()
    result = subprocess.run(
        [sys.executable, "-m", "streams", "demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "news.syria.diplomacy" in out
    assert "news.duplicates" in out
    assert "news.deadletter" in out
    assert "bad_json" in out
    assert 'streams_routed_articles_total{route="syria_diplomacy"}' in out
    assert _workers() == before  # the demo's worker is gone


def _workers() -> set[int]:
    listed = subprocess.run(["pgrep", "-f", "-m streams worker|streams worker"], capture_output=True, text=True)
    return {int(pid) for pid in listed.stdout.split()}

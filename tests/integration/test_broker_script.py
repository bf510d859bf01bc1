"""ops/kafka/broker on ports of its own: start, start again, a taken port, stop, nothing left running."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO, free_port

BROKER = REPO / "ops" / "kafka" / "broker"


def run(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BROKER), *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def java_pids(data_dir: Path) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"kafka.Kafka" in cmdline and str(data_dir).encode() in cmdline:
                pids.append(int(entry.name))
    return pids


@pytest.mark.slow
def test_start_is_idempotent_and_stop_leaves_nothing(bootstrap: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "broker"
    env = {
        **os.environ,
        "KAFKA_PORT": str(free_port()),
        "KAFKA_CONTROLLER_PORT": str(free_port()),
        "KAFKA_DATA_DIR": str(data_dir),
        "KAFKA_HEAP": "256m",
    }
    try:
        first = run(env, "start")
        assert first.returncode == 0, first.stdout + first.stderr
        assert "ready in" in first.stdout
        assert run(env, "status").returncode == 0
        again = run(env, "start")
        assert again.returncode == 0
        assert "already running" in again.stdout
        assert len(java_pids(data_dir)) == 1
    finally:
        stopped = run(env, "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert java_pids(data_dir) == []
    assert run(env, "status").returncode == 1
    assert run(env, "stop").returncode == 0  # stopping a stopped broker succeeds


def test_a_port_taken_by_something_else_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        env = {
            **os.environ,
            "KAFKA_PORT": str(port),
            "KAFKA_CONTROLLER_PORT": str(free_port()),
            "KAFKA_DATA_DIR": str(tmp_path / "broker"),
        }
        result = run(env, "start", timeout=60)
    assert result.returncode == 1
    assert f"port 127.0.0.1:{port} is taken" in result.stderr
    assert java_pids(tmp_path / "broker") == []

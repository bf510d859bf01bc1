"""ops/kafka/broker on ports of its own: start, start again, a taken port, stop, nothing left running; SCRAM users."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

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


def _authenticates(port: str, mechanism: str, user: str, password: str) -> bool:
    async def attempt() -> bool:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=f"127.0.0.1:{port}",
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism=mechanism,
            sasl_plain_username=user,
            sasl_plain_password=password,
            request_timeout_ms=5000,
        )
        try:
            await admin.start()
            await admin.list_topics()
        except Exception:
            return False
        finally:
            await admin.close()
        return True

    return asyncio.run(attempt())


@pytest.mark.slow
def test_scram_users_follow_kafka_sasl_users_across_restarts(bootstrap: str, tmp_path: Path) -> None:
    """SCRAM credentials go in at format time; a restart with other users sets theirs. No password is printed."""
    data_dir = tmp_path / "broker"
    env = {
        **os.environ,
        "KAFKA_PORT": str(free_port()),
        "KAFKA_CONTROLLER_PORT": str(free_port()),
        "KAFKA_SASL_PORT": str(free_port()),
        "KAFKA_DATA_DIR": str(data_dir),
        "KAFKA_HEAP": "256m",
        "KAFKA_SASL_USERS": "ann:first-Secret-1",
    }
    port = env["KAFKA_SASL_PORT"]
    outputs = []
    try:
        first = run(env, "start")
        outputs.append(first.stdout + first.stderr)
        assert first.returncode == 0, outputs[-1]
        assert "mechanisms PLAIN, SCRAM-SHA-256, SCRAM-SHA-512" in first.stdout
        assert _authenticates(port, "SCRAM-SHA-256", "ann", "first-Secret-1")
        assert _authenticates(port, "SCRAM-SHA-512", "ann", "first-Secret-1")
        outputs.append(run(env, "stop").stdout)
        env["KAFKA_SASL_USERS"] = "ann:second-Secret-2,ben:third-Secret-3"
        second = run(env, "start")
        outputs.append(second.stdout + second.stderr)
        assert second.returncode == 0, outputs[-1]
        assert "SCRAM credentials set for ann, ben" in second.stdout
        assert _authenticates(port, "SCRAM-SHA-512", "ben", "third-Secret-3")
        assert _authenticates(port, "SCRAM-SHA-256", "ann", "second-Secret-2")
        assert not _authenticates(port, "SCRAM-SHA-256", "ann", "first-Secret-1")
    finally:
        outputs.append(run(env, "stop").stdout)
    printed = "\n".join(outputs) + (data_dir / "broker.log").read_text(errors="replace")
    for secret in ("first-Secret-1", "second-Secret-2", "third-Secret-3"):
        assert secret not in printed
    assert list(data_dir.glob(".scram-*")) == []  # the temporary credential files are gone

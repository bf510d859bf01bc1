"""The real broker works for our clients: aiokafka round trip, Kafka's own tools, a Faust app."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from .conftest import REPO, WorkerProcess, free_port
from .kafka_io import produce, read_until

BROKER = REPO / "ops" / "kafka" / "broker"


def test_aiokafka_round_trip(bootstrap: str, unique: str) -> None:
    topic = f"{unique}.roundtrip"
    sent = [(f"k{i}".encode(), f"value {i}".encode(), [("h", str(i).encode())]) for i in range(20)]
    asyncio.run(produce(bootstrap, topic, sent))
    records = asyncio.run(read_until(bootstrap, [topic], lambda rs: len(rs) >= 20, timeout=30))
    assert sorted(r.value for r in records) == sorted(v for _, v, _ in sent)
    assert {r.headers["h"] for r in records} == {str(i).encode() for i in range(20)}


def test_broker_status_and_kafka_tools(bootstrap: str, unique: str) -> None:
    local = f"127.0.0.1:{os.environ.get('KAFKA_PORT', '9092')}"
    if bootstrap != local:
        import pytest

        pytest.skip(f"the broker script manages the local broker at {local}, not {bootstrap}")
    status = subprocess.run([sys.executable, str(BROKER), "status"], capture_output=True, text=True)
    assert status.returncode == 0, status.stdout + status.stderr
    topic = f"{unique}.tools"
    created = subprocess.run(
        [
            sys.executable,
            str(BROKER),
            "tool",
            "kafka-topics",
            "--bootstrap-server",
            bootstrap,
            "--create",
            "--topic",
            topic,
            "--partitions",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert created.returncode == 0, created.stderr
    described = subprocess.run(
        [
            sys.executable,
            str(BROKER),
            "tool",
            "kafka-topics",
            "--bootstrap-server",
            bootstrap,
            "--describe",
            "--topic",
            topic,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert described.returncode == 0, described.stderr
    assert "PartitionCount: 3" in described.stdout


def test_faust_app_consumes_and_produces(bootstrap: str, unique: str, tmp_path: Path) -> None:
    """A minimal Faust app (a worker subprocess) reads one topic and writes another on the real broker."""
    source, sink = f"{unique}.faust-in", f"{unique}.faust-out"
    asyncio.run(produce(bootstrap, source, [(None, b"warm-up", [])]))  # the topic exists before the join
    port = free_port()
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP": bootstrap,
        "ECHO_APP_ID": f"{unique}-echo",
        "ECHO_SOURCE": source,
        "ECHO_SINK": sink,
        "ECHO_PORT": str(port),
        "ECHO_DATADIR": str(tmp_path / "faust"),
    }
    worker = WorkerProcess(["-m", "tests.integration.echo_app", "worker", "-l", "info"], env, tmp_path / "echo.log")
    worker.port = port
    try:
        messages = [(None, f"message {i}".encode(), []) for i in range(10)]
        asyncio.run(produce(bootstrap, source, messages))
        records = asyncio.run(read_until(bootstrap, [sink], lambda rs: len(rs) >= 11, timeout=90))
        assert sorted(r.value for r in records) == sorted([b"WARM-UP"] + [m[1].upper() for m in messages]), (
            worker.log_tail()
        )
    finally:
        assert worker.stop() == 0, worker.log_tail()

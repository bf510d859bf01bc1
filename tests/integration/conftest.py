"""The integration suite runs against a real Kafka broker at KAFKA_BOOTSTRAP (default 127.0.0.1:9092).

`make test` starts the local one (ops/kafka/broker) when none answers. Without a broker these tests skip
on a developer's machine and FAIL under CI (CI is set): a green CI run always means they ran.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import need_tools, unavailable

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP", "127.0.0.1:9092")


def _answers(bootstrap: str) -> bool:
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return True
    except OSError:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def bootstrap() -> str:
    if not _answers(BOOTSTRAP):
        unavailable(f"no Kafka broker answers at {BOOTSTRAP} (run `ops/kafka/broker start` or `make test`)")
    return BOOTSTRAP


@pytest.fixture
def unique() -> str:
    """A short unique name for this test's topics and groups."""
    return f"t{uuid.uuid4().hex[:10]}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class WorkerProcess:
    """``python -m streams worker`` (or another command) as a subprocess, with its log kept for failures."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self.port = int(env.get("STREAMS_WEB_PORT", "0"))
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, *args], env=env, stdout=self._log, stderr=subprocess.STDOUT, cwd=REPO
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.url(path), timeout=3) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                status, _ = self.get("/readyz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"worker not ready within {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()
        return int(self.proc.returncode)


@pytest.fixture
def worker_env(bootstrap: str, unique: str, tmp_path: Path) -> dict[str, str]:
    """Environment for a worker with its own topics, group, state dir and web port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMS_")}
    env.update(
        KAFKA_BOOTSTRAP=bootstrap,
        STREAMS_APP_ID=f"{unique}-app",
        STREAMS_TOPIC_PREFIX=f"{unique}.",
        STREAMS_PARTITIONS="2",
        STREAMS_DATA_DIR=str(tmp_path / "state"),
        STREAMS_WEB_PORT=str(free_port()),
        STREAMS_SESSION_TIMEOUT="6",
        STREAMS_HEARTBEAT_INTERVAL="0.5",
        STREAMS_LOG_LEVEL="info",
    )
    return env


@pytest.fixture
def start_worker(worker_env: dict[str, str], tmp_path: Path) -> Iterator[object]:
    started: list[WorkerProcess] = []

    def start(env: dict[str, str] | None = None, name: str = "worker") -> WorkerProcess:
        worker = WorkerProcess(["-m", "streams", "worker"], env or worker_env, tmp_path / f"{name}.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


SASL_USER, SASL_PASSWORD = "streams-test", "s3cret-Passw0rd-for-tests"


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A second local broker on ports and a data dir of its own (and a SASL/PLAIN listener), for tests that
    stop and start it or need authentication."""
    need_tools("java")  # a private broker
    env = {
        **os.environ,
        "KAFKA_PORT": str(free_port()),
        "KAFKA_CONTROLLER_PORT": str(free_port()),
        "KAFKA_DATA_DIR": str(tmp_path / "private-broker"),
        "KAFKA_HEAP": "384m",
        "KAFKA_SASL_PORT": str(free_port()),
        "KAFKA_SASL_USERS": f"{SASL_USER}:{SASL_PASSWORD}",
    }
    script = [sys.executable, str(REPO / "ops" / "kafka" / "broker")]
    started = subprocess.run([*script, "start"], env=env, capture_output=True, text=True, timeout=240)
    assert started.returncode == 0, started.stdout + started.stderr
    env["KAFKA_BOOTSTRAP"] = f"127.0.0.1:{env['KAFKA_PORT']}"
    env["BROKER_SCRIPT"] = " ".join(script)
    try:
        yield env
    finally:
        subprocess.run([*script, "stop"], env=env, capture_output=True, timeout=120)

"""The integration suite runs against a real Kafka broker at KAFKA_BOOTSTRAP (default 127.0.0.1:9092).

`make test` starts the local one (ops/kafka/broker) when none answers. Without a broker these tests skip
on a developer's machine and FAIL under CI (CI is set): a green CI run always means they ran.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from streams.settings import Settings
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

    def metrics(self) -> dict[str, float]:
        """``/metrics`` as {series: value}, the series as exposed (``name{label="value"}``)."""
        status, body = self.get("/metrics")
        assert status == 200, status
        series = {}
        for line in body.decode().splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                series[name] = float(value)
        return series

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


def worker_environment(bootstrap: str, unique: str, tmp_path: Path) -> dict[str, str]:
    """Environment for a worker with its own topics, group, state dir and web port: the settings rendered by
    ``Settings.to_env`` over this process's environment."""
    settings = Settings.from_env(
        {"STREAMS_TOPIC_PREFIX": f"{unique}."},
        bootstrap=bootstrap,
        app_id=f"{unique}-app",
        partitions=2,
        data_dir=tmp_path / "state",
        web_port=free_port(),
        session_timeout_s=6.0,
        heartbeat_interval_s=0.5,
        log_level="info",
    )
    return {**os.environ, **settings.to_env()}


@pytest.fixture
def worker_env(bootstrap: str, unique: str, tmp_path: Path) -> dict[str, str]:
    """``worker_environment`` for this test's names and temporary directory."""
    return worker_environment(bootstrap, unique, tmp_path)


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


def wait_for(condition: Callable[[], bool], timeout: float, what: str, every: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        time.sleep(every)


def kill_broker(broker_env: dict[str, str]) -> None:
    """SIGKILL the broker the ``private_broker`` fixture started (no clean shutdown), and wait until it is gone."""
    pid = int((Path(broker_env["KAFKA_DATA_DIR"]) / "broker.pid").read_text().strip())
    os.killpg(pid, signal.SIGKILL)  # the broker runs in a session of its own: the JVM and nothing else

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    wait_for(gone, 30, f"broker pid {pid} to die", every=0.1)


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


def draw_fixed(strategy: Any, size: int, seed_value: int) -> list[Any]:
    """``size`` examples of a Hypothesis strategy drawn with a fixed seed: the same batch on every run."""
    from hypothesis import HealthCheck, Phase, given, seed, settings

    batch: list[Any] = []

    @seed(seed_value)
    @settings(
        max_examples=size,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(item: Any) -> None:
        batch.append(item)

    collect()
    return batch

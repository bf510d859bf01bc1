"""Running a worker as a child process and reading topics back: shared by the demo and the benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from streams.errors import BrokerUnavailableError, ParseError
from streams.runtime.kafka import make_consumer
from streams.settings import Settings
from streams.stages.parsing import RawMeta, parse_payload

__all__ = ["drain", "expected_outputs", "free_port", "start_worker", "wait_ready"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_worker(settings: Settings, log_path: Path) -> subprocess.Popen[bytes]:
    """``python -m streams worker`` with exactly these settings, but for a shorter session timeout and heartbeat
    (a stopped worker's partitions move on sooner), logging to a file."""
    quick = settings.with_(session_timeout_s=6.0, heartbeat_interval_s=0.5)
    env = {**os.environ, **quick.to_env()}
    # in this process, not under the supervisor: the benches measure the process they started
    command = [sys.executable, "-m", "streams", "worker", "--no-restart"]
    with log_path.open("wb") as log:  # the worker writes to its own copy of the descriptor
        return subprocess.Popen(command, env=env, stdout=log, stderr=log)


def wait_ready(settings: Settings, worker: subprocess.Popen[bytes], log_path: Path, timeout: float = 120.0) -> None:
    url = f"http://{settings.web_host}:{settings.web_port}/readyz"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])
            raise BrokerUnavailableError(f"the worker exited ({worker.returncode}):\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise BrokerUnavailableError(f"the worker was not ready within {timeout:.0f}s (see {log_path})")


def expected_outputs(payloads: Iterable[tuple[bytes, str | None]]) -> int:
    """How many output records raw payloads make: one per parsed article, one per dead letter."""
    total = 0
    for value, content_type in payloads:
        try:
            total += len(parse_payload(value, RawMeta(content_type=content_type)))
        except ParseError:
            total += 1
    return total


async def drain(settings: Settings, topics: Iterable[str], expected: int, timeout: float) -> list[Any]:
    """Read ``topics`` from the beginning (no group) until ``expected`` records or ``timeout`` seconds."""
    consumer = make_consumer(
        settings,
        *topics,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        metadata_max_age_ms=1000,
    )
    await consumer.start()
    records: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        while len(records) < expected and time.monotonic() < deadline:
            for batch in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records

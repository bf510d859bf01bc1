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
from dataclasses import fields
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer

from streams.errors import BrokerUnavailableError, ParseError
from streams.settings import Settings
from streams.stages.parsing import RawMeta, parse_payload

__all__ = ["drain", "expected_outputs", "free_port", "start_worker", "wait_ready"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_worker(settings: Settings, log_path: Path) -> subprocess.Popen[bytes]:
    """``python -m streams worker`` with exactly these settings (every topic named), logging to a file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMS_")}
    env.update(
        KAFKA_BOOTSTRAP=settings.bootstrap,
        STREAMS_APP_ID=settings.app_id,
        STREAMS_DATA_DIR=str(settings.data_dir),
        STREAMS_WEB_HOST=settings.web_host,
        STREAMS_WEB_PORT=str(settings.web_port),
        STREAMS_PARTITIONS=str(settings.partitions),
        STREAMS_LOG_LEVEL=settings.log_level,
        STREAMS_CONCURRENCY=str(settings.concurrency),
        STREAMS_DEDUP_CACHE_MB=str(settings.dedup_cache_mb),
        STREAMS_LANGID_ACCURACY=settings.langid_accuracy,
        STREAMS_SESSION_TIMEOUT="6",
        STREAMS_HEARTBEAT_INTERVAL="0.5",
    )
    for field in fields(settings.topics):
        env[f"STREAMS_TOPIC_{field.name.upper()}"] = getattr(settings.topics, field.name)
    log = log_path.open("wb")
    return subprocess.Popen([sys.executable, "-m", "streams", "worker"], env=env, stdout=log, stderr=log)


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
    consumer = AIOKafkaConsumer(
        *topics,
        **settings.kafka_client_options(),
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

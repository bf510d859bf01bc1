"""A broker outage longer than the producer's delivery timeout, survived without help from outside.

The broker is killed with SIGKILL while the worker has work in flight and stays down for more than twice the
(test-shortened) delivery timeout: Faust's producer gives up and its worker process exits. The worker command
(the supervisor) must keep running, answer /healthz, start the Faust worker again once the broker is back,
and every input must come out: nothing lost, no restart from outside.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
import urllib.request

from streams.settings import Settings

from .conftest import WorkerProcess, kill_broker
from .kafka_io import produce, read_until
from .test_faults import JSON, article_payload, by_id, ids_of

DELIVERY_TIMEOUT_S = 8
OUTAGE_S = 3 * DELIVERY_TIMEOUT_S


def _restarts(worker: WorkerProcess) -> int:
    with urllib.request.urlopen(worker.url("/metrics"), timeout=3) as response:
        text = response.read().decode()
    found = re.search(r"^streams_worker_restarts (\d+(?:\.\d+)?)$", text, re.M)
    assert found, "streams_worker_restarts missing from /metrics"
    return int(float(found.group(1)))


def test_worker_outlives_a_long_broker_outage(
    private_broker: dict[str, str], worker_env: dict[str, str], start_worker
) -> None:
    bootstrap = private_broker["KAFKA_BOOTSTRAP"]
    env = {**worker_env, "KAFKA_BOOTSTRAP": bootstrap, "STREAMS_PRODUCER_TIMEOUT": str(DELIVERY_TIMEOUT_S)}
    settings = Settings.from_env(env)
    worker: WorkerProcess = start_worker(env, name="outage")
    worker.wait_ready()
    payloads = [article_payload(7000 + n) for n in range(400)]
    messages = [(f"k{n}".encode(), p, JSON) for n, p in enumerate(payloads)]
    asyncio.run(produce(bootstrap, settings.topics.raw, messages[:300]))
    some = asyncio.run(
        read_until(bootstrap, list(settings.topics.outputs()), lambda rs: len(by_id(rs, settings)) >= 20, 120)
    )
    assert len(by_id(some, settings)) < 300, "the backlog was done before the outage: nothing in flight"

    kill_broker(private_broker)
    down_since = time.monotonic()
    answered = set()
    while time.monotonic() - down_since < OUTAGE_S:
        assert worker.proc.poll() is None, worker.log_tail()  # the worker command never exits
        try:
            answered.add(worker.get("/healthz")[0])
        except OSError:  # between the Faust worker's exit and the supervisor taking the port over
            answered.add(0)
        time.sleep(1)
    assert 200 in answered, (answered, worker.log_tail())

    script = private_broker["BROKER_SCRIPT"].split()
    started = subprocess.run([*script, "start"], env=private_broker, capture_output=True, text=True, timeout=240)
    assert started.returncode == 0, started.stdout + started.stderr
    asyncio.run(produce(bootstrap, settings.topics.raw, messages[300:]))
    records = asyncio.run(
        read_until(bootstrap, list(settings.topics.outputs()), lambda rs: len(by_id(rs, settings)) >= 400, 300)
    )
    assert set(by_id(records, settings)) == ids_of(payloads), worker.log_tail()
    assert not [r for r in records if r.topic == settings.topics.deadletter]
    assert worker.proc.poll() is None
    worker.wait_ready()
    assert worker.get("/healthz")[0] == 200
    assert _restarts(worker) >= 1, worker.log_tail()  # the Faust worker did give up, and was started again

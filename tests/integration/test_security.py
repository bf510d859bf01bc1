"""SASL/PLAIN on loopback: clients and a worker authenticate; a wrong password is refused; secrets stay out."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from aiokafka.errors import KafkaError

from streams.settings import Settings

from .conftest import SASL_PASSWORD, SASL_USER, WorkerProcess
from .kafka_io import read_until


def sasl_settings(env: dict[str, str], password: str) -> Settings:
    return Settings.from_env(
        {
            **env,
            "KAFKA_BOOTSTRAP": f"127.0.0.1:{env['KAFKA_SASL_PORT']}",
            "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "KAFKA_SASL_MECHANISM": "PLAIN",
            "KAFKA_SASL_USERNAME": SASL_USER,
            "KAFKA_SASL_PASSWORD": password,
        }
    )


def test_wrong_password_is_refused(private_broker: dict[str, str]) -> None:
    from streams.kafka_admin import wait_for_broker

    with pytest.raises((KafkaError, Exception)):
        asyncio.run(wait_for_broker(sasl_settings(private_broker, "wrong-password"), timeout=8))


def test_worker_over_sasl(private_broker: dict[str, str], worker_env: dict[str, str], start_worker) -> None:
    from aiokafka import AIOKafkaProducer

    env = {
        **worker_env,
        "KAFKA_BOOTSTRAP": f"127.0.0.1:{private_broker['KAFKA_SASL_PORT']}",
        "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "KAFKA_SASL_MECHANISM": "PLAIN",
        "KAFKA_SASL_USERNAME": SASL_USER,
        "KAFKA_SASL_PASSWORD": SASL_PASSWORD,
    }
    settings = Settings.from_env(env)
    worker: WorkerProcess = start_worker(env, name="sasl-worker")
    worker.wait_ready()

    async def produce_one() -> None:
        producer = AIOKafkaProducer(**settings.kafka_client_options(), acks="all")
        await producer.start()
        try:
            body = orjson.dumps({"title": "Envoy meets minister", "body": "A short story about talks in Geneva."})
            await producer.send_and_wait(settings.topics.raw, body, headers=[("content-type", b"application/json")])
        finally:
            await producer.stop()

    asyncio.run(produce_one())
    plain = f"127.0.0.1:{private_broker['KAFKA_PORT']}"  # read back on the plaintext listener
    records = asyncio.run(read_until(plain, list(settings.topics.outputs()), lambda rs: len(rs) >= 1, 60))
    assert len(records) == 1, worker.log_tail()
    _, metrics = worker.get("/metrics")
    assert SASL_PASSWORD.encode() not in metrics
    assert SASL_PASSWORD not in worker.log_tail(10_000)

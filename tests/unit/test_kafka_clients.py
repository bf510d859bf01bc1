"""One factory builds every aiokafka client from the settings, with one message size limit."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from streams.runtime.kafka import MAX_MESSAGE_BYTES, client_options, make_admin, make_consumer, make_producer
from streams.settings import Settings

REPO = Path(__file__).resolve().parents[2]

SASL = {
    "KAFKA_BOOTSTRAP": "k1:9093, k2:9093",
    "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
    "KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
    "KAFKA_SASL_USERNAME": "svc",
    "KAFKA_SASL_PASSWORD": "pw",
}


def test_the_size_limit_is_the_brokers() -> None:
    """Producers may send what the local broker and the compose broker accept, and no more."""
    script = (REPO / "ops" / "kafka" / "broker").read_text(encoding="utf-8")
    assert re.findall(r'"message\.max\.bytes=(\d+)"', script) == [str(MAX_MESSAGE_BYTES)]
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    assert int(compose["services"]["kafka"]["environment"]["KAFKA_MESSAGE_MAX_BYTES"]) == MAX_MESSAGE_BYTES


def test_client_options_carry_servers_and_security() -> None:
    assert client_options(Settings.from_env({})) == {
        "bootstrap_servers": ["127.0.0.1:9092"],
        "security_protocol": "PLAINTEXT",
    }
    assert client_options(Settings.from_env(SASL)) == {
        "bootstrap_servers": ["k1:9093", "k2:9093"],
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-256",
        "sasl_plain_username": "svc",
        "sasl_plain_password": "pw",
    }


@pytest.mark.asyncio
async def test_the_factory_applies_settings_and_limit() -> None:
    settings = Settings.from_env(SASL)
    producer = make_producer(settings, linger_ms=5)
    try:
        assert producer._max_request_size == MAX_MESSAGE_BYTES
        assert producer._sender._acks == -1  # "all": every in-sync replica, unless a caller says otherwise
        assert producer._message_accumulator._linger_time == 0.005  # the caller's own options pass through
        assert producer.client._bootstrap_servers == ["k1:9093", "k2:9093"]
        assert (producer.client._security_protocol, producer.client._sasl_mechanism) == (
            "SASL_PLAINTEXT",
            "SCRAM-SHA-256",
        )
        assert producer.client._sasl_plain_username == "svc"
    finally:
        await producer.stop()
    with pytest.raises(TypeError):  # the limit is the factory's, not each caller's
        make_producer(settings, max_request_size=1024)
    consumer = make_consumer(settings, "news.raw", group_id=None)
    try:
        assert consumer._client._bootstrap_servers == ["k1:9093", "k2:9093"]
        assert consumer._client._sasl_plain_password == "pw"
        assert consumer.subscription() == {"news.raw"}
    finally:
        await consumer.stop()
    admin = make_admin(settings, request_timeout_ms=5000)
    try:
        assert admin._client._bootstrap_servers == ["k1:9093", "k2:9093"]
        assert admin._client._sasl_plain_password == "pw"
    finally:
        await admin.close()


def test_only_the_factory_builds_aiokafka_clients() -> None:
    found = []
    for path in (REPO / "streams").rglob("*.py"):
        if path == REPO / "streams" / "runtime" / "kafka.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
                name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
                if name in {"AIOKafkaProducer", "AIOKafkaConsumer", "AIOKafkaAdminClient"}:
                    found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not found, f"build aiokafka clients with streams.runtime.kafka's make_*: {found}"


def test_settings_import_no_kafka_client() -> None:
    tree = ast.parse((REPO / "streams" / "settings.py").read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.split(".")[0] in {"aiokafka", "faust", "mode"}}

"""Authentication and encryption on loopback against the real local broker.

One private broker (module scope) listens with PLAINTEXT, SASL_PLAINTEXT, SSL and SASL_SSL; its SASL listeners
take PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, its TLS listeners present a certificate from a CA the broker
script made for this run. Clients and a real worker authenticate and verify the broker (hostname included);
wrong passwords and untrusted CAs are refused; the secrets never reach a log or /metrics.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from streams.settings import Settings

from .conftest import REPO, SASL_PASSWORD, SASL_USER, WorkerProcess, free_port
from .kafka_io import read_until

MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
# a second user, so that a password is checked against the right user's credentials
OTHER_USER, OTHER_PASSWORD = "streams-other", "An0ther=s3cret-for-tests"
SECRETS = [SASL_PASSWORD, OTHER_PASSWORD]


@pytest.fixture(scope="module")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    if shutil.which("java") is None or shutil.which("keytool") is None:
        pytest.skip("java and keytool are needed for a private broker with TLS")
    data_dir = tmp_path_factory.mktemp("secure-broker")
    env = {
        **os.environ,
        "KAFKA_PORT": str(free_port()),
        "KAFKA_CONTROLLER_PORT": str(free_port()),
        "KAFKA_DATA_DIR": str(data_dir),
        "KAFKA_HEAP": "384m",
        "KAFKA_SASL_PORT": str(free_port()),
        "KAFKA_SSL_PORT": str(free_port()),
        "KAFKA_SASL_SSL_PORT": str(free_port()),
        "KAFKA_SASL_USERS": f"{SASL_USER}:{SASL_PASSWORD},{OTHER_USER}:{OTHER_PASSWORD}",
    }
    script = [sys.executable, str(REPO / "ops" / "kafka" / "broker")]
    started = subprocess.run([*script, "start"], env=env, capture_output=True, text=True, timeout=240)
    assert started.returncode == 0, started.stdout + started.stderr
    ca_file = data_dir / "tls" / "ca.pem"
    assert f"TLS CA certificate (for KAFKA_SSL_CAFILE): {ca_file}" in started.stdout
    env.update(
        KAFKA_BOOTSTRAP=f"127.0.0.1:{env['KAFKA_PORT']}",
        CA_FILE=str(ca_file),
        BROKER_LOG=str(data_dir / "broker.log"),
        BROKER_START_OUTPUT=started.stdout + started.stderr,
    )
    try:
        yield env
    finally:
        subprocess.run([*script, "stop"], env=env, capture_output=True, timeout=120)


def client_env(
    broker: dict[str, str],
    protocol: str,
    mechanism: str | None = None,
    password: str = SASL_PASSWORD,
    host: str = "127.0.0.1",
    cafile: str | None = None,
) -> dict[str, str]:
    """The KAFKA_* settings of a client of one of the broker's listeners."""
    port = {
        "SASL_PLAINTEXT": "KAFKA_SASL_PORT",
        "SSL": "KAFKA_SSL_PORT",
        "SASL_SSL": "KAFKA_SASL_SSL_PORT",
    }[protocol]
    env = {"KAFKA_BOOTSTRAP": f"{host}:{broker[port]}", "KAFKA_SECURITY_PROTOCOL": protocol}
    if mechanism is not None:
        env.update(KAFKA_SASL_MECHANISM=mechanism, KAFKA_SASL_USERNAME=SASL_USER, KAFKA_SASL_PASSWORD=password)
    if protocol.endswith("SSL"):
        env["KAFKA_SSL_CAFILE"] = cafile or broker["CA_FILE"]
    return env


def connects(env: dict[str, str], timeout: float = 15) -> bool:
    from streams.kafka_admin import wait_for_broker

    try:
        asyncio.run(wait_for_broker(Settings.from_env(env), timeout=timeout))
    except Exception:
        return False
    return True


def refused(env: dict[str, str]) -> bool:
    """The client gives up: a refusal is immediate, so a short deadline is enough."""
    return not connects(env, timeout=3)


def make_other_ca(directory: Path) -> Path:
    """A CA certificate that did not sign the broker's certificate (same subject, other key)."""
    directory.mkdir(parents=True, exist_ok=True)
    store = ["-keystore", str(directory / "other.p12"), "-storetype", "PKCS12", "-storepass", "test-only-store"]
    subprocess.run(
        ["keytool", "-genkeypair", *store, "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
         "-dname", "CN=streams local broker CA", "-ext", "bc:c=ca:true", "-validity", "2"],
        check=True, capture_output=True,
    )  # fmt: skip
    pem = directory / "other-ca.pem"
    subprocess.run(
        ["keytool", "-exportcert", *store, "-alias", "ca", "-rfc", "-file", str(pem)], check=True, capture_output=True
    )
    return pem


# ---------------------------------------------------------------------------------------------- SASL


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_right_password_connects_and_wrong_one_is_refused(
    secure_broker: dict[str, str], mechanism: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert connects(client_env(secure_broker, "SASL_PLAINTEXT", mechanism))
    with caplog.at_level(logging.ERROR, logger="aiokafka"):
        assert refused(client_env(secure_broker, "SASL_PLAINTEXT", mechanism, password="wrong-password"))
        # another user's password is not this user's
        assert refused(client_env(secure_broker, "SASL_PLAINTEXT", mechanism, password=OTHER_PASSWORD))
    assert "SaslAuthenticationFailed" in caplog.text


def test_scram_over_tls_connects_and_wrong_password_is_refused(secure_broker: dict[str, str]) -> None:
    assert connects(client_env(secure_broker, "SASL_SSL", "SCRAM-SHA-512", host="localhost"))
    assert refused(client_env(secure_broker, "SASL_SSL", "SCRAM-SHA-512", password="wrong-password"))


# ---------------------------------------------------------------------------------------------- TLS


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_tls_client_verifies_the_broker_by_name_and_address(secure_broker: dict[str, str], host: str) -> None:
    """Hostname verification is on (aiokafka always checks) and passes for both SAN entries."""
    assert connects(client_env(secure_broker, "SSL", host=host))
    context = ssl.create_default_context(cafile=secure_broker["CA_FILE"])
    context.verify_flags |= ssl.VERIFY_X509_STRICT  # the RFC 5280 checks newer Pythons apply by default
    with (
        socket.create_connection(("127.0.0.1", int(secure_broker["KAFKA_SSL_PORT"])), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        assert tls.version() in {"TLSv1.2", "TLSv1.3"}


def test_tls_refuses_a_name_the_certificate_does_not_carry(secure_broker: dict[str, str]) -> None:
    context = ssl.create_default_context(cafile=secure_broker["CA_FILE"])
    with (
        socket.create_connection(("127.0.0.1", int(secure_broker["KAFKA_SSL_PORT"])), timeout=5) as raw,
        pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"),
    ):
        context.wrap_socket(raw, server_hostname="kafka.example.org")


def test_an_untrusted_ca_is_refused(
    secure_broker: dict[str, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    other_ca = make_other_ca(tmp_path / "other-ca")
    with caplog.at_level(logging.ERROR, logger="aiokafka"):
        assert refused(client_env(secure_broker, "SSL", cafile=str(other_ca)))
        assert refused(client_env(secure_broker, "SASL_SSL", "SCRAM-SHA-256", cafile=str(other_ca)))
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text
    # nor does the system's trust store know the broker's private CA
    bare = client_env(secure_broker, "SSL")
    del bare["KAFKA_SSL_CAFILE"]
    assert refused(bare)
    assert connects(client_env(secure_broker, "SSL"))  # and the right CA still works


# ---------------------------------------------------------------------------------------------- a worker


@pytest.mark.parametrize(
    ("protocol", "mechanism"),
    [("SASL_PLAINTEXT", "SCRAM-SHA-256"), ("SASL_PLAINTEXT", "SCRAM-SHA-512"), ("SSL", None), ("SASL_SSL", "PLAIN")],
)
def test_faust_is_given_the_configured_protocol_and_mechanism(
    secure_broker: dict[str, str], protocol: str, mechanism: str | None
) -> None:
    """What the worker's Faust consumer and producer receive: no fallback to PLAIN, TLS verifying the host."""
    from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

    from streams.app import _credentials

    auth = credentials_to_aiokafka_auth(_credentials(Settings.from_env(client_env(secure_broker, protocol, mechanism))))
    assert auth["security_protocol"] == protocol
    assert auth.get("sasl_mechanism") == mechanism
    if mechanism is not None:
        assert (auth["sasl_plain_username"], auth["sasl_plain_password"]) == (SASL_USER, SASL_PASSWORD)
    context = auth["ssl_context"]
    assert (context is not None) == protocol.endswith("SSL")
    if context is not None:
        assert context.check_hostname
        assert context.verify_mode == ssl.CERT_REQUIRED


@pytest.mark.slow
@pytest.mark.parametrize(
    ("protocol", "mechanism", "host"),
    [
        ("SASL_PLAINTEXT", "PLAIN", "127.0.0.1"),
        ("SASL_PLAINTEXT", "SCRAM-SHA-256", "127.0.0.1"),
        ("SASL_PLAINTEXT", "SCRAM-SHA-512", "127.0.0.1"),
        ("SSL", None, "localhost"),
        ("SASL_SSL", "SCRAM-SHA-256", "localhost"),
    ],
)
def test_worker_end_to_end(
    secure_broker: dict[str, str],
    worker_env: dict[str, str],
    start_worker,
    protocol: str,
    mechanism: str | None,
    host: str,
) -> None:
    """A client produces over the secured listener; the worker (Faust and its own clients) consumes, processes and
    produces there; the output is read back on the plaintext listener. No secret in the log or /metrics."""
    from aiokafka import AIOKafkaProducer

    env = {**worker_env, **client_env(secure_broker, protocol, mechanism, host=host)}
    settings = Settings.from_env(env)
    worker: WorkerProcess = start_worker(env, name=f"{protocol}-{mechanism}-worker")
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
    plain = secure_broker["KAFKA_BOOTSTRAP"]  # read back on the plaintext listener
    records = asyncio.run(read_until(plain, list(settings.topics.outputs()), lambda rs: len(rs) >= 1, 60))
    assert len(records) == 1, worker.log_tail()
    status, metrics = worker.get("/metrics")
    assert status == 200
    worker.stop()
    log = worker.log_path.read_text(errors="replace")
    broker_log = Path(secure_broker["BROKER_LOG"]).read_text(errors="replace")
    for secret in SECRETS:
        assert secret.encode() not in metrics
        assert secret not in log
        assert secret not in broker_log
        assert secret not in secure_broker["BROKER_START_OUTPUT"]

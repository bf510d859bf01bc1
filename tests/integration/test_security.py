"""Authentication and encryption on loopback against the real local broker.

One private broker (module scope) listens with PLAINTEXT, SASL_PLAINTEXT, SSL, SASL_SSL and mutual TLS (MTLS:
SSL with client certificates required); its SASL listeners take PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, its TLS
listeners present a certificate from a CA the broker script made for this run, which also signed a client
certificate. Clients and a real worker authenticate and verify the broker (hostname included); wrong passwords,
untrusted CAs and missing or untrusted client certificates are refused; the secrets never reach a log or /metrics.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import ssl
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError

from streams.errors import BrokerUnavailableError
from streams.runtime.kafka import client_options
from streams.settings import Settings
from tests.conftest import need_tools

from .conftest import REPO, SASL_PASSWORD, SASL_USER, WorkerProcess, free_port
from .kafka_io import read_until

MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
# a second user, so that a password is checked against the right user's credentials
OTHER_USER, OTHER_PASSWORD = "streams-other", "An0ther=s3cret-for-tests"
SECRETS = [SASL_PASSWORD, OTHER_PASSWORD]


@pytest.fixture(scope="module")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    need_tools("java", "keytool", "openssl")  # a private broker with TLS
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
        "KAFKA_MTLS_PORT": str(free_port()),
        "KAFKA_SASL_USERS": f"{SASL_USER}:{SASL_PASSWORD},{OTHER_USER}:{OTHER_PASSWORD}",
    }
    script = [sys.executable, str(REPO / "ops" / "kafka" / "broker")]
    started = subprocess.run([*script, "start"], env=env, capture_output=True, text=True, timeout=240)
    assert started.returncode == 0, started.stdout + started.stderr
    ca_file = data_dir / "tls" / "ca.pem"
    assert f"TLS CA certificate (for KAFKA_SSL_CAFILE): {ca_file}" in started.stdout
    client_cert, client_key = data_dir / "tls" / "client.pem", data_dir / "tls" / "client.key"
    assert f"TLS client certificate (for KAFKA_SSL_CERTFILE): {client_cert}" in started.stdout
    assert f"TLS client key (for KAFKA_SSL_KEYFILE): {client_key}" in started.stdout
    assert client_key.stat().st_mode & 0o777 == 0o600
    env.update(
        KAFKA_BOOTSTRAP=f"127.0.0.1:{env['KAFKA_PORT']}",
        CA_FILE=str(ca_file),
        CLIENT_CERT=str(client_cert),
        CLIENT_KEY=str(client_key),
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
    """The KAFKA_* settings of a client of one of the broker's listeners. "MTLS" is the SSL listener that requires
    client certificates; its client presents the one the broker script issued."""
    port = {
        "SASL_PLAINTEXT": "KAFKA_SASL_PORT",
        "SSL": "KAFKA_SSL_PORT",
        "SASL_SSL": "KAFKA_SASL_SSL_PORT",
        "MTLS": "KAFKA_MTLS_PORT",
    }[protocol]
    env = {"KAFKA_BOOTSTRAP": f"{host}:{broker[port]}", "KAFKA_SECURITY_PROTOCOL": protocol}
    if mechanism is not None:
        env.update(KAFKA_SASL_MECHANISM=mechanism, KAFKA_SASL_USERNAME=SASL_USER, KAFKA_SASL_PASSWORD=password)
    if protocol == "MTLS":
        env["KAFKA_SECURITY_PROTOCOL"] = "SSL"
        env.update(KAFKA_SSL_CERTFILE=broker["CLIENT_CERT"], KAFKA_SSL_KEYFILE=broker["CLIENT_KEY"])
    if env["KAFKA_SECURITY_PROTOCOL"].endswith("SSL"):
        env["KAFKA_SSL_CAFILE"] = cafile or broker["CA_FILE"]
    return env


def connects(env: dict[str, str], timeout: float = 15) -> bool:
    """Whether the client gets the cluster's metadata. Only the client giving up counts as not connecting: a
    settings error or a bug raises, so it can never pass for a refusal."""
    from streams.runtime.kafka import wait_for_broker

    try:
        asyncio.run(wait_for_broker(Settings.from_env(env), timeout=timeout))
    except BrokerUnavailableError:
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


# ---------------------------------------------------------------------------------------------- mutual TLS


def api_versions_over_tls(context: ssl.SSLContext, port: str, host: str = "localhost") -> int:
    """One ApiVersions (v0) request over TLS; the correlation id of the answer. On TLS 1.3 the client's side of the
    handshake ends before the broker has checked the client certificate, so a refusal shows on the first read (as
    ssl.SSLError with the broker's alert)."""
    client_id = b"streams-mtls-probe"
    request = struct.pack(">hhih", 18, 0, 11, len(client_id)) + client_id
    with (
        socket.create_connection(("127.0.0.1", int(port)), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        tls.sendall(struct.pack(">i", len(request)) + request)
        header = b""
        while len(header) < 8:  # size, correlation id
            chunk = tls.recv(8 - len(header))
            if not chunk:
                raise ConnectionError("the broker closed the connection without an answer")
            header += chunk
        return int(struct.unpack(">ii", header)[1])


def producer_start_fails(settings: Settings, timeout: float = 20.0) -> None:
    """Starting a producer fails with aiokafka's connection error, within ``timeout`` (a hang is a TimeoutError)."""

    async def attempt() -> None:
        producer = AIOKafkaProducer(**client_options(settings), request_timeout_ms=5000)
        try:
            await asyncio.wait_for(producer.start(), timeout)
        finally:
            await producer.stop()

    with pytest.raises(KafkaConnectionError, match="Unable to bootstrap"):
        asyncio.run(attempt())


def make_untrusted_client_cert(directory: Path) -> tuple[Path, Path]:
    """A client certificate from another CA (with the broker's CA's subject and the client's subject, other keys)."""
    directory.mkdir(parents=True, exist_ok=True)
    ca, ca_key = directory / "other-ca.pem", directory / "other-ca.key"
    cert, key, csr = directory / "client.pem", directory / "client.key", directory / "client.csr"
    ext = directory / "client.ext"
    ext.write_text("extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for cmd in (
        ["req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-subj", "/CN=streams local broker CA", "-days", "2"],
        ["req", "-new", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=streams local client"],
        ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-set_serial", "7", "-days", "2",
         "-extfile", ext, "-out", cert],
    ):  # fmt: skip
        subprocess.run(["openssl", *map(str, cmd)], check=True, capture_output=True, stdin=subprocess.DEVNULL)
    return cert, key


def test_mtls_round_trip_with_the_client_certificate(secure_broker: dict[str, str], unique: str) -> None:
    """A producer and a consumer in a group, both presenting the broker script's client certificate."""
    settings = Settings.from_env(client_env(secure_broker, "MTLS", host="localhost"))
    topic = f"{unique}.mtls"

    async def round_trip() -> bytes:
        producer = AIOKafkaProducer(**client_options(settings), acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(topic, b"over mutual TLS", key=b"k")
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(
            topic,
            **client_options(settings),
            group_id=f"{unique}-group",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            message = await asyncio.wait_for(consumer.getone(), 60)
            await consumer.commit()
        finally:
            await consumer.stop()
        return bytes(message.value or b"")

    assert asyncio.run(round_trip()) == b"over mutual TLS"


def test_mtls_without_a_client_certificate_is_refused(secure_broker: dict[str, str]) -> None:
    env = client_env(secure_broker, "MTLS", host="localhost")
    del env["KAFKA_SSL_CERTFILE"], env["KAFKA_SSL_KEYFILE"]
    bare = Settings.from_env(env)
    producer_start_fails(bare)
    # the reason, on a bare connection with the same context: the broker's TLS alert, at once
    port = secure_broker["KAFKA_MTLS_PORT"]
    with pytest.raises(ssl.SSLError, match="ALERT_BAD_CERTIFICATE"):
        api_versions_over_tls(client_options(bare)["ssl_context"], port)
    # the same client is welcome on the listener that asks for no certificate, and with the certificate here
    assert api_versions_over_tls(client_options(bare)["ssl_context"], secure_broker["KAFKA_SSL_PORT"]) == 11
    with_cert = Settings.from_env(client_env(secure_broker, "MTLS", host="localhost"))
    assert api_versions_over_tls(client_options(with_cert)["ssl_context"], port) == 11


def test_mtls_refuses_a_client_certificate_from_another_ca(secure_broker: dict[str, str], tmp_path: Path) -> None:
    cert, key = make_untrusted_client_cert(tmp_path / "untrusted")
    env = client_env(secure_broker, "MTLS", host="localhost")
    env.update(KAFKA_SSL_CERTFILE=str(cert), KAFKA_SSL_KEYFILE=str(key))
    untrusted = Settings.from_env(env)
    producer_start_fails(untrusted)
    with pytest.raises(ssl.SSLError, match="ALERT_CERTIFICATE_UNKNOWN"):  # Java's alert for a chain it cannot verify
        api_versions_over_tls(client_options(untrusted)["ssl_context"], secure_broker["KAFKA_MTLS_PORT"])


def test_faust_presents_the_client_certificate(secure_broker: dict[str, str]) -> None:
    """The context the worker's Faust clients get carries KAFKA_SSL_CERTFILE/KEYFILE: the MTLS listener answers it."""
    from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

    from streams.runtime.app import _credentials

    auth = credentials_to_aiokafka_auth(_credentials(Settings.from_env(client_env(secure_broker, "MTLS"))))
    assert auth["security_protocol"] == "SSL"
    assert auth["ssl_context"].check_hostname
    assert api_versions_over_tls(auth["ssl_context"], secure_broker["KAFKA_MTLS_PORT"], host="127.0.0.1") == 11


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

    from streams.runtime.app import _credentials

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
        ("MTLS", None, "localhost"),
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
    env = {**worker_env, **client_env(secure_broker, protocol, mechanism, host=host)}
    settings = Settings.from_env(env)
    worker: WorkerProcess = start_worker(env, name=f"{protocol}-{mechanism}-worker")
    worker.wait_ready()

    async def produce_one() -> None:
        producer = AIOKafkaProducer(**client_options(settings), acks="all")
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
    client_key = Path(secure_broker["CLIENT_KEY"]).read_text().splitlines()[1]  # a line of the key's material
    keystore_password = (Path(secure_broker["CA_FILE"]).parent / "keystore.pass").read_text().strip()
    for secret in [*SECRETS, client_key, keystore_password]:
        assert secret.encode() not in metrics
        assert secret not in log
        assert secret not in broker_log
        assert secret not in secure_broker["BROKER_START_OUTPUT"]

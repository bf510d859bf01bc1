import ssl
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.errors import ConfigError
from streams.runtime.kafka import client_options
from streams.settings import Settings
from tests.conftest import need_tools


def test_defaults_suit_the_local_broker() -> None:
    settings = Settings.from_env({})
    assert settings.bootstrap == "127.0.0.1:9092"
    assert settings.topics.raw == "news.raw"
    assert settings.topics.syria_diplomacy == "news.syria.diplomacy"
    assert settings.store == "rocksdb"
    assert settings.dedup_cache_mb == 64
    assert settings.langid_accuracy == "low"


def test_memory_knobs_from_the_environment() -> None:
    settings = Settings.from_env({"STREAMS_DEDUP_CACHE_MB": "256", "STREAMS_LANGID_ACCURACY": "HIGH"})
    assert settings.dedup_cache_mb == 256
    assert settings.langid_accuracy == "high"


def test_environment_overrides_and_prefix() -> None:
    settings = Settings.from_env(
        {
            "KAFKA_BOOTSTRAP": "a:1, b:2",
            "STREAMS_TOPIC_PREFIX": "x.",
            "STREAMS_TOPIC_REVIEW": "needs.eyes",
            "STREAMS_PARTITIONS": "8",
            "STREAMS_STORE": "memory://",
            "STREAMS_RULES": "/tmp/rules.yaml",
        }
    )
    assert settings.bootstrap_servers == ["a:1", "b:2"]
    assert settings.topics.raw == "x.news.raw"
    assert settings.topics.review == "x.needs.eyes"
    assert settings.partitions == 8
    assert settings.store == "memory"
    assert settings.rules_path == Path("/tmp/rules.yaml")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"STREAMS_PARTITIONS": "0"}, "STREAMS_PARTITIONS"),
        ({"STREAMS_PARTITIONS": "many"}, "must be a number"),
        ({"STREAMS_STORE": "redis"}, "STREAMS_STORE"),
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "KAFKA_SASL_MECHANISM"),
        ({"STREAMS_WEB_PORT": "70000"}, "STREAMS_WEB_PORT"),
        ({"STREAMS_CONCURRENCY": "0"}, "STREAMS_CONCURRENCY"),
        ({"STREAMS_CONCURRENCY": "1000"}, "STREAMS_CONCURRENCY"),
        ({"STREAMS_DEDUP_CACHE_MB": "1"}, "STREAMS_DEDUP_CACHE_MB"),
        ({"STREAMS_LANGID_ACCURACY": "best"}, "STREAMS_LANGID_ACCURACY"),
    ],
)
def test_invalid_settings_say_which_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_password_never_shown() -> None:
    settings = Settings.from_env(
        {
            "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "KAFKA_SASL_USERNAME": "svc",
            "KAFKA_SASL_PASSWORD": "hunter2-secret",
        }
    )
    assert "hunter2-secret" not in repr(settings)
    assert "hunter2-secret" not in str(settings.describe())
    assert settings.describe()["sasl_password"] == "***"
    assert client_options(settings)["sasl_plain_password"] == "hunter2-secret"


def test_settings_are_frozen() -> None:
    settings = Settings.from_env({})
    with pytest.raises(AttributeError):
        settings.partitions = 3  # type: ignore[misc]
    assert settings.with_(partitions=3).partitions == 3


def test_a_key_without_its_certificate_is_refused() -> None:
    with pytest.raises(ConfigError, match="KAFKA_SSL_KEYFILE needs KAFKA_SSL_CERTFILE"):
        Settings.from_env({"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_KEYFILE": "/tmp/client.key"})


# ---------------------------------------------------------------------------------------------- client certificates


def _self_signed(directory: Path, name: str, san: str | None = None) -> tuple[Path, Path]:
    """A throwaway EC key and self-signed certificate made by openssl (no CA: each one trusts itself)."""
    need_tools("openssl")  # test certificates
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    extra = ["-addext", f"subjectAltName={san}"] if san else []
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-subj", f"/CN=streams unit {name}", "-days", "1", *extra],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def _server_sees(client: ssl.SSLContext, server: ssl.SSLContext) -> dict[str, object]:
    """A TLS handshake in memory between the two contexts; the client certificate the server verified."""
    client_in, client_out, server_in, server_out = (ssl.MemoryBIO() for _ in range(4))
    ends = [
        client.wrap_bio(client_in, client_out, server_hostname="localhost"),
        server.wrap_bio(server_in, server_out, server_side=True),
    ]
    pending = list(ends)
    for _ in range(10):  # TLS 1.3 needs three flights; the bound only guards against a loop that never ends
        for end in list(pending):
            try:
                end.do_handshake()
                pending.remove(end)
            except ssl.SSLWantReadError:
                pass
        server_in.write(client_out.read())
        client_in.write(server_out.read())
        if not pending:
            break
    assert not pending, "the handshake did not finish"
    return ends[1].getpeercert() or {}


def test_the_client_certificate_reaches_aiokafka_and_faust(tmp_path: Path) -> None:
    """KAFKA_SSL_CERTFILE/KEYFILE are loaded into the context aiokafka and Faust get, and presented when asked."""
    from streams.runtime.app import _credentials

    server_cert, server_key = _self_signed(tmp_path, "server", san="DNS:localhost")
    client_cert, client_key = _self_signed(tmp_path, "client")
    _, other_key = _self_signed(tmp_path, "other")
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(server_cert, server_key)
    server.verify_mode = ssl.CERT_REQUIRED  # as a broker with ssl.client.auth=required
    server.load_verify_locations(client_cert)
    env = {
        "KAFKA_SECURITY_PROTOCOL": "SSL",
        "KAFKA_SSL_CAFILE": str(server_cert),
        "KAFKA_SSL_CERTFILE": str(client_cert),
        "KAFKA_SSL_KEYFILE": str(client_key),
    }
    settings = Settings.from_env(env)
    for context in (client_options(settings)["ssl_context"], _credentials(settings).context):
        assert context.check_hostname
        peer = _server_sees(context, server)
        assert peer["subject"] == ((("commonName", "streams unit client"),),)
    # without a certificate the server's verdict is a refusal; a key that is not the certificate's fails at once
    bare = Settings.from_env({k: v for k, v in env.items() if k not in {"KAFKA_SSL_CERTFILE", "KAFKA_SSL_KEYFILE"}})
    with pytest.raises(ssl.SSLError, match="PEER_DID_NOT_RETURN_A_CERTIFICATE"):
        _server_sees(client_options(bare)["ssl_context"], server)
    with pytest.raises(ssl.SSLError, match="KEY_VALUES_MISMATCH"):
        client_options(settings.with_(ssl_keyfile=other_key))


# ---------------------------------------------------------------------------------------------- rendered back


def test_settings_render_back_to_the_environment() -> None:
    settings = Settings.from_env(
        {
            "KAFKA_BOOTSTRAP": "a:1,b:2",
            "STREAMS_TOPIC_PREFIX": "x.",
            "STREAMS_TOPIC_REVIEW": "needs.eyes",
            "STREAMS_STORE": "memory://",
            "STREAMS_RULES": "/tmp/rules.yaml",
            "STREAMS_DEDUP_TTL_DAYS": "0.1",
            "STREAMS_SESSION_TIMEOUT": "6",
            "STREAMS_LANGID_ACCURACY": "HIGH",
            "KAFKA_SECURITY_PROTOCOL": "sasl_plaintext",
            "KAFKA_SASL_MECHANISM": "scram-sha-512",
            "KAFKA_SASL_USERNAME": "svc",
            "KAFKA_SASL_PASSWORD": "hunter2-secret",
        }
    )
    env = settings.to_env()
    assert Settings.from_env(env) == settings
    assert env["STREAMS_TOPIC_PREFIX"] == ""  # every topic is named in full instead
    assert env["STREAMS_TOPIC_REVIEW"] == "x.needs.eyes"
    assert env["STREAMS_TOPIC_RAW"] == "x.news.raw"
    assert env["STREAMS_STORE"] == "memory"
    assert env["STREAMS_DEDUP_TTL_DAYS"] == "0.1"
    assert env["STREAMS_SESSION_TIMEOUT"] == "6.0"
    assert env["KAFKA_SASL_PASSWORD"] == "hunter2-secret"  # a child process needs it
    assert env["KAFKA_SSL_CAFILE"] == ""  # unset, and overriding what the parent's environment had
    assert Settings.from_env({}).to_env()["STREAMS_DEDUP_TTL_DAYS"] == "7"


def test_rendered_settings_win_over_the_environment_they_are_merged_into() -> None:
    """A child's environment is the parent's with ``to_env()`` over it: the parent's prefix, security and
    files must not leak in."""
    parent = {
        "STREAMS_TOPIC_PREFIX": "parent.",
        "STREAMS_RULES": "/parent/rules.yaml",
        "KAFKA_SECURITY_PROTOCOL": "SSL",
        "KAFKA_SSL_CAFILE": "/parent/ca.pem",
    }
    mine = Settings.from_env({"STREAMS_TOPIC_PREFIX": "mine.", "STREAMS_WEB_PORT": "7001"})
    child = Settings.from_env({**parent, **mine.to_env()})
    assert child == mine
    assert child.topics.raw == "mine.news.raw"
    assert (child.rules_path, child.security_protocol, child.ssl_cafile) == (None, "PLAINTEXT", None)


_FINITE = {"allow_nan": False, "allow_infinity": False}


@given(
    ttl=st.floats(min_value=1e-6, max_value=1e9, **_FINITE),
    timeout=st.floats(min_value=0.001, max_value=1e6, **_FINITE),
    partitions=st.integers(min_value=1, max_value=10_000),
    port=st.integers(min_value=1, max_value=65535),
    prefix=st.text(alphabet="abcxyz.-_", max_size=8),
    data_dir=st.sampled_from(["state", "/var/lib/streams", "a b/c"]),
)
def test_any_settings_survive_the_round_trip(
    ttl: float, timeout: float, partitions: int, port: int, prefix: str, data_dir: str
) -> None:
    base = Settings.from_env({"STREAMS_TOPIC_PREFIX": prefix})
    settings = base.with_(
        dedup_ttl_seconds=ttl,
        session_timeout_s=timeout,
        partitions=partitions,
        web_port=port,
        data_dir=Path(data_dir),
    )
    assert Settings.from_env(settings.to_env()) == settings


def test_the_review_margin_is_the_rules_files_not_a_setting() -> None:
    """The review band's width is ``review_margin`` in the rules file (versioned with them, re-read when it
    changes); a variable that nothing read is gone rather than silently ignored."""
    assert not hasattr(Settings.from_env({}), "review_margin")
    assert "STREAMS_REVIEW_MARGIN" not in Settings.from_env({}).to_env()

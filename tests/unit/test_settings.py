from pathlib import Path

import pytest

from streams.errors import ConfigError
from streams.settings import Settings


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
    assert settings.kafka_client_options()["sasl_plain_password"] == "hunter2-secret"


def test_settings_are_frozen() -> None:
    settings = Settings.from_env({})
    with pytest.raises(AttributeError):
        settings.partitions = 3  # type: ignore[misc]
    assert settings.with_(partitions=3).partitions == 3

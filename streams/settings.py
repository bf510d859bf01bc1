"""All configuration, read once from the environment into one frozen, validated object.

Every knob has a default that works on a developer's machine with the local broker (``ops/kafka/broker``).
``Settings.from_env()`` is the only place that reads ``os.environ``; everything else takes a ``Settings``.
Secrets (the SASL password) are kept out of ``repr`` and ``describe()``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from streams.errors import ConfigError

__all__ = ["Settings", "Topics"]

_SECURITY_PROTOCOLS = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}
_SASL_MECHANISMS = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}
_STORES = {"rocksdb", "memory"}
_LANGID_ACCURACY = {"low", "high"}


@dataclass(frozen=True)
class Topics:
    """Topic names. Each can be overridden by ``STREAMS_TOPIC_<FIELD>``; all get ``STREAMS_TOPIC_PREFIX``."""

    raw: str = "news.raw"
    articles: str = "news.articles"
    unique: str = "news.unique"
    syria_diplomacy: str = "news.syria.diplomacy"
    syria_other: str = "news.syria.other"
    other: str = "news.other"
    duplicates: str = "news.duplicates"
    review: str = "news.review"
    deadletter: str = "news.deadletter"
    ingest_state: str = "news.ingest.state"  # compacted: what the feed poller has published

    def outputs(self) -> tuple[str, ...]:
        """Every topic a record can end in: each input id appears in exactly one of these."""
        return (
            self.syria_diplomacy,
            self.syria_other,
            self.other,
            self.duplicates,
            self.review,
            self.deadletter,
        )

    def all(self) -> tuple[str, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))

    def by_name(self, name: str) -> str:
        """The topic for a route name used in rules files (``syria_diplomacy``) or the topic itself."""
        if name in {f.name for f in fields(self)}:
            return str(getattr(self, name))
        if name in self.all():
            return name
        raise ConfigError(f"unknown topic {name!r}; known: {', '.join(f.name for f in fields(self))}")


@dataclass(frozen=True)
class Settings:
    """The worker's and the command line's configuration. Build it with :meth:`from_env`."""

    bootstrap: str = "127.0.0.1:9092"
    app_id: str = "streams"
    topics: Topics = field(default_factory=Topics)
    partitions: int = 4
    replication: int = 1
    store: str = "rocksdb"
    data_dir: Path = Path(".streams-data")
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    rules_path: Path | None = None
    dedup_ttl_seconds: float = 7 * 24 * 3600.0
    review_margin: float = 0.15
    session_timeout_s: float = 10.0
    heartbeat_interval_s: float = 1.0
    commit_interval_s: float = 1.0
    concurrency: int = 4
    dedup_cache_mb: int = 64
    langid_accuracy: str = "low"
    log_level: str = "info"
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None

    def __post_init__(self) -> None:
        if not self.bootstrap.strip():
            raise ConfigError("KAFKA_BOOTSTRAP is empty")
        if self.partitions < 1:
            raise ConfigError(f"STREAMS_PARTITIONS must be >= 1, got {self.partitions}")
        if not 1 <= self.concurrency <= 64:
            raise ConfigError(f"STREAMS_CONCURRENCY must be between 1 and 64, got {self.concurrency}")
        if not 8 <= self.dedup_cache_mb <= 65_536:
            raise ConfigError(f"STREAMS_DEDUP_CACHE_MB must be between 8 and 65536, got {self.dedup_cache_mb}")
        if self.langid_accuracy not in _LANGID_ACCURACY:
            raise ConfigError(
                f"STREAMS_LANGID_ACCURACY must be one of {sorted(_LANGID_ACCURACY)}, got {self.langid_accuracy!r}"
            )
        if self.replication < 1:
            raise ConfigError(f"STREAMS_REPLICATION must be >= 1, got {self.replication}")
        if self.store not in _STORES:
            raise ConfigError(f"STREAMS_STORE must be one of {sorted(_STORES)}, got {self.store!r}")
        if not 0 < self.web_port < 65536:
            raise ConfigError(f"STREAMS_WEB_PORT out of range: {self.web_port}")
        if self.dedup_ttl_seconds <= 0:
            raise ConfigError("STREAMS_DEDUP_TTL_DAYS must be positive")
        if not 0 <= self.review_margin < 0.5:
            raise ConfigError("STREAMS_REVIEW_MARGIN must be in [0, 0.5)")
        if self.security_protocol not in _SECURITY_PROTOCOLS:
            raise ConfigError(
                f"KAFKA_SECURITY_PROTOCOL must be one of {sorted(_SECURITY_PROTOCOLS)}, got {self.security_protocol!r}"
            )
        if self.security_protocol.startswith("SASL"):
            if self.sasl_mechanism not in _SASL_MECHANISMS:
                raise ConfigError(f"KAFKA_SASL_MECHANISM must be one of {sorted(_SASL_MECHANISMS)}")
            if not self.sasl_username or self.sasl_password is None:
                raise ConfigError("SASL needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD")
        if self.ssl_keyfile is not None and self.ssl_certfile is None:
            # aiokafka would ignore the key without a certificate: the broker would then see no client certificate
            raise ConfigError("KAFKA_SSL_KEYFILE needs KAFKA_SSL_CERTFILE (the client certificate it belongs to)")

    # ------------------------------------------------------------------------------------------ reading

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read the settings from ``environ`` (default ``os.environ``); keyword overrides win."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name)
            return value if value not in (None, "") else None

        def number(name: str, default: float, kind: type = float) -> Any:
            raw = get(name)
            if raw is None:
                return default
            try:
                return kind(raw)
            except ValueError:
                raise ConfigError(f"{name} must be a number, got {raw!r}") from None

        def path(name: str) -> Path | None:
            raw = get(name)
            return Path(raw) if raw else None

        prefix = get("STREAMS_TOPIC_PREFIX") or ""
        topic_values = {}
        for f in fields(Topics):
            name = get(f"STREAMS_TOPIC_{f.name.upper()}") or str(f.default)
            topic_values[f.name] = prefix + name
        values: dict[str, Any] = {
            "bootstrap": get("KAFKA_BOOTSTRAP") or cls.bootstrap,
            "app_id": get("STREAMS_APP_ID") or cls.app_id,
            "topics": Topics(**topic_values),
            "partitions": number("STREAMS_PARTITIONS", cls.partitions, int),
            "replication": number("STREAMS_REPLICATION", cls.replication, int),
            "store": (get("STREAMS_STORE") or cls.store).removesuffix("://"),
            "data_dir": path("STREAMS_DATA_DIR") or cls.data_dir,
            "web_host": get("STREAMS_WEB_HOST") or cls.web_host,
            "web_port": number("STREAMS_WEB_PORT", cls.web_port, int),
            "rules_path": path("STREAMS_RULES"),
            "dedup_ttl_seconds": number("STREAMS_DEDUP_TTL_DAYS", 7.0) * 24 * 3600.0,
            "review_margin": number("STREAMS_REVIEW_MARGIN", cls.review_margin),
            "session_timeout_s": number("STREAMS_SESSION_TIMEOUT", cls.session_timeout_s),
            "heartbeat_interval_s": number("STREAMS_HEARTBEAT_INTERVAL", cls.heartbeat_interval_s),
            "commit_interval_s": number("STREAMS_COMMIT_INTERVAL", cls.commit_interval_s),
            "concurrency": number("STREAMS_CONCURRENCY", cls.concurrency, int),
            "dedup_cache_mb": number("STREAMS_DEDUP_CACHE_MB", cls.dedup_cache_mb, int),
            "langid_accuracy": (get("STREAMS_LANGID_ACCURACY") or cls.langid_accuracy).lower(),
            "log_level": (get("STREAMS_LOG_LEVEL") or cls.log_level).lower(),
            "security_protocol": (get("KAFKA_SECURITY_PROTOCOL") or cls.security_protocol).upper(),
            "sasl_mechanism": (get("KAFKA_SASL_MECHANISM") or "").upper() or None,
            "sasl_username": get("KAFKA_SASL_USERNAME"),
            "sasl_password": get("KAFKA_SASL_PASSWORD"),
            "ssl_cafile": path("KAFKA_SSL_CAFILE"),
            "ssl_certfile": path("KAFKA_SSL_CERTFILE"),
            "ssl_keyfile": path("KAFKA_SSL_KEYFILE"),
        }
        values.update(overrides)
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    # ------------------------------------------------------------------------------------------ using

    @property
    def bootstrap_servers(self) -> list[str]:
        return [part.strip() for part in self.bootstrap.split(",") if part.strip()]

    def kafka_client_options(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka clients (producer, consumer, admin): servers and security."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": self.security_protocol,
        }
        if self.security_protocol.startswith("SASL"):
            options.update(
                sasl_mechanism=self.sasl_mechanism,
                sasl_plain_username=self.sasl_username,
                sasl_plain_password=self.sasl_password,
            )
        if self.security_protocol.endswith("SSL"):
            from aiokafka.helpers import create_ssl_context

            # with a certificate (and its key, unless the certificate file holds it) the context presents it to
            # brokers that ask for client certificates (mutual TLS); a key that does not match fails here
            options["ssl_context"] = create_ssl_context(
                cafile=str(self.ssl_cafile) if self.ssl_cafile else None,
                certfile=str(self.ssl_certfile) if self.ssl_certfile else None,
                keyfile=str(self.ssl_keyfile) if self.ssl_keyfile else None,
            )
        return options

    def describe(self) -> dict[str, Any]:
        """The settings as plain data for logs and ``--show-config``; the password is masked."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "sasl_password":
                value = None if value is None else "***"
            elif isinstance(value, Topics):
                value = {t.name: getattr(value, t.name) for t in fields(value)}
            elif isinstance(value, Path):
                value = str(value)
            out[f.name] = value
        return out

"""All configuration, read once from the environment into one frozen, validated object.

Every knob has a default that works on a developer's machine with the local broker (``ops/kafka/broker``).
``Settings.from_env()`` is the only place that reads ``os.environ``; everything else takes a ``Settings``.
Each field names its environment variable and says what it means; from that, ``Settings.to_env()`` renders
the settings back to variables (for child processes: ``Settings.from_env(s.to_env()) == s``) and
``configuration_doc()`` writes ``docs/configuration.md``. Secrets (the SASL password) are kept out of ``repr``
and ``describe()``; ``to_env()`` includes them, as a child process needs them. Kafka clients are built from
the settings by ``streams.runtime.kafka``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation, localcontext
from pathlib import Path
from typing import Any

from streams.errors import ConfigError

__all__ = ["CONFIGURATION_DOC_COMMAND", "Settings", "Topics", "configuration_doc"]

_SECURITY_PROTOCOLS = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}
_SASL_MECHANISMS = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}
_STORES = {"rocksdb", "memory"}
_LANGID_ACCURACY = {"low", "high"}
_TOPIC_PREFIX = "STREAMS_TOPIC_PREFIX"
_DAY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class _Var:
    """How a field is read from, and written back to, its environment variable."""

    name: str
    help: str
    read: Callable[[str], Any] = str  # a ValueError here is reported as "must be a number"
    write: Callable[[Any], str] = str


def _days_to_seconds(raw: str) -> float:
    try:
        return float(Decimal(raw) * _DAY_SECONDS)
    except InvalidOperation:
        raise ValueError(raw) from None


def _seconds_to_days(seconds: float) -> str:
    """Days as a decimal that reads back to exactly these seconds (``_days_to_seconds``)."""
    with localcontext() as context:
        context.prec = 40
        return format((Decimal(seconds) / _DAY_SECONDS).normalize(), "f")


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
    stories: str = "news.stories"  # compacted: the current summary of each story, keyed by story id

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
    session_timeout_s: float = 10.0
    heartbeat_interval_s: float = 1.0
    commit_interval_s: float = 1.0
    producer_timeout_s: float = 1200.0
    concurrency: int = 4
    dedup_cache_mb: int = 64
    dedup_sweep_keys: int = 2000
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
        if not 0 <= self.dedup_sweep_keys <= 1_000_000:
            raise ConfigError(f"STREAMS_DEDUP_SWEEP_KEYS must be between 0 and 1000000, got {self.dedup_sweep_keys}")
        if self.dedup_ttl_seconds <= 0:
            raise ConfigError("STREAMS_DEDUP_TTL_DAYS must be positive")
        if self.producer_timeout_s <= 0:
            raise ConfigError(f"STREAMS_PRODUCER_TIMEOUT must be positive, got {self.producer_timeout_s}")
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
        """Read the settings from ``environ`` (default ``os.environ``); keyword overrides win. An empty
        variable counts as unset."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name)
            return value if value not in (None, "") else None

        prefix = get(_TOPIC_PREFIX) or ""
        topic_values = {f.name: prefix + (get(_topic_var(f.name)) or str(f.default)) for f in fields(Topics)}
        values: dict[str, Any] = {"topics": Topics(**topic_values)}
        for name, var in _VARS.items():
            raw = get(var.name)
            if raw is None:
                continue  # the field's default
            try:
                values[name] = var.read(raw)
            except ValueError:
                raise ConfigError(f"{var.name} must be a number, got {raw!r}") from None
        values.update(overrides)
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    # ------------------------------------------------------------------------------------------ using

    def to_env(self) -> dict[str, str]:
        """Every variable ``from_env`` reads, rendered from these settings (the password too): merged over an
        environment, it gives a child process exactly these settings. Unset ones are empty, so that they
        override what the environment had; every topic is named in full, with an empty prefix."""
        env: dict[str, str] = {_TOPIC_PREFIX: ""}
        env.update({_topic_var(f.name): getattr(self.topics, f.name) for f in fields(Topics)})
        for name, var in _VARS.items():
            value = getattr(self, name)
            env[var.name] = "" if value is None else var.write(value)
        return env

    @property
    def bootstrap_servers(self) -> list[str]:
        return [part.strip() for part in self.bootstrap.split(",") if part.strip()]

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


def _topic_var(name: str) -> str:
    return f"STREAMS_TOPIC_{name.upper()}"


# Every field's variable and meaning (``topics`` has its own, below); a unit test checks none is missing.
_VARS: dict[str, _Var] = {
    "bootstrap": _Var("KAFKA_BOOTSTRAP", "Kafka bootstrap servers, comma-separated `host:port`"),
    "app_id": _Var("STREAMS_APP_ID", "Faust app id: the consumer group, and the name of the worker's state"),
    "partitions": _Var("STREAMS_PARTITIONS", "partitions of the topics the worker creates", int),
    "replication": _Var("STREAMS_REPLICATION", "replication factor of the topics the worker creates", int),
    "store": _Var(
        "STREAMS_STORE", "dedup table store: `rocksdb` (on disk) or `memory`", lambda raw: raw.removesuffix("://")
    ),
    "data_dir": _Var("STREAMS_DATA_DIR", "local state: the table store, replay checkpoints", Path),
    "web_host": _Var("STREAMS_WEB_HOST", "address of the worker's `/metrics`, `/healthz` and `/readyz`"),
    "web_port": _Var("STREAMS_WEB_PORT", "port of the worker's `/metrics`, `/healthz` and `/readyz`", int),
    "rules_path": _Var(
        "STREAMS_RULES", "routing rules file, re-read when it changes (unset: `streams/data/rules.yaml`)", Path
    ),
    "dedup_ttl_seconds": _Var(
        "STREAMS_DEDUP_TTL_DAYS",
        "days an article is remembered for duplicate checks",
        _days_to_seconds,
        _seconds_to_days,
    ),
    "session_timeout_s": _Var(
        "STREAMS_SESSION_TIMEOUT", "seconds without a heartbeat before the group drops a worker", float, repr
    ),
    "heartbeat_interval_s": _Var("STREAMS_HEARTBEAT_INTERVAL", "seconds between group heartbeats", float, repr),
    "commit_interval_s": _Var("STREAMS_COMMIT_INTERVAL", "seconds between offset commits", float, repr),
    "producer_timeout_s": _Var(
        "STREAMS_PRODUCER_TIMEOUT",
        "seconds an output may wait for the broker before the Faust worker gives up and is started again",
        float,
        repr,
    ),
    "concurrency": _Var("STREAMS_CONCURRENCY", "instances of the parse and the route agent per worker (1-64)", int),
    "dedup_cache_mb": _Var("STREAMS_DEDUP_CACHE_MB", "RocksDB block cache of the dedup table, MiB (8-65536)", int),
    "dedup_sweep_keys": _Var(
        "STREAMS_DEDUP_SWEEP_KEYS",
        "dedup state entries read a second to delete what is past the time-to-live (0: no sweep)",
        int,
    ),
    "langid_accuracy": _Var(
        "STREAMS_LANGID_ACCURACY", "language identification: `low` (less memory) or `high`", str.lower
    ),
    "log_level": _Var("STREAMS_LOG_LEVEL", "log level: `debug`, `info`, `warn` or `error`", str.lower),
    "security_protocol": _Var(
        "KAFKA_SECURITY_PROTOCOL", "`PLAINTEXT`, `SSL`, `SASL_PLAINTEXT` or `SASL_SSL`", str.upper
    ),
    "sasl_mechanism": _Var(
        "KAFKA_SASL_MECHANISM", "`PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512` (with `SASL_*`)", str.upper
    ),
    "sasl_username": _Var("KAFKA_SASL_USERNAME", "SASL user name (with `SASL_*`)"),
    "sasl_password": _Var("KAFKA_SASL_PASSWORD", "SASL password (with `SASL_*`); masked in logs and `streams config`"),
    "ssl_cafile": _Var(
        "KAFKA_SSL_CAFILE", "CA certificates to check the brokers' certificates with (unset: the system's)", Path
    ),
    "ssl_certfile": _Var(
        "KAFKA_SSL_CERTFILE", "client certificate (PEM), for brokers that ask for one (mutual TLS)", Path
    ),
    "ssl_keyfile": _Var(
        "KAFKA_SSL_KEYFILE", "the client certificate's key, unless `KAFKA_SSL_CERTFILE` holds it", Path
    ),
}
_TOPIC_HELP = {
    "raw": "raw items as fetched: feeds, pages, API JSON, scraped text",
    "articles": "parsed and tagged articles (one key, so one partition holds the dedup index)",
    "unique": "articles that repeat no earlier one, keyed by article id",
    "syria_diplomacy": "Syria-related diplomatic news",
    "syria_other": "other Syria-related news",
    "other": "everything else",
    "duplicates": "copies and syndicated re-runs, with the article they repeat",
    "review": "uncertain routing decisions, for a person to check",
    "deadletter": "input that could not be processed: the original bytes with `dlq.*` headers",
    "ingest_state": "compacted: what the feed poller has published",
    "stories": "compacted, keyed by story id: each story's current summary (headline, reports, languages, "
    "outlets, first/last seen, routes, members), for `python -m streams stories`",
}


# ---------------------------------------------------------------------------------------------- the documentation

_DOC_HEAD = """\
# Configuration

Every setting comes from an environment variable, read once at start into one frozen object
(`streams/settings.py`); an empty variable counts as unset. `python -m streams config` prints the settings in
force, the SASL password masked. Invalid values stop the command with a message that names the variable.

The settings are a frozen dataclass rather than pydantic-settings: some variables are not one field each
(`STREAMS_TOPIC_PREFIX` applies to every topic, `STREAMS_DEDUP_TTL_DAYS` is kept in seconds), and every
error names the variable to fix, which pydantic's validation messages would not.

Not a setting: the largest record a producer sends, `MAX_MESSAGE_BYTES` in `streams/runtime/kafka.py`, which a
unit test holds equal to the broker's `message.max.bytes` in `ops/kafka/broker` and `docker-compose.yml`.

This file is generated from the settings' own descriptions; regenerate it after changing them:

    {command}

## Settings

| variable | default | meaning |
|---|---|---|
"""

_DOC_TOPICS = """
## Topics

`{prefix}` is put before every topic name (with a `STREAMS_APP_ID` of its own, a backfill run or a test
gets topics, a group and state apart from the live pipeline); `STREAMS_TOPIC_<NAME>` replaces one name.

| variable | default | what it carries |
|---|---|---|
"""

CONFIGURATION_DOC_COMMAND = (
    ".venv/bin/python -c 'from streams.settings import configuration_doc; print(configuration_doc(), end=\"\")'"
    " > docs/configuration.md"
)


def configuration_doc() -> str:
    """``docs/configuration.md``: every variable, its default and its meaning, from the settings themselves."""
    defaults = Settings()
    lines = [_DOC_HEAD.format(command=CONFIGURATION_DOC_COMMAND)]
    for name, var in _VARS.items():
        value = getattr(defaults, name)
        shown = "unset" if value is None else f"`{var.write(value)}`"
        lines.append(f"| `{var.name}` | {shown} | {var.help} |\n")
    lines.append(_DOC_TOPICS.format(prefix=_TOPIC_PREFIX))
    lines.append(f"| `{_TOPIC_PREFIX}` | empty | put before every topic name |\n")
    for f in fields(Topics):
        lines.append(f"| `{_topic_var(f.name)}` | `{f.default}` | {_TOPIC_HELP[f.name]} |\n")
    return "".join(lines)

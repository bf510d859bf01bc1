"""The project's exceptions: one root, with attributes that tell callers what to do.

``retriable`` says whether trying the same input again can succeed (a broker that is down) or cannot (a
payload that does not parse). ``stage`` and ``reason`` travel with a dead letter: ``reason`` is a short,
bounded word suitable for a metric label, the message is for humans.
"""

from __future__ import annotations

__all__ = [
    "BrokerUnavailableError",
    "ConfigError",
    "DependencyVersionError",
    "OutputRefusedError",
    "ParseError",
    "RulesError",
    "StreamsError",
]


class StreamsError(Exception):
    """Root of every error this package raises on purpose."""

    retriable: bool = False
    stage: str = "pipeline"
    reason: str = "error"

    def __init__(self, message: str, *, reason: str | None = None, stage: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason
        if stage is not None:
            self.stage = stage


class ConfigError(StreamsError):
    """A setting is missing or invalid. Fix the environment or the file; retrying will not help."""

    stage = "config"
    reason = "config"


class DependencyVersionError(ConfigError):
    """An installed library is outside the versions the project's patches of its internals were tested with.
    Install a tested version (or check the patches against the new one and widen the range); retrying will not
    help."""

    reason = "dependency_version"


class ParseError(StreamsError):
    """The payload is not an article we can read: the message goes to the dead-letter topic."""

    stage = "parse"
    reason = "unparseable"


class OutputRefusedError(StreamsError):
    """The broker refused an output of this input for the record itself (larger than the topic takes):
    sending it again cannot succeed, so the input goes to the dead letters."""

    reason = "output_refused"


class RulesError(ConfigError):
    """A routing rules file is invalid; the rules in force stay in force."""

    reason = "rules"


class BrokerUnavailableError(StreamsError):
    """No Kafka broker answered; starting one (or waiting) and trying again can succeed."""

    retriable = True
    stage = "kafka"
    reason = "broker_unavailable"

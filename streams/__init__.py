"""Syria-related diplomatic news, picked from live multilingual streams, once, with the reason.

The public API is small: settings, errors, the article record, and the pure stage functions that the Faust
agents wrap (usable without Kafka). The worker itself runs with ``python -m streams worker``.
"""

from streams._version import __version__
from streams.errors import BrokerUnavailableError, ConfigError, ParseError, RulesError, StreamsError
from streams.settings import Settings, Topics
from streams.stages.parsing import RawMeta, parse_payload
from streams.stages.pipeline import classify_article, parse_and_tag, route
from streams.stages.record import SCHEMA_VERSION, Article, Source
from streams.stages.routing import Rules, load_rules

__all__ = [
    "SCHEMA_VERSION",
    "Article",
    "BrokerUnavailableError",
    "ConfigError",
    "ParseError",
    "RawMeta",
    "Rules",
    "RulesError",
    "Settings",
    "Source",
    "StreamsError",
    "Topics",
    "__version__",
    "classify_article",
    "load_rules",
    "parse_and_tag",
    "parse_payload",
    "route",
]

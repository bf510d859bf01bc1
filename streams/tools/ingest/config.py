"""The feeds file: which feeds to poll, how often, and what to say about them.

feeds:
  - name: levant-wire            # short, stable: a metric label and the state key
    url: https://example.org/rss.xml
    lang: ar                     # optional hint for language identification
    interval: 300                # seconds between polls (default 300, at least 30)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from streams.errors import ConfigError

__all__ = ["FeedConfig", "load_feeds"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_INTERVAL = 30.0


@dataclass(frozen=True, slots=True)
class FeedConfig:
    name: str
    url: str
    lang: str | None = None
    interval: float = 300.0


def load_feeds(path: Path, min_interval: float = MIN_INTERVAL) -> list[FeedConfig]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read feeds file {path}: {exc}") from None
    items = data.get("feeds") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise ConfigError(f"{path}: 'feeds' must be a non-empty list")
    feeds: list[FeedConfig] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ConfigError(f"{path}: feed {index} is not a mapping")
        name, url = str(item.get("name", "")), str(item.get("url", ""))
        if not _NAME.match(name):
            raise ConfigError(f"{path}: feed {index} needs a name of lower-case letters, digits, '.', '_' or '-'")
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"{path}: feed {name!r} needs an http(s) url")
        interval = float(item.get("interval", 300))
        if interval < min_interval:
            raise ConfigError(f"{path}: feed {name!r} interval must be at least {min_interval:.0f}s")
        lang = item.get("lang")
        feeds.append(FeedConfig(name, url, str(lang) if lang else None, interval))
    if len({f.name for f in feeds}) != len(feeds):
        raise ConfigError(f"{path}: feed names must be unique")
    return feeds

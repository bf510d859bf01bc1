"""Routes from a YAML rules file: the first rule whose conditions hold names the topic.

A rules file (the shipped default is ``streams/data/rules.yaml``)::

    version: "2026-11-29.1"          # stamped on every decision
    thresholds: {syria: 0.5, diplomacy: 0.5}
    review_margin: 0.1               # a score this close to its threshold is uncertain
    routes:
      - name: syria_refugees         # users add their own, before the defaults
        topic: news.syria.refugees   # a topic name, or a route name from Settings.topics
        when: {syria: true, topics_any: [refugees]}
      - name: syria_diplomacy
        topic: syria_diplomacy
        when: {syria: true, diplomacy: true}
      - {name: syria_other, topic: syria_other, when: {syria: true}}
      - {name: other, topic: other}

Conditions: ``syria`` and ``diplomacy`` (booleans against the thresholds), ``entities_any`` (entity ids),
``topics_any`` (signal topic ids), ``lang_in`` (language codes). A decision is sent to review when flipping
one uncertain boolean would change the chosen route: a guess is never routed as if it were sure.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from streams.errors import RulesError

__all__ = ["Route", "Rules", "load_rules"]

_CONDITIONS = {"syria", "diplomacy", "entities_any", "topics_any", "lang_in"}


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    topic: str
    when: dict[str, Any]

    def matches(self, flags: dict[str, bool], tags: dict[str, Any], lang: str) -> bool:
        for key, wanted in self.when.items():
            if key in ("syria", "diplomacy"):
                if flags[key] != bool(wanted):
                    return False
            elif key == "entities_any":
                found = {e["id"] for e in tags.get("entities", [])}
                if not found.intersection(wanted):
                    return False
            elif key == "topics_any":
                if not set(tags.get("topics", {})).intersection(wanted):
                    return False
            elif key == "lang_in" and lang not in wanted:
                return False
        return True


@dataclass(frozen=True, slots=True)
class Rules:
    version: str
    routes: tuple[Route, ...]
    thresholds: dict[str, float]
    review_margin: float
    source: str

    @classmethod
    def from_dict(cls, data: Any, source: str = "<dict>") -> Rules:
        if not isinstance(data, dict):
            raise RulesError(f"{source}: a rules file is a mapping")
        routes_data = data.get("routes")
        if not isinstance(routes_data, list) or not routes_data:
            raise RulesError(f"{source}: 'routes' must be a non-empty list")
        routes = []
        for index, item in enumerate(routes_data):
            if not isinstance(item, dict) or not item.get("name") or not item.get("topic"):
                raise RulesError(f"{source}: route {index} needs a name and a topic")
            when = item.get("when") or {}
            unknown = set(when) - _CONDITIONS
            if unknown:
                raise RulesError(f"{source}: route {item['name']!r} has unknown conditions {sorted(unknown)}")
            routes.append(Route(str(item["name"]), str(item["topic"]), dict(when)))
        if routes[-1].when:
            raise RulesError(f"{source}: the last route must have no conditions (the catch-all)")
        thresholds = {"syria": 0.5, "diplomacy": 0.5, **(data.get("thresholds") or {})}
        margin = float(data.get("review_margin", 0.1))
        if not 0 <= margin < 0.5:
            raise RulesError(f"{source}: review_margin must be in [0, 0.5)")
        digest = hashlib.sha256(repr((routes, thresholds, margin)).encode()).hexdigest()[:8]
        version = str(data.get("version") or "unversioned")
        return cls(f"{version}+{digest}", tuple(routes), thresholds, margin, source)

    def choose(self, syria: float, diplomacy: float, tags: dict[str, Any], lang: str) -> dict[str, Any]:
        """The route for these scores, and whether the decision is uncertain enough for review."""
        values = {"syria": syria, "diplomacy": diplomacy}
        flags = {key: values[key] >= self.thresholds[key] for key in values}
        route = self._first(flags, tags, lang)
        uncertain = [key for key in values if abs(values[key] - self.thresholds[key]) < self.review_margin]
        review = any(self._first({**flags, key: not flags[key]}, tags, lang).name != route.name for key in uncertain)
        return {
            "route": route.name,
            "topic": route.topic,
            "flags": flags,
            "review": review,
            "uncertain": uncertain,
        }

    def _first(self, flags: dict[str, bool], tags: dict[str, Any], lang: str) -> Route:
        for route in self.routes:
            if route.matches(flags, tags, lang):
                return route
        return self.routes[-1]


def load_rules(path: Path | None = None) -> Rules:
    """Rules from ``path``, or the shipped defaults. Raises :class:`RulesError` on an invalid file."""
    if path is None:
        text = (resources.files("streams") / "data" / "rules.yaml").read_text(encoding="utf-8")
        source = "default rules"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise RulesError(f"cannot read rules file {path}: {exc}") from None
        source = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesError(f"{source}: not valid YAML: {exc}") from None
    return Rules.from_dict(data, source)

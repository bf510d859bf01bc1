"""The route stage: scores from tags, a route from the rules, and the reason, as one decision record."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from streams.stages.record import Article
from streams.stages.routing.decide import scores
from streams.stages.routing.rules import Route, Rules, load_rules

__all__ = ["Route", "Rules", "RulesWatcher", "decide", "load_rules"]


def decide(article: Article, rules: Rules) -> dict[str, Any]:
    """The decision for a tagged article: route, scores, confidence, review flag and ``why``."""
    result = scores(article.tags, article.lang or "")
    choice = rules.choose(result["syria"], result["diplomacy"], article.tags, article.lang)
    confidence = min(
        abs(result[key] - rules.thresholds[key]) * 2
        for key in ("syria", "diplomacy")
        if key in choice["flags"] and (key == "syria" or choice["flags"]["syria"])
    )
    return {
        "route": "review" if choice["review"] else choice["route"],
        "rule": choice["route"],
        "topic": choice["topic"],
        "syria": choice["flags"]["syria"],
        "diplomacy": choice["flags"]["diplomacy"],
        "scores": {"syria": result["syria"], "diplomacy": result["diplomacy"]},
        "confidence": round(confidence, 3),
        "review": choice["review"],
        "why": {
            "rule": choice["route"],
            "uncertain": choice["uncertain"],
            **result["evidence"],
        },
        "rules_version": rules.version,
    }


class RulesWatcher:
    """The rules in force, re-read when the file changes (checked at most every ``interval`` seconds).

    An invalid new file is reported through ``last_error`` and the previous rules stay in force.
    """

    def __init__(self, path: Path | None, interval: float = 2.0) -> None:
        self.path = path
        self.interval = interval
        self.rules = load_rules(path)
        self.last_error: str | None = None
        self._mtime = self._stat()
        self._checked = time.monotonic()

    def _stat(self) -> float | None:
        if self.path is None:
            return None
        try:
            return os.stat(self.path).st_mtime
        except OSError:
            return None

    def current(self) -> Rules:
        now = time.monotonic()
        if self.path is not None and now - self._checked >= self.interval:
            self._checked = now
            mtime = self._stat()
            if mtime is not None and mtime != self._mtime:
                self._mtime = mtime
                try:
                    self.rules = load_rules(self.path)
                    self.last_error = None
                except Exception as exc:  # keep the rules in force; say why the new ones were refused
                    self.last_error = str(exc)
        return self.rules

"""Routing rules: loading, validation, first match, custom routes and review of uncertain decisions."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.errors import RulesError
from streams.stages.routing import RulesWatcher, load_rules
from streams.stages.routing.rules import Rules

TAGS = {"entities": [{"id": "country.SY"}], "topics": {"refugees": {}}}


def test_default_rules_route_by_scores() -> None:
    rules = load_rules()
    assert rules.choose(0.95, 0.9, TAGS, "en")["route"] == "syria_diplomacy"
    assert rules.choose(0.95, 0.1, TAGS, "en")["route"] == "syria_other"
    assert rules.choose(0.05, 0.95, TAGS, "en")["route"] == "other"
    assert rules.version.startswith("2026-11-29.1+")


def test_uncertain_decisions_go_to_review_only_when_they_matter() -> None:
    rules = load_rules()
    assert rules.choose(0.95, 0.52, TAGS, "en")["review"] is True  # diplomacy decides the route
    assert rules.choose(0.02, 0.52, TAGS, "en")["review"] is False  # not Syria: diplomacy is moot
    assert rules.choose(0.45, 0.02, TAGS, "en")["review"] is True


def test_user_routes_come_first() -> None:
    rules = Rules.from_dict(
        {
            "version": "mine",
            "routes": [
                {
                    "name": "refugees",
                    "topic": "news.syria.refugees",
                    "when": {"syria": True, "topics_any": ["refugees"]},
                },
                {"name": "other", "topic": "other"},
            ],
        }
    )
    assert rules.choose(0.9, 0.1, TAGS, "ar")["topic"] == "news.syria.refugees"
    assert rules.choose(0.9, 0.1, {"entities": [], "topics": {}}, "ar")["route"] == "other"


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"routes": []},
        {"routes": [{"name": "x"}]},
        {"routes": [{"name": "a", "topic": "t", "when": {"colour": "red"}}, {"name": "b", "topic": "o"}]},
        {"routes": [{"name": "a", "topic": "t", "when": {"syria": True}}]},
    ],
)
def test_invalid_rules_are_refused(data: dict) -> None:
    with pytest.raises(RulesError):
        Rules.from_dict(data)


def test_rules_file_is_reloaded_on_change_and_bad_files_keep_the_old(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("version: one\nroutes:\n  - {name: other, topic: other}\n")
    watcher = RulesWatcher(path, interval=0.0)
    assert watcher.current().version.startswith("one+")
    path.write_text("version: two\nroutes:\n  - {name: other, topic: other}\n")
    import os

    os.utime(path, (1, 1))
    assert watcher.current().version.startswith("two+")
    path.write_text("routes: [")
    os.utime(path, (2, 2))
    assert watcher.current().version.startswith("two+")
    assert watcher.last_error


def test_a_decision_made_under_the_rules_in_force_stands_and_another_is_made_again() -> None:
    """The parse stage decides (where the work scales out); the route stage keeps that decision when the rules
    have not changed since, and decides again under new rules."""
    from streams.stages.pipeline import classify_article
    from streams.stages.record import Article

    rules = load_rules()
    article = classify_article(
        Article(id="a1", title="Envoy holds talks on Syria in Geneva", body="The UN envoy met the delegations."),
        rules,
    )
    assert article.decision["rules_version"] == rules.version
    article.decision["route"] = "kept"  # a marker: deciding again would overwrite it
    assert classify_article(article, rules).decision["route"] == "kept"
    everything_other = Rules.from_dict({"version": "mine", "routes": [{"name": "other", "topic": "other"}]})
    again = classify_article(article, everything_other).decision
    assert (again["route"], again["rules_version"]) == ("other", everything_other.version)
    assert everything_other.version != rules.version

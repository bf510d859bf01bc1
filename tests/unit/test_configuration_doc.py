"""docs/configuration.md is generated from the settings, and every setting says what it means."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from streams.settings import _VARS, CONFIGURATION_DOC_COMMAND, Settings, Topics, configuration_doc

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_the_configuration_doc_is_generated_from_the_settings() -> None:
    assert DOC.read_text(encoding="utf-8") == configuration_doc(), (
        f"docs/configuration.md differs from the settings' own descriptions; regenerate it: {CONFIGURATION_DOC_COMMAND}"
    )


def test_every_setting_has_its_variable_and_a_description() -> None:
    described = set(_VARS) | {"topics"}
    assert {f.name for f in fields(Settings)} == described
    assert all(var.help and "\n" not in var.help for var in _VARS.values())
    names = [var.name for var in _VARS.values()]
    assert len(names) == len(set(names))
    assert all(name.startswith(("KAFKA_", "STREAMS_")) for name in names)


def test_the_doc_lists_every_variable_with_its_default() -> None:
    doc = configuration_doc()
    for var in _VARS.values():
        assert f"| `{var.name}` |" in doc
    for f in fields(Topics):
        assert f"| `STREAMS_TOPIC_{f.name.upper()}` | `{f.default}` |" in doc
    assert "| `STREAMS_PARTITIONS` | `4` |" in doc
    assert "| `STREAMS_DEDUP_TTL_DAYS` | `7` |" in doc
    assert "| `KAFKA_SASL_PASSWORD` | unset |" in doc

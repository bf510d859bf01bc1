"""The patches' guard: only the tested library versions are patched, pyproject agrees, and undo restores Faust."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faust.transport.consumer import Consumer, ThreadDelegateConsumer
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

from streams.errors import ConfigError, DependencyVersionError
from streams.runtime.patches import apply_all, check_versions, replacements, undo_all, versions
from streams.runtime.patches.tuning import shorten_fetch_wait

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
MISSING = object()
PATCHED = [
    (Consumer, "_new_offset"),
    (ThreadDelegateConsumer, "getmany"),
    (ThreadDelegateConsumer, "perform_seek"),
    (ThreadDelegateConsumer, "_seek"),
    (ThreadDelegateConsumer, "seek_wait"),
    (AIOKafkaConsumerThread, "_create_worker_consumer"),
]


@pytest.fixture(autouse=True)
def unpatched() -> Iterator[None]:
    """Faust as shipped before and after each test, whatever ran before (``create_app`` applies the patches)."""
    undo_all()
    yield
    undo_all()


def as_shipped() -> list[tuple[Any, Any]]:
    """Each patched attribute's own entry in its class (``MISSING`` if inherited) and the value looked up."""
    return [(owner.__dict__.get(name, MISSING), getattr(owner, name)) for owner, name in PATCHED]


def pretend_installed(monkeypatch: pytest.MonkeyPatch, distribution: str, installed: str | None) -> None:
    real = versions.installed_version
    monkeypatch.setattr(versions, "installed_version", lambda name: installed if name == distribution else real(name))


def test_the_installed_versions_are_the_tested_ones() -> None:
    check_versions()
    for distribution, (low, high) in versions.TESTED.items():
        installed = versions.installed_version(distribution)
        assert installed is not None
        assert versions.in_range(installed, low, high), (distribution, installed)


@pytest.mark.parametrize(
    ("distribution", "installed"),
    [
        ("faust-streaming", "0.16.0"),
        ("faust-streaming", "0.15.2"),
        ("faust-streaming", "0.15.3rc1"),
        ("mode-streaming", "0.8.0"),
        ("aiokafka", "0.15.0"),
        ("aiokafka", "0.13.0"),
    ],
)
def test_an_untested_version_is_refused_before_anything_is_patched(
    monkeypatch: pytest.MonkeyPatch, distribution: str, installed: str
) -> None:
    before = as_shipped()
    pretend_installed(monkeypatch, distribution, installed)
    with pytest.raises(DependencyVersionError) as refused:
        apply_all(100)
    message = str(refused.value)
    assert message.startswith(f"{distribution} {installed} is installed, but streams.runtime.patches")
    wanted = versions.requirement(distribution)
    assert f"tested with {wanted} only" in message
    assert f"pip install '{wanted}'" in message
    assert isinstance(refused.value, ConfigError)
    assert refused.value.reason == "dependency_version"
    assert replacements() == ()
    assert all(a is b for (a, _), (b, _) in zip(as_shipped(), before, strict=True))


def test_a_missing_library_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    pretend_installed(monkeypatch, "aiokafka", None)
    with pytest.raises(DependencyVersionError, match=r"^aiokafka is not installed, but .*aiokafka>=0\.14\.0,<0\.15"):
        check_versions()


@pytest.mark.parametrize("installed", ["0.15.3", "0.15.4", "0.15.3.post1", "0.15.3+local", "0.15.10", "v0.15.3"])
def test_releases_in_the_range_are_accepted(installed: str) -> None:
    assert versions.in_range(installed, "0.15.3", "0.16")


@pytest.mark.parametrize(
    "installed", ["0.15.2", "0.15", "0.16", "0.16.0", "0.16.0rc1", "0.15.3rc1", "0.15.3.dev0", "1.0", "", "main"]
)
def test_releases_outside_the_range_are_refused(installed: str) -> None:
    assert not versions.in_range(installed, "0.15.3", "0.16")


def test_pyproject_declares_the_tested_ranges() -> None:
    dependencies = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    for distribution in versions.TESTED:
        declared = [d for d in dependencies if re.match(rf"{re.escape(distribution)}\s*[<>=!~;\[]", d)]
        assert declared == [versions.requirement(distribution)]
    assert versions.requirement("faust-streaming") == "faust-streaming>=0.15.3,<0.16"


def test_undo_restores_faust_as_shipped() -> None:
    before = as_shipped()
    assert "getmany" not in ThreadDelegateConsumer.__dict__  # inherited: undoing must delete, not copy it
    apply_all(100)
    apply_all(100)  # idempotent
    after = as_shipped()
    assert all(value is not shipped for (_, value), (_, shipped) in zip(after, before, strict=True))
    assert [(r.owner, r.name) for r in replacements()] == [
        (AIOKafkaConsumerThread, "_create_worker_consumer"),
        (ThreadDelegateConsumer, "getmany"),
        (ThreadDelegateConsumer, "perform_seek"),
        (ThreadDelegateConsumer, "_seek"),
        (ThreadDelegateConsumer, "seek_wait"),
        (Consumer, "_new_offset"),
    ]
    assert [r.patch for r in replacements()][::5] == ["shorten_fetch_wait", "commit_only_finished"]
    assert [r.inherited for r in replacements()] == [False, True, True, False, False, False]

    undone = undo_all()
    assert len(undone) == 6
    assert all(
        own is shipped_own and value is shipped_value
        for (own, value), (shipped_own, shipped_value) in zip(as_shipped(), before, strict=True)
    )
    assert "getmany" not in ThreadDelegateConsumer.__dict__
    assert "perform_seek" not in ThreadDelegateConsumer.__dict__
    assert replacements() == ()
    assert undo_all() == ()


def test_a_new_fetch_wait_wraps_faust_and_undo_restores_it() -> None:
    factory = AIOKafkaConsumerThread._create_worker_consumer
    apply_all(100)
    shorten_fetch_wait(250)
    patched: Any = AIOKafkaConsumerThread._create_worker_consumer
    assert patched.streams_fetch_wait == 250
    assert len(replacements()) == 6  # still one record for the factory, holding Faust's own
    assert replacements()[0].value is factory
    undo_all()
    assert AIOKafkaConsumerThread._create_worker_consumer is factory
    apply_all(100)  # applies again after an undo
    assert AIOKafkaConsumerThread._create_worker_consumer is not factory

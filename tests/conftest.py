"""Shared fixtures, and the rule for what a test needs but the machine lacks.

On a developer's machine a test whose tool or data is missing (../shared, Java, keytool, openssl, promtool, a
compose client, a broker) skips with the reason. Under CI (``CI`` set, as ``.ci/run`` does) it fails instead,
and a run with any skipped test fails as a whole: a green CI run means every test ran.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NoReturn

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"


def under_ci() -> bool:
    return bool(os.environ.get("CI"))


def unavailable(reason: str) -> NoReturn:
    """Skip the test for ``reason``, or fail it under CI."""
    if under_ci():
        pytest.fail(f"{reason} (CI runs every test: install it with `make install`)")
    pytest.skip(reason)


def need_tools(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        unavailable(f"{', '.join(missing)} needed here and not installed")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if under_ci() and skipped and session.exitstatus == 0:
        for report in skipped:
            print(f"\nskipped under CI: {report.nodeid}: {report.longrepr}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        unavailable(f"the shared development data is not beside this checkout ({SHARED})")
    return SHARED


@pytest.fixture(scope="session")
def seed_bytes(shared_data: Path) -> bytes:
    return (shared_data / "seed" / "astana-22-baladi-news.txt").read_bytes()


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return REPO / "streams" / "samples"

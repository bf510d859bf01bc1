"""Shared fixtures: where the shared development data lives (tests that need it skip without it)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"the shared development data is not beside this checkout ({SHARED})")
    return SHARED


@pytest.fixture(scope="session")
def seed_bytes(shared_data: Path) -> bytes:
    return (shared_data / "seed" / "astana-22-baladi-news.txt").read_bytes()


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return REPO / "streams" / "samples"

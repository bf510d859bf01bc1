"""Unit tests leave Faust as they found it: whatever a test patched (``create_app`` applies every patch) is undone
after it, so no test depends on the order the suite runs in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from streams.runtime.patches import undo_all


@pytest.fixture(autouse=True)
def _faust_as_shipped() -> Iterator[None]:
    yield
    undo_all()

"""The patches of Faust's internals, in one place, applied by ``apply_all`` when the app is created."""

from __future__ import annotations

from streams.runtime.patches.commits import commit_only_finished
from streams.runtime.patches.tuning import drop_stale_batches, shorten_fetch_wait, without_spinner

__all__ = ["apply_all", "without_spinner"]


def apply_all(fetch_wait_ms: int) -> None:
    """Apply every patch the worker needs (idempotent)."""
    shorten_fetch_wait(fetch_wait_ms)
    drop_stale_batches()  # stale records after a rebalance lost messages
    commit_only_finished()  # out-of-order acknowledgements could be committed past

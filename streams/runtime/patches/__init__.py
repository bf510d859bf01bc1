"""The patches of Faust's and aiokafka's internals, in one place, applied by ``apply_all`` when the app is
created (never at import).

``apply_all`` first checks the installed faust-streaming, mode-streaming and aiokafka against the versions the
patches were tested with (``versions.TESTED``, the same ranges as pyproject.toml) and raises
``DependencyVersionError`` before patching anything if one is outside. Every class attribute a patch replaces
is recorded (``registry``), and ``undo_all`` puts them all back as the libraries ship them.

======================  ========================================  ==========================================
patch                   replaces (R) or uses (U)                  works around; upstream; delete when
======================  ========================================  ==========================================
commit_only_finished    R ``Consumer._new_offset``                commits past an event still in progress;
                                                                  faust-streaming#606, PR #707; Faust never
                                                                  commits past an unacknowledged offset
drop_stale_batches      R ``ThreadDelegateConsumer.getmany``,     records fetched across a rebalance's seek
                        ``perform_seek``, ``_seek``,              dropped as read, then committed past; none
                        ``seek_wait``; U aiokafka's               (related #216, #596); Faust drops a seeked
                        subscription state                        partition's fetched records itself
shorten_fetch_wait      R ``AIOKafkaConsumerThread``              ``fetch_max_wait_ms=1500`` fixed, up to
                        ``._create_worker_consumer``;             1.5 s a hop; none; Faust has a setting
                        U aiokafka's ``_fetch_max_wait_ms``       for it
without_spinner         U ``spinner`` of one ``faust.Worker``     the spinner leaves the root logger at
                        (per worker: nothing global)              DEBUG; none; a shipped worker no longer
                                                                  does
stores.PartitionStore   U the stores' ``_encode_key`` and         no public access to a partition's local
                        other codecs, ``_db_for_partition``,      store outside an event (lists, the sweep);
                        ``_dbs``, ``offset_key``                  none; Faust has it
positions.read_positi.  U ``Consumer._read_offset``               no public read position, for the stall
                                                                  watchdog; #471 (the stall); Faust exposes
                                                                  the position or stops stalling
======================  ========================================  ==========================================

Each module's docstring gives the details: the behaviour, the upstream issue or what to report, and how to tell
that the patch can be deleted.
"""

from __future__ import annotations

from streams.runtime.patches.commits import commit_only_finished
from streams.runtime.patches.registry import Replacement, replacements, undo_all
from streams.runtime.patches.tuning import drop_stale_batches, shorten_fetch_wait, without_spinner
from streams.runtime.patches.versions import check_versions

__all__ = ["Replacement", "apply_all", "check_versions", "replacements", "undo_all", "without_spinner"]


def apply_all(fetch_wait_ms: int) -> None:
    """Check the library versions, then apply every patch the worker needs (idempotent).

    Raises ``DependencyVersionError`` (nothing patched) if faust-streaming, mode-streaming or aiokafka is
    outside the versions the patches were tested with.
    """
    check_versions()
    shorten_fetch_wait(fetch_wait_ms)
    drop_stale_batches()  # stale records after a rebalance lost messages
    commit_only_finished()  # out-of-order acknowledgements could be committed past

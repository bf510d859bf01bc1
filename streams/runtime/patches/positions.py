"""Reading how far Faust's consumer has handed each partition's records to the streams.

Faust keeps the last offset it gave the streams for each partition in ``Consumer._read_offset`` and has no
public reading of it. The stall watchdog (``streams.runtime.stalls``) compares it with the partitions' end
offsets: a partition with records waiting whose read offset does not move is stalled. Upstream: faust-streaming
issue https://github.com/faust-streaming/faust/issues/471 (open: a consumer that does not consume some of its
assigned partitions) is the stall itself; there is no issue asking for a public reading of the position. Delete
when: Faust exposes the position (or stops stalling, and the watchdog goes too).
"""

from __future__ import annotations

from typing import Any

from streams.runtime.patches.versions import check_versions

__all__ = ["read_positions"]


def read_positions(app: Any) -> dict[tuple[str, int], int | None]:
    """{(topic, partition): the last offset handed to the streams, or None} for what the consumer has seen."""
    check_versions()
    offsets: Any = getattr(app.consumer, "_read_offset", {})
    return {(tp.topic, tp.partition): offset for tp, offset in list(offsets.items())}

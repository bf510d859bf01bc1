"""The bare Faust pass-through for the pipeline benchmark: consume, orjson load and dump, send (and with
BENCH_TABLE_WRITES=N, write N entries a message to a table in memory, each a changelog record).

Run as ``python -m streams.devtools.bench.apps``; configured by BENCH_* variables. Building the app happens
only under ``__main__``: importing this module has no side effects.
"""

from __future__ import annotations

import os
from typing import Any

import orjson

__all__ = ["build", "main"]


def build() -> Any:
    import faust

    from streams.runtime.kafka import MAX_MESSAGE_BYTES

    app = faust.App(
        os.environ["BENCH_APP"],
        broker="kafka://" + os.environ["KAFKA_BOOTSTRAP"],
        store="memory://",
        datadir=os.environ["BENCH_DIR"],
        web_port=int(os.environ["BENCH_PORT"]),
        web_host="127.0.0.1",
        web_bind="127.0.0.1",
        autodiscover=False,
        consumer_auto_offset_reset="earliest",
        producer_max_request_size=MAX_MESSAGE_BYTES,
        broker_session_timeout=6,
        broker_heartbeat_interval=0.5,
    )
    wait = os.environ.get("BENCH_AWAIT") == "1"
    writes = int(os.environ.get("BENCH_TABLE_WRITES", "0"))  # table entries written per message, each changelogged
    table = app.Table("bench-state", default=None, partitions=1) if writes else None
    source = app.topic(os.environ["BENCH_IN"], value_serializer="raw", key_serializer="raw")
    target = app.topic(os.environ["BENCH_OUT"], value_serializer="raw", key_serializer="raw")

    @app.agent(source)
    async def passthrough(stream: Any) -> None:
        async for event in stream.events():
            try:
                value = orjson.dumps(orjson.loads(event.value))
            except orjson.JSONDecodeError:
                value = orjson.dumps({"raw": len(event.value)})
            if table is not None:
                for i in range(writes):
                    table[f"{i}:{event.message.offset}"] = {"n": len(value)}
            delivery = await target.send(key=event.key, value=value)
            if wait:  # BENCH_AWAIT=1: acknowledge only after the broker has the output, as the pipeline does
                await delivery

    return app


def main() -> None:
    """BENCH_TUNED=1: with the worker's adjustments (100 ms fetch wait, no spinner); else as Faust ships."""
    import faust

    from streams.runtime.app import FETCH_WAIT_MS
    from streams.runtime.patches.tuning import shorten_fetch_wait, without_spinner

    tuned = os.environ.get("BENCH_TUNED") == "1"
    if tuned:
        shorten_fetch_wait(FETCH_WAIT_MS)
    worker = faust.Worker(build(), loglevel="warn", quiet=True, redirect_stdouts=False)
    if tuned:
        without_spinner(worker)
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()

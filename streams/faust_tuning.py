"""One adjustment to Faust that no setting reaches: the consumer's fetch wait.

faust-streaming builds its aiokafka consumer with ``fetch_max_wait_ms=1500`` fixed. A partition that has
just been drained is not part of the fetch request already waiting at the broker, so a message arriving
there waits until that request expires: up to 1.5 s per hop, three hops in this pipeline (measured: p50
23 ms but p90 2 s). ``shorten_fetch_wait`` wraps Faust's consumer factory to set a shorter wait. It runs when
the app is created (never at import) and is tied to faust-streaming < 0.16, the range pyproject allows.
"""

from __future__ import annotations

from typing import Any

__all__ = ["shorten_fetch_wait"]


def shorten_fetch_wait(milliseconds: int) -> None:
    from faust.transport.drivers import aiokafka as driver

    thread_class: Any = driver.AIOKafkaConsumerThread
    original = thread_class._create_worker_consumer
    if getattr(original, "streams_fetch_wait", None) == milliseconds:
        return
    original = getattr(original, "streams_original", original)

    def create_worker_consumer(self: Any, transport: Any) -> Any:
        consumer = original(self, transport)
        consumer._fetch_max_wait_ms = milliseconds  # read when the consumer starts and builds its fetcher
        return consumer

    create_worker_consumer.streams_fetch_wait = milliseconds  # type: ignore[attr-defined]
    create_worker_consumer.streams_original = original  # type: ignore[attr-defined]
    thread_class._create_worker_consumer = create_worker_consumer

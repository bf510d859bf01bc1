"""The feed poller: ``python -m streams ingest --feeds feeds.yaml``.

A process of its own rather than Faust timers in the worker: fetching is I/O against third-party servers
with its own politeness limits, failures and scaling; keeping it out of the stream worker means a slow or
broken feed never delays a rebalance, and workers can be added without polling feeds twice. One poller
serves many feeds (asyncio); its state lives in a compacted topic, so a restarted poller does not republish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
from aiokafka import AIOKafkaProducer

from streams.errors import ParseError
from streams.headers import HEADER_CONTENT_TYPE, HEADER_FEED, HEADER_FETCHED_AT, HEADER_LANG, HEADER_SOURCE
from streams.runtime.kafka import make_producer
from streams.runtime.metrics import Metrics
from streams.settings import Settings
from streams.stages.record import iso_utc
from streams.tools.ingest.config import FeedConfig
from streams.tools.ingest.http import Fetcher
from streams.tools.ingest.items import split_feed
from streams.tools.ingest.state import SeenState

__all__ = ["PollReport", "Poller"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PollReport:
    feed: str
    outcome: str
    published: int = 0
    items: int = 0


class Poller:
    def __init__(self, settings: Settings, feeds: list[FeedConfig], metrics: Metrics, **fetcher_options: float) -> None:
        self.settings = settings
        self.feeds = feeds
        self.metrics = metrics
        self.fetcher_options = fetcher_options
        self.state = SeenState(settings, settings.topics.ingest_state)

    async def run(self, stop: asyncio.Event, once: bool = False) -> list[PollReport]:
        """Poll every feed on its interval until ``stop`` is set (or once each with ``once``)."""
        await self.state.load()
        reports: list[PollReport] = []
        async with aiohttp.ClientSession(auto_decompress=True) as session:
            fetcher = Fetcher(session, **self.fetcher_options)  # type: ignore[arg-type]
            producer = make_producer(self.settings)
            await producer.start()
            try:
                if once:
                    return list(await asyncio.gather(*(self.poll(f, fetcher, producer) for f in self.feeds)))
                await asyncio.gather(*(self._loop(f, fetcher, producer, stop) for f in self.feeds))
            finally:
                await producer.stop()
        return reports

    async def _loop(self, feed: FeedConfig, fetcher: Fetcher, producer: AIOKafkaProducer, stop: asyncio.Event) -> None:
        await asyncio.sleep(random.uniform(0, min(5.0, feed.interval / 10)))  # spread the first polls
        while not stop.is_set():
            try:
                await self.poll(feed, fetcher, producer)
            except Exception:  # one feed's failure must not end the others
                log.exception("polling %s failed", feed.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=feed.interval * random.uniform(0.9, 1.1))

    async def poll(self, feed: FeedConfig, fetcher: Fetcher, producer: AIOKafkaProducer) -> PollReport:
        """Fetch one feed and publish its new items; return what happened."""
        result = await fetcher.fetch(feed.url, self.state.validators(feed.name))
        self.metrics.feed_fetches.labels(feed=feed.name, outcome=result.outcome).inc()
        if result.outcome == "not_modified":
            self.metrics.feed_last_success.labels(feed=feed.name).set(time.time())
            return PollReport(feed.name, result.outcome)
        if result.outcome != "ok":
            log.warning("feed %s: %s %s %s", feed.name, result.outcome, result.status or "", result.detail)
            return PollReport(feed.name, result.outcome)
        try:
            items = split_feed(result.body, feed.name)
        except ParseError as exc:
            self.metrics.feed_fetches.labels(feed=feed.name, outcome="unparseable").inc()
            log.warning("feed %s: %s", feed.name, exc)
            return PollReport(feed.name, "unparseable")
        fresh = [item for item in items if not self.state.seen(feed.name, item.key)]
        fetched_at = iso_utc(datetime.now(UTC)).encode()
        headers = [
            (HEADER_CONTENT_TYPE, b"application/json"),
            (HEADER_FEED, feed.name.encode()),
            (HEADER_SOURCE, feed.name.encode()),
            (HEADER_FETCHED_AT, fetched_at),
        ]
        if feed.lang:
            headers.append((HEADER_LANG, feed.lang.encode()))
        for item in fresh:
            await producer.send(self.settings.topics.raw, item.payload, key=item.key.encode(), headers=headers)
        await producer.flush()
        await self.state.remember(feed.name, [item.key for item in fresh], result.validators)
        self.metrics.feed_items_published.labels(feed=feed.name).inc(len(fresh))
        self.metrics.feed_last_success.labels(feed=feed.name).set(time.time())
        log.info("feed %s: %d items, %d new", feed.name, len(items), len(fresh))
        return PollReport(feed.name, "ok", len(fresh), len(items))

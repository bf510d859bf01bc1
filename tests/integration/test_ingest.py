"""The poller on the real broker: each item published once, across polls, restarts and changing feeds."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import orjson
import pytest

from streams.runtime.kafka import ensure_topics
from streams.runtime.metrics import build_metrics
from streams.settings import Settings
from streams.tools.ingest import FeedConfig, Poller
from tests.feed_server import FeedServer, rss

from .kafka_io import read_until


def settings_for(bootstrap: str, unique: str) -> Settings:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMS_")}
    env.update(KAFKA_BOOTSTRAP=bootstrap, STREAMS_TOPIC_PREFIX=f"{unique}.", STREAMS_PARTITIONS="2")
    return Settings.from_env(env)


async def poll_once(settings: Settings, feeds: list[FeedConfig]) -> list:
    poller = Poller(settings, feeds, build_metrics(), timeout=2.0, attempts=2, backoff=0.05)
    return await poller.run(asyncio.Event(), once=True)


def test_items_are_published_once_across_polls_and_restarts(bootstrap: str, unique: str, samples_dir: Path) -> None:
    settings = settings_for(bootstrap, unique)

    async def scenario() -> tuple[list, list, list, list]:
        await ensure_topics(settings)
        server = FeedServer(
            files={
                "wire.xml": rss("Test Wire", [("g1", "Envoy visits Damascus"), ("g2", "Ministers meet in Amman")]),
                "arabic.atom": (samples_dir / "arabic-news.atom").read_bytes(),
            }
        )
        await server.start()
        feeds = [
            FeedConfig("wire", server.url("/wire.xml"), None, 60),
            FeedConfig("arabic", server.url("/arabic.atom"), "ar", 60),
            FeedConfig("broken", server.url("/loop-a"), None, 60),
        ]
        try:
            first = await poll_once(settings, feeds)
            again = await poll_once(settings, feeds)  # a restarted poller: state from the compacted topic
            server.files["wire.xml"] = rss(
                "Test Wire", [("g2", "Ministers meet in Amman (updated)"), ("g3", "Security Council meets")]
            )
            changed = await poll_once(settings, feeds)
        finally:
            await server.stop()
        records = await read_until(bootstrap, [settings.topics.raw], lambda rs: len(rs) >= 8, timeout=30, settle=2)
        return first, again, changed, records

    first, again, changed, records = asyncio.run(scenario())
    by_feed = {r.feed: r for r in first}
    assert (by_feed["wire"].outcome, by_feed["wire"].published) == ("ok", 2)
    assert (by_feed["arabic"].outcome, by_feed["arabic"].published) == ("ok", 5)
    assert by_feed["broken"].outcome == "bad_redirect"
    assert {r.feed: r.published for r in again} == {"wire": 0, "arabic": 0, "broken": 0}
    assert {r.feed: r.outcome for r in again}["wire"] == "not_modified"
    assert {r.feed: r.published for r in changed}["wire"] == 1  # only the new g3
    assert len(records) == 8
    keys = [r.key for r in records]
    assert len(set(keys)) == len(keys)
    arabic = [r for r in records if r.headers.get("feed") == b"arabic"]
    assert all(r.headers["lang"] == b"ar" and r.headers["content-type"] == b"application/json" for r in arabic)
    titles = {orjson.loads(r.value)["title"] for r in records if r.headers.get("feed") == b"wire"}
    assert titles == {"Envoy visits Damascus", "Ministers meet in Amman", "Security Council meets"}


@pytest.mark.parametrize("interval", [10])
def test_feeds_file_refuses_too_frequent_polling(tmp_path: Path, interval: int) -> None:
    from streams.errors import ConfigError
    from streams.tools.ingest import load_feeds

    path = tmp_path / "feeds.yaml"
    path.write_text(f"feeds:\n  - {{name: a, url: 'https://x.example/rss', interval: {interval}}}\n")
    with pytest.raises(ConfigError, match="interval"):
        load_feeds(path)

"""The feed fetcher against a real loopback HTTP server: 304s, retries, timeouts, size and redirect limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from streams.tools.ingest import Fetcher, split_feed
from streams.tools.ingest.http import Validators
from tests.feed_server import FeedServer, load_dir, rss

ARABIC = rss("أخبار تجريبية", [("a1", "وزير الخارجية يلتقي المبعوث الأممي"), ("a2", "محادثات جديدة في جنيف")])


@pytest_asyncio.fixture
async def server(samples_dir: Path) -> AsyncIterator[FeedServer]:
    srv = FeedServer(files={**load_dir(samples_dir), "arabic.xml": ARABIC}, slow_seconds=2.0)
    await srv.start()
    yield srv
    await srv.stop()


@pytest_asyncio.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with aiohttp.ClientSession() as session:
        yield Fetcher(session, timeout=1.0, connect_timeout=1.0, attempts=3, backoff=0.05, max_bytes=1024 * 1024)


@pytest.mark.asyncio
async def test_ok_then_not_modified(server: FeedServer, fetcher: Fetcher) -> None:
    first = await fetcher.fetch(server.url("/arabic.xml"))
    assert first.outcome == "ok"
    assert first.validators.etag
    assert [item.key for item in split_feed(first.body, "t")] == [item.key for item in split_feed(ARABIC, "t")]
    second = await fetcher.fetch(server.url("/arabic.xml"), first.validators)
    assert second.outcome == "not_modified"
    assert second.status == 304


@pytest.mark.asyncio
async def test_server_errors_are_retried_with_backoff(server: FeedServer, fetcher: Fetcher) -> None:
    result = await fetcher.fetch(server.url("/flaky/arabic.xml"))
    assert result.outcome == "ok"
    assert result.attempts == 3
    assert server.hits["flaky/arabic.xml"] == 3


@pytest.mark.asyncio
async def test_gives_up_after_the_last_attempt(server: FeedServer, fetcher: Fetcher) -> None:
    server.fail_first = 10
    result = await fetcher.fetch(server.url("/flaky/arabic.xml"))
    assert (result.outcome, result.status, result.attempts) == ("http_error", 503, 3)


@pytest.mark.asyncio
async def test_slow_server_times_out(server: FeedServer, fetcher: Fetcher) -> None:
    result = await fetcher.fetch(server.url("/slow"))
    assert result.outcome == "timeout"


@pytest.mark.asyncio
async def test_oversize_body_is_refused_while_reading(server: FeedServer, fetcher: Fetcher) -> None:
    result = await fetcher.fetch(server.url("/big"))
    assert result.outcome == "too_large"


@pytest.mark.asyncio
async def test_redirects(server: FeedServer, fetcher: Fetcher) -> None:
    moved = await fetcher.fetch(server.url("/moved/arabic.xml"))
    assert moved.outcome == "ok"
    assert moved.url.endswith("/arabic.xml")
    loop = await fetcher.fetch(server.url("/loop-a"))
    assert (loop.outcome, loop.detail) == ("bad_redirect", "redirect loop")
    ftp = await fetcher.fetch(server.url("/to-ftp"))
    assert ftp.outcome == "bad_redirect"


@pytest.mark.asyncio
async def test_gzip_and_the_bundled_feeds(server: FeedServer, fetcher: Fetcher) -> None:
    result = await fetcher.fetch(server.url("/gz/arabic-news.atom"))
    assert result.outcome == "ok"
    assert len(split_feed(result.body, "t")) == 5
    rss_feed = await fetcher.fetch(server.url("/syria-diplomacy.rss"), Validators())
    assert len(split_feed(rss_feed.body, "t")) == 5


@pytest.mark.asyncio
async def test_shared_feeds_served_over_http(shared_data: Path, fetcher: Fetcher) -> None:
    srv = FeedServer(files=load_dir(shared_data / "dev" / "feeds"))
    await srv.start()
    try:
        result = await fetcher.fetch(srv.url("/rssparser__guardian.rss"))
        assert result.outcome == "ok"
        assert len(split_feed(result.body, "guardian")) == 55
    finally:
        await srv.stop()

"""A loopback HTTP server for feed tests: real sockets, behaviours chosen by path."""

from __future__ import annotations

import asyncio
import gzip
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web


@dataclass
class FeedServer:
    """Serves files and misbehaves on purpose; counts requests per path."""

    files: dict[str, bytes] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    fail_first: int = 2
    slow_seconds: float = 3.0
    big_bytes: int = 2 * 1024 * 1024
    runner: web.AppRunner | None = None
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/{name:.*}", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.hits[name] = self.hits.get(name, 0) + 1
        if name.startswith("flaky/"):
            if self.hits[name] <= self.fail_first:
                return web.Response(status=503)
            name = name.removeprefix("flaky/")
        if name == "slow":
            await asyncio.sleep(self.slow_seconds)
            return web.Response(body=b"late")
        if name == "big":
            response = web.StreamResponse()
            await response.prepare(request)
            chunk = b"<rss>" + b"x" * 65536
            for _ in range(self.big_bytes // len(chunk) + 2):
                await response.write(chunk)
            return response
        if name == "loop-a":
            raise web.HTTPFound("/loop-b")
        if name == "loop-b":
            raise web.HTTPFound("/loop-a")
        if name == "to-ftp":
            raise web.HTTPFound("ftp://127.0.0.1/feed.xml")
        if name.startswith("moved/"):
            raise web.HTTPMovedPermanently("/" + name.removeprefix("moved/"))
        if name.startswith("gz/"):
            body = self.files[name.removeprefix("gz/")]
            return web.Response(body=gzip.compress(body), headers={"Content-Encoding": "gzip"})
        body = self.files.get(name)
        if body is None:
            return web.Response(status=404)
        etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, headers={"ETag": etag, "Content-Type": "application/rss+xml"})


def rss(title: str, items: list[tuple[str, str]]) -> bytes:
    """A small RSS 2.0 feed of (guid, title) items, written for tests."""
    entries = "".join(
        f"<item><guid>{guid}</guid><title>{text}</title><link>https://feeds.example/{guid}</link>"
        f"<description>{text}: a short test story about the talks.</description>"
        f"<pubDate>Mon, 16 Nov 2026 10:00:00 +0300</pubDate></item>"
        for guid, text in items
    )
    head = '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0">'
    return f"{head}<channel><title>{title}</title>{entries}</channel></rss>".encode()


def load_dir(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}


class ThreadedFeedServer:
    """The same server on its own event loop in a thread, for synchronous tests."""

    def __init__(self, files: dict[str, bytes]) -> None:
        import threading

        self.server = FeedServer(files=files)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(10)

    def url(self, path: str) -> str:
        return self.server.url(path)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

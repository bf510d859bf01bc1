"""Fetching feeds politely and safely over HTTP.

- conditional GET: ``If-None-Match`` / ``If-Modified-Since`` from the last answer; a 304 is "not modified";
- timeouts on connect and on the whole request; retries with exponential backoff and full jitter on
  timeouts, connection errors, 429 and 5xx;
- at most ``per_host`` requests in flight to one host;
- gzip/deflate accepted (aiohttp decodes); bodies larger than ``max_bytes`` are refused while reading;
- redirects followed by hand, only to http(s), at most ``max_redirects``, loops refused.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import aiohttp

__all__ = ["FetchResult", "Fetcher", "Validators"]

USER_AGENT = "syria-news-streams/0.1 (+https://github.com/; feed poller)"
_RETRY_STATUS = {429, 500, 502, 503, 504}


@dataclass(frozen=True, slots=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    outcome: str  # ok | not_modified | http_error | timeout | network_error | too_large | bad_redirect
    status: int | None = None
    body: bytes = b""
    url: str = ""
    content_type: str | None = None
    validators: Validators = Validators()
    attempts: int = 1
    detail: str = ""


class Fetcher:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        timeout: float = 20.0,
        connect_timeout: float = 5.0,
        attempts: int = 3,
        backoff: float = 1.0,
        backoff_cap: float = 30.0,
        per_host: int = 2,
        max_bytes: int = 5 * 1024 * 1024,
        max_redirects: int = 5,
    ) -> None:
        self.session = session
        self.timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout)
        self.attempts = attempts
        self.backoff = backoff
        self.backoff_cap = backoff_cap
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self._hosts: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(per_host))

    async def fetch(self, url: str, validators: Validators = Validators()) -> FetchResult:
        result = FetchResult("network_error", url=url)
        for attempt in range(1, self.attempts + 1):
            result = await self._follow(url, validators)
            result = _with_attempts(result, attempt)
            retriable = result.outcome in {"timeout", "network_error"} or (
                result.outcome == "http_error" and result.status in _RETRY_STATUS
            )
            if not retriable or attempt == self.attempts:
                return result
            delay = random.uniform(0, min(self.backoff_cap, self.backoff * 2 ** (attempt - 1)))
            await asyncio.sleep(delay)
        return result

    async def _follow(self, url: str, validators: Validators) -> FetchResult:
        seen: set[str] = set()
        current = url
        for _ in range(self.max_redirects + 1):
            if current in seen:
                return FetchResult("bad_redirect", url=current, detail="redirect loop")
            seen.add(current)
            result, location = await self._once(current, validators)
            if location is None:
                return result
            target = urljoin(current, location)
            if urlsplit(target).scheme not in {"http", "https"}:
                return FetchResult("bad_redirect", url=current, detail=f"redirect to {urlsplit(target).scheme}:")
            current = target
        return FetchResult("bad_redirect", url=current, detail=f"more than {self.max_redirects} redirects")

    async def _once(self, url: str, validators: Validators) -> tuple[FetchResult, str | None]:
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
        if validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        host = urlsplit(url).netloc.lower()
        try:
            async with (
                self._hosts[host],
                self.session.get(url, headers=headers, timeout=self.timeout, allow_redirects=False) as response,
            ):
                if response.status in {301, 302, 303, 307, 308} and response.headers.get("Location"):
                    return FetchResult("http_error", response.status, url=url), response.headers["Location"]
                if response.status == 304:
                    return FetchResult("not_modified", 304, url=url, validators=validators), None
                if response.status != 200:
                    return FetchResult("http_error", response.status, url=url), None
                declared = response.content_length
                if declared is not None and declared > self.max_bytes:
                    return FetchResult("too_large", 200, url=url, detail=f"{declared} bytes declared"), None
                body = bytearray()
                async for chunk in response.content.iter_chunked(65536):
                    body.extend(chunk)
                    if len(body) > self.max_bytes:
                        return FetchResult("too_large", 200, url=url, detail=f"over {self.max_bytes} bytes"), None
                return (
                    FetchResult(
                        "ok",
                        200,
                        bytes(body),
                        url,
                        response.headers.get("Content-Type"),
                        Validators(response.headers.get("ETag"), response.headers.get("Last-Modified")),
                    ),
                    None,
                )
        except TimeoutError:
            return FetchResult("timeout", url=url), None
        except (aiohttp.ClientError, OSError) as exc:
            return FetchResult("network_error", url=url, detail=type(exc).__name__), None


def _with_attempts(result: FetchResult, attempts: int) -> FetchResult:
    return FetchResult(
        result.outcome,
        result.status,
        result.body,
        result.url,
        result.content_type,
        result.validators,
        attempts,
        result.detail,
    )

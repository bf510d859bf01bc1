"""Live ingestion: poll feeds over HTTP and publish each new item to the raw topic once."""

from streams.tools.ingest.config import FeedConfig, load_feeds
from streams.tools.ingest.http import Fetcher, FetchResult, Validators
from streams.tools.ingest.items import FeedItem, split_feed
from streams.tools.ingest.poller import Poller, PollReport

__all__ = [
    "FeedConfig",
    "FeedItem",
    "FetchResult",
    "Fetcher",
    "PollReport",
    "Poller",
    "Validators",
    "load_feeds",
    "split_feed",
]

"""Live ingestion: poll feeds over HTTP and publish each new item to the raw topic once."""

from .config import FeedConfig, load_feeds
from .http import Fetcher, FetchResult, Validators
from .items import FeedItem, split_feed
from .poller import Poller, PollReport

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

"""Every Kafka header name the pipeline writes or reads: the wire vocabulary, in one place.

- **Raw messages** (``news.raw``, all optional): what the producer knows about the payload. Written by
  ``streams produce``, the feed poller and the benchmarks; read by the parse stage (``meta_from_headers``).
- **Replay**: a replayed message carries the coordinates it was first read from, so the parse stage records
  them and dedup gives it the verdict it had; a message of a replay's lead-in (before its range) is marked so,
  and the pipeline learns from it without publishing it.
- **Fingerprint** and **story features**: what the dedup stage compares, made by the parse stage and sent with
  the article (``news.articles``).
- **Dead letters** (``news.deadletter``): where a bad record came from and why it failed, ahead of the
  original message's own headers.

Names only; no Kafka client is imported here, so the pure stages can use it.
"""

from __future__ import annotations

__all__ = [
    "DLQ_PREFIX",
    "HEADER_CONTENT_TYPE",
    "HEADER_DLQ_ERROR_CLASS",
    "HEADER_DLQ_ERROR_MESSAGE",
    "HEADER_DLQ_REASON",
    "HEADER_DLQ_SOURCE_OFFSET",
    "HEADER_DLQ_SOURCE_PARTITION",
    "HEADER_DLQ_SOURCE_TOPIC",
    "HEADER_DLQ_STAGE",
    "HEADER_DLQ_TIME",
    "HEADER_DLQ_TRUNCATED_FROM_BYTES",
    "HEADER_FEED",
    "HEADER_FETCHED_AT",
    "HEADER_FINGERPRINT",
    "HEADER_LANG",
    "HEADER_REPLAY_LEAD_IN",
    "HEADER_REPLAY_OFFSET",
    "HEADER_REPLAY_PARTITION",
    "HEADER_REPLAY_TOPIC",
    "HEADER_SOURCE",
    "HEADER_STORY_FEATURES",
    "HEADER_URL",
    "REPLAY_PREFIX",
]

# raw messages
HEADER_CONTENT_TYPE = "content-type"  # MIME type of the payload; the parser sniffs when it is missing
HEADER_SOURCE = "source"  # the publisher's or file's name
HEADER_FEED = "feed"  # the feed the item was polled from
HEADER_URL = "url"  # the page the payload was fetched from
HEADER_LANG = "lang"  # a language hint (ISO 639-1)
HEADER_FETCHED_AT = "fetched-at"  # ISO 8601 time the payload was fetched

# replayed messages: the original coordinates
REPLAY_PREFIX = "replay."
HEADER_REPLAY_TOPIC = "replay.source.topic"
HEADER_REPLAY_PARTITION = "replay.source.partition"
HEADER_REPLAY_OFFSET = "replay.source.offset"
# a message of the lead-in of a replay's range (``replay --lead-in``): dedup takes it into its state, nothing
# is published for it; the parse stage passes it on to the article it parses
HEADER_REPLAY_LEAD_IN = "replay.lead-in"

# articles: what the parse stage computed for the dedup stage
HEADER_FINGERPRINT = "dedup.fingerprint"
HEADER_STORY_FEATURES = "dedup.story"  # the story step's bags of words and shared features

# dead letters
DLQ_PREFIX = "dlq."
HEADER_DLQ_STAGE = "dlq.stage"  # parse, dedup or route
HEADER_DLQ_REASON = "dlq.reason"  # a bounded reason class (bad_json, too_large, output_refused, internal, ...)
HEADER_DLQ_ERROR_CLASS = "dlq.error.class"
HEADER_DLQ_ERROR_MESSAGE = "dlq.error.message"  # bounded in length
HEADER_DLQ_SOURCE_TOPIC = "dlq.source.topic"
HEADER_DLQ_SOURCE_PARTITION = "dlq.source.partition"
HEADER_DLQ_SOURCE_OFFSET = "dlq.source.offset"
HEADER_DLQ_TIME = "dlq.time"
HEADER_DLQ_TRUNCATED_FROM_BYTES = "dlq.truncated.from.bytes"  # a dead letter kept truncated: its original size

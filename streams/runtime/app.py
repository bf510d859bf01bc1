"""The Faust app: four thin agents around the pure stages, plus the web endpoints.

    news.raw --parse+tag--> news.articles --dedup--> news.unique --route--> news.syria.diplomacy
                                               |--> news.duplicates            news.syria.other / news.other
                                               \\-> news.story-links --link--> news.stories (compacted)
    any stage's failure --> news.deadletter (original bytes + dlq.* headers)   news.review (uncertain)

Keys and partitions (why state lives where it is needed):

- ``news.raw``: any key; parsing is stateless, so raw partitions spread parse work over workers.
- ``news.articles``: keyed by language (``dedup_key``), so each partition holds the dedup index of its
  languages (a Faust table partition, changelogged, on rocksdict by default; an index per partition:
  ``dedup_partitions``): a copy and its original, and the reports a story gathers in one language, meet in
  one index, and two workers give the same verdicts as one. The changelog carries the index's records; its
  candidate lists and stories are rebuilt from them (``dedup_table``). Each record's dedup fingerprint comes
  in a header, computed by the parse stage, which scales out: the dedup instances do no work that can be
  done before them.
- ``news.story-links``: one key (``LINKS_KEY``), so one partition and one link step: the dedup agent sends a
  story's update whenever a report starts or joins it, and acknowledges the article only once both its
  output and the update are delivered; the link step links the stories of one event across languages
  (``streams.stages.dedup.links``, its own changelogged table).
- ``news.stories``: keyed by story id, compacted: the link agent sends the summary of a story's group (its
  stories in every language) whenever one of them changes.
- ``news.unique`` and every output topic: keyed by article id, so routing spreads over partitions, a
  replayed article lands where its first copy did, and compaction or consumers can drop repeats by key.

Processing guarantee: at-least-once. Faust's exactly-once produced nothing on Kafka 4.4 in our probe, so
outputs are made idempotent instead: ids are stable and dedup verdicts are replay-safe.

``create_app`` wires everything: the agents' handlers (``agents``), the acknowledgement of events once their
outputs are delivered (``acks``), sending outputs and dead letters (``sending``), the web views (``web``),
the sweep of the dedup state past its time-to-live (``sweeper``);
importing this module has no side effects.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import faust

from streams.runtime.acks import Acknowledger, DeliveryWindow, exit_for_restart
from streams.runtime.agents import LINKS_KEY, Handlers, RulesInForce, dedup_key, install_agents
from streams.runtime.deadletter import refused_output
from streams.runtime.dedup_partitions import ArticlesPartitioner, PartitionIndexes
from streams.runtime.dedup_table import DedupTable, LinksTable, LocalLists, changelog_configs
from streams.runtime.health import HealthMonitor
from streams.runtime.kafka import MAX_MESSAGE_BYTES, ssl_context
from streams.runtime.metrics import Metrics, build_metrics
from streams.runtime.patches import apply_all
from streams.runtime.rocksdb import rocksdb_options
from streams.runtime.sending import DeadLetters, Outputs
from streams.runtime.supervisor import RESTARTS_ENV
from streams.runtime.sweeper import SWEEP_INTERVAL_S, StateSweeper
from streams.runtime.web import install_views
from streams.settings import Settings
from streams.stages.dedup.index import DedupConfig, DedupIndex
from streams.stages.dedup.links import StoryLinks
from streams.stages.routing import RulesWatcher

__all__ = ["DEDUP_IN_FLIGHT", "FETCH_WAIT_MS", "LINKS_KEY", "create_app", "dedup_key"]

log = logging.getLogger(__name__)

FETCH_WAIT_MS = 100  # see patches.tuning: Faust's fixed 1.5 s fetch wait delays each hop
DEDUP_IN_FLIGHT = 64  # outputs the dedup stage may have awaiting the broker's acknowledgement
HELD_EXIT_DELAY_S = 5.0  # from the first event held after a failure to the end of the process (see acks)


def _broker_url(settings: Settings) -> str:
    return ";".join(f"kafka://{server}" for server in settings.bootstrap_servers)


def _credentials(settings: Settings) -> Any:
    if settings.security_protocol == "PLAINTEXT":
        return None
    context = ssl_context(settings)
    if settings.security_protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=settings.sasl_username,
            password=settings.sasl_password,
            mechanism=settings.sasl_mechanism,
            ssl_context=context,
        )
    return faust.SSLCredentials(context)


def _faust_app(settings: Settings) -> faust.App:
    settings.data_dir.mkdir(parents=True, exist_ok=True)  # Faust does not create the parent itself
    return faust.App(
        settings.app_id,
        broker=_broker_url(settings),
        broker_credentials=_credentials(settings),
        store="rocksdb://" if settings.store == "rocksdb" else "memory://",  # rocksdb:// runs on rocksdict
        datadir=str(settings.data_dir),
        autodiscover=False,
        processing_guarantee="at_least_once",
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication,
        topic_allow_declare=True,
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=settings.heartbeat_interval_s,
        broker_commit_interval=settings.commit_interval_s,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_partitioner=ArticlesPartitioner(),  # an article goes to its language's partition
        producer_max_request_size=MAX_MESSAGE_BYTES,
        producer_request_timeout=settings.producer_timeout_s,
        web_enabled=True,
        web_host=settings.web_host,
        web_bind=settings.web_host,
        web_port=settings.web_port,
        web_in_thread=False,
        table_cleanup_interval=300.0,
    )


def _dedup_state(app: faust.App, settings: Settings) -> tuple[DedupTable, PartitionIndexes, LinksTable, StoryLinks]:
    """The dedup table and an index per partition over it, the link step's table and its links; what follows
    from the records (stories, candidate lists; groups, their lists) is not changelogged but rebuilt from the
    tables' records (``dedup_table``)."""
    config = DedupConfig(ttl_seconds=settings.dedup_ttl_seconds, cross_language=False)  # the link step does
    state = _added(app, DedupTable(app, name="dedup-state", **_table_options(app, settings)))
    links_state = _added(app, LinksTable(app, name="story-links", **_table_options(app, settings)))
    state.reindexer = lambda derived: DedupIndex(state, config, index=derived)
    links_state.reindexer = lambda derived: StoryLinks(links_state, config, index=derived)
    links = StoryLinks(links_state, config, index=LocalLists(links_state))
    return state, PartitionIndexes(state, config), links_state, links


def _table_options(app: faust.App, settings: Settings) -> dict[str, Any]:
    return {
        "default": None,
        "beacon": app.tables.beacon,
        "partitions": settings.partitions,
        "options": rocksdb_options(settings.dedup_cache_mb, settings.partitions)
        if settings.store == "rocksdb"
        else None,
        "extra_topic_configs": changelog_configs(settings.dedup_ttl_seconds),
    }


T = TypeVar("T", bound=DedupTable)


def _added(app: faust.App, table: T) -> T:
    app.tables.add(table)
    return table


def _dead_letter(dead_letters: DeadLetters, stage: str) -> Callable[[Any, BaseException], Awaitable[None]]:
    return lambda event, error: dead_letters.send(stage, event, error)


def create_app(settings: Settings, metrics: Metrics | None = None) -> faust.App:
    """The worker's Faust app with its agents, table and web views."""
    metrics = metrics or build_metrics(process=True)
    apply_all(FETCH_WAIT_MS)  # see streams.runtime.patches
    app = _faust_app(settings)
    topics = settings.topics
    outputs = Outputs(app, (topics.articles, topics.unique, topics.links, topics.stories, *topics.outputs()))
    dead_letters = DeadLetters(outputs, topics.deadletter, metrics)
    state, indexes, links_state, links = _dedup_state(app, settings)
    end_for_restart = exit_for_restart(HELD_EXIT_DELAY_S)  # held events and stalled partitions: a new process
    health = HealthMonitor(
        app, settings, metrics, (topics.raw, topics.articles, topics.links, topics.unique), on_stall=end_for_restart
    )
    health.install()
    # The lag probe's Kafka clients close when the app stops: Faust unwinds the app's exit stack after it has
    # cancelled the app's timers, so the probe is not using them any more.
    app.async_exit_stack.push_async_callback(health.close)
    acks = Acknowledger(on_stuck=end_for_restart)
    metrics.worker_up.set(1)
    metrics.worker_restarts.set(int(os.environ.get(RESTARTS_ENV, "0") or 0))
    window, links_window = (
        DeliveryWindow(
            acks,
            size=DEDUP_IN_FLIGHT,
            dead_letter=_dead_letter(dead_letters, stage),
            refused_output=refused_output,
        )
        for stage in ("dedup", "link")
    )
    handlers = Handlers(
        metrics=metrics,
        topics=topics,
        outputs=outputs,
        dead_letters=dead_letters,
        indexes=indexes,
        links=links,
        rules=RulesInForce(RulesWatcher(settings.rules_path), metrics),
        window=window,
        links_window=links_window,
    )
    install_agents(app, settings, handlers, acks)
    sweepers = (
        StateSweeper(state, indexes, lambda: indexes.clock, metrics, settings.dedup_sweep_keys, state="dedup"),
        StateSweeper(links_state, lambda _: links, lambda: links.clock, metrics, settings.dedup_sweep_keys, "links"),
    )

    @app.timer(interval=SWEEP_INTERVAL_S)  # type: ignore[untyped-decorator]
    async def sweep_dedup_state() -> None:
        for sweeper in sweepers:
            try:
                sweeper.step()
            except Exception:  # a sweep that fails leaves expired entries for the next step: never the worker down
                log.exception("%s state sweep failed; the next step tries again", sweeper.state)

    install_views(app, metrics=metrics, dedup_state=state, acks=acks, health=health)
    app.conf.streams_settings = settings  # for the CLI and tests
    app.conf.streams_metrics = metrics
    return app

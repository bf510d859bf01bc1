"""The Faust app: three thin agents around the pure stages, plus the web endpoints.

    news.raw --parse+tag--> news.articles --dedup--> news.unique --route--> news.syria.diplomacy
                                               |--> news.duplicates            news.syria.other / news.other
                                               \\-> news.stories (compacted: each story's current summary)
    any stage's failure --> news.deadletter (original bytes + dlq.* headers)   news.review (uncertain)

Keys and partitions (why state lives where it is needed):

- ``news.raw``: any key; parsing is stateless, so raw partitions spread parse work over workers.
- ``news.articles``: every record carries the same key (``DEDUP_KEY``), so all of them land in one
  partition and the whole dedup index (a Faust table, changelogged, on rocksdict by default) lives with
  them: every article is compared with every other, and two workers give the same verdicts as one. The
  changelog carries the index's records; its candidate lists are rebuilt from them (``dedup_table``).
  Each record's dedup fingerprint comes in a header, computed by the parse stage, which scales out: the one
  dedup instance bounds what added workers can gain, so it does no work that can be done before it.
- ``news.stories``: keyed by story id, compacted: the dedup agent sends a story's summary whenever a report
  starts or joins it, and acknowledges the article only once both its output and the summary are delivered.
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
from typing import Any

import faust

from streams.runtime.acks import Acknowledger, DeliveryWindow, exit_for_restart
from streams.runtime.agents import DEDUP_KEY, Handlers, RulesInForce, install_agents
from streams.runtime.deadletter import refused_output
from streams.runtime.dedup_table import DedupTable, LocalLists, changelog_configs
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
from streams.stages.routing import RulesWatcher

__all__ = ["DEDUP_IN_FLIGHT", "DEDUP_KEY", "FETCH_WAIT_MS", "create_app"]

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
        producer_max_request_size=MAX_MESSAGE_BYTES,
        producer_request_timeout=settings.producer_timeout_s,
        web_enabled=True,
        web_host=settings.web_host,
        web_bind=settings.web_host,
        web_port=settings.web_port,
        web_in_thread=False,
        table_cleanup_interval=300.0,
    )


def _dedup_index(app: faust.App, settings: Settings) -> tuple[DedupTable, DedupIndex]:
    """The dedup table (changelogged) and the index over it; what follows from the records (stories, candidate
    lists) is not changelogged but rebuilt from the table's records (``dedup_table``)."""
    state = DedupTable(
        app,
        name="dedup-state",
        default=None,
        beacon=app.tables.beacon,
        partitions=settings.partitions,
        options=rocksdb_options(settings.dedup_cache_mb) if settings.store == "rocksdb" else None,
        extra_topic_configs=changelog_configs(settings.dedup_ttl_seconds),
    )
    app.tables.add(state)
    config = DedupConfig(ttl_seconds=settings.dedup_ttl_seconds)
    index = DedupIndex(state, config, index=LocalLists(state))
    state.reindexer = lambda derived: DedupIndex(state, config, index=derived)
    return state, index


def create_app(settings: Settings, metrics: Metrics | None = None) -> faust.App:
    """The worker's Faust app with its agents, table and web views."""
    metrics = metrics or build_metrics(process=True)
    apply_all(FETCH_WAIT_MS)  # see streams.runtime.patches
    app = _faust_app(settings)
    topics = settings.topics
    outputs = Outputs(app, (topics.articles, topics.unique, topics.stories, *topics.outputs()))
    dead_letters = DeadLetters(outputs, topics.deadletter, metrics)
    state, index = _dedup_index(app, settings)
    end_for_restart = exit_for_restart(HELD_EXIT_DELAY_S)  # held events and stalled partitions: a new process
    health = HealthMonitor(
        app, settings, metrics, (topics.raw, topics.articles, topics.unique), on_stall=end_for_restart
    )
    health.install()
    # The lag probe's Kafka clients close when the app stops: Faust unwinds the app's exit stack after it has
    # cancelled the app's timers, so the probe is not using them any more.
    app.async_exit_stack.push_async_callback(health.close)
    acks = Acknowledger(on_stuck=end_for_restart)
    metrics.worker_up.set(1)
    metrics.worker_restarts.set(int(os.environ.get(RESTARTS_ENV, "0") or 0))
    window = DeliveryWindow(
        acks,
        size=DEDUP_IN_FLIGHT,
        dead_letter=lambda event, error: dead_letters.send("dedup", event, error),
        refused_output=refused_output,
    )
    handlers = Handlers(
        metrics=metrics,
        topics=topics,
        outputs=outputs,
        dead_letters=dead_letters,
        index=index,
        rules=RulesInForce(RulesWatcher(settings.rules_path), metrics),
        window=window,
    )
    install_agents(app, settings, handlers, acks)
    sweeper = StateSweeper(state, index, metrics, settings.dedup_sweep_keys)

    @app.timer(interval=SWEEP_INTERVAL_S)  # type: ignore[untyped-decorator]
    async def sweep_dedup_state() -> None:
        try:
            sweeper.step()
        except Exception:  # a sweep that fails leaves expired entries for the next step: never the worker down
            log.exception("dedup state sweep failed; the next step tries again")

    install_views(app, metrics=metrics, dedup_state=state, acks=acks, health=health)
    app.conf.streams_settings = settings  # for the CLI and tests
    app.conf.streams_metrics = metrics
    return app

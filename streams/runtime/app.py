"""The Faust app: three thin agents around the pure stages, plus the web endpoints.

    news.raw --parse+tag--> news.articles --dedup--> news.unique --route--> news.syria.diplomacy
                                               \\-> news.duplicates            news.syria.other / news.other
    any stage's failure --> news.deadletter (original bytes + dlq.* headers)   news.review (uncertain)

Keys and partitions (why state lives where it is needed):

- ``news.raw``: any key; parsing is stateless, so raw partitions spread parse work over workers.
- ``news.articles``: every record carries the same key (``DEDUP_KEY``), so all of them land in one
  partition and the whole dedup index (a Faust table, changelogged, on rocksdict by default) lives with
  them: every article is compared with every other, and two workers give the same verdicts as one. The
  changelog carries the index's records; its candidate lists are rebuilt from them (``dedup.table``).
  Each record's dedup fingerprint comes in a header, computed by the parse stage, which scales out: the one
  dedup instance bounds what added workers can gain, so it does no work that can be done before it.
- ``news.unique`` and every output topic: keyed by article id, so routing spreads over partitions, a
  replayed article lands where its first copy did, and compaction or consumers can drop repeats by key.

Processing guarantee: at-least-once. Faust's exactly-once produced nothing on Kafka 4.4 in our probe, so
outputs are made idempotent instead: ids are stable and dedup verdicts are replay-safe.

``create_app`` builds everything; importing this module has no side effects.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import faust
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from streams.runtime.deadletter import deadletter_headers, error_reason, refused_output
from streams.runtime.dedup_table import DedupTable, LocalLists
from streams.runtime.health import HealthMonitor
from streams.runtime.metrics import Metrics, build_metrics
from streams.runtime.patches import apply_all
from streams.runtime.rocksdb import rocksdb_options
from streams.settings import Settings
from streams.stages.dedup.index import DedupConfig, DedupIndex
from streams.stages.pipeline import (
    fingerprint_from_headers,
    fingerprint_headers,
    meta_from_headers,
    origin_of,
    parse_and_tag,
    route,
)
from streams.stages.record import Article
from streams.stages.routing import RulesWatcher

__all__ = ["DEDUP_KEY", "create_app"]

log = logging.getLogger(__name__)

DEDUP_KEY = b"dedup"
MAX_MESSAGE_BYTES = 32 * 1024 * 1024  # as the local broker's message.max.bytes; raw pages can be large
TRUNCATED_DEADLETTER_BYTES = 64 * 1024
FETCH_WAIT_MS = 100  # see faust_tuning: Faust's fixed 1.5 s fetch wait delays each hop
DEDUP_IN_FLIGHT = 64  # outputs the dedup stage may have awaiting the broker's acknowledgement


def _broker_url(settings: Settings) -> str:
    return ";".join(f"kafka://{server}" for server in settings.bootstrap_servers)


def _credentials(settings: Settings) -> Any:
    if settings.security_protocol == "PLAINTEXT":
        return None
    options = settings.kafka_client_options()
    if settings.security_protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=settings.sasl_username,
            password=settings.sasl_password,
            mechanism=settings.sasl_mechanism,
            ssl_context=options.get("ssl_context"),
        )
    return faust.SSLCredentials(options["ssl_context"])


def create_app(settings: Settings, metrics: Metrics | None = None) -> faust.App:
    """The worker's Faust app with its agents, table and web views."""
    metrics = metrics or build_metrics(process=True)
    apply_all(FETCH_WAIT_MS)  # see streams.runtime.patches
    settings.data_dir.mkdir(parents=True, exist_ok=True)  # Faust does not create the parent itself
    store = "rocksdb://" if settings.store == "rocksdb" else "memory://"  # rocksdb:// runs on rocksdict
    app = faust.App(
        settings.app_id,
        broker=_broker_url(settings),
        broker_credentials=_credentials(settings),
        store=store,
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
        web_enabled=True,
        web_host=settings.web_host,
        web_bind=settings.web_host,
        web_port=settings.web_port,
        web_in_thread=False,
        table_cleanup_interval=300.0,
    )
    topics = settings.topics
    raw = app.topic(topics.raw, key_type=bytes, value_type=bytes, value_serializer="raw", key_serializer="raw")
    articles = app.topic(topics.articles, value_serializer="raw", key_serializer="raw")
    unique = app.topic(topics.unique, value_serializer="raw", key_serializer="raw")
    outputs = {name: app.topic(name, value_serializer="raw", key_serializer="raw") for name in topics.outputs()}
    outputs.update({topics.articles: articles, topics.unique: unique})
    state = DedupTable(
        app,
        name="dedup-state",
        default=None,
        beacon=app.tables.beacon,
        partitions=settings.partitions,
        options=rocksdb_options(settings.dedup_cache_mb) if settings.store == "rocksdb" else None,
    )
    app.tables.add(state)
    dedup_config = DedupConfig(ttl_seconds=settings.dedup_ttl_seconds)
    index = DedupIndex(state, dedup_config, index=LocalLists(state))  # see dedup.table: lists not changelogged
    state.reindex = lambda lists, key, record: DedupIndex(state, dedup_config, index=lists).reindex(key, record)
    rules = RulesWatcher(settings.rules_path)
    in_force: dict[str, str | None] = {"version": rules.rules.version, "error": None}
    metrics.rules_info.labels(version=rules.rules.version).set(1)
    health = HealthMonitor(app, settings, metrics, (topics.raw, topics.articles, topics.unique))
    health.install()

    def current_rules() -> Any:
        current = rules.current()
        if current.version != in_force["version"]:  # reloaded: the gauge names the version in force
            metrics.rules_info.remove(in_force["version"])
            metrics.rules_info.labels(version=current.version).set(1)
            in_force["version"] = current.version
        if rules.last_error and rules.last_error != in_force["error"]:
            metrics.rules_reload_failures.inc()
            log.warning("rules file refused, the rules in force stay: %s", rules.last_error)
        in_force["error"] = rules.last_error
        return current

    async def send(topic_name: str, key: bytes | None, value: bytes, headers: Any = None) -> None:
        """Send and wait until the broker has it: an event is acknowledged only after its outputs are.

        Faust's ``send`` only buffers; a delivery that fails later would be logged while the input offset is
        committed anyway, and the message lost. Waiting here turns that into an error where it happens.
        """
        topic = outputs.get(topic_name) or app.topic(topic_name, value_serializer="raw", key_serializer="raw")
        delivery = await topic.send(key=key, value=value, headers=headers)
        await delivery

    async def dead_letter(stage: str, event: Any, exc: BaseException) -> None:
        message = event.message
        reason = error_reason(exc)
        metrics.failed.labels(stage=stage, reason=reason).inc()
        metrics.deadlettered.labels(stage=stage).inc()
        log.warning(
            "dead letter from %s at %s[%s]@%s: %s",
            stage,
            message.topic,
            message.partition,
            message.offset,
            exc,
        )
        headers = deadletter_headers(
            stage=stage,
            exc=exc,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            original=message.headers,
        )
        try:
            await send(topics.deadletter, message.key, message.value, headers)
        except Exception as send_error:  # e.g. larger than the broker takes: keep the head, say so
            log.error(
                "dead letter of %d bytes not accepted (%s); sending its first %d bytes",
                len(message.value or b""),
                send_error,
                TRUNCATED_DEADLETTER_BYTES,
            )
            truncated = [*headers, ("dlq.truncated.from.bytes", str(len(message.value or b"")).encode())]
            await send(topics.deadletter, message.key, (message.value or b"")[:TRUNCATED_DEADLETTER_BYTES], truncated)

    # Events are acknowledged by hand, once their outputs are on the broker (or the input is in the dead letters):
    # an event that fails otherwise (the broker unreachable, refusing us) is left unacknowledged and referenced
    # in ``held``, so no commit passes it, and the agent stops. Faust restarts the agent, which goes on with the
    # next events, but only a restart of the worker processes the held event again (from the last commit), and
    # the next rebalance or SIGTERM waits for it: so /healthz fails while any is held, and a liveness probe
    # restarts the worker. (Faust acknowledges an event of an ordinary stream even when its agent raised: its
    # output would be lost.)
    held: list[Any] = []

    def hold(event: Any) -> None:
        held.append(event)
        log.critical(
            "event at %s[%s]@%s left unacknowledged after a failure: commits stop at it and /healthz fails "
            "until the worker restarts and processes it again",
            event.message.topic,
            event.message.partition,
            event.message.offset,
        )

    async def output_failed(stage: str, event: Any, exc: Exception) -> None:
        """An output of ``event`` was not delivered: dead-letter the input if the broker refused the record
        itself (it would be refused again), else raise (the event stays unacknowledged)."""
        record_error = refused_output(exc)
        if record_error is None:
            raise exc
        await dead_letter(stage, event, record_error)

    # Parse and route are stateless: several instances of each share the stream, so one event's wait for the
    # broker's acknowledgement overlaps another's work and the producer batches their sends (each event is
    # still acknowledged only after its own outputs). Dedup stays one instance: its verdicts follow the order.
    async def each_event(stream: Any, handle: Callable[[Any, Any], Awaitable[bool]]) -> None:
        """``handle(manual, event)`` each event, acknowledging it after if ``handle`` says it is finished (dedup
        acknowledges its own later, from delivery callbacks); an event it fails on is held, and the agent stops.
        """
        manual = stream.noack()
        async for event in manual.events():
            try:
                finished = await handle(manual, event)
            except Exception:
                hold(event)
                raise
            if finished:
                await manual.ack(event)

    @app.agent(raw, name="parse", concurrency=settings.concurrency)
    async def parse_agent(stream: Any) -> None:
        await each_event(stream, parse_one)

    async def parse_one(manual: Any, event: Any) -> bool:
        metrics.received.labels(stage="parse").inc()
        started = time.perf_counter()
        message = event.message
        try:
            headers = {k: v for k, v in (message.headers or [])}
            parsed = parse_and_tag(message.value, meta_from_headers(headers))
            fp_headers = [fingerprint_headers(article) for article in parsed]  # dedup's, made where it scales
        except Exception as exc:
            await dead_letter("parse", event, exc)
            return True
        origin = origin_of(message.topic, message.partition, message.offset, headers)
        try:
            deliveries = []
            for item, (article, fp_header) in enumerate(zip(parsed, fp_headers, strict=True)):
                article.origin.update(origin, item=item)
                metrics.parsed.labels(format=article.format).inc()
                deliveries.append(await articles.send(key=DEDUP_KEY, value=article.dumps(), headers=fp_header))
            await asyncio.gather(*deliveries)  # all of a feed's items in flight at once, in order on one partition
        except Exception as exc:
            await output_failed("parse", event, exc)
            return True
        metrics.stage_seconds.labels(stage="parse").observe(time.perf_counter() - started)
        return True

    # Dedup is one instance (its verdicts follow the order), so it does not wait for each output before the
    # next article: up to DEDUP_IN_FLIGHT outputs await the broker, sent in order, and each article's event is
    # acknowledged (so its offset can be committed) from its delivery's callback, once the broker has the
    # output; acknowledgements out of order are safe (faust_commits). A delivery refused for the record itself
    # sends the input to the dead letters; any other failed delivery leaves its event unacknowledged (held), so
    # its offset is not committed, and stops the agent at its next event.
    in_flight: set[Any] = set()
    room = asyncio.Event()  # set while fewer than DEDUP_IN_FLIGHT outputs await the broker
    room.set()
    acks: set[asyncio.Task[Any]] = set()
    refused: list[BaseException] = []

    def acknowledge_when_delivered(manual: Any, event: Any) -> Any:
        def delivered(delivery: Any) -> None:
            in_flight.discard(delivery)
            if len(in_flight) < DEDUP_IN_FLIGHT:
                room.set()
            if delivery.cancelled():
                return
            error = delivery.exception()
            if error is None:
                later(manual.ack(event))
                return
            held.append(event)
            if refused_output(error) is not None:  # refused for the record itself: the input to the dead letters
                later(dead_letter_refused(manual, event, error))
                return
            log.error("dedup output not delivered; its offset stays uncommitted until a restart: %s", error)
            refused.append(error)

        return delivered

    def later(work: Any) -> None:
        task = asyncio.ensure_future(work)
        acks.add(task)
        task.add_done_callback(acks.discard)

    async def dead_letter_refused(manual: Any, event: Any, error: Exception) -> None:
        try:
            await output_failed("dedup", event, error)
        except Exception as exc:  # the dead letter not delivered either: stays held, the agent stops
            refused.append(exc)
            return
        held.remove(event)
        await manual.ack(event)

    @app.agent(articles, name="dedup")
    async def dedup_agent(stream: Any) -> None:
        await each_event(stream, dedup_one)

    async def dedup_one(manual: Any, event: Any) -> bool:
        if refused:  # this event is not acknowledged either: both are processed again after a restart
            error = refused[0]
            refused.clear()
            raise error
        metrics.received.labels(stage="dedup").inc()
        started = time.perf_counter()
        try:
            article = Article.loads(event.message.value)
            fp = fingerprint_from_headers(dict(event.message.headers or ()), article)
            verdict = index.check(article, fp)
            article.dedup = verdict.as_dict()
        except Exception as exc:
            await dead_letter("dedup", event, exc)
            return True
        target = outputs[topics.duplicates if verdict.duplicate else topics.unique]
        if verdict.duplicate:
            metrics.duplicates.labels(kind=verdict.kind or "near").inc()
        delivery: Any = await target.send(key=article.id.encode(), value=article.dumps())
        in_flight.add(delivery)
        delivery.add_done_callback(acknowledge_when_delivered(manual, event))
        if len(in_flight) >= DEDUP_IN_FLIGHT:
            room.clear()
            await room.wait()
        metrics.stage_seconds.labels(stage="dedup").observe(time.perf_counter() - started)
        return False  # acknowledged once its output is delivered

    @app.agent(unique, name="route", concurrency=settings.concurrency)
    async def route_agent(stream: Any) -> None:
        await each_event(stream, route_one)

    async def route_one(manual: Any, event: Any) -> bool:
        metrics.received.labels(stage="route").inc()
        started = time.perf_counter()
        try:
            article = Article.loads(event.message.value)
            current = current_rules()
            topic, article = route(article, current, topics)
        except Exception as exc:
            await dead_letter("route", event, exc)
            return True
        try:
            await send(topic, article.id.encode(), article.dumps())
        except Exception as exc:
            await output_failed("route", event, exc)
            return True
        decision = article.decision
        metrics.routed.labels(route=decision["route"]).inc()
        if decision["review"]:
            metrics.review.inc()
        metrics.stage_seconds.labels(stage="route").observe(time.perf_counter() - started)
        _observe_end_to_end(metrics, article)
        return True

    @app.page("/metrics")
    async def metrics_view(self: Any, request: Any) -> Any:
        metrics.dedup_state_entries.set(len(state))
        # aiohttp wants the charset apart from the media type; Prometheus reads text 0.0.4 as UTF-8
        response = self.bytes(generate_latest(metrics.registry), content_type="text/plain")
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    @app.page("/healthz")
    async def healthz(self: Any, request: Any) -> Any:
        if held:  # events whose outputs failed: only a restart processes them again (and lets commits pass)
            return self.json({"status": "held", "unacknowledged_events": len(held)}, status=503)
        return self.json({"status": "alive"})

    @app.page("/readyz")
    async def readyz(self: Any, request: Any) -> Any:
        ready, checks = health.ready()
        return self.json({"ready": ready, **checks}, status=200 if ready else 503)

    app.conf.streams_settings = settings  # for the CLI and tests
    app.conf.streams_metrics = metrics
    return app


def _observe_end_to_end(metrics: Metrics, article: Article) -> None:
    try:
        fetched = datetime.fromisoformat(article.fetched_at.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return
    delay = time.time() - fetched
    if 0 <= delay < 86_400:
        metrics.end_to_end_seconds.observe(delay)

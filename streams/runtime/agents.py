"""The three agents (parse, dedup, route): each event through a pure stage, its outputs sent, its metrics kept.

Parse and route are stateless: several instances of each share the stream, so one event's wait for the
broker's acknowledgement overlaps another's work and the producer batches their sends (each event is still
acknowledged only after its own outputs). Dedup stays one instance: its verdicts follow the order, and its
outputs are acknowledged through a window of deliveries (``acks.DeliveryWindow``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from datetime import datetime
from typing import Any

import faust

from streams.headers import HEADER_REPLAY_LEAD_IN, HEADER_REPLAY_TOPIC
from streams.runtime.acks import Acknowledger, DeliveryWindow, ManualStream
from streams.runtime.metrics import STAGES, Metrics, language_label
from streams.runtime.sending import DeadLetters, Outputs
from streams.settings import Settings, Topics
from streams.stages.dedup.index import DedupIndex, Verdict
from streams.stages.dedup.summary import dumps_summary, merged_summary, story_summary
from streams.stages.pipeline import (
    bags_from_headers,
    fingerprint_from_headers,
    fingerprint_headers,
    meta_from_headers,
    origin_of,
    parse_and_tag,
    route,
)
from streams.stages.record import Article
from streams.stages.routing import Rules, RulesWatcher, decide

__all__ = ["DEDUP_KEY", "Handlers", "RulesInForce", "install_agents"]

log = logging.getLogger(__name__)

DEDUP_KEY = b"dedup"  # every article's key on the articles topic: one partition holds the whole dedup index


class RulesInForce:
    """The routing rules in force, with the gauge that names their version and the count of refused files."""

    def __init__(self, watcher: RulesWatcher, metrics: Metrics) -> None:
        self.watcher = watcher
        self.metrics = metrics
        self.version = watcher.rules.version
        self.error: str | None = None
        metrics.rules_info.labels(version=self.version).set(1)

    def current(self) -> Rules:
        current = self.watcher.current()
        if current.version != self.version:  # reloaded: the gauge names the version in force
            self.metrics.rules_info.remove(self.version)
            self.metrics.rules_info.labels(version=current.version).set(1)
            self.version = current.version
        last_error = self.watcher.last_error
        if last_error and last_error != self.error:
            self.metrics.rules_reload_failures.inc()
            log.warning("rules file refused, the rules in force stay: %s", last_error)
        self.error = last_error
        return current


class Handlers:
    """Each agent's handling of one event: True when the event may be acknowledged now."""

    def __init__(
        self,
        *,
        metrics: Metrics,
        topics: Topics,
        outputs: Outputs,
        dead_letters: DeadLetters,
        index: DedupIndex,
        rules: RulesInForce,
        window: DeliveryWindow,
    ) -> None:
        self.metrics = metrics
        self.topics = topics
        self.outputs = outputs
        self.dead_letters = dead_letters
        self.index = index
        self.rules = rules
        self.window = window
        # CPU time of each stage's own work (on the event loop's thread: what other tasks do while a handler
        # waits for the broker is not counted)
        self._cpu = {stage: metrics.stage_cpu_seconds.labels(stage=stage) for stage in STAGES}

    async def parse(self, manual: ManualStream, event: Any) -> bool:
        self.metrics.received.labels(stage="parse").inc()
        started, cpu = time.perf_counter(), time.thread_time()
        message = event.message
        lead_in = False
        try:
            headers = {k: v for k, v in (message.headers or [])}
            # a replay's lead-in (``replay --lead-in``): the mark counts only on a replayed message
            lead_in = HEADER_REPLAY_LEAD_IN in headers and HEADER_REPLAY_TOPIC in headers
            parsed = parse_and_tag(message.value, meta_from_headers(headers, message.key))
            rules = self.rules.current()
            for article in parsed:  # decided where the work scales; the route stage keeps it if the rules stand
                with contextlib.suppress(Exception):  # the route stage decides again, and dead-letters a failure
                    article.decision = decide(article, rules)
            fp_headers = [fingerprint_headers(article) for article in parsed]  # dedup's, made where it scales
            if lead_in:  # for dedup's state alone
                fp_headers = [[*found, (HEADER_REPLAY_LEAD_IN, b"1")] for found in fp_headers]
            origin = origin_of(message.topic, message.partition, message.offset, headers)
            payloads = []
            for item, article in enumerate(parsed):
                article.origin.update(origin, item=item)
                payloads.append(article.dumps())
        except Exception as exc:
            self._cpu["parse"].inc(time.thread_time() - cpu)
            if lead_in:  # another run's range: that run dead-letters it
                self.metrics.lead_in.labels(stage="parse", outcome="skipped").inc()
                where = (message.topic, message.partition, message.offset)
                log.warning("lead-in message %s[%s]@%s not parsed (left to its own run): %s", *where, exc)
                return True
            await self.dead_letters.send("parse", event, exc)
            return True
        for article in parsed:
            self.metrics.parsed.labels(format=article.format).inc()
        self._cpu["parse"].inc(time.thread_time() - cpu)
        try:
            deliveries = []
            for payload, fp_header in zip(payloads, fp_headers, strict=True):
                deliveries.append(await self.outputs.send(self.topics.articles, DEDUP_KEY, payload, fp_header))
            await asyncio.gather(*deliveries)  # all of a feed's items in flight at once, in order on one partition
        except Exception as exc:
            await self.dead_letters.output_failed("parse", event, exc)
            return True
        self.metrics.stage_seconds.labels(stage="parse").observe(time.perf_counter() - started)
        return True

    async def dedup(self, manual: ManualStream, event: Any) -> bool:
        self.window.raise_if_failed()
        self.metrics.received.labels(stage="dedup").inc()
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            headers = dict(event.message.headers or ())
            if HEADER_REPLAY_LEAD_IN in headers:
                return self._learn(event, headers, cpu)
            article = Article.loads(event.message.value)
            verdict = self._check(article, headers)
            article.dedup = verdict.as_dict()
            story = None if verdict.duplicate else self.index.story_record(verdict.story)
            payload = article.dumps()
            # the story's summary changed (or is sent again for a redelivered report)
            summary = None if story is None else story_summary(verdict.story, story)
            summary_bytes = None if summary is None else dumps_summary(summary)
            # the stories merged into it: their summaries say which story holds their reports now
            merged = (
                [
                    (merged_id.encode(), dumps_summary(merged_summary(merged_id, verdict.story, story["t"])))
                    for merged_id in self.index.merged
                ]
                if story is not None
                else []
            )
        except Exception as exc:
            self._cpu["dedup"].inc(time.thread_time() - cpu)
            await self.dead_letters.send("dedup", event, exc)
            return True
        self._cpu["dedup"].inc(time.thread_time() - cpu)
        if verdict.duplicate:
            self.metrics.duplicates.labels(kind=verdict.kind or "near").inc()
        target = self.topics.duplicates if verdict.duplicate else self.topics.unique
        delivery = await self.outputs.send(target, article.id.encode(), payload)
        if summary is not None and summary_bytes is not None:
            sent = await self.outputs.send(self.topics.stories, verdict.story.encode(), summary_bytes)
            delivery = asyncio.gather(delivery, sent)  # the event is acknowledged once all are delivered
            for key, marked in merged:
                delivery = asyncio.gather(delivery, await self.outputs.send(self.topics.stories, key, marked))
                self.metrics.story_events.labels(event="merged").inc()
            if self.index.joined is not None:
                self.metrics.story_events.labels(event=self.index.joined).inc()
                self.metrics.story_size.observe(summary["reports"])
        await self.window.add(manual, event, delivery)
        self.metrics.stage_seconds.labels(stage="dedup").observe(time.perf_counter() - started)
        return False  # acknowledged once its output is delivered

    def _learn(self, event: Any, headers: dict[str, bytes], cpu: float) -> bool:
        """A lead-in article (``replay --lead-in``): into the index's state as any article, nothing published:
        the run of the range it belongs to publishes it. Acknowledged at once (out of order is safe)."""
        message = event.message
        try:
            self._check(Article.loads(message.value), headers)
        except Exception as exc:
            self.metrics.lead_in.labels(stage="dedup", outcome="skipped").inc()
            where = (message.topic, message.partition, message.offset)
            log.warning("lead-in article %s[%s]@%s not learnt (left to its own run): %s", *where, exc)
        else:
            self.metrics.lead_in.labels(stage="dedup", outcome="learnt").inc()
        finally:
            self._cpu["dedup"].inc(time.thread_time() - cpu)
        return True

    def _check(self, article: Article, headers: dict[str, bytes]) -> Verdict:
        """The index's verdict, with what the parse stage sent in ``headers`` (decoded only if needed)."""
        return self.index.check(
            article,
            functools.partial(fingerprint_from_headers, headers, article),
            route=self._route_name(article),
            story_bags=functools.partial(bags_from_headers, headers, article),
        )

    def _route_name(self, article: Article) -> str | None:
        """The route the article's report takes, for its story's summary: the parse stage's decision (the
        route stage decides again if the rules changed since); decided here for an article without one."""
        decision = article.decision
        if not decision:
            try:
                decision = decide(article, self.rules.current())
            except Exception:  # the route stage dead-letters what it cannot route; the story lacks the route
                return None
        return str(decision.get("route") or "") or None

    async def route(self, manual: ManualStream, event: Any) -> bool:
        self.metrics.received.labels(stage="route").inc()
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            article = Article.loads(event.message.value)
            topic, article = route(article, self.rules.current(), self.topics)
            payload = article.dumps()
        except Exception as exc:
            self._cpu["route"].inc(time.thread_time() - cpu)
            await self.dead_letters.send("route", event, exc)
            return True
        self._cpu["route"].inc(time.thread_time() - cpu)
        try:
            await self.outputs.deliver(topic, article.id.encode(), payload)
        except Exception as exc:
            await self.dead_letters.output_failed("route", event, exc)
            return True
        decision = article.decision
        lang = language_label(article.lang)
        self.metrics.routed.labels(route=decision["route"], lang=lang).inc()
        if decision["review"]:
            self.metrics.review.labels(lang=lang).inc()
        self.metrics.stage_seconds.labels(stage="route").observe(time.perf_counter() - started)
        observe_end_to_end(self.metrics, article)
        return True


def install_agents(app: faust.App, settings: Settings, handlers: Handlers, acks: Acknowledger) -> None:
    """Register the three agents, each acknowledging its events by hand through ``acks``."""
    topics = settings.topics
    raw = app.topic(topics.raw, key_type=bytes, value_type=bytes, value_serializer="raw", key_serializer="raw")

    @app.agent(raw, name="parse", concurrency=settings.concurrency)
    async def parse_agent(stream: Any) -> None:
        await acks.each_event(stream.noack(), handlers.parse)

    @app.agent(handlers.outputs.topic(topics.articles), name="dedup")
    async def dedup_agent(stream: Any) -> None:
        await acks.each_event(stream.noack(), handlers.dedup)

    @app.agent(handlers.outputs.topic(topics.unique), name="route", concurrency=settings.concurrency)
    async def route_agent(stream: Any) -> None:
        await acks.each_event(stream.noack(), handlers.route)


def observe_end_to_end(metrics: Metrics, article: Article) -> None:
    try:
        fetched = datetime.fromisoformat(article.fetched_at.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return
    delay = time.time() - fetched
    if 0 <= delay < 86_400:
        metrics.end_to_end_seconds.observe(delay)

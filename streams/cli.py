"""``python -m streams`` (also the ``streams`` console script): the worker and the offline tools.

worker                     run the Faust worker: all agents, web port with /metrics /healthz /readyz
ingest --feeds FILE        poll feeds (conditional GET, retries) and publish each new item once
    produce PATH... [--topic]  publish files (RSS/Atom, HTML, text, JSON, JSONL) to the raw topic
parse PATH...              parse files or folders without Kafka; one JSON line per article, with its path
classify [PATH|-]          parse + tag + route without Kafka; one JSON line per article
dedup [PATH|-]             the dedup logic over JSONL, in order; one JSON line per input
topics                     create the pipeline's topics (the worker does this too)
stories [--since 6h] [--route R] [--limit N]  the current stories from the stories topic, as a table
demo                       the whole pipeline on the bundled samples, with a readable result
config                     print the settings in force (secrets masked)
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import orjson

from streams.errors import ParseError, StreamsError
from streams.settings import Settings

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="streams", description=__doc__.split("\n\n")[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker", help="run the Faust worker (started again by itself after a failure)")
    worker.add_argument("--loglevel", default=None, help="debug, info, warn, error (default STREAMS_LOG_LEVEL)")
    worker.add_argument(
        "--no-restart",
        action="store_true",
        help="run the Faust worker in this process and exit when it fails (for a process manager that restarts it)",
    )
    produce = sub.add_parser("produce", help="publish files to the raw topic")
    produce.add_argument("paths", nargs="+", type=Path)
    produce.add_argument("--topic", default=None, help="default: the raw topic (news.raw)")
    parse = sub.add_parser("parse", help="parse files without Kafka: one JSON line per article, with its path")
    parse.add_argument("paths", nargs="+", help="files (RSS/Atom, HTML, JSON, JSONL, text), folders, or '-' for stdin")
    parse.add_argument(
        "--extract",
        choices=["auto", "fast", "standard"],
        default="auto",
        help="HTML main text: auto (in use), trafilatura fast, or standard (the former reading)",
    )
    classify = sub.add_parser("classify", help="parse + tag + route without Kafka")
    classify.add_argument("input", nargs="*", default=["-"], help="JSONL of articles, '-' for stdin, or files")
    classify.add_argument("--rules", type=Path, default=None, help="a rules file (default: STREAMS_RULES or shipped)")
    classify.add_argument("--full", action="store_true", help="print whole records, not the summary")
    dedup = sub.add_parser("dedup", help="dedup verdicts over JSONL, in order")
    dedup.add_argument("input", nargs="?", default="-")
    ingest = sub.add_parser("ingest", help="poll feeds and publish new items to the raw topic")
    ingest.add_argument("--feeds", type=Path, required=True, help="YAML list of feeds (ops/feeds.example.yaml)")
    ingest.add_argument("--once", action="store_true", help="poll each feed once and exit")
    ingest.add_argument("--metrics-port", type=int, default=None, help="serve /metrics on this port")
    replay = sub.add_parser("replay", help="re-publish a time range of a topic into a backfill run")
    replay.add_argument("--topic", default=None, help="source topic (default: the raw topic)")
    replay.add_argument("--from", dest="start", required=True, help="ISO 8601 start (inclusive)")
    replay.add_argument("--to", dest="end", default=None, help="ISO 8601 end (exclusive; default: now)")
    where = replay.add_mutually_exclusive_group()
    where.add_argument("--target", default="backfill", help="backfill run name: publishes to NAME.<topic>")
    where.add_argument("--into", default=None, help="publish into exactly this topic")
    replay.add_argument(
        "--lead-in",
        default=None,
        help="also replay this long before --from (7d: the dedup time-to-live), for dedup's state only: "
        "a backfill split into slices run side by side",
    )
    replay.add_argument(
        "--slices",
        type=int,
        default=1,
        help="cut --from..--to into this many consecutive slices of equal time, each replayed into a run of "
        "its own (NAME-1, NAME-2, ...); give them a --lead-in",
    )
    replay.add_argument("--rate", type=float, default=None, help="at most this many messages per second")
    replay.add_argument("--dry-run", action="store_true", help="show the plan, publish nothing")
    replay.add_argument("--restart", action="store_true", help="ignore the checkpoint of a previous run")
    offsets = sub.add_parser("offsets", help="show or apply an offset reset for a stopped consumer group")
    offsets.add_argument("--group", required=True)
    offsets.add_argument("--topic", action="append", default=[], help="topics to reset (default: the group's)")
    to = offsets.add_mutually_exclusive_group(required=True)
    to.add_argument("--to-datetime", default=None)
    to.add_argument("--to-earliest", action="store_true")
    to.add_argument("--to-latest", action="store_true")
    offsets.add_argument("--execute", action="store_true", help="apply it (refused while the group is live)")
    reroute = sub.add_parser("reroute", help="how a time range would route under other rules (publishes nothing)")
    reroute.add_argument("--from", dest="start", required=True)
    reroute.add_argument("--to", dest="end", required=True)
    reroute.add_argument("--rules", type=Path, required=True, help="the new rules file")
    reroute.add_argument("--topic", default=None, help="default: the unique topic (tagged, before routing)")
    reroute.add_argument("--examples", type=int, default=10)
    sub.add_parser("topics", help="create the pipeline's topics")
    stories = sub.add_parser("stories", help="the current stories (the stories topic) as a table")
    stories.add_argument("--since", default=None, help="only stories last seen within this time: 90m, 6h, 2d")
    stories.add_argument("--route", default=None, help="only stories with a report on this route: syria_diplomacy")
    stories.add_argument("--limit", type=int, default=None, help="at most this many, the most reported first")
    demo = sub.add_parser("demo", help="the whole pipeline on the bundled samples")
    demo.add_argument("--keep", action="store_true", help="leave the demo topics in place (they are unique per run)")
    sub.add_parser("config", help="print the settings in force")
    bench = sub.add_parser("bench", help="measure the stages' speed (offline stages need no broker)")
    bench.add_argument(
        "--stage", choices=["parse", "tag", "dedup", "pipeline", "drain", "scaleout", "all"], default="all"
    )
    bench.add_argument(
        "--articles",
        type=int,
        default=100_000,
        help="articles of state for --stage dedup; raw messages for pipeline, drain, scaleout",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.command == "worker":
            from streams.runtime.worker import run_supervised, run_worker

            if args.no_restart:
                return run_worker(settings, loglevel=args.loglevel)
            return run_supervised(settings, loglevel=args.loglevel)
        logging.basicConfig(
            level=settings.log_level.upper() if settings.log_level != "warn" else "WARNING",
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        logging.getLogger("aiokafka").setLevel(logging.WARNING)  # its INFO lines are noise on a terminal
        if args.command == "produce":
            from streams.tools.produce import messages_from_files, publish

            count = asyncio.run(publish(settings, args.topic or settings.topics.raw, messages_from_files(args.paths)))
            print(f"published {count} message(s) to {args.topic or settings.topics.raw}")
            return 0
        if args.command == "parse":
            return _parse(args.paths, args.extract, sys.stdout)
        if args.command == "classify":
            return _classify(args.input, args.rules or settings.rules_path, args.full, sys.stdout)
        if args.command == "dedup":
            return _dedup(args.input, settings, sys.stdout)
        if args.command == "ingest":
            return _ingest(settings, args.feeds, args.once, args.metrics_port)
        if args.command in {"replay", "offsets", "reroute"}:
            from streams.tools.backfill import run_backfill_command

            return run_backfill_command(args, settings)
        if args.command == "topics":
            from streams.runtime.kafka import ensure_topics

            created = asyncio.run(ensure_topics(settings))
            print(f"created: {', '.join(created) or 'none (all exist)'}")
            return 0
        if args.command == "stories":
            from streams.tools.stories import run_stories

            asyncio.run(run_stories(settings, since=args.since, route=args.route, limit=args.limit))
            return 0
        if args.command == "demo":
            from streams.devtools.demo import run_demo

            return run_demo(settings, keep=args.keep)
        if args.command == "bench":
            from streams.devtools.bench.offline import run_bench
            from streams.stages.parsing.langid import set_accuracy

            set_accuracy(settings.langid_accuracy)  # as the worker does
            if args.stage in ("pipeline", "drain", "scaleout"):
                return _bench_on_broker(settings, args.stage, args.articles if args.articles != 100_000 else 3000)
            for title, numbers in run_bench(args.stage, args.articles, cache_mb=settings.dedup_cache_mb).items():
                print(title)
                for name, value in numbers.items():
                    print(f"  {name:<6} {_figure(value):>10}")
            return 0
        if args.command == "config":
            sys.stdout.write(orjson.dumps(settings.describe(), option=orjson.OPT_INDENT_2).decode() + "\n")
            return 0
    except StreamsError as exc:
        print(f"streams: error: {exc}", file=sys.stderr)
        return 2 if not exc.retriable else 3
    except KeyboardInterrupt:
        return 130
    return 2


def _figure(value: float) -> str:
    """A bench figure as read: counts and rates whole, small figures (milliseconds, ratios) to three
    significant digits."""
    if value == int(value) or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _bench_on_broker(settings: Settings, stage: str, raw_messages: int) -> int:
    if stage == "scaleout":
        from streams.devtools.bench.scaleout import bench_scaleout

        numbers = bench_scaleout(settings, n=raw_messages)
        print("one worker against two on the same backlog, and the backlog in two slices (a run of one worker each)")
    elif stage == "drain":
        from streams.devtools.bench.drain import bench_drain

        numbers = bench_drain(settings, n=raw_messages)
        print("one drain of the backlog (one worker)")
    else:
        from streams.devtools.bench.pipeline import bench_pipeline

        numbers = bench_pipeline(settings, n=raw_messages)
        print("whole pipeline on the broker (one worker)")
    for name, value in numbers.items():
        print(f"  {name:<30} {value:>12,.3f}")
    return 0


def _ingest(settings: Settings, feeds_path: Path, once: bool, metrics_port: int | None) -> int:
    import signal

    from prometheus_client import start_http_server

    from streams.runtime.kafka import ensure_topics
    from streams.runtime.metrics import build_metrics
    from streams.tools.ingest import Poller, load_feeds

    feeds = load_feeds(feeds_path)
    metrics = build_metrics(process=True)
    if metrics_port is not None:
        start_http_server(metrics_port, addr=settings.web_host, registry=metrics.registry)

    async def run() -> int:
        await ensure_topics(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        reports = await Poller(settings, feeds, metrics).run(stop, once=once)
        for report in reports:
            print(f"{report.feed}: {report.outcome}, {report.published} new of {report.items}")
        return 0

    return asyncio.run(run())


def _read_records(inputs: Sequence[str]) -> Iterator[tuple[str, bytes, str | None]]:
    """(label, payload, content type) for each JSONL line on stdin/files, or each non-JSONL file."""
    for name in inputs:
        if name == "-":
            for number, line in enumerate(sys.stdin.buffer, 1):
                if line.strip():
                    yield f"stdin:{number}", line, "application/json"
            continue
        path = Path(name)
        if path.suffix.lower() == ".jsonl":
            with path.open("rb") as handle:
                for number, line in enumerate(handle, 1):
                    if line.strip():
                        yield f"{path.name}:{number}", line, "application/json"
        else:
            yield path.name, path.read_bytes(), None


_CONTENT_TYPES = {
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".html": "text/html",
    ".htm": "text/html",
    ".json": "application/json",
    ".jsonl": "application/x-ndjson",
    ".txt": "text/plain",
}


def _parse(inputs: Sequence[str], extract: str, out: TextIO) -> int:
    """Each file (a folder: each file in it, in name order) parsed whole as the worker parses a raw message;
    one line per article (its full record and ``path``), or one line with ``path``, ``error`` and ``reason``
    for a file that is not articles (as ``classify``, the exit status is 0 either way)."""
    from streams.stages.parsing import RawMeta, parse_payload

    for name in inputs:
        paths = [name] if name == "-" or not Path(name).is_dir() else _files_in(Path(name))
        for path in paths:
            payload = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
            content_type = _CONTENT_TYPES.get(Path(path).suffix.lower()) if path != "-" else None
            try:
                articles = parse_payload(payload, RawMeta(content_type=content_type), extract=extract)
            except ParseError as exc:
                out.write(orjson.dumps({"path": str(path), "error": str(exc), "reason": exc.reason}).decode() + "\n")
                continue
            for article in articles:
                out.write(orjson.dumps({"path": str(path), **article.to_dict()}).decode() + "\n")
    return 0


def _files_in(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def _classify(inputs: Sequence[str], rules_path: Path | None, full: bool, out: TextIO) -> int:
    from streams.stages.parsing import RawMeta
    from streams.stages.pipeline import classify_article, parse_and_tag, summary
    from streams.stages.routing import load_rules

    rules = load_rules(rules_path)
    failures = 0
    for label, payload, content_type in _read_records(inputs):
        try:
            articles = parse_and_tag(payload, RawMeta(content_type=content_type, source=label))
        except ParseError as exc:
            failures += 1
            out.write(_refused(label, payload, content_type, exc))
            continue
        for article in articles:
            classify_article(article, rules)
            record: Any = article if full else summary(article)
            out.write(orjson.dumps(record).decode() + "\n")
    return 0


def _dedup(input_name: str, settings: Settings, out: TextIO) -> int:
    from streams.stages.dedup.index import DedupConfig, DedupIndex
    from streams.stages.parsing import RawMeta
    from streams.stages.pipeline import parse_and_tag

    index = DedupIndex({}, DedupConfig(ttl_seconds=settings.dedup_ttl_seconds))
    shown: dict[str, str] = {}  # internal id -> the id its first input gave, so dup_of and story read alike
    for label, payload, content_type in _read_records([input_name]):
        try:  # tagged as the parse stage does: the story step reads the entities
            articles = parse_and_tag(payload, RawMeta(content_type=content_type, source=label))
        except ParseError as exc:
            out.write(_refused(label, payload, content_type, exc))
            continue
        for item, article in enumerate(articles):
            article.origin.update(topic="input", offset=label, item=item)
            verdict = index.check(article).as_dict()
            own = article.origin.get("given_id") or article.id  # each input line's own id, whatever it copies
            shown.setdefault(article.id, own)
            for field in ("dup_of", "story"):
                if verdict[field]:
                    verdict[field] = shown.get(verdict[field], verdict[field])
            out.write(orjson.dumps({"id": own, **verdict}).decode() + "\n")
    return 0


def _refused(label: str, payload: bytes, content_type: str | None, exc: ParseError) -> str:
    """The output line of an input that is not an article: where it was, its own id if it names one, and why."""
    given: str | None = None
    if content_type == "application/json":
        try:
            value = orjson.loads(payload)
        except orjson.JSONDecodeError:
            value = None
        if isinstance(value, dict) and isinstance(value.get("id"), (str, int)) and not isinstance(value["id"], bool):
            from streams.stages.record import clean_text

            given = clean_text(str(value["id"])).strip() or None
    record = {"input": label, "id": given, "error": str(exc), "reason": exc.reason}
    return orjson.dumps(record).decode() + "\n"

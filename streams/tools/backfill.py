"""The command-line side of replay, offsets and reroute: argument handling and readable output."""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from streams.errors import ConfigError
from streams.settings import Settings
from streams.stages.routing import load_rules
from streams.tools.offsets import apply_reset, plan_reset
from streams.tools.replay import ReplayPlan, parse_time, plan_replay, run_replay, slice_bounds
from streams.tools.reroute import reroute
from streams.tools.stories import parse_since

__all__ = ["run_backfill_command"]


class RateColumn(ProgressColumn):
    """Messages per second for one partition's task."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.0f} msg/s" if task.speed else "- msg/s", style="progress.data.speed")


def run_backfill_command(args: argparse.Namespace, settings: Settings) -> int:
    console = Console()
    if args.command == "replay":
        return asyncio.run(_replay(args, settings, console))
    if args.command == "offsets":
        return asyncio.run(_offsets(args, settings, console))
    return asyncio.run(_reroute(args, settings, console))


async def _replay(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    topic = args.topic or settings.topics.raw
    start_ms = parse_time(args.start)
    end_ms = parse_time(args.end) if args.end else None  # open-ended: up to the end, resumable
    lead_in_ms = round(1000 * parse_since(args.lead_in, "--lead-in")) if args.lead_in else 0
    if args.slices < 1:
        raise ConfigError(f"--slices {args.slices}: give 1 or more")
    if lead_in_ms and args.into is not None:
        raise ConfigError("--lead-in is for a backfill run of its own (--target): what it marks is never published")
    runs: list[str] = [args.target]
    bounds: list[tuple[int, int | None]] = [(start_ms, end_ms)]
    if args.slices > 1:
        if end_ms is None or args.into is not None:
            raise ConfigError("--slices needs --to, and a --target (each slice gets a run of its own)")
        runs = [f"{args.target}-{n}" for n in range(1, args.slices + 1)]
        bounds = [*slice_bounds(start_ms, end_ms, args.slices)]
    if (args.slices > 1 or lead_in_ms) and lead_in_ms < 1000 * settings.dedup_ttl_seconds:
        console.print(
            f"[yellow]warning:[/yellow] a lead-in shorter than the dedup time-to-live "
            f"({settings.dedup_ttl_seconds / 86400:g} days): a slice misses the copies of what came before it"
        )
    plans = [  # all at once, so that the slices meet where one ends and the next begins
        await plan_replay(
            settings, topic, first, last, args.into or f"{run}.{topic}", restart=args.restart, lead_in_ms=lead_in_ms
        )
        for run, (first, last) in zip(runs, bounds, strict=True)
    ]
    for plan in plans:
        await _show_and_publish(plan, args, settings, console)
    if args.into is None and not args.dry_run:
        for run in runs:
            console.print(f"run the backfill pipeline with STREAMS_TOPIC_PREFIX={run}. STREAMS_APP_ID={run}")
    return 0


async def _show_and_publish(plan: ReplayPlan, args: argparse.Namespace, settings: Settings, console: Console) -> None:
    """Show the plan, and publish it unless it is a dry run."""
    until = "its end" if plan.end_ms is None else _iso(plan.end_ms)
    table = Table(title=f"replay {plan.topic} -> {plan.target}: {_iso(plan.start_ms)} to {until}")
    for column in ("partition", "from offset", "to offset", "messages", "of them lead-in", "already done"):
        table.add_column(column, justify="right")
    for partition, (first, end) in sorted(plan.ranges.items()):
        done = min(end, max(first, plan.done.get(partition, first))) - first
        row = (partition, first, end, end - first, plan.lead_in(partition), done)
        table.add_row(*map(str, row))
    console.print(table)
    if args.dry_run:
        console.print(f"dry run: {sum(plan.remaining(p) for p in plan.ranges)} message(s) would be published")
        return
    columns = (
        TextColumn("partition {task.fields[partition]}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeRemainingColumn(),
    )
    started = time.monotonic()
    with Progress(*columns, console=console) as progress:
        tasks = {
            p: progress.add_task("", total=end - first, completed=(plan.done.get(p, first) - first), partition=p)
            for p, (first, end) in sorted(plan.ranges.items())
        }
        published = await run_replay(
            settings, plan, rate=args.rate, progress=lambda p, done, total: progress.update(tasks[p], completed=done)
        )
    elapsed = max(time.monotonic() - started, 1e-6)
    console.print(
        f"published {published} message(s) to {plan.target} in {elapsed:.1f}s ({published / elapsed:,.0f} msg/s)"
    )


async def _offsets(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    to = "earliest" if args.to_earliest else "latest" if args.to_latest else None
    to_ms = parse_time(args.to_datetime) if args.to_datetime else None
    changes = await plan_reset(settings, args.group, args.topic, to_ms=to_ms, to=to)
    table = Table(title=f"offset reset for group {args.group}")
    for column in ("topic", "partition", "committed now", "new"):
        table.add_column(column)
    for change in changes:
        table.add_row(change.topic, str(change.partition), str(change.current), str(change.new))
    console.print(table)
    if not args.execute:
        console.print("not applied: add --execute (with the group's workers stopped)")
        return 0
    await apply_reset(settings, args.group, changes)
    console.print(f"applied: {len(changes)} partition(s) of group {args.group} moved")
    return 0


async def _reroute(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    topic = args.topic or settings.topics.unique
    old, new = load_rules(settings.rules_path), load_rules(args.rules)
    report = await reroute(settings, topic, parse_time(args.start), parse_time(args.end), old, new, args.examples)
    console.print(f"read {report.read} article(s) from {topic}; {report.changed} would change route")
    console.print(f"rules in force {old.version} -> new {new.version}")
    for (before, after), count in report.changes.most_common():
        console.print(f"  {before} -> {after}: {count}")
    for example in report.examples:
        console.print(f"  e.g. {example['id'][:10]} {example['from']} -> {example['to']}: {example['title']}")
    return 0


def _iso(epoch_ms: int) -> str:
    """An epoch in milliseconds as ISO 8601 UTC, to the millisecond where it has any (as ``--from`` takes it)."""
    timespec = "milliseconds" if epoch_ms % 1000 else "seconds"
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat(timespec=timespec).replace("+00:00", "Z")

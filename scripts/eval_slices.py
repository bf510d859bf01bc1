#!/usr/bin/env python3
"""A backfill in slices against one run: the same verdicts? (``replay --lead-in``, ``docs/operations.md``)

    python scripts/eval_slices.py [--articles 20000] [--per-day 1000] [--slices 2 4 8] [--lead-in-days 7]

A dense synthetic stream with known events and edited copies (``bench --stage dedup``'s, with hot names; each
article fetched when published) runs through the dedup index once, and then cut into consecutive slices, each
through an index of its own after its lead-in (``streams.devtools.slices``). Both sweep their state once a day
of the stream, as the worker's sweeper does, so the word counts are those of the live records in both.
Printed per run: copies found and false duplicates, story pairs precision and recall against the events, and
against the one run: the articles given the same verdict (duplicate, and of which article) and the story pairs
of the one run found again (and the sliced run's pairs that the one run has).

No development set stands in here: they are sparse (a few hundred reports over years, one fetch time) and a
backfill in slices is for dense streams; on them the one run's word counts are of every earlier report.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any

from streams.devtools.bench.dedupstate import pairs_within, score_stream
from streams.devtools.bench.synthetic import Report, synthetic_stream
from streams.devtools.slices import run_in_slices
from streams.stages.dedup.index import DedupIndex
from streams.stages.dedup.storystep import followed

DAY = 86_400.0


def run_once(reports: Sequence[Report]) -> dict[str, dict[str, Any]]:
    """Verdicts of ``reports`` through one fresh index over a dict, swept at each new day of the stream; each
    story the one that holds it at the end (stories merged since)."""
    state: dict[str, Any] = {}
    index = DedupIndex(state)
    verdicts: dict[str, dict[str, Any]] = {}
    merged_into: dict[str, str] = {}
    swept_day = None
    for report in reports:
        verdict = verdicts[report.article.id] = index.check(report.article).as_dict()
        merged_into.update(dict.fromkeys(index.merged, verdict["story"]))
        day = int((index.clock or 0.0) // DAY)
        if day != swept_day:
            index.sweep(list(state.items()), index.clock or 0.0)
            swept_day = day
    for verdict in verdicts.values():
        verdict["story"] = followed(merged_into, verdict["story"])
    return verdicts


def agreement(one: dict[str, dict[str, Any]], other: dict[str, dict[str, Any]]) -> dict[str, float]:
    """How far ``other`` gives ``one``'s verdicts: the same copy verdict, and story pairs of new articles."""
    same_verdict = sum(
        (one[i]["duplicate"], one[i]["dup_of"]) == (other[i]["duplicate"], other[i]["dup_of"]) for i in one
    )
    new = [i for i in one if not one[i]["duplicate"] and not other[i]["duplicate"]]
    both = pairs_within(Counter((one[i]["story"], other[i]["story"]) for i in new))
    pairs_one, pairs_other = (
        pairs_within(Counter(one[i]["story"] for i in new)),
        pairs_within(Counter(other[i]["story"] for i in new)),
    )
    return {
        "same copy verdict": same_verdict / len(one),
        "one run's story pairs found": both / pairs_one if pairs_one else 1.0,
        "pairs also in the one run": both / pairs_other if pairs_other else 1.0,
    }


def scores(reports: Sequence[Report], verdicts: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Copies found, false duplicates and story pairs against the stream's events (``bench --stage dedup``'s)."""
    rows = ((r.event, r.copy_of, verdicts[r.article.id]["duplicate"], verdicts[r.article.id]["story"]) for r in reports)
    return score_stream(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--per-day", type=float, default=1_000.0)
    parser.add_argument("--slices", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--lead-in-days", type=float, default=7.0)
    args = parser.parse_args()
    reports = list(synthetic_stream(args.articles, hot=True, per_day=args.per_day))
    times = [i * DAY / args.per_day for i in range(len(reports))]  # as the stream publishes them
    print(f"{len(reports):,} articles over {len(reports) / args.per_day:.0f} days; lead-in {args.lead_in_days:g} days")
    one = run_once(reports)
    runs = {"one run": one}
    for count in args.slices:
        runs[f"{count} slices"] = run_in_slices(
            reports, times, count, args.lead_in_days * DAY, run_once, lambda report: report.article.id
        )
    table = {name: {**scores(reports, verdicts), **agreement(one, verdicts)} for name, verdicts in runs.items()}
    measures = list(next(iter(table.values())))
    print(f"{'':34}" + "".join(f"{name:>14}" for name in table))
    for measure in measures:
        print(f"{measure:34}" + "".join(f"{table[name][measure]:>14.4f}" for name in table))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Dedup and story quality on the near-duplicate set mixed with the labelled set as distractors.

    python scripts/eval_dedup.py [--neardup PATH] [--labelled PATH] [--errors]

Prints: recall of copies (syndicated copies and same-outlet duplicates: every row after the first of its
group must be a duplicate of an earlier row of that group); the false-duplicate rate among distinct stories
(a row marked as a duplicate of a row of another story; distractors are each a story of their own); how many
separately written reports were marked duplicates of their own story (some such pairs in the set are word
for word the same text); and pairwise precision, recall and F1 of same-story links. Runs the code the
worker runs (``DedupIndex`` over a dict), in publication order.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import replace
from pathlib import Path

import orjson

from streams.stages.dedup.index import DedupConfig, DedupIndex
from streams.stages.parsing import RawMeta, parse_payload
from streams.stages.tagging.tagger import tag

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dev"
COPY_TYPES = {"syndicated_copy", "same_outlet_duplicate"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--neardup", type=Path, default=DATA / "neardup.jsonl")
    parser.add_argument("--labelled", type=Path, default=DATA / "labelled.jsonl")
    parser.add_argument("--errors", action="store_true")
    parser.add_argument("--near", type=float, default=None, help="override the near-duplicate Jaccard threshold")
    parser.add_argument("--containment", type=float, default=None, help="override the containment threshold")
    args = parser.parse_args()
    if not args.neardup.exists():
        print(f"no data at {args.neardup}", file=sys.stderr)
        return 2
    rows = [orjson.loads(line) for line in args.neardup.read_bytes().splitlines() if line.strip()]
    seen = {r["id"] for r in rows}
    rows += [
        {**r, "group": None}
        for r in (orjson.loads(x) for x in args.labelled.read_bytes().splitlines() if x.strip())
        if r["id"] not in seen
    ]
    rows.sort(key=lambda r: (str(r.get("published") or ""), r["id"]))
    config = DedupConfig()
    if args.near is not None:
        config = replace(config, near_threshold=args.near)
    if args.containment is not None:
        config = replace(config, containment_threshold=args.containment)
    index = DedupIndex({}, config)
    verdicts, groups, types = {}, {}, {}
    internal_to_row: dict[str, str] = {}
    for offset, row in enumerate(rows):
        payload = {k: row.get(k) for k in ("title", "body", "url", "published")}
        (article,) = parse_payload(orjson.dumps(payload), RawMeta(content_type="application/json"))
        article.tags = tag(article.title, article.body)
        article.origin = {"topic": "eval", "partition": 0, "offset": offset, "item": 0}
        # one fetch time for all: the set's publication dates span years, and the time-to-live (unit-tested
        # on its own) would otherwise decide instead of the similarity measures under evaluation
        article.fetched_at = "2026-11-29T12:00:00.000Z"
        verdict = index.check(article).as_dict()
        internal_to_row.setdefault(article.id, row["id"])
        verdict["dup_of"] = internal_to_row.get(verdict["dup_of"], verdict["dup_of"])
        verdict["story"] = internal_to_row.get(verdict["story"], verdict["story"])
        verdicts[row["id"]], groups[row["id"]], types[row["id"]] = verdict, row.get("group"), row.get("dup_type")

    first_of_group: set[str] = set()
    copies, found, not_copies, false_dups, errors = 0, 0, 0, 0, []
    same_story_dups = 0
    for row in rows:
        rid, group = row["id"], groups[row["id"]]
        is_copy = group is not None and types[rid] in COPY_TYPES and group in first_of_group
        if group is not None:
            first_of_group.add(group)
        v = verdicts[rid]
        if is_copy:
            copies += 1
            ok = v["duplicate"] and groups.get(v["dup_of"]) == group
            found += ok
            if not ok:
                errors.append(f"missed copy {rid} (group {group}): {v}")
        else:
            not_copies += 1
            if v["duplicate"] and (group is None or groups.get(v["dup_of"]) != group):
                false_dups += 1
                errors.append(f"false duplicate {rid} (group {group}, {types[rid]}): {v}")
            elif v["duplicate"]:
                same_story_dups += 1
    ids = [r["id"] for r in rows]
    gold = {(a, b) for a, b in itertools.combinations(ids, 2) if groups[a] is not None and groups[a] == groups[b]}
    predicted = {(a, b) for a, b in itertools.combinations(ids, 2) if verdicts[a]["story"] == verdicts[b]["story"]}
    tp = len(gold & predicted)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(gold) if gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    cross = {(a, b) for a, b in gold if _lang(rows, a) != _lang(rows, b)}
    print(
        f"rows {len(rows)} (groups {len({g for g in groups.values() if g is not None})}, distractors "
        f"{sum(g is None for g in groups.values())})"
    )
    print(f"copies found:        {found}/{copies} = {found / max(copies, 1):.3f}")
    print(f"false duplicates:    {false_dups}/{not_copies} = {false_dups / max(not_copies, 1):.3f}  (across stories)")
    print(f"reports of one story marked duplicates of each other: {same_story_dups}")
    print(
        f"same-story pairs:    P {precision:.3f}  R {recall:.3f}  F1 {f1:.3f}  (gold {len(gold)}, predicted "
        f"{len(predicted)}, cross-language gold {len(cross)}, linked {len(cross & predicted)})"
    )
    if args.errors:
        for line in errors:
            print("  " + line)
        for a, b in sorted(gold - predicted):
            print(f"  unlinked same-story pair {a} {b} (group {groups[a]})")
        for a, b in sorted(predicted - gold):
            print(f"  wrongly linked {a} {b}")
    return 0


def _lang(rows: list[dict], rid: str) -> str:  # type: ignore[type-arg]
    return next(str(r.get("lang")) for r in rows if r["id"] == rid)


if __name__ == "__main__":
    sys.exit(main())

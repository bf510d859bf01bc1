#!/usr/bin/env python3
"""Precision, recall and F1 of the Syria-diplomacy route on a labelled JSONL set, per language, with errors.

    python scripts/eval_routing.py [../shared/data/dev/labelled.jsonl] [--rules FILE] [--errors]

Each line needs ``syria`` and ``diplomacy`` labels; the gold route is syria_diplomacy when both are true.
An item routed to review counts as not routed (a miss if it was positive): review is not a guess.
Runs exactly the code ``streams classify`` runs.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import orjson

from streams.stages.parsing import RawMeta
from streams.stages.pipeline import classify_article, parse_and_tag
from streams.stages.routing import load_rules

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dev" / "labelled.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--rules", type=Path, default=None)
    parser.add_argument("--errors", action="store_true", help="list every error with its why")
    args = parser.parse_args()
    if not args.path.exists():
        print(f"no labelled set at {args.path}", file=sys.stderr)
        return 2
    rules = load_rules(args.rules)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    errors = []
    for line in args.path.read_bytes().splitlines():
        if not line.strip():
            continue
        item = orjson.loads(line)
        (article,) = parse_and_tag(line, RawMeta(content_type="application/json"))
        classify_article(article, rules)
        gold = bool(item.get("syria")) and bool(item.get("diplomacy"))
        decision = article.decision
        predicted = decision["route"] == "syria_diplomacy"
        for key in (item.get("lang", "?"), "all"):
            c = counts[key]
            c["tp" if gold and predicted else "fp" if predicted else "fn" if gold else "tn"] += 1
            c["review"] += decision["review"]
            c["syria_ok"] += decision["syria"] == bool(item.get("syria"))
            c["n"] += 1
        if gold != predicted:
            errors.append((item, decision))
    print(f"rules {rules.version}; {args.path}")
    header = ("n", "P", "R", "F1", "tp", "fp", "fn", "review", "syria acc")
    print("lang  " + " ".join(f"{h:>9}" for h in header))
    for lang in sorted(counts, key=lambda k: (k == "all", k)):
        c = counts[lang]
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        row = (c["n"], f"{p:.3f}", f"{r:.3f}", f"{f1:.3f}", c["tp"], c["fp"], c["fn"], c["review"])
        accuracy = c["syria_ok"] / c["n"]
        print(f"{lang:<5} " + " ".join(f"{v:>9}" for v in row) + f" {accuracy:>9.3f}")
    print(f"\nerrors: {len(errors)}")
    for item, decision in errors:
        kind = "FP" if decision["route"] == "syria_diplomacy" else "FN"
        scores = decision["scores"]
        labels = f"({item.get('syria')},{item.get('diplomacy')})"
        title = (item.get("title") or "")[:70]
        print(
            f"  {kind} {item['id']} [{item.get('lang')}] route={decision['route']} "
            f"syria={scores['syria']:.2f} dip={scores['diplomacy']:.2f} gold={labels} {title}"
        )
        if args.errors:
            why = decision["why"]
            syria_ids = [e["id"] for e in why["syria"]["entities"]]
            actors = [a["id"] for a in why["diplomacy"]["actors"]]
            print(f"     syria: {syria_ids} passing={why['syria']['passing_mention']}")
            print(f"     dip+: {why['diplomacy']['signals']} actors={actors}")
            print(f"     dip-: {why['diplomacy']['against']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

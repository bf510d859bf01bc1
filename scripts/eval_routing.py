#!/usr/bin/env python3
"""Precision, recall and F1 of the Syria-diplomacy route on a labelled JSONL set: a tuning half and a check half.

    python scripts/eval_routing.py [../shared/data/dev/labelled.jsonl] [--rules FILE] [--errors tuning|check|both]
                                   [--reliability] [--held-out [FILE ...]] [--fit-calibration] [--sweep-margin]

The set is split with a fixed seed into a tuning half (where rules, cues, weights and thresholds are chosen) and a
check half (only read to see whether the method generalises), stratified by language and gold label. Both halves
are printed side by side, per language, with the share of articles sent to review and a naive keyword floor
(Syria named anywhere AND any diplomacy term anywhere, with the same lexicon). A check half well below the tuning
half means the method is fitted to the tuning items.

Each line needs ``syria`` and ``diplomacy`` labels; the gold route is syria_diplomacy when both are true.
An item routed to review counts as not routed (a miss if it was positive): review is not a guess.
Runs exactly the code ``streams classify`` runs.

``--reliability`` prints, per half, how often the scores' claims come true (bins of the syria, diplomacy and
joint probability against the gold labels). ``--held-out`` also scores other labelled files whole (by default
the development set's ``stories.jsonl`` and ``neardup.jsonl``, never read while tuning). ``--fit-calibration``
fits the two Platt scalings on the tuning half and writes them to ``streams/data/calibration.yaml``;
``--sweep-margin`` shows the review share per review margin on the tuning half, where the margin is chosen.
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from streams.stages.parsing import RawMeta
from streams.stages.pipeline import classify_article, parse_and_tag
from streams.stages.routing import Rules, load_rules

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "dev" / "labelled.jsonl"
CALIBRATION = ROOT / "streams" / "data" / "calibration.yaml"
SEED = 20261130  # fixed: the halves must not change from run to run
HALVES = ("tuning", "check")
BINS = (0.0, 0.05, 0.2, 0.4, 0.6, 0.8, 0.95, 1.0001)
HELD_OUT = ("stories.jsonl", "neardup.jsonl")  # labelled too, other items; never read while tuning
MARGINS = (0.025, 0.05, 0.075, 0.1, 0.125, 0.15)
REVIEW_AIM = 0.04
PRIOR = 4.0  # weight of the calibration's prior (about four articles' worth of evidence at the threshold)


@dataclass
class Result:
    item: dict[str, Any]
    decision: dict[str, Any]
    raw: dict[str, float]  # the uncalibrated logits
    naive: bool

    @property
    def gold(self) -> bool:
        return bool(self.item.get("syria")) and bool(self.item.get("diplomacy"))

    @property
    def routed(self) -> bool:
        return bool(self.decision["route"] == "syria_diplomacy")


def split(items: list[dict[str, Any]], seed: int = SEED) -> dict[str, list[dict[str, Any]]]:
    """Two halves, stratified by language and gold route; odd strata alternate which half gets the extra."""
    strata: dict[tuple[str, bool], list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        gold = bool(item.get("syria")) and bool(item.get("diplomacy"))
        strata[(str(item.get("lang", "?")), gold)].append(item)
    rng = random.Random(seed)
    halves: dict[str, list[dict[str, Any]]] = {"tuning": [], "check": []}
    extra = 0
    for key in sorted(strata):
        group = sorted(strata[key], key=lambda i: str(i["id"]))
        rng.shuffle(group)
        cut = len(group) // 2
        if len(group) % 2:
            cut += extra
            extra = 1 - extra
        halves["tuning"].extend(group[:cut])
        halves["check"].extend(group[cut:])
    return halves


def naive(tags: dict[str, Any]) -> bool:
    """The keyword floor: Syria named anywhere and any diplomacy term anywhere."""
    syria = any(e["id"] == "country.SY" for e in tags.get("entities", []))
    return syria and any(t["kind"] == "diplomacy" for t in tags.get("topics", {}).values())


def evaluate(items: list[dict[str, Any]], rules: Rules) -> list[Result]:
    from streams.stages.routing.decide import raw_logits

    results = []
    for item in items:
        (article,) = parse_and_tag(orjson.dumps(item), RawMeta(content_type="application/json"))
        classify_article(article, rules)
        results.append(Result(item, article.decision, raw_logits(article.tags, article.lang), naive(article.tags)))
    return results


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _counts(results: list[Result]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in results:
        for key in (str(r.item.get("lang", "?")), "all"):
            c = counts[key]
            c["n"] += 1
            c["tp"] += r.gold and r.routed
            c["fp"] += r.routed and not r.gold
            c["fn"] += r.gold and not r.routed
            c["pos"] += r.gold
            c["review"] += bool(r.decision["review"])
            c["btp"] += r.gold and r.naive
            c["bfp"] += r.naive and not r.gold
            c["bfn"] += r.gold and not r.naive
    return counts


def print_table(by_half: dict[str, list[Result]]) -> None:
    counts = {half: _counts(results) for half, results in by_half.items()}
    langs = sorted(set(counts["tuning"]) | set(counts["check"]), key=lambda k: (k == "all", k))
    cols = ("n", "pos", "P", "R", "F1", "fp", "fn", "review", "naive P", "naive R", "naive F1")
    print(" " * 6 + "".join(f"{half:^{9 * len(cols)}}" for half in HALVES))
    print("lang  " + "".join(f"{c:>9}" for c in cols) * 2)
    for lang in langs:
        row: list[object] = []
        for half in HALVES:
            c = counts[half].get(lang)
            if not c:
                row.extend(["-"] * len(cols))
                continue
            p, r, f1 = _prf(c["tp"], c["fp"], c["fn"])
            bp, br, bf1 = _prf(c["btp"], c["bfp"], c["bfn"])
            review = f"{100 * c['review'] / c['n']:.1f}%"
            row.extend([c["n"], c["pos"], f"{p:.3f}", f"{r:.3f}", f"{f1:.3f}", c["fp"], c["fn"], review])
            row.extend([f"{bp:.3f}", f"{br:.3f}", f"{bf1:.3f}"])
        print(f"{lang:<6}" + "".join(f"{v:>9}" for v in row))
    gap = (
        _prf(*(counts["tuning"]["all"][k] for k in ("tp", "fp", "fn")))[2]
        - _prf(*(counts["check"]["all"][k] for k in ("tp", "fp", "fn")))[2]
    )
    verdict = "fitted: fix the method" if gap > 0.03 else "within 0.03"
    print(f"\nF1 tuning - check = {gap:+.3f} ({verdict})")


def print_errors(results: list[Result], half: str, verbose: bool) -> None:
    errors = [r for r in results if r.gold != r.routed]
    print(f"\n{half}: {len(errors)} errors")
    for r in errors:
        item, decision = r.item, r.decision
        kind = "FP" if r.routed else "FN"
        s = decision["scores"]
        labels = f"({item.get('syria')},{item.get('diplomacy')})"
        title = (item.get("title") or "")[:70]
        print(
            f"  {kind} {item['id']} [{item.get('lang')}] route={decision['route']} "
            f"syria={s['syria']:.2f} dip={s['diplomacy']:.2f} gold={labels} {title}"
        )
        if verbose:
            why = decision["why"]
            syria_ids = [e["id"] for e in why["syria"]["entities"]]
            actors = [a["id"] for a in why["diplomacy"]["actors"]]
            print(f"     syria: {syria_ids} passing={why['syria']['passing_mention']}")
            print(f"     dip+: {why['diplomacy']['signals']} actors={actors}")
            print(f"     dip-: {why['diplomacy']['against']}")


def reliability(results: list[Result], half: str) -> None:
    """Per score, per bin: how many articles, the mean probability claimed, and the share truly positive."""
    print(f"\nreliability, {half} half ({len(results)} articles)")
    claims = {
        "syria": [(r.decision["scores"]["syria"], bool(r.item.get("syria"))) for r in results],
        "diplomacy | syria": [
            (r.decision["scores"]["diplomacy"], bool(r.item.get("diplomacy"))) for r in results if r.item.get("syria")
        ],
        "syria-diplomacy": [
            (r.decision["scores"]["syria"] * r.decision["scores"]["diplomacy"], r.gold) for r in results
        ],
    }
    for name, pairs in claims.items():
        cells = []
        for low, high in itertools.pairwise(BINS):
            inside = [(p, y) for p, y in pairs if low <= p < high]
            if inside:
                mean = sum(p for p, _ in inside) / len(inside)
                true = sum(y for _, y in inside) / len(inside)
                cells.append(f"[{low:.2f},{min(high, 1):.2f}) n={len(inside)} p={mean:.2f} true={true:.2f}")
        brier = sum((p - y) ** 2 for p, y in pairs) / max(len(pairs), 1)
        print(f"  {name} (Brier {brier:.3f})")
        for cell in cells:
            print(f"    {cell}")


def platt(pairs: list[tuple[float, bool]], prior: float = PRIOR, steps: int = 200) -> tuple[float, float]:
    """``(a, b)`` of ``p = sigmoid(a * x + b)``, the maximum a posteriori fit (Newton's method, Platt's smoothed
    targets) under a Gaussian prior of weight ``prior`` around ``a = 1, b = 0``: the logits' own scale and
    threshold, which the few articles near the threshold should not move alone."""
    positives = sum(y for _, y in pairs)
    negatives = len(pairs) - positives
    hi, lo = (positives + 1) / (positives + 2), 1 / (negatives + 2)  # Platt's smoothed targets
    data = [(x, hi if y else lo) for x, y in pairs]
    a, b = 1.0, 0.0
    for _ in range(steps):
        ga, gb, haa, hab, hbb = prior * (a - 1.0), prior * b, prior, 0.0, prior
        for x, t in data:
            p = 1 / (1 + math.exp(-(a * x + b)))
            w = p * (1 - p)
            ga += (p - t) * x
            gb += p - t
            haa += w * x * x
            hab += w * x
            hbb += w
        det = haa * hbb - hab * hab + 1e-12
        da = (hbb * ga - hab * gb) / det
        db = (haa * gb - hab * ga) / det
        a, b = a - da, b - db
        if abs(da) + abs(db) < 1e-9:
            break
    return round(a, 4), round(b, 4)


def fit_calibration(results: list[Result]) -> dict[str, tuple[float, float]]:
    """Syria on every article; diplomacy on the articles about Syria (where it decides the route) whose words
    could be read (in a language without cue words the score rests on entities and goes to review anyway)."""
    syria = [(r.raw["syria"], bool(r.item.get("syria"))) for r in results]
    diplomacy = [
        (r.raw["diplomacy"], bool(r.item.get("diplomacy")))
        for r in results
        if r.item.get("syria") and not r.decision["why"]["diplomacy"]["uncovered"]
    ]
    return {"syria": platt(syria), "diplomacy": platt(diplomacy)}


def sweep_margin(items: list[dict[str, Any]], rules: Rules) -> None:
    """The review margin is chosen here, on the tuning half: the widest band whose review share stays under
    ``REVIEW_AIM`` (headroom under the 5% a review desk can keep up with) and that sends no more of the
    articles the rules decide rightly to review than a narrower band (a band that only adds right decisions
    to review costs the desk work and catches no error: the F1 of the route does not fall)."""
    from dataclasses import replace

    chosen, best_f1 = None, 0.0
    for margin in MARGINS:
        c = _counts(evaluate(items, replace(rules, review_margin=margin)))["all"]
        share = c["review"] / c["n"]
        f1 = _prf(c["tp"], c["fp"], c["fn"])[2]
        print(f"margin {margin:.3f}: review {100 * share:.1f}%  F1 {f1:.3f}")
        best_f1 = max(best_f1, f1)
        if share <= REVIEW_AIM and f1 >= best_f1:
            chosen = margin
    print(f"widest margin with review <= {100 * REVIEW_AIM:.0f}% and no F1 lost, on the tuning half: {chosen}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--rules", type=Path, default=None)
    parser.add_argument(
        "--errors", nargs="?", const="both", choices=("tuning", "check", "both"), help="list errors with why"
    )
    parser.add_argument("--brief", action="store_true", help="with --errors: one line per error")
    parser.add_argument("--reliability", action="store_true")
    parser.add_argument("--fit-calibration", action="store_true", help=f"fit on the tuning half, write {CALIBRATION}")
    parser.add_argument("--sweep-margin", action="store_true", help="review share and F1 of the tuning half per margin")
    parser.add_argument(
        "--held-out",
        nargs="*",
        type=Path,
        default=None,
        metavar="FILE",
        help="also score these labelled files whole, as sets never read while tuning (default: stories, neardup)",
    )
    args = parser.parse_args()
    if not args.path.exists():
        print(f"no labelled set at {args.path}", file=sys.stderr)
        return 2
    rules = load_rules(args.rules)
    items = [orjson.loads(line) for line in args.path.read_bytes().splitlines() if line.strip()]
    halves = split(items)
    by_half = {half: evaluate(halves[half], rules) for half in HALVES}
    if args.fit_calibration:
        fitted = fit_calibration(by_half["tuning"])
        lines = [
            "# Platt scaling of the route stage's two logits: p = sigmoid(a * logit + b), fitted on the tuning half",
            "# of the labelled development set by scripts/eval_routing.py --fit-calibration (never by hand).",
            *(f"{key}: {{a: {a}, b: {b}}}" for key, (a, b) in fitted.items()),
        ]
        CALIBRATION.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {CALIBRATION}: {fitted}; run again to see the calibrated figures")
        return 0
    if args.sweep_margin:
        sweep_margin(halves["tuning"], rules)
        return 0
    print(f"rules {rules.version}; {args.path}; seed {SEED}")
    print_table(by_half)
    if args.reliability:
        for half in HALVES:
            reliability(by_half[half], half)
    if args.held_out is not None:
        for path in args.held_out or [DEFAULT.with_name(name) for name in HELD_OUT]:
            held = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
            c = _counts(evaluate(held, rules))["all"]
            p, r, f1 = _prf(c["tp"], c["fp"], c["fn"])
            bp, br, bf1 = _prf(c["btp"], c["bfp"], c["bfn"])
            review = 100 * c["review"] / c["n"]
            print(f"held out {path.name}: n={c['n']} P {p:.3f} R {r:.3f} F1 {f1:.3f} review {review:.1f}%", end="")
            print(f"  (naive P {bp:.3f} R {br:.3f} F1 {bf1:.3f})")
    if args.errors:
        for half in HALVES if args.errors == "both" else (args.errors,):
            print_errors(by_half[half], half, verbose=not args.brief)
    return 0


if __name__ == "__main__":
    sys.exit(main())

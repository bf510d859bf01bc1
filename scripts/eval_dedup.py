#!/usr/bin/env python3
"""Copies and stories on the development sets: a tuning half and a check half, next to a naive baseline.

    python scripts/eval_dedup.py [--errors tuning|check] [--set FIELD=VALUE ...] [--only tuning] [--slices N]

The story groups of ``stories.jsonl`` and ``neardup.jsonl`` are split with a fixed seed into a tuning half
(where thresholds and weights are chosen) and a check half (read only to see whether the method generalises).
A group goes to a half with its near-miss siblings (named in its ``label_note``) and the items
``story_related.json`` ties to it, so no story straddles the halves and each half has siblings to keep apart.
The distractors (``labelled.jsonl`` items of no group, and the items of the RSS/Atom files in ``feeds/``) are
split the same way. Each half runs on its own, in publication order, through the code the worker runs
(``parse_payload``, ``tag``, ``DedupIndex`` over a dict).

Reported per half:
- same-language and cross-language same-story pairs: precision, recall, F1 (pairs inside one set of
  ``story_related.json`` are left out of both);
- copy recall: a row carrying the text of an earlier row of its group (``syndicated_copy`` and
  ``same_outlet_duplicate`` groups, or the same ``wire_text`` in the same language) must be marked a duplicate of
  a row of its group;
- false duplicates: rows that are no copy marked duplicates of a row of another story, among all such rows;
- sibling groups merged: pairs of near-miss sibling groups with a story in common (must be 0);
- feed item pairs linked: the feeds are not labelled (one feed's items of a day may report one event), so
  pairs of two feed items are left out of precision and recall and only counted here.
The baseline links each article to every earlier one whose word-trigram Jaccard reaches a threshold (single
link; the threshold giving the best tuning-half F1) and calls it a copy at Jaccard 0.5.
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from streams.devtools.slices import run_in_slices
from streams.stages.dedup.fingerprint import jaccard, shingle_hashes
from streams.stages.dedup.index import DedupConfig, DedupIndex
from streams.stages.dedup.keyed import KeyedDedup
from streams.stages.dedup.storystep import followed
from streams.stages.parsing import RawMeta, parse_payload
from streams.stages.record import Article
from streams.stages.tagging.tagger import tag

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dev"
SEED = 20261204  # fixed: the halves must not change from run to run
HALVES = ("tuning", "check")
COPY_GROUP_TYPES = {"syndicated_copy", "same_outlet_duplicate"}
FETCHED = "2026-11-29T12:00:00.000Z"  # one fetch time: the sets span years; the time-to-live is tested apart
BASELINE_COPY = 0.5
ALL_ROWS: list[Any] = []  # in the files' order (stories, neardup, labelled, feeds), for --order file
_SIBLINGS = re.compile(r"[Ss]iblings?:\s*((?:s\d-\d+[,\s]*(?:and\s*)?)+)")


@dataclass
class Row:
    id: str
    group: str | None
    lang: str
    dup_type: str | None
    family: tuple[str, str, str] | None  # (group, wire text, language) of a text several rows carry
    payload: bytes
    content_type: str
    published: str
    feed: bool = False  # an item of the RSS/Atom files (no labels)


def load(data: Path) -> tuple[list[Row], dict[str, set[str]], list[set[str]]]:
    """All rows, the sibling groups of each group, and the related sets (as sets of row ids)."""
    rows: list[Row] = []
    siblings: dict[str, set[str]] = defaultdict(set)
    grouped: set[str] = set()
    for name in ("stories.jsonl", "neardup.jsonl"):
        for item in map(orjson.loads, (data / name).read_bytes().splitlines()):
            group, dup_type = str(item["group"]), item.get("dup_type")
            wire = item.get("wire_text")
            family = None
            if dup_type in COPY_GROUP_TYPES:
                family = (group, str(wire or ""), str(item.get("lang")))
            elif wire:
                family = (group, str(wire), str(item.get("lang")))
            for match in _SIBLINGS.findall(str(item.get("label_note") or "")):
                siblings[group].update(re.findall(r"s\d-\d+", match))
            rows.append(_row(item, group, dup_type, family))
            grouped.add(str(item["id"]))
    for item in map(orjson.loads, (data / "labelled.jsonl").read_bytes().splitlines()):
        if str(item["id"]) not in grouped:
            rows.append(_row(item, None, None, None))
    for path in sorted((data / "feeds").iterdir()):
        if path.suffix in (".xml", ".rss", ".atom"):
            kind = "application/atom+xml" if path.suffix == ".atom" else "application/rss+xml"
            for n, article in enumerate(parse_payload(path.read_bytes(), RawMeta(content_type=kind))):
                payload = {"title": article.title, "body": article.body, "url": article.url}
                payload["published"] = None if article.published_estimated else article.published
                rows.append(
                    Row(
                        f"{path.stem}#{n}",
                        None,
                        article.lang,
                        None,
                        None,
                        orjson.dumps(payload),
                        "application/json",
                        str(payload["published"] or ""),
                        feed=True,
                    )
                )
    groups = {r.group for r in rows if r.group}
    for group, names in list(siblings.items()):  # a sibling named by one side only is a sibling of both
        for other in list(names):
            if other in groups:
                siblings[other].add(group)
    related = []
    members = defaultdict(set)
    for row in rows:
        if row.group:
            members[row.group].add(row.id)
    for entry in orjson.loads((data / "story_related.json").read_bytes())["related"]:
        ids: set[str] = set()
        for name in entry:
            ids |= members[name[2:]] if name.startswith("g:") else {name}
        related.append(ids)
    return rows, {g: s & groups for g, s in siblings.items()}, related


def _row(item: dict[str, Any], group: str | None, dup_type: str | None, family: Any) -> Row:
    payload = {k: item.get(k) for k in ("title", "body", "url", "published")}
    return Row(
        str(item["id"]),
        group,
        str(item.get("lang")),
        dup_type,
        family,
        orjson.dumps(payload),
        "application/json",
        str(item.get("published") or ""),
    )


def split(rows: list[Row], siblings: dict[str, set[str]], related: list[set[str]]) -> dict[str, list[Row]]:
    """Halves of whole components (a group, its siblings and related items), balanced by kind of group."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    def unit(row: Row) -> str:
        return f"g:{row.group}" if row.group else row.id

    for group, names in siblings.items():
        for other in names:
            parent[find(f"g:{group}")] = find(f"g:{other}")
    by_id = {r.id: r for r in rows}
    for ids in related:
        units = sorted({unit(by_id[i]) for i in ids if i in by_id})
        for other in units[1:]:
            parent[find(other)] = find(units[0])
    components: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        components[find(unit(row))].append(row)
    rng = random.Random(SEED)
    keys = sorted(components)
    rng.shuffle(keys)
    keys.sort(key=lambda k: -len(components[k]))  # big components first: the small ones even it out
    excluded = _excluded(related)
    stats = {k: _component_stats(components[k], siblings, excluded) for k in keys}
    totals = [max(1, sum(s[i] for s in stats.values())) for i in range(len(next(iter(stats.values()))))]
    halves: dict[str, list[Row]] = {h: [] for h in HALVES}
    load_of = {h: [0] * len(totals) for h in HALVES}
    for key in keys:  # to the half that leaves the two closest in every count (ties: by seed)

        def imbalance(half: str, key: str = key) -> tuple[float, float]:
            other = HALVES[1 - HALVES.index(half)]
            spread = sum(
                ((load_of[half][i] + stats[key][i] - load_of[other][i]) / totals[i]) ** 2 for i in range(len(totals))
            )
            return spread, rng.random()

        half = min(HALVES, key=imbalance)
        halves[half].extend(components[key])
        load_of[half] = [a + b for a, b in zip(load_of[half], stats[key], strict=True)]
    return halves


def _excluded(related: list[set[str]]) -> set[frozenset[str]]:
    return {frozenset(p) for ids in related for p in itertools.combinations(sorted(ids), 2)}


def _component_stats(rows: list[Row], siblings: dict[str, set[str]], excluded: set[frozenset[str]]) -> list[int]:
    """Same-language and cross-language gold pairs, copy rows, sibling pairs and distractors of a component."""
    same = cross = 0
    for a, b in itertools.combinations(rows, 2):
        if a.group is not None and a.group == b.group and frozenset((a.id, b.id)) not in excluded:
            same += a.lang == b.lang
            cross += a.lang != b.lang
    families = Counter(r.family for r in rows if r.family is not None)
    groups = {r.group for r in rows if r.group}
    pairs = sum(len(siblings.get(g, set()) & groups) for g in groups) // 2
    return [same, cross, sum(n - 1 for n in families.values()), pairs, sum(r.group is None for r in rows)]


def run_system(rows: list[Row], config: DedupConfig) -> dict[str, dict[str, Any]]:
    """Each row's verdict, its story the one that holds it at the end (stories merged since: the stories
    topic's view)."""
    index = DedupIndex({}, config)
    out: dict[str, dict[str, Any]] = {}
    to_row: dict[str, str] = {}
    merged_into: dict[str, str] = {}
    for offset, row in enumerate(rows):
        article = _article(row, offset)
        verdict = index.check(article).as_dict()
        merged_into.update(dict.fromkeys(index.merged, verdict["story"]))
        to_row.setdefault(article.id, row.id)
        out[row.id] = verdict
    for verdict in out.values():
        verdict["story"] = followed(merged_into, verdict["story"])
        for name in ("dup_of", "story"):
            verdict[name] = to_row.get(verdict[name], verdict[name])
    return out


def run_by_language(rows: list[Row], config: DedupConfig) -> dict[str, dict[str, Any]]:
    """Dedup keyed by language (``KeyedDedup``): an index per language that links no story across languages,
    and the stories linked across languages from their summaries (``StoryLinks``); an article's story is its
    story's group at the end of the run (what ``news.stories`` would show)."""
    keyed = KeyedDedup(config)
    out: dict[str, dict[str, Any]] = {}
    to_row: dict[str, str] = {}
    story_of: dict[str, tuple[str, str]] = {}
    for offset, row in enumerate(rows):
        article = _article(row, offset)
        checked = keyed.check(article)
        verdict = checked.verdict.as_dict()
        to_row.setdefault(article.id, row.id)
        verdict["dup_of"] = to_row.get(verdict["dup_of"], verdict["dup_of"])
        story_of[row.id] = (checked.lang, verdict["story"])
        out[row.id] = verdict
    for row_id, verdict in out.items():
        group = keyed.group_of(*story_of[row_id])
        verdict["story"] = to_row.get(group, group)
    return out


def run_sliced(rows: list[Row], config: DedupConfig, slices: int, lead_in_days: float) -> dict[str, dict[str, Any]]:
    """A backfill in ``slices`` (``replay --lead-in``): each slice of the rows, in publication order, through an
    index of its own after the rows of the ``lead_in_days`` before it (``streams.devtools.slices``)."""
    times = list(itertools.accumulate((_seconds(r.published) for r in rows), max))  # in the rows' order
    return run_in_slices(rows, times, slices, lead_in_days * 86400.0, lambda some: run_system(some, config), _row_id)


def _row_id(row: Row) -> str:
    return row.id


def _seconds(iso: str) -> float:
    """A row's publication time in seconds (a month or a year alone: its first day); a row without one comes
    first."""
    if not iso:
        return float("-inf")
    moment = datetime.fromisoformat({4: f"{iso}-01-01", 7: f"{iso}-01"}.get(len(iso), iso).replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _article(row: Row, offset: int) -> Article:
    (article,) = parse_payload(row.payload, RawMeta(content_type=row.content_type))
    article.tags = tag(article.title, article.body)
    article.origin = {"topic": "eval", "partition": 0, "offset": offset, "item": 0}
    article.fetched_at = FETCHED
    return article


def run_baseline(rows: list[Row], threshold: float, shingles: dict[str, frozenset[int]]) -> dict[str, dict[str, Any]]:
    """Single-link word-trigram Jaccard: an article joins every earlier one at ``threshold`` or more."""
    parent = {r.id: r.id for r in rows}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    out: dict[str, dict[str, Any]] = {}
    earlier: list[str] = []
    for row in rows:
        best, best_id = 0.0, None
        for other in earlier:
            sim = jaccard(shingles[row.id], shingles[other])
            if sim >= threshold:
                parent[find(row.id)] = find(other)
            if sim > best:
                best, best_id = sim, other
        earlier.append(row.id)
        duplicate = best >= BASELINE_COPY
        out[row.id] = {"duplicate": duplicate, "dup_of": best_id if duplicate else None}
    for row in rows:
        out[row.id]["story"] = find(row.id)
    return out


def score(
    rows: list[Row], verdicts: dict[str, dict[str, Any]], siblings: dict[str, set[str]], related: list[set[str]]
) -> tuple[dict[str, float], list[str]]:
    by_id = {r.id: r for r in rows}
    excluded = _excluded(related)
    counts: Counter[str] = Counter()
    errors: list[str] = []
    for a, b in itertools.combinations(rows, 2):
        if frozenset((a.id, b.id)) in excluded:
            continue
        if a.feed and b.feed:  # unlabelled: two items of the feeds may well report one event
            counts["feed links"] += verdicts[a.id]["story"] == verdicts[b.id]["story"]
            continue
        kind = "same" if a.lang == b.lang else "cross"
        gold = a.group is not None and a.group == b.group
        linked = verdicts[a.id]["story"] == verdicts[b.id]["story"]
        counts[f"{kind} gold"] += gold
        counts[f"{kind} linked"] += linked
        counts[f"{kind} tp"] += gold and linked
        if gold != linked and (a.group or b.group):
            errors.append(f"{'missed' if gold else 'wrong'} {kind} link {a.id} ({a.group}) {b.id} ({b.group})")
    seen_families: set[tuple[str, str, str]] = set()
    for row in rows:
        v = verdicts[row.id]
        if row.family is not None and row.family in seen_families:
            counts["copies"] += 1
            ok = v["duplicate"] and by_id[v["dup_of"]].group == row.group
            counts["copies found"] += ok
            if not ok:
                errors.append(f"missed copy {row.id} ({row.group}): {v}")
        else:
            counts["distinct"] += 1
            if v["duplicate"] and (row.group is None or by_id[v["dup_of"]].group != row.group):
                counts["false duplicates"] += 1
                errors.append(f"false duplicate {row.id} ({row.group}) of {v['dup_of']}")
        if row.family is not None:
            seen_families.add(row.family)
    stories_of: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row.group:
            stories_of[row.group].add(verdicts[row.id]["story"])
    # sibling groups that story_related.json ties (one event and its follow-up) may share a story
    tied = {
        frozenset((by_id[a].group, by_id[b].group))
        for a, b in map(tuple, excluded)
        if a in by_id and b in by_id and by_id[a].group and by_id[b].group and by_id[a].group != by_id[b].group
    }
    pairs = {
        tuple(sorted((g, s)))
        for g, names in siblings.items()
        for s in names
        if g in stories_of and s in stories_of and frozenset((g, s)) not in tied
    }
    merged = {(g, s) for g, s in pairs if stories_of[g] & stories_of[s]}
    counts["siblings merged"] = len(merged)
    counts["sibling pairs"] = len(pairs)
    errors += [f"siblings merged {a} {b}" for a, b in sorted(merged)]
    figures: dict[str, float] = {}
    for kind in ("same", "cross"):
        hits, golds, links = counts[f"{kind} tp"], counts[f"{kind} gold"], counts[f"{kind} linked"]
        p, r = (hits / links if links else 1.0), (hits / golds if golds else 1.0)
        figures[f"{kind} P"], figures[f"{kind} R"] = p, r
        figures[f"{kind} F1"] = 2 * p * r / (p + r) if p + r else 0.0
        figures[f"{kind} pairs"] = golds
    figures["copy recall"] = counts["copies found"] / max(counts["copies"], 1)
    figures["copies"] = counts["copies"]
    figures["false dup rate"] = counts["false duplicates"] / max(counts["distinct"], 1)
    figures["false dups"] = counts["false duplicates"]
    figures["siblings merged"] = counts["siblings merged"]
    figures["sibling pairs"] = counts["sibling pairs"]
    figures["feed links"] = counts["feed links"]
    figures["rows"] = len(rows)
    figures["groups"] = len({r.group for r in rows if r.group})
    return figures, errors


LINES: tuple[tuple[str, Callable[[dict[str, float]], str]], ...] = (
    ("rows (groups)", lambda f: f"{f['rows']:.0f} ({f['groups']:.0f})"),
    (
        "same-lang pairs P/R/F1",
        lambda f: f"{f['same P']:.3f} {f['same R']:.3f} {f['same F1']:.3f} ({f['same pairs']:.0f})",
    ),
    ("cross-lang pairs P/R", lambda f: f"{f['cross P']:.3f} {f['cross R']:.3f} ({f['cross pairs']:.0f})"),
    ("copy recall", lambda f: f"{f['copy recall']:.3f} ({f['copies']:.0f})"),
    ("false duplicates", lambda f: f"{f['false dup rate']:.4f} ({f['false dups']:.0f})"),
    ("siblings merged", lambda f: f"{f['siblings merged']:.0f} of {f['sibling pairs']:.0f}"),
    ("feed item pairs linked", lambda f: f"{f['feed links']:.0f}"),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--errors", choices=HALVES, default=None, help="list the errors of one half")
    parser.add_argument("--only", choices=HALVES, default=None, help="run one half (tuning: while choosing)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="a DedupConfig field")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--by-language",
        action="store_true",
        help="dedup keyed by language, stories linked across languages from their summaries (StoryLinks)",
    )
    parser.add_argument(
        "--order",
        choices=["time", "file"],
        default="time",
        help="publication order (a live stream) or the files' order (an offline run over a file)",
    )
    parser.add_argument(
        "--slices",
        type=int,
        default=0,
        help="as a backfill in this many slices (replay --lead-in), each half in publication order",
    )
    parser.add_argument("--lead-in-days", type=float, default=7.0, help="each slice's lead-in (with --slices)")
    args = parser.parse_args()
    if args.slices and (args.by_language or args.order != "time"):
        parser.error("--slices runs the one index in publication order")
    if not (args.data / "stories.jsonl").exists():
        print(f"no data at {args.data}", file=sys.stderr)
        return 2
    config = DedupConfig()
    types = {f.name: f.type for f in fields(DedupConfig)}
    for setting in args.set:
        name, _, value = setting.partition("=")
        changes: dict[str, Any] = {name: (int if types[name] in ("int", int) else float)(value)}
        config = replace(config, **changes)
    rows, siblings, related = load(args.data)
    ALL_ROWS[:] = rows
    halves = split(rows, siblings, related)
    names = [args.only] if args.only else list(HALVES)
    results: dict[str, dict[str, float]] = {}
    base: dict[str, dict[str, float]] = {}
    errors: dict[str, list[str]] = {}
    ordered = {h: _ordered(halves[h], args.order) for h in names}
    for half in names:
        if args.slices:
            verdicts = run_sliced(ordered[half], config, args.slices, args.lead_in_days)
        else:
            verdicts = (run_by_language if args.by_language else run_system)(ordered[half], config)
        results[half], errors[half] = score(ordered[half], verdicts, siblings, related)
    if not args.no_baseline:
        shingles = {r.id: _baseline_shingles(r) for r in rows}
        best_t, best_f1 = 0.0, -1.0
        tuning = _ordered(halves["tuning"], args.order)
        for t in (0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3):
            f1 = score(tuning, run_baseline(tuning, t, shingles), siblings, related)[0]["same F1"]
            if f1 > best_f1:
                best_t, best_f1 = t, f1
        for half in names:
            base[half] = score(ordered[half], run_baseline(ordered[half], best_t, shingles), siblings, related)[0]
        print(f"baseline: single-link word-trigram Jaccard >= {best_t} (best on the tuning half)")
    head = [f"{h} (method)" for h in names] + ([f"{h} (baseline)" for h in names] if base else [])
    print(f"{'':26}" + "".join(f"{h:>28}" for h in head))
    for label, show in LINES:
        cells = [show(results[h]) for h in names] + ([show(base[h]) for h in names] if base else [])
        print(f"{label:26}" + "".join(f"{c:>28}" for c in cells))
    if args.errors and args.errors in errors:
        for line in errors[args.errors]:
            print("  " + line)
    return 0


def _ordered(rows: list[Row], order: str) -> list[Row]:
    if order == "file":
        position = {id(r): n for n, r in enumerate(ALL_ROWS)}
        return sorted(rows, key=lambda r: position[id(r)])
    return sorted(rows, key=lambda r: (r.published, r.id))


def _baseline_shingles(row: Row) -> frozenset[int]:
    item = orjson.loads(row.payload)
    return shingle_hashes(f"{item.get('title') or ''}\n{item.get('body') or ''}")


if __name__ == "__main__":
    sys.exit(main())

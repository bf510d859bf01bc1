"""A backfill in slices, offline: what ``replay --lead-in`` does, for measuring it without a broker.

A stream in time order is cut into consecutive slices of about as many articles each; each slice is run by an
index of its own that first takes in its lead-in (the articles of the ``lead_in`` seconds before the slice, of
earlier slices) and gives verdicts for the slice's own articles only. With a lead-in as long as the dedup
time-to-live, every article a slice's article could be compared with is in its index, as in one run; what can
differ is a story begun before the lead-in and still growing in it (its reports in the lead-in start a story
of their own) and the word counts, which lack the articles before the lead-in. ``scripts/eval_slices.py``
compares it with one run on a dense synthetic stream, ``scripts/eval_dedup.py --slices`` on the (sparse)
development sets.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

__all__ = ["plan_slices", "run_in_slices"]

T = TypeVar("T")


def plan_slices(times: Sequence[float], slices: int, lead_in: float) -> list[tuple[list[int], list[int]]]:
    """For ``times`` in order (seconds; not decreasing), ``slices`` consecutive runs of positions of about
    as many each: per slice, the positions of its lead-in (earlier positions at most ``lead_in`` seconds
    before its first) and its own."""
    if slices < 1:
        raise ValueError(f"slices must be at least 1, not {slices}")
    if any(b < a for a, b in itertools.pairwise(times)):
        raise ValueError("times must be in order")
    count = len(times)
    bounds = [round(k * count / slices) for k in range(slices + 1)]
    plan: list[tuple[list[int], list[int]]] = []
    for first, end in itertools.pairwise(bounds):
        if first == end:
            continue
        start = times[first]
        lead = [i for i in range(first) if times[i] >= start - lead_in]
        plan.append((lead, list(range(first, end))))
    return plan


def run_in_slices(
    items: Sequence[T],
    times: Sequence[float],
    slices: int,
    lead_in: float,
    run: Callable[[list[T]], dict[str, Any]],
    key: Callable[[T], str],
) -> dict[str, Any]:
    """The verdicts of ``items`` run in slices: ``run`` gives the verdicts (by ``key``) of a list of items
    through a fresh index; each slice's lead-in and its own items go through one, its own items' verdicts kept."""
    verdicts: dict[str, Any] = {}
    for lead, own in plan_slices(times, slices, lead_in):
        found = run([items[i] for i in (*lead, *own)])
        verdicts.update({key(items[i]): found[key(items[i])] for i in own})
    return verdicts

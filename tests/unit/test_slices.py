"""A backfill in slices, offline (``streams.devtools.slices``): the plan of lead-ins and slices, and on a dense
synthetic stream the copy verdicts of one run, found again slice by slice only with the lead-in."""

from __future__ import annotations

from typing import Any

import pytest

from streams.devtools.bench.synthetic import Report, synthetic_stream
from streams.devtools.slices import plan_slices, run_in_slices
from streams.stages.dedup.index import DedupIndex

DAY = 86_400.0


def test_slices_cover_the_stream_once_each_after_the_lead_in_before_it() -> None:
    times = [0.0, 1.0, 2.0, 5.0, 6.0, 9.0, 10.0]
    # slices of 2, 3 and 2; the second from t=2 (lead-in back to t=-1.5), the third from t=9 (back to t=5.5)
    assert plan_slices(times, 3, 3.5) == [([], [0, 1]), ([0, 1], [2, 3, 4]), ([4], [5, 6])]
    assert plan_slices(times, 1, 100.0) == [([], list(range(7)))]
    assert plan_slices(times, 10, 0.0)[-1] == ([], [6])  # more slices than need be: none empty
    with pytest.raises(ValueError, match="in order"):
        plan_slices([2.0, 1.0], 2, 1.0)
    with pytest.raises(ValueError, match="at least 1"):
        plan_slices(times, 0, 1.0)


def _verdicts(reports: list[Report]) -> dict[str, dict[str, Any]]:
    index = DedupIndex({})
    return {r.article.id: index.check(r.article).as_dict() for r in reports}


def test_with_the_lead_in_each_slice_finds_the_copies_one_run_finds() -> None:
    per_day = 100.0
    reports = list(synthetic_stream(1_500, seed=5, hot=True, per_day=per_day))  # 15 days, slices of 5
    times = [i * DAY / per_day for i in range(len(reports))]
    one = _verdicts(reports)
    sliced = run_in_slices(reports, times, 3, 7 * DAY, _verdicts, lambda r: r.article.id)  # the time-to-live
    blind = run_in_slices(reports, times, 3, 0.0, _verdicts, lambda r: r.article.id)
    copies = [r.article.id for r in reports if r.copy_of is not None]
    assert len(copies) > 150
    assert sum(one[c]["duplicate"] for c in copies) > 0.95 * len(copies)  # a few are of reports past the TTL
    assert {c: sliced[c]["dup_of"] for c in copies} == {c: one[c]["dup_of"] for c in copies}
    # without a lead-in, a slice's first copies of earlier reports are new articles
    missed = [c for c in copies if not blind[c]["duplicate"]]
    assert missed
    assert {i for i, verdict in sliced.items() if verdict["duplicate"]} == {i for i, v in one.items() if v["duplicate"]}

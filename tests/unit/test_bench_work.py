"""The stage-work measurement behind the bench's ceiling: every stage measured, the numbers consistent."""

from __future__ import annotations

import pytest

from streams.devtools.bench.mix import bench_messages
from streams.devtools.bench.work import stage_work


def test_stage_work_measures_each_stage_and_derives_the_ceilings() -> None:
    messages = bench_messages(30, seed=5)
    results = stage_work(messages)

    per_stage = [results[f"stage work {stage} ms per raw message"] for stage in ("parse", "dedup", "route")]
    assert all(ms > 0 for ms in per_stage)  # the mix has new stories, so every stage ran
    total = results["stage work ms per raw message"]
    assert total == pytest.approx(sum(per_stage))
    assert results["stage work ceiling on one core, raw messages/s"] == pytest.approx(1000 / total)
    serial = results["stage work in the one dedup instance %"] / 100
    assert serial == pytest.approx(per_stage[1] / total)
    assert 0 < serial < 1
    busier = results["busier of two workers, stage work ms per raw message (even split)"]
    assert busier == pytest.approx(per_stage[1] + (per_stage[0] + per_stage[2]) / 2)
    two = results["two workers against one, estimate (stage work, even split)"]
    assert two == pytest.approx(total / busier)
    assert two == pytest.approx(2 / (1 + serial))
    assert 1 < two < 2

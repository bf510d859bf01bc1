"""``bench --stage dedup``: the synthetic stream's truth, and the scores the bench prints from it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from streams.devtools.bench.dedupstate import bench_dedup, score_stream
from streams.devtools.bench.synthetic import synthetic_stream


def test_the_synthetic_stream_has_events_copies_and_hot_names() -> None:
    reports = list(synthetic_stream(2_000, seed=5))
    assert [r.article.id for r in reports] == [f"{n:024x}" for n in range(2_000)]
    assert reports == list(synthetic_stream(2_000, seed=5))  # the same stream every run
    events = Counter(r.event for r in reports)
    assert 400 < len(events) < 900
    assert max(events.values()) > 3
    ids = {r.article.id: r for r in reports}
    copies = [r for r in reports if r.copy_of is not None]
    assert 250 < len(copies) < 500
    assert all(ids[c.copy_of].event == c.event for c in copies)  # type: ignore[index]
    syria = sum(any(e["id"] == "country.SY" for e in r.article.tags["entities"]) for r in reports)
    assert 0.6 < syria / len(reports) < 0.8
    quiet = list(synthetic_stream(500, seed=5, hot=False))
    assert not any(e["id"] == "country.SY" for r in quiet for e in r.article.tags["entities"])


def test_scores_count_pairs_of_one_event_in_one_story() -> None:
    rows = [
        (1, None, False, "a"),
        (1, None, False, "a"),
        (1, None, False, "b"),
        (2, None, False, "b"),
        (1, "x", True, "a"),
    ]
    scores = score_stream(rows)
    assert scores["copies found %"] == 100.0
    assert scores["false duplicates %"] == 0.0
    assert scores["story pairs recall"] == 1 / 3  # of the three pairs of event 1, one is in one story
    assert scores["story pairs precision"] == 1 / 2  # of the two pairs in one story, one is of one event


def test_the_dedup_bench_finds_the_copies_and_keeps_the_stories_with_hot_names(tmp_path: Path) -> None:
    results = bench_dedup(3_000, path=tmp_path, progress=0, control=3_000)
    hot, quiet = (
        results["dedup over RocksDB state, with hot terms"],
        results["dedup over RocksDB state, without hot terms"],
    )
    for result in (hot, quiet):
        assert result["copies found %"] == 100.0
        assert result["false duplicates %"] == 0.0
        assert result["story pairs recall"] > 0.95
        assert result["story pairs precision"] > 0.85  # a young stream: few words weighed yet
        assert (
            0
            < result["of which the story step, ms per article"]
            < result["dedup CPU ms per article (fingerprints and story features given)"]
        )
    assert hot["lookup keys too common to read"] > 0  # the hot names' keys, refused as too common
    assert hot["longest lookup list (stories)"] <= 200
    assert hot["peak RSS MB"] >= hot["RSS before state MB"] > 0
    assert list(tmp_path.iterdir()) == []  # the state is removed


def test_bench_figures_print_small_values_with_their_digits() -> None:
    from streams.cli import _figure

    assert [_figure(v) for v in (1_000_000, 543.2, 1.8412, 0.4461, 0.0)] == ["1,000,000", "543", "1.84", "0.446", "0"]

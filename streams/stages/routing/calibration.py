"""Scores that behave like probabilities: Platt scaling of the route stage's two logits.

The logits (``streams.stages.routing.decide``) are sums of evidence; what a logit of 2 means in frequency is
measured, not assumed. ``streams/data/calibration.yaml`` holds ``a`` and ``b`` per score for
``p = sigmoid(a * logit + b)``, fitted on the tuning half of the labelled development set by
``scripts/eval_routing.py --fit-calibration`` (the diplomacy score on the articles about Syria, where it
decides the route). Without the file the logits are read as they are (``a = 1``, ``b = 0``).
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources

import yaml

__all__ = ["calibrated", "calibration", "threshold_logit"]


@lru_cache(maxsize=1)
def calibration() -> dict[str, tuple[float, float]]:
    """``{"syria": (a, b), "diplomacy": (a, b)}`` from the shipped file, read once."""
    try:
        text = (resources.files("streams") / "data" / "calibration.yaml").read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    data = yaml.safe_load(text) or {}
    return {key: (float(value["a"]), float(value["b"])) for key, value in data.items() if isinstance(value, dict)}


def calibrated(score: str, logit: float) -> float:
    """The probability for ``logit`` of ``score`` (``syria`` or ``diplomacy``)."""
    a, b = calibration().get(score, (1.0, 0.0))
    x = a * logit + b
    if x < -60:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


def threshold_logit(score: str) -> float:
    """The logit whose probability is one half: where the calibrated threshold lies on the logits' scale."""
    a, b = calibration().get(score, (1.0, 0.0))
    return -b / a if a else 0.0

"""The library versions the patches were written and tested for, and the check that refuses any other.

The patches reach into private attributes of faust-streaming (the consumer's acknowledgement bookkeeping, its
seek methods, its consumer factory, its stores' codecs), mode-streaming (the worker Faust's worker is built on)
and aiokafka (the consumer's subscription state and fetch wait). A release may rename or rework any of them
without notice, and a patch on changed internals could fail quietly (lost messages, not an exception). So
nothing is patched unless each library is within the range below: the release the patches were tested with, up
to the next minor release. pyproject.toml declares the same ranges (a unit test holds them equal).

To move to a new release: run the unit tests and ``tests/integration/test_faults.py`` against it, check each
patch against the release's code (the table in ``streams.runtime.patches`` says what each relies on and when it
can go), then widen the range here and in pyproject.toml together.
"""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version
from types import MappingProxyType
from typing import Final

from streams.errors import DependencyVersionError

__all__ = ["TESTED", "check_versions", "in_range", "installed_version", "requirement"]

TESTED: Final = MappingProxyType(
    {  # distribution: (lowest tested release, first release not allowed)
        "faust-streaming": ("0.15.3", "0.16"),
        "mode-streaming": ("0.7.1", "0.8"),
        "aiokafka": ("0.14.0", "0.15"),
    }
)

_RELEASE = re.compile(r"v?(\d+(?:\.\d+)*)(.*)", re.IGNORECASE)
_PRE_RELEASE = re.compile(r"[-_.]?(a|b|c|rc|alpha|beta|pre|preview|dev)\d*", re.IGNORECASE)


def requirement(distribution: str) -> str:
    """The dependency as pyproject.toml declares it, e.g. ``faust-streaming>=0.15.3,<0.16``."""
    low, high = TESTED[distribution]
    return f"{distribution}>={low},<{high}"


def installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution``, ``None`` if it is not installed."""
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def _release(text: str) -> tuple[tuple[int, ...], bool] | None:
    """The release numbers without trailing zeros, and whether it is a pre-release; ``None`` if unreadable."""
    match = _RELEASE.fullmatch(text.strip())
    if match is None:
        return None
    numbers = [int(part) for part in match.group(1).split(".")]
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers), _PRE_RELEASE.match(match.group(2)) is not None


def in_range(installed: str, low: str, high: str) -> bool:
    """Whether ``installed`` satisfies ``>=low,<high`` (a pre-release of ``low`` or ``high`` does not)."""
    parsed, low_release, high_release = _release(installed), _release(low), _release(high)
    if parsed is None or low_release is None or high_release is None:
        return False
    release, pre = parsed
    if release < low_release[0] or (release == low_release[0] and pre):
        return False
    return release < high_release[0]


def check_versions() -> None:
    """Raise ``DependencyVersionError`` unless every patched library is at a version the patches were tested
    with."""
    for distribution, (low, high) in TESTED.items():
        installed = installed_version(distribution)
        if installed is not None and in_range(installed, low, high):
            continue
        wanted = requirement(distribution)
        found = f"{distribution} {installed} is installed" if installed else f"{distribution} is not installed"
        raise DependencyVersionError(
            f"{found}, but streams.runtime.patches (the project's patches of Faust's and aiokafka's internals) "
            f"was tested with {wanted} only. Install a tested version (pip install '{wanted}'), or check every "
            "patch against the new version (see the table in streams.runtime.patches), run the unit tests and "
            "tests/integration/test_faults.py, then widen the range in streams/runtime/patches/versions.py and "
            "pyproject.toml."
        )

"""Fingerprints of an article's normalised text: word shingles, their MinHash, and LSH band keys.

The hash is pinned (blake2b, 32 bits, our own function handed to datasketch) and so is datasketch's
permutation scheme (``affine32``), so fingerprints stay the same across datasketch releases and across
processes (Python's ``hash`` is salted). A test pins a known fingerprint.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from datasketch import MinHash

from ..textnorm import fold

__all__ = ["NUM_PERM", "Fingerprint", "band_keys", "fingerprint", "jaccard"]

NUM_PERM = 128
BANDS = 42  # 42 bands x 3 rows (126 of the 128 values): pairs above ~0.35 Jaccard nearly always meet
ROWS = 3
SHINGLE = 3
SEED = 20261129
SCHEME = "affine32"  # datasketch 2.x permutation scheme, pinned: another scheme would change every band key


def _identity(value: int) -> int:
    return value


@lru_cache(maxsize=1)
def _permutations() -> Any:
    """datasketch draws its permutations from the seed on every MinHash; draw them once."""
    return MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=_identity, scheme=SCHEME).permutations


def _band_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def _hash32(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=4).digest(), "little")


@dataclass(frozen=True, slots=True)
class Fingerprint:
    shingles: frozenset[int]
    bands: tuple[str, ...]


def shingle_hashes(text: str) -> frozenset[int]:
    words = fold(text).split()
    if len(words) < SHINGLE:
        return frozenset({_hash32(" ".join(words).encode())}) if words else frozenset()
    return frozenset(_hash32(" ".join(words[i : i + SHINGLE]).encode()) for i in range(len(words) - SHINGLE + 1))


def fingerprint(title: str, body: str) -> Fingerprint:
    """Shingles of the body (the title too when the body is short) and the LSH band keys."""
    text = body if len(body.split()) >= 40 else f"{title}\n{body}"
    shingles = shingle_hashes(text)
    return Fingerprint(shingles, band_keys(shingles))


def band_keys(shingles: frozenset[int]) -> tuple[str, ...]:
    """The LSH band keys of a set of shingle hashes (none for an empty set)."""
    if not shingles:
        return ()
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=_identity, permutations=_permutations(), scheme=SCHEME)
    minhash.update_batch(np.fromiter(shingles, dtype=np.uint64, count=len(shingles)))
    values = minhash.hashvalues
    return tuple(f"{band}:{_band_hash(values[band * ROWS : (band + 1) * ROWS].tobytes())}" for band in range(BANDS))


def jaccard(a: frozenset[int] | set[int], b: frozenset[int] | set[int]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def containment(a: frozenset[int] | set[int], b: frozenset[int] | set[int]) -> float:
    """How much of the smaller set lies in the larger one (a trimmed copy scores high)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))

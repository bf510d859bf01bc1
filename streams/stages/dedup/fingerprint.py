"""Fingerprints of an article's normalised text: word shingles, their MinHash, and LSH band keys.

The hash is pinned (blake2b, 32 bits, our own function handed to datasketch) and so is datasketch's
permutation scheme (``affine32``), so fingerprints stay the same across datasketch releases and across
processes (Python's ``hash`` is salted). A test pins a known fingerprint.

The parse stage computes the fingerprint (it scales with the raw partitions) and sends it with the article in
a header (``encode_fingerprint``); the dedup stage, one instance for the whole index, takes it from there
(``decode_fingerprint``) instead of computing it again, and computes it only when the header is missing, of
another format or for another text.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from datasketch import MinHash

from streams.headers import HEADER_FINGERPRINT
from streams.stages.textnorm import fold

__all__ = [
    "FINGERPRINT_HEADER",
    "NUM_PERM",
    "Fingerprint",
    "band_keys",
    "decode_fingerprint",
    "encode_fingerprint",
    "fingerprint",
    "jaccard",
    "overlap",
    "text_digest",
]

NUM_PERM = 128
BANDS = 42  # 42 bands x 3 rows (126 of the 128 values): pairs above ~0.35 Jaccard nearly always meet
ROWS = 3
SHINGLE = 3
SEED = 20261129
SCHEME = "affine32"  # datasketch 2.x permutation scheme, pinned: another scheme would change every band key

FINGERPRINT_HEADER = HEADER_FINGERPRINT  # the header that carries it (named in streams.headers)
# Header format: the scheme (format version and parameters), a digest of the text it was computed from, the
# counts, then the shingle hashes (uint32, little-endian, sorted) and the band digests (8 bytes each, in band
# order). A header of another scheme is recomputed. Bump the version with any change the parameters do not
# show: the hash, ``textnorm.fold``, which text is shingled.
_HEADER_VERSION = 1
_SCHEME_ID = hashlib.blake2b(
    f"{_HEADER_VERSION}|{NUM_PERM}|{BANDS}|{ROWS}|{SHINGLE}|{SEED}|{SCHEME}".encode(), digest_size=4
).digest()
_HEADER = struct.Struct("<4s8sII")
_BAND_DIGEST = 8


def _identity(value: int) -> int:
    return value


@lru_cache(maxsize=1)
def _permutations() -> Any:
    """datasketch draws its permutations from the seed on every MinHash; draw them once."""
    return MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=_identity, scheme=SCHEME).permutations


def _band_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=_BAND_DIGEST).hexdigest()


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
    shared = len(a & b)  # |a ∪ b| from the sizes: no union set built (dedup computes many of these)
    return shared / (len(a) + len(b) - shared)


def overlap(a: frozenset[int], stored: Sequence[int]) -> tuple[float, float]:
    """Jaccard and containment of ``a`` and a stored shingle list (distinct values, as ``sorted(shingles)``),
    without building a set of the stored list: the dedup stage compares about ten stored texts per article."""
    if not a or not stored:
        return 0.0, 0.0
    shared = len(a.intersection(stored))
    return shared / (len(a) + len(stored) - shared), shared / min(len(a), len(stored))


def text_digest(title: str, body: str) -> bytes:
    """A digest of an article's text that tells whether a header was computed for it."""
    digest = hashlib.blake2b(digest_size=8)
    title_bytes = title.encode("utf-8", "surrogatepass")
    digest.update(len(title_bytes).to_bytes(4, "little"))  # where the title ends: no two splits of a text meet
    digest.update(title_bytes)
    digest.update(body.encode("utf-8", "surrogatepass"))
    return digest.digest()


def encode_fingerprint(fp: Fingerprint, title: str, body: str) -> bytes:
    """``fp`` (computed from ``title`` and ``body``) as header bytes: about 4 bytes a word, 336 for the bands."""
    shingles = np.array(sorted(fp.shingles), dtype="<u4").tobytes()
    digests = b"".join(bytes.fromhex(band.partition(":")[2]) for band in fp.bands)
    head = _HEADER.pack(_SCHEME_ID, text_digest(title, body), len(fp.shingles), len(fp.bands))
    return head + shingles + digests


def decode_fingerprint(data: bytes, title: str, body: str) -> Fingerprint | None:
    """The fingerprint in header bytes, or None when they are of another scheme or for another text."""
    if not isinstance(data, bytes | bytearray | memoryview) or len(data) < _HEADER.size:
        return None
    scheme, digest, shingle_count, band_count = _HEADER.unpack_from(data)
    shingles_end = _HEADER.size + 4 * shingle_count
    if (
        scheme != _SCHEME_ID
        or band_count not in (0, BANDS)
        or (band_count == 0) != (shingle_count == 0)
        or len(data) != shingles_end + _BAND_DIGEST * band_count
        or digest != text_digest(title, body)
    ):
        return None
    shingles = frozenset(np.frombuffer(data, dtype="<u4", count=shingle_count, offset=_HEADER.size).tolist())
    bands = tuple(
        f"{band}:{data[shingles_end + _BAND_DIGEST * band : shingles_end + _BAND_DIGEST * (band + 1)].hex()}"
        for band in range(band_count)
    )
    return Fingerprint(shingles, bands)

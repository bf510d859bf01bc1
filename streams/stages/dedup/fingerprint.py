"""Fingerprints of an article's normalised text: word shingles, their MinHash, and LSH band keys.

A shingle is three consecutive folded words (``textnorm.words``: character bigrams in Chinese, Japanese,
Thai). Its 32-bit hash is made from its words' hashes (blake2b, 64 bits, each distinct word hashed once and
remembered), combined with two odd multipliers and mixed with the MurmurHash3 finalizer, all of a text's
shingles at once in numpy: hashing every shingle's text with blake2b, one call each, cost about 110 µs an
article. The MinHash is datasketch's ``affine32`` scheme with its
permutations drawn from ``SEED`` (a test checks the values against datasketch's own ``MinHash``), applied to
all shingles at once; each band's three values are mixed into its 64-bit key the same way. Everything is
pinned, so fingerprints stay the same across library releases and processes (Python's ``hash`` is salted);
a test pins a known fingerprint.

The parse stage computes the fingerprint (it scales with the raw partitions) and sends it with the article in
a header (``encode_fingerprint``); the dedup stage, one instance for the whole index, takes it from there
(``decode_fingerprint``) instead of computing it again, and computes it only when the header is missing, of
another format or for another text.
"""

from __future__ import annotations

import hashlib
import operator
import struct
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from datasketch import MinHash

from streams.headers import HEADER_FINGERPRINT
from streams.stages.textnorm import cached_map, fold, words

__all__ = [
    "FINGERPRINT_HEADER",
    "NUM_PERM",
    "Fingerprint",
    "band_keys",
    "decode_fingerprint",
    "encode_fingerprint",
    "fingerprint",
    "jaccard",
    "minhash",
    "overlap",
    "shingle_array",
    "shingle_hashes",
    "text_digest",
]

NUM_PERM = 128
BANDS = 42  # 42 bands x 3 rows (126 of the 128 values): pairs above ~0.35 Jaccard nearly always meet
ROWS = 3
SHINGLE = 3
SEED = 20261129
SCHEME = "affine32"  # datasketch 2.x permutation scheme, pinned: another scheme would change every band key
MAX_CACHED = 100_000  # folded words remembered with their hash: about 15 MB at most
_WORD_HASHES: dict[str, int] = {}
# odd 64-bit multipliers that combine a shingle's (or a band's) values in order, and MurmurHash3's fmix64
_COMBINE = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))
# the finalizer's (shift, multiplier, shift, multiplier, shift): 64-bit, and 32-bit (datasketch's pre-mix)
_FMIX64 = (np.uint64(33), np.uint64(0xFF51AFD7ED558CCD), np.uint64(33), np.uint64(0xC4CEB9FE1A85EC53), np.uint64(33))
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))

FINGERPRINT_HEADER = HEADER_FINGERPRINT  # the header that carries it (named in streams.headers)
# Header format: the scheme (format version and parameters), a digest of the text it was computed from, the
# counts, then the shingle hashes (uint32, little-endian, sorted) and the band digests (8 bytes each, in band
# order). A header of another scheme is recomputed. Bump the version with any change the parameters do not
# show: the hash, ``textnorm.fold``, which text is shingled.
_HEADER_VERSION = 3  # 3: words with their combining marks, bigrams of scripts without spaces
_SCHEME_ID = hashlib.blake2b(
    f"{_HEADER_VERSION}|{NUM_PERM}|{BANDS}|{ROWS}|{SHINGLE}|{SEED}|{SCHEME}".encode(), digest_size=4
).digest()
_HEADER = struct.Struct("<4s8sII")
_BAND_DIGEST = 8
_BAND_PREFIXES = tuple(f"{band}:" for band in range(BANDS))  # a band key is "<band>:<its digest in hex>"


def _identity(value: int) -> int:
    return value


@lru_cache(maxsize=1)
def _permutations() -> Any:
    """datasketch's permutations for ``SEED`` (it draws them on every MinHash): drawn once, as columns."""
    a, b = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=_identity, scheme=SCHEME).permutations
    return a.astype(np.uint32)[:, None], b.astype(np.uint32)[:, None]


def _fmix(h: Any, constants: tuple[Any, ...]) -> Any:
    """MurmurHash3's finalizer over an array of unsigned integers (multiplication wraps, as it should)."""
    s1, m1, s2, m2, s3 = constants
    h = h ^ (h >> s1)
    h = h * m1
    h = h ^ (h >> s2)
    h = h * m2
    return h ^ (h >> s3)


def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def shingle_array(text: str) -> Any:
    """The distinct 32-bit hashes of the 3-word shingles of ``text`` (one of all its words when it has
    fewer), sorted, as a numpy array."""
    found = words(fold(text))  # Chinese, Japanese, Thai: character bigrams
    if not found:
        return np.empty(0, dtype=np.uint32)
    h = np.array(cached_map(_word_hash, found, _WORD_HASHES, MAX_CACHED), dtype=np.uint64)
    k1, k2 = _COMBINE
    if len(h) >= SHINGLE:
        h = (h[:-2] * k1 + h[1:-1]) * k2 + h[2:]
    else:  # one or two words: one shingle of them (arrays of one: numpy wraps arrays silently, not scalars)
        combined = h[:1]
        for i in range(1, len(h)):
            combined = combined * k1 + h[i : i + 1]
        h = combined
    return np.unique((_fmix(h, _FMIX64) >> np.uint64(32)).astype(np.uint32))


@dataclass(frozen=True, slots=True)
class Fingerprint:
    ordered: tuple[int, ...]  # the distinct shingles in ascending order, as they are sent and stored
    bands: tuple[str, ...]
    digests: bytes = b""  # the bands' digests (8 bytes each, big-endian, in band order): the keys' hex parts
    _shingles: frozenset[int] | None = field(default=None, compare=False, repr=False)

    @property
    def shingles(self) -> frozenset[int]:
        """The shingles as a set, made when first compared with a stored text's (most new articles have no
        candidate to be compared with: the set would cost them about 15 µs for nothing)."""
        shingles = self._shingles
        if shingles is None:
            shingles = frozenset(self.ordered)
            object.__setattr__(self, "_shingles", shingles)
        return shingles


def shingle_hashes(text: str) -> frozenset[int]:
    return frozenset(shingle_array(text).tolist())


def fingerprint(title: str, body: str) -> Fingerprint:
    """Shingles of the body (the title too when the body is short) and the LSH band keys."""
    text = body if len(body.split()) >= 40 else f"{title}\n{body}"
    shingles = shingle_array(text)
    ordered = tuple(shingles.tolist())
    digests = _band_digests(shingles)
    return Fingerprint(ordered, _band_keys(digests), digests)


def minhash(shingles: Any) -> Any:
    """datasketch's ``affine32`` MinHash of an array of 32-bit shingle hashes: its pre-mix, then
    ``a * h + b`` modulo 2^32 for each permutation, the least value of each."""
    h = _fmix(shingles.astype(np.uint32), _FMIX32)
    a, b = _permutations()
    return (h[None, :] * a + b).min(axis=1)


def band_keys(shingles: Collection[int]) -> tuple[str, ...]:
    """The LSH band keys of distinct shingle hashes (none for an empty collection)."""
    return _band_keys(_band_digests(np.fromiter(shingles, dtype=np.uint32, count=len(shingles))))


def _band_digests(shingles: Any) -> bytes:
    """Each band's three MinHash values mixed into 64 bits, big-endian, in band order (none without shingles)."""
    if not len(shingles):
        return b""
    values = minhash(shingles)[: BANDS * ROWS].astype(np.uint64).reshape(BANDS, ROWS)
    k1, k2 = _COMBINE
    mixed = _fmix((values[:, 0] * k1 + values[:, 1]) * k2 + values[:, 2] + np.arange(BANDS, dtype=np.uint64), _FMIX64)
    return bytes(mixed.astype(">u8").tobytes())


def _band_keys(digests: bytes) -> tuple[str, ...]:
    """The band keys of band digests: "<band>:<16 hex digits>" (one hex conversion, sliced)."""
    hexed = digests.hex()
    step = 2 * _BAND_DIGEST
    return tuple(map(operator.add, _BAND_PREFIXES, [hexed[i : i + step] for i in range(0, len(hexed), step)]))


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
    shingles = np.array(fp.ordered, dtype="<u4").tobytes()
    digests = fp.digests or b"".join(bytes.fromhex(band.partition(":")[2]) for band in fp.bands)
    head = _HEADER.pack(_SCHEME_ID, text_digest(title, body), len(fp.ordered), len(fp.bands))
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
    values = np.frombuffer(data, dtype="<u4", count=shingle_count, offset=_HEADER.size)
    if shingle_count > 1 and not bool((values[1:] > values[:-1]).all()):
        return None  # not the distinct ascending values a header is written with
    ordered = tuple(values.tolist())
    digests = bytes(data[shingles_end:])
    return Fingerprint(ordered, _band_keys(digests), digests)

"""Bytes to text: BOMs, declared charsets, UTF-8, the Arabic code pages, Latin-1, and mojibake repair."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from streams.errors import ParseError

__all__ = ["declared_charset", "decode"]

_DECLARED = re.compile(rb"""(?:encoding|charset)\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", re.IGNORECASE)
# Arabic text decoded as Latin-1/cp1252 from UTF-8 shows these lead bytes as Ø and Ù followed by a symbol.
_MOJIBAKE = re.compile("[ØÙ][\u0080-\u00ff]")
_CANDIDATES = ("utf_8", "cp1256", "iso8859_6", "cp1252", "latin_1")
_STRAY = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, as ``surrogateescape`` keeps them
_MULTIBYTE = re.compile("[^\x00-\x7f\udc80-\udcff]")


def declared_charset(head: bytes) -> str | None:
    """The charset an XML declaration, HTML meta tag or Content-Type value names, if Python knows it."""
    match = _DECLARED.search(head[:4096])
    if not match:
        return None
    name = match.group(1).decode("ascii", "ignore").strip().lower()
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode(payload: bytes, declared: str | None = None) -> str:
    """Decode ``payload``; raise :class:`ParseError` only when no encoding gives sensible text."""
    if payload.startswith(codecs.BOM_UTF8):
        return _repair(payload[3:].decode("utf-8", errors="replace"))
    if payload.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return payload.decode("utf-16")
    if declared is None:
        declared = declared_charset(payload)
    try:
        return _repair(payload.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    mixed = _mostly_utf8(payload)
    if mixed is not None:
        return mixed
    if declared and declared not in {"utf-8", "utf_8"}:
        try:
            return payload.decode(declared)
        except (UnicodeDecodeError, LookupError):
            pass
    guess = from_bytes(payload[:65536], cp_isolation=list(_CANDIDATES)).best()
    if guess is not None and guess.encoding:
        text = payload.decode(guess.encoding, errors="replace")
        if text.count("\ufffd") <= max(2, len(text) // 200):
            return text
    raise ParseError("the payload is not text in any supported encoding", reason="encoding")


def _mostly_utf8(payload: bytes) -> str | None:
    """UTF-8 with a few stray bytes of a single-byte code page (text pasted together from two sources): the
    UTF-8 read as UTF-8 and each stray byte as cp1252, when valid multi-byte UTF-8 sequences are at least as
    many as the stray bytes. Text in a legacy code page has next to no valid multi-byte sequences, so it is
    left to the declared charset and the detector."""
    head = payload[:65536].decode("utf-8", errors="surrogateescape")  # the detector's window, too
    stray = len(_STRAY.findall(head))
    if len(_MULTIBYTE.findall(head)) < stray:
        return None
    text = payload.decode("utf-8", errors="surrogateescape")
    return _STRAY.sub(lambda m: bytes([ord(m.group()) - 0xDC00]).decode("cp1252", errors="replace"), text)


def _repair(text: str) -> str:
    """Undo UTF-8 read once as Latin-1 (``Ø³ÙˆØ±ÙŠØ§`` back to ``سوريا``) when that is what it is."""
    if len(_MOJIBAKE.findall(text)) < 3:
        return text
    for wrong in ("cp1252", "latin_1"):
        try:
            fixed = text.encode(wrong).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        return fixed
    return text

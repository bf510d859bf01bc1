"""Normalisation for matching keys (dedup shingles, entity and signal matching), never for display.

One function, :func:`fold`, turns text in any of our scripts into a key where spelling variants meet:

- Arabic: diacritics and tatweel dropped; alef with hamza or madda and alef wasla to bare alef; alef maqsura
  to yeh; taa marbuta to heh; hamza on waw/yeh to the bare letter.
- Persian: Farsi yeh and keheh to their Arabic forms, so ایران and ايران meet; zero-width non-joiner to space.
- Urdu: heh goal and heh doachashmee to heh, yeh barree to yeh, so Urdu وزیر خارجہ meets Persian وزیر خارجه.
- Digits: Eastern Arabic and Persian digits to ASCII.
- Latin and Cyrillic: case-folded, accents stripped; Turkish dotted and dotless i both to ``i``;
  ``ё`` to ``е``.
- Hebrew: points (vowels and cantillation) dropped, as Arabic diacritics are: written or not, the same word.
- Scripts that write vowels and other signs as combining marks (Devanagari, Bengali, Tamil, Thai, Khmer,
  Burmese...): the marks stay inside their word, which would otherwise fall apart at each sign.
- Punctuation (any script) to spaces; runs of space collapsed; English possessive ``'s`` dropped.

:func:`words` gives a folded text's words for comparing texts (dedup's shingles and story features): the
scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Burmese) in overlapping
character bigrams.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from typing import TypeVar

__all__ = ["cached_map", "fold", "has_arabic_script", "has_unsegmented", "tokens", "unsegmented", "words"]

T = TypeVar("T")

_ARABIC_MAP = {
    "\u0622": "\u0627",  # آ
    "\u0623": "\u0627",  # أ
    "\u0625": "\u0627",  # إ
    "\u0671": "\u0627",  # ٱ
    "\u0649": "\u064a",  # ى -> ي
    "\u0629": "\u0647",  # ة -> ه
    "\u0624": "\u0648",  # ؤ -> و
    "\u0626": "\u064a",  # ئ -> ي
    "\u06cc": "\u064a",  # Persian ی -> ي
    "\u06a9": "\u0643",  # Persian ک -> ك
    "\u06c0": "\u0647",  # ۀ -> ه
    # Urdu (and Punjabi, Sindhi, Pashto in Arabic script): heh goal and yeh barree as Lucene's Persian normaliser
    # folds them, heh doachashmee to heh too, teh marbuta goal as teh marbuta; their hamza forms alike
    "\u06c1": "\u0647",  # ہ -> ه
    "\u06c2": "\u0647",  # ۂ -> ه
    "\u06c3": "\u0647",  # ۃ -> ه
    "\u06be": "\u0647",  # ھ -> ه
    "\u06d2": "\u064a",  # ے -> ي
    "\u06d3": "\u064a",  # ۓ -> ي
    "\u200c": " ",  # zero-width non-joiner
    "\u0640": "",  # tatweel
    "İ": "i",
    "ı": "i",
    "ё": "е",
    "Ё": "е",
}
for _digit in range(10):
    _ARABIC_MAP[chr(0x0660 + _digit)] = str(_digit)
    _ARABIC_MAP[chr(0x06F0 + _digit)] = str(_digit)
# Latin letters with accents to their base letters (é -> e, ş -> s), precomputed so that folding is one
# translate call; Cyrillic й and ё are outside these ranges and keep (ё is mapped above).
for _code in [*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)]:
    _char = chr(_code)
    if _char in _ARABIC_MAP:
        continue
    _base = "".join(c for c in unicodedata.normalize("NFD", _char) if not unicodedata.combining(c))
    if _base and _base != _char and _base.isascii():
        _ARABIC_MAP[_char] = _base
_TABLE = str.maketrans(_ARABIC_MAP)
# the characters the table changes: outside ASCII, a search for them costs far less than ``str.translate``,
# which looks up every character of the text in the table
_MAPPED = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(_TABLE)) + "]")
_ASCII_KEPT = all(code > 0x7F for code in _TABLE)  # the table changes no ASCII character: ASCII text skips it

# Arabic harakat, Quranic marks, superscript alef; Hebrew points (not the maqaf, paseq or sof pasuq, which
# are punctuation); combining marks of Latin scripts are removed after NFD.
_OPTIONAL_MARKS = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7]"
)
_POSSESSIVE = re.compile(r"['’]s\b")  # after a word character: checked in ``_unless_possessive``
_WORD = re.compile(r"[^\W_]+")  # a word: letters and digits of any script (no underscore)
# the scripts written without spaces between words: Thai, Lao, Burmese, Khmer, Hiragana, Katakana, Han
_UNSEGMENTED = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff"  # Thai, Lao; Myanmar; Khmer
    "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"  # Hiragana, Katakana (and its extension, half-width forms)
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # Han (extension A, unified, compatibility)
)
_UNSEGMENTED_CHAR = re.compile(f"[{_UNSEGMENTED}]")
_UNSEGMENTED_RUNS = re.compile(f"([{_UNSEGMENTED}]+)")
_COMBINING = re.compile("[\u0300-\u036f]")
TOKENWISE_MIN_CHARS = 64  # shorter texts are folded whole: looking their tokens up costs about as much
MAX_TOKENS = 100_000  # tokens remembered with their key (cleared when full): about 20 MB at most
MAX_TOKEN_CHARS = 40  # a longer token is folded but not remembered
_TOKENS: dict[str, str] = {}
# The keys of the latest long texts folded (cleared when full): the stages of one article fold the same text
# more than once (its body for the fingerprint and for the story features): about a third of the characters
# folded in the parse stage of the bench mix had been folded a moment before.
RECENT_TEXTS = 16
RECENT_MAX_CHARS = 50_000  # a longer text is folded but not remembered: at most about 6 MB held
_RECENT: dict[str, str] = {}
_COMPOSED = "\x00"  # a token's key never holds it (a control character is no letter or digit)
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")


def fold(text: str) -> str:
    """The matching key of ``text``: lower-case, script variants folded, punctuation gone, single spaces.

    Article ids, content keys and dedup shingles are made from it: a change of its output changes them (bump
    ``dedup.fingerprint._HEADER_VERSION`` too).

    Nothing in folding reaches across white space, so a text is folded a whitespace-separated token at a time, each
    token's key remembered (most tokens of a stream recur): the same key as folding it whole, at a fraction of the
    cost; the keys of the latest long texts are remembered too. A short text, and one with a token that is composed
    again (``_fold_whole``: it then composes the whole text), is folded whole."""
    if len(text) < TOKENWISE_MIN_CHARS:
        return _fold_whole(text)
    key = _RECENT.get(text)
    if key is not None:
        return key
    parts = cached_map(_fold_token, text.split(), _TOKENS, MAX_TOKENS, MAX_TOKEN_CHARS)
    key = _fold_whole(text) if _COMPOSED in parts else " ".join(filter(None, parts))
    if len(text) <= RECENT_MAX_CHARS:
        if len(_RECENT) >= RECENT_TEXTS:
            _RECENT.clear()
        _RECENT[text] = key
    return key


def _fold_token(token: str) -> str:
    """``_fold_whole`` of one token, or ``_COMPOSED`` when it would compose the text again."""
    token = _lowered(token)
    if _COMBINING.search(token):
        return _COMPOSED
    return " ".join(_words(token))


def _fold_whole(text: str) -> str:
    text = _lowered(text)
    if _COMBINING.search(text):  # decomposed input (e + U+0301): compose, then fold again
        text = unicodedata.normalize("NFC", text).translate(_TABLE)
    return " ".join(_words(text))


def _words(text: str) -> list[str]:
    """The words of lowered text: letters and digits, with the combining marks of a script that has them."""
    if text.isascii():
        return _WORD.findall(text)
    marks, marked_word = _marked_words()
    return (_WORD if marks.search(text) is None else marked_word).findall(text)


@functools.cache
def _marked_words() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A combining mark of the scripts that write vowels and other signs with them (the Unicode categories Mn,
    Mc and Me from U+0370 on: the marks of Latin letters are composed and dropped), and a word with them.
    Made from the Unicode database when first needed (about 30 ms); a word without marks is matched by the
    simpler, faster ``_WORD``."""
    ranges: list[list[int]] = []
    for code in range(0x0370, 0x10000):
        if unicodedata.category(chr(code)) in ("Mn", "Mc", "Me"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    marks = "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)
    return re.compile(f"[{marks}]"), re.compile(f"[^\\W_]+(?:[{marks}]+[^\\W_]*)*")


def _lowered(text: str) -> str:
    """Letters mapped, Arabic and Hebrew marks and the possessive dropped, case-folded: folding before
    composition."""
    if not (_ASCII_KEPT and text.isascii()):
        text = _MAPPED.sub(_mapped, text)
    text = _OPTIONAL_MARKS.sub("", text)
    if "'" in text or "’" in text:
        text = _POSSESSIVE.sub(_unless_possessive, text)
    return text.casefold()


def _mapped(match: re.Match[str]) -> str:
    return str(_TABLE[ord(match.group())])


def _unless_possessive(match: re.Match[str]) -> str:
    """``'s`` dropped after a word character (a look-behind in the pattern would cost it its literal prefix,
    and the search several times its time)."""
    start = match.start()
    before = match.string[start - 1] if start else " "
    return "" if before.isalnum() or before == "_" else match.group()


def cached_map(
    function: Callable[[str], T], words: list[str], cache: dict[str, T], limit: int, max_chars: int | None = None
) -> list[T]:
    """``function`` of each word, remembered in ``cache`` (cleared when it holds ``limit`` words): most words
    of a stream recur, and the stages that map every word of an article (features, hashes, folding) look
    them up. A word longer than ``max_chars`` (a link, a blob) is mapped but not remembered."""
    if len(cache) >= limit:
        cache.clear()
    out = list(map(cache.get, words))
    if None in out:
        for i, value in enumerate(out):
            if value is None:
                word = words[i]
                out[i] = value = function(word)
                if max_chars is None or len(word) <= max_chars:
                    cache[word] = value
    return out  # type: ignore[return-value]  # no None left


def tokens(text: str) -> list[str]:
    """Folded words."""
    return fold(text).split()


def words(folded: str) -> list[str]:
    """The words of a folded text, to compare texts by: a run of a script written without spaces between words
    (``unsegmented``) in overlapping character bigrams (one character alone stays), the usual indexing unit
    of those scripts where no dictionary is at hand (Lucene's CJK bigrams; Kwok 1997 for Chinese)."""
    if folded.isascii() or _UNSEGMENTED_CHAR.search(folded) is None:
        return folded.split()
    out: list[str] = []
    for word in folded.split():
        if _UNSEGMENTED_CHAR.search(word) is None:
            out.append(word)
            continue
        for run in _UNSEGMENTED_RUNS.split(word):
            if not run:
                continue
            if len(run) > 1 and _UNSEGMENTED_CHAR.match(run):
                out.extend(run[i : i + 2] for i in range(len(run) - 1))
            else:
                out.append(run)
    return out


def has_unsegmented(text: str) -> bool:
    """Whether ``text`` has a letter of a script written without spaces between words."""
    return _UNSEGMENTED_CHAR.search(text) is not None


def unsegmented(word: str) -> bool:
    """Whether ``word`` is of a script written without spaces between words (a bigram of ``words``)."""
    return _UNSEGMENTED_CHAR.match(word) is not None


def has_arabic_script(text: str) -> bool:
    return _ARABIC_SCRIPT.search(text) is not None

"""Capitalised short forms ("US", "UN", "EU") read as the names they stand for, before text is folded.

Folding lowercases, and the lexicon drops every term under three letters, so "US" would be lost or read as
the word "us". The forms and their names come from ``entities.yaml`` (``abbreviations``); each is matched
case-sensitively as a whole word and written out ("US urges" -> "United States urges"), except next to a word
written in capitals ("LET US TALK"), inside "U.S." or "UNHCR", or before "$".
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["ShortForms"]

NEIGHBOUR_CHARS = 40  # how far to look for the words either side of a short form
_LAST_WORD = re.compile(r"(\w+)\W*$")
_FIRST_WORD = re.compile(r"\W*(\w+)")


class ShortForms:
    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = {str(k): str(v) for k, v in names.items()}
        self._pattern: re.Pattern[str] | None = None
        if self.names:
            forms = "|".join(re.escape(k) for k in sorted(self.names, key=len, reverse=True))
            # not followed by a letter, "$" or ".x" ("UNHCR", "US$", "U.S."); the character before is checked
            # in ``expand`` (a leading look-behind would cost the search its literal prefix: several times slower)
            self._pattern = re.compile(rf"(?:{forms})(?![\w$]|\.\w)")

    def expand(self, text: str) -> str:
        """``text`` with its short forms written out."""
        if self._pattern is None:
            return text

        def shouted(word: str) -> bool:
            return len(word) > 1 and word.isupper() and word not in self.names

        def written_out(match: re.Match[str]) -> str:
            start, end = match.start(), match.end()
            if start and (text[start - 1].isalnum() or text[start - 1] in "._$"):
                return match.group(0)  # the end of a longer word or of "U.S."
            before = _LAST_WORD.search(text, max(0, start - NEIGHBOUR_CHARS), start)
            after = _FIRST_WORD.match(text, end, end + NEIGHBOUR_CHARS)
            if (before and shouted(before.group(1))) or (after and shouted(after.group(1))):
                return match.group(0)  # a headline in capitals, not an abbreviation
            return self.names[match.group(0)]

        return self._pattern.sub(written_out, text)

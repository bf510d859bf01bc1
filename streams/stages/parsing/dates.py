"""Publication dates to UTC: RFC 822/1123, ISO 8601, and Arabic dates with Levantine or Egyptian month names.

Returns ``None`` when nothing date-like is found; the caller falls back to the fetch time with a flag.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from streams.stages.textnorm import fold

__all__ = ["parse_date"]

# Month names after textnorm.fold (so أيار and ايار, تشرين الثاني and تشرين الثانى, all meet).
_ARABIC_MONTHS = {
    # Levantine (Syriac-derived)
    "كانون الثاني": 1,
    "شباط": 2,
    "اذار": 3,
    "نيسان": 4,
    "ايار": 5,
    "حزيران": 6,
    "تموز": 7,
    "اب": 8,
    "ايلول": 9,
    "تشرين الاول": 10,
    "تشرين الثاني": 11,
    "كانون الاول": 12,
    # Egyptian / Gulf (from the Latin names)
    "يناير": 1,
    "فبراير": 2,
    "مارس": 3,
    "ابريل": 4,
    "مايو": 5,
    "يونيو": 6,
    "يونيه": 6,
    "يوليو": 7,
    "يوليه": 7,
    "اغسطس": 8,
    "سبتمبر": 9,
    "اكتوبر": 10,
    "نوفمبر": 11,
    "ديسمبر": 12,
    # Maghrebi
    "جانفي": 1,
    "فيفري": 2,
    "افريل": 4,
    "ماي": 5,
    "جوان": 6,
    "جويليه": 7,
    "اوت": 8,
}
_MONTH_ALT = "|".join(sorted((re.escape(fold(name)) for name in _ARABIC_MONTHS), key=len, reverse=True))
_ARABIC_DATE = re.compile(rf"\b(\d{{1,2}})\s+(?:من\s+)?({_MONTH_ALT})\s+(?:عام\s+|سنه\s+)?(\d{{4}})\b")
_TIME = re.compile(r"\b(\d{1,2}):(\d{2})(?::(\d{2}))?\b")
_ISO_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}")
# RFC 822 dates written with local day and month names ("Seg, 24 Set 2018 19:42:40 -0300")
_LOCAL_RFC822 = re.compile(r"^(?:[^\W\d]+\.?,?\s+)?(\d{1,2})\s+([^\W\d]+)\.?\s+(\d{4})\s+(.*)$")
_MONTH_PREFIXES = {
    # first three letters, folded: English, Portuguese, Spanish, French, German, Italian, Turkish, Russian
    1: ("jan", "ene", "gen", "oca", "янв"),
    2: ("feb", "fev", "fév", "şub", "sub", "фев"),
    3: ("mar", "mär", "мар"),
    4: ("apr", "abr", "avr", "nis", "апр"),
    5: ("may", "mai", "mag", "мая", "май"),
    6: ("jun", "jui", "giu", "haz", "июн"),
    7: ("jul", "lug", "tem", "июл"),
    8: ("aug", "ago", "aoû", "aou", "ağu", "agu", "авг"),
    9: ("sep", "set", "eyl", "сен"),
    10: ("oct", "out", "okt", "ott", "eki", "окт"),
    11: ("nov", "kas", "ноя"),
    12: ("dec", "dez", "dic", "déc", "ara", "дек"),
}
_MONTH_BY_PREFIX = {prefix: month for month, prefixes in _MONTH_PREFIXES.items() for prefix in prefixes}
_ENGLISH_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_OFFSET_WITHOUT_COLON = re.compile(r"([+-]\d{2})(\d{2})$")


def parse_date(value: str | None) -> datetime | None:
    """Parse ``value`` into an aware UTC datetime, or ``None``. Dates without a zone are taken as UTC."""
    if not value:
        return None
    text = value.strip()
    if not text:
        return None
    parsed = _iso(text) or _rfc822(text) or _local_rfc822(text) or _arabic(text)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    if not 1990 <= parsed.year <= datetime.now(UTC).year + 1:
        return None
    return parsed


def _iso(text: str) -> datetime | None:
    if not _ISO_LIKE.match(text):
        return None
    candidate = text.replace("Z", "+00:00").replace("z", "+00:00")
    candidate = _OFFSET_WITHOUT_COLON.sub(r"\1:\2", candidate)
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        try:
            return datetime.fromisoformat(candidate[:10])
        except ValueError:
            return None


def _rfc822(text: str) -> datetime | None:
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def _local_rfc822(text: str) -> datetime | None:
    match = _LOCAL_RFC822.match(text)
    if not match:
        return None
    day, month_name, year, rest = match.groups()
    month = _MONTH_BY_PREFIX.get(month_name.lower()[:3])
    if month is None:
        return None
    return _rfc822(f"{int(day)} {_ENGLISH_MONTHS[month - 1]} {year} {rest}")


def _arabic(text: str) -> datetime | None:
    folded = fold(text)
    match = _ARABIC_DATE.search(folded)
    if not match:
        return None
    day, month_name, year = match.groups()
    month = _ARABIC_MONTHS.get(month_name)
    if month is None:
        return None
    try:
        moment = datetime(int(year), month, int(day))
    except ValueError:
        return None
    time_match = _TIME.search(text.translate(str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")))
    if time_match:
        hours, minutes = int(time_match.group(1)), int(time_match.group(2))
        if hours < 24 and minutes < 60:
            moment += timedelta(hours=hours, minutes=minutes)
    return moment

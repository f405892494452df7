"""When: a day and perhaps a time of day.

Rules chosen where the language is ambiguous:

Day: an explicit date wins over vandaag/morgen/overmorgen/"over 3 dagen",
which win over a weekday. A weekday alone, "volgende/komende/next <day>"
mean the next such day strictly after today; "deze/this <day>" may be today;
"volgende week <day>", "<day> volgende week", "next week <day>" mean that
day in the (Monday-based) week after this one. A day and month without a
year that has passed this year means next year. Numeric dates are day first
("12-11" is 12 November); "12/25" (second part over 12) is read month first.
A dotted pair ("12.12") is never a date unless a year follows ("12.12.2026").
Weekday abbreviations (ma, di, ..., mon, tue, ...) count only before a time
or a number ("wo 14u"), since "zo" and "do" are words too.
Time: the leftmost time expression wins ("van 10 tot 12" -> 10:00). Hours
1..7 without am/pm, without a leading zero and without a morning word are
afternoon hours (office context: "half 3" -> 14:30, "om 2 uur" -> 14:00); for
"half"/"kwart voor" the rule applies to the named hour ("half 8" -> 07:30).
A dotted time ("14.00") needs minutes that are a multiple of five or a
following "uur"/"u", so that "2.14" is never a time. "'s ochtends",
"'s middags", "'s avonds" (and morning/afternoon/evening) give 09:00, 13:00,
19:00 when no clock time is given, and make "8 uur 's avonds" 20:00. A time
without a day is today when still ahead of ``now``, else tomorrow. "2 uur"
after "duurt", "over", "ongeveer", ... is a duration, not a time. "volgende
week" alone gives no day. Past dates and times are returned as said; the
dialog decides what to do with them. Room numbers, floors, person counts,
plates, cost centres, amounts, percentages, e-mail addresses, phone numbers,
greetings ("goedemorgen") and "sinds ..." / "since ..." (when a fault started,
not when to come) are masked before dates and times are looked for.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache

from dialogs.entities._text import (
    _COUNT_ALT,
    _CUE_HOUR_ALT,
    _HOUR_ALT,
    _HOUR_WORDS,
    _MONTH_ALT,
    _MONTH_STEMS,
    _MONTHS,
    Span,
    _fold,
    _has_digit,
    _mask,
    _number,
    _word_matches,
    _word_search,
    _words,
)
from dialogs.entities.cost_centre import _cost_centre
from dialogs.entities.location import _location
from dialogs.entities.persons import _persons
from dialogs.entities.plates import _plates

__all__ = ["AFTERNOON", "EVENING", "MORNING", "NOON", "When", "parse_when"]


@dataclass(frozen=True, slots=True)
class When:
    day: dt.date
    time: dt.time | None = None  # None when only a day was given
    tzinfo: dt.tzinfo | None = field(default=None, compare=False, repr=False)

    def at(self, default: dt.time) -> dt.datetime:
        """The moment, aware in ``now``'s time zone; ``default`` when no time was given."""
        clock = self.time if self.time is not None else default
        tz = self.tzinfo if self.tzinfo is not None else _amsterdam()
        return dt.datetime.combine(self.day, clock.replace(tzinfo=None), tzinfo=tz)


@lru_cache(maxsize=1)
def _amsterdam() -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Amsterdam")


_WEEKDAY_NAMES = (
    "maandag monday",
    "dinsdag tuesday",
    "woensdag wednesday",
    "donderdag thursday",
    "vrijdag friday",
    "zaterdag saturday",
    "zondag sunday",
)
_WEEKDAYS: dict[str, int] = {
    name: day for day, names in enumerate(_WEEKDAY_NAMES) for name in names.split()
}
# Abbreviations count only before a time or date: "zo", "do", "sun" are words too.
_WEEKDAY_ABBREVIATION_NAMES = (
    "ma mon",
    "di tue tues",
    "wo wed",
    "do thu thur thurs",
    "vr fri",
    "za sat",
    "zo sun",
)
_WEEKDAY_ABBREVIATIONS: dict[str, int] = {
    name: day for day, names in enumerate(_WEEKDAY_ABBREVIATION_NAMES) for name in names.split()
}

MORNING, NOON, AFTERNOON, EVENING = "morning", "noon", "afternoon", "evening"
_PART_DEFAULTS = {
    MORNING: dt.time(9, 0),
    NOON: dt.time(12, 0),
    AFTERNOON: dt.time(13, 0),
    EVENING: dt.time(19, 0),
}
_PART_WORDS = {
    "ochtend": MORNING,
    "morgen": MORNING,
    "voormiddag": MORNING,
    "morning": MORNING,
    "middag": AFTERNOON,
    "namiddag": AFTERNOON,
    "afternoon": AFTERNOON,
    "avond": EVENING,
    "evening": EVENING,
    "tonight": EVENING,
    "noon": NOON,
    "midday": NOON,
}

# Greetings are not times: "goedemorgen", "good afternoon".
_GREETING_RE = re.compile(
    r"(?:goede?n?|goeie(?:n)?|good)\s*(?:morgen|middag|avond|ochtend|dag|morning|afternoon"
    r"|evening|day)\b"
)
# Parts of the day: found by the word itself (fast), then judged by what comes before.
_PART_RE = re.compile(
    r"(?:voormiddag|namiddag|ochtend|morgen|middag|avond|morning|afternoon|evening|tonight"
    r"|noon|midday|lunch\s*(?:tijd|time))(?P<s>s?)(?![a-z])"
)
_APOSTROPHE_S_RE = re.compile(r"(?:'s|(?<![a-z])s')\s*$")
_LUNCH_BEFORE_RE = re.compile(r"(?:tussen\s+de\s+|12\s+)$")
# "overmorgen" is a day and "goedemorgen" a greeting (masked before), not a morning.
_NOT_PART_PREFIXES = ("over", "goede", "goeie", "goeden")

_RELATIVE_DAY_RE = re.compile(
    r"\b(?P<today>vandaag|today|tonight|vanochtend|vanmorgen|vanmiddag|vanavond"
    r"|this\s+(?:morning|afternoon|evening))\b"
    r"|(?P<after>overmorgen|(?:the\s+)?day\s+after\s+tomorrow)(?:ochtend|morgen|middag|avond)?\b"
    r"|(?P<tomorrow>morgen|tomorrow)(?:ochtend|middag|avond|vroeg)?\b"
    rf"|(?:over|in)\s+(?P<n>\d{{1,2}}|{_COUNT_ALT}|a|an)\s+"
    r"(?P<unit>dagen|dag|days|day|weken|week|weeks)\b"
)
_WEEK_AHEAD = r"(?:volgende|komende|next|coming)\s+week"
_WEEKDAY_RE = re.compile(rf"(?:{_words(_WEEKDAYS)})(?=(?:s|ochtend|morgen|middag|avond)?(?![a-z]))")
# What may stand before and after a weekday: "volgende week dinsdag", "dinsdag volgende week".
_WEEKDAY_BEFORE_RE = re.compile(
    rf"(?:(?<![a-z])(?P<week>{_WEEK_AHEAD})\s+(?:op\s+|on\s+)?"
    r"|(?<![a-z])(?P<pre>volgende|komende|aanstaande|deze|next|this|coming)\s+)$"
)
_WEEKDAY_AFTER_RE = re.compile(
    rf"(?:s|ochtend|morgen|middag|avond)?\s+(?:(?:van|in)\s+(?:de\s+)?)?{_WEEK_AHEAD}\b"
)
_WEEKDAY_ABBR_RE = re.compile(
    rf"(?P<wd>{_words(_WEEKDAY_ABBREVIATIONS)})\b\.?(?=\s*(?:\d|om\b|at\b|half\b|kwart\b))"
)
_ORD_SUFFIX = r"(?:e|de|ste|st|nd|rd|th)"
_DAY_MONTH_RE = re.compile(
    rf"(?<![\w.:/-])(?P<d>\d{{1,2}}){_ORD_SUFFIX}?\s*(?:of\s+)?(?P<m>{_MONTH_ALT})\.?(?![a-z])"
    r"(?:\s*,?\s*(?P<y>\d{4})(?![\d:]))?"
)
_MONTH_DAY_RE = re.compile(
    rf"(?P<m>{_MONTH_ALT})\.?\s+(?P<d>\d{{1,2}}){_ORD_SUFFIX}?(?![\w:.]|\s*(?:uur|u|h|am|pm)\b)"
    r"(?:\s*,?\s*(?P<y>\d{4})(?![\d:]))?"
)
_ISO_DATE_RE = re.compile(
    r"(?<![\w.:/-])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\w:]|[-/.]\d)"
)
_NUMERIC_DATE_RE = re.compile(
    r"(?<![\w.:/-])(?P<d>\d{1,2})(?P<sep>[-/])(?P<m>\d{1,2})(?:(?P=sep)(?P<y>\d{4}|\d{2}))?"
    r"(?![\w:/-]|\.\d|\s*(?:uur|u|h)\b)"
    r"|(?<![\w.:/-])(?P<d2>\d{1,2})\.(?P<m2>\d{1,2})\.(?P<y2>\d{4}|\d{2})(?![\w:/.-]|\.\d)"
)
_DAY_OF_MONTH_RE = re.compile(rf"(?:op\s+de|de|on\s+the|the)\s+(?P<d>\d{{1,2}}){_ORD_SUFFIX}\b")

_AMPM = r"(?P<ampm>\s*(?:a\.?m\.?|p\.?m\.?)(?![a-z]))?"
_TIME_CUE = r"(?:om|at|rond|rondom|omstreeks|around|tegen|vanaf)"
# (kind, pattern, needs a digit, hints: the pattern runs only when one of them is in the text)
_TIME_RES: tuple[tuple[str, re.Pattern[str], bool, tuple[str, ...]], ...] = (
    (
        "range",
        re.compile(
            r"(?:van|from|tussen|between)\s+(?P<h>\d{1,2})(?:[:.](?P<mi>\d{2}))?\s*(?:uur\s*)?"
            r"(?:-|tot|to|until|till|en|and)\s*\d{1,2}(?:[:.]\d{2})?(?!\d)" + _AMPM
        ),
        True,
        ("van", "from", "tussen", "between"),
    ),
    (
        "clock",
        re.compile(
            r"(?<![\w.:,/-])(?P<h>\d{1,2})(?P<sep>[:.])(?P<mi>\d{2})(?![\d]|[.:]\d)"
            r"(?P<suffix>\s*(?:uur|u|h)\b)?" + _AMPM
        ),
        True,
        (":", "."),
    ),
    (
        "compact",
        re.compile(r"(?<![\w.:,/-])(?P<h>\d{1,2})[uh](?P<mi>\d{2})?\b" + _AMPM),
        True,
        ("u", "h"),
    ),
    (
        "hour_range",
        re.compile(r"(?<![\w.:,/-])(?P<h>\d{1,2})\s*-\s*\d{1,2}\s*(?:uur|u|h)\b" + _AMPM),
        True,
        ("-",),
    ),
    (
        "half_past",
        re.compile(rf"half\s+past\s+(?P<h>\d{{1,2}}|{_HOUR_ALT})\b(?!\s*[:.]\d)" + _AMPM),
        False,
        ("half",),
    ),
    (
        "quarter",
        re.compile(
            rf"\b(?P<q>quarter|kwart|\d{{1,2}}|vijf|tien|twintig|five|ten|twenty)"
            rf"\s+(?P<dir>over|voor|past|to)\s+(?P<half>half\s+)?(?P<h>\d{{1,2}}|{_HOUR_ALT})\b"
            r"(?!\s*[:.]\d|\s*(?:dagen|dag|days|day|weken|week|weeks|uur|hours?)\b)" + _AMPM
        ),
        False,
        ("over", "voor", "past", "to"),
    ),
    (
        "half",
        re.compile(rf"half\s+(?P<h>\d{{1,2}}|{_HOUR_ALT})\b(?!\s*[:.]\d)" + _AMPM),
        False,
        ("half",),
    ),
    (
        "ampm",
        re.compile(r"(?<![\w.:,/-])(?P<h>\d{1,2})" + _AMPM.replace(")?", ")")),
        True,
        ("am", "pm", "a.m", "p.m"),
    ),
    (
        "uur",
        re.compile(rf"(?<![\w.:,/-])(?P<h>\d{{1,2}}|{_HOUR_ALT})\s*(?:uur|o'?clock)\b" + _AMPM),
        False,
        ("uur", "clock"),
    ),
    (
        "cue",
        re.compile(
            rf"{_TIME_CUE}\s+(?:(?:ca\.?|circa|ongeveer|about)\s+)?"
            rf"(?P<h>\d{{1,2}}|{_CUE_HOUR_ALT})\b(?![.,:/-]?\d|\s*(?:%|euro|eur|x)\b)" + _AMPM
        ),
        False,
        ("om", "at", "rond", "omstreeks", "around", "tegen", "vanaf"),
    ),
)
# A number of hours, not a time of day: "het duurt 2 uur", "over 2 uur".
_DURATION_BEFORE = frozenset(
    [
        "duurt",
        "duren",
        "duurde",
        "gedurende",
        "ruim",
        "circa",
        "ca",
        "ongeveer",
        "maximaal",
        "max",
        "minimaal",
        "min",
        "per",
        "elke",
        "iedere",
        "over",
        "for",
        "nog",
        "zo'n",
        "zon",
        "binnen",
    ]
)
_DURATION_AFTER_RE = re.compile(r"\s*(?:lang|durend|extra|later|eerder|nodig|werk)\b")

# Spans that are not dates or times, blanked out before dates and times are read.
_CURRENCY_RE = re.compile(
    r"(?:\u20ac|\beur\b|\beuro\b)\s*\d+(?:[.,]\d+)?|\d+(?:[.,]\d+)?\s*(?:\u20ac|euro|eur)\b"
)
_EMAIL_LIKE_RE = re.compile(r"\S+@\S+")
_PHONE_RE = re.compile(r"(?:\+|00)\d{2}[\s-]?\d[\d\s-]{7,12}\d|0\d{1,3}[\s-]?\d{6,8}(?!\d)")
_PERCENT_RE = re.compile(r"\d+(?:[.,]\d+)?\s*%")


_SINCE_RE = re.compile(
    r"(?:sinds|sedert|since)\s+(?:(?:de|het|the|last|vorige|afgelopen)\s+)?"
    r"[\w:.']+(?:\s+(?:uur|am|pm|'s\s+\w+))?"
)
# (pattern, needs a digit, hints)
_MISC_MASKS: tuple[tuple[re.Pattern[str], bool, tuple[str, ...]], ...] = (
    (_CURRENCY_RE, True, ("\u20ac", "eur")),
    (_EMAIL_LIKE_RE, False, ("@",)),
    (_PHONE_RE, True, ("0", "+")),
    (_PERCENT_RE, True, ("%",)),
    (_GREETING_RE, False, ("goe", "good")),
    (_SINCE_RE, False, ("sinds", "sedert", "since")),
)


def _misc_spans(folded: str, has_digit: bool) -> list[Span]:
    """Amounts, e-mail addresses, phone numbers, greetings, "sinds gisteren"."""
    spans: list[Span] = []
    for pattern, needs_digit, hints in _MISC_MASKS:
        if (has_digit or not needs_digit) and any(hint in folded for hint in hints):
            spans.extend(m.span() for m in _word_matches(pattern, folded))
    return spans


def _non_time_spans(text: str, folded: str, has_digit: bool) -> list[Span]:
    """Everything that must not be read as a date or time."""
    spans = _location(folded, (), has_digit)[1]
    spans += _persons(folded)[1]
    spans += _cost_centre(folded)[1]
    spans += [span for _, span in _plates(text, folded, has_digit, spans)]
    spans += _misc_spans(folded, has_digit)
    return spans


def _valid_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _upcoming(month: int, day: int, today: dt.date) -> dt.date | None:
    """This year's ``day month``, or next year's when it has passed."""
    for year in range(today.year, today.year + 9):
        candidate = _valid_date(year, month, day)
        if candidate is not None and candidate >= today:
            return candidate
    return None


def _full_year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _explicit_date(text: str, today: dt.date) -> tuple[int, dt.date] | None:
    found: list[tuple[int, dt.date]] = []
    patterns: list[re.Pattern[str]] = []
    if "-" in text:
        patterns.append(_ISO_DATE_RE)
    if any(stem in text for stem in _MONTH_STEMS):
        patterns += (_DAY_MONTH_RE, _MONTH_DAY_RE)
    if "-" in text or "/" in text or text.count(".") >= 2:
        patterns.append(_NUMERIC_DATE_RE)
    for pattern in patterns:
        for match in _word_matches(pattern, text):
            groups = match.groupdict()
            day_text = groups.get("d") or groups.get("d2")
            month_text = groups.get("m") or groups.get("m2")
            year_text = groups.get("y") or groups.get("y2")
            if not day_text or not month_text:
                continue
            day = int(day_text)
            month = _MONTHS[month_text] if month_text in _MONTHS else int(month_text)
            if pattern is _NUMERIC_DATE_RE and month > 12 >= day:
                day, month = month, day  # 12/25: month first
            if year_text:
                date = _valid_date(_full_year(year_text), month, day)
            else:
                date = _upcoming(month, day, today) if 1 <= month <= 12 else None
            if date is not None:
                found.append((match.start(), date))
                break
    return min(found, key=lambda item: item[0]) if found else None


_RELATIVE_HINTS = ("vandaag", "today", "tonight", "van", "this", "morgen", "tomorrow", "da", "wee")


def _relative_day(text: str, today: dt.date) -> tuple[int, dt.date] | None:
    if not any(hint in text for hint in _RELATIVE_HINTS):
        return None
    for match in _word_matches(_RELATIVE_DAY_RE, text):
        if match.group("today"):
            return match.start(), today
        if match.group("after"):
            return match.start(), today + dt.timedelta(days=2)
        if match.group("tomorrow"):
            return match.start(), today + dt.timedelta(days=1)
        amount_text = match.group("n")
        amount = 1 if amount_text in ("a", "an") else _number(amount_text)
        if amount is None or amount > 400:
            continue
        days = amount * 7 if match.group("unit").startswith("we") else amount
        return match.start(), today + dt.timedelta(days=days)
    return None


def _weekday_date(weekday: int, today: dt.date, next_week: bool, may_be_today: bool) -> dt.date:
    if next_week:
        monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=7)
        return monday + dt.timedelta(days=weekday)
    ahead = (weekday - today.weekday()) % 7
    if ahead == 0 and not may_be_today:
        ahead = 7
    return today + dt.timedelta(days=ahead)


def _weekday(text: str, today: dt.date, has_digit: bool) -> tuple[int, dt.date] | None:
    match = _word_search(_WEEKDAY_RE, text) if "dag" in text or "day" in text else None
    if match:
        before = _WEEKDAY_BEFORE_RE.search(text, max(0, match.start() - 24), match.start())
        after = _WEEKDAY_AFTER_RE.match(text, match.end())
        next_week = bool(after or (before and before.group("week")))
        may_be_today = bool(before and before.group("pre") in ("deze", "this"))
        weekday = _WEEKDAYS[match.group()]
        return match.start(), _weekday_date(weekday, today, next_week, may_be_today)
    match = _word_search(_WEEKDAY_ABBR_RE, text) if has_digit else None
    if match:
        weekday = _WEEKDAY_ABBREVIATIONS[match.group("wd")]
        return match.start(), _weekday_date(weekday, today, False, False)
    return None


def _day_of_month(text: str, today: dt.date) -> tuple[int, dt.date] | None:
    for match in _word_matches(_DAY_OF_MONTH_RE, text):
        day = int(match.group("d"))
        year, month = today.year, today.month
        for _ in range(3):
            candidate = _valid_date(year, month, day)
            if candidate is not None and candidate >= today:
                return match.start(), candidate
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


_PART_HINTS = (
    "ochtend",
    "morgen",
    "middag",
    "avond",
    "morning",
    "afternoon",
    "evening",
    "tonight",
    "noon",
    "lunch",
)


def _part_of_day(text: str) -> tuple[str | None, list[Span]]:
    """The first part of the day named, and the spans of "'s morgens" and the like."""
    part: str | None = None
    spans: list[Span] = []
    if not any(hint in text for hint in _PART_HINTS):
        return None, spans
    for match in _PART_RE.finditer(text):
        start = match.start()
        word = match.group()[: len(match.group()) - len(match.group("s"))]
        before = text[max(0, start - 12) : start]
        plural = bool(match.group("s"))
        glued = bool(before) and before[-1].isalpha()  # "dinsdagmiddag", "vanavond"
        value: str | None
        if word.startswith("lunch") or word in ("noon", "midday"):
            value = NOON
        elif word == "middag" and _LUNCH_BEFORE_RE.search(before):
            value = NOON  # "tussen de middag"
        else:
            value = _PART_WORDS.get(word)
        apostrophe = _APOSTROPHE_S_RE.search(before)
        if plural and apostrophe:  # "'s morgens"
            spans.append((start - len(apostrophe.group()), match.end()))
        elif plural and not glued and word in ("morgen", "ochtend", "middag", "avond"):
            spans.append(match.span())  # "morgens"
        elif plural:
            continue
        elif glued:
            if before.endswith(_NOT_PART_PREFIXES) or word not in _GLUED_PARTS:
                continue
        elif word == "morgen":
            continue  # "morgen" on its own is tomorrow
        if value is not None and part is None:
            part = value
    return part, spans


_GLUED_PARTS = frozenset({"ochtend", "morgen", "middag", "avond"})


def _hour_value(text: str) -> int | None:
    return int(text) if text.isdigit() else _HOUR_WORDS.get(text)


def _to_24h(hour: int, ampm: str | None, leading_zero: bool, part: str | None) -> int | None:
    """The 24-hour value of a named hour (see the module docstring for the rule)."""
    if ampm:
        if not 1 <= hour <= 12:
            return None
        pm = ampm.replace(".", "").strip().startswith("p")
        return (hour % 12) + (12 if pm else 0)
    if not 0 <= hour <= 24:
        return None
    if hour == 24:
        return 0
    if leading_zero or hour == 0 or hour >= 12:
        return hour
    if part == MORNING:
        return hour
    if part in (AFTERNOON, EVENING) or 1 <= hour <= 7:
        return hour + 12
    return hour


def _time_from_match(
    kind: str, match: re.Match[str], text: str, part: str | None
) -> dt.time | None:
    groups = match.groupdict()
    hour_text = groups.get("h") or groups.get("h2") or ""
    hour = _hour_value(hour_text)
    if hour is None:
        return None
    ampm = groups.get("ampm")
    minute = 0
    offset = 0  # minutes relative to the named hour
    if kind in ("clock", "compact", "range"):
        minute = int(groups.get("mi") or 0)
        if minute > 59:
            return None
        if kind == "clock" and groups["sep"] == "." and minute % 5 and not groups["suffix"]:
            return None
    elif kind == "half_past":
        minute = 30
    elif kind == "half":
        offset = -30
    elif kind == "quarter":
        amount_text = groups["q"]
        amount = 15 if amount_text in ("kwart", "quarter") else _number(amount_text)
        if amount is None or not 1 <= amount <= 29:
            return None
        sign = 1 if groups["dir"] in ("over", "past") else -1
        offset = sign * amount - (30 if groups["half"] else 0)
    elif kind in ("uur", "cue"):
        before = text[: match.start()].split()
        if before and before[-1].strip(",.") in _DURATION_BEFORE:
            return None
        if _DURATION_AFTER_RE.match(text, match.end()):
            return None
    leading_zero = len(hour_text) == 2 and hour_text.startswith("0")
    hour24 = _to_24h(hour, ampm, leading_zero, part)
    if hour24 is None or hour24 > 23:
        return None
    total = (hour24 * 60 + minute + offset) % (24 * 60)
    return dt.time(total // 60, total % 60)


def _clock_time(text: str, part: str | None, has_digit: bool) -> dt.time | None:
    """The leftmost clock time (the longest expression when two start at the same place)."""
    best: tuple[int, int, dt.time] | None = None  # (start, -length, time)
    for kind, pattern, needs_digit, hints in _TIME_RES:
        if needs_digit and not has_digit or not any(hint in text for hint in hints):
            continue
        for match in _word_matches(pattern, text):
            if best is not None and match.start() > best[0]:
                break
            value = _time_from_match(kind, match, text, part)
            if value is None:
                continue
            key = (match.start(), -(match.end() - match.start()))
            if best is None or key < best[:2]:
                best = (key[0], key[1], value)
            break
    return best[2] if best else None


def _when(folded: str, now: dt.datetime) -> When | None:
    today = now.date()
    part, part_spans = _part_of_day(folded)
    text = _mask(folded, part_spans)
    has_digit = _has_digit(text)
    day_found = (
        (_explicit_date(text, today) if has_digit else None)
        or _relative_day(text, today)
        or _weekday(text, today, has_digit)
        or (_day_of_month(text, today) if has_digit else None)
    )
    clock = _clock_time(text, part, has_digit)
    if clock is None and part is not None:
        clock = _PART_DEFAULTS[part]
    if day_found is None and clock is None:
        return None
    if day_found is not None:
        day = day_found[1]
    else:
        assert clock is not None
        day = today if clock > now.time().replace(tzinfo=None) else today + dt.timedelta(days=1)
    return When(day, clock, now.tzinfo)


def parse_when(text: str, now: dt.datetime) -> When | None:
    """A day and perhaps a time in ``text``, relative to ``now`` (aware)."""
    folded = _fold(text)
    return _when(_mask(folded, _non_time_spans(text, folded, _has_digit(folded))), now)

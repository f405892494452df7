"""The SLA clock: response and resolution deadlines, and whether a ticket is at risk.

Pure domain code: no I/O, no knowledge import. Composition code reads the knowledge
(``sla.yaml``, ``organisation.yaml``) and calls ``SlaClock.from_config``.

Units (``Duration``)
    ``m`` minutes, ``h`` hours, ``bh`` business hours, ``bd`` business days.

Business time (``BusinessCalendar``)
    The half-open local interval ``[open, close)`` on a business day: a configured
    weekday that is not a public holiday of the configured country (the ``holidays``
    package's public category; for NL that includes Good Friday, and Liberation Day
    only in lustrum years: 2025, 2030, ...). Local means the calendar's time zone, so
    business hours stay 08:00-17:30 on the wall clock across DST changes; a business
    second is a real (elapsed) second inside such an interval.

``BusinessCalendar.add(start, duration)``
    ``m``/``h``: elapsed time, added in UTC (DST-correct: 4h is always 4 real hours).
    ``bh``: the earliest instant by which that many business seconds have passed since
    ``start``; time outside business hours does not count. A deadline that uses up a
    day exactly lands on that day's close (13:30 + 4bh = 17:30, not 08:00 next day).
    ``bd``: the same local time of day, that many business days later. A start outside
    business time first moves to the next business start. With 08:00-17:30:
    1bd from Tue 10:00 = Wed 10:00; from Fri 16:00 = Mon 16:00; from Sat 11:00 = Tue
    08:00 (Sat -> Mon 08:00, +1bd); from Tue 17:45 = Thu 08:00.
    An amount of 0 returns ``start`` for every unit.

Clocks (``SlaClass.clock``)
    ``24x7``: everything is elapsed time; ``bh`` counts as ``h`` and ``bd`` as 24h.
    ``business``: only business time counts; ``m`` and ``h`` count as business minutes
    and hours (1h on a business clock = 1 business hour); ``bd`` as above.

States (``SlaClock.state``)
    ``breached`` when now >= due; ``at_risk`` when the elapsed share of the allowed
    time, measured on the class's clock (business seconds on a business clock), is at
    least ``at_risk_share``; ``ok`` otherwise.

All datetimes taken must be timezone-aware (any zone); all datetimes returned are UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

from servicedesk.errors import ConfigurationError
from servicedesk.tickets import Deadlines

Unit = Literal["m", "h", "bh", "bd"]
ClockKind = Literal["24x7", "business"]

UNITS: tuple[Unit, ...] = ("m", "h", "bh", "bd")
CLOCKS: tuple[ClockKind, ...] = ("24x7", "business")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_DURATION = re.compile(r"([0-9]+)\s*(m|h|bh|bd)")
_CLOCK_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")
# Far beyond any agreement, and it keeps a typo from walking the calendar for centuries.
MAX_AMOUNT = 99_999
# A calendar whose business days are this far apart is unusable (and a loop guard).
_MAX_SEARCH_DAYS = 366
_ZERO = timedelta(0)


class SlaState(StrEnum):
    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"


def _utc(dt: datetime, what: str = "datetime") -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {dt!r}")
    return dt.astimezone(UTC)


@lru_cache(maxsize=512)
def _holiday_dates(country: str, year: int) -> frozenset[date]:
    """The public holidays of one country in one year (the holidays package, cached)."""
    return frozenset(holidays_lib.country_holidays(country, years=year).keys())


# -- durations -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Duration:
    """An amount of time as the SLA knowledge writes it: ``15m``, ``4h``, ``4bh``, ``3bd``."""

    amount: int
    unit: Unit

    def __post_init__(self) -> None:
        amount = self.amount
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= MAX_AMOUNT:
            raise ConfigurationError(
                f"a duration needs a whole number from 0 to {MAX_AMOUNT}, got {amount!r}"
            )
        if self.unit not in UNITS:
            raise ConfigurationError(f"unknown duration unit {self.unit!r} (use m, h, bh or bd)")

    @classmethod
    def parse(cls, text: str) -> Duration:
        """``"4bh"`` -> ``Duration(4, "bh")``; anything else raises ``ConfigurationError``."""
        match = _DURATION.fullmatch(text.strip().lower()) if isinstance(text, str) else None
        if match is None:
            raise ConfigurationError(
                f"invalid duration {text!r}: expected a whole number and a unit"
                " m, h, bh or bd (e.g. '15m', '4h', '4bh', '3bd')"
            )
        return cls(int(match.group(1)), cast(Unit, match.group(2)))

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


# -- the calendar ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """When the organisation works: weekdays (0 = Monday), local opening hours, holidays.

    ``holidays`` is a country code of the ``holidays`` package (e.g. ``"NL"``) or
    ``None`` for no public holidays. ``opens`` must be before ``closes`` (a business day
    lies within one calendar day; use a 24x7 clock for round-the-clock service).
    """

    timezone: str
    weekdays: frozenset[int]
    opens: time
    closes: time
    holidays: str | None = None
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            tz = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigurationError(f"unknown time zone {self.timezone!r}") from exc
        object.__setattr__(self, "_tz", tz)
        weekdays = frozenset(self.weekdays)
        if not weekdays or not weekdays <= set(range(7)):
            raise ConfigurationError(
                f"business weekdays must be a non-empty set of 0 (Mon) .. 6 (Sun), got {sorted(weekdays)}"
            )
        object.__setattr__(self, "weekdays", weekdays)
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ConfigurationError("opening and closing times are local times without a zone")
        if not self.opens < self.closes:
            raise ConfigurationError(
                f"opening time {self.opens:%H:%M} must be before closing time {self.closes:%H:%M}"
            )
        if self.holidays:
            code = self.holidays.strip().upper()
            try:
                holidays_lib.country_holidays(code)
            except NotImplementedError as exc:
                raise ConfigurationError(f"no public holidays known for {self.holidays!r}") from exc
            object.__setattr__(self, "holidays", code)
        else:
            object.__setattr__(self, "holidays", None)

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    # -- days and windows --------------------------------------------------------------

    def is_holiday(self, day: date) -> bool:
        return self.holidays is not None and day in _holiday_dates(self.holidays, day.year)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and not self.is_holiday(day)

    def opening(self, day: date) -> datetime:
        """The day's local opening time, in UTC (whether or not it is a business day)."""
        return datetime.combine(day, self.opens, self._tz).astimezone(UTC)

    def closing(self, day: date) -> datetime:
        """The day's local closing time, in UTC (whether or not it is a business day)."""
        return datetime.combine(day, self.closes, self._tz).astimezone(UTC)

    def local_date(self, dt: datetime) -> date:
        return _utc(dt).astimezone(self._tz).date()

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after ``day``."""
        for offset in range(1, _MAX_SEARCH_DAYS + 1):
            candidate = day + timedelta(days=offset)
            if self.is_business_day(candidate):
                return candidate
        raise ConfigurationError(f"no business day within {_MAX_SEARCH_DAYS} days after {day}")

    def is_business_time(self, dt: datetime) -> bool:
        """Inside ``[open, close)`` of a business day, in the calendar's zone."""
        at = _utc(dt)
        day = at.astimezone(self._tz).date()
        return self.is_business_day(day) and self.opening(day) <= at < self.closing(day)

    def is_closing_time(self, dt: datetime) -> bool:
        """Exactly the close of a business day (where a business-hours deadline may land)."""
        at = _utc(dt)
        day = at.astimezone(self._tz).date()
        return self.is_business_day(day) and at == self.closing(day)

    def next_business_start(self, dt: datetime) -> datetime:
        """``dt`` itself (in UTC) when inside business time, else the next opening."""
        at = _utc(dt)
        day = at.astimezone(self._tz).date()
        if self.is_business_day(day):
            if self.opening(day) <= at < self.closing(day):
                return at
            if at < self.opening(day):
                return self.opening(day)
        return self.opening(self.next_business_day(day))

    # -- arithmetic --------------------------------------------------------------------

    def add(self, start: datetime, duration: Duration) -> datetime:
        """``start`` plus ``duration``, by the unit's own rule (see the module docstring)."""
        at = _utc(start, "start")
        if duration.amount == 0:
            return at
        if duration.unit == "m":
            return at + timedelta(minutes=duration.amount)
        if duration.unit == "h":
            return at + timedelta(hours=duration.amount)
        if duration.unit == "bh":
            return self.add_business_time(at, timedelta(hours=duration.amount))
        return self.add_business_days(at, duration.amount)

    def add_business_time(self, start: datetime, amount: timedelta) -> datetime:
        """The earliest instant by which ``amount`` of business time has passed since ``start``."""
        if amount < _ZERO:
            raise ValueError(f"cannot add a negative amount of business time ({amount})")
        at = _utc(start, "start")
        remaining = amount
        while remaining > _ZERO:
            at = self.next_business_start(at)
            close = self.closing(at.astimezone(self._tz).date())
            available = close - at
            if remaining <= available:
                return at + remaining
            remaining -= available
            at = close
        return at

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """The same local time of day, ``days`` business days after the next business start."""
        if days < 0:
            raise ValueError(f"cannot add a negative number of business days ({days})")
        at = _utc(start, "start")
        if days == 0:
            return at
        local = self.next_business_start(at).astimezone(self._tz)
        day = local.date()
        for _ in range(days):
            day = self.next_business_day(day)
        # fold=0 and a round trip through UTC settle a time of day in a DST gap or overlap.
        return datetime.combine(day, local.time().replace(fold=0), self._tz).astimezone(UTC)

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Business time in ``[a, b)``; negative when ``b`` is before ``a``."""
        start, end = _utc(a, "a"), _utc(b, "b")
        if end < start:
            return -self.business_time_between(end, start)
        total = _ZERO
        day = start.astimezone(self._tz).date()
        last = end.astimezone(self._tz).date()
        while day <= last:
            if self.is_business_day(day):
                lo = max(start, self.opening(day))
                hi = min(end, self.closing(day))
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total

    def business_seconds_between(self, a: datetime, b: datetime) -> float:
        """Business seconds in ``[a, b)``; negative when ``b`` is before ``a``."""
        return self.business_time_between(a, b).total_seconds()


# -- SLA classes and the clock ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlaClass:
    """One priority's agreement: time to first response and to resolution, on a clock."""

    name: str
    response: Duration
    resolution: Duration
    clock: ClockKind

    def __post_init__(self) -> None:
        if self.clock not in CLOCKS:
            raise ConfigurationError(
                f"SLA class {self.name}: unknown clock {self.clock!r} (use 24x7 or business)"
            )
        for what, duration in (("response", self.response), ("resolution", self.resolution)):
            if duration.amount <= 0:
                raise ConfigurationError(f"SLA class {self.name}: {what} time must be positive")


@dataclass(frozen=True, eq=False)
class SlaClock:
    """Deadlines and states for the SLA classes, keyed by priority (``"P1"`` ...)."""

    calendar: BusinessCalendar
    classes: Mapping[str, SlaClass]
    at_risk_share: float = 0.75

    def __post_init__(self) -> None:
        classes = dict(self.classes)
        for key, sla in classes.items():
            if key != sla.name:
                raise ConfigurationError(f"SLA class {sla.name!r} is filed under {key!r}")
        object.__setattr__(self, "classes", classes)
        if not 0.0 < self.at_risk_share <= 1.0:
            raise ConfigurationError(f"at_risk_share must be in (0, 1], got {self.at_risk_share!r}")

    @classmethod
    def from_config(
        cls,
        *,
        timezone: str,
        days: Iterable[str],
        open: str,  # the knowledge's word (shadows the builtin only in here)
        close: str,
        holidays: str | None,
        classes: Mapping[str, tuple[str, str, str]],
        at_risk_share: float = 0.75,
    ) -> SlaClock:
        """Build from the knowledge's plain values.

        ``days`` like ``["mon", ..., "fri"]``; ``open``/``close`` like ``"08:00"``;
        ``holidays`` a country code or ``None``; ``classes`` maps a priority to
        ``(response, resolution, clock)``, e.g. ``{"P3": ("4bh", "3bd", "business")}``.
        Anything unusable raises ``ConfigurationError``.
        """
        weekdays: set[int] = set()
        for name in days:
            key = str(name).strip().lower()
            if key not in WEEKDAYS:
                raise ConfigurationError(f"unknown weekday {name!r} (use mon, tue, ... sun)")
            weekdays.add(WEEKDAYS.index(key))
        calendar = BusinessCalendar(
            timezone=timezone,
            weekdays=frozenset(weekdays),
            opens=_parse_clock_time(open, "open"),
            closes=_parse_clock_time(close, "close"),
            holidays=holidays,
        )
        built: dict[str, SlaClass] = {}
        for priority, (response, resolution, clock) in classes.items():
            if clock not in CLOCKS:
                raise ConfigurationError(
                    f"SLA class {priority}: unknown clock {clock!r} (use 24x7 or business)"
                )
            try:
                built[priority] = SlaClass(
                    name=priority,
                    response=Duration.parse(response),
                    resolution=Duration.parse(resolution),
                    clock=clock,
                )
            except ConfigurationError as exc:
                raise ConfigurationError(f"SLA class {priority}: {exc}") from exc
        return cls(calendar=calendar, classes=built, at_risk_share=at_risk_share)

    # -- deadlines ---------------------------------------------------------------------

    def sla_class(self, priority: str) -> SlaClass:
        try:
            return self.classes[priority]
        except KeyError:
            known = ", ".join(sorted(self.classes)) or "none"
            raise ConfigurationError(
                f"no SLA class for priority {priority!r} (known: {known})"
            ) from None

    def due(self, start: datetime, duration: Duration, clock: ClockKind) -> datetime:
        """``start`` plus ``duration`` on a clock (see the module docstring)."""
        if clock == "24x7":
            return _utc(start, "start") + _elapsed(duration)
        if clock == "business":
            if duration.unit in ("bh", "bd"):
                return self.calendar.add(start, duration)
            return self.calendar.add_business_time(start, _elapsed(duration))
        raise ConfigurationError(f"unknown clock {clock!r} (use 24x7 or business)")

    def deadlines(self, priority: str, start: datetime) -> Deadlines:
        """Response and resolution deadlines (UTC) for a ticket of ``priority`` from ``start``.

        Call again with the new priority when it changes; which ``start`` then counts
        (creation or the change) is the caller's policy.
        """
        sla = self.sla_class(priority)
        return Deadlines(
            response_due=self.due(start, sla.response, sla.clock),
            resolve_due=self.due(start, sla.resolution, sla.clock),
        )

    # -- states ------------------------------------------------------------------------

    def measure(self, a: datetime, b: datetime, clock: ClockKind) -> float:
        """Seconds from ``a`` to ``b`` as the clock counts them (negative if ``b`` < ``a``)."""
        if clock == "24x7":
            return (_utc(b, "b") - _utc(a, "a")).total_seconds()
        if clock == "business":
            return self.calendar.business_seconds_between(a, b)
        raise ConfigurationError(f"unknown clock {clock!r} (use 24x7 or business)")

    def elapsed_share(
        self, start: datetime, due: datetime, now: datetime, clock: ClockKind
    ) -> float:
        """Used share of the time allowed from ``start`` to ``due``, on the clock.

        0.0 before (or at) the start, 1.0 at the due time, above 1.0 after it. When no
        time is allowed at all (``due`` at or before ``start``, or no business time in
        between) the share is 0.0 before ``due`` and 1.0 from then on.
        """
        allowed = self.measure(start, due, clock)
        if allowed <= 0:
            return 1.0 if _utc(now, "now") >= _utc(due, "due") else 0.0
        return max(0.0, self.measure(start, now, clock)) / allowed

    def state(self, start: datetime, due: datetime, now: datetime, clock: ClockKind) -> SlaState:
        if _utc(now, "now") >= _utc(due, "due"):
            return SlaState.BREACHED
        if self.elapsed_share(start, due, now, clock) >= self.at_risk_share:
            return SlaState.AT_RISK
        return SlaState.OK


def _elapsed(duration: Duration) -> timedelta:
    """A duration as elapsed time: ``bh`` counts as ``h`` and ``bd`` as 24 hours."""
    if duration.unit == "m":
        return timedelta(minutes=duration.amount)
    if duration.unit in ("h", "bh"):
        return timedelta(hours=duration.amount)
    return timedelta(days=duration.amount)


def _parse_clock_time(text: str, what: str) -> time:
    match = _CLOCK_TIME.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is not None:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise ConfigurationError(f"invalid {what} time {text!r}: expected HH:MM, e.g. '08:00'")

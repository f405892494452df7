"""The SLA clock: deadlines across weekends, Dutch holidays and DST; states; properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicedesk.errors import ConfigurationError
from servicedesk.sla import (
    CLOCKS,
    UNITS,
    BusinessCalendar,
    ClockKind,
    Duration,
    SlaClass,
    SlaClock,
    SlaState,
    Unit,
)
from servicedesk.tickets import Deadlines

AMS = ZoneInfo("Europe/Amsterdam")
SAMPLE_CLASSES = {
    "P1": ("15m", "4h", "24x7"),
    "P2": ("1h", "1bd", "business"),
    "P3": ("4bh", "3bd", "business"),
    "P4": ("1bd", "10bd", "business"),
}
CLOCK = SlaClock.from_config(
    timezone="Europe/Amsterdam",
    days=["mon", "tue", "wed", "thu", "fri"],
    open="08:00",
    close="17:30",
    holidays="NL",
    classes=SAMPLE_CLASSES,
)
CAL = CLOCK.calendar


def local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """A wall-clock time in Amsterdam."""
    return datetime(year, month, day, hour, minute, second, tzinfo=AMS)


def add(start: datetime, code: str) -> datetime:
    return CAL.add(start, Duration.parse(code))


# -- durations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", Duration(15, "m")),
        ("4h", Duration(4, "h")),
        ("4bh", Duration(4, "bh")),
        ("10bd", Duration(10, "bd")),
        (" 3 BD ", Duration(3, "bd")),
    ],
)
def test_duration_parses_the_knowledge_codes(text: str, expected: Duration) -> None:
    assert Duration.parse(text) == expected
    assert str(expected) == f"{expected.amount}{expected.unit}"


@pytest.mark.parametrize(
    "text", ["", "4", "bh", "4d", "4 hours", "-1h", "1.5h", "h4", "4bhx", "\u0664h", "100000bd"]
)
def test_duration_refuses_anything_else_as_a_configuration_error(text: str) -> None:
    with pytest.raises(ConfigurationError, match="duration"):
        Duration.parse(text)


def test_duration_refuses_a_non_string_and_a_negative_amount() -> None:
    with pytest.raises(ConfigurationError):
        Duration.parse(15)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        Duration(-1, "h")
    with pytest.raises(ConfigurationError):
        Duration(1, "d")  # type: ignore[arg-type]


# -- the calendar: days, times, holidays ------------------------------------------------


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (date(2026, 4, 27), "Koningsdag (a Monday in 2026)"),
        (date(2026, 12, 25), "Eerste kerstdag"),
        (date(2025, 12, 26), "Tweede kerstdag (a Friday in 2025)"),
        (date(2026, 4, 6), "Tweede paasdag"),
        (date(2026, 4, 3), "Goede vrijdag (public in the holidays package)"),
        (date(2026, 1, 1), "Nieuwjaarsdag"),
        (date(2026, 5, 14), "Hemelvaartsdag"),
        (date(2026, 5, 25), "Tweede pinksterdag"),
        (date(2025, 5, 5), "Bevrijdingsdag in a lustrum year"),
        (date(2026, 4, 25), "a Saturday"),
        (date(2026, 4, 26), "a Sunday"),
    ],
)
def test_holidays_and_weekends_are_not_business_days(day: date, why: str) -> None:
    assert not CAL.is_business_day(day), why


@pytest.mark.parametrize(
    "day",
    [date(2026, 5, 5), date(2026, 4, 28), date(2026, 12, 24), date(2026, 12, 28)],
)
def test_ordinary_weekdays_are_business_days_including_bevrijdingsdag_2026(day: date) -> None:
    # The holidays package counts 5 May as a public holiday only every five years.
    assert CAL.is_business_day(day)


def test_business_time_is_open_to_close_half_open_in_local_time() -> None:
    assert not CAL.is_business_time(local(2026, 4, 28, 7, 59, 59))
    assert CAL.is_business_time(local(2026, 4, 28, 8, 0))
    assert CAL.is_business_time(local(2026, 4, 28, 17, 29, 59))
    assert not CAL.is_business_time(local(2026, 4, 28, 17, 30))
    assert CAL.is_closing_time(local(2026, 4, 28, 17, 30))
    # The same instant given in UTC or another zone.
    assert CAL.is_business_time(datetime(2026, 4, 28, 6, 0, tzinfo=UTC))
    assert not CAL.is_business_time(datetime(2026, 4, 28, 5, 59, tzinfo=UTC))
    assert CAL.is_business_time(datetime(2026, 4, 28, 2, 0, tzinfo=ZoneInfo("America/New_York")))


def test_next_business_start_stays_put_inside_and_skips_weekends_and_holidays() -> None:
    inside = local(2026, 4, 28, 10, 15)
    assert CAL.next_business_start(inside) == inside
    assert CAL.next_business_start(inside).tzinfo is UTC
    assert CAL.next_business_start(local(2026, 4, 28, 6, 0)) == local(2026, 4, 28, 8, 0)
    # Friday evening -> Tuesday, because Monday is Koningsdag.
    assert CAL.next_business_start(local(2026, 4, 24, 17, 30)) == local(2026, 4, 28, 8, 0)
    # Christmas Eve evening 2026 (Thursday) -> Monday 28 December.
    assert CAL.next_business_start(local(2026, 12, 24, 18, 0)) == local(2026, 12, 28, 8, 0)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.is_business_time(datetime(2026, 4, 28, 10, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        CLOCK.deadlines("P1", datetime(2026, 4, 28, 10, 0))


# -- adding time ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "code", "expected"),
    [
        # Business hours only consume business time.
        (local(2026, 1, 9, 16, 0), "4bh", local(2026, 1, 12, 10, 30)),  # Fri -> Mon
        (local(2026, 1, 13, 9, 0), "4bh", local(2026, 1, 13, 13, 0)),  # same day
        (local(2026, 1, 13, 13, 30), "4bh", local(2026, 1, 13, 17, 30)),  # ends at close
        (local(2026, 1, 13, 18, 0), "4bh", local(2026, 1, 14, 12, 0)),  # starts next morning
        (local(2026, 1, 10, 11, 0), "1bh", local(2026, 1, 12, 9, 0)),  # Saturday start
        (local(2026, 1, 13, 8, 0), "19bh", local(2026, 1, 14, 17, 30)),  # two full days
        # Business days keep the local time of day.
        (local(2026, 1, 13, 10, 0), "1bd", local(2026, 1, 14, 10, 0)),  # Tue -> Wed
        (local(2026, 1, 9, 16, 0), "1bd", local(2026, 1, 12, 16, 0)),  # Fri -> Mon
        (local(2026, 1, 10, 11, 0), "1bd", local(2026, 1, 13, 8, 0)),  # Sat -> Mon 08:00 -> Tue
        (local(2026, 1, 13, 17, 45), "1bd", local(2026, 1, 15, 8, 0)),  # after close
        (local(2026, 1, 13, 7, 0), "1bd", local(2026, 1, 14, 8, 0)),  # before open
        # Minutes and hours are elapsed time, whatever the calendar says.
        (local(2026, 1, 10, 11, 0), "4h", local(2026, 1, 10, 15, 0)),
        (local(2026, 1, 9, 17, 20), "15m", local(2026, 1, 9, 17, 35)),
        # Zero is the identity for every unit.
        (local(2026, 1, 10, 11, 0), "0bh", local(2026, 1, 10, 11, 0)),
        (local(2026, 1, 10, 11, 0), "0bd", local(2026, 1, 10, 11, 0)),
    ],
)
def test_calendar_add_examples(start: datetime, code: str, expected: datetime) -> None:
    result = add(start, code)
    assert result == expected
    assert result.tzinfo is UTC


def test_business_hours_skip_koningsdag() -> None:
    # Friday 24 April 2026 16:00 + 4bh: Monday 27 April is Koningsdag.
    assert add(local(2026, 4, 24, 16, 0), "4bh") == local(2026, 4, 28, 10, 30)


def test_business_hours_skip_good_friday_and_easter_monday() -> None:
    # Thursday 2 April 2026 15:00: 2.5h that day, then Tuesday 7 April.
    assert add(local(2026, 4, 2, 15, 0), "4bh") == local(2026, 4, 7, 9, 30)


def test_business_hours_skip_christmas() -> None:
    # Thursday 24 December 2026 16:00: Christmas Friday, weekend, then Monday 28.
    assert add(local(2026, 12, 24, 16, 0), "4bh") == local(2026, 12, 28, 10, 30)


def test_bevrijdingsdag_counts_only_in_lustrum_years() -> None:
    # 2025: 5 May (Monday) is a holiday.
    assert add(local(2025, 5, 2, 16, 0), "4bh") == local(2025, 5, 6, 10, 30)
    # 2026: 5 May (Tuesday) is an ordinary business day.
    assert add(local(2026, 5, 4, 16, 0), "4bh") == local(2026, 5, 5, 10, 30)


def test_four_hours_across_the_spring_dst_switch_is_four_real_hours() -> None:
    start = local(2026, 3, 29, 0, 30)  # CET; at 02:00 the clocks jump to 03:00 CEST
    due = add(start, "4h")
    assert due - start == timedelta(hours=4)
    assert due.astimezone(AMS).time() == time(5, 30)  # five hours on the wall clock


def test_four_hours_across_the_autumn_dst_switch_is_four_real_hours() -> None:
    start = local(2026, 10, 25, 0, 30)  # CEST; at 03:00 the clocks go back to 02:00 CET
    due = add(start, "4h")
    assert due - start == timedelta(hours=4)
    assert due.astimezone(AMS).time() == time(3, 30)  # three hours on the wall clock


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (local(2026, 3, 27, 16, 0), local(2026, 3, 30, 10, 30)),  # CET Friday -> CEST Monday
        (local(2026, 10, 23, 16, 0), local(2026, 10, 26, 10, 30)),  # CEST Friday -> CET Monday
    ],
)
def test_business_hours_across_dst_keep_local_opening_hours(
    start: datetime, expected: datetime
) -> None:
    due = add(start, "4bh")
    assert due == expected
    assert due.astimezone(AMS).time() == time(10, 30)
    assert CAL.business_seconds_between(start, due) == 4 * 3600
    monday = expected.date()
    assert CAL.opening(monday).astimezone(AMS).time() == time(8, 0)
    assert CAL.closing(monday).astimezone(AMS).time() == time(17, 30)


def test_business_days_across_dst_keep_the_local_time_of_day() -> None:
    assert add(local(2026, 3, 27, 9, 0), "1bd") == local(2026, 3, 30, 9, 0)
    assert add(local(2026, 10, 23, 9, 0), "1bd") == local(2026, 10, 26, 9, 0)


def test_business_seconds_between_counts_only_business_time() -> None:
    friday_4pm, monday_1030 = local(2026, 1, 9, 16, 0), local(2026, 1, 12, 10, 30)
    assert CAL.business_seconds_between(friday_4pm, monday_1030) == 4 * 3600
    assert CAL.business_seconds_between(monday_1030, friday_4pm) == -4 * 3600
    assert CAL.business_seconds_between(local(2026, 1, 10, 0, 0), local(2026, 1, 11, 23, 0)) == 0
    # A whole week with Koningsdag: four days of 9.5 hours.
    week = CAL.business_seconds_between(local(2026, 4, 27, 0, 0), local(2026, 5, 4, 0, 0))
    assert week == 4 * 9.5 * 3600


# -- the sample SLA classes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("priority", "start", "response", "resolution"),
    [
        # P1 15m / 4h, 24x7: the weekend counts.
        ("P1", local(2026, 1, 10, 23, 50), local(2026, 1, 11, 0, 5), local(2026, 1, 11, 3, 50)),
        # P2 1h / 1bd, business: 1h is one business hour.
        ("P2", local(2026, 1, 9, 17, 0), local(2026, 1, 12, 8, 30), local(2026, 1, 12, 17, 0)),
        # P3 4bh / 3bd, business: Koningsdag (Mon 27 April 2026) is skipped.
        ("P3", local(2026, 4, 22, 14, 0), local(2026, 4, 23, 8, 30), local(2026, 4, 28, 14, 0)),
        # P4 1bd / 10bd, business: Christmas, New Year and the turn of the year.
        ("P4", local(2026, 12, 24, 9, 0), local(2026, 12, 28, 9, 0), local(2027, 1, 11, 9, 0)),
    ],
)
def test_every_sample_sla_class_gives_the_expected_deadlines(
    priority: str, start: datetime, response: datetime, resolution: datetime
) -> None:
    deadlines = CLOCK.deadlines(priority, start)
    assert deadlines == Deadlines(response_due=response, resolve_due=resolution)
    assert deadlines.response_due.tzinfo is UTC
    assert deadlines.resolve_due.tzinfo is UTC


def test_p1_across_the_dst_switch_resolves_after_exactly_four_real_hours() -> None:
    for start in (local(2026, 3, 29, 0, 30), local(2026, 10, 25, 0, 30)):
        deadlines = CLOCK.deadlines("P1", start)
        assert deadlines.resolve_due - start == timedelta(hours=4)
        assert deadlines.response_due - start == timedelta(minutes=15)


def test_a_24x7_clock_treats_business_units_as_elapsed_time() -> None:
    start = local(2026, 4, 24, 16, 0)  # Friday before Koningsdag
    assert CLOCK.due(start, Duration(4, "bh"), "24x7") == local(2026, 4, 24, 20, 0)
    assert CLOCK.due(start, Duration(1, "bd"), "24x7") == local(2026, 4, 25, 16, 0)


def test_a_business_clock_counts_minutes_and_hours_as_business_time() -> None:
    start = local(2026, 4, 24, 17, 20)
    assert CLOCK.due(start, Duration(15, "m"), "business") == local(2026, 4, 28, 8, 5)
    assert CLOCK.due(start, Duration(1, "h"), "business") == CLOCK.due(
        start, Duration(1, "bh"), "business"
    )


def test_a_priority_change_gives_the_new_class_deadlines() -> None:
    start = local(2026, 1, 13, 10, 0)
    p3, p1 = CLOCK.deadlines("P3", start), CLOCK.deadlines("P1", start)
    assert p3.resolve_due == local(2026, 1, 16, 10, 0)
    assert p1.resolve_due == local(2026, 1, 13, 14, 0)


def test_an_unknown_priority_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="P9"):
        CLOCK.deadlines("P9", local(2026, 1, 13, 10, 0))


# -- states ---------------------------------------------------------------------------------


def test_state_is_ok_then_at_risk_then_breached_on_a_24x7_clock() -> None:
    start = local(2026, 1, 10, 12, 0)
    due = CLOCK.deadlines("P1", start).resolve_due  # 16:00
    assert CLOCK.state(start, due, local(2026, 1, 10, 14, 59), "24x7") is SlaState.OK
    assert CLOCK.state(start, due, local(2026, 1, 10, 15, 0), "24x7") is SlaState.AT_RISK
    assert CLOCK.state(start, due, local(2026, 1, 10, 15, 59), "24x7") is SlaState.AT_RISK
    assert CLOCK.state(start, due, due, "24x7") is SlaState.BREACHED
    assert CLOCK.elapsed_share(start, due, local(2026, 1, 10, 13, 0), "24x7") == 0.25
    assert CLOCK.elapsed_share(start, due, local(2026, 1, 10, 20, 0), "24x7") == 2.0
    assert CLOCK.elapsed_share(start, due, local(2026, 1, 10, 11, 0), "24x7") == 0.0


def test_state_on_a_business_clock_measures_business_seconds() -> None:
    start = local(2026, 1, 9, 16, 0)  # Friday
    due = CLOCK.deadlines("P3", start).response_due  # Monday 10:30: 4 business hours
    assert due == local(2026, 1, 12, 10, 30)
    # Saturday evening: 1.5 of 4 business hours used, although 70% of the real time passed.
    saturday = local(2026, 1, 10, 20, 0)
    assert CLOCK.elapsed_share(start, due, saturday, "business") == 1.5 / 4
    assert CLOCK.state(start, due, saturday, "business") is SlaState.OK
    # Monday 09:30 is 3 of 4 business hours: at risk.
    assert CLOCK.state(start, due, local(2026, 1, 12, 9, 30), "business") is SlaState.AT_RISK
    assert CLOCK.state(start, due, local(2026, 1, 12, 9, 29), "business") is SlaState.OK
    assert CLOCK.state(start, due, local(2026, 1, 12, 10, 30), "business") is SlaState.BREACHED


def test_state_with_no_allowed_time_is_breached_from_the_due_time_on() -> None:
    at = local(2026, 1, 10, 12, 0)
    assert CLOCK.elapsed_share(at, at, at, "business") == 1.0
    assert CLOCK.state(at, at, at - timedelta(seconds=1), "24x7") is SlaState.OK
    assert CLOCK.state(at, at, at, "24x7") is SlaState.BREACHED


def test_at_risk_share_is_configurable() -> None:
    strict = SlaClock(CAL, CLOCK.classes, at_risk_share=0.5)
    start = local(2026, 1, 10, 12, 0)
    due = start + timedelta(hours=4)
    assert strict.state(start, due, local(2026, 1, 10, 14, 0), "24x7") is SlaState.AT_RISK
    assert CLOCK.state(start, due, local(2026, 1, 10, 14, 0), "24x7") is SlaState.OK


# -- configuration ---------------------------------------------------------------------------


def test_from_config_builds_the_calendar_and_classes_of_the_knowledge() -> None:
    assert CAL.timezone == "Europe/Amsterdam"
    assert CAL.weekdays == frozenset({0, 1, 2, 3, 4})
    assert (CAL.opens, CAL.closes, CAL.holidays) == (time(8, 0), time(17, 30), "NL")
    assert CLOCK.classes["P3"] == SlaClass("P3", Duration(4, "bh"), Duration(3, "bd"), "business")
    assert CLOCK.at_risk_share == 0.75


def _config(**changes: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "timezone": "Europe/Amsterdam",
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "open": "08:00",
        "close": "17:30",
        "holidays": "NL",
        "classes": SAMPLE_CLASSES,
    }
    config.update(changes)
    return config


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"timezone": "Europe/Rivierstad"}, "time zone"),
        ({"days": ["mon", "funday"]}, "weekday"),
        ({"days": []}, "weekdays"),
        ({"open": "8 uur"}, "open time"),
        ({"close": "25:00"}, "close time"),
        ({"open": "18:00"}, "before"),
        ({"holidays": "XX"}, "holidays"),
        ({"classes": {"P1": ("15m", "4h", "always")}}, "clock"),
        ({"classes": {"P1": ("15 minutes", "4h", "24x7")}}, "P1.*duration"),
        ({"classes": {"P1": ("0m", "4h", "24x7")}}, "positive"),
        ({"at_risk_share": 1.5}, "at_risk_share"),
    ],
)
def test_from_config_refuses_unusable_values(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        SlaClock.from_config(**_config(**changes))


def test_a_calendar_without_holidays_works_every_configured_weekday() -> None:
    calendar = BusinessCalendar("Europe/Amsterdam", frozenset({0, 1, 2, 3, 4}), time(8), time(17))
    assert calendar.is_business_day(date(2026, 4, 27))
    assert calendar.holidays is None


def test_an_sla_class_filed_under_another_priority_is_refused() -> None:
    p1 = CLOCK.classes["P1"]
    with pytest.raises(ConfigurationError, match="filed under"):
        SlaClock(CAL, {"P2": p1})


# -- properties ------------------------------------------------------------------------------

PROPERTY = settings(max_examples=100, deadline=None)
instants = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2027, 12, 31),
    timezones=st.just(UTC),
)
units = st.sampled_from(UNITS)
clocks = st.sampled_from(CLOCKS)


def durations(unit: Unit, min_amount: int = 0) -> st.SearchStrategy[Duration]:
    top = {"m": 600, "h": 60, "bh": 60, "bd": 15}[unit]
    return st.integers(min_amount, top).map(lambda n: Duration(n, unit))


def _on_business_time_or_close(dt: datetime) -> bool:
    return CAL.is_business_time(dt) or CAL.is_closing_time(dt)


@PROPERTY
@given(start=instants, priority=st.sampled_from(["P2", "P3", "P4"]))
def test_business_clock_deadlines_fall_inside_business_time_or_at_close(
    start: datetime, priority: str
) -> None:
    deadlines = CLOCK.deadlines(priority, start)
    assert _on_business_time_or_close(deadlines.response_due)
    assert _on_business_time_or_close(deadlines.resolve_due)


@PROPERTY
@given(start=instants, data=st.data())
def test_any_positive_duration_on_a_business_clock_ends_in_business_time_or_at_close(
    start: datetime, data: st.DataObject
) -> None:
    duration = data.draw(units.flatmap(lambda u: durations(u, min_amount=1)))
    assert _on_business_time_or_close(CLOCK.due(start, duration, "business"))


@PROPERTY
@given(a=instants, b=instants, clock=clocks, data=st.data())
def test_deadlines_are_monotonic_in_the_start(
    a: datetime, b: datetime, clock: ClockKind, data: st.DataObject
) -> None:
    duration = data.draw(units.flatmap(lambda u: durations(u)))
    early, late = sorted((a, b))
    assert CLOCK.due(early, duration, clock) <= CLOCK.due(late, duration, clock)


@PROPERTY
@given(start=instants, unit=units, clock=clocks, data=st.data())
def test_deadlines_are_monotonic_in_the_duration(
    start: datetime, unit: Unit, clock: ClockKind, data: st.DataObject
) -> None:
    pair = data.draw(st.lists(durations(unit), min_size=2, max_size=2))
    small, large = sorted(pair, key=lambda d: d.amount)
    shorter = CLOCK.due(start, small, clock)
    longer = CLOCK.due(start, large, clock)
    assert shorter <= longer


@PROPERTY
@given(start=instants, a=st.integers(0, 40), b=st.integers(0, 40))
def test_business_hours_add_up(start: datetime, a: int, b: int) -> None:
    in_one_go = CAL.add(start, Duration(a + b, "bh"))
    in_two_steps = CAL.add(CAL.add(start, Duration(a, "bh")), Duration(b, "bh"))
    assert in_one_go == in_two_steps


@PROPERTY
@given(start=instants, clock=clocks, data=st.data())
def test_deadlines_never_precede_the_start(
    start: datetime, clock: ClockKind, data: st.DataObject
) -> None:
    duration = data.draw(units.flatmap(lambda u: durations(u, min_amount=1)))
    assert CLOCK.due(start, duration, clock) > start


@PROPERTY
@given(start=instants, n=st.integers(0, 60))
def test_n_business_hours_later_is_n_business_hours_away(start: datetime, n: int) -> None:
    assert CAL.business_seconds_between(start, CAL.add(start, Duration(n, "bh"))) == n * 3600


@PROPERTY
@given(a=instants, b=instants, c=instants)
def test_business_seconds_are_additive(a: datetime, b: datetime, c: datetime) -> None:
    assert CAL.business_time_between(a, c) == CAL.business_time_between(
        a, b
    ) + CAL.business_time_between(b, c)


@PROPERTY
@given(start=instants, n=st.integers(0, 15))
def test_business_days_land_on_a_business_day_at_the_start_time_of_day(
    start: datetime, n: int
) -> None:
    due = CAL.add(start, Duration(n, "bd"))
    if n == 0:
        assert due == start
        return
    begin = CAL.next_business_start(start).astimezone(AMS)
    end = due.astimezone(AMS)
    assert CAL.is_business_day(end.date())
    assert end.time() == begin.time()
    business_days_between = sum(
        CAL.is_business_day(begin.date() + timedelta(days=i))
        for i in range(1, (end.date() - begin.date()).days + 1)
    )
    assert business_days_between == n


@PROPERTY
@given(start=instants, hours=st.integers(0, 60))
def test_elapsed_hours_are_real_hours_whatever_the_dst(start: datetime, hours: int) -> None:
    assert CAL.add(start, Duration(hours, "h")) - start == timedelta(hours=hours)


@PROPERTY
@given(start=instants)
def test_next_business_start_is_business_time_and_idempotent(start: datetime) -> None:
    first = CAL.next_business_start(start)
    assert first >= start
    assert CAL.is_business_time(first)
    assert CAL.next_business_start(first) == first
    assert CAL.business_seconds_between(start, first) == 0

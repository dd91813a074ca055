"""The timing rules: business days, due instants across DST, forward scheduling, quiet
hours, reminders and follow-ups."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from baton.schedule import (
    Calendar,
    WorkingHours,
    due_instant,
    follow_up_instants,
    forward_due,
    local_instant,
    parse_days,
    parse_hours,
    reminder_instants,
    zone,
)

CALENDAR = Calendar()
BUSINESS = Calendar(business=True)
US_BUSINESS = Calendar(business=True, holidays="US")
FIVE_PM = time(17, 0)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ---- Calendar.add_days ---------------------------------------------------------------


def test_calendar_days_count_every_day():
    launch = date(2026, 12, 15)
    assert CALENDAR.add_days(launch, -30) == date(2026, 11, 15)
    assert CALENDAR.add_days(launch, 3) == date(2026, 12, 18)
    # A weekend is no different on the calendar.
    assert CALENDAR.add_days(date(2026, 6, 8), -1) == date(2026, 6, 7)  # Mon -> Sun


def test_business_days_skip_weekends():
    monday, friday = date(2026, 6, 8), date(2026, 6, 5)
    assert BUSINESS.add_days(monday, -1) == friday
    assert BUSINESS.add_days(friday, 1) == monday
    assert BUSINESS.add_days(monday, -5) == date(2026, 6, 1)  # a whole working week back
    assert BUSINESS.add_days(friday, 6) == date(2026, 6, 15)
    # From a weekend day, one business day forward is Monday, one back is Friday.
    saturday = date(2026, 6, 6)
    assert BUSINESS.add_days(saturday, 1) == monday
    assert BUSINESS.add_days(saturday, -1) == friday


def test_business_days_skip_us_holidays():
    thanksgiving = date(2026, 11, 26)  # Thursday
    assert not US_BUSINESS.is_business_day(thanksgiving)
    assert BUSINESS.is_business_day(thanksgiving)  # no country: only weekends are off
    assert US_BUSINESS.add_days(date(2026, 11, 25), 1) == date(2026, 11, 27)
    assert US_BUSINESS.add_days(date(2026, 11, 27), -1) == date(2026, 11, 25)
    # Christmas 2026 is a Friday: Thursday + 1 business day is Monday the 28th.
    assert not US_BUSINESS.is_business_day(date(2026, 12, 25))
    assert US_BUSINESS.add_days(date(2026, 12, 24), 1) == date(2026, 12, 28)
    assert US_BUSINESS.add_days(date(2026, 12, 28), -1) == date(2026, 12, 24)
    # Across the year end: New Year's Day 2027 is a Friday.
    assert US_BUSINESS.add_days(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_offset_zero_keeps_a_non_business_launch_day():
    saturday, christmas = date(2026, 6, 6), date(2026, 12, 25)
    assert BUSINESS.add_days(saturday, 0) == saturday
    assert US_BUSINESS.add_days(christmas, 0) == christmas


# ---- due_instant across DST changes ---------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "change_day", "before_offset", "after_offset"),
    [
        ("Europe/Berlin", date(2026, 3, 29), 1, 2),
        ("Europe/Berlin", date(2026, 10, 25), 2, 1),
        ("America/New_York", date(2026, 3, 8), -5, -4),
        ("America/New_York", date(2026, 11, 1), -4, -5),
    ],
)
def test_due_instant_keeps_local_wall_time_across_dst(tz, change_day, before_offset, after_offset):
    before = due_instant(change_day, -1, FIVE_PM, tz, CALENDAR)
    after = due_instant(change_day, 0, FIVE_PM, tz, CALENDAR)
    for instant in (before, after):
        assert instant.utcoffset() == timedelta(0)  # instants are UTC inside
    local_before, local_after = before.astimezone(ZoneInfo(tz)), after.astimezone(ZoneInfo(tz))
    assert (local_before.date(), local_before.time()) == (change_day - timedelta(1), FIVE_PM)
    assert (local_after.date(), local_after.time()) == (change_day, FIVE_PM)
    assert local_before.utcoffset() == timedelta(hours=before_offset)
    assert local_after.utcoffset() == timedelta(hours=after_offset)
    # So the two dues are not 24 hours apart: 23 in spring, 25 in autumn.
    assert after - before == timedelta(hours=24 + before_offset - after_offset)


def test_due_instant_counts_business_days_from_the_launch():
    # Launch Monday 2026-11-30 in New York, US holidays: -3 business days skips the
    # weekend and Thanksgiving (Thu 26th) -> Tuesday the 24th at 17:00 EST.
    due = due_instant(date(2026, 11, 30), -3, FIVE_PM, "America/New_York", US_BUSINESS)
    assert due == utc(2026, 11, 24, 22, 0)


def test_local_time_skipped_by_dst_moves_forward():
    # 02:30 does not exist in Berlin on 2026-03-29; clocks jump from 02:00 to 03:00.
    instant = local_instant(date(2026, 3, 29), time(2, 30), "Europe/Berlin")
    assert instant == utc(2026, 3, 29, 1, 30)
    assert instant.astimezone(ZoneInfo("Europe/Berlin")).time() == time(3, 30)


def test_unknown_time_zone():
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        zone("Mars/Olympus")
    with pytest.raises(ValueError, match="unknown time zone"):
        due_instant(date(2026, 6, 1), 0, FIVE_PM, "Mars/Olympus", CALENDAR)


# ---- forward_due ---------------------------------------------------------------------


def test_forward_due_whole_days_land_on_due_time():
    activated = utc(2026, 6, 1, 10, 30)  # Monday
    assert forward_due(activated, timedelta(days=2), FIVE_PM, "UTC", CALENDAR) == utc(
        2026, 6, 3, 17, 0
    )
    # Activated after the due time of the day: still the due time of the day reached.
    late = utc(2026, 6, 1, 22, 0)
    assert forward_due(late, timedelta(days=1), FIVE_PM, "UTC", CALENDAR) == utc(2026, 6, 2, 17, 0)


def test_forward_due_counts_days_in_the_project_time_zone():
    # 23:30 UTC on Monday is already 01:30 on Tuesday in Berlin: one day later is
    # Wednesday 17:00 Berlin (CEST, UTC+2).
    activated = utc(2026, 6, 1, 23, 30)
    due = forward_due(activated, timedelta(days=1), FIVE_PM, "Europe/Berlin", CALENDAR)
    assert due == utc(2026, 6, 3, 15, 0)


def test_forward_due_hour_estimates_are_exact():
    activated = utc(2026, 6, 5, 15, 12)  # Friday afternoon
    assert forward_due(activated, timedelta(hours=4), FIVE_PM, "UTC", BUSINESS) == utc(
        2026, 6, 5, 19, 12
    )
    assert forward_due(activated, timedelta(hours=36), FIVE_PM, "UTC", CALENDAR) == (
        activated + timedelta(hours=36)
    )


def test_forward_due_on_a_business_calendar_skips_the_weekend():
    friday = utc(2026, 6, 5, 10, 0)
    assert forward_due(friday, timedelta(days=1), FIVE_PM, "UTC", BUSINESS) == utc(
        2026, 6, 8, 17, 0
    )
    assert forward_due(friday, timedelta(days=1), FIVE_PM, "UTC", CALENDAR) == utc(
        2026, 6, 6, 17, 0
    )
    assert forward_due(friday, timedelta(weeks=1), FIVE_PM, "UTC", BUSINESS) == utc(
        2026, 6, 16, 17, 0
    )


# ---- WorkingHours.next_window --------------------------------------------------------

OFFICE = WorkingHours()  # UTC, 09:00-17:00, Monday-Friday


@pytest.mark.parametrize(
    "instant",
    [utc(2026, 6, 3, 9, 0), utc(2026, 6, 3, 12, 34), utc(2026, 6, 3, 17, 0)],
    ids=["start", "midday", "end"],
)
def test_inside_working_hours_is_unchanged(instant):
    """Both ends are inclusive: a 17:00 deadline is still inside a 09:00-17:00 day."""
    assert OFFICE.next_window(instant) == instant


def test_before_start_moves_to_the_same_day_start():
    assert OFFICE.next_window(utc(2026, 6, 3, 6, 15)) == utc(2026, 6, 3, 9, 0)


def test_after_end_moves_to_the_next_working_day():
    assert OFFICE.next_window(utc(2026, 6, 3, 17, 1)) == utc(2026, 6, 4, 9, 0)
    assert OFFICE.next_window(utc(2026, 6, 3, 23, 59)) == utc(2026, 6, 4, 9, 0)


def test_friday_evening_moves_to_monday():
    assert OFFICE.next_window(utc(2026, 6, 5, 18, 0)) == utc(2026, 6, 8, 9, 0)


@pytest.mark.parametrize("instant", [utc(2026, 6, 6, 3, 0), utc(2026, 6, 6, 12, 0)])
def test_saturday_moves_to_monday(instant):
    assert OFFICE.next_window(instant) == utc(2026, 6, 8, 9, 0)


def test_person_in_another_time_zone():
    tokyo = WorkingHours(timezone="Asia/Tokyo")  # UTC+9, no DST
    # Monday 20:00 UTC is Tuesday 05:00 in Tokyo: wait for 09:00 Tokyo = 00:00 UTC.
    assert tokyo.next_window(utc(2026, 6, 1, 20, 0)) == utc(2026, 6, 2, 0, 0)
    # Monday 03:00 UTC is 12:00 in Tokyo: fine as it is.
    assert tokyo.next_window(utc(2026, 6, 1, 3, 0)) == utc(2026, 6, 1, 3, 0)
    # Friday 10:00 UTC is 19:00 Friday in Tokyo: Monday 09:00 Tokyo = Monday 00:00 UTC.
    assert tokyo.next_window(utc(2026, 6, 5, 10, 0)) == utc(2026, 6, 8, 0, 0)
    new_york = WorkingHours(timezone="America/New_York", start=time(8, 0), end=time(16, 0))
    # 13:00 UTC is 09:00 EDT; 21:00 UTC is 17:00 EDT, after a 16:00 end.
    assert new_york.next_window(utc(2026, 6, 3, 13, 0)) == utc(2026, 6, 3, 13, 0)
    assert new_york.next_window(utc(2026, 6, 3, 21, 0)) == utc(2026, 6, 4, 12, 0)


def test_dst_week_keeps_the_local_start():
    berlin = WorkingHours(timezone="Europe/Berlin")
    # Saturday before the change (CET) -> Monday 09:00 CEST = 07:00 UTC.
    assert berlin.next_window(utc(2026, 3, 28, 12, 0)) == utc(2026, 3, 30, 7, 0)
    # A week earlier, still winter time: Monday 09:00 CET = 08:00 UTC.
    assert berlin.next_window(utc(2026, 3, 21, 12, 0)) == utc(2026, 3, 23, 8, 0)
    new_york = WorkingHours(timezone="America/New_York")
    # Autumn: Saturday 2026-10-31 (EDT) -> Monday 09:00 EST = 14:00 UTC.
    assert new_york.next_window(utc(2026, 10, 31, 15, 0)) == utc(2026, 11, 2, 14, 0)
    # Friday 16:30 EST (21:30 UTC) before the spring change is still inside hours...
    assert new_york.next_window(utc(2026, 3, 6, 21, 30)) == utc(2026, 3, 6, 21, 30)
    # ... and Friday 17:30 EST moves to Monday 09:00 EDT = 13:00 UTC.
    assert new_york.next_window(utc(2026, 3, 6, 22, 30)) == utc(2026, 3, 9, 13, 0)


def test_time_off_days_are_skipped():
    away = WorkingHours(time_off=((date(2026, 6, 8), date(2026, 6, 9)),))
    # Friday evening -> not Monday or Tuesday (time off) -> Wednesday.
    assert away.next_window(utc(2026, 6, 5, 18, 0)) == utc(2026, 6, 10, 9, 0)
    # Inside office hours on a day off is not a working window either.
    assert away.next_window(utc(2026, 6, 8, 11, 0)) == utc(2026, 6, 10, 9, 0)
    assert away.is_away(utc(2026, 6, 9, 11, 0))
    assert not away.is_away(utc(2026, 6, 10, 11, 0))


def test_custom_working_days():
    weekend_shift = WorkingHours(days=parse_days("sat-sun"))
    assert weekend_shift.next_window(utc(2026, 6, 3, 12, 0)) == utc(2026, 6, 6, 9, 0)
    assert weekend_shift.next_window(utc(2026, 6, 6, 12, 0)) == utc(2026, 6, 6, 12, 0)


# ---- parse_hours / parse_days --------------------------------------------------------


def test_parse_hours():
    assert parse_hours("09:00-17:00") == (time(9, 0), time(17, 0))
    assert parse_hours(" 8:30 - 16:45 ") == (time(8, 30), time(16, 45))


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("9-5", "write them like 09:00-17:00"),
        ("nine to five", "write them like 09:00-17:00"),
        ("09:00", "write them like 09:00-17:00"),
        ("17:00-09:00", "the start must come before the end"),
        ("09:00-09:00", "the start must come before the end"),
        ("09:00-24:00", ""),
        ("09:75-17:00", ""),
    ],
)
def test_parse_hours_errors(text, why):
    with pytest.raises(ValueError, match="is not working hours") as caught:
        parse_hours(text)
    assert why in str(caught.value)


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("mon,tue,thu", {0, 1, 3}),
        ("Mon - Wed, Fri", {0, 1, 2, 4}),
        ("sun", {6}),
        ("fri-mon", {4, 5, 6, 0}),  # wraps over the weekend
        ("monday-friday", {0, 1, 2, 3, 4}),
    ],
)
def test_parse_days(text, days):
    assert parse_days(text) == frozenset(days)


@pytest.mark.parametrize("text", ["", "weekdays", "mon-tue-wed", "mon,,fri", "1-5"])
def test_parse_days_errors(text):
    with pytest.raises(ValueError, match="is not a list of days"):
        parse_days(text)


# ---- reminders and follow-ups --------------------------------------------------------


def test_reminder_instants_earliest_first():
    due = utc(2026, 6, 10, 17, 0)
    assert reminder_instants(due, [timedelta(hours=24), timedelta(hours=48)]) == [
        (timedelta(hours=48), utc(2026, 6, 8, 17, 0)),
        (timedelta(hours=24), utc(2026, 6, 9, 17, 0)),
    ]
    assert reminder_instants(due, []) == []


def test_follow_ups_count_from_the_due():
    due = utc(2026, 6, 10, 17, 0)
    activated = utc(2026, 6, 8, 9, 0)
    assert follow_up_instants(due, activated, timedelta(hours=4), timedelta(hours=24), 3) == [
        utc(2026, 6, 10, 21, 0),
        utc(2026, 6, 11, 21, 0),
        utc(2026, 6, 12, 21, 0),
    ]


def test_follow_ups_count_from_a_late_activation():
    due = utc(2026, 6, 10, 17, 0)
    activated = utc(2026, 6, 12, 10, 0)  # became active two days after its due
    assert follow_up_instants(due, activated, timedelta(hours=4), timedelta(hours=24), 2) == [
        utc(2026, 6, 12, 14, 0),
        utc(2026, 6, 13, 14, 0),
    ]


@pytest.mark.parametrize("limit", [0, 1, 5])
def test_follow_ups_at_most_max(limit):
    due = utc(2026, 6, 10, 17, 0)
    sent = follow_up_instants(due, due, timedelta(hours=2), timedelta(hours=4), limit)
    assert len(sent) == limit
    assert sent == sorted(sent)

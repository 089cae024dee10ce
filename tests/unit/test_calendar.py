"""The working-day calendar: weekends, Vietnamese holidays, configured days, deadline arithmetic.

Every date is fixed; nothing reads the clock. Expected dates are worked out by hand in the
comments, from the 2026 calendar: 1 January is a Thursday, 14-15 and 21-22 February are
weekends around the Tết days 16-20 February (Monday-Friday), 1 March is a Sunday.
"""

from __future__ import annotations

import itertools
import random
from datetime import date, datetime, timedelta

import pytest

from config import calendar as calendar_config
from handlers.calendar import (
    FIRST_WORKING_DAY,
    AnswerRule,
    WorkingCalendar,
    answer_due,
    digest_date,
    monthly_deadline,
)

D = date


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    """The calendar as deployed: package holidays plus the configured days."""
    return WorkingCalendar(
        calendar_config.EXTRA_DAYS_OFF,
        calendar_config.MAKEUP_WORKING_DAYS,
        language=calendar_config.HOLIDAY_NAMES_LANGUAGE,
    )


@pytest.fixture(scope="module")
def bare() -> WorkingCalendar:
    """The package's holidays only, nothing configured."""
    return WorkingCalendar()


def days(start: date, end: date) -> list[date]:
    """Every day from `start` to `end`, both included."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


# --- weekends and holidays ----------------------------------------------------------------------


def test_weekends_are_off_and_weekdays_work(bare: WorkingCalendar) -> None:
    # 2-8 March 2026: Monday to Sunday, no holiday.
    week = days(D(2026, 3, 2), D(2026, 3, 8))
    assert [bare.is_working_day(day) for day in week] == [True] * 5 + [False] * 2
    assert bare.holiday_name(D(2026, 3, 7)) is None  # a plain Saturday has no name
    assert bare.holiday_name(D(2026, 3, 4)) is None  # nor a working day


def test_tet_2026_from_the_package(bare: WorkingCalendar) -> None:
    # The package knows the five Tết days, Monday 16 to Friday 20 February 2026.
    for day in days(D(2026, 2, 16), D(2026, 2, 20)):
        assert not bare.is_working_day(day), day
        assert bare.holiday_name(day) is not None
    assert "Tết" in (bare.holiday_name(D(2026, 2, 17)) or "")
    # The break's weekends are plain weekends to the package: no name.
    assert bare.holiday_name(D(2026, 2, 14)) is None
    assert bare.is_working_day(D(2026, 2, 13)) and bare.is_working_day(D(2026, 2, 23))


def test_tet_2026_whole_break_with_the_configured_days(cal: WorkingCalendar) -> None:
    # The official break, 14-22 February 2026, is off throughout, and every day has a name.
    for day in days(D(2026, 2, 14), D(2026, 2, 22)):
        assert not cal.is_working_day(day), day
        assert cal.holiday_name(day), day
    assert cal.holiday_name(D(2026, 2, 14)) == "Nghỉ Tết Nguyên đán Bính Ngọ"
    # Where the package has a name it is the more specific one.
    assert cal.holiday_name(D(2026, 2, 17)) == WorkingCalendar().holiday_name(D(2026, 2, 17))
    assert cal.is_working_day(D(2026, 2, 13)) and cal.is_working_day(D(2026, 2, 23))


def test_tet_2025_break(cal: WorkingCalendar) -> None:
    # Official break Saturday 25 January to Sunday 2 February 2025.
    for day in days(D(2025, 1, 25), D(2025, 2, 2)):
        assert not cal.is_working_day(day), day
    assert cal.is_working_day(D(2025, 1, 24)) and cal.is_working_day(D(2025, 2, 3))


def test_an_extra_weekday_off_moves_deadlines(bare: WorkingCalendar) -> None:
    # Suppose the government added Monday 23 February 2026 to the Tết break.
    longer = WorkingCalendar({D(2026, 2, 23): "Nghỉ thêm"})
    assert bare.is_working_day(D(2026, 2, 23))
    assert not longer.is_working_day(D(2026, 2, 23))
    assert longer.holiday_name(D(2026, 2, 23)) == "Nghỉ thêm"
    assert bare.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 23)
    assert longer.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 24)
    # A plain iterable of dates works too; the day then has no name.
    unnamed = WorkingCalendar([D(2026, 2, 23)])
    assert not unnamed.is_working_day(D(2026, 2, 23))
    assert unnamed.holiday_name(D(2026, 2, 23)) is None


def test_lunar_and_observed_holidays(bare: WorkingCalendar) -> None:
    # Giỗ Tổ Hùng Vương 2026 (10/3 lunar) is Sunday 26 April, observed Monday 27 April.
    assert bare.holiday_name(D(2026, 4, 26)) is not None
    assert not bare.is_working_day(D(2026, 4, 27))
    # 2025: 10/3 lunar is Monday 7 April.
    assert not bare.is_working_day(D(2025, 4, 7))
    # 30/4 and 1/5 2026 are Thursday and Friday.
    assert not bare.is_working_day(D(2026, 4, 30)) and not bare.is_working_day(D(2026, 5, 1))


def test_holiday_names_in_english_on_request() -> None:
    english = WorkingCalendar(language="en_US")
    assert "Lunar New Year" in (english.holiday_name(D(2026, 2, 17)) or "")


# --- make-up working days -----------------------------------------------------------------------


def test_package_swap_makes_a_saturday_a_working_day(bare: WorkingCalendar) -> None:
    # 2025: Friday 2 May off, Saturday 26 April worked instead (a swap the package knows).
    assert bare.is_working_day(D(2025, 4, 26))
    assert not bare.is_working_day(D(2025, 5, 2))
    # Friday 25 April + 1 working day is that Saturday, not Monday 28 April.
    assert bare.add_working_days(D(2025, 4, 25), 1) == D(2025, 4, 26)


def test_configured_makeup_saturday_counts() -> None:
    plain = WorkingCalendar()
    saturday = D(2026, 3, 7)
    with_makeup = WorkingCalendar(makeup_working_days=[saturday])
    assert not plain.is_working_day(saturday)
    assert with_makeup.is_working_day(saturday)
    assert with_makeup.holiday_name(saturday) is None
    # Friday 6 March + 1: Monday 9 March normally, the Saturday when it is worked.
    assert plain.add_working_days(D(2026, 3, 6), 1) == D(2026, 3, 9)
    assert with_makeup.add_working_days(D(2026, 3, 6), 1) == saturday
    assert with_makeup.working_days_between(D(2026, 3, 6), D(2026, 3, 9)) == 2
    assert plain.working_days_between(D(2026, 3, 6), D(2026, 3, 9)) == 1


def test_configuration_cancels_a_package_swap(bare: WorkingCalendar) -> None:
    # The package says: Monday 31 August 2026 off, Saturday 22 August worked. Cancel both.
    assert not bare.is_working_day(D(2026, 8, 31)) and bare.is_working_day(D(2026, 8, 22))
    cancelled = WorkingCalendar(
        extra_days_off=[D(2026, 8, 22)], makeup_working_days=[D(2026, 8, 31)]
    )
    assert cancelled.is_working_day(D(2026, 8, 31))
    assert not cancelled.is_working_day(D(2026, 8, 22))


def test_a_day_both_off_and_worked_is_refused() -> None:
    with pytest.raises(ValueError, match="2026-03-07"):
        WorkingCalendar([D(2026, 3, 7)], [D(2026, 3, 7)])


# --- nearest working day and the monthly deadline ----------------------------------------------


def test_nearest_working_day_is_the_day_itself_when_working(bare: WorkingCalendar) -> None:
    assert bare.nearest_working_day(D(2026, 3, 4)) == D(2026, 3, 4)


def test_nearest_working_day_around_a_weekend(bare: WorkingCalendar) -> None:
    # Saturday 7 March: Friday is 1 day away, Monday 2 → Friday.
    assert bare.nearest_working_day(D(2026, 3, 7)) == D(2026, 3, 6)
    # Sunday 8 March: Monday is 1 day away, Friday 2 → Monday.
    assert bare.nearest_working_day(D(2026, 3, 8)) == D(2026, 3, 9)


def test_nearest_working_day_tie_goes_earlier(bare: WorkingCalendar) -> None:
    # Thursday 1 January 2026 is off; Wednesday 31 December 2025 and Friday 2 January are both
    # one day away → the earlier one, even though it is in the previous year.
    assert bare.is_working_day(D(2025, 12, 31)) and bare.is_working_day(D(2026, 1, 2))
    assert bare.nearest_working_day(D(2026, 1, 1)) == D(2025, 12, 31)
    # Tuesday 24 November 2026 (Ngày Văn hóa Việt Nam): Monday 23 and Wednesday 25 → Monday.
    assert bare.nearest_working_day(D(2026, 11, 24)) == D(2026, 11, 23)


def test_nearest_working_day_tie_with_a_configured_day() -> None:
    # Make Wednesday 4 March 2026 a day off: Tuesday 3 and Thursday 5 are equally near.
    assert WorkingCalendar([D(2026, 3, 4)]).nearest_working_day(D(2026, 3, 4)) == D(2026, 3, 3)


def test_monthly_report_in_february_2026_inside_tet(cal: WorkingCalendar) -> None:
    # The 15th is Sunday 15 February 2026, inside the break 14-22 February. Going back:
    # Saturday 14 is off, Friday 13 is working (2 days away). Going forward the first working
    # day is Monday 23 (8 days away). Nearest: Friday 13 February.
    assert monthly_deadline(2026, 2, 15, cal) == D(2026, 2, 13)


def test_monthly_report_on_weekends_and_working_days(cal: WorkingCalendar) -> None:
    # Sunday 15 March 2026: Monday 16 is 1 day away, Saturday 14 is off → Monday 16.
    assert monthly_deadline(2026, 3, 15, cal) == D(2026, 3, 16)
    # Saturday 15 November 2025 → Friday 14 November (1 day) rather than Monday 17 (2 days).
    assert monthly_deadline(2025, 11, 15, cal) == D(2025, 11, 14)
    # Wednesday 15 April 2026 is a working day.
    assert monthly_deadline(2026, 4, 15, cal) == D(2026, 4, 15)


def test_monthly_deadline_clamps_to_the_month(cal: WorkingCalendar) -> None:
    # 31 February 2026 → Saturday 28 February → Friday 27 February.
    assert monthly_deadline(2026, 2, 31, cal) == D(2026, 2, 27)
    # 2024 is a leap year: Thursday 29 February is a working day.
    assert monthly_deadline(2024, 2, 31, cal) == D(2024, 2, 29)
    # 31 April 2026 → Thursday 30 April (holiday; 1 May too) → Wednesday 29 April.
    assert monthly_deadline(2026, 4, 31, cal) == D(2026, 4, 29)
    with pytest.raises(ValueError):
        monthly_deadline(2026, 2, 0, cal)
    with pytest.raises(ValueError):
        monthly_deadline(2026, 2, 32, cal)


# --- counting working days ----------------------------------------------------------------------


def test_add_working_days_across_a_weekend(bare: WorkingCalendar) -> None:
    # Friday 6 March 2026 + 1 → Monday 9 March; + 5 → Friday 13 March.
    assert bare.add_working_days(D(2026, 3, 6), 1) == D(2026, 3, 9)
    assert bare.add_working_days(D(2026, 3, 6), 5) == D(2026, 3, 13)
    # Counting starts the next working day even from a Saturday: Saturday 7 March + 1 → Monday.
    assert bare.add_working_days(D(2026, 3, 7), 1) == D(2026, 3, 9)


def test_add_working_days_across_tet(cal: WorkingCalendar) -> None:
    # Thursday 12 February 2026 + 3: Friday 13 (1), then the break to Sunday 22, Monday 23 (2),
    # Tuesday 24 (3).
    assert cal.add_working_days(D(2026, 2, 12), 3) == D(2026, 2, 24)
    # Back: Monday 23 February − 1 → Friday 13 February.
    assert cal.add_working_days(D(2026, 2, 23), -1) == D(2026, 2, 13)


def test_add_working_days_zero_and_negative(bare: WorkingCalendar) -> None:
    assert bare.add_working_days(D(2026, 3, 7), 0) == D(2026, 3, 7)  # zero: the day, even off
    assert bare.add_working_days(D(2026, 3, 4), 0) == D(2026, 3, 4)
    # Monday 9 March − 1 → Friday 6 March; − 3 → Wednesday 4 March.
    assert bare.add_working_days(D(2026, 3, 9), -1) == D(2026, 3, 6)
    assert bare.add_working_days(D(2026, 3, 9), -3) == D(2026, 3, 4)
    # From a Sunday the day itself does not count: Sunday 8 March − 1 → Friday 6 March.
    assert bare.add_working_days(D(2026, 3, 8), -1) == D(2026, 3, 6)


def test_working_days_between(cal: WorkingCalendar) -> None:
    # (Friday 13 February, Monday 2 March 2026]: 23-27 February and 2 March → 6.
    assert cal.working_days_between(D(2026, 2, 13), D(2026, 3, 2)) == 6
    # Going back counts [end, start): [13 February, 2 March) → 13 and 23-27 February → −6.
    assert cal.working_days_between(D(2026, 3, 2), D(2026, 2, 13)) == -6
    assert cal.working_days_between(D(2026, 3, 2), D(2026, 3, 2)) == 0
    # Within the break nothing counts.
    assert cal.working_days_between(D(2026, 2, 13), D(2026, 2, 22)) == 0


def test_next_and_previous_working_day(cal: WorkingCalendar) -> None:
    assert cal.next_working_day(D(2026, 2, 13)) == D(2026, 2, 23)
    assert cal.next_working_day(D(2026, 2, 13), include_today=True) == D(2026, 2, 13)
    assert cal.next_working_day(D(2026, 2, 17), include_today=True) == D(2026, 2, 23)
    assert cal.previous_working_day(D(2026, 2, 23)) == D(2026, 2, 13)
    assert cal.previous_working_day(D(2026, 2, 23), include_today=True) == D(2026, 2, 23)
    assert cal.previous_working_day(D(2026, 2, 18), include_today=True) == D(2026, 2, 13)


# --- reminders ----------------------------------------------------------------------------------


def test_reminder_dates_span_tet(cal: WorkingCalendar) -> None:
    # Due Tuesday 24 February 2026. 0 → the 24th. Back from it: Monday 23 (1), then the break
    # 14-22 February, Friday 13 (2), Thursday 12 (3), Wednesday 11 (4), Tuesday 10 (5).
    assert cal.reminder_dates(D(2026, 2, 24), (5, 2, 0)) == [
        D(2026, 2, 10),
        D(2026, 2, 13),
        D(2026, 2, 24),
    ]


def test_reminder_dates_sorted_unique_and_due_on_a_day_off(bare: WorkingCalendar) -> None:
    # Due Sunday 22 December 2024 (the seed's one-off deadline). 0 → the last working day,
    # Friday 20; 1 → also Friday 20 (kept once); 2 → Thursday 19; 5 → Monday 16.
    assert bare.reminder_dates(D(2024, 12, 22), [0, 5, 1, 2, 2]) == [
        D(2024, 12, 16),
        D(2024, 12, 19),
        D(2024, 12, 20),
    ]
    assert bare.reminder_dates(D(2024, 12, 22), []) == []
    with pytest.raises(ValueError):
        bare.reminder_dates(D(2024, 12, 22), [-1])


# --- answer deadlines ---------------------------------------------------------------------------


def test_answer_due_for_a_petition(cal: WorkingCalendar) -> None:
    rules = calendar_config.ANSWER_DEADLINES
    # Received Friday 6 March 2026: day 1 is Monday 9 March; 9-13 (5), 16-20 (10),
    # 23-27 (15) → Friday 27 March.
    assert answer_due(D(2026, 3, 6), "phan_anh", rules, cal) == D(2026, 3, 27)
    # Received Saturday 7 March: day 1 is still Monday 9 → the same due date.
    assert answer_due(D(2026, 3, 7), "gop_y", rules, cal) == D(2026, 3, 27)
    # Received Wednesday 11 February 2026, before Tết: 12-13 February (2), 23-27 February (7),
    # 2-6 March (12), 9-11 March (15) → Wednesday 11 March.
    assert answer_due(D(2026, 2, 11), "hoi_dap", rules, cal) == D(2026, 3, 11)


def test_answer_due_for_complaints_in_calendar_days(cal: WorkingCalendar) -> None:
    rules = calendar_config.ANSWER_DEADLINES
    # Received Monday 2 March 2026 + 30 days → Wednesday 1 April 2026, a working day.
    assert answer_due(D(2026, 3, 2), "khieu_nai", rules, cal) == D(2026, 4, 1)
    # Received Tuesday 31 March + 30 → Thursday 30 April, a holiday; 1 May too, then the
    # weekend → the period ends on Monday 4 May 2026.
    assert answer_due(D(2026, 3, 31), "to_cao", rules, cal) == D(2026, 5, 4)


def test_answer_rules_cover_every_kind_and_validate() -> None:
    from config import taxonomy

    kinds = set(taxonomy.KINDS) | set(taxonomy.EXTRA_KINDS)
    assert kinds <= set(calendar_config.ANSWER_DEADLINES)
    assert AnswerRule.parse(calendar_config.ANSWER_DEADLINES["gop_y"]) == AnswerRule(15)
    assert AnswerRule.parse(calendar_config.ANSWER_DEADLINES["khieu_nai"]) == AnswerRule(30, "days")
    with pytest.raises(ValueError):
        AnswerRule(-1)
    with pytest.raises(ValueError):
        AnswerRule.parse((15, "weeks"))
    with pytest.raises(KeyError, match="unknown_kind"):
        answer_due(
            D(2026, 3, 2), "unknown_kind", calendar_config.ANSWER_DEADLINES, WorkingCalendar()
        )


def test_answer_rule_accepts_rule_objects(bare: WorkingCalendar) -> None:
    rules = {"gop_y": AnswerRule(1), "khieu_nai": AnswerRule(0, "days")}
    assert answer_due(D(2026, 3, 6), "gop_y", rules, bare) == D(2026, 3, 9)
    # Zero calendar days from a Saturday still lands on a working day.
    assert answer_due(D(2026, 3, 7), "khieu_nai", rules, bare) == D(2026, 3, 9)


# --- first working day and the digest day -------------------------------------------------------


def test_first_working_day_of_month(cal: WorkingCalendar) -> None:
    assert cal.first_working_day_of_month(2026, 1) == D(2026, 1, 2)  # 1 January is a holiday
    assert cal.first_working_day_of_month(2026, 2) == D(2026, 2, 2)  # 1 February is a Sunday
    assert cal.first_working_day_of_month(2026, 3) == D(2026, 3, 2)  # 1 March is a Sunday
    assert cal.first_working_day_of_month(2026, 4) == D(2026, 4, 1)  # a Wednesday


def test_digest_date_follows_the_config(cal: WorkingCalendar) -> None:
    assert calendar_config.DIGEST_DAY == FIRST_WORKING_DAY
    assert digest_date(2026, 1, calendar_config.DIGEST_DAY, cal) == D(2026, 1, 2)
    assert digest_date(2026, 2, calendar_config.MONTHLY_REPORT_DAY, cal) == D(2026, 2, 13)
    with pytest.raises(ValueError):
        digest_date(2026, 1, "last_working_day", cal)


# --- guards and configuration -------------------------------------------------------------------


def test_datetimes_are_refused(bare: WorkingCalendar) -> None:
    # A UTC timestamp truncated to its date may be the wrong day in Vietnam: callers convert.
    with pytest.raises(TypeError):
        bare.is_working_day(datetime(2026, 3, 2, 20, 0))
    with pytest.raises(TypeError):
        answer_due(datetime(2026, 3, 2), "gop_y", calendar_config.ANSWER_DEADLINES, bare)
    with pytest.raises(TypeError):
        WorkingCalendar([datetime(2026, 3, 2)])


def test_holiday_years_bounds_the_package() -> None:
    only_2026 = WorkingCalendar(holiday_years=range(2026, 2027))
    assert not only_2026.is_working_day(D(2026, 1, 1))
    # Outside the loaded years there are weekends but no public holidays (documented).
    assert only_2026.is_working_day(D(2027, 1, 1))
    assert not only_2026.is_working_day(D(2027, 1, 2))  # a Saturday


def test_a_calendar_without_working_days_fails_loudly() -> None:
    # Every day off from 2025 to 2028: more than a year on each side of 1 January 2027.
    never = WorkingCalendar(days(D(2025, 1, 1), D(2028, 12, 31)))
    with pytest.raises(ValueError, match="no working day"):
        never.next_working_day(D(2027, 1, 1))
    with pytest.raises(ValueError, match="no working day"):
        never.nearest_working_day(D(2027, 1, 1))


def test_config_is_well_formed() -> None:
    assert all(type(day) is date and name for day, name in calendar_config.EXTRA_DAYS_OFF.items())
    assert all(type(day) is date for day in calendar_config.MAKEUP_WORKING_DAYS)
    assert not set(calendar_config.EXTRA_DAYS_OFF) & set(calendar_config.MAKEUP_WORKING_DAYS)
    for rule in calendar_config.ANSWER_DEADLINES.values():
        AnswerRule.parse(rule)  # raises on a bad amount or unit
    assert calendar_config.MONTHLY_REPORT_DAY == 15
    assert calendar_config.REMINDER_OFFSETS == (5, 2, 0)


# --- properties over many dates (seeded, so every run checks the same dates) -------------------


def random_days(count: int, seed: int) -> list[date]:
    """`count` dates in 2024-2027, reproducibly."""
    rng = random.Random(seed)
    first, span = D(2024, 1, 1), (D(2027, 12, 31) - D(2024, 1, 1)).days
    return [first + timedelta(days=rng.randrange(span + 1)) for _ in range(count)]


def test_nearest_working_day_properties(cal: WorkingCalendar) -> None:
    for day in random_days(400, seed=5):
        nearest = cal.nearest_working_day(day)
        assert cal.is_working_day(nearest)
        distance = abs((nearest - day).days)
        for closer in range(distance):
            assert not cal.is_working_day(day - timedelta(days=closer)), day
            assert not cal.is_working_day(day + timedelta(days=closer)), day
        # At equal distance the earlier day wins.
        if distance and nearest > day:
            assert not cal.is_working_day(day - timedelta(days=distance)), day


def test_add_and_between_agree(cal: WorkingCalendar) -> None:
    rng = random.Random(15)
    for day in random_days(300, seed=15):
        n = rng.randint(-40, 40)
        target = cal.add_working_days(day, n)
        assert cal.working_days_between(day, target) == n, (day, n)
        if n:
            assert cal.is_working_day(target)
            assert (target > day) == (n > 0)


def test_add_working_days_steps_through_consecutive_working_days(cal: WorkingCalendar) -> None:
    for day in random_days(60, seed=25):
        forward = [cal.add_working_days(day, n) for n in range(1, 25)]
        assert forward == sorted(set(forward))  # strictly increasing
        for earlier, later in itertools.pairwise(forward):
            assert cal.next_working_day(earlier) == later
        # Adding in two steps of the same sign is adding once.
        assert cal.add_working_days(cal.add_working_days(day, 7), 8) == forward[14]
        back = cal.add_working_days(day, -9)
        assert cal.add_working_days(cal.add_working_days(day, -4), -5) == back


def test_reminders_are_working_days_before_the_due_date(cal: WorkingCalendar) -> None:
    for due in random_days(200, seed=35):
        reminders = cal.reminder_dates(due, calendar_config.REMINDER_OFFSETS)
        assert reminders == sorted(set(reminders))
        assert all(cal.is_working_day(day) and day <= due for day in reminders)
        assert reminders[-1] == cal.previous_working_day(due, include_today=True)
        assert cal.working_days_between(due, reminders[0]) == -5

"""Reporting deadlines, pure: the nearest-working-day rule, periods, reminder days, validation."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from config import calendar as calendar_config
from config import texts
from handlers import deadlines as logic
from handlers.calendar import WorkingCalendar
from storage.deadline_records import MONTHLY, ONCE, DeadlineRecord
from storage.records import UnitRecord

CALENDAR = WorkingCalendar(calendar_config.EXTRA_DAYS_OFF, calendar_config.MAKEUP_WORKING_DAYS)
UNITS = [
    UnitRecord("hcm", "MTTQ TP", "mttq", None, "79"),
    UnitRecord("hcm-ben-thanh", "MTTQ Bến Thành", "mttq", "hcm", "26743"),
    UnitRecord("hcm-cong-doan", "Công đoàn", "cong_doan", "hcm", "79"),
]
TODAY = date(2026, 11, 21)


def monthly(day: int = 15, **fields: object) -> DeadlineRecord:
    values: dict[str, object] = {
        "id": 1,
        "code": "bao-cao-thang",
        "title": "Báo cáo tháng",
        "recurrence": MONTHLY,
        "day_of_month": day,
        "due_date": None,
        "unit_codes": (),
        "unit_kinds": ("mttq",),
        "offsets": (5, 2, 0),
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    values.update(fields)
    return DeadlineRecord(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("year", "month", "due"),
    [
        (2026, 2, date(2026, 2, 13)),  # the 15th falls in the Tết break (14-22/02): Friday 13th
        (2026, 3, date(2026, 3, 16)),  # Sunday 15th: Monday is nearer than Friday
        (2026, 11, date(2026, 11, 16)),  # Sunday again
        (2026, 8, date(2026, 8, 14)),  # Saturday 15th: Friday
        (2026, 12, date(2026, 12, 15)),  # a Tuesday stays
    ],
)
def test_the_monthly_report_is_due_on_the_working_day_nearest_the_15th(
    year: int, month: int, due: date
) -> None:
    occurrence = logic.month_occurrence(monthly(), year, month, CALENDAR)
    assert occurrence.due == due
    assert occurrence.period == f"{year:04d}-{month:02d}"


def test_reminders_are_5_2_and_0_working_days_before() -> None:
    december = logic.month_occurrence(monthly(), 2026, 12, CALENDAR)
    assert logic.reminder_days(december, CALENDAR) == [
        (date(2026, 12, 8), 5),
        (date(2026, 12, 11), 2),
        (date(2026, 12, 15), 0),
    ]
    february = logic.month_occurrence(monthly(), 2026, 2, CALENDAR)
    assert [day for day, _ in logic.reminder_days(february, CALENDAR)] == [
        date(2026, 2, 6),
        date(2026, 2, 11),
        date(2026, 2, 13),
    ]
    # Overdue notices wait for the first working day after the due date: after Tết.
    assert logic.overdue_day(february, CALENDAR) == date(2026, 2, 23)
    assert logic.overdue_day(december, CALENDAR) == date(2026, 12, 16)


def test_the_current_period_is_the_month_and_a_one_off_its_date() -> None:
    assert logic.current_occurrence(monthly(), TODAY, CALENDAR).period == "2026-11"
    assert logic.current_occurrence(monthly(), date(2026, 11, 2), CALENDAR).period == "2026-11"
    # Day 1 of November 2026 (a Sunday) moves to Monday 2 November.
    first = monthly(day=1)
    assert logic.month_occurrence(first, 2026, 11, CALENDAR).due == date(2026, 11, 2)
    once = monthly(recurrence=ONCE, day_of_month=None, due_date=date(2026, 12, 22))
    current = logic.current_occurrence(once, TODAY, CALENDAR)
    assert (current.period, current.due) == ("2026-12-22", date(2026, 12, 22))
    assert logic.occurrences(once, TODAY, date(2026, 12, 31), CALENDAR) == [current]
    assert logic.occurrences(once, TODAY, date(2026, 12, 21), CALENDAR) == []


def test_a_moved_due_date_across_a_month_edge_stays_in_its_own_period() -> None:
    # Day 1 of August 2026 is a Saturday: due Friday 31 July, the August period.
    deadline = monthly(day=1)
    august = logic.month_occurrence(deadline, 2026, 8, CALENDAR)
    assert august.due == date(2026, 7, 31)
    assert logic.current_occurrence(deadline, date(2026, 7, 31), CALENDAR).period == "2026-08"
    found = logic.occurrences(deadline, date(2026, 7, 1), date(2026, 8, 31), CALENDAR)
    assert [o.period for o in found] == ["2026-07", "2026-08"]


def test_a_deadline_applies_to_its_units_and_kinds() -> None:
    assert logic.units_of(monthly(), UNITS) == ["hcm", "hcm-ben-thanh"]
    listed = monthly(unit_codes=("hcm-cong-doan",), unit_kinds=())
    assert logic.units_of(listed, UNITS) == ["hcm-cong-doan"]


def test_days_left_are_working_days() -> None:
    assert logic.days_left_phrase(TODAY, date(2026, 12, 15), CALENDAR) == (
        texts.DEADLINE_LEFT.format(days=16)
    )
    assert logic.days_left_phrase(TODAY, TODAY, CALENDAR) == texts.DEADLINE_TODAY
    assert logic.days_left_phrase(TODAY, date(2026, 11, 16), CALENDAR) == (
        texts.DEADLINE_LATE.format(days=4)
    )


def test_a_valid_entry_becomes_a_deadline() -> None:
    new = logic.validate_deadline(
        {"code": "q4", "title": " Báo cáo quý ", "date": "22/12/2026", "units": "hcm, hcm"},
        UNITS,
        TODAY,
    )
    assert (new.recurrence, new.due_date, new.unit_codes) == (ONCE, date(2026, 12, 22), ("hcm",))
    assert new.title == "Báo cáo quý" and new.offsets == (5, 2, 0)
    month = logic.validate_deadline(
        {"code": "m", "title": "M", "day": 15, "kinds": ["mttq"], "offsets": "0,3"}, UNITS, TODAY
    )
    assert (month.recurrence, month.day_of_month, month.offsets) == (MONTHLY, 15, (3, 0))


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"title": "T", "day": 15, "kinds": "mttq"},
         texts.DEADLINE_MISSING_FIELD.format(field="code")),
        ({"code": "Bad Code", "title": "T", "day": 1, "kinds": "mttq"}, texts.DEADLINE_BAD_CODE),
        ({"code": "a", "day": 1, "kinds": "mttq"},
         texts.DEADLINE_MISSING_FIELD.format(field="title")),
        ({"code": "a", "title": "T", "kinds": "mttq"}, texts.DEADLINE_DAY_OR_DATE),
        ({"code": "a", "title": "T", "day": 1, "date": "2026-12-01", "kinds": "mttq"},
         texts.DEADLINE_DAY_OR_DATE),
        ({"code": "a", "title": "T", "day": 32, "kinds": "mttq"},
         texts.DEADLINE_BAD_DAY.format(day=32)),
        ({"code": "a", "title": "T", "day": 0, "kinds": "mttq"},
         texts.DEADLINE_BAD_DAY.format(day=0)),
        ({"code": "a", "title": "T", "date": "31/02/2027", "kinds": "mttq"},
         texts.DEADLINE_BAD_DATE.format(date="31/02/2027")),
        ({"code": "a", "title": "T", "date": date(2024, 12, 22), "kinds": "mttq"},
         texts.DEADLINE_PAST_DATE.format(date="22/12/2024")),
        ({"code": "a", "title": "T", "day": 15}, texts.DEADLINE_NO_TARGET),
        ({"code": "a", "title": "T", "day": 15, "units": "ghost"},
         texts.DEADLINE_UNKNOWN_UNIT.format(unit="ghost")),
        ({"code": "a", "title": "T", "day": 15, "offsets": "5,-1", "kinds": "mttq"},
         texts.DEADLINE_BAD_OFFSETS.format(offsets="5,-1")),
    ],
)  # fmt: skip
def test_a_bad_entry_is_refused_with_its_reason(fields: dict[str, object], problem: str) -> None:
    with pytest.raises(logic.DeadlineError) as raised:
        logic.validate_deadlines([logic.DeadlineEntry(fields, line=7)], UNITS, TODAY)
    assert raised.value.problem == problem
    assert str(raised.value).startswith("Mục 7, hạn")


def test_a_bad_kind_and_a_duplicate_code_are_refused() -> None:
    with pytest.raises(logic.DeadlineError, match="loại đơn vị «xa»"):
        logic.validate_deadline({"code": "a", "title": "T", "day": 1, "kinds": "xa"}, UNITS, TODAY)
    entry = logic.DeadlineEntry({"code": "a", "title": "T", "day": 1, "kinds": "mttq"})
    with pytest.raises(logic.DeadlineError) as raised:
        logic.validate_deadlines([entry, entry], UNITS, TODAY)
    assert raised.value.problem == texts.DEADLINE_DUPLICATE


def test_slugs_are_plain_ascii() -> None:
    assert logic.slug("Báo cáo tổng hợp ý kiến — Đợt 2") == "bao-cao-tong-hop-y-kien-dot-2"

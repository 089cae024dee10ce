"""Vietnam's working-day calendar and the deadline arithmetic built on it: dates in, dates out.

Pure and deterministic: no I/O and no clock. Callers pass local (Vietnam, UTC+7) calendar
dates; a `datetime` is refused rather than silently truncated, because truncating a UTC
timestamp would put an evening submission on the wrong day.

A day is a working day when, in this order of precedence:

1. it is in ``makeup_working_days`` (a deployer's explicit word): working;
2. it is in ``extra_days_off``: not working;
3. it is a public holiday of the ``holidays`` package (``holidays.VN``, lunar holidays, observed
   days and announced swaps included): not working;
4. it is a Saturday the package knows as a make-up working day: working;
5. otherwise Monday–Friday are working, Saturday and Sunday are not.

So a deployer can both add days off the package does not know and cancel a package holiday or
swap that did not happen (list the holiday in ``makeup_working_days``, the Saturday in
``extra_days_off``). A day in both configured sets is a configuration error.
"""

from __future__ import annotations

import calendar as stdlib_calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, cast

import holidays

WORKING_DAYS = "working_days"
CALENDAR_DAYS = "days"
FIRST_WORKING_DAY = "first_working_day"

AmountUnit = Literal["working_days", "days"]

# No real calendar has a year-long run of days off: hitting this means the configuration marks
# every day off, and failing loudly beats looping forever.
_SEARCH_LIMIT = 366
_ONE_DAY = timedelta(days=1)


def _as_day(value: date, what: str = "day") -> date:
    """`value` checked to be a plain date (datetime is a date subclass, so test it first)."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{what} must be a datetime.date in local time, not {value!r}")
    return value


class WorkingCalendar:
    """Working days in Vietnam: weekdays minus public holidays and configured days off."""

    def __init__(
        self,
        extra_days_off: Iterable[date] | Mapping[date, str] = (),
        makeup_working_days: Iterable[date] = (),
        holiday_years: range | None = None,
        *,
        language: str = "vi",
    ) -> None:
        """Build a calendar.

        ``extra_days_off`` may be a mapping date → name, the name then shown by
        `holiday_name`. ``holiday_years`` loads the package's holidays for those years only (dates
        of other years then have weekends and the configured days, but no public holidays);
        None loads each year on first use. ``language`` picks the package's holiday names.
        """
        if isinstance(extra_days_off, Mapping):
            names = cast("Mapping[date, str]", extra_days_off)
            self._extra_off: dict[date, str | None] = {
                _as_day(day, "extra day off"): str(name) for day, name in names.items()
            }
        else:
            self._extra_off = {_as_day(day, "extra day off"): None for day in extra_days_off}
        self._makeup = frozenset(_as_day(day, "make-up working day") for day in makeup_working_days)
        clash = sorted(self._makeup & self._extra_off.keys())
        if clash:
            listed = ", ".join(day.isoformat() for day in clash)
            raise ValueError(f"days both off and make-up working days: {listed}")
        self._language = language
        self._fixed_years = holiday_years is not None
        self._public: dict[date, str] = {}
        self._package_workdays: set[date] = set()
        self._loaded_years: set[int] = set()
        for year in holiday_years or ():
            self._load_year(year)

    def _load_year(self, year: int) -> None:
        """Copy one year of the package's holidays and make-up Saturdays into plain sets."""
        package = holidays.VN(years=year, language=self._language)
        self._public.update((day, name) for day, name in package.items() if day.year == year)
        # The package reports make-up Saturdays of other years too; keep each year's own so
        # `holiday_years` bounds everything the package contributes.
        workdays = getattr(package, "weekend_workdays", ())
        self._package_workdays.update(day for day in workdays if day.year == year)
        self._loaded_years.add(year)

    def _public_holiday(self, day: date) -> str | None:
        """The package's name for `day` if it is a public holiday (observed days included)."""
        if day.year not in self._loaded_years and not self._fixed_years:
            self._load_year(day.year)
        return self._public.get(day)

    def _package_workday(self, day: date) -> bool:
        """Whether the package declares `day` (a weekend day) a make-up working day."""
        if day.year not in self._loaded_years and not self._fixed_years:
            self._load_year(day.year)
        return day in self._package_workdays

    def is_working_day(self, day: date) -> bool:
        """Whether offices work on `day` (see the module docstring for the precedence)."""
        day = _as_day(day)
        if day in self._makeup:
            return True
        if day in self._extra_off or self._public_holiday(day) is not None:
            return False
        if self._package_workday(day):
            return True
        return day.weekday() < 5

    def holiday_name(self, day: date) -> str | None:
        """Why `day` is off: a holiday's or configured name; None if working or a plain weekend."""
        day = _as_day(day)
        if self.is_working_day(day):
            return None
        # The package's name is more specific ("Mùng hai Tết Nguyên Đán") than a configured
        # name for a whole break, so it comes first.
        return self._public_holiday(day) or self._extra_off.get(day)

    def next_working_day(self, day: date, *, include_today: bool = False) -> date:
        """The first working day after `day` (or `day` itself if working and `include_today`)."""
        return self._walk(_as_day(day), +1, include_today)

    def previous_working_day(self, day: date, *, include_today: bool = False) -> date:
        """The last working day before `day` (or `day` itself if working and `include_today`)."""
        return self._walk(_as_day(day), -1, include_today)

    def _walk(self, day: date, step: int, include_today: bool) -> date:
        """The first working day met walking from `day` in direction `step` (±1)."""
        candidate = day if include_today else day + step * _ONE_DAY
        for _ in range(_SEARCH_LIMIT):
            if self.is_working_day(candidate):
                return candidate
            candidate += step * _ONE_DAY
        raise ValueError(f"no working day within {_SEARCH_LIMIT} days of {day.isoformat()}")

    def nearest_working_day(self, day: date) -> date:
        """`day` if working, else the closest working day; at equal distance the earlier one."""
        day = _as_day(day)
        if self.is_working_day(day):
            return day
        for distance in range(1, _SEARCH_LIMIT + 1):
            # Earlier first: "before the 15th ... on the nearest working day" must never
            # slip later when both sides are equally near.
            for candidate in (day - distance * _ONE_DAY, day + distance * _ONE_DAY):
                if self.is_working_day(candidate):
                    return candidate
        raise ValueError(f"no working day within {_SEARCH_LIMIT} days of {day.isoformat()}")

    def add_working_days(self, day: date, n: int) -> date:
        """The `n`-th working day after `day` (before it when `n` < 0); `day` itself when `n` == 0.

        Counting starts the next working day and `day` itself never counts, whether it is a
        working day or not: a petition received on Friday 6 March 2026 has day 1 on Monday
        9 March, so its 15-working-day due date is `add_working_days(date(2026, 3, 6), 15)`
        = Friday 27 March. Going back mirrors this: `add_working_days(d, -1)` is the last
        working day strictly before `d`. Hence `working_days_between(d, add_working_days(d, n))`
        == `n` for every `d` and `n`.
        """
        current = _as_day(day)
        step = 1 if n > 0 else -1
        for _ in range(abs(n)):
            current = self._walk(current, step, include_today=False)
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; if `end` < `start`, minus the working days in [end, start).

        Either way `start` is excluded and `end` included: the number of working-day steps
        from `start` to `end` as `add_working_days` counts them (negative going back).
        """
        start, end = _as_day(start, "start"), _as_day(end, "end")
        if end >= start:
            first, last, sign = start + _ONE_DAY, end, 1
        else:
            first, last, sign = end, start - _ONE_DAY, -1
        count = 0
        current = first
        while current <= last:
            count += self.is_working_day(current)
            current += _ONE_DAY
        return sign * count

    def reminder_dates(self, due: date, offsets: Iterable[int]) -> list[date]:
        """The days to remind on, `offsets` working days before `due`: sorted, without repeats.

        Offset 0 is `due` itself, or the last working day before it when `due` is a day off
        (nobody reads a reminder sent on a Sunday deadline); offset k > 0 is
        `add_working_days(due, -k)`. Dates already past are the caller's to drop.
        """
        due = _as_day(due, "due")
        days: set[date] = set()
        for offset in offsets:
            if offset < 0:
                raise ValueError(f"reminder offsets count days before the due date: {offset}")
            if offset == 0:
                days.add(self.previous_working_day(due, include_today=True))
            else:
                days.add(self.add_working_days(due, -offset))
        return sorted(days)

    def first_working_day_of_month(self, year: int, month: int) -> date:
        """The first working day of `month`/`year` (e.g. 2 January 2026, as 1 January is off)."""
        return self.next_working_day(date(year, month, 1), include_today=True)


def monthly_deadline(year: int, month: int, day_of_month: int, calendar: WorkingCalendar) -> date:
    """The working day nearest to `day_of_month` of `month`/`year` (ties earlier).

    A `day_of_month` past the month's end is clamped to its last day (31 → 28 February). The
    nearest working day may fall in the adjacent month when the day is near a month's edge.
    """
    if not 1 <= day_of_month <= 31:
        raise ValueError(f"day of month must be 1..31, not {day_of_month}")
    last_day = stdlib_calendar.monthrange(year, month)[1]
    return calendar.nearest_working_day(date(year, month, min(day_of_month, last_day)))


def digest_date(year: int, month: int, rule: int | str, calendar: WorkingCalendar) -> date:
    """The day in `month`/`year` a scheduled digest goes out under `rule`.

    `rule` is `FIRST_WORKING_DAY` ("first_working_day") or a day of the month, which is then
    moved like `monthly_deadline`.
    """
    if rule == FIRST_WORKING_DAY:
        return calendar.first_working_day_of_month(year, month)
    if isinstance(rule, int) and not isinstance(rule, bool):
        return monthly_deadline(year, month, rule, calendar)
    raise ValueError(f"digest day must be {FIRST_WORKING_DAY!r} or a day of the month: {rule!r}")


@dataclass(frozen=True)
class AnswerRule:
    """How long officers have to answer one kind of submission: an amount of (working) days."""

    amount: int
    unit: AmountUnit = WORKING_DAYS

    def __post_init__(self) -> None:
        """Refuse negative amounts and unknown units at configuration time."""
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 0:
            raise ValueError(f"answer deadline must be a whole number of days ≥ 0: {self.amount!r}")
        if self.unit not in (WORKING_DAYS, CALENDAR_DAYS):
            raise ValueError(f"answer deadline unit must be {WORKING_DAYS!r} or {CALENDAR_DAYS!r}")

    @classmethod
    def parse(cls, value: AnswerRule | tuple[int, str]) -> AnswerRule:
        """A rule from the config's `(amount, unit)` pair (a rule passes through)."""
        if isinstance(value, AnswerRule):
            return value
        amount, unit = value
        return cls(amount, cast("AmountUnit", unit))

    def due(self, received: date, calendar: WorkingCalendar) -> date:
        """The due date for a submission received on `received`.

        Working days: `calendar.add_working_days(received, amount)`. Calendar days: the
        received day does not count (Civil Code 2015, art. 147) and a period ending on a day
        off ends on the next working day (art. 148(5)).
        """
        received = _as_day(received, "received")
        if self.unit == WORKING_DAYS:
            return calendar.add_working_days(received, self.amount)
        last = received + timedelta(days=self.amount)
        return calendar.next_working_day(last, include_today=True)


def answer_due(
    received: date,
    kind: str,
    rules: Mapping[str, tuple[int, str] | AnswerRule],
    calendar: WorkingCalendar,
) -> date:
    """The date by which a submission of `kind` received on `received` must be answered."""
    try:
        rule = rules[kind]
    except KeyError:
        raise KeyError(f"no answer deadline configured for kind {kind!r}") from None
    return AnswerRule.parse(rule).due(received, calendar)

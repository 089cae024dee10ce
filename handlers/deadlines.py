"""Reporting deadlines: validation, their occurrences on the working-day calendar, and the
officers' `/hanchot` and `/xong` commands (called by handlers.roles.Officers after its gate).

A monthly deadline's period is its nominal month ("2026-02", even when the 15th moves to an
earlier working day); a one-off deadline's period is its date ("2024-12-22"). A unit marks a
period done with `/xong`; reminders and overdue notices skip the periods marked done.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from config import calendar as calendar_config
from config import roles as roles_config
from config import schedules as schedules_config
from config import texts
from handlers.calendar import WorkingCalendar, monthly_deadline
from handlers.ports import UnitOfWork
from nlp.text import fold
from storage.deadline_records import MONTHLY, ONCE, DeadlineRecord, NewDeadline
from storage.records import PersonRecord, UnitRecord

DEADLINE_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_OFFSET = 60
MAX_TITLE = 300
# `/xong ID`: an id of more digits cannot be a stored one (a 64-bit column).
MAX_ID_DIGITS = 18
# A one-off deadline stays listed by /hanchot this long after its date, then drops off.
ONCE_SHOWN_AFTER = timedelta(days=30)
# `/hanchot them` by an admin without a unit applies to every unit of these kinds.
ADD_DEFAULT_KINDS = ("mttq",)
_DAY_MONTH_YEAR = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_ADD_ARGS = re.compile(r"^\s*(\S+)\s+(.+?)\s*$", re.DOTALL)


def default_calendar() -> WorkingCalendar:
    """The deployment's working-day calendar, as the conversation engine builds it."""
    return WorkingCalendar(
        calendar_config.EXTRA_DAYS_OFF,
        calendar_config.MAKEUP_WORKING_DAYS,
        language=calendar_config.HOLIDAY_NAMES_LANGUAGE,
    )


# --- occurrences --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """One period of a deadline and the day it is due."""

    deadline: DeadlineRecord
    period: str
    due: date


def _add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def month_occurrence(
    deadline: DeadlineRecord, year: int, month: int, calendar: WorkingCalendar
) -> Occurrence:
    """A monthly deadline's occurrence for `month`/`year` (its day moved by `monthly_deadline`)."""
    assert deadline.day_of_month is not None
    due = monthly_deadline(year, month, deadline.day_of_month, calendar)
    return Occurrence(deadline, f"{year:04d}-{month:02d}", due)


def occurrences(
    deadline: DeadlineRecord, first: date, last: date, calendar: WorkingCalendar
) -> list[Occurrence]:
    """The deadline's occurrences due in [first, last], by date."""
    if deadline.recurrence == ONCE:
        due = deadline.due_date
        if due is None or not first <= due <= last:
            return []
        return [Occurrence(deadline, due.isoformat(), due)]
    found = []
    # One month either side: a moved day may cross into the adjacent month.
    year, month = _add_months(first.year, first.month, -1)
    end = _add_months(last.year, last.month, 1)
    while (year, month) <= end:
        occurrence = month_occurrence(deadline, year, month, calendar)
        if first <= occurrence.due <= last:
            found.append(occurrence)
        year, month = _add_months(year, month, 1)
    return found


def current_occurrence(
    deadline: DeadlineRecord, today: date, calendar: WorkingCalendar
) -> Occurrence:
    """The period a unit works on today: a monthly deadline's current month, a one-off's date.

    When a moved due date crosses a month's edge, the occurrence due on the other side counts
    as current while it is not past (due this month for next month, or not yet due for last).
    """
    if deadline.recurrence == ONCE:
        assert deadline.due_date is not None
        return Occurrence(deadline, deadline.due_date.isoformat(), deadline.due_date)
    this = month_occurrence(deadline, today.year, today.month, calendar)
    following = month_occurrence(deadline, *_add_months(today.year, today.month, 1), calendar)
    if following.due <= today:
        return following
    previous = month_occurrence(deadline, *_add_months(today.year, today.month, -1), calendar)
    if previous.due >= today:
        return previous
    return this


def offsets_of(deadline: DeadlineRecord) -> tuple[int, ...]:
    """The deadline's reminder offsets (working days before), or the configured default."""
    return deadline.offsets or tuple(calendar_config.REMINDER_OFFSETS)


def reminder_days(occurrence: Occurrence, calendar: WorkingCalendar) -> list[tuple[date, int]]:
    """(day, offset) of each reminder of an occurrence: one per day, the smallest offset."""
    days: dict[date, int] = {}
    for offset in sorted(offsets_of(occurrence.deadline)):
        (day,) = calendar.reminder_dates(occurrence.due, [offset])
        days.setdefault(day, offset)
    return sorted(days.items())


def overdue_day(occurrence: Occurrence, calendar: WorkingCalendar) -> date:
    """When the unit above hears of a period not done: the first working day after the due date."""
    return calendar.next_working_day(occurrence.due)


def units_of(deadline: DeadlineRecord, units: Sequence[UnitRecord]) -> list[str]:
    """The codes of the existing units a deadline applies to: listed ones and those of its kinds."""
    listed = set(deadline.unit_codes)
    kinds = set(deadline.unit_kinds)
    return [unit.code for unit in units if unit.code in listed or unit.kind in kinds]


def done_identity(person: PersonRecord) -> str:
    """Whose done mark a person's `/xong` makes and reminders check: their unit, or themselves.

    A role-targeted deadline is met per unit when the person has one (any holder of the role in
    that unit marks it for all of them), and per person otherwise: "@<person id>", stored in
    the mark's unit column (no unit code starts with "@").
    """
    return person.unit_code or f"@{person.id}"


def targets_role(deadline: DeadlineRecord, person: PersonRecord) -> bool:
    """Whether a deadline targets the person's role."""
    return person.role in deadline.roles


def days_left_phrase(today: date, due: date, calendar: WorkingCalendar) -> str:
    """ "còn N ngày làm việc", "hạn là hôm nay" or "quá hạn N ngày làm việc"."""
    if due == today:
        return texts.DEADLINE_TODAY
    if due > today:
        return texts.DEADLINE_LEFT.format(days=calendar.working_days_between(today, due))
    # Late by the working days after the due day, up to today: (due, today].
    return texts.DEADLINE_LATE.format(days=calendar.working_days_between(due, today))


def show_date(day: date) -> str:
    """dd/mm/yyyy."""
    return day.strftime("%d/%m/%Y")


def show_period(period: str) -> str:
    """ "02/2026" for a month, "22/12/2024" for a one-off date."""
    if len(period) == 7:
        return f"{period[5:]}/{period[:4]}"
    return show_date(date.fromisoformat(period))


def target_phrase(deadline: DeadlineRecord) -> str:
    """Who a deadline applies to, for people: unit codes and "mọi <kind>"."""
    parts = list(deadline.unit_codes)
    if deadline.unit_kinds:
        kinds = ", ".join(roles_config.UNIT_KINDS.get(k, k) for k in deadline.unit_kinds)
        parts.append(texts.DEADLINE_TARGET_KINDS.format(kinds=kinds))
    if deadline.roles:
        names = ", ".join(roles_config.ROLE_NAMES.get(r, r) for r in deadline.roles)
        parts.append(schedules_config.DEADLINE_TARGET_ROLES.format(roles=names))
    return "; ".join(parts)


# --- validation ---------------------------------------------------------------------------------


class DeadlineError(ValueError):
    """A deadline definition that cannot be stored; `str()` is the message for the operator."""

    def __init__(self, code: str, problem: str, line: int | None = None) -> None:
        self.code, self.problem, self.line = code, problem, line
        if line is None:
            message = texts.DEADLINE_ERROR_NO_LINE.format(code=code, problem=problem)
        else:
            message = texts.DEADLINE_ERROR.format(line=line, code=code, problem=problem)
        super().__init__(message)


@dataclass(frozen=True)
class DeadlineEntry:
    """One deadline as written in YAML or on the command line, before validation."""

    fields: Mapping[str, Any]
    line: int | None = None


def parse_day(value: Any) -> date:
    """A date from YAML (a date) or text ("2024-12-22" or "22/12/2024"); ValueError if neither."""
    if isinstance(value, datetime):
        raise ValueError(value)
    if isinstance(value, date):
        return value
    text = str(value).strip()
    match = _DAY_MONTH_YEAR.match(text)
    if match:
        day, month, year = (int(part) for part in match.groups())
        return date(year, month, day)
    return date.fromisoformat(text)


def _list(value: Any) -> list[str]:
    """A YAML list or a comma-separated string, as stripped non-empty texts."""
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _offsets(value: Any) -> tuple[int, ...]:
    """Reminder offsets from YAML or text; ValueError unless whole numbers 0..MAX_OFFSET."""
    if value is None:
        return tuple(calendar_config.REMINDER_OFFSETS)
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    offsets = []
    for item in items:
        if isinstance(item, bool):
            raise ValueError(item)
        number = int(str(item).strip())
        if not 0 <= number <= MAX_OFFSET:
            raise ValueError(item)
        offsets.append(number)
    if not offsets:
        raise ValueError(value)
    return tuple(sorted(set(offsets), reverse=True))


def validate_deadline(
    fields: Mapping[str, Any], units: Sequence[UnitRecord], today: date, line: int | None = None
) -> NewDeadline:
    """One deadline checked: code, title, exactly one of `day`/`date`, targets, offsets.

    A one-off date already past is refused: loading it would only raise an overdue notice.
    """
    code = str(fields.get("code") or "").strip()
    if not code:
        raise DeadlineError("?", texts.DEADLINE_MISSING_FIELD.format(field="code"), line)
    if not DEADLINE_CODE_RE.match(code):
        raise DeadlineError(code, texts.DEADLINE_BAD_CODE, line)
    title = str(fields.get("title") or "").strip()
    if not title:
        raise DeadlineError(code, texts.DEADLINE_MISSING_FIELD.format(field="title"), line)
    day, when = fields.get("day"), fields.get("date")
    if (day is None) == (when is None):
        raise DeadlineError(code, texts.DEADLINE_DAY_OR_DATE, line)
    day_of_month = due_date = None
    if day is not None:
        # isdecimal, not isdigit: "²" is a digit that int() refuses.
        if isinstance(day, bool) or not str(day).strip().isdecimal() or not 1 <= int(day) <= 31:
            raise DeadlineError(code, texts.DEADLINE_BAD_DAY.format(day=day), line)
        day_of_month = int(day)
    else:
        try:
            due_date = parse_day(when)
        except ValueError:
            raise DeadlineError(code, texts.DEADLINE_BAD_DATE.format(date=when), line) from None
        if due_date < today:
            problem = texts.DEADLINE_PAST_DATE.format(date=show_date(due_date))
            raise DeadlineError(code, problem, line)
    unit_codes, unit_kinds = _list(fields.get("units")), _list(fields.get("kinds"))
    roles = _list(fields.get("roles"))
    if not unit_codes and not unit_kinds and not roles:
        raise DeadlineError(code, texts.DEADLINE_NO_TARGET, line)
    for role in roles:
        if role not in schedules_config.DEADLINE_ROLES:
            known = ", ".join(schedules_config.DEADLINE_ROLES)
            problem = schedules_config.DEADLINE_BAD_ROLE.format(role=role, roles=known)
            raise DeadlineError(code, problem, line)
    known = {unit.code for unit in units}
    for unit in unit_codes:
        if unit not in known:
            raise DeadlineError(code, texts.DEADLINE_UNKNOWN_UNIT.format(unit=unit), line)
    for kind in unit_kinds:
        if kind not in roles_config.UNIT_KINDS:
            kinds = ", ".join(roles_config.UNIT_KINDS)
            raise DeadlineError(code, texts.DEADLINE_BAD_KIND.format(kind=kind, kinds=kinds), line)
    try:
        offsets = _offsets(fields.get("offsets"))
    except ValueError:
        problem = texts.DEADLINE_BAD_OFFSETS.format(offsets=fields.get("offsets"))
        raise DeadlineError(code, problem, line) from None
    return NewDeadline(
        code=code,
        title=title[:MAX_TITLE],
        recurrence=MONTHLY if day_of_month is not None else ONCE,
        day_of_month=day_of_month,
        due_date=due_date,
        unit_codes=tuple(dict.fromkeys(unit_codes)),
        unit_kinds=tuple(dict.fromkeys(unit_kinds)),
        offsets=offsets,
        roles=tuple(dict.fromkeys(roles)),
    )


def validate_deadlines(
    entries: Sequence[DeadlineEntry], units: Sequence[UnitRecord], today: date
) -> list[NewDeadline]:
    """Every entry checked (DeadlineError names the first bad one); codes must be unique."""
    found: list[NewDeadline] = []
    for entry in entries:
        line = entry.line
        fields = entry.fields if isinstance(entry.fields, Mapping) else {}
        new = validate_deadline(fields, units, today, line)
        if any(other.code == new.code for other in found):
            raise DeadlineError(new.code, texts.DEADLINE_DUPLICATE, line)
        found.append(new)
    return found


def slug(text: str, limit: int = 40) -> str:
    """Lower-case ASCII words joined by "-" ("Báo cáo quý IV" → "bao-cao-quy-iv")."""
    return "-".join(re.findall(r"[a-z0-9]+", fold(text)))[:limit].strip("-")


# --- chat commands ------------------------------------------------------------------------------


class DeadlineCommands:
    """`/hanchot`, `/hanchot them` and `/xong`, for a person who passed the officers' gate."""

    def __init__(self, display_tz: tzinfo, calendar: WorkingCalendar | None = None) -> None:
        self.display_tz = display_tz
        self.calendar = calendar or default_calendar()

    async def run(
        self, uow: UnitOfWork, person: PersonRecord, command: str, args: str, now: datetime
    ) -> str:
        """Answer `/hanchot [them …]` or `/xong ID`."""
        today = now.astimezone(self.display_tz).date()
        if command == "xong":
            return await self.done(uow, person, args, today, now)
        first, _, rest = args.strip().partition(" ")
        if first.lower() == "them":
            return await self.add(uow, person, rest, today, now)
        return await self.listing(uow, person, today)

    async def listing(self, uow: UnitOfWork, person: PersonRecord, today: date) -> str:
        """The current period of every deadline of the person's unit or role (admins: all)."""
        units = await uow.units.list_all()
        names = {unit.code: unit.name for unit in units}
        overseer = person.role in ("admin", "moderator")
        every = person.role == "admin" or (person.unit_code is None and overseer)
        deadlines = await uow.deadlines.list_all()
        unplaced = person.unit_code is None and not overseer
        if unplaced and not any(targets_role(deadline, person) for deadline in deadlines):
            return texts.ROLE_NO_UNIT  # an officer without a unit, and no deadline for the role
        done = await uow.deadlines.done_keys([deadline.id for deadline in deadlines])
        shown: list[tuple[date, int, str]] = []
        for deadline in deadlines:
            applies = units_of(deadline, units)
            mine = person.unit_code in applies or targets_role(deadline, person)
            if not (mine or every):
                continue
            occurrence = current_occurrence(deadline, today, self.calendar)
            if deadline.recurrence == ONCE and occurrence.due < today - ONCE_SHOWN_AFTER:
                continue
            if mine:
                key = (deadline.id, done_identity(person), occurrence.period)
                status = (
                    texts.DEADLINE_DONE_STATUS if key in done else texts.DEADLINE_NOT_DONE_STATUS
                )
            else:
                count = sum((deadline.id, code, occurrence.period) in done for code in applies)
                status = texts.DEADLINE_UNITS_DONE.format(done=count, total=len(applies))
            line = texts.DEADLINE_LINE.format(
                id=deadline.id,
                code=deadline.code,
                title=deadline.title,
                due=show_date(occurrence.due),
                left=days_left_phrase(today, occurrence.due, self.calendar),
                status=status,
            )
            shown.append((occurrence.due, deadline.id, line))
        unit = names.get(person.unit_code or "", texts.DEADLINES_ALL_UNITS)
        if every and person.role == "admin":
            unit = texts.DEADLINES_ALL_UNITS
        if not shown:
            return texts.DEADLINES_NONE.format(unit=unit)
        shown.sort()
        lines = [texts.DEADLINES_HEADER.format(unit=unit), *(line for _, _, line in shown)]
        lines.append(texts.DEADLINES_FOOTER.format(id=shown[0][1]))
        return "\n".join(lines)

    async def add(
        self, uow: UnitOfWork, person: PersonRecord, args: str, today: date, now: datetime
    ) -> str:
        """`/hanchot them DD/MM/YYYY Tiêu đề` (admins): a one-off deadline.

        It applies to the admin's own unit, or, for an admin without a unit, to every Front
        committee (`ADD_DEFAULT_KINDS`); reminders at the configured offsets.
        """
        if person.role != "admin":
            return texts.DEADLINE_ADD_ADMIN_ONLY
        match = _ADD_ARGS.match(args)
        if not match or not _DAY_MONTH_YEAR.match(match.group(1)):
            return texts.DEADLINE_ADD_USAGE
        try:
            due = parse_day(match.group(1))
        except ValueError:
            return texts.DEADLINE_ADD_USAGE
        if due < today:
            return texts.DEADLINE_ADD_PAST.format(due=show_date(due))
        title = " ".join(match.group(2).split())[:MAX_TITLE]
        base = f"{due:%Y%m%d}-{slug(title) or 'han'}"
        code, number = base, 1
        while await uow.deadlines.get_by_code(code) is not None:
            number += 1
            code = f"{base}-{number}"
        own = person.unit_code is not None and await uow.units.get(person.unit_code) is not None
        new = NewDeadline(
            code=code,
            title=title,
            recurrence=ONCE,
            due_date=due,
            unit_codes=(str(person.unit_code),) if own else (),
            unit_kinds=() if own else ADD_DEFAULT_KINDS,
            offsets=tuple(calendar_config.REMINDER_OFFSETS),
        )
        (stored,) = await uow.deadlines.upsert([new], now)
        await uow.audit.add(
            actor=person.pseudonym,
            action="deadline.added",
            at=now,
            subject=f"deadline:{stored.id}",
            details={"code": code, "due": due.isoformat(), "units": list(new.unit_codes)},
        )
        return texts.DEADLINE_ADDED.format(
            id=stored.id,
            code=code,
            title=title,
            due=show_date(due),
            target=target_phrase(stored),
            offsets=", ".join(str(offset) for offset in stored.offsets),
        )

    async def done(
        self, uow: UnitOfWork, person: PersonRecord, args: str, today: date, now: datetime
    ) -> str:
        """`/xong ID`: the person's unit has done the deadline's current period (idempotent)."""
        wanted = args.strip().lstrip("#[").rstrip("]")
        if not wanted:
            return texts.DEADLINE_XONG_USAGE
        if wanted.isdecimal() and len(wanted) <= MAX_ID_DIGITS:  # "²" is a digit int() refuses
            deadline = await uow.deadlines.get(int(wanted))
        else:
            deadline = await uow.deadlines.get_by_code(wanted.lower()[:64])
        if deadline is None:
            return texts.DEADLINE_UNKNOWN.format(id=wanted[:20])
        if targets_role(deadline, person):
            return await self._done_for_role(uow, person, deadline, today, now)
        if person.unit_code is None:
            return texts.ROLE_NO_UNIT
        unit = await uow.units.get(person.unit_code)
        if unit is None:
            return texts.ROLE_NO_UNIT
        if unit.code not in units_of(deadline, [unit]):
            return texts.DEADLINE_NOT_YOURS.format(title=deadline.title, unit=unit.name)
        occurrence = current_occurrence(deadline, today, self.calendar)
        added = await uow.deadlines.mark_done(
            deadline.id, unit.code, occurrence.period, person.id, now
        )
        if added:
            await uow.audit.add(
                actor=person.pseudonym,
                action="deadline.done",
                at=now,
                subject=f"deadline:{deadline.id}",
                details={"unit": unit.code, "period": occurrence.period},
            )
        answer = texts.DEADLINE_MARKED if added else texts.DEADLINE_ALREADY
        return answer.format(
            unit=unit.name,
            title=deadline.title,
            period=show_period(occurrence.period),
            due=show_date(occurrence.due),
        )

    async def _done_for_role(
        self,
        uow: UnitOfWork,
        person: PersonRecord,
        deadline: DeadlineRecord,
        today: date,
        now: datetime,
    ) -> str:
        """`/xong` on a deadline targeting the person's role: marked for their unit, or them."""
        identity = done_identity(person)
        unit = await uow.units.get(person.unit_code) if person.unit_code else None
        who = unit.name if unit else schedules_config.DEADLINE_DONE_BY_YOU
        occurrence = current_occurrence(deadline, today, self.calendar)
        added = await uow.deadlines.mark_done(
            deadline.id, identity, occurrence.period, person.id, now
        )
        if added:
            await uow.audit.add(
                actor=person.pseudonym,
                action="deadline.done",
                at=now,
                subject=f"deadline:{deadline.id}",
                details={
                    "unit": person.unit_code,
                    "role": person.role,
                    "period": occurrence.period,
                },
            )
        answer = texts.DEADLINE_MARKED if added else texts.DEADLINE_ALREADY
        return answer.format(
            unit=who,
            title=deadline.title,
            period=show_period(occurrence.period),
            due=show_date(occurrence.due),
        )

"""Answer-deadline reminders to officers, and escalation of overdue answers to the unit above.

Once a day, on working days at `hour` local time, every officer with a unit gets one message
listing the submissions of their scope that await an answer due within `before` working days;
and for every unit with officers whose scope holds overdue submissions, the officers of the
nearest unit above that has any (the admins at the top) get one message about it. Figures come
from SQL (a count and the first few codes), never from loading the submissions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.scheduler import Planner, Scheduled
from config import texts
from handlers.calendar import WorkingCalendar
from handlers.roles import descendants, scope_for
from storage.answers import AnswerDueQueries, AwaitingSummary
from storage.db import Database
from storage.digests import DigestScope
from storage.outbox import OutboxStore
from storage.records import PersonRecord, UnitRecord

# Codes listed in one message; the rest are counted.
LISTED = 10


class AnswerReminderPlanner(Planner):
    """Daily reminders of answers falling due, and escalation of overdue ones (see module)."""

    def __init__(
        self,
        db: Database,
        calendar: WorkingCalendar,
        tz: ZoneInfo,
        *,
        hour: int = 8,
        before: int = 2,
    ) -> None:
        self._db = db
        self._calendar = calendar
        self._tz = tz
        self._hour = hour
        self._before = before
        self._queries = AnswerDueQueries(db)

    def occurrences(self, since: datetime, now: datetime) -> list[datetime]:
        """Send times in (since, now]: `hour` local on each working day."""
        found = []
        day = since.astimezone(self._tz).date()
        last = now.astimezone(self._tz).date()
        while day <= last:
            moment = datetime.combine(day, time(self._hour), tzinfo=self._tz)
            if since < moment <= now and self._calendar.is_working_day(day):
                found.append(moment)
            day += timedelta(days=1)
        return found

    def _end_of(self, day: date) -> datetime:
        """The local midnight ending `day` (how answer_due_at stores a due day)."""
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=self._tz)

    async def plan(self, since: datetime, now: datetime, outbox: OutboxStore) -> list[Scheduled]:
        """Reminders and escalations for every send time in the window, once per key."""
        moments = self.occurrences(since, now)
        if not moments:
            return []
        async with self._db.unit_of_work() as uow:
            staff = await uow.people.list_staff()
            units = {unit.code: unit for unit in await uow.units.list_all()}
        planned: list[Scheduled] = []
        for moment in moments:
            planned += await self._reminders(moment, staff, units, outbox)
            planned += await self._escalations(moment, staff, units, outbox)
        return planned

    async def _reminders(
        self,
        moment: datetime,
        staff: Sequence[PersonRecord],
        units: dict[str, UnitRecord],
        outbox: OutboxStore,
    ) -> list[Scheduled]:
        """One message per officer listing answers due within `before` working days."""
        day = moment.date()
        due_until = self._end_of(self._calendar.add_working_days(day, self._before))
        planned = []
        for person in staff:
            unit = units.get(person.unit_code or "")
            if unit is None:
                continue  # no unit, no scope to remind about
            key = f"answers-due:{day:%Y-%m-%d}:{person.channel}:{person.external_id}"
            if await outbox.has(key):
                continue
            scope = self._scope(unit, units, person.topics)
            summary = await self._queries.awaiting(
                scope, due_after=moment, due_until=due_until, limit=LISTED
            )
            if summary.count:
                header = texts.ANSWERS_DUE_HEADER.format(
                    unit=unit.name, count=summary.count, days=self._before
                )
                text = self._compose(header, summary)
                planned.append(Scheduled(key, person.channel, person.external_id, text, moment))
        return planned

    async def _escalations(
        self,
        moment: datetime,
        staff: Sequence[PersonRecord],
        units: dict[str, UnitRecord],
        outbox: OutboxStore,
    ) -> list[Scheduled]:
        """Per unit with officers and overdue answers in its scope, one message to each
        officer of the unit above."""
        day = moment.date()
        planned = []
        for code in sorted({person.unit_code for person in staff if person.unit_code in units}):
            assert code is not None
            unit = units[code]
            pending = []
            for person in _above(unit, staff, units):
                key = f"answers-overdue:{day:%Y-%m-%d}:{code}:{person.channel}:{person.external_id}"
                if not await outbox.has(key):
                    pending.append((person, key))
            if not pending:
                continue
            summary = await self._queries.awaiting(
                self._scope(unit, units, ()), due_after=None, due_until=moment, limit=LISTED
            )
            if not summary.count:
                continue
            header = texts.ANSWERS_OVERDUE_HEADER.format(unit=unit.name, count=summary.count)
            text = self._compose(header, summary)
            for person, key in pending:
                planned.append(Scheduled(key, person.channel, person.external_id, text, moment))
        return planned

    def _scope(
        self, unit: UnitRecord, units: dict[str, UnitRecord], topics: Sequence[str]
    ) -> DigestScope:
        scope = scope_for(unit, descendants(units.values(), unit.code), topics)
        return DigestScope(scope.province_code, scope.locality_codes, scope.topics)

    def _compose(self, header: str, summary: AwaitingSummary) -> str:
        """The header, one line per listed code with its due day, and how many more."""
        lines = [header]
        for code, due_at in summary.items:
            # answer_due_at is the local midnight ending the due day: show that day.
            due = (due_at.astimezone(self._tz) - timedelta(seconds=1)).strftime("%d/%m/%Y")
            lines.append(texts.ANSWERS_ITEM.format(code=code, due=due))
        if summary.count > len(summary.items):
            lines.append(texts.ANSWERS_MORE.format(more=summary.count - len(summary.items)))
        return "\n".join(lines)


def _above(
    unit: UnitRecord, staff: Sequence[PersonRecord], units: dict[str, UnitRecord]
) -> list[PersonRecord]:
    """The staff of the nearest unit above `unit` that has any; the admins at the top."""
    seen = {unit.code}
    parent = units.get(unit.parent_code or "")
    while parent is not None and parent.code not in seen:
        seen.add(parent.code)
        found = [person for person in staff if person.unit_code == parent.code]
        if found:
            return found
        parent = units.get(parent.parent_code or "")
    return [person for person in staff if person.role == "admin"]

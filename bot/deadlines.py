"""Reporting deadlines in the bot: reminders and overdue notices for the scheduler, and
`ykien deadlines load|list|add`.

`DeadlineReminderPlanner` is a `bot.scheduler.Planner`: each sweep it lists, for the window
(since, now], every reminder day (the deadline's offsets in working days before each due date)
and every overdue day (the first working day after a due date), at `hour` local time. For each
unit a deadline applies to that has not marked that period done, a reminder goes to each of the
unit's officers and an overdue notice to each officer of the unit above, under unique outbox
keys, so a restart or a second scheduler never sends one twice.

A deadline may also target roles: then everyone with one of them is reminded, unit or not.
Their done mark is their unit's (when they have one) or their own (`logic.done_identity`); an
overdue notice goes to the unit above a holder's unit, and nowhere for a holder without one.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import config
from bot.nlp_cli import InputError
from bot.scheduler import Planner, Scheduled
from bot.yaml_lists import read_yaml_list
from config import schedules as schedules_config
from config import texts
from config.settings import Settings
from handlers import deadlines as logic
from handlers.calendar import WorkingCalendar
from handlers.ports import Clock
from storage.db import Database
from storage.deadline_records import ONCE, DeadlineRecord
from storage.outbox import OutboxStore
from storage.records import PersonRecord, UnitRecord

logger = logging.getLogger(__name__)

DEFAULT_DEADLINES_FILE = Path(config.__file__).parent / "deadlines.yaml"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


class DeadlineReminderPlanner(Planner):
    """Deadline reminders to a unit's officers and overdue notices to the unit above."""

    def __init__(
        self, db: Database, calendar: WorkingCalendar, tz: ZoneInfo, *, hour: int = 8
    ) -> None:
        self._db = db
        self._calendar = calendar
        self._tz = tz
        self._hour = hour

    def _at(self, day: date) -> datetime:
        return datetime.combine(day, time(self._hour), tzinfo=self._tz)

    def moments(
        self, deadline: DeadlineRecord, since: datetime, now: datetime
    ) -> list[tuple[datetime, str, logic.Occurrence, int | None]]:
        """(send time, "deadline" | "overdue", occurrence, offset) for times in (since, now]."""
        first = since.astimezone(self._tz).date()
        last = now.astimezone(self._tz).date()
        # Reminders come up to max(offsets) working days before a due date, the overdue notice
        # up to a holiday break after it: widen the search by both (in calendar days).
        ahead = max(logic.offsets_of(deadline)) * 2 + 30
        found: list[tuple[datetime, str, logic.Occurrence, int | None]] = []
        for occurrence in logic.occurrences(
            deadline, first - timedelta(days=30), last + timedelta(days=ahead), self._calendar
        ):
            for day, offset in logic.reminder_days(occurrence, self._calendar):
                moment = self._at(day)
                if since < moment <= now:
                    found.append((moment, "deadline", occurrence, offset))
            moment = self._at(logic.overdue_day(occurrence, self._calendar))
            if since < moment <= now:
                found.append((moment, "overdue", occurrence, None))
        return found

    async def plan(self, since: datetime, now: datetime, outbox: OutboxStore) -> list[Scheduled]:
        """Every reminder and overdue notice due in (since, now] and not yet in the outbox."""
        async with self._db.unit_of_work() as uow:
            deadlines = await uow.deadlines.list_all()
            if not deadlines:
                return []
            units = await uow.units.list_all()
            staff = await uow.people.list_staff()
            done = await uow.deadlines.done_keys([deadline.id for deadline in deadlines])
        by_code = {unit.code: unit for unit in units}
        officers: dict[str, list[PersonRecord]] = {}
        for person in staff:
            if person.role == "officer" and person.unit_code:
                officers.setdefault(person.unit_code, []).append(person)
        planned: list[Scheduled] = []
        seen: set[str] = set()  # a holder of a targeted role may also be a targeted unit's officer
        for deadline in deadlines:
            applies = logic.units_of(deadline, units)
            holders = [person for person in staff if logic.targets_role(deadline, person)]
            for moment, what, occurrence, offset in self.moments(deadline, since, now):
                planned += await self._plan_roles(
                    holders, by_code, officers, done, seen, outbox, what, occurrence, offset, moment
                )
                for code in applies:
                    if (deadline.id, code, occurrence.period) in done:
                        continue
                    unit = by_code[code]
                    if what == "deadline":
                        recipients = officers.get(code, [])
                        subject = f"{deadline.id}:{code}:{occurrence.period}:{offset}"
                    elif unit.parent_code:
                        recipients = officers.get(unit.parent_code, [])
                        subject = f"{deadline.id}:{code}:{occurrence.period}"
                    else:
                        continue  # a root unit has nobody above it
                    for person in recipients:
                        key = f"{what}:{subject}:{person.channel}:{person.external_id}"
                        if key in seen or await outbox.has(key):
                            continue  # queued by an earlier sweep or another scheduler
                        seen.add(key)
                        text = self._text(what, occurrence, unit.name, moment)
                        planned.append(
                            Scheduled(key, person.channel, person.external_id, text, moment)
                        )
        return planned

    async def _plan_roles(
        self,
        holders: list[PersonRecord],
        by_code: dict[str, UnitRecord],
        officers: dict[str, list[PersonRecord]],
        done: set[tuple[int, str, str]],
        seen: set[str],
        outbox: OutboxStore,
        what: str,
        occurrence: logic.Occurrence,
        offset: int | None,
        moment: datetime,
    ) -> list[Scheduled]:
        """One occurrence's messages for the holders of a deadline's targeted roles.

        Keys name the done identity as the unit-targeted ones name the unit, so a person both
        targeted by role and an officer of a targeted unit gets one message.
        """
        deadline = occurrence.deadline
        planned: list[Scheduled] = []
        for holder in holders:
            identity = logic.done_identity(holder)
            if (deadline.id, identity, occurrence.period) in done:
                continue
            unit = by_code.get(holder.unit_code or "")
            if what == "deadline":
                recipients = [holder]
                subject = f"{deadline.id}:{identity}:{occurrence.period}:{offset}"
                name = unit.name if unit else schedules_config.DEADLINE_REMINDER_YOU
            elif unit is not None and unit.parent_code:
                recipients = officers.get(unit.parent_code, [])
                subject = f"{deadline.id}:{identity}:{occurrence.period}"
                name = unit.name
            else:
                continue  # without a unit (or at the root) there is nobody above to tell
            for person in recipients:
                key = f"{what}:{subject}:{person.channel}:{person.external_id}"
                if key in seen or await outbox.has(key):
                    continue
                seen.add(key)
                text = self._text(what, occurrence, name, moment)
                planned.append(Scheduled(key, person.channel, person.external_id, text, moment))
        return planned

    def _text(self, what: str, occurrence: logic.Occurrence, unit: str, moment: datetime) -> str:
        deadline = occurrence.deadline
        due = logic.show_date(occurrence.due)
        if what == "overdue":
            return texts.DEADLINE_OVERDUE.format(
                unit=unit,
                title=deadline.title,
                period=logic.show_period(occurrence.period),
                due=due,
            )
        left = logic.days_left_phrase(moment.date(), occurrence.due, self._calendar)
        return texts.DEADLINE_REMINDER.format(
            title=deadline.title, unit=unit, due=due, left=left, id=deadline.id
        )


# --- `ykien deadlines load|list|add` ------------------------------------------------------------


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `deadlines load|list|add`."""
    parser = sub.add_parser("deadlines", help="reporting deadlines and their reminders")
    deadlines_sub = parser.add_subparsers(dest="deadlines_command", required=True)
    load = deadlines_sub.add_parser("load", help="add or update deadlines from a YAML file")
    load.add_argument("file", nargs="?", type=Path, default=DEFAULT_DEADLINES_FILE)
    deadlines_sub.add_parser("list", help="print every deadline")
    add = deadlines_sub.add_parser("add", help="add or change one deadline")
    add.add_argument("code")
    add.add_argument("--title", required=True)
    when = add.add_mutually_exclusive_group(required=True)
    when.add_argument("--monthly", type=int, metavar="DAY", help="day of the month (1-31)")
    when.add_argument("--date", metavar="YYYY-MM-DD", help="a one-off due date")
    target = add.add_mutually_exclusive_group(required=True)
    target.add_argument("--units", help="comma-separated unit codes")
    target.add_argument("--kinds", help="comma-separated unit kinds, e.g. mttq")
    target.add_argument(
        "--roles", help="comma-separated roles, e.g. moderator,admin (everyone with one)"
    )
    add.add_argument("--offsets", help="reminder days before, in working days (default 5,2,0)")


def run(
    args: argparse.Namespace,
    settings: Settings,
    *,
    say: Callable[[str], None] = print,
    clock: Clock = lambda: datetime.now(UTC),
) -> None:
    """Dispatch a `deadlines` subcommand (InputError: the operator's mistake)."""

    async def main() -> None:
        db = Database(settings.resolved_database_url)
        try:
            await db.upgrade()
            if args.deadlines_command == "load":
                await load_deadlines(db, args.file, say, clock())
            elif args.deadlines_command == "list":
                await list_deadlines(db, say)
            else:
                await add_deadline(db, args, say, clock())
        finally:
            await db.dispose()

    asyncio.run(main())


def read_deadlines_file(path: Path) -> list[logic.DeadlineEntry]:
    """The `deadlines:` list of a YAML file, each entry with the line it starts on."""
    pairs = read_yaml_list(
        path,
        "deadlines",
        cannot_read=texts.DEADLINES_CANNOT_READ,
        bad_format=texts.DEADLINES_BAD_FORMAT,
    )
    return [logic.DeadlineEntry(fields, line) for fields, line in pairs]


async def store_deadlines(
    db: Database, entries: list[logic.DeadlineEntry], now: datetime, tz: ZoneInfo = VIETNAM
) -> list[DeadlineRecord]:
    """Validate every entry against the stored units, then upsert them all, or nothing."""
    today = now.astimezone(tz).date()
    async with db.unit_of_work() as uow:
        try:
            new = logic.validate_deadlines(entries, await uow.units.list_all(), today)
        except logic.DeadlineError as error:
            raise InputError(str(error)) from error
        stored = await uow.deadlines.upsert(new, now)
        await uow.audit.add(
            actor="cli",
            action="deadlines.stored",
            at=now,
            details={"codes": [deadline.code for deadline in stored]},
        )
        await uow.commit()
    return stored


async def load_deadlines(
    db: Database, path: Path, say: Callable[[str], None], now: datetime
) -> None:
    """`deadlines load`: upsert every deadline of a YAML file."""
    stored = await store_deadlines(db, read_deadlines_file(path), now)
    say(texts.DEADLINES_LOADED.format(count=len(stored), path=path))


def deadline_line(deadline: DeadlineRecord) -> str:
    """One deadline as `deadlines list` prints it."""
    if deadline.recurrence == ONCE and deadline.due_date is not None:
        when = texts.DEADLINE_ONCE.format(due=logic.show_date(deadline.due_date))
    else:
        when = texts.DEADLINE_MONTHLY.format(day=deadline.day_of_month)
    return texts.DEADLINE_LIST_LINE.format(
        id=deadline.id,
        code=deadline.code,
        title=deadline.title,
        when=when,
        target=logic.target_phrase(deadline),
        offsets=", ".join(str(offset) for offset in logic.offsets_of(deadline)),
    )


async def list_deadlines(db: Database, say: Callable[[str], None]) -> None:
    """`deadlines list`."""
    async with db.unit_of_work() as uow:
        deadlines = await uow.deadlines.list_all()
    if not deadlines:
        say(texts.DEADLINES_EMPTY)
    for deadline in deadlines:
        say(deadline_line(deadline))


async def add_deadline(
    db: Database, args: argparse.Namespace, say: Callable[[str], None], now: datetime
) -> None:
    """`deadlines add CODE --title … (--monthly DAY | --date D) (--units | --kinds | --roles …)`."""
    fields = {
        "code": args.code,
        "title": args.title,
        "day": args.monthly,
        "date": args.date,
        "units": args.units,
        "kinds": args.kinds,
        "roles": getattr(args, "roles", None),
        "offsets": args.offsets,
    }
    (stored,) = await store_deadlines(db, [logic.DeadlineEntry(fields)], now)
    say(texts.DEADLINE_SAVED.format(id=stored.id, code=stored.code, title=stored.title))

"""The scheduler: digests and reminders, sent by exactly one process, each exactly once.

One process holds `SchedulerLock` (a PostgreSQL advisory lock; with SQLite there is one process)
and runs APScheduler there: every minute a sweep asks each planner what fell due since
`now - grace` and puts it into the outbox under a unique key, then sends what the outbox holds.
A run missed while the service was down is therefore caught up on start if it is younger than
the grace (24 h by default), and never sent twice: the key is already there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.alerts import ChatSender, RecipientBlocked
from bot.digests import build_digest
from bot.report_files import FileSender, report_directory, write_digest_reports
from config import report_delivery, texts
from config import schedules as schedules_config
from handlers.calendar import WorkingCalendar
from handlers.digest import Period
from handlers.digest_text import digest_text
from handlers.roles import Scope, descendants, scope_for
from storage.channels import ChannelStore
from storage.db import Database
from storage.digests import DigestScope
from storage.outbox import OutboxRow, OutboxStore, SchedulerLock
from storage.sql import ButtonRows

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
LOCK_RETRY_SECONDS = 30.0
# A sender that died mid-send leaves its claim; another may take the message after this.
CLAIM_LEASE = timedelta(minutes=10)
# A failed message waits this long before attempt 2, 3, ... (the last delay repeats).
RETRY_DELAYS = tuple(timedelta(minutes=m) for m in (1, 5, 30, 120))
# Between sweeps, due messages (answers, alerts, the review queue) are sent this often, and at
# once when this process queued one (`Scheduler.kick`).
DELIVERY_SECONDS = 5.0
# Attempts per outgoing message before it is given up.
MAX_ATTEMPTS = 5


class ButtonSender(Protocol):
    """A channel that shows buttons and edits its sent messages (Telegram)."""

    async def send(self, chat_id: str, text: str, buttons: ButtonRows) -> str | None:
        """Send (split to the channel's limit, buttons on the last part); the last part's id."""

    async def edit(self, chat_id: str, message_id: str, text: str, buttons: ButtonRows) -> bool:
        """Replace a sent message's text and buttons; False when it cannot be edited."""


@dataclass(frozen=True)
class Scheduled:
    """A message a planner wants sent: `key` names recipient, subject and period."""

    key: str
    channel: str
    chat_id: str
    text: str
    due_at: datetime
    # Paths of files sent after the text (the digest's report files).
    files: tuple[str, ...] = ()


class Planner:
    """Says which scheduled messages fell due in a window; must not repeat a key's work."""

    async def plan(self, since: datetime, now: datetime, outbox: OutboxStore) -> list[Scheduled]:
        """The messages whose time is in (since, now] and whose key is not in the outbox yet."""
        raise NotImplementedError


@dataclass(frozen=True)
class DigestRecipient:
    """Who receives a monthly digest, of which scope, under which unit name."""

    channel: str
    chat_id: str
    scope: DigestScope
    unit_name: str
    # The unit's schedule (config.schedules): which planners send to this recipient.
    digest: str = schedules_config.DIGEST_MONTHLY
    digest_weekday: int = schedules_config.DEFAULT_DIGEST_WEEKDAY

    @property
    def monthly(self) -> bool:
        """Whether the recipient gets the monthly digest."""
        return self.digest in (schedules_config.DIGEST_MONTHLY, schedules_config.DIGEST_BOTH)

    @property
    def weekly(self) -> bool:
        """Whether the recipient gets the weekly digest."""
        return self.digest in (schedules_config.DIGEST_WEEKLY, schedules_config.DIGEST_BOTH)


async def staff_recipients(
    db: Database, admin_chats: Sequence[tuple[str, str]]
) -> list[DigestRecipient]:
    """Every officer, moderator and admin with their scope and their unit's digest schedule.

    Staff without a unit and the admin chats see everything, monthly only.
    """
    recipients: dict[tuple[str, str], DigestRecipient] = {}
    async with db.unit_of_work() as uow:
        staff = await uow.people.list_staff()
        units = {unit.code: unit for unit in await uow.units.list_all()}
    for person in staff:
        unit = units.get(person.unit_code or "")
        schedule = (schedules_config.DIGEST_MONTHLY, schedules_config.DEFAULT_DIGEST_WEEKDAY)
        if unit is not None:
            scope = scope_for(unit, descendants(units.values(), unit.code), person.topics)
            name = unit.name
            schedule = (unit.digest, unit.digest_weekday)
        elif person.role in ("admin", "moderator"):
            scope, name = Scope(topics=person.topics), texts.DIGEST_ALL_UNITS
        else:
            continue  # an officer without a (known) unit has no scope
        recipients[(person.channel, person.external_id)] = DigestRecipient(
            person.channel,
            person.external_id,
            DigestScope(scope.province_code, scope.locality_codes, scope.topics),
            name,
            *schedule,
        )
    for channel, chat in admin_chats:
        recipients.setdefault(
            (channel, chat), DigestRecipient(channel, chat, DigestScope(), texts.DIGEST_ALL_UNITS)
        )
    return list(recipients.values())


class MonthlyDigestPlanner(Planner):
    """The previous month's digest, on the first working day of each month at `hour` local."""

    def __init__(
        self,
        db: Database,
        calendar: WorkingCalendar,
        tz: ZoneInfo,
        recipients: Callable[[], Awaitable[Sequence[DigestRecipient]]],
        *,
        hour: int = 8,
        reports_dir: Path | None = None,
    ) -> None:
        self._db = db
        self._calendar = calendar
        self._tz = tz
        self._recipients = recipients
        self._hour = hour
        # Set: each digest also gets its Word, Excel and chart files, sent after the text.
        self._reports_dir = reports_dir

    def send_time(self, year: int, month: int) -> datetime:
        """When the digest of the month before `month`/`year` goes out."""
        day = self._calendar.first_working_day_of_month(year, month)
        return datetime.combine(day, time(self._hour), tzinfo=self._tz)

    def occurrences(self, since: datetime, now: datetime) -> list[datetime]:
        """Send times in (since, now]."""
        found = []
        first = since.astimezone(self._tz).date().replace(day=1)
        last = now.astimezone(self._tz).date()
        month = first
        while month <= last:
            moment = self.send_time(month.year, month.month)
            if since < moment <= now:
                found.append(moment)
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        return found

    async def plan(self, since: datetime, now: datetime, outbox: OutboxStore) -> list[Scheduled]:
        """Build each recipient's digest for every send time in the window, once per key."""
        planned: list[Scheduled] = []
        for moment in self.occurrences(since, now):
            period = Period.month(moment.year, moment.month).previous()
            for recipient in await self._recipients():
                if not recipient.monthly:
                    continue  # the unit chose weekly digests only, or none
                key = f"digest:{recipient.channel}:{recipient.chat_id}:{period.start:%Y-%m}"
                if await outbox.has(key):
                    continue  # built and queued by an earlier sweep: no second digest
                digest = await build_digest(
                    self._db,
                    recipient.scope,
                    period,
                    unit_name=recipient.unit_name,
                    now=now,
                    tz=self._tz,
                    with_items=self._reports_dir is not None,
                )
                files: tuple[str, ...] = ()
                if self._reports_dir is not None:
                    directory = report_directory(
                        self._reports_dir, period, recipient.channel, recipient.chat_id
                    )
                    files = await write_digest_reports(
                        digest, directory, unit_name=recipient.unit_name, tz=self._tz
                    )
                planned.append(
                    Scheduled(
                        key,
                        recipient.channel,
                        recipient.chat_id,
                        digest_text(digest),
                        moment,
                        files,
                    )
                )
        return planned


class WeeklyDigestPlanner(Planner):
    """The last 7 days' digest, on each unit's weekday at `hour` local, for units that chose it.

    The digest for the nominal day D covers [D - 7 days, D); when D is a day off it goes out on
    the next working day, still covering that week. Only units whose schedule is weekly or both
    get it (staff without a unit and the admin chats get the monthly digest only).
    """

    # A nominal weekday moved past a long break (Tết) is still found this many days later.
    LOOKBACK_DAYS = 21

    def __init__(
        self,
        db: Database,
        calendar: WorkingCalendar,
        tz: ZoneInfo,
        recipients: Callable[[], Awaitable[Sequence[DigestRecipient]]],
        *,
        hour: int = 8,
    ) -> None:
        self._db = db
        self._calendar = calendar
        self._tz = tz
        self._recipients = recipients
        self._hour = hour

    def send_time(self, nominal: date) -> datetime:
        """When the weekly digest due on `nominal` goes out: that day, or the next working day."""
        day = self._calendar.next_working_day(nominal, include_today=True)
        return datetime.combine(day, time(self._hour), tzinfo=self._tz)

    def occurrences(
        self, weekday: int, since: datetime, now: datetime
    ) -> list[tuple[datetime, Period]]:
        """(send time, period) for a weekday's digests whose send time is in (since, now]."""
        first = since.astimezone(self._tz).date() - timedelta(days=self.LOOKBACK_DAYS)
        last = now.astimezone(self._tz).date()
        day = first + timedelta(days=(weekday - first.weekday()) % 7)
        found = []
        while day <= last:
            moment = self.send_time(day)
            if since < moment <= now:
                found.append((moment, Period(day - timedelta(days=7), day)))
            day += timedelta(days=7)
        return found

    async def plan(self, since: datetime, now: datetime, outbox: OutboxStore) -> list[Scheduled]:
        """Build each weekly recipient's digest for every send time in the window, once per key."""
        planned: list[Scheduled] = []
        for recipient in await self._recipients():
            if not recipient.weekly:
                continue
            for moment, period in self.occurrences(recipient.digest_weekday, since, now):
                key = f"weekly:{recipient.channel}:{recipient.chat_id}:{period.start:%Y-%m-%d}"
                if await outbox.has(key):
                    continue  # built and queued by an earlier sweep: no second digest
                digest = await build_digest(
                    self._db,
                    recipient.scope,
                    period,
                    unit_name=recipient.unit_name,
                    now=now,
                    tz=self._tz,
                    with_items=False,
                )
                planned.append(
                    Scheduled(
                        key, recipient.channel, recipient.chat_id, digest_text(digest), moment
                    )
                )
        return planned


class Scheduler:
    """Plans into the outbox and sends from it; `run` does so only while holding the lock."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock,
        planners: Sequence[Planner],
        senders: dict[str, ChatSender],
        file_senders: dict[str, FileSender] | None = None,
        button_senders: dict[str, ButtonSender] | None = None,
        grace: timedelta = timedelta(hours=24),
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.outbox = OutboxStore(db)
        self.lock = SchedulerLock(db)
        self._db = db
        self._contacts = ChannelStore(db)
        self._clock = clock
        self._planners = list(planners)
        self._senders = senders
        self._file_senders = file_senders or {}
        # Channels with buttons and edits; their messages go through these, not `senders`.
        self._button_senders = button_senders or {}
        self._grace = grace
        self._max_attempts = max_attempts
        self._sweeping = asyncio.Lock()
        self._sending = asyncio.Lock()
        self._kicked = asyncio.Event()

    def kick(self) -> None:
        """Deliver due messages now (the engine queued one); a no-op where no sender runs."""
        self._kicked.set()

    async def sweep(self) -> dict[str, int]:
        """Plan what fell due within the grace, then send what is due; returns the counts."""
        async with self._sweeping:
            now = self._clock()
            queued = 0
            for planner in self._planners:
                try:
                    planned = await planner.plan(now - self._grace, now, self.outbox)
                except Exception:  # one planner's failure must not stop the others
                    logger.exception("planner %s failed", type(planner).__name__)
                    continue
                for message in planned:
                    queued += await self.outbox.enqueue(
                        key=message.key,
                        channel=message.channel,
                        chat_id=message.chat_id,
                        text=message.text,
                        due_at=message.due_at,
                        now=now,
                        files=message.files,
                    )
            counts = await self.deliver()
            if queued:
                logger.info("scheduler: %d queued", queued)
            return {"queued": queued, **counts}

    async def deliver(self) -> dict[str, int]:
        """Send every message due now; returns how many were sent and how many failed."""
        async with self._sending:
            now = self._clock()
            sent = failed = 0
            async for row in self._due(now):
                if row.channel not in self._senders and row.channel not in self._button_senders:
                    continue  # that channel does not run in this process now: later
                if not await self.outbox.claim(row.id, now, CLAIM_LEASE):
                    continue  # sent meanwhile, or being sent by another sender
                try:
                    message_id = await self._send(row, now)
                except Exception as error:
                    failed += 1
                    await self._failed(row, error, now)
                    continue
                # Files go after the text and are not retried: a retry would repeat the text.
                await self.outbox.sent(
                    row.id,
                    self._clock(),
                    error=await self._send_files(row),
                    channel_message_id=message_id,
                )
                sent += 1
            if sent or failed:
                logger.info("outbox: %d sent, %d failed", sent, failed)
            return {"sent": sent, "failed": failed}

    async def _send(self, row: OutboxRow, now: datetime) -> str | None:
        """Send one row (or edit the message it replaces); the channel's id of the message."""
        button_sender = self._button_senders.get(row.channel)
        if row.edit_key is not None:
            target = await self.outbox.ref(row.edit_key)
            if target is not None and not target.sent:
                # Replaced before it went out: only the replacement is worth sending.
                await self.outbox.cancel(target.key, now, f"replaced by {row.key}")
            elif (
                target is not None
                and target.message_id
                and button_sender is not None
                and (target.channel, target.chat_id) == (row.channel, row.chat_id)
                and await button_sender.edit(row.chat_id, target.message_id, row.text, row.buttons)
            ):
                return target.message_id
        if button_sender is not None:
            return await button_sender.send(row.chat_id, self._text_of(row), row.buttons)
        await self._senders[row.channel](row.chat_id, self._text_of(row))
        return None

    async def _failed(self, row: OutboxRow, error: Exception, now: datetime) -> None:
        """Back off; a recipient who blocked the bot is, after the last attempt (or at once when
        already known unreachable), marked unreachable and the message given up."""
        name = "blocked" if isinstance(error, RecipientBlocked) else type(error).__name__
        attempts = row.attempts + 1  # the claim counted this one
        logger.warning("scheduled message %s not sent (%s)", row.key, name)
        if isinstance(error, RecipientBlocked):
            contact = await self._contacts.get_contact(row.channel, row.chat_id)
            known = contact is not None and contact.unreachable_since is not None
            if known or attempts >= self._max_attempts:
                await self.outbox.give_up(row.id, name)
                if not known:
                    await self._contacts.mark_unreachable(row.channel, row.chat_id, now)
                    await self._audit_unreachable(row, now)
                return
        delay = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
        await self.outbox.failed(row.id, name, retry_at=now + delay)

    async def _audit_unreachable(self, row: OutboxRow, now: datetime) -> None:
        async with self._db.unit_of_work() as uow:
            await uow.audit.add(
                actor="system",
                action="contact.unreachable",
                at=now,
                subject=row.key[:64],
                details={"channel": row.channel, "attempts": self._max_attempts},
            )
            await uow.commit()

    def _text_of(self, row: OutboxRow) -> str:
        """The row's text; on a channel that cannot carry its files, with a note saying so."""
        if row.files and row.channel not in self._file_senders:
            return f"{row.text}\n\n{report_delivery.FILES_NOT_SENT_NOTE}"
        return row.text

    async def _send_files(self, row: OutboxRow) -> str | None:
        """Send the row's files in order; a short description of the failures, if any."""
        send = self._file_senders.get(row.channel)
        if send is None or not row.files:
            return None
        errors = []
        for name in row.files:
            try:
                await send(row.chat_id, Path(name))
            except Exception as error:  # one file lost (deleted, refused) must not stop the rest
                errors.append(type(error).__name__)
                logger.warning(
                    "file %s of scheduled message %s not sent (%s)",
                    Path(name).name,
                    row.key,
                    type(error).__name__,
                )
        return f"files not sent: {', '.join(errors)}" if errors else None

    async def _due(self, now: datetime) -> AsyncIterator[OutboxRow]:
        """Every message due by `now`, in batches (a broadcast to thousands in one sweep)."""
        after = 0
        while True:
            batch = await self.outbox.due(now, max_attempts=self._max_attempts, after_id=after)
            if not batch:
                return
            for row in batch:
                yield row
            after = batch[-1].id

    async def run(self, stop: asyncio.Event) -> None:
        """Wait for the lock; while held, sweep every minute (at once on taking it)."""
        try:
            while not stop.is_set():
                if not await self.lock.try_acquire():
                    await _wait(stop, LOCK_RETRY_SECONDS)
                    continue
                logger.info("this process runs the scheduler")
                scheduler = AsyncIOScheduler(timezone="UTC")
                scheduler.add_job(
                    self.sweep,
                    IntervalTrigger(minutes=1),
                    next_run_time=datetime.now().astimezone(),  # catch up at once
                    coalesce=True,
                    max_instances=1,
                    misfire_grace_time=60,
                )
                scheduler.start()
                delivery = asyncio.create_task(self._deliver_often())
                try:
                    while not stop.is_set() and await self.lock.still_held():
                        await _wait(stop, LOCK_RETRY_SECONDS)
                finally:
                    delivery.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await delivery
                    scheduler.shutdown(wait=False)
                if not stop.is_set():
                    logger.warning("scheduler lock lost; standing by")
        finally:
            await self.lock.release()

    async def _deliver_often(self) -> None:
        """Deliver every DELIVERY_SECONDS, and at once when kicked, until cancelled."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kicked.wait(), timeout=DELIVERY_SECONDS)
            self._kicked.clear()
            try:
                await self.deliver()
            except Exception:  # the database is away: the next round tries again
                logger.exception("outbox delivery failed")


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)

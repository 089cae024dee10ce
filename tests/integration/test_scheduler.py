"""The scheduler on SQLite and PostgreSQL: due times, catch-up, restarts, one scheduler only.

Frozen clocks: the monthly digest of November 2026 goes out on the first working day of
December (Tuesday 1 December 2026) at 08:00 in Vietnam, i.e. 01:00 UTC.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.scheduler import DigestRecipient, MonthlyDigestPlanner, Scheduler
from handlers.calendar import WorkingCalendar
from storage import models
from storage.db import Database
from storage.digests import DigestScope
from tests.conftest import FrozenClock

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
SEND_TIME = datetime(2026, 12, 1, 8, tzinfo=VIETNAM)
ADMIN = DigestRecipient("telegram", "42", DigestScope(), "Toàn hệ thống")


class Inbox:
    """A channel sender that records what it was asked to send (and can fail on demand)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []
        self.failures = 0

    async def __call__(self, chat: str, text: str) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("channel down")
        self.messages.append((chat, text))


def _scheduler(db: Database, clock: FrozenClock, inbox: Inbox, **kwargs: object) -> Scheduler:
    async def recipients() -> list[DigestRecipient]:
        return [ADMIN]

    planner = MonthlyDigestPlanner(db, WorkingCalendar(), VIETNAM, recipients)
    return Scheduler(
        db,
        clock=clock,
        planners=[planner],
        senders={"telegram": inbox},
        **kwargs,  # type: ignore[arg-type]
    )


async def _outbox_rows(db: Database) -> int:
    async with db.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(models.OutboxMessage)) or 0)


def test_send_times_follow_the_working_day_calendar(db: Database) -> None:
    async def nobody() -> list[DigestRecipient]:
        return []

    planner = MonthlyDigestPlanner(db, WorkingCalendar(), VIETNAM, nobody)
    assert planner.send_time(2026, 12) == SEND_TIME
    # 1 January 2027 is New Year's Day (a Friday): the first working day is Monday 4 January.
    assert planner.send_time(2027, 1) == datetime(2027, 1, 4, 8, tzinfo=VIETNAM)
    year = planner.occurrences(datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert len(year) == 12
    assert all(moment.hour == 8 for moment in year)


async def test_the_digest_goes_out_once_at_its_time(db: Database) -> None:
    clock, inbox = FrozenClock(SEND_TIME - timedelta(minutes=1)), Inbox()
    scheduler = _scheduler(db, clock, inbox)
    assert await scheduler.sweep() == {"queued": 0, "sent": 0, "failed": 0}
    clock.advance(minutes=1)
    assert await scheduler.sweep() == {"queued": 1, "sent": 1, "failed": 0}
    ((chat, text),) = inbox.messages
    assert chat == "42" and "11/2026" in text
    clock.advance(minutes=1)
    assert await scheduler.sweep() == {"queued": 0, "sent": 0, "failed": 0}
    # A restart: a new scheduler over the same database sends nothing again.
    again = _scheduler(db, clock, inbox)
    assert await again.sweep() == {"queued": 0, "sent": 0, "failed": 0}
    assert len(inbox.messages) == 1 and await _outbox_rows(db) == 1


async def test_a_run_missed_during_downtime_is_caught_up_within_the_grace(db: Database) -> None:
    inbox = Inbox()
    late = _scheduler(db, FrozenClock(SEND_TIME + timedelta(hours=12)), inbox)
    assert (await late.sweep())["sent"] == 1


async def test_a_run_older_than_the_grace_is_not_sent(db: Database) -> None:
    inbox = Inbox()
    too_late = _scheduler(db, FrozenClock(SEND_TIME + timedelta(hours=25)), inbox)
    assert await too_late.sweep() == {"queued": 0, "sent": 0, "failed": 0}
    wider = _scheduler(
        db, FrozenClock(SEND_TIME + timedelta(hours=25)), inbox, grace=timedelta(days=2)
    )
    assert (await wider.sweep())["sent"] == 1


async def test_a_failed_send_is_retried_then_given_up(db: Database) -> None:
    clock, inbox = FrozenClock(SEND_TIME), Inbox()
    inbox.failures = 1
    scheduler = _scheduler(db, clock, inbox, max_attempts=3)
    assert await scheduler.sweep() == {"queued": 1, "sent": 0, "failed": 1}
    clock.advance(minutes=1)
    assert (await scheduler.sweep())["sent"] == 1
    assert len(inbox.messages) == 1

    inbox.failures = 10
    clock.now = datetime(2027, 1, 4, 8, tzinfo=VIETNAM)  # the December digest goes out
    assert (await scheduler.sweep())["failed"] == 1
    # Backing off: the next attempt waits (1 min, then 5 min, ...), not the next sweep.
    assert (await scheduler.sweep())["failed"] == 0
    results = []
    for _ in range(4):
        clock.advance(hours=3)
        results.append((await scheduler.sweep())["failed"])
    assert results == [1, 1, 0, 0]  # three attempts in all, then no more
    assert len(inbox.messages) == 1


async def test_only_one_process_holds_the_scheduler_lock(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite serves one process: the lock is always granted")
    clock, inbox = FrozenClock(SEND_TIME), Inbox()
    first = _scheduler(db, clock, inbox)
    other_db = Database(db.url)
    try:
        second = _scheduler(other_db, clock, inbox)
        assert await first.lock.try_acquire()
        assert not await second.lock.try_acquire()
        await first.lock.release()
        assert await second.lock.try_acquire()
        await second.lock.release()
    finally:
        await other_db.dispose()


async def test_two_running_schedulers_send_once(db: Database) -> None:
    clock, inbox = FrozenClock(SEND_TIME), Inbox()
    other_db = db if db.is_sqlite else Database(db.url)
    stop = asyncio.Event()
    schedulers = [_scheduler(db, clock, inbox), _scheduler(other_db, clock, inbox)]
    tasks = [asyncio.create_task(s.run(stop)) for s in schedulers]
    try:
        for _ in range(100):  # the lock holder sweeps at once on taking the lock
            if inbox.messages:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # room for a wrong second send to happen
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=10)
        if other_db is not db:
            await other_db.dispose()
    assert len(inbox.messages) == 1
    assert await _outbox_rows(db) == 1


async def test_one_sweep_sends_a_broadcast_larger_than_a_batch(db: Database) -> None:
    clock, inbox = FrozenClock(SEND_TIME), Inbox()
    scheduler = Scheduler(db, clock=clock, planners=[], senders={"telegram": inbox})
    for number in range(620):  # more than one batch of 500
        await scheduler.outbox.enqueue(
            key=f"test:{number}", channel="telegram", chat_id=str(number), text="Nhắc hạn",
            due_at=SEND_TIME, now=SEND_TIME,
        )  # fmt: skip
    await scheduler.outbox.enqueue(
        key="test:later", channel="telegram", chat_id="x", text="Sau",
        due_at=SEND_TIME + timedelta(hours=1), now=SEND_TIME,
    )  # fmt: skip
    assert await scheduler.sweep() == {"queued": 0, "sent": 620, "failed": 0}
    assert sorted(int(chat) for chat, _ in inbox.messages) == list(range(620))


async def test_officers_get_their_units_digest_and_admin_chats_everything(db: Database) -> None:
    from bot.scheduler import staff_recipients
    from storage.records import UnitRecord

    async with db.unit_of_work() as uow:
        await uow.units.upsert(
            [
                UnitRecord("mttq-79", "Ủy ban MTTQ TP. Hồ Chí Minh", "mttq", None, "79"),
                UnitRecord("mttq-ben-thanh", "Ủy ban MTTQ phường Bến Thành", "mttq", "mttq-79",
                           "26743"),
            ]
        )  # fmt: skip
        for name, role, unit in [
            ("province", "officer", "mttq-79"),
            ("ward", "officer", "mttq-ben-thanh"),
            ("lost", "officer", None),
            ("moderator", "moderator", None),
            ("resident", "resident", None),
        ]:
            person = await uow.people.add(
                pseudonym=f"P-{name}", channel="telegram", external_id=name,
                consent_version="1", at=SEND_TIME,
            )  # fmt: skip
            if role != "resident":
                topics = ["dat_dai"] if name == "ward" else []
                person = await uow.people.set_role(
                    person.id, role=role, unit_code=unit, topics=topics
                )
        await uow.commit()
    found = {
        r.chat_id: r
        for r in await staff_recipients(db, [("telegram", "moderator"), ("zalo_bot", "z")])
    }
    assert set(found) == {"province", "ward", "moderator", "z"}  # no unit: no scope, no digest
    assert found["province"].scope == DigestScope(province_code="79")
    assert found["ward"].scope == DigestScope(locality_codes=("26743",), topics=("dat_dai",))
    assert found["ward"].unit_name == "Ủy ban MTTQ phường Bến Thành"
    assert found["moderator"].scope == DigestScope() and found["z"].channel == "zalo_bot"

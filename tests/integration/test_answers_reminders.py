"""Answer-deadline reminders and escalation through the real scheduler, on SQLite and
PostgreSQL, with a frozen clock.

A petition due on Friday 4 December 2026 (answer_due_at: the local midnight ending that day)
is reminded 2 working days before, from Wednesday 2 December at 08:00, once a day.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.answers import AnswerReminderPlanner
from bot.scheduler import Scheduler
from config import texts
from handlers.calendar import WorkingCalendar
from storage import models
from storage.db import Database
from tests.conftest import FrozenClock
from tests.integration.test_answers import submit
from tests.integration.test_scheduler import Inbox

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
DUE_FRIDAY = datetime(2026, 12, 4, 17, tzinfo=UTC)  # 00:00 on 5/12 in Vietnam
WARD = "Ủy ban MTTQ Việt Nam Phường Bến Thành"
CITY = "Ủy ban MTTQ Việt Nam Thành phố Hồ Chí Minh"


def at(day: int, hour: int = 8, minute: int = 0) -> datetime:
    """A local time in December 2026."""
    return datetime(2026, 12, day, hour, minute, tzinfo=VIETNAM)


async def staff(db: Database, external_id: str, role: str, unit: str | None) -> None:
    """A Telegram person with a role and a unit."""
    async with db.unit_of_work() as uow:
        person = await uow.people.add(
            pseudonym=f"ND-{external_id}",
            channel="telegram",
            external_id=external_id,
            consent_version="v",
            at=datetime(2026, 9, 1, tzinfo=UTC),
        )
        await uow.people.set_role(person.id, role=role, unit_code=unit, topics=[])
        await uow.commit()


def scheduler(db: Database, clock: FrozenClock, inbox: Inbox) -> Scheduler:
    planner = AnswerReminderPlanner(db, WorkingCalendar(), VIETNAM, hour=8, before=2)
    return Scheduler(db, clock=clock, planners=[planner], senders={"telegram": inbox})


async def keys(db: Database) -> list[str]:
    async with db.engine.connect() as conn:
        rows = await conn.scalars(
            select(models.OutboxMessage.key).order_by(models.OutboxMessage.id)
        )
        return list(rows)


async def test_reminders_two_working_days_before_once_a_day_until_answered(
    db: Database, units: None
) -> None:
    await staff(db, "ward-officer", "officer", "hcm-ben-thanh")
    await staff(db, "other-ward", "officer", "hcm-sai-gon")
    first = await submit(db, answer_due_at=DUE_FRIDAY)
    second = await submit(db, answer_due_at=DUE_FRIDAY)
    await submit(db, answer_due_at=datetime(2026, 12, 10, 17, tzinfo=UTC))  # later
    await submit(db, answer_due_at=DUE_FRIDAY, status="da_tra_loi")  # answered
    clock, inbox = FrozenClock(at(1)), Inbox()
    sched = scheduler(db, clock, inbox)
    # Tuesday 1 December: Friday is 3 working days away, too early.
    await sched.sweep()
    assert inbox.messages == []
    # Wednesday 2 December, 07:59 then 08:00.
    clock.now = at(2, 7, 59)
    await sched.sweep()
    assert inbox.messages == []
    clock.now = at(2)
    assert (await sched.sweep())["sent"] == 1
    ((chat, text),) = inbox.messages
    assert chat == "ward-officer"
    lines = text.split("\n")
    assert lines[0] == texts.ANSWERS_DUE_HEADER.format(unit=WARD, count=2, days=2)
    assert sorted(lines[1:]) == sorted(
        texts.ANSWERS_ITEM.format(code=code, due="04/12/2026") for code in (first, second)
    )
    # Later that day, and a second scheduler's sweep: nothing more.
    clock.now = at(2, 15)
    await sched.sweep()
    await scheduler(db, clock, inbox).sweep()
    assert len(inbox.messages) == 1
    assert await keys(db) == ["answers-due:2026-12-02:telegram:ward-officer"]
    # Thursday: one more; then both are answered and Friday brings nothing.
    clock.now = at(3)
    await sched.sweep()
    assert len(inbox.messages) == 2
    async with db.unit_of_work() as uow:
        for code in (first, second):
            submission = await uow.submissions.get_by_code(code)
            assert submission is not None
            await uow.answers.add(
                submission_id=submission.id, person_id=None, text="Đã xử lý.", at=at(3, 10)
            )
            assert await uow.cases.change_status(
                submission.id,
                before="da_tiep_nhan",
                after="da_tra_loi",
                at=at(3, 10),
                answered=True,
            )
        await uow.commit()
    clock.now = at(4)
    await sched.sweep()
    assert len(inbox.messages) == 2


async def test_overdue_answers_escalate_to_the_unit_above_once_a_day(
    db: Database, units: None
) -> None:
    await staff(db, "ward-officer", "officer", "hcm-ben-thanh")
    await staff(db, "city-officer", "officer", "hcm")
    await staff(db, "admin", "admin", None)
    late = await submit(db, answer_due_at=DUE_FRIDAY)
    clock, inbox = FrozenClock(at(4, 23, 59)), Inbox()
    sched = scheduler(db, clock, inbox)
    await sched.sweep()  # Friday evening: due today, reminded (08:00), not overdue
    assert not [key for key in await keys(db) if key.startswith("answers-overdue:")]
    assert sorted(chat for chat, _ in inbox.messages) == ["city-officer", "ward-officer"]
    inbox.messages.clear()
    # Saturday and Sunday are days off; Monday 7 December at 08:00 it is overdue.
    clock.now = at(6, 12)
    await sched.sweep()
    assert inbox.messages == []
    clock.now = at(7)
    await sched.sweep()
    await sched.sweep()
    overdue = sorted(key for key in await keys(db) if key.startswith("answers-overdue:"))
    # The ward's overdue item goes to the city; the city's (the same item) to the admin.
    assert overdue == [
        "answers-overdue:2026-12-07:hcm-ben-thanh:telegram:city-officer",
        "answers-overdue:2026-12-07:hcm:telegram:admin",
    ]
    sent = dict(inbox.messages)
    assert len(sent) == len(inbox.messages) == 2
    assert sent["city-officer"] == "\n".join(
        [
            texts.ANSWERS_OVERDUE_HEADER.format(unit=WARD, count=1),
            texts.ANSWERS_ITEM.format(code=late, due="04/12/2026"),
        ]
    )
    assert sent["admin"].startswith(texts.ANSWERS_OVERDUE_HEADER.format(unit=CITY, count=1))
    # Tuesday: one escalation each again.
    clock.now = at(8)
    await sched.sweep()
    assert len(inbox.messages) == 4

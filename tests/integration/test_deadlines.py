"""Reporting deadlines on SQLite and PostgreSQL: YAML load, reminders and overdue notices
through the scheduler's outbox (frozen clocks), and `/hanchot`, `/xong` in chat.

The shipped "bao-cao-thang" applies to the three Front committees of the shipped units
(hcm, its wards hcm-ben-thanh and hcm-sai-gon). December 2026: due Tuesday 15th, reminders on
8, 11 and 15 December at 08:00 Vietnam time, the overdue notice on Wednesday 16th.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import units_cli
from bot.deadlines import (
    DEFAULT_DEADLINES_FILE,
    DeadlineReminderPlanner,
    read_deadlines_file,
    store_deadlines,
)
from bot.nlp_cli import InputError
from bot.scheduler import Scheduler
from config import texts
from handlers import roles
from handlers.calendar import WorkingCalendar
from handlers.intake import Engine
from nlp.analyzer import Analysis
from nlp.locality import LocalityIndex
from storage import models
from storage.db import Database
from tests.conftest import FrozenClock
from tests.dialogue import Resident

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
LOADED_AT = datetime(2026, 11, 21, 2, 30, tzinfo=UTC)


def local(day: int, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=VIETNAM)


class Inbox:
    """A channel sender recording (chat, text)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    async def __call__(self, chat: str, text: str) -> None:
        self.messages.append((chat, text))

    def take(self) -> list[tuple[str, str]]:
        taken, self.messages = sorted(self.messages), []
        return taken


class NoAnalyzer:
    """Officers never submit here."""

    def analyse(self, text: str, *, declared_kind: str | None = None) -> Analysis:
        raise AssertionError("no submission expected")


@pytest.fixture
async def loaded(db: Database) -> None:
    """The shipped units and deadlines."""
    await units_cli.store_units(db, units_cli.read_units_file(units_cli.DEFAULT_UNITS_FILE))
    await store_deadlines(db, read_deadlines_file(DEFAULT_DEADLINES_FILE), LOADED_AT)


async def add_person(db: Database, external_id: str, role: str, unit: str | None) -> None:
    async with db.unit_of_work() as uow:
        person = await uow.people.add(
            pseudonym=f"P-{external_id}", channel="telegram", external_id=external_id,
            consent_version="1", at=LOADED_AT,
        )  # fmt: skip
        if role != "resident":
            await uow.people.set_role(person.id, role=role, unit_code=unit, topics=[])
        await uow.commit()


async def mark_done(db: Database, unit: str, period: str) -> None:
    async with db.unit_of_work() as uow:
        (deadline,) = await uow.deadlines.list_all()
        assert await uow.deadlines.mark_done(deadline.id, unit, period, None, LOADED_AT)
        await uow.commit()


def scheduler(db: Database, clock: FrozenClock, inbox: Inbox) -> Scheduler:
    planner = DeadlineReminderPlanner(db, WorkingCalendar(), VIETNAM)
    return Scheduler(db, clock=clock, planners=[planner], senders={"telegram": inbox})


# --- loading -----------------------------------------------------------------------------------


async def test_the_shipped_file_loads_the_monthly_report_only(db: Database, loaded: None) -> None:
    async with db.unit_of_work() as uow:
        (deadline,) = await uow.deadlines.list_all()
    assert (deadline.code, deadline.title, deadline.recurrence) == (
        "bao-cao-thang", "Báo cáo tháng", "monthly",
    )  # fmt: skip
    assert (deadline.day_of_month, deadline.unit_kinds, deadline.offsets) == (
        15,
        ("mttq",),
        (5, 2, 0),
    )
    # Loading again updates in place: same id, no duplicate.
    await store_deadlines(db, read_deadlines_file(DEFAULT_DEADLINES_FILE), LOADED_AT)
    async with db.unit_of_work() as uow:
        assert [d.id for d in await uow.deadlines.list_all()] == [deadline.id]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{code: q, title: Q, date: 2026-12-22, units: [ghost]}",
         "Mục 5, hạn «q»: đơn vị «ghost» không tồn tại. Chưa lưu hạn nào."),
        ("{code: q, title: Q, day: 40, kinds: [mttq]}",
         "Mục 5, hạn «q»: ngày trong tháng «40» không hợp lệ (từ 1 đến 31). Chưa lưu hạn nào."),
        ("{code: q, title: Q, date: 2024-12-22, kinds: [mttq]}",
         "Mục 5, hạn «q»: ngày 22/12/2024 đã qua. Chưa lưu hạn nào."),
    ],
)  # fmt: skip
async def test_a_bad_deadlines_file_stores_nothing(
    db: Database, tmp_path: Path, entry: str, message: str
) -> None:
    await units_cli.store_units(db, units_cli.read_units_file(units_cli.DEFAULT_UNITS_FILE))
    path = tmp_path / "deadlines.yaml"
    path.write_text(
        "deadlines:\n"
        "  - {code: good, title: Good, day: 10, kinds: [mttq]}\n"
        "  # a comment\n"
        "\n"
        f"  - {entry}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as raised:
        await store_deadlines(db, read_deadlines_file(path), LOADED_AT)
    assert str(raised.value) == message
    async with db.unit_of_work() as uow:
        assert await uow.deadlines.list_all() == []


async def test_a_file_without_a_deadlines_list_is_refused(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("units: []\n", encoding="utf-8")
    with pytest.raises(InputError, match="deadlines"):
        read_deadlines_file(path)


# --- reminders ---------------------------------------------------------------------------------


async def test_reminders_come_on_their_days_once_and_stop_after_done(
    db: Database, loaded: None
) -> None:
    await add_person(db, "ward", "officer", "hcm-ben-thanh")
    await add_person(db, "saigon", "officer", "hcm-sai-gon")
    await add_person(db, "city", "officer", "hcm")
    await add_person(db, "union", "officer", "hcm-cong-doan")  # not an mttq unit
    await add_person(db, "mod", "moderator", "hcm-ben-thanh")  # officers only
    await add_person(db, "someone", "resident", None)
    clock, inbox = FrozenClock(local(8, 7, 59)), Inbox()
    first = scheduler(db, clock, inbox)
    assert (await first.sweep())["sent"] == 0  # a minute early: nothing
    clock.now = local(8)
    assert (await first.sweep())["sent"] == 3
    sent = inbox.take()
    assert [chat for chat, _ in sent] == ["city", "saigon", "ward"]
    ward_text = dict(sent)["ward"]
    assert "Báo cáo tháng" in ward_text and "15/12/2026" in ward_text
    assert "còn 5 ngày làm việc" in ward_text and "/xong 1" in ward_text
    # Sweeps every minute, a second scheduler (a restart): nothing again.
    clock.advance(minutes=1)
    assert (await first.sweep())["sent"] == 0
    assert (await scheduler(db, clock, inbox).sweep())["sent"] == 0
    assert inbox.take() == []

    clock.now = local(11)
    assert (await first.sweep())["sent"] == 3
    assert "còn 2 ngày làm việc" in dict(inbox.take())["ward"]
    await mark_done(db, "hcm-ben-thanh", "2026-12")
    clock.now = local(15)
    await first.sweep()
    due_day = inbox.take()
    assert [chat for chat, _ in due_day] == ["city", "saigon"]
    assert texts.DEADLINE_TODAY in due_day[0][1]
    # The day after: the unit above hears of Sài Gòn only; Bến Thành is done, hcm has no parent.
    clock.now = local(16)
    await first.sweep()
    ((chat, text),) = inbox.take()
    assert chat == "city" and "Phường Sài Gòn" in text and "12/2026" in text
    assert (await scheduler(db, clock, inbox).sweep())["sent"] == 0
    async with db.engine.connect() as conn:
        keys = set(await conn.scalars(select(models.OutboxMessage.key)))
    assert "deadline:1:hcm-ben-thanh:2026-12:5:telegram:ward" in keys
    assert "overdue:1:hcm-sai-gon:2026-12:telegram:city" in keys
    assert len(keys) == 3 + 3 + 2 + 1


async def test_a_reminder_missed_during_downtime_is_caught_up(db: Database, loaded: None) -> None:
    await add_person(db, "ward", "officer", "hcm-ben-thanh")
    inbox = Inbox()
    assert (await scheduler(db, FrozenClock(local(8, 20)), inbox).sweep())["sent"] == 1
    assert (await scheduler(db, FrozenClock(local(9, 9)), inbox).sweep())["sent"] == 0


# --- chat --------------------------------------------------------------------------------------


@pytest.fixture
def chat(db: Database, localities: LocalityIndex, clock: FrozenClock, loaded: None) -> Engine:
    """An engine whose clock says 21/11/2026 09:30: November's report (due 16/11) is late."""
    return Engine(db.unit_of_work, localities, clock, VIETNAM, NoAnalyzer())


async def person(db: Database, engine: Engine, name: str, role: str, unit: str | None) -> Resident:
    """A consented person given a role and unit directly."""
    resident = Resident(engine, name)
    await resident.act(("cmd", "start"))
    await resident.act(("press", "consent:yes"))
    if role != "resident":
        async with db.unit_of_work() as uow:
            record = await uow.people.get_by_channel("test", name)
            assert record is not None
            await uow.people.set_role(record.id, role=role, unit_code=unit, topics=[])
            await uow.commit()
    return resident


async def test_hanchot_and_xong_under_every_role(chat: Engine, db: Database) -> None:
    people = {"nobody": Resident(chat, "no-consent")}
    for role in roles.ROLES:
        people[role] = await person(db, chat, role, role, "hcm-ben-thanh")
    for role, someone in people.items():
        for command, args in (("hanchot", ""), ("xong", "1")):
            (reply,) = await someone.act(("cmd", command, args))
            refused = reply == texts.ROLE_REFUSED.format(command=command)
            assert refused == (role in ("nobody", "resident")), (role, command, reply)


async def test_an_officer_lists_marks_done_and_is_told_twice_politely(
    chat: Engine, db: Database
) -> None:
    ward = await person(db, chat, "ward", "officer", "hcm-ben-thanh")
    (listing,) = await ward.act(("cmd", "hanchot"))
    assert listing.splitlines()[0] == texts.DEADLINES_HEADER.format(
        unit="Ủy ban MTTQ Việt Nam Phường Bến Thành"
    )
    assert "[1] bao-cao-thang — Báo cáo tháng: hạn 16/11/2026 (quá hạn 4 ngày làm việc)" in listing
    assert texts.DEADLINE_NOT_DONE_STATUS in listing
    (done,) = await ward.act(("cmd", "xong", "1"))
    assert done == texts.DEADLINE_MARKED.format(
        unit="Ủy ban MTTQ Việt Nam Phường Bến Thành", title="Báo cáo tháng",
        period="11/2026", due="16/11/2026",
    )  # fmt: skip
    (again,) = await ward.act(("cmd", "xong", "bao-cao-thang"))
    assert again.startswith("Ủy ban MTTQ Việt Nam Phường Bến Thành đã báo hoàn thành")
    assert texts.DEADLINE_DONE_STATUS in (await ward.act(("cmd", "hanchot")))[0]
    assert await ward.act(("cmd", "xong", "99")) == [texts.DEADLINE_UNKNOWN.format(id="99")]
    assert await ward.act(("cmd", "xong")) == [texts.DEADLINE_XONG_USAGE]
    async with db.unit_of_work() as uow:
        rows = (
            await uow.session.execute(
                select(models.DeadlineDone.unit_code, models.DeadlineDone.period)
            )
        ).all()
    assert [tuple(row) for row in rows] == [("hcm-ben-thanh", "2026-11")]
    # A member organisation is not a Front committee: the monthly report is not its own.
    union = await person(db, chat, "union", "officer", "hcm-cong-doan")
    assert (await union.act(("cmd", "xong", "1")))[0].startswith("Hạn «Báo cáo tháng» không")
    assert await union.act(("cmd", "hanchot")) == [
        texts.DEADLINES_NONE.format(unit="Liên đoàn Lao động Thành phố Hồ Chí Minh")
    ]
    lost = await person(db, chat, "lost", "officer", None)
    assert await lost.act(("cmd", "hanchot")) == [texts.ROLE_NO_UNIT]


async def test_an_admin_sees_all_units_and_adds_a_one_off(chat: Engine, db: Database) -> None:
    ward = await person(db, chat, "ward", "officer", "hcm-ben-thanh")
    await ward.act(("cmd", "xong", "1"))
    admin = await person(db, chat, "boss", "admin", None)
    (listing,) = await admin.act(("cmd", "hanchot"))
    assert texts.DEADLINES_ALL_UNITS in listing.splitlines()[0]
    assert texts.DEADLINE_UNITS_DONE.format(done=1, total=3) in listing
    (added,) = await admin.act(("cmd", "hanchot", "them 22/12/2026  Báo cáo góp ý văn kiện"))
    assert added.startswith("Đã thêm hạn [2] 20261222-bao-cao-gop-y-van-kien — Báo cáo góp ý")
    assert "mọi Ủy ban Mặt trận Tổ quốc" in added
    (added_again,) = await admin.act(("cmd", "hanchot", "them 22/12/2026 Báo cáo góp ý văn kiện"))
    assert "[3] 20261222-bao-cao-gop-y-van-kien-2" in added_again
    assert "hạn 22/12/2026" in (await ward.act(("cmd", "hanchot")))[0]
    assert await admin.act(("cmd", "hanchot", "them 01/01/2020 Cũ")) == [
        texts.DEADLINE_ADD_PAST.format(due="01/01/2020")
    ]
    assert await admin.act(("cmd", "hanchot", "them 31/02/2027 Sai")) == [texts.DEADLINE_ADD_USAGE]
    assert await admin.act(("cmd", "hanchot", "them")) == [texts.DEADLINE_ADD_USAGE]
    assert await ward.act(("cmd", "hanchot", "them 22/12/2026 X")) == [
        texts.DEADLINE_ADD_ADMIN_ONLY
    ]
    # An admin with a unit adds for that unit only.
    city_admin = await person(db, chat, "city-admin", "admin", "hcm-sai-gon")
    (own,) = await city_admin.act(("cmd", "hanchot", "them 23/12/2026 Riêng"))
    assert own.endswith("áp dụng cho hcm-sai-gon. Nhắc trước 5, 2, 0 ngày làm việc.")
    assert "Riêng" not in (await ward.act(("cmd", "hanchot")))[0]

"""Per-unit digest schedules and role-targeted deadlines, on SQLite and PostgreSQL.

Frozen clocks. 2026: Tuesday 1 December is the first working day (the monthly digest of
November), Monday 7 December the weekly one (covering 30 November – 6 December). Monday
1 January 2029 is New Year's Day: that week's digest goes out on Tuesday 2 January.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import deadlines as deadlines_cli
from bot import units_cli
from bot.nlp_cli import InputError
from bot.scheduler import (
    DigestRecipient,
    MonthlyDigestPlanner,
    Scheduler,
    WeeklyDigestPlanner,
    staff_recipients,
)
from handlers.calendar import WorkingCalendar
from handlers.deadlines import DeadlineCommands, DeadlineEntry
from storage.db import Database
from storage.records import PersonRecord
from tests.conftest import FrozenClock

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
LOADED_AT = datetime(2026, 11, 21, 2, 30, tzinfo=UTC)
ADMIN_CHAT = ("telegram", "admin-chat")
# Each unit's schedule, and the officer (external id) who belongs to it.
SCHEDULES = {
    "hcm": ("monthly", None, "o-monthly"),
    "hcm-ben-thanh": ("weekly", 0, "o-weekly"),
    "hcm-sai-gon": ("both", None, "o-both"),
    "hcm-cong-doan": ("off", None, "o-off"),
    "hcm-hoi-ccb": ("weekly", 2, "o-wednesday"),
}


class Inbox:
    """A channel sender recording (chat, text)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    async def __call__(self, chat: str, text: str) -> None:
        self.messages.append((chat, text))

    def take(self) -> list[tuple[str, str]]:
        taken, self.messages = sorted(self.messages), []
        return taken

    def chats(self) -> list[str]:
        return [chat for chat, _ in self.take()]


async def add_person(
    db: Database, external_id: str, role: str, unit: str | None = None
) -> PersonRecord:
    async with db.unit_of_work() as uow:
        person = await uow.people.add(
            pseudonym=f"P-{external_id}", channel="telegram", external_id=external_id,
            consent_version="1", at=LOADED_AT,
        )  # fmt: skip
        if role != "resident":
            person = await uow.people.set_role(person.id, role=role, unit_code=unit, topics=[])
        await uow.commit()
    return person


async def load_units(db: Database) -> None:
    """The shipped units, then the schedules above (as `units add` would store them)."""
    await units_cli.store_units(db, units_cli.read_units_file(units_cli.DEFAULT_UNITS_FILE))
    async with db.unit_of_work() as uow:
        units = {unit.code: unit for unit in await uow.units.list_all()}
    entries = []
    for code, (digest, weekday, _) in SCHEDULES.items():
        unit = units[code]
        fields = {"code": code, "name": unit.name, "kind": unit.kind, "parent": unit.parent_code}
        fields.update({"digest": digest, "digest_weekday": weekday})
        entries.append(units_cli.roles.UnitEntry(fields))
    await units_cli.store_units(db, entries)


@pytest.fixture
async def staffed(db: Database) -> None:
    """The units with their schedules, one officer each, and an admin without a unit."""
    await load_units(db)
    for code, (_, _, officer) in SCHEDULES.items():
        await add_person(db, officer, "officer", code)
    await add_person(db, "admin-no-unit", "admin")
    await add_person(db, "resident", "resident")


def scheduler(
    db: Database,
    clock: FrozenClock,
    planner: type[MonthlyDigestPlanner | WeeklyDigestPlanner],
    calendar: WorkingCalendar | None = None,
) -> tuple[Scheduler, Inbox]:
    """One digest planner over the staff and the admin chat, sending to an inbox."""

    async def recipients() -> list[DigestRecipient]:
        return await staff_recipients(db, [ADMIN_CHAT])

    inbox = Inbox()
    built = planner(db, calendar or WorkingCalendar(), VIETNAM, recipients)
    return Scheduler(db, clock=clock, planners=[built], senders={"telegram": inbox}), inbox


# --- the unit's schedule: YAML and CLI ----------------------------------------------------------


async def test_schedules_round_trip_through_yaml(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "units.yaml"
    path.write_text(
        "units:\n"
        "  - {code: tinh, name: Tỉnh, kind: mttq, locality: '79',\n"
        "     digest: both, digest_weekday: 4}\n"
        "  - {code: phuong, name: Phường, kind: mttq, parent: tinh, digest: weekly}\n"
        "  - {code: hoi, name: Hội, kind: hoi_ccb, parent: tinh, digest: off}\n"
        "  - {code: khac, name: Khác, kind: mttq, parent: tinh}\n",
        encoding="utf-8",
    )
    await units_cli.load_units(db, path, lambda _: None)
    async with db.unit_of_work() as uow:
        stored = {u.code: (u.digest, u.digest_weekday) for u in await uow.units.list_all()}
    assert stored == {
        "tinh": ("both", 4),
        "phuong": ("weekly", 0),
        "hoi": ("off", 0),
        "khac": ("monthly", 0),
    }
    said: list[str] = []
    await units_cli.list_units(db, said.append)
    lines = said[0].splitlines()
    assert lines[0].endswith("tổng hợp: hằng tháng và hằng tuần (Thứ Sáu)")
    assert any(line.strip().startswith("hoi ") and "không gửi" in line for line in lines)
    # Loading again without the fields keeps the stored schedule rather than resetting it.
    path.write_text("units:\n  - {code: tinh, name: Tỉnh mới, kind: mttq}\n", encoding="utf-8")
    await units_cli.load_units(db, path, lambda _: None)
    async with db.unit_of_work() as uow:
        unit = await uow.units.get("tinh")
    assert unit is not None and (unit.name, unit.digest, unit.digest_weekday) == (
        "Tỉnh mới",
        "both",
        4,
    )


@pytest.mark.parametrize(
    ("fields", "problem"),
    [({"digest": "daily"}, "daily"), ({"digest_weekday": 7}, "7"), ({"digest_weekday": "x"}, "x")],
)
async def test_a_bad_schedule_stores_nothing(
    db: Database, fields: dict[str, object], problem: str
) -> None:
    entry = {"code": "tinh", "name": "Tỉnh", "kind": "mttq", **fields}
    with pytest.raises(InputError, match=problem):
        await units_cli.store_units(db, [units_cli.roles.UnitEntry(entry)])
    async with db.unit_of_work() as uow:
        assert await uow.units.list_all() == []


async def test_units_add_sets_the_schedule(db: Database) -> None:
    parser = argparse.ArgumentParser()
    units_cli.add_parsers(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["units", "add", "tinh", "--name", "Tỉnh", "--kind", "mttq", "--digest", "weekly",
         "--digest-weekday", "3"]
    )  # fmt: skip
    await units_cli.add_unit(db, args, lambda _: None)
    async with db.unit_of_work() as uow:
        unit = await uow.units.get("tinh")
    assert unit is not None and (unit.digest, unit.digest_weekday) == ("weekly", 3)


# --- weekly and monthly digests by schedule ----------------------------------------------------

MONDAY = datetime(2026, 12, 7, 8, tzinfo=VIETNAM)


async def test_the_weekly_digest_goes_to_weekly_units_on_monday_at_eight(
    db: Database, staffed: None
) -> None:
    clock = FrozenClock(MONDAY - timedelta(minutes=1))
    weekly, inbox = scheduler(db, clock, WeeklyDigestPlanner)
    assert (await weekly.sweep())["sent"] == 0
    clock.advance(minutes=1)
    assert (await weekly.sweep())["sent"] == 2
    sent = inbox.take()
    # Weekly and both, never monthly-only, off, the admin without a unit or the admin chat.
    assert [chat for chat, _ in sent] == ["o-both", "o-weekly"]
    assert all("30/11/2026–06/12/2026" in text for _, text in sent)
    # Later sweeps, and a restarted scheduler, send no second copy.
    for _ in range(3):
        clock.advance(minutes=1)
        assert (await weekly.sweep())["queued"] == 0
    again, other = scheduler(db, clock, WeeklyDigestPlanner)
    assert (await again.sweep())["queued"] == 0
    assert inbox.take() == [] and other.take() == []
    # The unit that chose Wednesday gets its digest then, covering the 7 days before.
    clock.now = datetime(2026, 12, 9, 8, tzinfo=VIETNAM)
    assert (await weekly.sweep())["sent"] == 1
    ((chat, text),) = inbox.take()
    assert chat == "o-wednesday" and "02/12/2026–08/12/2026" in text
    # Next Monday: the next week's digests.
    clock.now = MONDAY + timedelta(days=7)
    await weekly.sweep()
    assert inbox.chats() == ["o-both", "o-weekly"]


async def test_a_monday_holiday_moves_the_weekly_digest_to_tuesday(
    db: Database, staffed: None
) -> None:
    new_year = datetime(2029, 1, 1, 8, tzinfo=VIETNAM)  # Monday, New Year's Day
    clock = FrozenClock(new_year)
    weekly, inbox = scheduler(db, clock, WeeklyDigestPlanner)
    assert (await weekly.sweep())["queued"] == 0
    clock.advance(days=1, minutes=-1)
    assert (await weekly.sweep())["queued"] == 0
    clock.advance(minutes=1)
    assert (await weekly.sweep())["sent"] == 2
    sent = inbox.take()
    assert [chat for chat, _ in sent] == ["o-both", "o-weekly"]
    assert all("25/12/2028–31/12/2028" in text for _, text in sent)


async def test_a_configured_day_off_moves_it_as_well(db: Database, staffed: None) -> None:
    calendar = WorkingCalendar({MONDAY.date(): "Nghỉ bù"})
    clock = FrozenClock(MONDAY)
    weekly, inbox = scheduler(db, clock, WeeklyDigestPlanner, calendar)
    assert (await weekly.sweep())["queued"] == 0
    clock.advance(days=1)
    assert (await weekly.sweep())["sent"] == 2
    assert inbox.chats() == ["o-both", "o-weekly"]


async def test_the_monthly_digest_skips_weekly_only_and_off_units(
    db: Database, staffed: None
) -> None:
    clock = FrozenClock(datetime(2026, 12, 1, 8, tzinfo=VIETNAM))
    monthly, inbox = scheduler(db, clock, MonthlyDigestPlanner)
    assert (await monthly.sweep())["sent"] == 4
    assert inbox.chats() == ["admin-chat", "admin-no-unit", "o-both", "o-monthly"]
    clock.advance(minutes=5)
    assert (await monthly.sweep())["queued"] == 0


async def test_recipients_carry_their_units_schedule(db: Database, staffed: None) -> None:
    found = {
        r.chat_id: (r.digest, r.digest_weekday) for r in await staff_recipients(db, [ADMIN_CHAT])
    }
    assert found == {
        "o-monthly": ("monthly", 0),
        "o-weekly": ("weekly", 0),
        "o-both": ("both", 0),
        "o-off": ("off", 0),
        "o-wednesday": ("weekly", 2),
        "admin-no-unit": ("monthly", 0),
        "admin-chat": ("monthly", 0),
    }


# --- deadlines for roles ------------------------------------------------------------------------


def reminders(db: Database, clock: FrozenClock) -> tuple[Scheduler, Inbox]:
    inbox = Inbox()
    planner = deadlines_cli.DeadlineReminderPlanner(db, WorkingCalendar(), VIETNAM)
    return Scheduler(db, clock=clock, planners=[planner], senders={"telegram": inbox}), inbox


async def test_a_role_deadline_reminds_the_role_without_a_unit(db: Database) -> None:
    await load_units(db)
    moderator = await add_person(db, "mod", "moderator")
    await add_person(db, "mod-ward", "moderator", "hcm-ben-thanh")
    officer = await add_person(db, "officer", "officer", "hcm")
    await add_person(db, "resident", "resident")
    parser = argparse.ArgumentParser()
    deadlines_cli.add_parsers(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["deadlines", "add", "kiem-duyet", "--title", "Rà soát kiểm duyệt", "--monthly", "15",
         "--roles", "moderator"]
    )  # fmt: skip
    await deadlines_cli.add_deadline(db, args, lambda _: None, LOADED_AT)
    async with db.unit_of_work() as uow:
        (deadline,) = await uow.deadlines.list_all()
    assert (deadline.roles, deadline.unit_codes, deadline.unit_kinds) == (("moderator",), (), ())
    assert "kiểm duyệt viên" in deadlines_cli.deadline_line(deadline)

    # December 2026: due Tuesday 15th, reminders on the 8th, 11th and 15th at 08:00.
    clock = FrozenClock(datetime(2026, 12, 8, 8, tzinfo=VIETNAM))
    sweeper, inbox = reminders(db, clock)
    assert (await sweeper.sweep())["sent"] == 2
    sent = inbox.take()
    assert [chat for chat, _ in sent] == ["mod", "mod-ward"]  # not the officer, not the resident
    assert "Rà soát kiểm duyệt" in sent[0][1]
    assert (await sweeper.sweep())["queued"] == 0

    # The moderator without a unit marks it done for themself; the other is still reminded.
    commands = DeadlineCommands(VIETNAM, WorkingCalendar())
    now = datetime(2026, 12, 9, 10, tzinfo=VIETNAM)
    async with db.unit_of_work() as uow:
        listing = await commands.run(uow, moderator, "hanchot", "", now)
        answer = await commands.run(uow, moderator, "xong", str(deadline.id), now)
        again = await commands.run(uow, moderator, "xong", str(deadline.id), now)
        others = await commands.run(uow, officer, "hanchot", "", now)
        await uow.commit()
    assert "Rà soát kiểm duyệt" in listing
    assert answer.startswith("Đã ghi nhận: Bạn") and again.startswith("Bạn đã báo")
    assert "Rà soát kiểm duyệt" not in others
    async with db.unit_of_work() as uow:
        assert await uow.deadlines.done_keys([deadline.id]) == {
            (deadline.id, f"@{moderator.id}", "2026-12")
        }
        done_listing = await commands.run(uow, moderator, "hanchot", "", now)
    assert "Rà soát kiểm duyệt" in done_listing

    clock.now = datetime(2026, 12, 11, 8, tzinfo=VIETNAM)
    assert (await sweeper.sweep())["sent"] == 1
    assert inbox.chats() == ["mod-ward"]
    # Overdue: the ward moderator's unit above (hcm) hears it; nobody above a unitless one.
    clock.now = datetime(2026, 12, 16, 8, tzinfo=VIETNAM)
    await sweeper.sweep()
    ((chat, text),) = inbox.take()
    assert chat == "officer" and "Phường Bến Thành" in text


async def test_a_role_deadline_from_yaml_and_a_bad_role(db: Database) -> None:
    await load_units(db)
    entry = {"code": "tong-hop", "title": "Tổng hợp", "day": 15, "roles": ["moderator", "admin"]}
    (stored,) = await deadlines_cli.store_deadlines(db, [DeadlineEntry(entry)], LOADED_AT)
    assert stored.roles == ("moderator", "admin")
    bad = {**entry, "code": "khac", "roles": ["resident"]}
    with pytest.raises(InputError, match="resident"):
        await deadlines_cli.store_deadlines(db, [DeadlineEntry(bad)], LOADED_AT)

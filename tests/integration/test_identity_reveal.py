"""The whistle-blower's identity (`/nguoigui`) and designated officers (invites), on SQLite and
PostgreSQL, through the real engine: who may see what, and exactly one audit row per attempt."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot import units_cli
from config import restricted, texts
from config.settings import Settings
from handlers.intake import Engine
from storage import models
from storage.db import Database
from tests.conftest import FrozenClock
from tests.dialogue import Resident
from tests.integration.test_answers import submit
from tests.integration.test_roles_chat import (
    CODE,
    accepted,
    audit,
    consented,
    make_invite,
    person_of,
)

DENUNCIATION = "Tố cáo cán bộ địa chính phường nhận tiền của người dân."
REASON = "Xác minh nội dung tố cáo theo Luật Tố cáo 2018"
MIN = restricted.REVEAL_REASON_MIN_CHARS


async def staff(
    db: Database,
    engine: Engine,
    external_id: str,
    role: str,
    unit: str | None = "hcm-ben-thanh",
    designated: bool = False,
) -> Resident:
    """A consented person given a role directly, as an invite would."""
    person = await consented(engine, external_id)
    record = await person_of(db, person)
    assert record is not None
    async with db.unit_of_work() as uow:
        await uow.people.set_role(
            record.id, role=role, unit_code=unit, topics=[], designated=designated
        )
        await uow.commit()
    return person


def revealed(code: str) -> str:
    return restricted.REVEAL_RESULT.format(
        code=code, pseudonym="ND-zalo-whistle-1", channel="zalo_bot", external_id="whistle-1"
    )


# Each row: who asks (role, unit, designated), what they type after the code, the answer, and
# the one audit row it writes: (action, refusal or None).
CASES = [
    (("officer", "hcm-ben-thanh", True), REASON, "revealed", ("identity.revealed", None)),
    (("admin", None, False), REASON, "revealed", ("identity.revealed", None)),
    (("officer", "hcm", True), REASON, "revealed", ("identity.revealed", None)),  # the city
    (("officer", "hcm-ben-thanh", True), "", "reason", ("identity.refused", "no_reason")),
    (("officer", "hcm-ben-thanh", True), "xem thử", "reason", ("identity.refused", "no_reason")),
    (
        ("officer", "hcm-ben-thanh", False),
        REASON,
        "refused",
        ("identity.refused", "not_designated"),
    ),
    (("moderator", "hcm", False), REASON, "refused", ("identity.refused", "not_designated")),
    (("officer", "hcm-sai-gon", True), REASON, "not_found", ("identity.refused", "not_found")),
]


@pytest.mark.parametrize(("asker", "typed", "answer", "entry"), CASES)
async def test_nguoigui_answers_and_audits_every_attempt_once(
    officers: Engine,
    db: Database,
    clock: FrozenClock,
    asker: tuple[str, str | None, bool],
    typed: str,
    answer: str,
    entry: tuple[str, str | None],
) -> None:
    code = await submit(
        db, kind="to_cao", text=DENUNCIATION, channel="zalo_bot", external_id="whistle-1"
    )
    role, unit, designated = asker
    person = await staff(db, officers, "asker", role, unit, designated)
    before = len(await audit(db))
    expected = {
        "revealed": revealed(code),
        "reason": restricted.REVEAL_REASON_REQUIRED.format(code=code, min_chars=MIN),
        "refused": restricted.REVEAL_REFUSED,
        "not_found": texts.ROLE_VIEW_NOT_FOUND.format(code=code),
    }[answer]
    assert await person.act(("cmd", "nguoigui", f"{code} {typed}".strip())) == [expected]
    new = (await audit(db))[before:]
    assert len(new) == 1, new
    ((actor, action, subject, details),) = new
    asked = await person_of(db, person)
    assert asked is not None
    assert (actor, action, subject) == (asked.pseudonym, entry[0], code)
    assert details.get("refusal") == entry[1]
    assert details["reason"] == typed
    # The same update delivered again neither answers nor audits twice.
    assert await person.redeliver() == []
    assert len(await audit(db)) == before + 1


async def test_nguoigui_usage_unknown_codes_erased_senders_and_residents(
    officers: Engine, db: Database
) -> None:
    code = await submit(db, kind="to_cao", text=DENUNCIATION, external_id="whistle-2")
    officer = await staff(db, officers, "designated", "officer", designated=True)
    usage = restricted.REVEAL_USAGE.format(min_chars=MIN)
    assert await officer.act(("cmd", "nguoigui")) == [usage]
    assert await officer.act(("cmd", "nguoigui", f"YK-ABCDEF {REASON}")) == [
        texts.ROLE_VIEW_NOT_FOUND.format(code="YK-ABCDEF")
    ]
    # A sender who erased their data: nothing left to show, and the request is still audited.
    async with db.unit_of_work() as uow:
        author = await uow.people.get_by_channel("telegram", "whistle-2")
        assert author is not None
        await uow.submissions.anonymise_person(author.id, "[đã xóa]", datetime.now(UTC))
        await uow.people.delete(author.id)
        await uow.commit()
    assert await officer.act(("cmd", "nguoigui", f"{code} {REASON}")) == [
        restricted.REVEAL_ERASED.format(code=code)
    ]
    resident = await consented(officers, "curious")
    assert await resident.act(("cmd", "nguoigui", f"{code} {REASON}")) == [
        texts.ROLE_REFUSED.format(command="nguoigui")
    ]
    entries = [(action, subject, details) for _, action, subject, details in await audit(db)]
    identity = [entry for entry in entries if entry[0].startswith("identity.")]
    assert identity == [
        ("identity.refused", None, {"refusal": "usage", "reason": ""}),
        ("identity.refused", "YK-ABCDEF", {"refusal": "not_found", "reason": REASON}),
        ("identity.revealed", code, {"reason": REASON, "erased": True}),
    ]


# --- designated officers by invite --------------------------------------------------------------


async def designated_invite(db: Database, clock: FrozenClock, role: str = "officer") -> str:
    """`invite create --designated` as the CLI runs it; returns the short code."""
    printed: list[str] = []
    args = argparse.Namespace(
        role=role, unit="hcm-ben-thanh", topics="", expires="7d", designated=True
    )
    settings = Settings(_env_file=None, TELEGRAM_BOT_USERNAME="bot")  # type: ignore[call-arg]
    await units_cli.create_invite(db, args, settings, printed.append, clock())
    (text,) = printed
    assert restricted.INVITE_CREATED_DESIGNATED in text
    found = CODE.search(text)
    assert found, text
    return found.group(1)


async def test_a_designated_invite_makes_a_designated_officer_who_reads_restricted_items(
    officers: Engine, db: Database, clock: FrozenClock
) -> None:
    code = await submit(db, kind="to_cao", text=DENUNCIATION)
    officer = await consented(officers, "new-officer")
    (before,) = await officer.act(("cmd", "thamgia", await designated_invite(db, clock)))
    assert before == accepted() + "\n" + restricted.INVITE_DESIGNATED
    person = await person_of(db, officer)
    assert person is not None and (person.role, person.designated) == ("officer", True)
    (shown,) = await officer.act(("cmd", "xem", code))
    assert "nhận tiền" in shown and texts.DIGEST_HIDDEN_TEXT not in shown
    redeemed = [row for row in await audit(db) if row[1] == "invite.redeemed"]
    assert [row[3]["designated"] for row in redeemed] == [True]
    # An ordinary invite does not designate, and says nothing about it.
    plain = await consented(officers, "plain-officer")
    _, short = await make_invite(db, clock)
    assert await plain.act(("cmd", "thamgia", short)) == [accepted()]
    (hidden,) = await plain.act(("cmd", "xem", code))
    assert "nhận tiền" not in hidden and texts.DIGEST_HIDDEN_TEXT in hidden


@pytest.mark.parametrize("role", ["moderator", "admin"])
async def test_only_officers_can_be_designated(db: Database, clock: FrozenClock, role: str) -> None:
    await units_cli.store_units(db, units_cli.read_units_file(units_cli.DEFAULT_UNITS_FILE))
    with pytest.raises(units_cli.InputError) as raised:
        await designated_invite(db, clock, role=role)
    assert str(raised.value) == restricted.INVITE_DESIGNATED_OFFICERS_ONLY
    async with db.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(models.Invite))).scalar() == 0
    assert [row for row in await audit(db) if row[1] == "invite.created"] == []

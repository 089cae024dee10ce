"""Roles in the conversation, on SQLite and PostgreSQL: units, invites, the bootstrap admin,
the officer commands' gate, and `/baocao`, `/tuan`, `/xem` within an officer's scope."""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import units_cli
from bot.digests import ChatDigests
from config import reports, taxonomy, texts
from config.settings import Settings
from handlers import roles
from handlers.codes import new_reference_code
from handlers.digest import Period
from handlers.intake import Engine
from nlp.locality import LocalityIndex
from storage import models
from storage.db import Database
from storage.records import NewSubmission, PersonRecord
from tests.conftest import FrozenClock
from tests.dialogue import NOTICE, NoAnalyzer, Resident

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
BOT = "ykien_test_bot"
BOSS = "boss-1"
BEN_THANH_NAME = "Ủy ban MTTQ Việt Nam Phường Bến Thành"
LINK = re.compile(rf"https://t\.me/{BOT}\?start=([A-Za-z0-9_-]+)")
CODE = re.compile(r"/thamgia ([2-9A-HJKMNP-Z]{8})")


@pytest.fixture
def officers(db: Database, localities: LocalityIndex, clock: FrozenClock, units: None) -> Engine:
    """An engine with chat digests and `test:boss-1` as the bootstrap admin."""
    return Engine(
        db.unit_of_work,
        localities,
        clock,
        VIETNAM,
        NoAnalyzer(),
        digests=ChatDigests(db, VIETNAM, clock),
        bootstrap_admin=f"test:{BOSS}",
    )


async def make_invite(
    db: Database,
    clock: FrozenClock,
    *,
    role: str = "officer",
    unit: str = "hcm-ben-thanh",
    topics: str = "",
    expires: str = "7d",
) -> tuple[str, str]:
    """Create an invite as the CLI does; returns its token and its short code."""
    printed: list[str] = []
    args = argparse.Namespace(role=role, unit=unit, topics=topics, expires=expires)
    settings = Settings(_env_file=None, TELEGRAM_BOT_USERNAME=BOT)  # type: ignore[call-arg]
    await units_cli.create_invite(db, args, settings, printed.append, clock())
    (text,) = printed
    link, code = LINK.search(text), CODE.search(text)
    assert link and code, text
    return link.group(1), code.group(1)


async def consented(engine: Engine, external_id: str, channel: str = "test") -> Resident:
    """A person who accepted the privacy notice."""
    person = Resident(engine, external_id, channel)
    await person.act(("cmd", "start"))
    assert await person.act(("press", "consent:yes")) == [texts.CHOOSE_KIND]
    return person


async def person_of(db: Database, resident: Resident) -> PersonRecord | None:
    async with db.unit_of_work() as uow:
        return await uow.people.get_by_channel(resident.user.channel, resident.user.external_id)


async def audit(db: Database) -> list[tuple[str, str, str | None, dict[str, object]]]:
    """(actor, action, subject, details) of every audit entry, oldest first."""
    async with db.unit_of_work() as uow:
        rows = await uow.session.scalars(select(models.AuditEntry).order_by(models.AuditEntry.id))
        return [(row.actor, row.action, row.subject, row.details) for row in rows]


def accepted(role: str = "cán bộ", unit: str = BEN_THANH_NAME, topics: str = "") -> str:
    return texts.INVITE_ACCEPTED.format(role=role, unit=unit, topics=topics)


# --- units -------------------------------------------------------------------------------------


async def unit_codes(db: Database) -> list[str]:
    async with db.unit_of_work() as uow:
        return [unit.code for unit in await uow.units.list_all()]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "units:\n"
            "  - {code: a, name: A, kind: mttq, locality: '79'}\n"
            "  - {code: b, name: B, kind: mttq, parent: c}\n"
            "  - {code: c, name: C, kind: mttq, parent: b}\n",
            "Dòng 3, đơn vị «b»: cấp trên tạo thành vòng lặp: b → c → b. Chưa lưu đơn vị nào.",
        ),
        (
            "units:\n"
            "  - {code: a, name: A, kind: mttq, locality: '79'}\n"
            "  - {code: b, name: B, kind: mttq, parent: ghost}\n",
            "Dòng 3, đơn vị «b»: đơn vị cấp trên «ghost» không tồn tại. Chưa lưu đơn vị nào.",
        ),
    ],
)
async def test_a_bad_units_file_stores_nothing(
    db: Database, tmp_path: Path, body: str, message: str
) -> None:
    path = tmp_path / "units.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(units_cli.InputError) as raised:
        await units_cli.store_units(db, units_cli.read_units_file(path))
    assert str(raised.value) == message
    assert await unit_codes(db) == []


async def test_loading_again_updates_and_keeps_the_rest(
    db: Database, tmp_path: Path, units: None
) -> None:
    before = await unit_codes(db)
    assert len(before) == 9
    path = tmp_path / "more.yaml"
    path.write_text(
        "units:\n"
        "  - {code: hcm-sai-gon, name: MTTQ phường Sài Gòn (mới), kind: mttq, parent: hcm,"
        " locality: '26740'}\n"
        "  - {code: sg-cong-doan, name: Công đoàn phường, kind: cong_doan, parent: hcm-sai-gon}\n",
        encoding="utf-8",
    )
    await units_cli.store_units(db, units_cli.read_units_file(path))
    assert await unit_codes(db) == sorted([*before, "sg-cong-doan"])
    async with db.unit_of_work() as uow:
        renamed = await uow.units.get("hcm-sai-gon")
        member = await uow.units.get("sg-cong-doan")
    assert renamed is not None and renamed.name == "MTTQ phường Sài Gòn (mới)"
    assert member is not None and member.locality_code == "26740"


async def test_a_unit_in_use_cannot_be_removed(
    db: Database, clock: FrozenClock, units: None
) -> None:
    said: list[str] = []
    with pytest.raises(units_cli.InputError, match="còn 8 đơn vị trực thuộc, 0 người"):
        await units_cli.remove_unit(db, "hcm", said.append)
    await make_invite(db, clock, unit="hcm-sai-gon")
    with pytest.raises(units_cli.InputError, match="1 mã mời"):
        await units_cli.remove_unit(db, "hcm-sai-gon", said.append)
    await units_cli.remove_unit(db, "hcm-doan-tn", said.append)
    assert said == [texts.UNIT_REMOVED.format(code="hcm-doan-tn")]
    assert "hcm-doan-tn" not in await unit_codes(db)


# --- invites -----------------------------------------------------------------------------------


async def test_telegram_deep_link_makes_an_officer_once(
    officers: Engine, db: Database, clock: FrozenClock
) -> None:
    token, code = await make_invite(db, clock, topics="moi_truong,dat_dai")
    officer = await consented(officers, "tg-42", channel="telegram")
    topics = texts.INVITE_TOPICS.format(
        topics=f"{taxonomy.TOPICS['moi_truong']}, {taxonomy.TOPICS['dat_dai']}"
    )
    assert await officer.act(("cmd", "start", token)) == [accepted(topics=topics)]
    person = await person_of(db, officer)
    assert person is not None
    assert (person.role, person.unit_code, person.topics) == (
        "officer",
        "hcm-ben-thanh",
        ("moi_truong", "dat_dai"),
    )
    # The same update delivered again changes nothing and says nothing.
    assert await officer.redeliver() == []
    # Single use: the link again, or its code, from anyone.
    assert await officer.act(("cmd", "start", token)) == [texts.INVITE_INVALID]
    other = await consented(officers, "tg-43", channel="telegram")
    assert await other.act(("cmd", "thamgia", code)) == [texts.INVITE_INVALID]
    assert (await person_of(db, other)).role == "resident"  # type: ignore[union-attr]

    entries = await audit(db)
    actions = [action for _, action, _, _ in entries]
    assert actions.count("invite.created") == 1 and actions.count("invite.redeemed") == 1
    logged = json.dumps(entries, ensure_ascii=False)
    assert token not in logged and code not in logged
    async with db.unit_of_work() as uow:
        stored = (await uow.session.execute(select(models.Invite.__table__))).one()
    assert stored.used_by_person_id == person.id
    assert stored.token_hash == roles.secret_hash(token)
    assert stored.code_hash == roles.secret_hash(code)


async def test_thamgia_code_works_on_any_channel_typed_loosely(
    officers: Engine, db: Database, clock: FrozenClock
) -> None:
    _, code = await make_invite(db, clock, role="moderator", unit="hcm")
    zalo = await consented(officers, "zalo-7", channel="zalo_bot")
    typed = f"{code[:4].lower()} {code[4:].lower()}"
    reply = [accepted(role="kiểm duyệt viên", unit="Ủy ban MTTQ Việt Nam Thành phố Hồ Chí Minh")]
    assert await zalo.act(("cmd", "thamgia", typed)) == reply
    assert (await person_of(db, zalo)).role == "moderator"  # type: ignore[union-attr]
    assert await zalo.act(("cmd", "thamgia")) == [texts.INVITE_USAGE]


async def test_an_invite_before_consent_waits_for_it(
    officers: Engine, db: Database, clock: FrozenClock
) -> None:
    token, _ = await make_invite(db, clock)
    newcomer = Resident(officers, "tg-new", "telegram")
    assert await newcomer.act(("cmd", "start", token)) == [texts.INVITE_CONSENT_FIRST, NOTICE]
    assert await person_of(db, newcomer) is None
    assert await newcomer.act(("press", "consent:yes")) == [accepted(), texts.CHOOSE_KIND]
    assert (await person_of(db, newcomer)).role == "officer"  # type: ignore[union-attr]
    # Declining drops a pending invite with everything else.
    _, code = await make_invite(db, clock)
    shy = Resident(officers, "tg-shy", "telegram")
    await shy.act(("cmd", "thamgia", code))
    assert await shy.act(("press", "consent:no")) == [texts.CONSENT_DECLINED]
    assert await person_of(db, shy) is None
    async with db.unit_of_work() as uow:
        pending = await uow.invites.find([roles.secret_hash(code)])
    assert pending is not None and pending.used_at is None


async def test_wrong_used_and_expired_get_the_same_polite_answer(
    officers: Engine, db: Database, clock: FrozenClock
) -> None:
    _, code = await make_invite(db, clock, expires="2d")
    person = await consented(officers, "late")
    assert await person.act(("cmd", "thamgia", "ABCD2345")) == [texts.INVITE_INVALID]
    assert await person.act(("cmd", "start", "not-a-real-token")) == [texts.INVITE_INVALID]
    clock.advance(days=2, seconds=1)
    assert await person.act(("cmd", "thamgia", code)) == [texts.INVITE_INVALID]
    assert (await person_of(db, person)).role == "resident"  # type: ignore[union-attr]
    # Just before expiry it would have worked.
    _, fresh = await make_invite(db, clock, expires="2d")
    clock.advance(days=2, seconds=-1)
    assert await person.act(("cmd", "thamgia", fresh)) == [accepted()]


# --- bootstrap admin ---------------------------------------------------------------------------


async def test_the_bootstrap_identity_is_admin_after_consent(
    officers: Engine, db: Database
) -> None:
    boss = Resident(officers, BOSS, "test")
    assert await boss.act(("cmd", "baocao")) == [texts.ROLE_REFUSED.format(command="baocao")]
    assert await person_of(db, boss) is None
    await boss.act(("cmd", "start"))
    await boss.act(("press", "consent:yes"))
    assert (await person_of(db, boss)).role == "admin"  # type: ignore[union-attr]
    reply = await boss.act(("cmd", "baocao"))
    assert reply[0].startswith(reports.CHAT_EMPTY.split("{")[0]) or "Tổng số" in reply[0]
    assert texts.DIGEST_ALL_UNITS in reply[0]
    # The same id on another channel is someone else.
    other = await consented(officers, BOSS, channel="telegram")
    assert (await person_of(db, other)).role == "resident"  # type: ignore[union-attr]
    assert [entry[1] for entry in await audit(db)].count("role.bootstrap_admin") == 1


async def test_a_person_becomes_bootstrap_admin_when_the_setting_names_them(
    db: Database, localities: LocalityIndex, clock: FrozenClock, units: None
) -> None:
    plain = Engine(db.unit_of_work, localities, clock, VIETNAM, NoAnalyzer())
    earlier = await consented(plain, "veteran")
    assert (await person_of(db, earlier)).role == "resident"  # type: ignore[union-attr]
    named = Engine(
        db.unit_of_work, localities, clock, VIETNAM, NoAnalyzer(), bootstrap_admin="test:veteran"
    )
    again = Resident(named, "veteran")
    assert await again.act(("cmd", "xem", "YK-ABCDEF")) == [
        texts.ROLE_VIEW_NOT_FOUND.format(code="YK-ABCDEF")
    ]
    assert (await person_of(db, again)).role == "admin"  # type: ignore[union-attr]


# --- officer commands --------------------------------------------------------------------------


async def with_role(
    db: Database, engine: Engine, external_id: str, role: str, unit: str | None = "hcm-ben-thanh"
) -> Resident:
    """A consented person given `role` (and a unit) directly, as an invite would."""
    person = await consented(engine, external_id)
    record = await person_of(db, person)
    assert record is not None
    async with db.unit_of_work() as uow:
        await uow.people.set_role(record.id, role=role, unit_code=unit, topics=[])
        await uow.commit()
    return person


ROLE_TABLE_ARGS = {
    "baocao": "10/2026",
    "tuan": "",
    "xem": "YK-ABCDEF",
    "tim": "ngập",
    "traloi": "YK-ABCDEF cảm ơn",
    "hanchot": "",
    "xong": "1",
    "nguoigui": "YK-ABCDEF xác minh đơn tố cáo",
    "xuly": "YK-ABCDEF",
    "dong": "YK-ABCDEF",
    "chuyen": "YK-ABCDEF",
    "khongthuoc": "YK-ABCDEF tranh chấp dân sự | Tòa án nhân dân",
    "duyet": "YK-ABCDEF",
    "hanche": "YK-ABCDEF",
    "spam": "YK-ABCDEF",
    "sua": "YK-ABCDEF linhvuc=moi_truong",
    "truc": "",
}


async def test_every_command_under_every_role(officers: Engine, db: Database) -> None:
    people = {"nobody": Resident(officers, "no-consent")}
    for role in roles.ROLES:
        people[role] = (
            await consented(officers, role)
            if role == "resident"
            else await with_role(db, officers, role, role)
        )
    assert set(ROLE_TABLE_ARGS) == set(roles.COMMANDS)
    for command, args in ROLE_TABLE_ARGS.items():
        for role, person in people.items():
            (reply,) = await person.act(("cmd", command, args))
            refused = reply == texts.ROLE_REFUSED.format(command=command)
            # "nobody" has no role at all; moderation commands refuse officers too.
            assert refused == (role not in roles.COMMANDS[command]), (command, role, reply)
            if command in roles.NOT_YET and not refused:
                assert reply == texts.ROLE_NOT_YET.format(command=command)
            if command == "xem" and not refused:
                assert reply == texts.ROLE_VIEW_NOT_FOUND.format(code="YK-ABCDEF")


async def seed(db: Database, **fields: object) -> str:
    """Store one submission (October 2026 in Bến Thành unless told); returns its code."""
    async with db.unit_of_work() as uow:
        author = await uow.people.get_by_channel("seed", "author")
        if author is None:
            author = await uow.people.add(
                pseudonym="ND-SEED",
                channel="seed",
                external_id="author",
                consent_version="v",
                at=datetime(2026, 9, 1, tzinfo=UTC),
            )
        values: dict[str, object] = {
            "code": new_reference_code(),
            "person_id": author.id,
            "kind": "phan_anh",
            "text": "Rác ùn ứ đầu hẻm, gọi tôi 0912 345 678.",
            "channel": "telegram",
            "created_at": datetime(2026, 10, 5, 3, tzinfo=UTC),
            "status": "da_tiep_nhan",
            "locality_code": "26743",
            "locality_name": "Phường Bến Thành, Thành phố Hồ Chí Minh",
            "province_code": "79",
            "topic": "moi_truong",
            "answer_due_at": datetime(2026, 10, 25, 17, tzinfo=UTC),
        }
        values.update(fields)
        stored = await uow.submissions.add(NewSubmission(**values))  # type: ignore[arg-type]
        await uow.commit()
    return stored.code


def total_line(total: int) -> str:
    return reports.CHAT_TOTAL.split("{total}")[0] + f"{total} "


async def test_baocao_is_the_digest_of_the_officers_scope_only(
    officers: Engine, db: Database, clock: FrozenClock
) -> None:
    for _ in range(2):
        await seed(db)  # Bến Thành, October
    await seed(db, topic="dat_dai")  # Bến Thành, another topic
    await seed(db, locality_code="26740", locality_name="Phường Sài Gòn")
    await seed(db, locality_code="00004", locality_name="Phường Ba Đình", province_code="01")
    await seed(db, created_at=datetime(2026, 11, 3, tzinfo=UTC))  # November
    ward = await with_role(db, officers, "ward", "officer")
    # Default: the previous month (the clock says 21/11/2026).
    (reply,) = await ward.act(("cmd", "baocao"))
    assert total_line(3) in reply and BEN_THANH_NAME in reply
    assert reply == await ChatDigests(db, VIETNAM, clock).text(
        roles.Scope(locality_codes=("26743",)), Period.month(2026, 10), BEN_THANH_NAME
    )
    (november,) = await ward.act(("cmd", "baocao", "11/2026"))
    assert total_line(1) in november
    assert await ward.act(("cmd", "baocao", "13/2026")) == [
        texts.ROLE_REPORT_BAD_PERIOD.format(period="13/2026")
    ]
    city = await with_role(db, officers, "city", "officer", unit="hcm")
    (reply,) = await city.act(("cmd", "baocao", "10/2026"))
    assert total_line(4) in reply
    farmers = await with_role(db, officers, "farmers", "officer", unit="hcm-hoi-nong-dan")
    assert total_line(4) in (await farmers.act(("cmd", "baocao", "10/2026")))[0]
    # An invite limited to a topic limits the digest.
    _, code = await make_invite(db, clock, topics="dat_dai")
    land = await consented(officers, "land")
    await land.act(("cmd", "thamgia", code))
    assert total_line(1) in (await land.act(("cmd", "baocao", "10/2026")))[0]


async def test_tuan_covers_the_last_seven_days(officers: Engine, db: Database) -> None:
    await seed(db, created_at=datetime(2026, 11, 15, 1, tzinfo=UTC))  # 6 days before the clock
    await seed(db, created_at=datetime(2026, 11, 14, 1, tzinfo=UTC))  # 7 days: outside
    ward = await with_role(db, officers, "ward", "officer")
    (reply,) = await ward.act(("cmd", "tuan"))
    assert total_line(1) in reply and "15/11/2026–21/11/2026" in reply


async def test_xem_shows_one_submission_within_scope_only(officers: Engine, db: Database) -> None:
    inside = await seed(db)
    outside = await seed(db, locality_code="26740", locality_name="Phường Sài Gòn")
    hidden = await seed(db, kind="to_cao", text="Tố cáo cán bộ phường nhận tiền.")
    ward = await with_role(db, officers, "ward", "officer")
    (reply,) = await ward.act(("cmd", "xem", inside.lower()))
    assert reply == texts.ROLE_VIEW.format(
        code=inside,
        kind=taxonomy.KINDS["phan_anh"],
        created="10:00 05/10/2026",
        topic=taxonomy.TOPICS["moi_truong"],
        locality="Phường Bến Thành, Thành phố Hồ Chí Minh",
        group=texts.ROLE_VIEW_NONE,
        status=taxonomy.STATUSES["da_tiep_nhan"],
        due="25/10/2026",
        text="Rác ùn ứ đầu hẻm, gọi tôi [SĐT].",
    )
    assert await ward.act(("cmd", "xem", outside)) == [
        texts.ROLE_VIEW_NOT_FOUND.format(code=outside)
    ]
    assert await ward.act(("cmd", "xem")) == [texts.ROLE_VIEW_USAGE]
    (sensitive,) = await ward.act(("cmd", "xem", hidden))
    assert texts.DIGEST_HIDDEN_TEXT in sensitive and "nhận tiền" not in sensitive
    moderator = await with_role(db, officers, "mod", "moderator")
    (shown,) = await moderator.act(("cmd", "xem", hidden))
    assert "nhận tiền" in shown


async def test_reports_need_the_digest_port_and_officers_need_a_unit(
    db: Database, localities: LocalityIndex, clock: FrozenClock, units: None
) -> None:
    bare = Engine(db.unit_of_work, localities, clock, VIETNAM, NoAnalyzer())
    officer = await with_role(db, bare, "o", "officer")
    assert await officer.act(("cmd", "baocao")) == [texts.ROLE_REPORT_UNAVAILABLE]
    unplaced = await with_role(db, bare, "u", "officer", unit=None)
    assert await unplaced.act(("cmd", "tuan")) == [texts.ROLE_NO_UNIT]


async def test_an_enrolled_person_can_still_erase_their_data(
    officers: Engine, db: Database, clock: FrozenClock
) -> None:
    _, code = await make_invite(db, clock)
    officer = await consented(officers, "leaving")
    assert await officer.act(("cmd", "thamgia", code)) == [accepted()]
    await officer.act(("cmd", "xoadulieu"))
    assert await officer.act(("press", "erase:yes")) == [texts.ERASED]
    assert await person_of(db, officer) is None
    async with db.unit_of_work() as uow:
        invite = await uow.invites.find([roles.secret_hash(code)])
    assert invite is not None and invite.used_at is not None and invite.used_by_person_id is None


async def test_help_lists_the_staff_commands_to_staff_only(officers: Engine, db: Database) -> None:
    resident = await consented(officers, "resident-help")
    assert await resident.act(("cmd", "trogiup")) == [texts.HELP]
    officer = await with_role(db, officers, "officer-help", "officer")
    assert await officer.act(("cmd", "trogiup")) == [texts.HELP, texts.STAFF_HELP]
    assert all(f"/{name}" in texts.STAFF_HELP for name in ROLE_TABLE_ARGS)

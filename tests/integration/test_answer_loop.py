"""The answer loop through the real engine, on SQLite and PostgreSQL: every status change stored
once, audited once and told to the resident; ratings; follow-ups; what residents and officers
see of them; erasure; satisfaction in the digest. Frozen clock: 21/11/2026."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.digests import build_digest
from config import cases as config
from config import taxonomy, texts
from handlers import cases
from handlers.digest import Period
from handlers.digest_text import digest_text
from handlers.intake import Engine
from storage import models
from storage.db import Database
from storage.digests import DigestScope
from tests.conftest import FrozenClock
from tests.dialogue import Resident
from tests.integration.test_answers import submit
from tests.integration.test_roles_chat import audit, consented, person_of, with_role
from tests.rows import count_rows

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
RESIDENT = "resident-9"
# The command that takes a case to each status, and what follows the code.
COMMAND_FOR = {
    config.IN_PROGRESS: ("xuly", ""),
    config.CLOSED: ("dong", ""),
    config.ESCALATED: ("chuyen", "Đã chuyển UBND Thành phố xem xét"),
    config.NOT_COMPETENT: ("khongthuoc", "Tranh chấp dân sự | Tòa án nhân dân khu vực 1"),
    config.ANSWERED: ("traloi", "Phường đã nạo vét cống, nước đã rút."),
}


@dataclass(frozen=True)
class Queued:
    key: str
    channel: str
    chat_id: str
    text: str
    buttons: list[Any]
    subject: str | None


async def queued(db: Database) -> list[Queued]:
    """Every outbox message, oldest first."""
    message = models.OutboxMessage
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            select(
                message.key,
                message.channel,
                message.chat_id,
                message.text,
                message.buttons,
                message.subject,
            ).order_by(message.id)
        )
        return [Queued(*row) for row in rows]


async def case_of(db: Database, code: str) -> Any:
    async with db.unit_of_work() as uow:
        found = await uow.submissions.get_by_code(code)
    assert found is not None
    return found


async def seed(db: Database, **fields: object) -> str:
    """A case of the resident `test:resident-9` in Bến Thành (their own chat is on "test")."""
    return await submit(db, channel="test", external_id=RESIDENT, **fields)


def changed_reply(code: str, status: str) -> str:
    if status == config.ANSWERED:
        return texts.ANSWER_SENT.format(code=code)
    return config.STATUS_CHANGED.format(code=code, status=taxonomy.STATUSES[status])


# --- the lifecycle ----------------------------------------------------------------------------


async def test_every_allowed_transition_is_stored_told_and_audited_once(
    officers: Engine, db: Database, clock: FrozenClock
) -> None:
    ward = await with_role(db, officers, "ward", "officer")
    officer = await person_of(db, ward)
    assert officer is not None
    pairs = sorted((a, b) for a, targets in config.TRANSITIONS.items() for b in targets)
    assert len(pairs) == 12
    for before, after in pairs:
        code = await seed(db, status=before)
        command, extra = COMMAND_FOR[after]
        audited, sent = len(await audit(db)), len(await queued(db))
        reply = await ward.act(("cmd", command, f"{code} {extra}".strip()))
        assert reply == [changed_reply(code, after)], (before, after)
        case = await case_of(db, code)
        assert (case.status, case.status_changed_at) == (after, clock()), (before, after)
        # Exactly one audit row, with the status before and after.
        (row,) = (await audit(db))[audited:]
        action = "submission.answered" if after == config.ANSWERED else "submission.status"
        assert row[:3] == (officer.pseudonym, action, code)
        assert (row[3]["before"], row[3]["after"]) == (before, after)
        # Exactly one message to the resident's own chat, quoting the code.
        (message,) = (await queued(db))[sent:]
        assert (message.channel, message.chat_id, message.subject) == ("test", RESIDENT, code)
        assert code in message.text
        if after == config.ANSWERED:
            assert message.key.startswith("answer:")
            assert message.text == texts.ANSWER_TO_RESIDENT.format(code=code, text=extra)
            assert message.buttons == [[list(b) for b in row] for row in cases.rating_buttons(code)]
            assert case.answered_at == clock()
        else:
            assert message.key == f"status:{case.id}:{after}:0"
            assert message.buttons == []
        if after == config.NOT_COMPETENT:
            assert case.status_reason == extra
            assert "Lý do: Tranh chấp dân sự\n" in message.text
            assert message.text.endswith("Bạn có thể gửi tới: Tòa án nhân dân khu vực 1")
        if after == config.ESCALATED:
            assert case.status_reason == extra and extra in message.text
    # The audit rows never hold the answer's text.
    assert all("nạo vét" not in str(row) for row in await audit(db))


@pytest.mark.parametrize(
    ("before", "command", "extra", "target"),
    [
        ("da_dong", "xuly", "", "dang_xu_ly"),
        ("da_dong", "traloi", "Trả lời thêm.", "da_tra_loi"),
        ("khong_thuoc_tham_quyen", "xuly", "", "dang_xu_ly"),
        ("khong_thuoc_tham_quyen", "chuyen", "", "chuyen_cap_tren"),
        ("da_tra_loi", "traloi", "Trả lời lần hai.", "da_tra_loi"),
        ("da_tra_loi", "khongthuoc", "Lý do | Nơi khác", "khong_thuoc_tham_quyen"),
        ("da_tiep_nhan", "dong", "", "da_dong"),
        ("dang_xu_ly", "xuly", "", "dang_xu_ly"),
        ("chuyen_cap_tren", "chuyen", "", "chuyen_cap_tren"),
    ],
)
async def test_a_forbidden_transition_names_the_status_and_stores_nothing(
    officers: Engine, db: Database, before: str, command: str, extra: str, target: str
) -> None:
    code = await seed(db, status=before)
    ward = await with_role(db, officers, "ward", "officer")
    audited = len(await audit(db))
    assert await ward.act(("cmd", command, f"{code} {extra}".strip())) == [
        config.TRANSITION_REFUSED.format(
            code=code, current=taxonomy.STATUSES[before], new=taxonomy.STATUSES[target]
        )
    ]
    case = await case_of(db, code)
    assert (case.status, case.status_changed_at, case.status_reason) == (before, None, None)
    assert len(await audit(db)) == audited
    assert await queued(db) == []
    assert await count_rows(db, "answers") == 0


async def test_status_commands_refuse_bad_input_and_store_nothing(
    officers: Engine, db: Database
) -> None:
    code = await seed(db)
    outside = await seed(db, locality_code="26740", locality_name="Phường Sài Gòn")
    denunciation = await seed(db, kind="to_cao", text="Tố cáo cán bộ phường nhận tiền.")
    ward = await with_role(db, officers, "ward", "officer")
    audited = len(await audit(db))
    long_note = "x" * (config.REASON_MAX_CHARS + 1)
    cases_ = [
        (("cmd", "xuly", ""), config.STATUS_USAGE["xuly"]),
        (("cmd", "dong", "  "), config.STATUS_USAGE["dong"]),
        (("cmd", "xuly", f"{code} đang kiểm tra"), config.STATUS_USAGE["xuly"]),
        (("cmd", "khongthuoc", code), config.STATUS_USAGE["khongthuoc"]),
        (("cmd", "khongthuoc", f"{code} tranh chấp dân sự"), config.STATUS_USAGE["khongthuoc"]),
        (("cmd", "khongthuoc", f"{code} | Tòa án"), config.STATUS_USAGE["khongthuoc"]),
        (("cmd", "khongthuoc", f"{code} Tranh chấp |  "), config.STATUS_USAGE["khongthuoc"]),
        (("cmd", "xuly", "YK-ABCDEF"), config.CASE_NOT_FOUND.format(code="YK-ABCDEF")),
        (("cmd", "xuly", "hello"), config.CASE_NOT_FOUND.format(code="hello")),
        # Another ward's case reads as missing.
        (("cmd", "xuly", outside), config.CASE_NOT_FOUND.format(code=outside)),
        (
            ("cmd", "chuyen", f"{code} {long_note}"),
            config.REASON_TOO_LONG.format(length=len(long_note), limit=config.REASON_MAX_CHARS),
        ),
        (("cmd", "xuly", denunciation), config.CASE_RESTRICTED.format(code=denunciation)),
    ]
    for action, expected in cases_:
        assert await ward.act(action) == [expected], action
    for stored in (code, outside, denunciation):
        assert (await case_of(db, stored)).status == "da_tiep_nhan"
    assert len(await audit(db)) == audited
    assert await queued(db) == []
    # Those who may read a restricted case may handle it.
    moderator = await with_role(db, officers, "mod", "moderator")
    assert await moderator.act(("cmd", "xuly", denunciation)) == [
        changed_reply(denunciation, config.IN_PROGRESS)
    ]


async def test_two_officers_closing_at_once_make_one_change(officers: Engine, db: Database) -> None:
    code = await seed(db, status=config.ANSWERED)
    ward = await with_role(db, officers, "ward", "officer")
    city = await with_role(db, officers, "city", "officer", unit="hcm")
    audited = len(await audit(db))
    replies = await asyncio.gather(ward.act(("cmd", "dong", code)), city.act(("cmd", "dong", code)))
    done = changed_reply(code, config.CLOSED)
    # The loser saw either the new status (it read after the commit) or lost the UPDATE.
    losing = {
        config.CHANGE_CONFLICT.format(code=code),
        config.TRANSITION_REFUSED.format(
            code=code,
            current=taxonomy.STATUSES[config.CLOSED],
            new=taxonomy.STATUSES[config.CLOSED],
        ),
    }
    assert sorted(r == [done] for r in replies) == [False, True], replies
    (lost,) = [r for r in replies if r != [done]]
    assert len(lost) == 1 and lost[0] in losing
    assert [row[1] for row in (await audit(db))[audited:]] == ["submission.status"]
    assert len(await queued(db)) == 1


async def test_a_stale_record_loses_and_stores_nothing(officers: Engine, db: Database) -> None:
    code = await seed(db)
    await with_role(db, officers, "ward", "officer")
    async with db.unit_of_work() as uow:
        actor = await uow.people.get_by_channel("test", "ward")
        stale = await uow.submissions.get_by_code(code)
        assert actor is not None and stale is not None
    now = datetime(2026, 11, 21, 3, tzinfo=UTC)
    async with db.unit_of_work() as uow:
        assert await cases.change_status(uow, stale, config.IN_PROGRESS, actor=actor, now=now)
        await uow.commit()
    audited = len(await audit(db))
    # A second decision taken on what was read before the first: nothing happens.
    async with db.unit_of_work() as uow:
        assert not await cases.change_status(uow, stale, config.ESCALATED, actor=actor, now=now)
        await uow.commit()
    assert (await case_of(db, code)).status == config.IN_PROGRESS
    assert len(await audit(db)) == audited
    assert len(await queued(db)) == 1
    # audit=False (the moderators' own row covers it): the change and the notice, no row.
    fresh = await case_of(db, code)
    async with db.unit_of_work() as uow:
        assert await cases.change_status(
            uow, fresh, config.ESCALATED, actor=actor, now=now, audit=False
        )
        await uow.commit()
    assert (await case_of(db, code)).status == config.ESCALATED
    assert len(await audit(db)) == audited
    assert [m.key for m in await queued(db)][-1] == f"status:{fresh.id}:{config.ESCALATED}:1"


async def test_a_reopened_case_is_told_each_time(officers: Engine, db: Database) -> None:
    code = await seed(db, status=config.ANSWERED)
    ward = await with_role(db, officers, "ward", "officer")
    for action in (
        ("cmd", "xuly", code),
        ("cmd", "traloi", f"{code} Đã xử lý lần hai."),
        ("cmd", "xuly", code),
    ):
        assert len(await ward.act(action)) == 1
    keys = [m.key for m in await queued(db)]
    case = await case_of(db, code)
    assert keys[0] == f"status:{case.id}:dang_xu_ly:0"
    assert keys[1].startswith("answer:")
    assert keys[2] == f"status:{case.id}:dang_xu_ly:1"
    assert case.status == config.IN_PROGRESS


async def test_an_erased_resident_is_not_told_and_the_officer_knows(
    officers: Engine, db: Database
) -> None:
    code = await seed(db)
    resident = Resident(officers, RESIDENT, "test")
    await resident.act(("cmd", "xoadulieu"))
    assert await resident.act(("press", "erase:yes")) == [texts.ERASED]
    ward = await with_role(db, officers, "ward", "officer")
    assert await ward.act(("cmd", "xuly", code)) == [
        config.STATUS_CHANGED_NOT_RELAYED.format(
            code=code, status=taxonomy.STATUSES[config.IN_PROGRESS]
        )
    ]
    assert (await case_of(db, code)).status == config.IN_PROGRESS
    assert await queued(db) == []
    (row,) = [r for r in await audit(db) if r[1] == "submission.status"]
    assert row[3]["relayed"] is False


async def test_answers_up_to_4000_characters_are_taken(officers: Engine, db: Database) -> None:
    code = await seed(db)
    ward = await with_role(db, officers, "ward", "officer")
    too_long = "Trả lời. " * 445  # 4005 characters
    assert await ward.act(("cmd", "traloi", f"{code} {too_long.strip()}")) == [
        texts.ANSWER_TOO_LONG.format(length=len(too_long.strip()), limit=4000)
    ]
    assert await queued(db) == []
    fits = ("Nội dung trả lời chi tiết. " * 130).strip()
    assert 3500 <= len(fits) <= 4000
    assert await ward.act(("cmd", "traloi", f"{code} {fits}")) == [
        texts.ANSWER_SENT.format(code=code)
    ]


async def test_status_shows_the_reason_to_the_resident(officers: Engine, db: Database) -> None:
    code = await seed(db)
    ward = await with_role(db, officers, "ward", "officer")
    await ward.act(("cmd", "khongthuoc", f"{code} Tranh chấp dân sự | Tòa án nhân dân khu vực 1"))
    resident = Resident(officers, RESIDENT, "test")
    case = await case_of(db, code)
    assert await resident.act(("cmd", "trangthai", code)) == [
        texts.STATUS.format(
            code=code,
            kind=taxonomy.KINDS["phan_anh"],
            created=case.created_at.astimezone(VIETNAM).strftime(texts.DATETIME_FORMAT),
            status=taxonomy.STATUSES[config.NOT_COMPETENT],
        )
        + config.STATUS_NOT_COMPETENT.format(
            reason="Tranh chấp dân sự", where="Tòa án nhân dân khu vực 1"
        )
    ]


# --- ratings ----------------------------------------------------------------------------------


async def rated_rows(db: Database) -> list[tuple[object, object]]:
    return [(r[3]["before"], r[3]["after"]) for r in await audit(db) if r[1] == "submission.rated"]


async def test_rating_only_by_the_resident_only_after_an_answer(
    officers: Engine, db: Database
) -> None:
    code = await seed(db)
    resident = Resident(officers, RESIDENT, "test")
    other = await consented(officers, "someone-else")
    ward = await with_role(db, officers, "ward", "officer")
    received = taxonomy.STATUSES[config.RECEIVED]
    assert await resident.act(("cmd", "danhgia", f"{code} 5")) == [
        config.RATE_NOT_YET.format(code=code, status=received)
    ]
    await ward.act(("cmd", "traloi", f"{code} Đã nạo vét cống."))
    for value in ("0", "6", "năm", "4.5", "-1"):
        assert await resident.act(("cmd", "danhgia", f"{code} {value}")) == [
            config.RATE_BAD_VALUE.format(value=value)
        ]
    for args in ("", code, "   "):
        assert await resident.act(("cmd", "danhgia", args)) == [config.RATE_USAGE]
    # Someone else's case, or a missing one, reads as missing (as /trangthai says it).
    not_found = texts.STATUS_NOT_FOUND.format(code=code)
    assert await other.act(("cmd", "danhgia", f"{code} 1")) == [not_found]
    assert await other.act(("press", f"rate:{code}:1")) == [not_found]
    assert await resident.act(("cmd", "danhgia", "YK-ABCDEF 5")) == [
        texts.STATUS_NOT_FOUND.format(code="YK-ABCDEF")
    ]
    assert (await case_of(db, code)).rating is None
    assert await rated_rows(db) == []
    # The button under the answer, then a change of mind typed, then the same again.
    assert await resident.act(("press", f"rate:{code}:4")) == [
        config.RATE_THANKS.format(code=code, rating=4)
    ]
    assert await resident.act(("cmd", "danhgia", f"{code.lower()} 2")) == [
        config.RATE_CHANGED.format(code=code, before=4, rating=2)
    ]
    assert await resident.act(("cmd", "danhgia", f"{code} 2")) == [
        config.RATE_SAME.format(code=code, rating=2)
    ]
    assert await rated_rows(db) == [(None, 4), (4, 2)]
    case = await case_of(db, code)
    assert (case.rating, case.rated_at is not None) == (2, True)
    # Closed: still ratable. Reopened: the old button is stale and says why.
    await ward.act(("cmd", "xuly", code))
    assert await resident.act(("press", f"rate:{code}:5")) == [
        config.RATE_NOT_YET.format(code=code, status=taxonomy.STATUSES[config.IN_PROGRESS])
    ]
    assert (await case_of(db, code)).rating == 2
    await ward.act(("cmd", "traloi", f"{code} Đã xử lý dứt điểm."))
    await ward.act(("cmd", "dong", code))
    assert await resident.act(("press", f"rate:{code}:5")) == [
        config.RATE_CHANGED.format(code=code, before=2, rating=5)
    ]
    assert await rated_rows(db) == [(None, 4), (4, 2), (2, 5)]


async def test_a_rating_press_leaves_the_draft_as_it_was(officers: Engine, db: Database) -> None:
    code = await seed(db, status=config.ANSWERED)
    resident = Resident(officers, RESIDENT, "test")
    await resident.act(("cmd", "start"))
    await resident.act(("press", "kind:gop_y"))
    await resident.act(("say", "Đề nghị lắp thêm đèn đường ở hẻm 12 Lê Lợi."))

    async def conversation() -> tuple[str, dict[str, Any]]:
        async with db.unit_of_work() as uow:
            found = await uow.conversations.get_for_update("test", RESIDENT)
        assert found is not None
        return found.state, found.data

    before = await conversation()
    assert before[0] == "await_attachments"
    assert await resident.act(("press", f"rate:{code}:3")) == [
        config.RATE_THANKS.format(code=code, rating=3)
    ]
    assert await conversation() == before
    # The draft goes on from where it was.
    assert await resident.act(("press", "att:done")) == [texts.ASK_LOCALITY]


# --- follow-ups -------------------------------------------------------------------------------


async def test_a_follow_up_attaches_to_the_resident_s_own_case(
    officers: Engine, db: Database
) -> None:
    code = await seed(db)
    resident = Resident(officers, RESIDENT, "test")
    other = await consented(officers, "someone-else")
    first = "Sau mưa hôm qua nước vẫn ngập, gọi tôi 0987 654 321."
    assert await resident.act(("cmd", "bosung", f"{code} {first}")) == [
        config.FOLLOWUP_ADDED.format(code=code)
    ]
    not_found = texts.STATUS_NOT_FOUND.format(code=code)
    refusals = [
        (other, ("cmd", "bosung", f"{code} Tôi cũng thấy vậy"), not_found),
        (
            resident,
            ("cmd", "bosung", "YK-ABCDEF thêm"),
            texts.STATUS_NOT_FOUND.format(code="YK-ABCDEF"),
        ),
        (resident, ("cmd", "bosung", ""), config.FOLLOWUP_USAGE),
        (resident, ("cmd", "bosung", code), config.FOLLOWUP_USAGE),
        (
            resident,
            ("cmd", "bosung", f"{code} {'a' * 5001}"),
            config.FOLLOWUP_TOO_LONG.format(length=5001, limit=5000),
        ),
    ]
    for who, action, expected in refusals:
        assert await who.act(action) == [expected], action[2][:30]
    longest = "b" * 5000
    assert await resident.act(("cmd", "bosung", f"{code} {longest}")) == [
        config.FOLLOWUP_ADDED.format(code=code)
    ]
    case = await case_of(db, code)
    async with db.unit_of_work() as uow:
        stored = await uow.cases.followups(case.id)
    assert [f.text for f in stored] == [first, longest]
    rows = [r for r in await audit(db) if r[1] == "submission.followup"]
    assert [r[2] for r in rows] == [code, code]
    assert all("0987" not in str(r) for r in rows)
    # The officer sees them in /xem, redacted, the newest shortened.
    ward = await with_role(db, officers, "ward", "officer")
    (view,) = await ward.act(("cmd", "xem", code))
    assert config.VIEW_FOLLOWUPS.format(count=2) in view
    assert "nước vẫn ngập, gọi tôi [SĐT]." in view and "0987" not in view
    assert "b" * config.VIEW_FOLLOWUP_CHARS + "…" in view and longest not in view


async def test_follow_ups_of_a_restricted_case_are_counted_not_shown(
    officers: Engine, db: Database
) -> None:
    code = await seed(db, kind="to_cao", text="Tố cáo cán bộ phường nhận tiền.")
    resident = Resident(officers, RESIDENT, "test")
    await resident.act(("cmd", "bosung", f"{code} Bằng chứng: biên lai ngày 3/11."))
    ward = await with_role(db, officers, "ward", "officer")
    (view,) = await ward.act(("cmd", "xem", code))
    assert config.VIEW_FOLLOWUPS_HIDDEN.format(count=1) in view
    assert "biên lai" not in view
    moderator = await with_role(db, officers, "mod", "moderator")
    (view,) = await moderator.act(("cmd", "xem", code))
    assert "Bằng chứng: biên lai ngày 3/11." in view


async def test_my_data_lists_follow_ups_and_ratings_and_erasure_clears_them(
    officers: Engine, db: Database
) -> None:
    code = await seed(db, status=config.ANSWERED)
    resident = Resident(officers, RESIDENT, "test")
    await resident.act(("cmd", "bosung", f"{code} Nhà tôi ở số 14 hẻm 3."))
    await resident.act(("cmd", "danhgia", f"{code} 4"))
    (mine,) = await resident.act(("cmd", "dulieucuatoi"))
    assert config.MY_DATA_RATING.format(rating=4) in mine.split("\n")
    assert "Nhà tôi ở số 14 hẻm 3." in mine
    await resident.act(("cmd", "xoadulieu"))
    assert await resident.act(("press", "erase:yes")) == [texts.ERASED]
    async with db.engine.connect() as conn:
        rows = list(await conn.execute(select(models.Followup.text, models.Followup.person_id)))
    assert rows == [(texts.ERASED_TEXT_PLACEHOLDER, None)]
    # The rating is a figure, not personal data: it stays for the digest.
    assert (await case_of(db, code)).rating == 4


# --- satisfaction in the digest ---------------------------------------------------------------


async def test_the_digest_counts_ratings_given_in_the_period_within_scope(
    officers: Engine, db: Database, clock: FrozenClock
) -> None:
    ward = await with_role(db, officers, "ward", "officer")
    resident = Resident(officers, RESIDENT, "test")
    ratings = (5, 4, 4)
    for value in ratings:
        code = await seed(db, created_at=datetime(2026, 10, 5, 3, tzinfo=UTC))
        await ward.act(("cmd", "traloi", f"{code} Đã giải quyết."))
        await resident.act(("cmd", "danhgia", f"{code} {value}"))
    # Another ward's rating, and an unrated answer, do not count for Bến Thành.
    outside = await seed(db, locality_code="26740", locality_name="Phường Sài Gòn")
    city = await with_role(db, officers, "city", "officer", unit="hcm")
    await city.act(("cmd", "traloi", f"{outside} Đã giải quyết."))
    await resident.act(("cmd", "danhgia", f"{outside} 1"))
    unrated = await seed(db)
    await ward.act(("cmd", "traloi", f"{unrated} Đã giải quyết."))

    scope = DigestScope(locality_codes=("26743",))
    month = Period.month(2026, 11)  # rated in November, whatever month the cases came in
    digest = await build_digest(
        db, scope, month, unit_name="Phường Bến Thành", now=clock(), tz=VIETNAM
    )
    assert digest.ratings == 3
    assert digest.rating_average == pytest.approx(sum(ratings) / 3)
    line = config.SATISFACTION_CHAT.format(average="4,3", count=3)
    assert line in digest_text(digest).split("\n")
    city_wide = await build_digest(
        db, DigestScope(province_code="79"), month, unit_name="TP", now=clock(), tz=VIETNAM
    )
    assert (city_wide.ratings, city_wide.rating_average) == (4, pytest.approx(14 / 4))
    october = await build_digest(
        db, scope, Period.month(2026, 10), unit_name="Phường", now=clock(), tz=VIETNAM
    )
    assert (october.ratings, october.rating_average) == (0, None)

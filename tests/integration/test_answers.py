"""`/traloi` (answers relayed through the outbox) and `/tim` (search within scope), on SQLite
and PostgreSQL, through the real engine with a frozen clock (21/11/2026)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from config import taxonomy, texts
from handlers.codes import new_reference_code
from handlers.intake import Engine
from storage import models
from storage.db import Database
from storage.records import NewSubmission
from tests.conftest import FrozenClock
from tests.integration.test_roles_chat import audit, consented, with_role


async def submit(
    db: Database,
    *,
    channel: str = "telegram",
    external_id: str = "resident-9",
    **fields: object,
) -> str:
    """Store one submission by the resident `channel`/`external_id` (Bến Thành unless told)."""
    async with db.unit_of_work() as uow:
        author = await uow.people.get_by_channel(channel, external_id)
        if author is None:
            author = await uow.people.add(
                pseudonym=f"ND-{channel[:4]}-{external_id}"[:24],
                channel=channel,
                external_id=external_id,
                consent_version="v",
                at=datetime(2026, 9, 1, tzinfo=UTC),
            )
        values: dict[str, object] = {
            "code": new_reference_code(),
            "person_id": author.id,
            "kind": "phan_anh",
            "text": "Đường Lê Lợi ngập nước mỗi khi mưa, gọi tôi 0912 345 678.",
            "channel": channel,
            "created_at": datetime(2026, 10, 5, 3, tzinfo=UTC),
            "status": "da_tiep_nhan",
            "locality_code": "26743",
            "locality_name": "Phường Bến Thành, Thành phố Hồ Chí Minh",
            "province_code": "79",
            "topic": "moi_truong",
            "answer_due_at": datetime(2026, 11, 25, 17, tzinfo=UTC),
        }
        values.update(fields)
        stored = await uow.submissions.add(NewSubmission(**values))  # type: ignore[arg-type]
        await uow.commit()
    return stored.code


async def outbox(db: Database) -> list[tuple[str, str, str, str]]:
    """(key, channel, chat_id, text) of every queued message, oldest first."""
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            select(
                models.OutboxMessage.key,
                models.OutboxMessage.channel,
                models.OutboxMessage.chat_id,
                models.OutboxMessage.text,
            ).order_by(models.OutboxMessage.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def state(db: Database, code: str) -> tuple[str, datetime | None, list[str]]:
    """A submission's status, answered_at and its answers' texts."""
    async with db.unit_of_work() as uow:
        submission = await uow.submissions.get_by_code(code)
        assert submission is not None
        answers = await uow.answers.list_for(submission.id)
    return submission.status, submission.answered_at, [answer.text for answer in answers]


# --- /traloi -----------------------------------------------------------------------------------


async def test_traloi_stores_marks_answered_and_queues_one_message_to_the_resident(
    officers: Engine, db: Database, clock: FrozenClock
) -> None:
    code = await submit(db)
    ward = await with_role(db, officers, "ward", "officer")
    content = "Phường đã cho nạo vét cống, dự kiến xong trong tuần tới."
    assert await ward.act(("cmd", "traloi", f"{code.lower()} {content}")) == [
        texts.ANSWER_SENT.format(code=code)
    ]
    assert await state(db, code) == ("da_tra_loi", clock(), [content])
    ((key, channel, chat, text),) = await outbox(db)
    assert key.startswith("answer:")
    assert (channel, chat) == ("telegram", "resident-9")
    assert text == texts.ANSWER_TO_RESIDENT.format(code=code, text=content)
    # The channel re-delivers the same update: nothing more is stored or queued.
    assert await ward.redeliver() == []
    assert len(await outbox(db)) == 1
    assert (await state(db, code))[2] == [content]
    # The audit entry names the submission, never the answer's text.
    (entry,) = [row for row in await audit(db) if row[1] == "submission.answered"]
    assert entry[2] == code and content not in str(entry)


async def test_a_zalo_resident_gets_the_answer_on_zalo(officers: Engine, db: Database) -> None:
    code = await submit(db, channel="zalo_bot", external_id="zalo-user-7")
    ward = await with_role(db, officers, "ward", "officer")
    await ward.act(("cmd", "traloi", f"YK {code[3:]} Đã tiếp nhận và chuyển UBND phường."))
    ((_, channel, chat, text),) = await outbox(db)
    assert (channel, chat) == ("zalo_bot", "zalo-user-7")
    assert text == texts.ANSWER_TO_RESIDENT.format(
        code=code, text="Đã tiếp nhận và chuyển UBND phường."
    )


async def test_traloi_is_refused_politely(officers: Engine, db: Database) -> None:
    inside = await submit(db)
    outside = await submit(db, locality_code="26740", locality_name="Phường Sài Gòn")
    denunciation = await submit(db, kind="to_cao", text="Tố cáo cán bộ phường nhận tiền.")
    resident = await consented(officers, "plain")
    assert await resident.act(("cmd", "traloi", f"{inside} cảm ơn")) == [
        texts.ROLE_REFUSED.format(command="traloi")
    ]
    ward = await with_role(db, officers, "ward", "officer")
    assert await ward.act(("cmd", "traloi", f"{outside} cảm ơn")) == [
        texts.ANSWER_NOT_FOUND.format(code=outside)
    ]
    assert await ward.act(("cmd", "traloi", "YK-ABCDEF cảm ơn")) == [
        texts.ANSWER_NOT_FOUND.format(code="YK-ABCDEF")
    ]
    assert await ward.act(("cmd", "traloi", "")) == [texts.ANSWER_USAGE]
    assert await ward.act(("cmd", "traloi", inside)) == [texts.ANSWER_USAGE]
    assert await ward.act(("cmd", "traloi", f"{denunciation} đã xử lý")) == [
        texts.ANSWER_SENSITIVE_REFUSED.format(code=denunciation)
    ]
    assert await outbox(db) == []
    for code in (inside, outside, denunciation):
        assert (await state(db, code))[:2] == ("da_tiep_nhan", None)
    # A moderator may answer the denunciation.
    moderator = await with_role(db, officers, "mod", "moderator")
    assert await moderator.act(
        ("cmd", "traloi", f"{denunciation} Đã chuyển cơ quan có thẩm quyền.")
    ) == [texts.ANSWER_SENT.format(code=denunciation)]
    assert len(await outbox(db)) == 1


async def test_an_erased_resident_is_answered_without_relay(officers: Engine, db: Database) -> None:
    code = await submit(db)
    async with db.unit_of_work() as uow:
        author = await uow.people.get_by_channel("telegram", "resident-9")
        assert author is not None
        await uow.submissions.anonymise_person(author.id, "[đã xóa]", datetime.now(UTC))
        await uow.people.delete(author.id)
        await uow.commit()
    ward = await with_role(db, officers, "ward", "officer")
    assert await ward.act(("cmd", "traloi", f"{code} Đã xử lý xong.")) == [
        texts.ANSWER_NOT_RELAYED.format(code=code)
    ]
    assert (await state(db, code))[0] == "da_tra_loi"
    assert await outbox(db) == []


# --- /tim --------------------------------------------------------------------------------------


def item_line(code: str, date: str, text: str, status: str = "da_tiep_nhan") -> str:
    return texts.SEARCH_ITEM.format(
        code=code,
        date=date,
        topic=taxonomy.TOPICS["moi_truong"],
        status=taxonomy.STATUSES[status],
        text=text,
    )


async def test_tim_finds_within_scope_newest_first_and_redacted(
    officers: Engine, db: Database
) -> None:
    older = await submit(db)
    newer = await submit(
        db, text="NGẬP NƯỚC ở hẻm 12 Lê Lợi", created_at=datetime(2026, 11, 2, 3, tzinfo=UTC)
    )
    await submit(db, text="Cây xanh đổ chắn đường")  # in scope, no match
    await submit(db, locality_code="26740", locality_name="Phường Sài Gòn")  # out of scope
    ward = await with_role(db, officers, "ward", "officer")
    # Case and diacritics do not matter, on either side.
    for query in ("ngập nước", "NGAP nuoc", "Ngập   NƯỚC"):
        (reply,) = await ward.act(("cmd", "tim", query))
        assert reply.split("\n")[1:] == [
            *item_line(newer, "02/11/2026", "NGẬP NƯỚC ở hẻm 12 Lê Lợi").split("\n"),
            *item_line(
                older, "05/10/2026", "Đường Lê Lợi ngập nước mỗi khi mưa, gọi tôi [SĐT]."
            ).split("\n"),
        ], query
    assert "0912" not in reply
    # Every word must be there.
    assert await ward.act(("cmd", "tim", "ngập cây")) == [
        texts.SEARCH_NONE.format(words="ngập cây")
    ]
    assert await ward.act(("cmd", "tim", "  ")) == [texts.SEARCH_USAGE]
    # The city officer sees the other ward's submission too.
    city = await with_role(db, officers, "city", "officer", unit="hcm")
    (reply,) = await city.act(("cmd", "tim", "ngap"))
    assert reply.count("• YK-") == 3


async def test_tim_keeps_sensitive_texts_from_officers(officers: Engine, db: Database) -> None:
    plain = await submit(db, text="Đèn đường hỏng ở hẻm 5")
    denunciation = await submit(db, kind="to_cao", text="Tố cáo cán bộ nhận tiền ở hẻm 5")
    insult = await submit(
        db, text="Đồ ngu, hẻm 5 bẩn quá", flags=({"code": "xuc_pham", "evidence": "ngu"},)
    )
    ward = await with_role(db, officers, "ward", "officer")
    (reply,) = await ward.act(("cmd", "tim", "hẻm 5"))
    assert plain in reply and denunciation not in reply and insult not in reply
    assert "nhận tiền" not in reply and "Đồ ngu" not in reply
    # A word only the hidden texts hold finds nothing, so it reveals nothing.
    assert await ward.act(("cmd", "tim", "nhận tiền")) == [
        texts.SEARCH_NONE.format(words="nhận tiền")
    ]
    moderator = await with_role(db, officers, "mod", "moderator")
    (reply,) = await moderator.act(("cmd", "tim", "hẻm 5"))
    assert all(code in reply for code in (plain, denunciation, insult))
    assert "nhận tiền" in reply


async def test_tim_shows_at_most_ten(officers: Engine, db: Database) -> None:
    codes = [
        await submit(db, created_at=datetime(2026, 10, day, 3, tzinfo=UTC)) for day in range(1, 13)
    ]
    ward = await with_role(db, officers, "ward", "officer")
    (reply,) = await ward.act(("cmd", "tim", "mưa"))
    assert reply.split("\n")[0] == texts.SEARCH_HEADER.format(words="mưa", count=10)
    shown = [line.split(" — ")[0][2:] for line in reply.split("\n") if line.startswith("• ")]
    assert shown == codes[::-1][:10]

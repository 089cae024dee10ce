"""The per-person rate limit through the real engine, on SQLite and PostgreSQL: a polite notice
once, the rest of the minute dropped with nothing stored, a fresh minute served again; staff and
the host's terminal are not limited; the count holds across engines sharing the database."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from config import texts
from handlers.intake import Engine
from nlp.analyzer import Analyzer
from nlp.locality import LocalityIndex
from storage import models
from storage.db import Database
from tests.conftest import FrozenClock
from tests.dialogue import Resident
from tests.integration.test_roles_chat import audit, consented

LIMIT = 4


def limited(
    db: Database, localities: LocalityIndex, clock: FrozenClock, analyzer: Analyzer
) -> Engine:
    """An engine with a limit of LIMIT updates per minute."""
    return Engine(
        db.unit_of_work, localities, clock, ZoneInfo("Asia/Ho_Chi_Minh"), analyzer, rate_limit=LIMIT
    )


async def conversation_of(db: Database, resident: Resident) -> dict[str, object] | None:
    async with db.unit_of_work() as uow:
        found = await uow.conversations.get_for_update(
            resident.user.channel, resident.user.external_id
        )
        return dict(found.data) if found is not None else None


async def test_one_notice_then_the_minute_is_dropped(
    db: Database, localities: LocalityIndex, clock: FrozenClock, analyzer: Analyzer
) -> None:
    engine = limited(db, localities, clock, analyzer)
    resident = await consented(engine, "flood-1")  # /start and the consent: 2 of the 4
    clock.advance(seconds=5)
    await resident.act(("say", "Đường Lê Lợi ngập nặng mỗi khi mưa, đề nghị phường xử lý."))
    await resident.act(("press", "kind:phan_anh"))
    before = await conversation_of(db, resident)
    notice = texts.RATE_LIMITED.format(limit=LIMIT, seconds=55)
    assert await resident.act(("say", "Thêm chi tiết thứ nhất.")) == [notice]
    assert await resident.act(("say", "Thêm chi tiết thứ hai.")) == []
    assert await resident.act(("cmd", "trogiup")) == []
    # Nothing of the dropped updates reached the conversation.
    assert await conversation_of(db, resident) == before
    limits = [row for row in await audit(db) if row[1] == "flood.limited"]
    assert len(limits) == 1 and limits[0][3] == {"channel": "test", "limit": LIMIT}
    # A new minute: served again, the draft where it was.
    clock.advance(minutes=1)
    replies = await resident.act(("cmd", "trogiup"))
    assert replies[0] == texts.HELP
    async with db.unit_of_work() as uow:
        stored = await uow.session.scalar(select(func.count()).select_from(models.Submission))
    assert stored == 0


async def test_staff_and_the_terminal_are_not_limited(
    db: Database, localities: LocalityIndex, clock: FrozenClock, analyzer: Analyzer
) -> None:
    engine = limited(db, localities, clock, analyzer)
    officer = await consented(engine, "flood-officer")
    async with db.unit_of_work() as uow:
        person = await uow.people.get_by_channel("test", "flood-officer")
        assert person is not None
        await uow.people.set_role(person.id, role="moderator", unit_code=None, topics=[])
        await uow.commit()
    for _ in range(LIMIT * 2):
        assert (await officer.act(("cmd", "trogiup")))[0] == texts.HELP
    terminal = Resident(engine, "operator", channel="shell")
    for _ in range(LIMIT * 2):
        assert await terminal.act(("cmd", "trogiup")) != []


async def test_the_count_is_shared_by_every_engine(
    db: Database, localities: LocalityIndex, clock: FrozenClock, analyzer: Analyzer
) -> None:
    first, second = (limited(db, localities, clock, analyzer) for _ in range(2))
    on_first = Resident(first, "flood-2")
    on_second = Resident(second, "flood-2")
    clock.advance(seconds=30)
    for index in range(LIMIT):
        engine_side = on_first if index % 2 else on_second
        assert await engine_side.act(("cmd", "trogiup")) != []
    assert await on_first.act(("cmd", "trogiup")) == [
        texts.RATE_LIMITED.format(limit=LIMIT, seconds=30)
    ]
    assert await on_second.act(("cmd", "trogiup")) == []


async def test_a_flood_flags_the_next_submission_for_the_moderators(
    db: Database, localities: LocalityIndex, clock: FrozenClock, analyzer: Analyzer
) -> None:
    engine = limited(db, localities, clock, analyzer)
    resident = await consented(engine, "flood-3")
    for _ in range(LIMIT):
        await resident.act(("cmd", "trogiup"))
    clock.advance(minutes=2)

    async def submit(text: str) -> None:
        """A whole submission, slowly enough to stay under the limit."""
        steps = [("say", text)] + [
            ("press", payload)
            for payload in ("kind:phan_anh", "att:done", "loc:skip", "grp:skip", "confirm:submit")
        ]
        for step in steps:
            clock.advance(seconds=20)
            assert await resident.act(step) != []

    await submit("Đường Lê Lợi ngập nặng mỗi khi mưa, đề nghị phường xử lý sớm.")
    clock.advance(hours=2)  # a flood is forgotten after FLOOD_MEMORY
    await submit("Cột đèn đường Hai Bà Trưng bị hỏng, đề nghị thay bóng mới.")
    async with db.unit_of_work() as uow:
        rows = list(
            await uow.session.execute(
                select(models.Submission.flags, models.Submission.review_state).order_by(
                    models.Submission.id
                )
            )
        )
    assert [[flag["code"] for flag in flags] for flags, _ in rows] == [["spam"], []]
    assert rows[0][0][0]["evidence"][0]["source"] == "flood"
    assert rows[0][1] == "cho_duyet"

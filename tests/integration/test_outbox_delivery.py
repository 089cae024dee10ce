"""Outbox delivery beyond plain texts: buttons, edits of sent messages, back-off, recipients who
blocked the bot, and the prompt delivery the engine asks for (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.alerts import RecipientBlocked
from bot.channels.telegram_adapter import make_bot
from bot.channels.telegram_outbox import TelegramButtonSender
from bot.scheduler import Scheduler
from storage import models
from storage.channels import ChannelStore
from storage.db import Database
from storage.outbox import OutboxStore
from storage.sql import ButtonRows
from tests.conftest import FrozenClock
from tests.fakes.telegram_server import FakeTelegram

NOW = datetime(2026, 12, 1, 1, tzinfo=UTC)
TOKEN = "123456:OUTBOX-TEST"
KEYBOARD = ((("Duyệt", "mod:ok:YK1"), ("Spam", "mod:sp:YK1")),)


class Buttons:
    """A button channel that records sends and edits (ids count up); can refuse edits or block."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, ButtonRows]] = []
        self.edits: list[tuple[str, str, str, ButtonRows]] = []
        self.editable = True
        self.blocked: set[str] = set()

    async def send(self, chat_id: str, text: str, buttons: ButtonRows) -> str | None:
        if chat_id in self.blocked:
            raise RecipientBlocked("Forbidden")
        self.sent.append((chat_id, text, buttons))
        return str(100 + len(self.sent))

    async def edit(self, chat_id: str, message_id: str, text: str, buttons: ButtonRows) -> bool:
        if self.editable:
            self.edits.append((chat_id, message_id, text, buttons))
        return self.editable


def _scheduler(db: Database, clock: FrozenClock, channel: Buttons, **kwargs: Any) -> Scheduler:
    return Scheduler(
        db, clock=clock, planners=[], senders={}, button_senders={"telegram": channel}, **kwargs
    )


async def _enqueue(db: Database, key: str, text: str, chat: str = "-1001", **kwargs: Any) -> None:
    await OutboxStore(db).enqueue(
        key=key, channel="telegram", chat_id=chat, text=text, due_at=NOW, now=NOW, **kwargs
    )


async def _row(db: Database, key: str) -> Any:
    async with db.engine.connect() as conn:
        table = models.OutboxMessage.__table__
        row = (await conn.execute(select(table).where(table.c.key == key))).first()
    assert row is not None
    return row


async def test_buttons_go_out_and_the_message_id_is_kept_for_edits(db: Database) -> None:
    channel = Buttons()
    scheduler = _scheduler(db, FrozenClock(NOW), channel)
    await _enqueue(db, "review:1", "Mục YK1 chờ duyệt", buttons=KEYBOARD, subject="YK1")
    assert (await scheduler.deliver())["sent"] == 1
    assert channel.sent == [("-1001", "Mục YK1 chờ duyệt", KEYBOARD)]
    assert (await _row(db, "review:1")).message_id == "101"

    await _enqueue(db, "review:1:edit:1", "YK1 đã duyệt", edit_key="review:1", subject="YK1")
    assert (await scheduler.deliver())["sent"] == 1
    assert channel.edits == [("-1001", "101", "YK1 đã duyệt", ())]
    assert len(channel.sent) == 1  # edited in place, not sent again
    async with db.unit_of_work() as uow:
        refs = await uow.outbox.find("YK1", "review:")
    assert [(r.key, r.message_id, r.sent) for r in refs] == [
        ("review:1", "101", True),
        ("review:1:edit:1", "101", True),
    ]


async def test_an_edit_that_cannot_be_made_is_sent_as_a_new_message(db: Database) -> None:
    channel = Buttons()
    scheduler = _scheduler(db, FrozenClock(NOW), channel)
    await _enqueue(db, "review:2", "chờ duyệt", buttons=KEYBOARD)
    await scheduler.deliver()
    channel.editable = False  # too old, or deleted in the chat
    await _enqueue(db, "review:2:edit:1", "đã duyệt", edit_key="review:2")
    await scheduler.deliver()
    assert [text for _, text, _ in channel.sent] == ["chờ duyệt", "đã duyệt"]


async def test_a_message_replaced_before_it_went_out_is_never_sent(db: Database) -> None:
    channel = Buttons()
    clock = FrozenClock(NOW)
    scheduler = _scheduler(db, clock, channel)
    later = NOW + timedelta(minutes=5)
    await OutboxStore(db).enqueue(
        key="review:3", channel="telegram", chat_id="-1001", text="chờ duyệt", due_at=later, now=NOW
    )
    await _enqueue(db, "review:3:edit:1", "đã duyệt", edit_key="review:3")
    await scheduler.deliver()
    clock.advance(minutes=10)
    await scheduler.deliver()
    assert [text for _, text, _ in channel.sent] == ["đã duyệt"]
    assert (await _row(db, "review:3")).last_error == "replaced by review:3:edit:1"


async def test_failures_back_off_instead_of_retrying_every_round(db: Database) -> None:
    attempts: list[datetime] = []
    clock = FrozenClock(NOW)

    async def flaky(chat: str, text: str) -> None:
        attempts.append(clock())
        raise ConnectionError("down")

    scheduler = Scheduler(db, clock=clock, planners=[], senders={"zalo_bot": flaky})
    await OutboxStore(db).enqueue(
        key="answer:1", channel="zalo_bot", chat_id="u1", text="Trả lời", due_at=NOW, now=NOW
    )
    for _ in range(60):  # every 5 s for 5 minutes
        await scheduler.deliver()
        clock.advance(seconds=5)
    # The first attempt, one a minute later, then the next waits 5 minutes more.
    assert [a - NOW for a in attempts] == [timedelta(0), timedelta(minutes=1)]
    clock.advance(minutes=5)
    await scheduler.deliver()
    assert len(attempts) == 3


async def test_a_resident_who_blocked_the_bot_is_retried_then_marked_unreachable(
    db: Database,
) -> None:
    channel = Buttons()
    channel.blocked.add("555")
    clock = FrozenClock(NOW)
    scheduler = _scheduler(db, clock, channel, max_attempts=3)
    await _enqueue(db, "answer:7", "Trả lời YK7", chat="555", subject="YK7")
    failures = []
    for _ in range(4):
        failures.append((await scheduler.deliver())["failed"])
        clock.advance(hours=3)
    assert failures == [1, 1, 1, 0]  # bounded: three attempts, then no more
    row = await _row(db, "answer:7")
    assert row.sent_at is None and row.last_error == "blocked"
    contact = await ChannelStore(db).get_contact("telegram", "555")
    assert contact is not None and contact.unreachable_since is not None
    async with db.unit_of_work() as uow:
        actions = list(
            await uow.session.scalars(
                select(models.AuditEntry.action).where(
                    models.AuditEntry.action == "contact.unreachable"
                )
            )
        )
    assert actions == ["contact.unreachable"]

    # Known unreachable: the next message is tried once, not three times.
    await _enqueue(db, "status:7:da_dong", "Đã đóng YK7", chat="555")
    assert (await scheduler.deliver())["failed"] == 1
    clock.advance(hours=3)
    assert (await scheduler.deliver())["failed"] == 0

    # Unblocked: a message that gets through clears the mark.
    channel.blocked.clear()
    await _enqueue(db, "status:7:x", "Mới", chat="555")
    assert (await scheduler.deliver())["sent"] == 1
    contact = await ChannelStore(db).get_contact("telegram", "555")
    assert contact is not None and contact.unreachable_since is None


async def test_a_kick_delivers_without_waiting_for_the_next_round(db: Database) -> None:
    channel = Buttons()
    scheduler = _scheduler(db, FrozenClock(NOW), channel)
    stop = asyncio.Event()
    running = asyncio.create_task(scheduler.run(stop))
    try:
        await _until(lambda: scheduler.lock.held)
        await asyncio.sleep(0.2)  # the catch-up sweep on taking the lock has run
        await _enqueue(db, "urgent:1", "Khẩn cấp YK9")
        scheduler.kick()
        # Well before DELIVERY_SECONDS: only the kick can have sent it.
        await _until(lambda: bool(channel.sent), timeout=2.0)
    finally:
        stop.set()
        await running
    assert channel.sent[0][1] == "Khẩn cấp YK9"


async def _until(condition: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(TOKEN) as server:
        yield server


async def test_telegram_sends_keyboards_edits_them_and_reports_a_block(
    telegram: FakeTelegram,
) -> None:
    bot = make_bot(TOKEN, telegram.root_url)
    async with bot:
        sender = TelegramButtonSender(bot)
        message_id = await sender.send("-1001", "x" * 5000, KEYBOARD)
        first, second = telegram.sent
        assert "reply_markup" not in first and len(second["text"]) == 5000 - 4096
        assert second["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "mod:ok:YK1"
        assert message_id is not None
        assert await sender.edit("-1001", message_id, "YK1 đã duyệt", ())
        (edit,) = telegram.calls_of("editMessageText")
        assert edit["text"] == "YK1 đã duyệt" and "reply_markup" not in edit
        telegram.blocked.add(555)
        with pytest.raises(RecipientBlocked):
            await sender.send("555", "Trả lời", ())

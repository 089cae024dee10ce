"""Every answer-loop table on every channel, over the channels' real HTTP code, on SQLite and
PostgreSQL: the resident submits on their channel, the officer of the ward works the case in
their own chat, and every notice and answer reaches the resident's chat through the outbox, sent
by the channel's real sender (Telegram with the rating buttons, the Zalo channels split to
2,000 characters)."""

from __future__ import annotations

import pytest

from config import texts
from handlers.intake import Engine
from handlers.messages import split_text
from storage.db import Database
from tests.case_tables import CASE_TABLES, CODE, CREATED
from tests.channels import CAPABILITIES, CHANNELS, Harness, channel_harness
from tests.dialogue import Resident, assert_replies, receipt_code
from tests.integration.test_roles_chat import with_role
from tests.tables import SHARED_TABLES

CASES = [
    pytest.param(channel, name, id=f"{channel}: {name}")
    for name, table in CASE_TABLES.items()
    for channel in CHANNELS
    if table.requires <= CAPABILITIES[channel]
]
# What each channel takes in one message (bot.runner's senders split longer texts).
LIMITS = {"shell": None, "telegram": 4096, "zalo_bot": 2000, "zalo_oa": 2000}


async def submitted(harness: Harness, name: str = "resident-1") -> tuple[object, str]:
    """A resident of the channel and the code of the flood report they submitted there."""
    resident = harness.resident(name)
    replies: list[str] = []
    for action, expected in SHARED_TABLES["text only, buttons pressed"].rows:
        replies = await resident.act(action)
        assert_replies(replies, expected, (harness.channel, action))
    return resident, receipt_code(replies)


async def deliveries(harness: Harness, chat: str) -> list[str]:
    """What reaches `chat` when the outbox is delivered now."""
    before = len(harness.received(chat))
    await harness.deliver()
    return harness.received(chat)[before:]


@pytest.mark.parametrize(("channel", "name"), CASES)
async def test_answer_loop_table(
    channel: str, name: str, engine: Engine, db: Database, units: None
) -> None:
    officer = await with_role(db, engine, "ward-officer", "officer")
    async with channel_harness(channel, db, engine) as harness:
        resident, code = await submitted(harness)
        created = engine.clock().astimezone(engine.display_tz).strftime(texts.DATETIME_FORMAT)
        chat = resident.user.external_id

        def filled(text: str) -> str:
            return text.replace(CODE, code).replace(CREATED, created)

        for step in CASE_TABLES[name].steps:
            action = tuple(filled(part) for part in step.action)
            if action[0] == "rate" and "buttons" in harness.capabilities:
                action = ("press", f"rate:{code}:{action[1]}")
            elif action[0] == "rate":
                action = ("cmd", "danhgia", f"{code} {action[1]}")
            actor: Resident | object = officer if step.actor == "officer" else resident
            replies = await actor.act(action)  # type: ignore[attr-defined]
            where = (channel, step.actor, action)
            assert_replies(replies, [filled(text) for text in step.replies], where)
            assert await deliveries(harness, chat) == [filled(t) for t in step.delivered], where


def _answer_buttons(harness: Harness, chat: str) -> list[list[str]]:
    """The callback data of the newest Telegram message to `chat` that has a keyboard."""
    for message in reversed(harness.telegram.messages_in(chat)):
        markup = message.get("reply_markup") or {}
        if markup.get("inline_keyboard"):
            return [[b["callback_data"] for b in row] for row in markup["inline_keyboard"]]
    return []


@pytest.mark.parametrize("channel", CHANNELS)
async def test_a_long_answer_arrives_whole_and_in_order(
    channel: str, engine: Engine, db: Database, units: None
) -> None:
    officer = await with_role(db, engine, "ward-officer", "officer")
    async with channel_harness(channel, db, engine) as harness:
        resident, code = await submitted(harness)
        chat = resident.user.external_id
        answer = " ".join(f"Ý {n}: phường đã kiểm tra hiện trường và xử lý." for n in range(75))
        assert 3500 <= len(answer) <= 3600
        assert await officer.act(("cmd", "traloi", f"{code} {answer}")) == [
            texts.ANSWER_SENT.format(code=code)
        ]
        parts = await deliveries(harness, chat)
        relay = texts.ANSWER_TO_RESIDENT.format(code=code, text=answer)
        limit = LIMITS[channel]
        assert parts == (split_text(relay, limit) if limit else [relay])
        assert len(parts) == (2 if channel.startswith("zalo") else 1)
        assert parts[0].startswith(f"Trả lời ý kiến {code}: Ý 0:")
        assert parts[-1].endswith(f"/bosung {code} nội dung bổ sung")
        if channel == "telegram":
            assert _answer_buttons(harness, chat) == [[f"rate:{code}:{n}" for n in range(1, 6)]]
        # Nothing is sent twice.
        assert await deliveries(harness, chat) == []

"""The review queue over the channels' real HTTP code: every moderator table on every channel
(buttons on Telegram, typed commands elsewhere), and a moderators' Telegram group whose queue
message is edited in place by a press. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest

from config import review as review_texts
from handlers.intake import Engine
from nlp.locality import LocalityIndex
from storage.db import Database
from tests.channels import CHANNELS, TelegramResident, channel_harness
from tests.conftest import FrozenClock
from tests.dialogue import Match, assert_replies, receipt_code
from tests.fakes import telegram_updates as tg_updates
from tests.moderation import INSULT, PHONE, ScriptedAnalyzer, audit_rows
from tests.review_tables import MODERATOR_TABLES, Expect

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
GROUP = -1001234567890

CASES = [
    pytest.param(channel, name, id=f"{channel}: {name}")
    for name in MODERATOR_TABLES
    for channel in CHANNELS
]


@pytest.fixture
def engine(db: Database, localities: LocalityIndex, clock: FrozenClock) -> Engine:
    """Moderators in their own chats; the scripted analyzer keeps the labels predictable."""
    return Engine(db.unit_of_work, localities, clock, VIETNAM, ScriptedAnalyzer())


def fill(expected: str | Match, code: str) -> str | Match:
    """An expectation with the case code put in."""
    if isinstance(expected, Match):
        return Match(expected.pattern.replace("@CODE@", re.escape(code)))
    return expected.replace("@CODE@", code)


async def give_role(db: Database, channel: str, external_id: str, role: str) -> None:
    async with db.unit_of_work() as uow:
        person = await uow.people.get_by_channel(channel, external_id)
        assert person is not None
        await uow.people.set_role(person.id, role=role, unit_code=None, topics=[])
        await uow.commit()


@pytest.mark.parametrize(("channel", "name"), CASES)
async def test_moderator_table(channel: str, name: str, engine: Engine, db: Database) -> None:
    table = MODERATOR_TABLES[name]
    async with channel_harness(channel, db, engine) as harness:
        resident = harness.resident("resident")
        moderator = harness.moderator("moderator")
        code = ""
        for who, action, expected in table.steps:
            if who == "resident":
                got = await resident.act(action)
                if action == ("press", "confirm:submit"):
                    code = receipt_code(got)
            elif action[0] == "role":
                await give_role(db, channel, moderator.user.external_id, action[1])
                got = []
            else:
                got = await moderator.act(action, code)
            if isinstance(expected, Expect):
                expected = expected.buttons if moderator.buttons else expected.commands
            assert_replies(got, [fill(e, code) for e in expected], (channel, who, action))
        seen = harness.received(moderator.user.external_id)
    assert seen and not any(PHONE in text for text in seen)
    async with db.unit_of_work() as uow:
        stored = await uow.submissions.get_by_code(code)
    assert stored is not None
    assert {key: getattr(stored, key) for key in table.stored} == table.stored
    assert len(await audit_rows(db, "review.decided")) == 1


async def test_a_moderators_telegram_group_gets_buttons_and_a_press_edits_the_message(
    db: Database, localities: LocalityIndex, clock: FrozenClock
) -> None:
    engine = Engine(
        db.unit_of_work,
        localities,
        clock,
        VIETNAM,
        ScriptedAnalyzer(),
        moderator_chats=[("telegram", str(GROUP))],
    )
    async with channel_harness("telegram", db, engine) as harness:
        telegram = harness.telegram
        lan, minh = harness.moderator("lan"), harness.moderator("minh")
        for person in (lan, minh):
            await person.act(("cmd", "start"), "")
            await person.act(("press", "consent:yes"), "")
            await give_role(db, "telegram", person.user.external_id, "moderator")
        resident = harness.resident("resident")
        for action in (
            ("cmd", "start"),
            ("press", "consent:yes"),
            ("press", "kind:phan_anh"),
            ("say", INSULT),
            ("press", "att:done"),
            ("press", "loc:skip"),
            ("press", "grp:skip"),
        ):
            await resident.act(action)
        code = receipt_code(await resident.act(("press", "confirm:submit")))

        assert (await harness.deliver())["sent"] == 1
        (queued,) = telegram.messages_in(GROUP)
        keyboard = queued["reply_markup"]["inline_keyboard"]
        assert [b["text"] for b in keyboard[0]] == ["Duyệt", "Hạn chế"]
        assert keyboard[0][0]["callback_data"] == f"mod:ok:{code}"
        assert "«đm»" in queued["text"] and PHONE not in queued["text"]

        # Lan presses "Hạn chế" in the group: the message is edited in place, keyboard gone.
        press = tg_updates.callback_update(
            f"mod:hc:{code}",
            user_id=int(lan.user.external_id),
            chat_id=GROUP,
            message_id=queued["message_id"],
            message_text=queued["text"],
            reply_markup=queued["reply_markup"],
            update_id=next(TelegramResident._update_ids),
        )
        sent_before = len(telegram.sent)
        await lan.resident._post(press)  # type: ignore[attr-defined]
        (edit,) = telegram.calls_of("editMessageText")
        assert (edit["chat_id"], edit["message_id"]) == (GROUP, queued["message_id"])
        assert "reply_markup" not in edit or not edit["reply_markup"].get("inline_keyboard")
        assert edit["text"].endswith(" lúc 09:30 21/11/2026.")
        assert review_texts.REVIEW_STATES["han_che"] in edit["text"].rsplit("\n", 1)[-1]
        assert telegram.calls_of("answerCallbackQuery")
        # Nothing stripped the keyboard separately after the edit.
        stripped = telegram.calls_of("editMessageReplyMarkup")
        assert not [call for call in stripped if call["chat_id"] == GROUP]
        (shown,) = telegram.messages_in(GROUP)
        assert shown["text"] == edit["text"] and "reply_markup" not in shown
        assert len(telegram.sent) == sent_before

        # The reply already edited the group's copy: the outbox has nothing left for it.
        assert (await harness.deliver())["sent"] == 0

        # Minh pressed "Duyệt" on the same message a moment later: told who decided.
        late = tg_updates.callback_update(
            f"mod:ok:{code}",
            user_id=int(minh.user.external_id),
            chat_id=GROUP,
            message_id=queued["message_id"],
            reply_markup=queued["reply_markup"],
            update_id=next(TelegramResident._update_ids),
        )
        await minh.resident._post(late)  # type: ignore[attr-defined]
        stale = telegram.sent[-1]
        assert stale["chat_id"] == GROUP
        assert stale["text"].startswith(f"Ý kiến {code} đã được ND-")
        assert len(telegram.calls_of("editMessageText")) == 1
    async with db.unit_of_work() as uow:
        stored = await uow.submissions.get_by_code(code)
    assert stored is not None and (stored.review_state, stored.restricted) == ("han_che", True)
    assert len(await audit_rows(db, "review.decided")) == 1

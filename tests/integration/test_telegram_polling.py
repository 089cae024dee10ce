"""The Telegram long-polling channel end to end: PTB's real HTTP client against FakeTelegram.

Every test runs on SQLite and on PostgreSQL (the `engine`/`db` fixtures). Replies are compared
against `config.texts`; buttons against the payloads the engine offers.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.channels.telegram_adapter import TelegramAdapter, make_bot
from config import taxonomy, texts
from handlers.intake import Engine, IntakeLimits
from handlers.messages import Incoming, Outgoing
from nlp.locality import LocalityIndex
from storage.db import Database
from tests.dialogue import receipt_pattern
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.telegram_updates import (
    DEFAULT_USER_ID,
    FIXTURE_DIR,
    callback_update,
    command_update,
    photo_update,
    text_update,
)
from tests.rows import count_rows

TOKEN = "246810:POLLING-TEST-TOKEN"
CONTENT = "Cống thoát nước đầu hẻm 45 bị tắc, mỗi lần mưa nước tràn vào nhà dân."
LOCALITY_QUERY = "phuong ben thanh"
CODE_PATTERN = re.compile(r"YK-[0-9A-Z]{6}")
SETTLE_TIMEOUT = 10.0


# --- helpers ------------------------------------------------------------------------------


async def eventually(predicate: Callable[[], bool], what: str, timeout: float = SETTLE_TIMEOUT):
    """Wait until `predicate()` holds; fail with `what` after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.01)


async def stored_submissions(db: Database) -> list[Any]:
    """Every stored submission."""
    async with db.unit_of_work() as uow:
        return [s async for s in uow.submissions.iter_all()]


def callback_data(message: dict[str, Any]) -> list[str]:
    """The callback_data of every inline button of a sent message, in reading order."""
    markup = message.get("reply_markup")
    assert isinstance(markup, dict), f"no inline keyboard on {message!r}"
    return [button["callback_data"] for row in markup["inline_keyboard"] for button in row]


def texts_of(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages]


class Poller:
    """Runs `adapter.poll(stop)` as a task inside `async with adapter.bot:`; restartable."""

    def __init__(self, tg: FakeTelegram, engine: Engine, *, max_retries: int = 3) -> None:
        self.tg = tg
        self.engine = engine
        self.max_retries = max_retries
        self.adapter: TelegramAdapter | None = None
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    async def _run(self, adapter: TelegramAdapter, stop: asyncio.Event) -> None:
        async with adapter.bot:
            await adapter.poll(stop)

    def start(self) -> None:
        """Start a fresh bot, as a newly started process would (no offset known yet)."""
        assert self._task is None, "already polling"
        bot = make_bot(self.tg.token, self.tg.root_url, max_retries=self.max_retries)
        self.adapter = TelegramAdapter(bot, self.engine, poll_timeout=1)
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._run(self.adapter, self._stop))

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        """Ask the loop to stop and wait for it; re-raises whatever killed the loop."""
        if self._task is None:
            return
        assert self._stop is not None
        self._stop.set()
        # End the pending long poll now rather than after its (fake, 1 s) timeout: it returns
        # no updates, exactly as when it times out, and the loop then sees `stop`.
        FakeTelegram._wake(self.tg._update_waiters)
        task, self._task = self._task, None
        await asyncio.wait_for(task, SETTLE_TIMEOUT)


@dataclass
class Press:
    """One button press the resident made."""

    callback_id: str
    chat_id: int
    message_id: int
    update_id: int


class Resident:
    """A Telegram user talking to the bot through FakeTelegram."""

    def __init__(self, tg: FakeTelegram, user_id: int = DEFAULT_USER_ID) -> None:
        self.tg = tg
        self.user_id = user_id
        self.presses: list[Press] = []
        self.last_update: dict[str, Any] = {}

    async def deliver(self, update: dict[str, Any], expect: int = 1) -> list[dict[str, Any]]:
        """Queue an update, wait for the bot to handle it, return exactly its `expect` replies."""
        sent_before = len(self.tg.sent)
        calls_before = len(self.tg.calls)
        self.last_update = self.tg.queue_update(update)
        update_id = self.last_update["update_id"]
        if expect:
            await self.tg.wait_for_sent(sent_before + expect, timeout=SETTLE_TIMEOUT)

        # The loop asks for offset update_id + 1 only once the update was handled completely.
        def handled() -> bool:
            return any(
                name.lower() == "getupdates"
                and isinstance(params.get("offset"), int)
                and params["offset"] > update_id
                for name, params in self.tg.calls[calls_before:]
            )

        await eventually(handled, f"update {update_id} to be handled")
        replies = self.tg.sent[sent_before:]
        assert len(replies) == expect, f"expected {expect} replies, got {replies!r}"
        return replies

    async def command(self, name: str, args: str = "", expect: int = 1) -> list[dict[str, Any]]:
        return await self.deliver(command_update(name, args, user_id=self.user_id), expect)

    async def say(self, message: str, expect: int = 1) -> list[dict[str, Any]]:
        return await self.deliver(text_update(message, user_id=self.user_id), expect)

    async def press(self, payload: str, expect: int = 1) -> list[dict[str, Any]]:
        """Press the button carrying `payload` on the newest message that shows it."""
        for index in range(len(self.tg.sent) - 1, -1, -1):
            message = self.tg.sent[index]
            if isinstance(message.get("reply_markup"), dict) and payload in callback_data(message):
                break
        else:
            raise AssertionError(f"no message offers a button {payload!r}")
        # FakeTelegram numbers sent messages 1, 2, 3, ... in the order of `sent`.
        message_id = index + 1
        update = callback_update(
            payload,
            user_id=self.user_id,
            message_text=message["text"],
            message_id=message_id,
            reply_markup=message["reply_markup"],
        )
        replies = await self.deliver(update, expect)
        query = update["callback_query"]
        self.presses.append(
            Press(query["id"], self.user_id, message_id, self.last_update["update_id"])
        )
        return replies


@dataclass
class Flow:
    """What a completed happy path produced."""

    code: str
    label: str
    locality_code: str
    photo_file_id: str
    submit_update: dict[str, Any]


async def happy_path(resident: Resident, localities: LocalityIndex) -> Flow:
    """/start → consent → kind → text → photo → continue → locality → skip group → submit."""
    notice = await resident.command("start", expect=2)
    assert texts_of(notice) == [
        texts.WELCOME,
        texts.PRIVACY_NOTICE.format(version=texts.PRIVACY_NOTICE_VERSION),
    ]
    assert notice[1]["reply_markup"] == {
        "inline_keyboard": [
            [
                {"text": texts.BUTTON_CONSENT_YES, "callback_data": "consent:yes"},
                {"text": texts.BUTTON_CONSENT_NO, "callback_data": "consent:no"},
            ]
        ]
    }
    assert "reply_markup" not in notice[0]

    (kinds,) = await resident.press("consent:yes")
    assert kinds["text"] == texts.CHOOSE_KIND
    assert callback_data(kinds) == [f"kind:{code}" for code in taxonomy.KINDS]

    (ask_text,) = await resident.press("kind:phan_anh")
    limits = IntakeLimits()
    assert ask_text["text"] == texts.ASK_TEXT.format(
        kind=taxonomy.KINDS["phan_anh"], limit=limits.max_text_chars
    )

    (ask_attachments,) = await resident.say(CONTENT)
    assert ask_attachments["text"] == texts.ASK_ATTACHMENTS
    assert callback_data(ask_attachments) == ["att:done"]

    photo = photo_update(user_id=resident.user_id)
    (photo_added,) = await resident.deliver(photo)
    assert photo_added["text"] == texts.ATTACHMENT_PHOTO_ADDED.format(
        count=1, limit=limits.max_photos
    )
    assert callback_data(photo_added) == ["att:done"]

    (ask_locality,) = await resident.press("att:done")
    assert ask_locality["text"] == texts.ASK_LOCALITY
    assert callback_data(ask_locality) == ["loc:skip"]

    best = localities.match(LOCALITY_QUERY, limit=1)[0]
    assert best.exact
    label = best.locality.label
    locality_set, ask_group = await resident.say(LOCALITY_QUERY, expect=2)
    assert locality_set["text"] == texts.LOCALITY_SET.format(label=label)
    assert ask_group["text"] == texts.ASK_GROUP
    assert callback_data(ask_group) == [
        *(f"grp:{code}" for code in taxonomy.TARGET_GROUPS),
        "grp:skip",
    ]

    (summary,) = await resident.press("grp:skip")
    assert summary["text"] == texts.SUMMARY.format(
        kind=taxonomy.KINDS["phan_anh"],
        text=CONTENT,
        attachments=texts.SUMMARY_ATTACHMENTS.format(photos=1, location=""),
        locality=label,
        group=texts.SUMMARY_SKIPPED,
    )
    assert callback_data(summary)[0] == "confirm:submit"

    (receipt,) = await resident.press("confirm:submit")
    found = CODE_PATTERN.search(receipt["text"])
    assert found, receipt
    code = found.group(0)
    assert re.fullmatch(receipt_pattern(code), receipt["text"])
    assert "reply_markup" not in receipt
    assert all(m["chat_id"] == resident.user_id for m in resident.tg.sent)
    largest = max(photo["message"]["photo"], key=lambda p: p["width"] * p["height"])
    return Flow(code, label, best.locality.code, largest["file_id"], resident.last_update)


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(TOKEN) as server:
        yield server


@pytest.fixture
async def poller(tg: FakeTelegram, engine: Engine) -> AsyncIterator[Poller]:
    runner = Poller(tg, engine)
    try:
        yield runner
    finally:
        await runner.stop()


# --- tests --------------------------------------------------------------------------------


async def test_whole_conversation_through_polling(
    tg: FakeTelegram, poller: Poller, db: Database, localities: LocalityIndex
) -> None:
    resident = Resident(tg)
    poller.start()
    flow = await happy_path(resident, localities)

    async with db.unit_of_work() as uow:
        submission = await uow.submissions.get_by_code(flow.code)
    assert submission is not None
    assert submission.kind == "phan_anh"
    assert submission.text == CONTENT
    assert submission.channel == "telegram"
    assert submission.locality_code == flow.locality_code
    assert submission.locality_name == flow.label
    assert submission.target_group is None
    assert submission.status == taxonomy.INITIAL_STATUS
    assert [(a.kind, a.file_id) for a in submission.attachments] == [("photo", flow.photo_file_id)]
    assert [s.code for s in await stored_submissions(db)] == [flow.code]

    # Every pressed button was answered and had its keyboard removed, in order.
    assert len(resident.presses) == 5
    answered = [c["callback_query_id"] for c in tg.calls_of("answerCallbackQuery")]
    assert answered == [p.callback_id for p in resident.presses]
    edits = tg.calls_of("editMessageReplyMarkup")
    assert [(e["chat_id"], e["message_id"]) for e in edits] == [
        (p.chat_id, p.message_id) for p in resident.presses
    ]
    assert all(not (e.get("reply_markup") or {}).get("inline_keyboard") for e in edits)

    await poller.stop()
    last_update_id = flow.submit_update["update_id"]
    assert tg.confirmed_offset == last_update_id + 1
    assert tg.pending_updates == []
    # Polling removed any webhook first.
    assert tg.calls_of("deleteWebhook")


async def test_redelivered_update_changes_nothing(
    tg: FakeTelegram,
    poller: Poller,
    engine: Engine,
    db: Database,
    localities: LocalityIndex,
    clock: Callable[[], datetime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resident = Resident(tg)
    poller.start()
    flow = await happy_path(resident, localities)
    await poller.stop()
    assert tg.confirmed_offset == flow.submit_update["update_id"] + 1

    seen: list[str] = []
    handle = engine.handle

    async def spy(incoming: Incoming) -> list[Outgoing]:
        seen.append(incoming.update_id)
        return await handle(incoming)

    monkeypatch.setattr(engine, "handle", spy)
    sent_before = len(tg.sent)
    # Telegram re-sends the confirm:submit press with the same update_id, e.g. after a crash
    # between storing and confirming; a restarted bot (no offset yet) fetches it again.
    duplicate = json.loads(json.dumps(flow.submit_update))
    tg.queue_update(duplicate)
    poller.start()
    (status,) = await resident.command("trangthai", flow.code)

    assert seen[0] == str(flow.submit_update["update_id"]), "the duplicate never reached the bot"
    created = clock().astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime(texts.DATETIME_FORMAT)
    assert status["text"] == texts.STATUS.format(
        code=flow.code,
        kind=taxonomy.KINDS["phan_anh"],
        created=created,
        status=taxonomy.STATUSES[taxonomy.INITIAL_STATUS],
    )
    # Only the status answer: no second receipt.
    assert len(tg.sent) == sent_before + 1
    assert [s.code for s in await stored_submissions(db)] == [flow.code]
    await poller.stop()
    assert tg.confirmed_offset == resident.last_update["update_id"] + 1


def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURE_DIR / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("fixture", "answer"),
    [
        pytest.param("sticker", texts.UNSUPPORTED["sticker"], id="sticker"),
        pytest.param("voice", texts.UNSUPPORTED["voice"], id="voice"),
        pytest.param("document", texts.UNSUPPORTED["document"], id="document"),
        pytest.param("edited_message", texts.EDITED_MESSAGE, id="edited_message"),
        pytest.param("group_text", texts.GROUP_CHAT, id="group_text"),
    ],
)
async def test_fixture_updates_get_their_answer(
    tg: FakeTelegram, poller: Poller, db: Database, fixture: str, answer: str
) -> None:
    update = _fixture(fixture)
    message = update.get("message") or update["edited_message"]
    poller.start()
    (reply,) = await Resident(tg).deliver(update)

    assert reply["text"] == answer
    assert reply["chat_id"] == message["chat"]["id"]
    assert "reply_markup" not in reply
    assert await stored_submissions(db) == []
    if fixture == "group_text":
        assert await count_rows(db, "people") == 0
        assert await count_rows(db, "conversations") == 0
    await poller.stop()
    assert tg.confirmed_offset == update["update_id"] + 1


# PTB's own RetryAfter constructor reads the deprecated int form of retry_after.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_flood_control_on_get_updates_does_not_end_polling(
    tg: FakeTelegram, engine: Engine
) -> None:
    """A 429 on getUpdates beyond the rate limiter's retries is waited out; polling goes on."""
    get_updates = tg._handlers["getupdates"]
    floods = 0

    async def flooded_once(params: dict[str, Any]) -> Any:
        nonlocal floods
        if floods == 0:
            floods += 1
            return FakeTelegram._error(429, "Too Many Requests: retry after 1", retry_after=1)
        return await get_updates(params)

    tg._handlers["getupdates"] = flooded_once
    poller = Poller(tg, engine, max_retries=0)
    poller.start()
    try:
        notice = await Resident(tg).command("start", expect=2)
        assert floods == 1
        assert notice[1]["text"] == texts.PRIVACY_NOTICE.format(
            version=texts.PRIVACY_NOTICE_VERSION
        )
        assert poller.running
    finally:
        await poller.stop()

"""The Telegram webhook end to end: aiohttp on 127.0.0.1, replies through PTB to FakeTelegram.

Every test runs on SQLite and on PostgreSQL (the `engine`/`db` fixtures).
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot import inbox as inbox_module
from bot.channels.telegram_adapter import TelegramAdapter, make_bot
from bot.inbox import Inbox
from bot.web import MAX_BODY_BYTES, TELEGRAM_SECRET_HEADER, build_web_app
from config import taxonomy, texts
from handlers.intake import Engine, IntakeLimits
from handlers.messages import Incoming, Outgoing
from nlp.locality import LocalityIndex
from storage.db import Database
from tests.dialogue import receipt_pattern
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.telegram_updates import (
    DEFAULT_USER_ID,
    callback_update,
    command_update,
    photo_update,
    text_update,
)
from tests.inbox import running_inbox
from tests.rows import count_rows, row_counts

TOKEN = "135790:WEBHOOK-TEST-TOKEN"
SECRET = "s3cr3t-webhook-token_0123456789"
CONTENT = "Đèn chiếu sáng trên đường Bạch Đằng hỏng cả tuần nay, buổi tối rất nguy hiểm."
LOCALITY_QUERY = "phuong ben thanh"
CODE_PATTERN = re.compile(r"YK-[0-9A-Z]{6}")
TABLES = ("inbound_updates", "conversations", "people", "submissions")


async def stored_codes(db: Database) -> list[str]:
    async with db.unit_of_work() as uow:
        return [s.code async for s in uow.submissions.iter_all()]


def callback_data(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup")
    assert isinstance(markup, dict), f"no inline keyboard on {message!r}"
    return [button["callback_data"] for row in markup["inline_keyboard"] for button in row]


@dataclass
class Posted:
    status: int
    body: Any
    replies: list[dict[str, Any]]
    retry_after: str | None = None


class Webhook:
    """Plays Telegram's part: POSTs updates to the bot's webhook, like Telegram's servers do."""

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, tg: FakeTelegram, inbox: Inbox
    ) -> None:
        self.session = session
        self.inbox = inbox
        self.base_url = base_url
        self.url = f"{base_url}/webhooks/telegram"
        self.tg = tg
        self.user_id = DEFAULT_USER_ID

    async def post(
        self,
        body: dict[str, Any] | list[Any] | bytes,
        *,
        secret: str | None = SECRET,
    ) -> Posted:
        """POST a body (JSON-encoded unless bytes); return status, JSON body and the replies
        sent once the inbox's worker handled it."""
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[TELEGRAM_SECRET_HEADER] = secret
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        before = len(self.tg.sent)
        async with self.session.post(self.url, data=data, headers=headers) as response:
            raw = await response.text()
            payload = json.loads(raw) if response.content_type == "application/json" else raw
            retry_after = response.headers.get("Retry-After")
        await self.inbox.settled()
        return Posted(response.status, payload, self.tg.sent[before:], retry_after)

    async def deliver(self, update: dict[str, Any], expect: int = 1) -> list[dict[str, Any]]:
        """Deliver an update; returns the replies it got."""
        posted = await self.post(update)
        assert posted.status == 200, posted
        assert posted.body == {"ok": True}
        assert len(posted.replies) == expect, posted.replies
        return posted.replies

    def button_update(self, payload: str) -> dict[str, Any]:
        """A press on the newest sent message offering `payload`."""
        for index in range(len(self.tg.sent) - 1, -1, -1):
            message = self.tg.sent[index]
            if isinstance(message.get("reply_markup"), dict) and payload in callback_data(message):
                # FakeTelegram numbers sent messages 1, 2, 3, ... in the order of `sent`.
                return callback_update(
                    payload,
                    user_id=self.user_id,
                    message_text=message["text"],
                    message_id=index + 1,
                    reply_markup=message["reply_markup"],
                    update_id=self.next_update_id(),
                )
        raise AssertionError(f"no message offers a button {payload!r}")

    _last_update_id = 500_000

    def next_update_id(self) -> int:
        self._last_update_id += 1
        return self._last_update_id

    async def press(self, payload: str, expect: int = 1) -> list[dict[str, Any]]:
        return await self.deliver(self.button_update(payload), expect)

    async def command(self, name: str, expect: int = 1) -> list[dict[str, Any]]:
        update = command_update(name, user_id=self.user_id, update_id=self.next_update_id())
        return await self.deliver(update, expect)

    async def say(self, message: str, expect: int = 1) -> list[dict[str, Any]]:
        update = text_update(message, user_id=self.user_id, update_id=self.next_update_id())
        return await self.deliver(update, expect)


async def walk_to_summary(hook: Webhook, localities: LocalityIndex) -> str:
    """/start → consent → kind → text → photo → continue → locality → skip group; the label."""
    notice = await hook.command("start", expect=2)
    assert [m["text"] for m in notice] == [
        texts.WELCOME,
        texts.PRIVACY_NOTICE.format(version=texts.PRIVACY_NOTICE_VERSION),
    ]
    assert callback_data(notice[1]) == ["consent:yes", "consent:no"]

    (kinds,) = await hook.press("consent:yes")
    assert kinds["text"] == texts.CHOOSE_KIND
    assert callback_data(kinds) == [f"kind:{code}" for code in taxonomy.KINDS]

    limits = IntakeLimits()
    (ask_text,) = await hook.press("kind:phan_anh")
    assert ask_text["text"] == texts.ASK_TEXT.format(
        kind=taxonomy.KINDS["phan_anh"], limit=limits.max_text_chars
    )
    (ask_attachments,) = await hook.say(CONTENT)
    assert ask_attachments["text"] == texts.ASK_ATTACHMENTS
    assert callback_data(ask_attachments) == ["att:done"]

    photo = photo_update(user_id=hook.user_id, update_id=hook.next_update_id())
    (photo_added,) = await hook.deliver(photo)
    assert photo_added["text"] == texts.ATTACHMENT_PHOTO_ADDED.format(
        count=1, limit=limits.max_photos
    )
    (ask_locality,) = await hook.press("att:done")
    assert ask_locality["text"] == texts.ASK_LOCALITY

    best = localities.match(LOCALITY_QUERY, limit=1)[0]
    assert best.exact
    label = best.locality.label
    locality_set, ask_group = await hook.say(LOCALITY_QUERY, expect=2)
    assert locality_set["text"] == texts.LOCALITY_SET.format(label=label)
    assert ask_group["text"] == texts.ASK_GROUP
    assert callback_data(ask_group)[-1] == "grp:skip"

    (summary,) = await hook.press("grp:skip")
    assert summary["text"] == texts.SUMMARY.format(
        kind=taxonomy.KINDS["phan_anh"],
        text=CONTENT,
        attachments=texts.SUMMARY_ATTACHMENTS.format(photos=1, location=""),
        locality=label,
        group=texts.SUMMARY_SKIPPED,
    )
    assert callback_data(summary)[0] == "confirm:submit"
    return label


def receipt_code(message: dict[str, Any]) -> str:
    found = CODE_PATTERN.search(message["text"])
    assert found, message
    assert re.fullmatch(receipt_pattern(found.group(0)), message["text"])
    return found.group(0)


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(TOKEN) as server:
        yield server


async def _serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def adapter(tg: FakeTelegram, engine: Engine) -> AsyncIterator[TelegramAdapter]:
    telegram = TelegramAdapter(make_bot(tg.token, tg.root_url), engine)
    async with telegram.bot:
        yield telegram


@pytest.fixture
async def inbox(db: Database, engine: Engine) -> AsyncIterator[Inbox]:
    """The inbox the webhook stores updates in, its worker running."""
    async with running_inbox(db, engine.clock) as running:
        yield running


@pytest.fixture
async def hook(tg: FakeTelegram, adapter: TelegramAdapter, inbox: Inbox) -> AsyncIterator[Webhook]:
    app = build_web_app(inbox, telegram=adapter, telegram_secret=SECRET)
    async for base_url in _serve(app):
        async with aiohttp.ClientSession() as session:
            yield Webhook(session, base_url, tg, inbox)


# --- tests --------------------------------------------------------------------------------


async def test_whole_conversation_through_webhook(
    hook: Webhook, tg: FakeTelegram, db: Database, localities: LocalityIndex
) -> None:
    label = await walk_to_summary(hook, localities)
    (receipt,) = await hook.press("confirm:submit")
    code = receipt_code(receipt)

    async with db.unit_of_work() as uow:
        submission = await uow.submissions.get_by_code(code)
    assert submission is not None
    assert (submission.kind, submission.text, submission.locality_name) == (
        "phan_anh",
        CONTENT,
        label,
    )
    assert submission.channel == "telegram"
    assert [a.kind for a in submission.attachments] == ["photo"]
    assert await stored_codes(db) == [code]
    assert all(m["chat_id"] == DEFAULT_USER_ID for m in tg.sent)
    # Each of the five presses was answered and its keyboard removed.
    assert len(tg.calls_of("answerCallbackQuery")) == 5
    assert len(tg.calls_of("editMessageReplyMarkup")) == 5


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param("wrong-secret", id="wrong"),
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param(SECRET[:-1], id="prefix"),
    ],
)
async def test_bad_secret_is_forbidden_and_changes_nothing(
    hook: Webhook, tg: FakeTelegram, db: Database, secret: str | None
) -> None:
    calls_before = list(tg.calls)
    posted = await hook.post(command_update("start", update_id=7), secret=secret)
    assert posted.status == 403
    assert posted.replies == []
    assert tg.calls == calls_before  # nothing was sent to Telegram at all
    assert await row_counts(db, TABLES) == dict.fromkeys(TABLES, 0)


async def test_empty_configured_secret_never_matches(
    tg: FakeTelegram, adapter: TelegramAdapter, db: Database, inbox: Inbox
) -> None:
    app = build_web_app(inbox, telegram=adapter, telegram_secret="")
    async for base_url in _serve(app):
        async with aiohttp.ClientSession() as session:
            webhook = Webhook(session, base_url, tg, inbox)
            posted = await webhook.post(command_update("start"), secret="")
    assert posted.status == 403
    assert tg.sent == []
    assert await row_counts(db, TABLES) == dict.fromkeys(TABLES, 0)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"update_id": 1, "message": ', id="truncated"),
        pytest.param(b"not json at all", id="text"),
        pytest.param(b"\xff\xfe\x00", id="not-utf8"),
        pytest.param(b"", id="empty"),
    ],
)
async def test_malformed_json_is_bad_request(
    hook: Webhook, tg: FakeTelegram, db: Database, body: bytes
) -> None:
    posted = await hook.post(body)
    assert posted.status == 400
    assert posted.body == {"ok": False, "error": "malformed JSON"}
    assert tg.sent == []
    assert await row_counts(db, TABLES) == dict.fromkeys(TABLES, 0)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param([command_update("start", update_id=8)], id="list"),
        pytest.param({"message": command_update("start")["message"]}, id="no-update_id"),
        pytest.param({**command_update("start"), "update_id": "8"}, id="string-update_id"),
        pytest.param("update", id="string"),
        pytest.param(None, id="null"),
        pytest.param({"update_id": 8, "message": {"message_id": 1}}, id="incomplete-message"),
        pytest.param({"update_id": 8, "message": "xin chao"}, id="message-is-a-string"),
    ],
)
async def test_json_that_is_not_an_update_is_bad_request(
    hook: Webhook, tg: FakeTelegram, db: Database, body: Any
) -> None:
    posted = await hook.post(json.dumps(body).encode())
    assert posted.status == 400
    assert posted.body == {"ok": False, "error": "not an update"}
    assert tg.sent == []
    assert await row_counts(db, TABLES) == dict.fromkeys(TABLES, 0)


async def test_body_over_one_megabyte_is_too_large(
    hook: Webhook, tg: FakeTelegram, db: Database
) -> None:
    update = text_update("a" * MAX_BODY_BYTES, update_id=9)
    body = json.dumps(update).encode()
    assert len(body) > MAX_BODY_BYTES
    posted = await hook.post(body)
    assert posted.status == 413
    assert tg.sent == []
    assert await row_counts(db, TABLES) == dict.fromkeys(TABLES, 0)


async def test_redelivered_update_has_one_effect(
    hook: Webhook, tg: FakeTelegram, db: Database, localities: LocalityIndex
) -> None:
    await walk_to_summary(hook, localities)
    submit = hook.button_update("confirm:submit")

    first = await hook.post(submit)
    second = await hook.post(submit)  # Telegram re-delivers the same update_id

    assert (first.status, second.status) == (200, 200)
    (receipt,) = first.replies
    code = receipt_code(receipt)
    assert second.replies == []
    assert await stored_codes(db) == [code]
    receipts = [m for m in tg.sent if CODE_PATTERN.search(m["text"])]
    assert receipts == [receipt]


async def test_healthz(hook: Webhook) -> None:
    async with hook.session.get(f"{hook.base_url}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok"}


async def test_readyz_says_whether_webhooks_would_be_stored(
    hook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def ready() -> tuple[int, dict[str, str]]:
        async with hook.session.get(f"{hook.base_url}/readyz") as response:
            return response.status, await response.json()

    async def until_ready(expected: tuple[int, dict[str, str]]) -> None:
        for _ in range(100):  # the inbox counts every 0.5 s
            if await ready() == expected:
                return
            await asyncio.sleep(0.1)
        assert await ready() == expected

    await until_ready((200, {"status": "ready"}))
    hook.inbox.limit = 0
    assert await ready() == (503, {"status": "unavailable", "reason": "full"})
    hook.inbox.limit = 10_000
    assert await ready() == (200, {"status": "ready"})

    async def unreachable() -> int:
        raise OSError("connection refused")

    # The database stops answering: ready no more once the last good count is too old.
    monkeypatch.setattr(inbox_module, "READY_WITHIN_SECONDS", 0.5)
    counting = hook.inbox.store.pending
    monkeypatch.setattr(hook.inbox.store, "pending", unreachable)
    await until_ready((503, {"status": "unavailable", "reason": "database"}))
    monkeypatch.setattr(hook.inbox.store, "pending", counting)
    await until_ready((200, {"status": "ready"}))


async def test_failed_processing_is_retried_from_the_inbox_and_answered_once(
    hook: Webhook,
    tg: FakeTelegram,
    engine: Engine,
    db: Database,
    localities: LocalityIndex,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await walk_to_summary(hook, localities)
    submit = hook.button_update("confirm:submit")

    handle = engine.handle
    failures: list[str] = []

    async def fails_once(incoming: Incoming) -> list[Outgoing]:
        if not failures:
            failures.append(incoming.update_id)
            raise RuntimeError("database went away")
        return await handle(incoming)

    monkeypatch.setattr(engine, "handle", fails_once)

    # Stored before the 200: the worker's first try fails, its retry a second later succeeds.
    first = await hook.post(submit)
    assert first.status == 200
    assert failures == [str(submit["update_id"])]
    (receipt,) = first.replies
    code = receipt_code(receipt)
    assert await stored_codes(db) == [code]

    again = await hook.post(submit)  # Telegram re-delivers: stored again, handled as a no-op
    assert again.status == 200
    assert again.replies == []
    assert await stored_codes(db) == [code]
    assert await count_rows(db, "inbox") == 0


async def test_a_full_inbox_answers_503_until_the_worker_drained_it(
    tg: FakeTelegram, adapter: TelegramAdapter, db: Database, engine: Engine
) -> None:
    inbox = Inbox(db, engine.clock, limit=1)  # its worker not started yet
    app = build_web_app(inbox, telegram=adapter, telegram_secret=SECRET)
    async for base_url in _serve(app):
        async with aiohttp.ClientSession() as session:
            post = functools.partial(session.post, f"{base_url}/webhooks/telegram")
            headers = {TELEGRAM_SECRET_HEADER: SECRET}
            first = command_update("start", update_id=1)
            second = command_update("start", user_id=DEFAULT_USER_ID + 1, update_id=2)
            async with post(json=first, headers=headers) as response:
                assert response.status == 200
            async with post(json=second, headers=headers) as response:
                assert response.status == 503
                assert response.headers["Retry-After"] == "5"
                assert await response.json() == {"ok": False, "error": "busy"}
            assert await count_rows(db, "inbox") == 1  # the first only
            assert tg.sent == []

            stop = asyncio.Event()
            worker = asyncio.create_task(inbox.run(stop))
            await inbox.settled()
            async with post(json=second, headers=headers) as response:  # Telegram's retry
                assert response.status == 200
            await inbox.settled()
            stop.set()
            await worker
    assert {m["chat_id"] for m in tg.sent} == {DEFAULT_USER_ID, DEFAULT_USER_ID + 1}
    assert await count_rows(db, "inbound_updates") == 2

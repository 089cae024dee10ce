"""The Zalo Bot Platform channel end to end: our aiohttp client against FakeZaloBot over HTTP.

Tests that touch the database run on SQLite and on PostgreSQL (the `engine`/`db` fixtures).
Replies are compared against `config.texts`, with the choices as numbered lines since Zalo has
no buttons; residents answer by typing the numbers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import text

from bot.channels.zalo_bot import (
    MAX_ATTEMPTS_PER_UPDATE,
    MAX_TEXT_LENGTH,
    SECRET_HEADER,
    ZaloBotAdapter,
    ZaloBotClient,
    ZaloBotError,
)
from bot.inbox import Inbox
from bot.web import MAX_BODY_BYTES, build_web_app
from config import taxonomy, texts
from handlers.intake import Engine, IntakeLimits
from handlers.messages import Button, Incoming, Outgoing
from storage.db import Database
from tests.dialogue import receipt_pattern
from tests.fakes.zalo_bot_server import (
    DEFAULT_GROUP_ID,
    DEFAULT_PHOTO_URL,
    DEFAULT_USER_ID,
    FakeZaloBot,
    event_update,
    image_update,
    sticker_update,
    text_update,
    voice_update,
    wrap,
)
from tests.inbox import running_inbox
from tests.rows import count_rows, row_counts

TOKEN = "2718281828459045235:zalo-POLLING-test_token"
SECRET = "zalo-webhook-s3cret_0123456789"
CONTENT = "Cống thoát nước đầu hẻm 45 đường Lê Lợi bị tắc, mỗi lần mưa nước tràn vào nhà dân."
CODE_PATTERN = re.compile(r"YK-[0-9A-Z]{6}")
SETTLE_TIMEOUT = 10.0
TABLES = ("inbox", "inbound_updates", "conversations", "people", "submissions")
WEBHOOK_PATH = "/webhooks/zalo-bot"

Deliver = Callable[[dict[str, Any], int], Awaitable[list[dict[str, Any]]]]


# --- helpers ------------------------------------------------------------------------------


async def stored_codes(db: Database) -> list[str]:
    """Reference codes of every stored submission."""
    async with db.unit_of_work() as uow:
        return [s.code async for s in uow.submissions.iter_all()]


def numbered(prompt: str, *labels: str) -> str:
    """A prompt with its choices as numbered lines, as a Zalo resident sees it."""
    return Outgoing("-", prompt, tuple((Button(label, label),) for label in labels)).as_plain_text()


def texts_of(messages: list[dict[str, Any]]) -> list[str]:
    """The texts of sent messages."""
    return [m["text"] for m in messages]


def make_adapter(
    zalo: FakeZaloBot, engine: Engine, session: aiohttp.ClientSession, **options: Any
) -> ZaloBotAdapter:
    """An adapter on a fresh client, with short waits so that retries do not slow the tests."""
    client = ZaloBotClient(session, zalo.token, zalo.base_url, request_timeout=5.0)
    settings: dict[str, Any] = {
        "webhook_secret": SECRET,
        "poll_timeout": 1,
        "send_interval": 0.001,
        "retry_delay": 0.01,
        "max_backoff": 0.05,
    }
    settings.update(options)
    return ZaloBotAdapter(client, engine, **settings)


class Poller:
    """Runs `adapter.poll(stop)` as a task."""

    def __init__(self, zalo: FakeZaloBot, adapter: ZaloBotAdapter) -> None:
        self.zalo = zalo
        self.adapter = adapter
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> Poller:
        assert self._task is None, "already polling"
        self._task = asyncio.create_task(self.adapter.poll(self._stop))
        return self

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        """Ask the loop to stop and wait for it; re-raises whatever killed the loop."""
        if self._task is None:
            return
        self._stop.set()
        self.zalo.release_polls()  # end the pending long poll now rather than after its timeout
        task, self._task = self._task, None
        await asyncio.wait_for(task, SETTLE_TIMEOUT)

    async def deliver(self, update: dict[str, Any], expect: int = 1) -> list[dict[str, Any]]:
        """Queue an update, wait until the bot is done with it; exactly its `expect` replies."""
        before = len(self.zalo.sent)
        self.zalo.queue_update(update)
        await self.zalo.wait_until_handled(update, SETTLE_TIMEOUT)
        replies = self.zalo.sent[before:]
        assert len(replies) == expect, f"expected {expect} replies, got {replies!r}"
        return replies


class Hook:
    """Plays Zalo's part for our webhook: POSTs updates and collects what the bot sent back."""

    def __init__(self, zalo: FakeZaloBot, url: str, inbox: Inbox, *, wrapped: bool = True) -> None:
        self.zalo = zalo
        self.url = url
        self.inbox = inbox
        self.wrapped = wrapped

    async def post(
        self,
        update: dict[str, Any] | None,
        *,
        secret: str | None = SECRET,
        raw: bytes | None = None,
    ) -> tuple[int, Any, list[dict[str, Any]]]:
        """Status, body and the replies sent once the inbox's worker handled the update."""
        before = len(self.zalo.sent)
        status, body = await self.zalo.post_webhook(
            self.url, update, secret=secret, wrapped=self.wrapped, raw=raw
        )
        await self.inbox.settled()
        return status, body, self.zalo.sent[before:]

    async def deliver(self, update: dict[str, Any], expect: int = 1) -> list[dict[str, Any]]:
        """Deliver an update; its replies are sent once the inbox's worker handled it."""
        status, body, replies = await self.post(update)
        assert (status, body) == (200, {"ok": True})
        assert len(replies) == expect, f"expected {expect} replies, got {replies!r}"
        return replies


async def serve(app: web.Application) -> AsyncIterator[str]:
    """Serve `app` on a free port of 127.0.0.1; yields its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


def webhook_app(adapter: ZaloBotAdapter, inbox: Inbox) -> web.Application:
    """Our web app with the adapter's webhook route, storing in `inbox`."""
    return build_web_app(inbox, zalo_bot=adapter)


async def intake(deliver: Deliver, submit: dict[str, Any] | None = None) -> str:
    """/start, consent, kind, content, photo, skip locality and group, submit; the code.

    Every choice is typed as its number, as on Zalo; `submit` is the update that types "1" on
    the summary (a new one when not given).
    """
    limits = IntakeLimits()
    notice = await deliver(text_update("/start"), 2)
    assert texts_of(notice) == [
        texts.WELCOME,
        numbered(
            texts.PRIVACY_NOTICE.format(version=texts.PRIVACY_NOTICE_VERSION),
            texts.BUTTON_CONSENT_YES,
            texts.BUTTON_CONSENT_NO,
        ),
    ]
    assert notice[1]["text"].endswith(
        f"\n1. {texts.BUTTON_CONSENT_YES}\n2. {texts.BUTTON_CONSENT_NO}"
    )

    (kinds,) = await deliver(text_update("1"), 1)
    assert kinds["text"] == numbered(texts.CHOOSE_KIND, *taxonomy.KINDS.values())

    kind_number = list(taxonomy.KINDS).index("phan_anh") + 1
    (ask_text,) = await deliver(text_update(str(kind_number)), 1)
    assert ask_text["text"] == texts.ASK_TEXT.format(
        kind=taxonomy.KINDS["phan_anh"], limit=limits.max_text_chars
    )

    (ask_attachments,) = await deliver(text_update(CONTENT), 1)
    assert ask_attachments["text"] == numbered(texts.ASK_ATTACHMENTS, texts.BUTTON_CONTINUE)

    (photo_added,) = await deliver(image_update(), 1)
    assert photo_added["text"] == numbered(
        texts.ATTACHMENT_PHOTO_ADDED.format(count=1, limit=limits.max_photos),
        texts.BUTTON_CONTINUE,
    )

    (ask_locality,) = await deliver(text_update("1"), 1)
    assert ask_locality["text"] == numbered(texts.ASK_LOCALITY, texts.BUTTON_SKIP)

    (ask_group,) = await deliver(text_update("1"), 1)  # skip the locality
    assert ask_group["text"] == numbered(
        texts.ASK_GROUP, *taxonomy.TARGET_GROUPS.values(), texts.BUTTON_SKIP
    )

    skip_group = len(taxonomy.TARGET_GROUPS) + 1
    (summary,) = await deliver(text_update(str(skip_group)), 1)
    assert summary["text"] == numbered(
        texts.SUMMARY.format(
            kind=taxonomy.KINDS["phan_anh"],
            text=CONTENT,
            attachments=texts.SUMMARY_ATTACHMENTS.format(photos=1, location=""),
            locality=texts.SUMMARY_SKIPPED,
            group=texts.SUMMARY_SKIPPED,
        ),
        texts.BUTTON_SUBMIT,
        texts.BUTTON_EDIT_TEXT,
        texts.BUTTON_EDIT_KIND,
        texts.BUTTON_EDIT_LOCALITY,
        texts.BUTTON_EDIT_GROUP,
        texts.BUTTON_CANCEL,
    )

    (receipt,) = await deliver(submit or text_update("1"), 1)
    return receipt_code(receipt)


def receipt_code(message: dict[str, Any]) -> str:
    """The reference code of a receipt, which must match the receipt text exactly."""
    found = CODE_PATTERN.search(message["text"])
    assert found, message
    assert re.fullmatch(receipt_pattern(found.group(0)), message["text"])
    return found.group(0)


async def assert_stored(db: Database, code: str) -> None:
    """The submission of `intake` was stored once, with its photo."""
    async with db.unit_of_work() as uow:
        submission = await uow.submissions.get_by_code(code)
    assert submission is not None
    assert (submission.kind, submission.text, submission.channel) == (
        "phan_anh",
        CONTENT,
        "zalo_bot",
    )
    assert submission.locality_code is None
    assert submission.target_group is None
    assert submission.status == taxonomy.INITIAL_STATUS
    assert [(a.kind, a.file_id) for a in submission.attachments] == [("photo", DEFAULT_PHOTO_URL)]
    assert await stored_codes(db) == [code]


def assert_plain_replies_to(zalo: FakeZaloBot, chat_id: str) -> None:
    """Every reply went to the resident's chat as plain text within Zalo's limit."""
    assert zalo.sent
    for message in zalo.sent:
        assert message["chat_id"] == chat_id
        assert set(message) == {"chat_id", "text"}  # no parse_mode: user content is plain
        assert 1 <= len(message["text"]) <= MAX_TEXT_LENGTH


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_secrets_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """No log line of any test shows the token (it is in every API URL) or the secret."""
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="bot.channels.zalo_bot")
    yield
    assert TOKEN not in caplog.text
    assert SECRET not in caplog.text


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZaloBot]:
    """The fake Bot API."""
    async with FakeZaloBot(TOKEN) as server:
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """The one client session the caller owns."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def client(zalo: FakeZaloBot, session: aiohttp.ClientSession) -> ZaloBotClient:
    """A client pointed at the fake."""
    return ZaloBotClient(session, zalo.token, zalo.base_url, request_timeout=5.0)


@pytest.fixture
def adapter(zalo: FakeZaloBot, engine: Engine, session: aiohttp.ClientSession) -> ZaloBotAdapter:
    """The adapter under test."""
    return make_adapter(zalo, engine, session)


@pytest.fixture
async def poller(zalo: FakeZaloBot, adapter: ZaloBotAdapter) -> AsyncIterator[Poller]:
    """A poller of `adapter`, stopped at the end of the test."""
    runner = Poller(zalo, adapter)
    try:
        yield runner
    finally:
        await runner.stop()


@pytest.fixture
async def inbox(db: Database, engine: Engine) -> AsyncIterator[Inbox]:
    """The inbox webhooks store updates in, its worker running."""
    async with running_inbox(db, engine.clock) as running:
        yield running


@pytest.fixture
async def webhook_url(adapter: ZaloBotAdapter, inbox: Inbox) -> AsyncIterator[str]:
    """The URL of `adapter`'s webhook on a live server."""
    async for base_url in serve(webhook_app(adapter, inbox)):
        yield base_url + WEBHOOK_PATH


@pytest.fixture
def hook(zalo: FakeZaloBot, webhook_url: str, inbox: Inbox) -> Hook:
    """Zalo posting wrapped updates to our webhook."""
    return Hook(zalo, webhook_url, inbox)


# --- the client ---------------------------------------------------------------------------


async def test_client_calls_post_json_to_the_token_path(
    zalo: FakeZaloBot, client: ZaloBotClient
) -> None:
    me = await client.get_me()
    assert me["account_name"] == "bot.ykien_test"
    await client.send_message(DEFAULT_USER_ID, "Xin chào {bạn}")
    assert zalo.sent == [{"chat_id": DEFAULT_USER_ID, "text": "Xin chào {bạn}"}]

    await client.set_webhook("https://ykien.example.vn/webhooks/zalo_bot", SECRET)
    assert zalo.webhook == {
        "url": "https://ykien.example.vn/webhooks/zalo_bot",
        "secret_token": SECRET,
    }
    info = await client.get_webhook_info()
    assert info["url"] == "https://ykien.example.vn/webhooks/zalo_bot"
    # Polling and a webhook are exclusive.
    with pytest.raises(ZaloBotError) as conflict:
        await client.get_updates(0)
    assert conflict.value.code == 409
    await client.delete_webhook()
    assert zalo.webhook is None
    assert (await client.get_webhook_info())["url"] == ""
    assert [name for name, _ in zalo.calls] == [
        "getMe",
        "sendMessage",
        "setWebhook",
        "getWebhookInfo",
        "getUpdates",
        "deleteWebhook",
        "getWebhookInfo",
    ]


async def test_set_webhook_checks_the_secret_length(client: ZaloBotClient) -> None:
    with pytest.raises(ValueError, match="8 to 256"):
        await client.set_webhook("https://ykien.example.vn/hook", "short")


async def test_get_updates_returns_one_update_then_none(
    zalo: FakeZaloBot, client: ZaloBotClient
) -> None:
    first, second = text_update("một"), text_update("hai")
    zalo.queue_update(first)
    zalo.queue_update(second)
    assert await client.get_updates(1) == first
    assert await client.get_updates(1) == second
    assert await client.get_updates(0) is None
    assert zalo.calls_of("getUpdates")[0] == {"timeout": 1}


@pytest.mark.parametrize("http_status", [408, 200], ids=["http-408", "http-200-ok-false"])
async def test_empty_long_poll_is_none_not_an_error(http_status: int) -> None:
    async with (
        FakeZaloBot(TOKEN, empty_poll_status=http_status) as zalo,
        aiohttp.ClientSession() as session,
    ):
        client = ZaloBotClient(session, TOKEN, zalo.base_url)
        assert await client.get_updates(0) is None
        # A long poll that waits and then runs out is the same.
        poll = asyncio.create_task(client.get_updates(30))
        await zalo.wait_for_calls("getUpdates", 2)
        zalo.release_polls()
        assert await asyncio.wait_for(poll, SETTLE_TIMEOUT) is None
    assert zalo.empty_polls == 2


async def test_long_poll_http_timeout_exceeds_the_poll(
    zalo: FakeZaloBot, client: ZaloBotClient
) -> None:
    """A 2 s long poll on a client whose other calls time out after 0.5 s still succeeds."""
    client.request_timeout = 0.5
    update = text_update("muộn")

    async def queue_late() -> None:
        await zalo.wait_for_calls("getUpdates", 1)
        await asyncio.sleep(0.8)  # longer than request_timeout, well within the poll
        zalo.queue_update(update)

    late = asyncio.create_task(queue_late())
    assert await client.get_updates(2) == update
    await late


@pytest.mark.parametrize(
    ("status", "code"),
    [(500, 500), (429, 429), (400, 400)],
)
async def test_error_envelopes_raise(
    zalo: FakeZaloBot, client: ZaloBotClient, status: int, code: int
) -> None:
    zalo.fail_next(1, status=status, description="Nope")
    with pytest.raises(ZaloBotError) as raised:
        await client.send_message(DEFAULT_USER_ID, "xin chào")
    assert (raised.value.code, raised.value.status, raised.value.description) == (
        code,
        status,
        "Nope",
    )
    assert zalo.sent == []


async def test_ok_false_with_http_200_is_an_error(session: aiohttp.ClientSession) -> None:
    """HTTP 2xx is not enough: the envelope decides."""

    async def answer(request: web.Request) -> web.Response:
        if request.match_info["method"] == "getMe":
            return web.json_response({"ok": False, "error_code": 403, "description": "Forbidden"})
        return web.Response(text="<html>bad gateway</html>", content_type="text/html")

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", answer)
    async for base_url in serve(app):
        client = ZaloBotClient(session, TOKEN, base_url)
        with pytest.raises(ZaloBotError) as forbidden:
            await client.get_me()
        assert (forbidden.value.code, forbidden.value.status) == (403, 200)
        with pytest.raises(ZaloBotError) as not_json:
            await client.send_message(DEFAULT_USER_ID, "x")
        assert not_json.value.status == 200
        assert not_json.value.code is None


async def test_wrong_token_is_unauthorized_and_never_quoted(
    zalo: FakeZaloBot, session: aiohttp.ClientSession
) -> None:
    client = ZaloBotClient(session, TOKEN + "x", zalo.base_url)
    with pytest.raises(ZaloBotError) as raised:
        await client.get_me()
    assert (raised.value.code, raised.value.status) == (401, 401)
    assert TOKEN not in str(raised.value) and TOKEN not in repr(raised.value)
    assert zalo.calls == []


async def test_unreachable_server_error_hides_the_url(session: aiohttp.ClientSession) -> None:
    # A port that was free a moment ago: nothing listens there.
    app = web.Application()
    async for base_url in serve(app):
        dead = base_url
    client = ZaloBotClient(session, TOKEN, dead, request_timeout=2.0)
    with pytest.raises(ZaloBotError) as raised:
        await client.send_message(DEFAULT_USER_ID, "xin chào")
    error = raised.value
    assert error.status == 0 and error.is_transient
    assert error.__cause__ is None and error.__suppress_context__
    for shown in (str(error), repr(error), error.description):
        assert TOKEN not in shown
        assert dead.split("//")[1] not in shown


# --- long polling -------------------------------------------------------------------------


def info_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every log line at INFO or above, tracebacks included."""
    lines = []
    for record in caplog.records:
        if record.levelno >= logging.INFO:
            lines.append(record.getMessage() + (record.exc_text or ""))
    return lines


async def test_whole_intake_over_polling(
    zalo: FakeZaloBot, poller: Poller, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    # A webhook left from an earlier deployment: polling must remove it first.
    zalo.webhook = {"url": "https://old.example.vn/hook", "secret_token": SECRET}
    poller.start()
    code = await intake(poller.deliver)

    await assert_stored(db, code)
    assert_plain_replies_to(zalo, DEFAULT_USER_ID)
    assert zalo.calls[0][0] == "deleteWebhook"
    assert zalo.webhook is None
    assert all(payload == {"timeout": 1} for payload in zalo.calls_of("getUpdates"))
    # Personal data stays out of the logs: neither the content nor the numbers typed.
    assert info_lines(caplog), "the test should see the bot's log lines"
    for line in info_lines(caplog):
        assert CONTENT not in line
        assert CONTENT[:30] not in line
        assert DEFAULT_PHOTO_URL not in line


@pytest.mark.parametrize("http_status", [408, 200], ids=["http-408", "http-200-ok-false"])
async def test_empty_polls_are_not_errors(
    engine: Engine,
    session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    http_status: int,
) -> None:
    async with FakeZaloBot(TOKEN, max_poll_seconds=0.01, empty_poll_status=http_status) as zalo:
        poller = Poller(zalo, make_adapter(zalo, engine, session)).start()
        try:
            await zalo.wait_for_calls("getUpdates", 5, timeout=SETTLE_TIMEOUT)
            assert zalo.empty_polls >= 4
            assert poller.running
            assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
            notice = await poller.deliver(text_update("/start"), 2)
            assert notice[0]["text"] == texts.WELCOME
        finally:
            await poller.stop()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_polling_backs_off_on_server_errors_and_recovers(
    zalo: FakeZaloBot, poller: Poller, caplog: pytest.LogCaptureFixture
) -> None:
    zalo.fail_next(1, status=502, methods=("deleteWebhook",))
    zalo.fail_next(3, status=500, methods=("getUpdates",))
    zalo.fail_next(1, status=429, methods=("getUpdates",))
    poller.start()

    notice = await poller.deliver(text_update("/start"), 2)

    assert notice[0]["text"] == texts.WELCOME
    assert zalo.rejected == [("deleteWebhook", 502)] + [("getUpdates", 500)] * 3 + [
        ("getUpdates", 429)
    ]
    assert len(zalo.calls_of("deleteWebhook")) == 2
    assert poller.running
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 5
    assert all("retrying in" in r.getMessage() for r in warnings)


async def test_poll_backoff_doubles_to_a_minute_and_resets_on_success(
    zalo: FakeZaloBot,
    engine: Engine,
    session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The waits the loop asks for (recorded, not slept): 1 s doubling to 60 s, reset after."""
    waits: list[float] = []

    async def record(stop: asyncio.Event, seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(0)

    monkeypatch.setattr("bot.channels.zalo_bot._sleep_or_stop", record)
    adapter = make_adapter(zalo, engine, session, retry_delay=1.0, max_backoff=60.0)
    zalo.fail_next(8, status=503, methods=("getUpdates",))
    first = zalo.queue_update(text_update("/start"))
    poller = Poller(zalo, adapter).start()
    try:
        await zalo.wait_until_handled(first, SETTLE_TIMEOUT)
        assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
        zalo.fail_next(2, status=503, methods=("getUpdates",))
        second = zalo.queue_update(text_update("/trogiup"))
        await zalo.wait_until_handled(second, SETTLE_TIMEOUT)
    finally:
        await poller.stop()
    assert waits[8:] == [1.0, 2.0]
    assert [m["text"] for m in zalo.sent][-1] == texts.HELP


def spy_on_engine(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, *, fail: Callable[[Incoming], bool]
) -> list[str]:
    """Record the update ids reaching the engine; raise for those `fail` picks."""
    seen: list[str] = []
    handle = engine.handle

    async def spy(incoming: Incoming) -> list[Outgoing]:
        seen.append(incoming.update_id)
        if fail(incoming):
            raise RuntimeError("database went away")
        return await handle(incoming)

    monkeypatch.setattr(engine, "handle", spy)
    return seen


async def test_failing_update_is_retried_before_polling_again(
    zalo: FakeZaloBot,
    poller: Poller,
    engine: Engine,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    polls_seen: list[int] = []

    def fail_twice(incoming: Incoming) -> bool:
        polls_seen.append(zalo.poll_count)
        return len(polls_seen) <= 2

    seen = spy_on_engine(engine, monkeypatch, fail=fail_twice)
    update = text_update("/start")
    poller.start()

    notice = await poller.deliver(update, 2)

    assert notice[0]["text"] == texts.WELCOME
    message_id = update["message"]["message_id"]
    assert seen == [message_id] * 3
    # getUpdates has no offset: the retries used the kept update, no new poll in between.
    assert len(set(polls_seen)) == 1
    assert await count_rows(db, "inbound_updates") == 1
    retries = [r for r in caplog.records if "will retry" in r.getMessage()]
    assert len(retries) == 2
    assert all(r.levelno == logging.ERROR for r in retries)


async def test_update_is_given_up_after_max_attempts(
    zalo: FakeZaloBot,
    poller: Poller,
    engine: Engine,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    doomed = text_update("/start")
    doomed_id = doomed["message"]["message_id"]
    seen = spy_on_engine(engine, monkeypatch, fail=lambda i: i.update_id == doomed_id)
    poller.start()

    await poller.deliver(doomed, 0)
    notice = await poller.deliver(text_update("/start"), 2)

    assert seen[:MAX_ATTEMPTS_PER_UPDATE] == [doomed_id] * MAX_ATTEMPTS_PER_UPDATE
    assert seen[MAX_ATTEMPTS_PER_UPDATE:] != [doomed_id]
    assert notice[0]["text"] == texts.WELCOME
    assert poller.running
    given_up = [r for r in caplog.records if "given up" in r.getMessage()]
    assert len(given_up) == 1 and given_up[0].levelno == logging.ERROR
    assert doomed_id in given_up[0].getMessage()
    assert await count_rows(db, "inbound_updates") == 1


async def test_repeated_message_in_one_poller_is_skipped(
    zalo: FakeZaloBot,
    poller: Poller,
    engine: Engine,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = spy_on_engine(engine, monkeypatch, fail=lambda i: False)
    update = text_update("/start")
    poller.start()

    first = await poller.deliver(update, 2)
    again = await poller.deliver(json.loads(json.dumps(update)), 0)

    assert texts_of(first)[0] == texts.WELCOME
    assert again == []
    assert seen == [update["message"]["message_id"]]  # the repeat never reached the engine
    assert await count_rows(db, "inbound_updates") == 1


# --- webhook ------------------------------------------------------------------------------


@pytest.mark.parametrize("wrapped", [True, False], ids=["wrapped", "unwrapped"])
async def test_whole_intake_over_webhook(
    zalo: FakeZaloBot, webhook_url: str, inbox: Inbox, db: Database, wrapped: bool
) -> None:
    hook = Hook(zalo, webhook_url, inbox, wrapped=wrapped)
    code = await intake(hook.deliver)

    await assert_stored(db, code)
    assert_plain_replies_to(zalo, DEFAULT_USER_ID)
    assert zalo.calls_of("getUpdates") == []


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param("wrong-secret-value", id="wrong"),
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param(SECRET[:-1], id="prefix"),
        pytest.param(SECRET + "x", id="longer"),
    ],
)
async def test_bad_secret_is_forbidden_and_stores_nothing(
    hook: Hook, zalo: FakeZaloBot, db: Database, secret: str | None
) -> None:
    status, body, replies = await hook.post(text_update("/start"), secret=secret)
    assert (status, body) == (403, {"ok": False})
    assert replies == []
    assert zalo.calls == []  # not even an answer went to Zalo
    assert await row_counts(db, TABLES) == dict.fromkeys(TABLES, 0)


async def test_empty_configured_secret_never_matches(
    zalo: FakeZaloBot,
    engine: Engine,
    session: aiohttp.ClientSession,
    db: Database,
    inbox: Inbox,
) -> None:
    adapter = make_adapter(zalo, engine, session, webhook_secret="")
    async for base_url in serve(webhook_app(adapter, inbox)):
        status, _, replies = await Hook(zalo, base_url + WEBHOOK_PATH, inbox).post(
            text_update("/start"), secret=""
        )
        assert status == 403
        assert replies == []
    assert await row_counts(db, TABLES) == dict.fromkeys(TABLES, 0)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"ok": true, "result": {"event_name": ', id="truncated"),
        pytest.param(b"not json at all", id="text"),
        pytest.param(b"\xff\xfe\x00", id="not-utf8"),
        pytest.param(b"", id="empty"),
    ],
)
async def test_malformed_json_is_bad_request(
    hook: Hook, zalo: FakeZaloBot, db: Database, raw: bytes
) -> None:
    status, body, replies = await hook.post(None, raw=raw)
    assert (status, body) == (400, {"ok": False, "error": "malformed JSON"})
    assert replies == []
    assert await row_counts(db, TABLES) == dict.fromkeys(TABLES, 0)


def _no_sender() -> dict[str, Any]:
    """A text update whose message lacks `from`."""
    update = text_update("/start")
    del update["message"]["from"]
    return update


@pytest.mark.parametrize(
    "body",
    [
        pytest.param([wrap(text_update("/start"))], id="list"),
        pytest.param(None, id="null"),
        pytest.param("message.text.received", id="string"),
        pytest.param({"ok": False, "error_code": 408, "description": "x"}, id="error-envelope"),
        pytest.param({"ok": True, "result": {"message": {}}}, id="no-event_name"),
        pytest.param({"message": text_update("/start")["message"]}, id="bare-message"),
        pytest.param(wrap(_no_sender()), id="known-event-without-sender"),
        pytest.param({"event_name": "message.text.received"}, id="known-event-without-message"),
    ],
)
async def test_json_that_is_not_an_update_is_bad_request(
    hook: Hook, zalo: FakeZaloBot, db: Database, body: Any
) -> None:
    status, answer, replies = await hook.post(None, raw=json.dumps(body).encode())
    assert (status, answer) == (400, {"ok": False, "error": "not an update"})
    assert replies == []
    assert await row_counts(db, TABLES) == dict.fromkeys(TABLES, 0)


async def test_body_over_one_megabyte_is_too_large(
    hook: Hook, zalo: FakeZaloBot, db: Database, session: aiohttp.ClientSession
) -> None:
    raw = json.dumps(wrap(text_update("a" * MAX_BODY_BYTES))).encode()
    assert len(raw) > MAX_BODY_BYTES
    status, _, replies = await hook.post(None, raw=raw)
    assert status == 413
    assert replies == []

    # Without a Content-Length (chunked), aiohttp notices only while reading: still 413.
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(raw), 64 * 1024):
            yield raw[start : start + 64 * 1024]

    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    async with session.post(hook.url, data=chunks(), headers=headers) as response:
        assert response.status == 413
    assert zalo.sent == []
    assert await row_counts(db, TABLES) == dict.fromkeys(TABLES, 0)


@pytest.mark.parametrize("wrapped", [True, False], ids=["wrapped", "unwrapped"])
@pytest.mark.parametrize(
    "update",
    [
        pytest.param(event_update("user.follow"), id="follow"),
        pytest.param({"event_name": "bot.webhook.test"}, id="no-message"),
        pytest.param(event_update("message.reaction.received", text="bí mật"), id="reaction"),
    ],
)
async def test_unknown_event_is_acknowledged_and_ignored(
    zalo: FakeZaloBot,
    webhook_url: str,
    inbox: Inbox,
    db: Database,
    caplog: pytest.LogCaptureFixture,
    update: dict[str, Any],
    wrapped: bool,
) -> None:
    status, body, replies = await Hook(zalo, webhook_url, inbox, wrapped=wrapped).post(update)
    assert (status, body) == (200, {"ok": True})
    assert replies == []
    assert zalo.calls == []
    assert await row_counts(db, TABLES) == dict.fromkeys(TABLES, 0)
    ignored = [r.getMessage() for r in caplog.records if "ignored" in r.getMessage()]
    assert len(ignored) == 1 and update["event_name"] in ignored[0]
    assert "bí mật" not in caplog.text


async def test_unknown_or_malformed_updates_over_polling_are_skipped(
    zalo: FakeZaloBot, poller: Poller, db: Database
) -> None:
    poller.start()
    await poller.deliver(event_update("user.follow"), 0)
    await poller.deliver(_no_sender(), 0)
    (help_text,) = await poller.deliver(text_update("/trogiup"), 1)
    assert help_text["text"] == texts.HELP
    assert await count_rows(db, "inbound_updates") == 1
    assert poller.running


@pytest.mark.parametrize(
    ("update", "answer"),
    [
        pytest.param(sticker_update(), texts.UNSUPPORTED["sticker"], id="sticker"),
        pytest.param(voice_update(), texts.UNSUPPORTED["voice"], id="voice"),
        pytest.param(
            event_update("message.unsupported.received"), texts.UNSUPPORTED["other"], id="other"
        ),
    ],
)
async def test_stickers_and_voice_get_the_polite_answer(
    hook: Hook, db: Database, update: dict[str, Any], answer: str
) -> None:
    (reply,) = await hook.deliver(update, 1)
    assert reply == {"chat_id": DEFAULT_USER_ID, "text": answer}
    assert await count_rows(db, "submissions") == 0


async def test_group_chat_is_asked_to_write_privately(
    hook: Hook, zalo: FakeZaloBot, db: Database
) -> None:
    update = text_update("Nhờ Mặt trận xem giúp con đường này", chat_id=DEFAULT_GROUP_ID)
    update["message"]["chat"]["chat_type"] = "GROUP"
    (reply,) = await hook.deliver(update, 1)
    assert reply == {"chat_id": DEFAULT_GROUP_ID, "text": texts.GROUP_CHAT}
    assert await count_rows(db, "people") == 0
    assert await count_rows(db, "conversations") == 0


async def test_engine_failure_is_retried_from_the_inbox_and_answered_once(
    hook: Hook,
    zalo: FakeZaloBot,
    engine: Engine,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failures: list[str] = []

    def fail_once(incoming: Incoming) -> bool:
        failures.append(incoming.update_id)
        return len(failures) == 1

    spy_on_engine(engine, monkeypatch, fail=fail_once)
    update = text_update("/start")

    # Stored before the 200; the worker's first try fails, its retry (after 1 s) succeeds.
    stored = await hook.post(update)
    assert stored[:2] == (200, {"ok": True})
    assert len(failures) == 2
    assert texts_of(stored[2])[0] == texts.WELCOME

    again = await hook.post(update)
    assert again == (200, {"ok": True}, [])
    assert await count_rows(db, "inbound_updates") == 1
    assert await count_rows(db, "inbox") == 0


# --- the same message twice ---------------------------------------------------------------


async def test_same_message_by_webhook_and_by_polling_has_one_effect(
    zalo: FakeZaloBot,
    hook: Hook,
    engine: Engine,
    session: aiohttp.ClientSession,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another process polling (its own adapter, nothing in memory) gets a handled message."""
    update = text_update("/start")
    first = await hook.deliver(update, 2)
    rows = await row_counts(db, TABLES)

    seen = spy_on_engine(engine, monkeypatch, fail=lambda i: False)
    other = Poller(zalo, make_adapter(zalo, engine, session)).start()
    try:
        again = await other.deliver(json.loads(json.dumps(update)), 0)
        status = await other.deliver(text_update("/trogiup"), 1)
    finally:
        await other.stop()

    assert texts_of(first)[0] == texts.WELCOME
    assert again == []
    assert seen[0] == update["message"]["message_id"]  # the engine's claim turned it away
    assert texts_of(status) == [texts.HELP]
    assert await count_rows(db, "inbound_updates") == rows["inbound_updates"] + 1


async def test_submission_delivered_four_times_is_stored_once(
    zalo: FakeZaloBot,
    hook: Hook,
    engine: Engine,
    session: aiohttp.ClientSession,
    db: Database,
    inbox: Inbox,
) -> None:
    submit = text_update("1")
    code = await intake(hook.deliver, submit)
    receipts = [m for m in zalo.sent if CODE_PATTERN.search(m["text"])]
    assert len(receipts) == 1

    # Zalo re-delivers to the same process, to another process, and a poller sees it too.
    assert await hook.post(submit) == (200, {"ok": True}, [])
    other = make_adapter(zalo, engine, session)
    async for base_url in serve(webhook_app(other, inbox)):
        again = await Hook(zalo, base_url + WEBHOOK_PATH, inbox, wrapped=False).post(submit)
        assert again == (200, {"ok": True}, [])
    poller = Poller(zalo, make_adapter(zalo, engine, session)).start()
    try:
        await poller.deliver(json.loads(json.dumps(submit)), 0)
    finally:
        await poller.stop()

    await assert_stored(db, code)
    assert [m for m in zalo.sent if CODE_PATTERN.search(m["text"])] == receipts


# --- sending ------------------------------------------------------------------------------


async def test_long_replies_are_split_at_2000_characters(
    zalo: FakeZaloBot, adapter: ZaloBotAdapter
) -> None:
    words = " ".join(f"ý-kiến-{i}" for i in range(700))
    solid = "x" * 4500
    assert len(words) > 2 * MAX_TEXT_LENGTH
    choices = (tuple(Button(f"Lựa chọn {i}", f"c:{i}") for i in range(1, 4)),)

    await adapter.send(
        [
            Outgoing(DEFAULT_USER_ID, words),
            Outgoing(DEFAULT_USER_ID, solid),
            Outgoing(DEFAULT_USER_ID, "Chọn một:", choices),
        ]
    )

    chunks = texts_of(zalo.sent)
    assert all(1 <= len(chunk) <= MAX_TEXT_LENGTH for chunk in chunks)
    in_words = [c for c in chunks if c.startswith("ý-kiến")]
    in_solid = [c for c in chunks if set(c) == {"x"}]
    assert len(in_words) >= 3 and len(in_solid) == 3
    assert chunks == [*in_words, *in_solid, chunks[-1]]  # in order, nothing else
    assert " ".join(in_words) == words
    assert "".join(in_solid) == solid
    assert chunks[-1] == "Chọn một:\n\n1. Lựa chọn 1\n2. Lựa chọn 2\n3. Lựa chọn 3"


async def test_long_engine_reply_is_split(zalo: FakeZaloBot, poller: Poller, db: Database) -> None:
    """/dulieucuatoi lists every submission in full: well over 2,000 characters here."""
    poller.start()
    code = await intake(poller.deliver)
    await assert_stored(db, code)
    # Lengthen the stored text to force a split, as a 5,000-character submission would.
    long_text = (CONTENT + " ") * 40
    async with db.engine.begin() as conn:
        await conn.execute(text("UPDATE submissions SET text = :t"), {"t": long_text.strip()})
    update = text_update("/dulieucuatoi")
    sent_before = len(zalo.sent)
    zalo.queue_update(update)
    await zalo.wait_until_handled(update, SETTLE_TIMEOUT)
    chunks = texts_of(zalo.sent[sent_before:])
    assert len(chunks) >= 2
    assert all(len(chunk) <= MAX_TEXT_LENGTH for chunk in chunks)
    joined = " ".join(" ".join(chunks).split())
    assert code in joined
    assert joined.count(CONTENT) == 40


async def test_rate_limited_sends_back_off_and_are_delivered(
    zalo: FakeZaloBot, adapter: ZaloBotAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    zalo.fail_next(2, status=429, methods=("sendMessage",))
    await adapter.send([Outgoing(DEFAULT_USER_ID, "một"), Outgoing(DEFAULT_USER_ID, "hai")])
    assert texts_of(zalo.sent) == ["một", "hai"]
    assert zalo.rejected == [("sendMessage", 429)] * 2
    assert len(zalo.calls_of("sendMessage")) == 4
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2


async def test_send_retries_are_bounded_and_other_replies_still_go(
    zalo: FakeZaloBot,
    engine: Engine,
    session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    adapter = make_adapter(zalo, engine, session, max_send_retries=2)
    private = "Số điện thoại của tôi là 0987654321"
    zalo.fail_next(3, status=429, methods=("sendMessage",))
    await adapter.send([Outgoing("chat-a", private), Outgoing("chat-b", "tiếp theo")])
    assert zalo.sent == [{"chat_id": "chat-b", "text": "tiếp theo"}]
    assert len(zalo.calls_of("sendMessage")) == 4  # three tries for chat-a, one for chat-b
    dropped = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(dropped) == 1
    assert "chat-a" in dropped[0].getMessage()
    assert "0987654321" not in caplog.text


async def test_permanent_error_drops_one_reply_and_not_the_others(
    zalo: FakeZaloBot, adapter: ZaloBotAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    zalo.fail_next(1, status=403, description="Forbidden: user blocked the bot")
    long_reply = "dài " * 800  # two chunks: the second is not sent once the first failed
    await adapter.send(
        [
            Outgoing("chat-blocked", long_reply),
            Outgoing("chat-ok", "một"),
            Outgoing("chat-ok", "hai"),
        ]
    )
    assert zalo.sent == [
        {"chat_id": "chat-ok", "text": "một"},
        {"chat_id": "chat-ok", "text": "hai"},
    ]
    assert len(zalo.calls_of("sendMessage")) == 3  # a permanent error is not retried
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "chat-blocked" in errors[0].getMessage()
    assert "dài" not in caplog.text


async def test_sends_are_spaced_by_the_bot_interval(
    zalo: FakeZaloBot, engine: Engine, session: aiohttp.ClientSession
) -> None:
    """Five messages at one per 50 ms cannot take less than four intervals (a lower bound)."""
    adapter = make_adapter(zalo, engine, session, send_interval=0.05)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await adapter.send([Outgoing(DEFAULT_USER_ID, f"tin {i}") for i in range(5)])
    elapsed = loop.time() - started
    assert texts_of(zalo.sent) == [f"tin {i}" for i in range(5)]
    assert elapsed >= 4 * 0.05 - 0.005

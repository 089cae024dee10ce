"""Tests proving FakeTelegram works with python-telegram-bot's real HTTPX client."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import time
import warnings
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import Conflict, EndPointNotFound, InvalidToken, RetryAfter
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes
from telegram.warnings import PTBDeprecationWarning

from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.telegram_updates import (
    FIXTURE_DIR,
    build_fixtures,
    callback_update,
    command_update,
    contact_update,
    group_text_update,
    photo_update,
    text_update,
    video_update,
)

TOKEN = "123456:TEST-TOKEN"


@pytest_asyncio.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """Run a FakeTelegram for one test."""
    async with FakeTelegram(TOKEN) as server:
        yield server


@pytest_asyncio.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    """Give an initialized PTB Bot pointed at the fake server."""
    async with Bot(TOKEN, base_url=tg.base_url, base_file_url=tg.base_file_url) as client:
        yield client


def _retry_after_seconds(error: RetryAfter) -> float:
    """Read RetryAfter.retry_after in seconds, whether PTB gives an int or a timedelta."""
    # PTB 22 warns when the int form is read because it plans to switch to timedelta.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        period = error.retry_after
    return period.total_seconds() if isinstance(period, dtm.timedelta) else float(period)


@pytest.mark.asyncio
async def test_async_with_bot_runs_get_me(tg: FakeTelegram) -> None:
    """Initializing a Bot calls getMe and yields the fake bot identity."""
    async with Bot(TOKEN, base_url=tg.base_url, base_file_url=tg.base_file_url) as client:
        assert client.id == 123456
        assert client.username == "ykien_test_bot"
        assert client.first_name == "ykien test"
    assert [name.lower() for name, _ in tg.calls] == ["getme"]
    assert tg.root_url.startswith("http://127.0.0.1:")


@pytest.mark.asyncio
async def test_send_message_records_decoded_params(tg: FakeTelegram, bot: Bot) -> None:
    """sendMessage params arrive decoded: ints as ints, reply_markup as dict, text kept as str."""
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Góp ý", callback_data="kind:opinion")]])
    first = await bot.send_message(chat_id=42, text="123", reply_markup=keyboard)
    second = await bot.send_message(chat_id=42, text="Cảm ơn bạn!")

    assert len(tg.sent) == 2
    params = tg.sent[0]
    assert params["chat_id"] == 42
    # A numeric-looking text must not be turned into a number.
    assert params["text"] == "123"
    assert params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Góp ý", "callback_data": "kind:opinion"}]]
    }
    assert first.text == "123"
    assert first.chat.id == 42
    assert first.chat.type == "private"
    assert first.from_user is not None and first.from_user.is_bot
    assert first.reply_markup == keyboard
    assert second.message_id == first.message_id + 1
    assert second.reply_markup is None


@pytest.mark.asyncio
async def test_edit_and_simple_methods(tg: FakeTelegram, bot: Bot) -> None:
    """Edits return the stored message updated; true-returning methods return True."""
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])
    sent = await bot.send_message(chat_id=7, text="Câu hỏi", reply_markup=keyboard)

    edited = await bot.edit_message_text("Đã nhận", chat_id=7, message_id=sent.message_id)
    assert edited.text == "Đã nhận"
    assert edited.message_id == sent.message_id
    # Telegram drops the inline keyboard when an edit does not resend it.
    assert edited.reply_markup is None

    remarked = await bot.edit_message_reply_markup(
        chat_id=7, message_id=sent.message_id, reply_markup=keyboard
    )
    assert remarked.text == "Đã nhận"
    assert remarked.reply_markup == keyboard

    assert await bot.answer_callback_query("4242424242", text="Đã ghi nhận") is True
    assert await bot.send_chat_action(chat_id=7, action="typing") is True
    assert await bot.delete_message(chat_id=7, message_id=sent.message_id) is True
    assert tg.calls_of("answerCallbackQuery")[0]["callback_query_id"] == "4242424242"
    assert tg.calls_of("sendChatAction")[0] == {"chat_id": 7, "action": "typing"}


@pytest.mark.asyncio
async def test_get_updates_returns_updates_and_confirms_offset(tg: FakeTelegram, bot: Bot) -> None:
    """Queued updates come back as telegram.Update and are dropped once confirmed by offset."""
    first = tg.queue_update(text_update("xin chào"))
    second = tg.queue_update(callback_update("kind:complaint"))
    assert second["update_id"] == first["update_id"] + 1

    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [first["update_id"], second["update_id"]]
    assert all(isinstance(u, Update) for u in updates)
    assert updates[0].message is not None and updates[0].message.text == "xin chào"
    assert updates[1].callback_query is not None
    assert updates[1].callback_query.data == "kind:complaint"

    # Unconfirmed updates are delivered again.
    assert len(await bot.get_updates(offset=first["update_id"], timeout=0)) == 2

    remaining = await bot.get_updates(offset=first["update_id"] + 1, timeout=0)
    assert [u.update_id for u in remaining] == [second["update_id"]]
    assert await bot.get_updates(offset=second["update_id"] + 1, timeout=0) == ()
    assert tg.confirmed_offset == second["update_id"] + 1
    assert tg.pending_updates == []


@pytest.mark.asyncio
async def test_get_updates_limit(tg: FakeTelegram, bot: Bot) -> None:
    """The limit parameter caps the batch size."""
    for index in range(5):
        tg.queue_update(text_update(f"tin {index}"))
    updates = await bot.get_updates(limit=2, timeout=0)
    assert [u.message.text for u in updates if u.message] == ["tin 0", "tin 1"]


@pytest.mark.asyncio
async def test_long_poll_wakes_on_queued_update(tg: FakeTelegram, bot: Bot) -> None:
    """A long poll returns as soon as an update is queued instead of waiting its timeout."""
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await asyncio.sleep(0.1)
    assert not poll.done()
    started = time.monotonic()
    tg.queue_update(text_update("đến ngay"))
    updates = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 0.5
    assert [u.message.text for u in updates if u.message] == ["đến ngay"]


@pytest.mark.asyncio
async def test_long_poll_is_capped_at_one_second(tg: FakeTelegram, bot: Bot) -> None:
    """An empty long poll with a big timeout returns after about one second."""
    started = time.monotonic()
    assert await bot.get_updates(timeout=30) == ()
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 2.0


@pytest.mark.asyncio
async def test_wrong_token_raises_invalid_token(tg: FakeTelegram) -> None:
    """A token the fake does not know answers 401, which PTB maps to InvalidToken."""
    wrong = Bot("999999:WRONG-TOKEN", base_url=tg.base_url, base_file_url=tg.base_file_url)
    with pytest.raises(InvalidToken):
        async with wrong:
            pass
    assert tg.calls == []


@pytest.mark.asyncio
async def test_unknown_method_is_not_found(tg: FakeTelegram, bot: Bot) -> None:
    """Methods the fake does not implement answer 404 like Telegram."""
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendSomethingNew", api_kwargs={"chat_id": 1})
    assert tg.calls[-1] == ("sendSomethingNew", {"chat_id": 1})


@pytest.mark.asyncio
async def test_rate_limit_raises_retry_after() -> None:
    """With flood control on, a burst beyond the rate gets 429 / RetryAfter(1)."""
    async with (
        FakeTelegram(TOKEN, rate_limit_per_second=1) as server,
        Bot(TOKEN, base_url=server.base_url) as client,
    ):
        await client.send_message(chat_id=5, text="một")
        with pytest.raises(RetryAfter) as caught:
            await client.send_message(chat_id=5, text="hai")
        assert _retry_after_seconds(caught.value) == 1
        assert server.rejected_429 == 1
        assert [p["text"] for p in server.sent] == ["một"]
        # Rejected calls are still visible in the call log.
        assert len(server.calls_of("sendMessage")) == 2


@pytest.mark.asyncio
async def test_webhook_blocks_get_updates(tg: FakeTelegram, bot: Bot) -> None:
    """getUpdates conflicts while a webhook is set and works again after deleting it."""
    assert await bot.set_webhook("https://ykien.example/tg", secret_token="123456")
    assert tg.webhook is not None
    assert tg.webhook["url"] == "https://ykien.example/tg"
    assert tg.webhook["secret_token"] == "123456"
    info = await bot.get_webhook_info()
    assert info.url == "https://ykien.example/tg"

    tg.queue_update(text_update("chờ"))
    with pytest.raises(Conflict):
        await bot.get_updates(timeout=0)

    assert await bot.delete_webhook()
    assert tg.webhook is None
    assert (await bot.get_webhook_info()).pending_update_count == 1
    assert len(await bot.get_updates(timeout=0)) == 1


@pytest.mark.asyncio
async def test_delete_webhook_can_drop_pending_updates(tg: FakeTelegram, bot: Bot) -> None:
    """deleteWebhook(drop_pending_updates=True) discards the queue, as at polling start-up."""
    tg.queue_update(text_update("cũ"))
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates(timeout=0) == ()


@pytest.mark.asyncio
async def test_json_query_and_case_insensitive_requests(tg: FakeTelegram) -> None:
    """JSON bodies and query strings decode like form bodies; method names ignore case."""
    async with aiohttp.ClientSession() as session:
        markup = json.dumps({"inline_keyboard": []})
        url = f"{tg.base_url}{TOKEN}/SENDMESSAGE"
        payload = {"chat_id": 9, "text": "json", "reply_markup": markup}
        async with session.post(url, json=payload) as response:
            body = await response.json()
        assert body["ok"] is True
        assert body["result"]["text"] == "json"

        async with session.get(f"{tg.base_url}{TOKEN}/sendMessage?chat_id=10&text=true") as resp:
            assert resp.status == 200

        async with session.get(f"{tg.base_url}{TOKEN}/nope") as resp:
            assert resp.status == 404
            assert await resp.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }

    assert tg.sent[0] == {"chat_id": 9, "text": "json", "reply_markup": {"inline_keyboard": []}}
    assert tg.sent[1] == {"chat_id": 10, "text": "true"}


@pytest.mark.asyncio
async def test_wait_for_sent_reports_what_was_sent(tg: FakeTelegram, bot: Bot) -> None:
    """wait_for_sent returns once enough messages exist and fails loudly otherwise."""
    waiter = asyncio.create_task(tg.wait_for_sent(1, timeout=2))
    await bot.send_message(chat_id=3, text="một")
    assert [p["text"] for p in await waiter] == ["một"]

    with pytest.raises(AssertionError, match="got 1"):
        await tg.wait_for_sent(2, timeout=0.1)


@pytest.mark.asyncio
async def test_application_polling_round_trip(tg: FakeTelegram) -> None:
    """A PTB Application polling the fake receives a /start and its reply is recorded."""

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Reply to /start."""
        assert update.effective_message is not None
        await update.effective_message.reply_text("Chào bạn!")

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        update = tg.queue_update(command_update("start", user_id=555))
        sent = await tg.wait_for_sent(1)
        await app.updater.stop()
        await app.stop()

    assert sent[0]["chat_id"] == 555
    assert sent[0]["text"] == "Chào bạn!"
    assert tg.confirmed_offset == update["update_id"] + 1


def _expect_text(update: Update) -> bool:
    """Check the text fixture."""
    return update.message is not None and update.message.text == (
        "Đường ngõ 12 bị ngập mỗi khi mưa to"
    )


def _expect_command(update: Update) -> bool:
    """Check the /start fixture, including its bot_command entity."""
    message = update.message
    return (
        message is not None
        and message.text == "/start"
        and message.entities[0].type == "bot_command"
        and message.parse_entity(message.entities[0]) == "/start"
    )


FIXTURE_CHECKS: dict[str, Callable[[Update], bool]] = {
    "text": _expect_text,
    "command_start": _expect_command,
    "callback": lambda u: (
        u.callback_query is not None
        and u.callback_query.data == "category:infrastructure"
        and u.callback_query.message is not None
    ),
    "photo_caption": lambda u: (
        u.message is not None
        and len(u.message.photo) == 3
        and u.message.photo[-1].width == 1280
        and u.message.caption == "Ổ gà trước cổng trường"
    ),
    "location": lambda u: (
        u.message is not None
        and u.message.location is not None
        and abs(u.message.location.latitude - 21.028511) < 1e-9
    ),
    "sticker": lambda u: u.message is not None and u.message.sticker is not None,
    "voice": lambda u: (
        u.message is not None
        and u.message.voice is not None
        and u.message.voice.mime_type == "audio/ogg"
    ),
    "document": lambda u: (
        u.message is not None
        and u.message.document is not None
        and u.message.document.file_name == "don_kien_nghi.pdf"
    ),
    "edited_message": lambda u: (
        u.edited_message is not None and u.message is None and u.edited_message.edit_date
    ),
    "group_text": lambda u: (
        u.effective_chat is not None
        and u.effective_chat.type == "group"
        and u.effective_chat.id < 0
        and u.message is not None
        and u.message.text is not None
    ),
}


def test_fixture_set_is_complete() -> None:
    """Every fixture file has a check, and the files match what the builders produce."""
    files = {path.stem for path in Path(FIXTURE_DIR).glob("*.json")}
    assert set(FIXTURE_CHECKS) <= files
    for name, update in build_fixtures().items():
        on_disk = json.loads((FIXTURE_DIR / f"{name}.json").read_text(encoding="utf-8"))
        # Regenerate with `python -m tests.fakes.telegram_updates` when builders change.
        assert on_disk == update, f"{name}.json is stale"


@pytest.mark.parametrize("name", sorted(FIXTURE_CHECKS))
def test_fixture_parses_with_ptb(name: str) -> None:
    """Each fixture parses with Update.de_json into the expected attribute."""
    # de_json needs a Bot only to attach it to objects; no request is made.
    bot = Bot(TOKEN)
    data: dict[str, Any] = json.loads((FIXTURE_DIR / f"{name}.json").read_text(encoding="utf-8"))
    update = Update.de_json(data, bot)
    assert update.update_id == data["update_id"]
    assert FIXTURE_CHECKS[name](update)


@pytest.mark.parametrize(
    "build, attribute",
    [
        (lambda: photo_update(), "photo"),
        (lambda: video_update("clip"), "video"),
        (lambda: contact_update(), "contact"),
        (lambda: group_text_update("chào cả nhà"), "text"),
    ],
)
@pytest.mark.asyncio
async def test_builders_without_update_id_get_one_from_queue(
    tg: FakeTelegram, bot: Bot, build: Callable[[], dict[str, Any]], attribute: str
) -> None:
    """Builders omit update_id; queue_update assigns it and PTB parses the result."""
    raw = build()
    assert "update_id" not in raw
    queued = tg.queue_update(raw)
    (update,) = await bot.get_updates(timeout=0)
    assert update.update_id == queued["update_id"]
    assert update.message is not None
    assert getattr(update.message, attribute)


@pytest.mark.asyncio
async def test_multipart_upload_is_decoded(tg: FakeTelegram, bot: Bot) -> None:
    """Multipart bodies (PTB uses them for uploads) decode like form bodies, files included."""
    upload = InputFile(b"%PDF-1.4 fake", filename="don.pdf")
    # An unimplemented method answers 404 after recording the call; the name avoids PTB's
    # "use Bot.send_document instead" warning for known methods.
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request(
            "uploadEvidence", api_kwargs={"chat_id": 77, "caption": "42", "document": upload}
        )
    method, params = tg.calls[-1]
    assert method == "uploadEvidence"
    assert params["chat_id"] == 77
    assert params["caption"] == "42"
    assert params["document"]["filename"] == "don.pdf"
    assert params["document"]["content"] == b"%PDF-1.4 fake"

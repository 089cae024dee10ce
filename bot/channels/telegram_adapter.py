"""Telegram through python-telegram-bot 22, used as a transport only.

PTB's `Bot` does the HTTP (and `AIORateLimiter` the flood control); conversation state is ours.
The polling loop is ours too: PTB's `Updater` confirms an offset as soon as it fetched the
update, so a crash mid-update would lose it. Here an offset is confirmed only after the update
was committed, and a re-delivered update is a no-op in the engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from datetime import datetime, timedelta
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import MessageLimit
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from handlers.intake import Engine
from handlers.messages import (
    Attachment,
    Event,
    Incoming,
    Outgoing,
    UserRef,
    location,
    split_text,
)

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
# Kinds of message we recognise but do not take, each with its own answer. A document is taken
# as a consultation's draft; the engine answers it as unsupported anywhere else.
UNSUPPORTED_KINDS = ("sticker", "voice", "audio", "video", "video_note", "contact")
MAX_ATTEMPTS_PER_UPDATE = 5


def make_bot(
    token: str, api_base_url: str, *, max_retries: int = 3, send_rate: float = 29.0
) -> ExtBot[Any]:
    """A PTB bot pointed at `api_base_url` (Telegram's, or a fake one in tests)."""
    base = api_base_url.rstrip("/")
    return ExtBot(
        token,
        base_url=f"{base}/bot",
        base_file_url=f"{base}/file/bot",
        request=HTTPXRequest(connection_pool_size=32),
        get_updates_request=HTTPXRequest(read_timeout=60),
        # One message every 1/send_rate s, without bursts: a bucket of 30 lets a burst and the
        # next second's messages into one second, and each 429 then costs a pause of over a
        # second.
        rate_limiter=AIORateLimiter(
            overall_max_rate=1, overall_time_period=1 / send_rate, max_retries=max_retries
        ),
    )


def _str(value: Any) -> str | None:
    """A text field as Telegram sends it; None for anything else (PTB does not check types)."""
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    """A whole-number field (an id, a size); None for anything else."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def to_incoming(update: Update, received_at: datetime) -> Incoming | None:
    """Normalise a Telegram update; None for updates the bot does not act on.

    PTB builds its objects from whatever JSON came, without checking types: a field of the
    wrong type is dropped (or the update ignored when it is an id), never a crash.
    """
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or _int(user.id) is None or _int(chat.id) is None:
        return None
    base: dict[str, Any] = {
        "user": UserRef(CHANNEL, str(user.id)),
        "chat_id": str(chat.id),
        "update_id": str(update.update_id),
        "received_at": received_at,
        "is_private": chat.type == "private",
    }
    query = update.callback_query
    if query is not None:
        pressed = _int(query.message.message_id) if query.message is not None else None
        return Incoming(
            event=Event.BUTTON,
            payload=_str(query.data) or "",
            message_id="" if pressed is None else str(pressed),
            **base,
        )
    if update.edited_message is not None:
        return Incoming(event=Event.EDITED, **base)
    message = update.message
    if message is None:
        return None
    return Incoming(**_message_fields(message), **base)


def _message_fields(message: Message) -> dict[str, Any]:
    text = _str(message.text) or ""
    caption = _str(message.caption) or ""
    if text.startswith("/"):
        head, _, args = text.partition(" ")
        command = head[1:].split("@", 1)[0].lower()
        return {"event": Event.COMMAND, "text": text, "command": command, "args": args.strip()}
    photos = [p for p in message.photo or () if _str(getattr(p, "file_id", None))]
    if photos:
        largest = max(
            photos,
            key=lambda p: ((_int(p.width) or 0) * (_int(p.height) or 0), _int(p.file_size) or 0),
        )
        photo = Attachment(
            kind="photo",
            file_id=largest.file_id,
            file_unique_id=_str(largest.file_unique_id),
            width=_int(largest.width),
            height=_int(largest.height),
            file_size=_int(largest.file_size),
        )
        return {"event": Event.PHOTO, "text": caption, "attachment": photo}
    if message.location is not None:
        where = location(message.location.latitude, message.location.longitude)
        if where is None:
            return {"event": Event.UNSUPPORTED, "unsupported": "other"}
        return {"event": Event.LOCATION, "attachment": where}
    if _str(message.text) is not None:
        return {"event": Event.TEXT, "text": text}
    document = message.document
    if document is not None and _str(document.file_id):
        attachment = Attachment(
            kind="document",
            file_id=document.file_id,
            file_unique_id=_str(document.file_unique_id),
            file_size=_int(document.file_size),
            file_name=_str(document.file_name),
            mime_type=_str(document.mime_type),
        )
        return {"event": Event.DOCUMENT, "text": caption, "attachment": attachment}
    for kind in UNSUPPORTED_KINDS:
        if getattr(message, kind, None):
            return {"event": Event.UNSUPPORTED, "unsupported": kind}
    return {"event": Event.UNSUPPORTED, "unsupported": "other"}


def reply_markup(outgoing: Outgoing) -> InlineKeyboardMarkup | None:
    """Inline keyboard for an outgoing message's buttons."""
    if not outgoing.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.payload) for b in row]
            for row in outgoing.buttons
        ]
    )


class TelegramAdapter:
    """Feeds Telegram updates to the engine and sends its replies back."""

    def __init__(self, bot: ExtBot[Any], engine: Engine, *, poll_timeout: int = 30) -> None:
        self.bot = bot
        self.engine = engine
        self.poll_timeout = poll_timeout

    async def take(self, payload: dict[str, Any], received_at: datetime) -> None:
        """Handle an update the webhook stored in the inbox (bot.inbox)."""
        await self.process(Update.de_json(payload, self.bot), received_at)

    async def process(self, update: Update, received_at: datetime | None = None) -> None:
        """Handle one update end to end; raises if it could not be stored (so it is retried)."""
        incoming = to_incoming(update, received_at or self.engine.clock())
        if incoming is None:
            logger.debug("update %s ignored", update.update_id)
            return
        replies = await self.engine.handle(incoming)
        if update.callback_query is not None:
            # A reply that edits the pressed message sets its keyboard itself.
            edited = any(
                reply.edit_message_id == incoming.message_id and reply.chat_id == incoming.chat_id
                for reply in replies
            )
            await self._settle_button(update.callback_query, keep_keyboard=edited)
        await self.send(replies)

    async def _settle_button(self, query: CallbackQuery, *, keep_keyboard: bool = False) -> None:
        # Stop the client's spinner and remove the pressed keyboard, so it cannot be reused.
        try:
            await query.answer()
            if query.message is not None and not keep_keyboard:
                await self.bot.edit_message_reply_markup(
                    chat_id=query.message.chat.id, message_id=query.message.message_id
                )
        except TelegramError as error:
            logger.debug("could not settle callback query: %s", error)

    async def send(self, replies: list[Outgoing]) -> None:
        """Send replies in order, splitting long texts; a blocked bot is logged, not fatal."""
        for outgoing in replies:
            if outgoing.edit_message_id and await self._edit(outgoing):
                continue
            chunks = split_text(outgoing.text, MessageLimit.MAX_TEXT_LENGTH)
            for index, chunk in enumerate(chunks):
                markup = reply_markup(outgoing) if index == len(chunks) - 1 else None
                try:
                    await self.bot.send_message(outgoing.chat_id, chunk, reply_markup=markup)
                except Forbidden:
                    logger.warning("telegram chat blocked the bot; reply dropped")
                    return
                except BadRequest as error:
                    logger.error("telegram rejected a reply: %s", error)

    async def _edit(self, outgoing: Outgoing) -> bool:
        """Replace the message `outgoing` names; False when it must be sent as a new one."""
        if len(outgoing.text) > MessageLimit.MAX_TEXT_LENGTH:
            return False
        try:
            await self.bot.edit_message_text(
                outgoing.text,
                chat_id=outgoing.chat_id,
                message_id=int(outgoing.edit_message_id or 0),
                reply_markup=reply_markup(outgoing),
            )
        except BadRequest as error:
            # Unchanged is done; a message too old or deleted is sent anew.
            return "not modified" in str(error).lower()
        except Forbidden:
            logger.warning("telegram chat blocked the bot; edit dropped")
        return True

    async def poll(self, stop: asyncio.Event) -> None:
        """Long-poll until `stop` is set, confirming each update only after it was handled."""
        await self.bot.delete_webhook()
        offset: int | None = None
        failures: dict[int, int] = {}
        backoff = 1.0
        while not stop.is_set():
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES
                )
            except RetryAfter as error:
                await _sleep_or_stop(stop, retry_after_seconds(error))
                continue
            except NetworkError as error:
                logger.warning("getUpdates failed (%s); retrying in %.0f s", error, backoff)
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            backoff = 1.0
            for update in updates:
                try:
                    await self.process(update)
                except Exception:
                    failures[update.update_id] = failures.get(update.update_id, 0) + 1
                    if failures[update.update_id] < MAX_ATTEMPTS_PER_UPDATE:
                        logger.exception("update %s failed; will retry", update.update_id)
                        await _sleep_or_stop(stop, 1.0)
                        break  # refetch from this update on
                    logger.exception(
                        "update %s failed %d times; skipped",
                        update.update_id,
                        MAX_ATTEMPTS_PER_UPDATE,
                    )
                failures.pop(update.update_id, None)
                offset = update.update_id + 1
        if offset is not None:
            # Confirm what was handled, so a restart does not see it again.
            try:
                await self.bot.get_updates(
                    offset=offset, timeout=0, allowed_updates=ALLOWED_UPDATES
                )
            except TelegramError as error:
                logger.debug("final offset confirmation failed: %s", error)


def retry_after_seconds(error: RetryAfter) -> float:
    """The wait Telegram asked for: PTB 22 gives int seconds (a timedelta only when opted in)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        period = error.retry_after
    if isinstance(period, timedelta):
        return period.total_seconds()
    return float(period)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)

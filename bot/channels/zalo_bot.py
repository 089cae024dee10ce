"""Zalo Bot Platform (Bot API) on a small hand-written aiohttp client.

The Bot API looks like Telegram's but differs where it matters: `getUpdates` returns ONE update
and takes no offset (so nothing is confirmed: a failed update is kept and retried here), an empty
long poll answers `ok:false` with error 408, there are no buttons (choices go out as numbered
lines and the engine maps a typed number back), and webhook bodies come both wrapped in the
`{ok, result}` envelope and unwrapped. De-duplication is the engine's claim on the Zalo
`message_id`; a small in-memory set only saves the work of claiming obvious repeats.

The token is part of every URL, so neither URLs nor aiohttp's own exception texts (which quote
the URL) ever reach an exception message or a log line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web

from bot import json_body
from bot.web import MAX_BODY_BYTES, secrets_match, store_update
from handlers.intake import Engine
from handlers.messages import Attachment, Event, Incoming, Outgoing, UserRef, split_text

logger = logging.getLogger(__name__)

CHANNEL = "zalo_bot"
MAX_TEXT_LENGTH = 2000
SECRET_HEADER = "X-Bot-Api-Secret-Token"

EVENT_TEXT = "message.text.received"
EVENT_IMAGE = "message.image.received"
EVENT_STICKER = "message.sticker.received"
EVENT_VOICE = "message.voice.received"
EVENT_UNSUPPORTED = "message.unsupported.received"
KNOWN_EVENTS = frozenset({EVENT_TEXT, EVENT_IMAGE, EVENT_STICKER, EVENT_VOICE, EVENT_UNSUPPORTED})
# Sources disagree on the name of the image field; the first one present wins.
IMAGE_URL_FIELDS = ("photo_url", "photo", "url", "image_url")

MAX_ATTEMPTS_PER_UPDATE = 5
RECENT_IDS = 2048
TIMEOUT_CODE = 408
RATE_LIMIT_CODE = 429
# Seconds the HTTP read of getUpdates may exceed the long-poll timeout it asked for.
LONG_POLL_MARGIN = 10.0
MAX_LOGGED_EVENT_NAME = 64


class ZaloBotError(Exception):
    """A Bot API call that did not answer `ok: true`; never carries the URL or the token."""

    def __init__(
        self,
        code: int | None,
        description: str,
        status: int,
        *,
        retry_after: float | None = None,
    ) -> None:
        self.code = code
        self.description = description
        self.status = status  # HTTP status; 0 when no answer arrived at all
        self.retry_after = retry_after
        super().__init__(f"{description} (error {code}, HTTP {status})")

    @property
    def is_timeout(self) -> bool:
        """The 408 "Request timeout" of an empty long poll."""
        return self.code == TIMEOUT_CODE or self.status == TIMEOUT_CODE

    @property
    def is_rate_limited(self) -> bool:
        """Zalo asked us to slow down."""
        return self.code == RATE_LIMIT_CODE or self.status == RATE_LIMIT_CODE

    @property
    def is_transient(self) -> bool:
        """Worth retrying: no answer, a server error, a timeout or a rate limit."""
        server_error = self.status >= 500 or (self.code is not None and self.code >= 500)
        return self.status == 0 or server_error or self.is_timeout or self.is_rate_limited


def _error_from_body(body: Any, status: int) -> ZaloBotError:
    """The ZaloBotError an answer that is not `ok: true` stands for."""
    if not isinstance(body, dict):
        return ZaloBotError(status if status >= 400 else None, "not a Bot API envelope", status)
    code = body.get("error_code")
    if not isinstance(code, int) or isinstance(code, bool):
        code = status if status >= 400 else None
    description = body.get("description")
    if not isinstance(description, str) or not description:
        description = f"HTTP {status}"
    retry_after: float | None = None
    parameters = body.get("parameters")
    if isinstance(parameters, dict) and isinstance(parameters.get("retry_after"), int | float):
        retry_after = float(parameters["retry_after"])
    return ZaloBotError(code, description[:200], status, retry_after=retry_after)


class ZaloBotClient:
    """The Bot API calls ykien needs, over a session the caller owns."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str,
        base_url: str,
        *,
        request_timeout: float = 15.0,
    ) -> None:
        self._session = session
        self._token = token
        self._base_url = base_url.rstrip("/")
        self.request_timeout = request_timeout

    async def call(
        self,
        method: str,
        payload: dict[str, Any] | None = None,
        *,
        http_timeout: float | None = None,
    ) -> Any:
        """POST `payload` as JSON to `method`; the `result` of an `ok: true` answer."""
        url = f"{self._base_url}/bot{self._token}/{method}"
        client_timeout = aiohttp.ClientTimeout(total=http_timeout or self.request_timeout)
        try:
            async with self._session.post(
                url, json=payload or {}, timeout=client_timeout
            ) as response:
                status = response.status
                raw = await response.read()
        except (aiohttp.ClientError, TimeoutError) as error:
            # aiohttp's messages quote the URL, hence the token: keep only the error's type.
            raise ZaloBotError(None, f"{method}: {type(error).__name__}", 0) from None
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            body = None
        if isinstance(body, dict) and body.get("ok") is True and 200 <= status < 300:
            return body.get("result")
        raise _error_from_body(body, status)

    async def get_me(self) -> dict[str, Any]:
        """The bot's own account."""
        result = await self.call("getMe")
        return result if isinstance(result, dict) else {}

    # `timeout` is the Bot API's long-poll parameter, not a cancellation deadline.
    async def get_updates(self, timeout: int) -> dict[str, Any] | None:  # noqa: ASYNC109
        """One update, or None when the long poll of `timeout` seconds ended empty."""
        try:
            result = await self.call(
                "getUpdates",
                {"timeout": timeout},
                http_timeout=timeout + max(LONG_POLL_MARGIN, self.request_timeout),
            )
        except ZaloBotError as error:
            if error.is_timeout:
                return None
            raise
        if isinstance(result, list):
            # Documented as one update; tolerate a one-element list.
            if len(result) > 1:
                logger.warning("zalo_bot getUpdates returned %d updates; none taken", len(result))
            result = result[0] if len(result) == 1 else None
        return result if isinstance(result, dict) and result else None

    async def send_message(self, chat_id: str, text: str) -> Any:
        """Send plain text (no parse_mode: Zalo's markdown rejects stray braces)."""
        return await self.call("sendMessage", {"chat_id": chat_id, "text": text})

    async def set_webhook(self, url: str, secret_token: str) -> Any:
        """Register our HTTPS endpoint; Zalo then sends the secret in SECRET_HEADER."""
        if not 8 <= len(secret_token) <= 256:
            raise ValueError("the webhook secret must be 8 to 256 characters long")
        return await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> Any:
        """Remove the webhook (polling and a webhook are exclusive)."""
        return await self.call("deleteWebhook")

    async def get_webhook_info(self) -> dict[str, Any]:
        """The webhook Zalo has on record."""
        result = await self.call("getWebhookInfo")
        return result if isinstance(result, dict) else {}


def unwrap(body: Any) -> dict[str, Any] | None:
    """The update inside a webhook body or getUpdates result, wrapped or not; None otherwise."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("event_name"), str):
        return body
    result = body.get("result")
    if (
        body.get("ok") is True
        and isinstance(result, dict)
        and isinstance(result.get("event_name"), str)
    ):
        return result
    return None


def _id(value: Any) -> str | None:
    """An id as text; None for a missing, empty or non-scalar value."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text or None


def _image_url(message: dict[str, Any]) -> str | None:
    """The image's URL under whichever field name this version of the platform uses."""
    for name in IMAGE_URL_FIELDS:
        value = message.get(name)
        # Tolerate {url: ...} objects and lists of sizes (the last being the largest).
        if isinstance(value, list) and value:
            value = value[-1]
        if isinstance(value, dict):
            value = value.get("url") or value.get("photo_url")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _text_fields(text: str) -> dict[str, Any]:
    """TEXT, or COMMAND split like Telegram's: lower case, `@suffix` dropped, the rest as args."""
    if text.startswith("/"):
        head, _, args = text.partition(" ")
        command = head[1:].split("@", 1)[0].lower()
        return {"event": Event.COMMAND, "text": text, "command": command, "args": args.strip()}
    return {"event": Event.TEXT, "text": text}


def to_incoming(update: dict[str, Any], received_at: datetime) -> Incoming | None:
    """Normalise a Bot API update; None when it lacks the message or its ids."""
    body = unwrap(update)
    if body is None:
        return None
    message = body.get("message")
    if not isinstance(message, dict):
        return None
    sender = message.get("from")
    chat = message.get("chat")
    if not isinstance(sender, dict) or not isinstance(chat, dict):
        return None
    user_id, chat_id = _id(sender.get("id")), _id(chat.get("id"))
    message_id = _id(message.get("message_id"))
    if user_id is None or chat_id is None or message_id is None:
        return None
    chat_type = chat.get("chat_type")
    # Anything but a private chat counts as a group: answers there could be read by all.
    is_private = chat_type is None or (
        isinstance(chat_type, str) and chat_type.upper() in ("", "PRIVATE")
    )
    base: dict[str, Any] = {
        "user": UserRef(CHANNEL, user_id),
        "chat_id": chat_id,
        "update_id": message_id,
        "received_at": received_at,
        "is_private": is_private,
    }
    event = body["event_name"]
    text = message.get("text")
    text = text if isinstance(text, str) else ""
    if event == EVENT_TEXT:
        return Incoming(**_text_fields(text), **base)
    if event == EVENT_IMAGE:
        # The message id is a second reference to the image, beside its URL.
        photo = Attachment(
            kind="photo", file_id=_image_url(message), file_unique_id=message_id[:128]
        )
        caption = message.get("caption")
        caption = caption if isinstance(caption, str) and caption else text
        return Incoming(event=Event.PHOTO, text=caption, attachment=photo, **base)
    if event == EVENT_STICKER:
        return Incoming(event=Event.UNSUPPORTED, unsupported="sticker", **base)
    if event == EVENT_VOICE:
        return Incoming(event=Event.UNSUPPORTED, unsupported="voice", **base)
    return Incoming(event=Event.UNSUPPORTED, unsupported="other", **base)


class ZaloBotAdapter:
    """Feeds Bot API updates (long poll or webhook) to the engine and sends its replies back."""

    channel = CHANNEL

    def __init__(
        self,
        client: ZaloBotClient,
        engine: Engine,
        *,
        webhook_secret: str = "",
        poll_timeout: int = 30,
        send_interval: float = 0.1,
        max_send_retries: int = 3,
        retry_delay: float = 1.0,
        max_backoff: float = 60.0,
    ) -> None:
        self.client = client
        self.engine = engine
        self.webhook_secret = webhook_secret
        self.poll_timeout = poll_timeout
        # Zalo publishes no rate limit: 10 messages/s per bot by default, and back off on 429.
        self.send_interval = send_interval
        self.max_send_retries = max_send_retries
        # First wait after a failure (poll errors, failed updates, rate limits); doubles up to max.
        self.retry_delay = retry_delay
        self.max_backoff = max_backoff
        self._send_lock = asyncio.Lock()
        self._next_send_at = 0.0
        self._recent: OrderedDict[str, None] = OrderedDict()

    # --- inbound ----------------------------------------------------------------------------

    async def take(self, payload: dict[str, Any], received_at: datetime) -> None:
        """Handle an update the webhook stored in the inbox (bot.inbox)."""
        await self.process(payload, received_at)

    async def process(self, update: dict[str, Any], received_at: datetime | None = None) -> None:
        """Handle one update end to end; raises if the engine failed (so it is retried)."""
        body = unwrap(update)
        if body is None:
            logger.warning("zalo_bot update ignored: not an update")
            return
        event = body["event_name"]
        if event not in KNOWN_EVENTS:
            logger.info("zalo_bot event %r ignored", event[:MAX_LOGGED_EVENT_NAME])
            return
        incoming = to_incoming(body, received_at or self.engine.clock())
        if incoming is None:
            logger.warning("zalo_bot %s ignored: no message or ids", event)
            return
        if incoming.update_id in self._recent:
            logger.debug("zalo_bot message %s seen recently; skipped", incoming.update_id)
            return
        replies = await self.engine.handle(incoming)
        self._remember(incoming.update_id)
        await self.send(replies)

    def _remember(self, message_id: str) -> None:
        self._recent[message_id] = None
        self._recent.move_to_end(message_id)
        while len(self._recent) > RECENT_IDS:
            self._recent.popitem(last=False)

    # --- outbound ---------------------------------------------------------------------------

    async def send(self, replies: list[Outgoing]) -> None:
        """Send replies in order as plain text, 2,000 characters a message; failures are logged."""
        # Raising would not help: a re-delivered update is a no-op in the engine, so it would
        # never produce these replies again.
        for outgoing in replies:
            for chunk in split_text(outgoing.as_plain_text(), MAX_TEXT_LENGTH):
                if not chunk:
                    continue
                if not await self._send_chunk(outgoing.chat_id, chunk):
                    break  # the rest of this reply would read oddly without this part

    async def _send_chunk(self, chat_id: str, text: str) -> bool:
        delay = self.retry_delay
        for attempt in range(self.max_send_retries + 1):
            await self._throttle()
            try:
                await self.client.send_message(chat_id, text)
                return True
            except ZaloBotError as error:
                if not error.is_transient or attempt == self.max_send_retries:
                    logger.error(
                        "zalo_bot reply to chat %s dropped after %d attempt(s): %s",
                        chat_id,
                        attempt + 1,
                        error,
                    )
                    return False
                wait = min(error.retry_after or delay, self.max_backoff)
                logger.warning(
                    "zalo_bot sendMessage to chat %s failed (%s); retrying in %.1f s",
                    chat_id,
                    error,
                    wait,
                )
                # A rate limit applies to the bot, not to this chat: hold every send back.
                self._hold_sends(wait)
                delay = min(delay * 2, self.max_backoff)
        return False

    async def _throttle(self) -> None:
        """Wait for this bot's next sending slot (one every `send_interval` seconds)."""
        loop = asyncio.get_running_loop()
        async with self._send_lock:
            wait = self._next_send_at - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next_send_at = max(self._next_send_at, loop.time()) + self.send_interval

    def _hold_sends(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        self._next_send_at = max(self._next_send_at, loop.time() + seconds)

    # --- long polling -----------------------------------------------------------------------

    async def poll(self, stop: asyncio.Event) -> None:
        """Long-poll until `stop` is set; a failing update is retried before polling again."""
        webhook_removed = False
        backoff = self.retry_delay
        # getUpdates has no offset: an update it returned is gone from Zalo, so keep it here.
        pending: dict[str, Any] | None = None
        attempts = 0
        while not stop.is_set():
            if pending is not None:
                update, pending = pending, None
            else:
                try:
                    if not webhook_removed:
                        await self.client.delete_webhook()
                        webhook_removed = True
                    fetched = await self.client.get_updates(self.poll_timeout)
                except ZaloBotError as error:
                    wait = min(max(backoff, error.retry_after or 0.0), self.max_backoff)
                    logger.warning("zalo_bot polling failed (%s); retrying in %.1f s", error, wait)
                    await _sleep_or_stop(stop, wait)
                    backoff = min(backoff * 2, self.max_backoff)
                    continue
                backoff = self.retry_delay
                if fetched is None:
                    continue  # an empty long poll: ask again at once
                update, attempts = fetched, 0
            try:
                await self.process(update)
            except Exception:
                attempts += 1
                message_id = _message_id(update)
                if attempts < MAX_ATTEMPTS_PER_UPDATE:
                    logger.exception("zalo_bot message %s failed; will retry", message_id)
                    pending = update
                    await _sleep_or_stop(stop, self.retry_delay)
                else:
                    logger.exception(
                        "zalo_bot message %s failed %d times; given up",
                        message_id,
                        MAX_ATTEMPTS_PER_UPDATE,
                    )
        if pending is not None:
            logger.error(
                "zalo_bot stopped before message %s could be handled", _message_id(pending)
            )

    # --- webhook ----------------------------------------------------------------------------

    async def handle_webhook(self, request: web.Request) -> web.Response:
        """Bot API webhook: check the secret, parse, store in the inbox, then answer 200."""

        if not secrets_match(request.headers.get(SECRET_HEADER), self.webhook_secret):
            logger.warning("zalo_bot webhook: wrong or missing secret from %s", request.remote)
            return web.json_response({"ok": False}, status=403)
        too_large = web.json_response({"ok": False, "error": "body too large"}, status=413)
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return too_large
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return too_large
        if len(raw) > MAX_BODY_BYTES:  # an app built with a larger client_max_size
            return too_large
        try:
            data = json_body.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return web.json_response({"ok": False, "error": "malformed JSON"}, status=400)
        body = unwrap(data)
        if body is None:
            return web.json_response({"ok": False, "error": "not an update"}, status=400)
        event = body["event_name"]
        if event not in KNOWN_EVENTS:
            logger.info("zalo_bot webhook: event %r ignored", event[:MAX_LOGGED_EVENT_NAME])
            return web.json_response({"ok": True})
        incoming = to_incoming(body, self.engine.clock())
        if incoming is None:
            logger.warning("zalo_bot webhook: %s without message or ids", event)
            return web.json_response({"ok": False, "error": "not an update"}, status=400)
        refused = await store_update(request, CHANNEL, incoming.update_id, incoming.user.key, body)
        return refused or web.json_response({"ok": True})


def _message_id(update: dict[str, Any]) -> str | None:
    """The Zalo message id of an update, for logs."""
    body = unwrap(update)
    message = body.get("message") if body is not None else None
    return _id(message.get("message_id")) if isinstance(message, dict) else None


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)

"""Zalo Official Account (OA Open API v3): signed webhooks in, consultation messages out.

Zalo wants the webhook's 200 within 2 seconds and retries otherwise, so an event is stored in
the inbox (bot.inbox) before the answer, then run through the engine (one committed unit of
work, de-duplicated on the Zalo message id) and its replies sent by the inbox's worker. Replies
are addressed by the resident's last message id while that is free of charge (48 hours, 8
replies), otherwise by user id; when Zalo refuses because the resident is out of reach, the
replies wait in the database until the resident writes again.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import weakref
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from bot import json_body
from bot.channels.zalo_oauth import (
    REFRESH_TOKEN_INVALID,
    REQUEST_TIMEOUT,
    OaNotAuthorisedError,
    OaTokens,
    ZaloOaError,
    ZaloOaTransportError,
    error_code,
    error_message,
    read_json,
)
from bot.web import MAX_BODY_BYTES, store_update
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
from storage.channels import ChannelStore, ContactRecord

__all__ = [
    "CHANNEL",
    "SIGNATURE_HEADER",
    "ZaloOaAdapter",
    "ZaloOaClient",
    "ZaloOaError",
    "event_signature",
    "message_id",
    "signature_ok",
    "to_incoming",
]

logger = logging.getLogger(__name__)

CHANNEL = "zalo_oa"
SIGNATURE_HEADER = "X-ZEvent-Signature"
SEND_PATH = "/v3.0/oa/message/cs"
# The same bound as bot.web's (not imported from there: bot.web imports the adapters).
MAX_TEXT_CHARS = 2000
# Replies against a message id are free within 48 hours of it, up to 8 of them.
FREE_REPLY_WINDOW = timedelta(hours=48)
FREE_REPLIES_PER_MESSAGE = 8

TOKEN_REJECTED = frozenset({-216, -220})
RATE_LIMITED = -32
# Outside the 7-day consultation window, or the user cannot be reached at all.
UNREACHABLE = frozenset({-230, -232})
# Our tokens failed (even after a refresh): the replies wait for the next message, not lost.
KEEP_FOR_LATER = TOKEN_REJECTED | {REFRESH_TOKEN_INVALID}

USER_MESSAGE_EVENTS = frozenset(
    {
        "user_send_text",
        "user_send_image",
        "user_send_location",
        "user_send_file",
        "user_send_sticker",
        "user_send_gif",
        "user_send_audio",
        "user_send_video",
        "user_send_link",
        "user_send_business_card",
    }
)
# Message kinds we recognise but do not take, with the engine's `unsupported` key to answer.
UNSUPPORTED_EVENTS = {
    "user_send_file": "document",  # a file without a URL; with one, Event.DOCUMENT
    "user_send_sticker": "sticker",
    "user_send_gif": "sticker",
    "user_send_audio": "voice",
    "user_send_video": "video",
    "user_send_link": "other",
    "user_send_business_card": "contact",
}


# --- signature ------------------------------------------------------------------------------


def event_signature(app_id: str, raw_body: bytes, timestamp: str, secret_key: str) -> str:
    """Zalo's `X-ZEvent-Signature`: "mac=" + sha256(app_id + body + timestamp + OA secret key)."""
    digest = hashlib.sha256(
        app_id.encode() + raw_body + timestamp.encode() + secret_key.encode()
    ).hexdigest()
    return "mac=" + digest


def signature_ok(
    header: str | None, app_id: str, raw_body: bytes, timestamp: str, secret_key: str
) -> bool:
    """Whether the header carries the right signature (with or without "mac="), in constant time."""
    if not header or not secret_key:
        return False
    given = header.strip()
    if given[:4].lower() == "mac=":
        given = given[4:]
    expected = event_signature(app_id, raw_body, timestamp, secret_key)[4:]
    return hmac.compare_digest(given.lower().encode(), expected.encode())


# --- inbound events -------------------------------------------------------------------------


def _id(value: Any) -> str | None:
    """An id as a string; Zalo ids are big numeric strings and must never go through int/float."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # a JSON integer is exact in Python; keep its digits
    return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _first_payload(message: dict[str, Any]) -> dict[str, Any]:
    attachments = message.get("attachments")
    if isinstance(attachments, list) and attachments:
        return _dict(_dict(attachments[0]).get("payload"))
    return {}


def _timestamp(event: dict[str, Any]) -> str | None:
    value = event.get("timestamp")
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _message_fields(name: str, message: dict[str, Any]) -> dict[str, Any]:
    raw_text = message.get("text")
    text = raw_text if isinstance(raw_text, str) else ""
    if name == "user_send_text":
        if text.startswith("/"):
            head, _, args = text.partition(" ")
            command = head[1:].split("@", 1)[0].lower()
            return {"event": Event.COMMAND, "text": text, "command": command, "args": args.strip()}
        return {"event": Event.TEXT, "text": text}
    if name == "user_send_image":
        url = _first_payload(message).get("url")
        if not isinstance(url, str) or not url:
            return {"event": Event.UNSUPPORTED, "unsupported": "other"}
        photo = Attachment(kind="photo", file_id=url)
        return {"event": Event.PHOTO, "text": text, "attachment": photo}
    if name == "user_send_file":
        return _file_fields(_first_payload(message))
    if name == "user_send_location":
        coordinates = _dict(_first_payload(message).get("coordinates"))
        where = location(coordinates.get("latitude"), coordinates.get("longitude"))
        if where is None:
            return {"event": Event.UNSUPPORTED, "unsupported": "other"}
        return {"event": Event.LOCATION, "attachment": where}
    return {"event": Event.UNSUPPORTED, "unsupported": UNSUPPORTED_EVENTS.get(name, "other")}


def _file_fields(payload: dict[str, Any]) -> dict[str, Any]:
    """A file: its URL (the id the draft reader fetches), name and size (a string in events)."""
    url = payload.get("url")
    if not isinstance(url, str) or not url:
        return {"event": Event.UNSUPPORTED, "unsupported": "document"}
    name = payload.get("name")
    size = payload.get("size")
    # isdecimal, not isdigit: "²" is a digit that int() refuses (and so are 4,301 digits).
    if isinstance(size, str) and size.strip().isdecimal() and len(size) < 20:
        size = int(size)
    document = Attachment(
        kind="document",
        file_id=url,
        file_name=name if isinstance(name, str) and name else None,
        file_size=size if isinstance(size, int) and not isinstance(size, bool) else None,
    )
    return {"event": Event.DOCUMENT, "attachment": document}


def message_id(event: dict[str, Any]) -> str | None:
    """The id of a resident's message (what replies can be addressed to); None for other events."""
    name = event.get("event_name")
    if not isinstance(name, str) or name not in USER_MESSAGE_EVENTS:  # a list is unhashable
        return None
    return _id(_dict(event.get("message")).get("msg_id"))


def to_incoming(event: dict[str, Any], received_at: datetime) -> Incoming | None:
    """Normalise an OA webhook event; None for events the bot does not answer."""
    name = event.get("event_name")
    if name == "follow":
        follower = _id(_dict(event.get("follower")).get("id"))
        if follower is None:
            return None
        # A follow carries no message id: this key is stable across Zalo's retries of it.
        key = f"follow:{follower}:{_timestamp(event) or ''}"
        return Incoming(
            user=UserRef(CHANNEL, follower),
            chat_id=follower,
            update_id=key,
            event=Event.COMMAND,
            received_at=received_at,
            text="/start",
            command="start",
        )
    if not isinstance(name, str) or name not in USER_MESSAGE_EVENTS:  # a list is unhashable
        return None  # unfollow, receipts (sender/recipient swapped), OA echoes, user_submit_info
    sender = _id(_dict(event.get("sender")).get("id"))
    if sender is None:
        return None
    message = _dict(event.get("message"))
    update_id = message_id(event) or f"{name}:{sender}:{_timestamp(event) or ''}"
    return Incoming(
        user=UserRef(CHANNEL, sender),
        chat_id=sender,
        update_id=update_id,
        received_at=received_at,
        **_message_fields(str(name), message),
    )


# --- outbound -------------------------------------------------------------------------------


class ZaloOaClient:
    """Sends consultation messages: token handling, one retry after a refresh, -32 back-off."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        tokens: OaTokens,
        *,
        max_per_second: float = 10.0,
        rate_limit_retries: int = 4,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
    ) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.rate_limit_retries = rate_limit_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._interval = 1.0 / max_per_second if max_per_second > 0 else 0.0
        self._throttle_lock = asyncio.Lock()
        self._next_slot = 0.0

    async def _throttle(self) -> None:
        # A minimum interval between requests of this client (Zalo's limits are unpublished).
        if self._interval <= 0:
            return
        async with self._throttle_lock:
            loop = asyncio.get_running_loop()
            wait = self._next_slot - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next_slot = max(loop.time(), self._next_slot) + self._interval

    async def _post(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        await self._throttle()
        async with self.session.post(
            self.base_url + SEND_PATH,
            json=body,
            headers={"access_token": token},
            timeout=REQUEST_TIMEOUT,
        ) as response:
            return await read_json(response)

    async def send_text(self, recipient: dict[str, str], text: str) -> dict[str, Any]:
        """Send one text (≤ 2,000 characters) to `{"user_id": …}` or `{"message_id": …}`."""
        body = {"recipient": recipient, "message": {"text": text}}
        token, version = await self.tokens.access_token()
        refreshed = False
        rate_limited = 0
        while True:
            data = await self._post(token, body)
            code = error_code(data.get("error"))
            if code == 0 or (code is None and "error" not in data):
                return data
            if code in TOKEN_REJECTED and not refreshed:
                logger.info("zalo oa: access token rejected (%s); refreshing", code)
                refreshed = True
                token = await self.tokens.refresh_after_rejection(version)
                continue
            if code == RATE_LIMITED and rate_limited < self.rate_limit_retries:
                delay = min(self.backoff_base * 2**rate_limited, self.backoff_max)
                rate_limited += 1
                logger.warning("zalo oa: rate limited; retrying in %.2f s", delay)
                await asyncio.sleep(delay)
                continue
            raise ZaloOaError(code if code is not None else -1, error_message(data))


# --- adapter --------------------------------------------------------------------------------


def _fresh_message_id(contact: ContactRecord | None, sent: int, now: datetime) -> str | None:
    """The message id to reply against while that is free, else None (address by user id)."""
    if contact is None or not contact.last_message_id or contact.last_inbound_at is None:
        return None
    if now - contact.last_inbound_at >= FREE_REPLY_WINDOW or sent >= FREE_REPLIES_PER_MESSAGE:
        return None
    return contact.last_message_id


class ZaloOaAdapter:
    """Takes OA webhook events through the inbox into the engine and delivers its replies."""

    channel = CHANNEL

    def __init__(
        self,
        client: ZaloOaClient,
        engine: Engine,
        store: ChannelStore,
        *,
        app_id: str,
        secret_key: str,
    ) -> None:
        self.client = client
        self.engine = engine
        self.store = store
        self.app_id = app_id
        self._secret_key = secret_key
        # One delivery at a time per resident, so replies to quick messages keep their order.
        self._user_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    async def handle_webhook(self, request: web.Request) -> web.StreamResponse:
        """Verify one event and store it in the inbox; answer 200 once it is stored."""
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return _json({"error": "body too large"}, 413)
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _json({"error": "body too large"}, 413)
        if len(raw) > MAX_BODY_BYTES:
            return _json({"error": "body too large"}, 413)
        try:
            event = json_body.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return _json({"error": "malformed JSON"}, 400)
        if not isinstance(event, dict):
            return _json({"error": "not an event"}, 400)
        if not self._verified(request, event, raw):
            logger.warning("zalo oa webhook: wrong or missing signature from %s", request.remote)
            return _json({"error": "forbidden"}, 403)

        incoming = to_incoming(event, self.engine.clock())
        if incoming is None:
            self._log_ignored(event)
            return _json({"error": 0}, 200)
        refused = await store_update(request, CHANNEL, incoming.update_id, incoming.user.key, event)
        return refused or _json({"error": 0}, 200)

    async def take(self, event: dict[str, Any], received_at: datetime) -> None:
        """Handle an event the webhook stored in the inbox (bot.inbox), then deliver the replies.

        Raises when the engine failed, so the inbox retries; the engine claims the update id, so
        a retried event changes nothing and gets no second reply.
        """
        incoming = to_incoming(event, received_at)
        if incoming is None:
            return
        await self._note_inbound(incoming.user.external_id, message_id(event), received_at)
        replies = await self.engine.handle(incoming)
        logger.info(
            "zalo oa event %s (update %s) handled", event.get("event_name"), incoming.update_id
        )
        await self.deliver(incoming.user.external_id, replies)

    def _verified(self, request: web.Request, event: dict[str, Any], raw: bytes) -> bool:
        app_id = _id(event.get("app_id"))
        timestamp = _timestamp(event)
        if app_id is None or timestamp is None or not self.app_id:
            return False
        if not hmac.compare_digest(app_id.encode(), self.app_id.encode()):
            return False
        header = request.headers.get(SIGNATURE_HEADER)
        return signature_ok(header, app_id, raw, timestamp, self._secret_key)

    @staticmethod
    def _log_ignored(event: dict[str, Any]) -> None:
        name = event.get("event_name")
        if name == "unfollow":
            follower = _id(_dict(event.get("follower")).get("id"))
            logger.info("zalo oa: user %s unfollowed", follower)
        else:
            logger.info("zalo oa event %s ignored", name if isinstance(name, str) else "?")

    async def _note_inbound(self, external_id: str, msg_id: str | None, now: datetime) -> None:
        """Record the resident's latest message (their reply quota), unless this is a retry."""
        contact = await self.store.get_contact(CHANNEL, external_id)
        if msg_id is not None and contact is not None and contact.last_message_id == msg_id:
            return  # Zalo retried this event: its reply count must not restart
        await self.store.note_inbound(CHANNEL, external_id, msg_id, now)

    def _lock_for(self, external_id: str) -> asyncio.Lock:
        lock = self._user_locks.get(external_id)
        if lock is None:
            lock = asyncio.Lock()
            self._user_locks[external_id] = lock
        return lock

    async def deliver(self, external_id: str, replies: list[Outgoing]) -> None:
        """Send held-back replies first, then `replies`; keep what Zalo cannot deliver now."""
        try:
            async with self._lock_for(external_id):
                await self._deliver(external_id, replies)
        except Exception:
            # A background task: nobody else would see the failure.
            logger.exception("zalo oa: delivery to user %s failed", external_id)

    async def _deliver(self, external_id: str, replies: list[Outgoing]) -> None:
        # Taken out (and deleted) at once rather than held locked while sending: on SQLite the
        # sending itself needs the database (tokens, contact), whose writes are serialised.
        async with self.store.pending(CHANNEL, external_id) as held:
            texts = list(held)
        for reply in replies:
            texts += split_text(reply.as_plain_text(), MAX_TEXT_CHARS)
        if not texts:
            return
        contact = await self.store.get_contact(CHANNEL, external_id)
        if contact is not None and contact.unreachable_since is not None:
            # Zalo already refused and the resident has not written since: do not ask again.
            await self.store.add_pending(CHANNEL, external_id, texts, self.engine.clock())
            logger.info("zalo oa: user %s still out of reach; replies kept", external_id)
            return
        sent_against_last = contact.replies_to_last if contact is not None else 0
        for index, text in enumerate(texts):
            target = _fresh_message_id(contact, sent_against_last, self.engine.clock())
            recipient = {"message_id": target} if target else {"user_id": external_id}
            try:
                await self.client.send_text(recipient, text)
            except ZaloOaError as error:
                if error.code in UNREACHABLE:
                    now = self.engine.clock()
                    await self.store.mark_unreachable(CHANNEL, external_id, now)
                    await self.store.add_pending(CHANNEL, external_id, texts[index:], now)
                    logger.warning(
                        "zalo oa: user %s out of reach (%s); %d message(s) kept",
                        external_id,
                        error.code,
                        len(texts) - index,
                    )
                    return
                if isinstance(error, ZaloOaTransportError) or error.code in KEEP_FOR_LATER:
                    await self._keep(external_id, texts[index:], f"error {error.code}")
                    return
                logger.error(
                    "zalo oa: a reply to user %s was refused (%s)", external_id, error.code
                )
                continue
            except OaNotAuthorisedError:
                await self._keep(external_id, texts[index:], "OA not authorised")
                return
            except (aiohttp.ClientError, TimeoutError) as error:
                await self._keep(external_id, texts[index:], type(error).__name__)
                return
            if target:
                sent_against_last += 1
                await self.store.note_reply(CHANNEL, external_id)

    async def _keep(self, external_id: str, texts: list[str], reason: str) -> None:
        """Hold replies that failed for a reason of ours or the network, for the next message."""
        await self.store.add_pending(CHANNEL, external_id, texts, self.engine.clock())
        logger.error(
            "zalo oa: %d reply message(s) to user %s kept for later (%s)",
            len(texts),
            external_id,
            reason,
        )


def _json(body: dict[str, Any], status: int) -> web.Response:
    return web.json_response(body, status=status)

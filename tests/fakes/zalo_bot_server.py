"""In-process fake of the Zalo Bot Platform API, plus builders of the updates Zalo sends.

It speaks the documented protocol over real HTTP on 127.0.0.1: `POST /bot<TOKEN>/<method>` with a
JSON body, answers in the `{ok, result, error_code?, description?}` envelope, `getUpdates` hands
out ONE queued update (no offset) or, once its long poll ran out, the 408 "Request timeout"
error. It also plays Zalo's part for webhooks (`post_webhook`). Platform facts are restated here
rather than imported from the adapter, so a mistake there cannot hide in both.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import aiohttp
from aiohttp import web

Handler = Callable[[dict[str, Any]], Awaitable[web.Response]]

SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_TEXT_LENGTH = 2000
DEFAULT_TOKEN = "3141592653589793238:zalo-TEST-token_abcdef"
DEFAULT_USER_ID = "6ede9afa66b88fe6d6a9"
DEFAULT_GROUP_ID = "f1e2d3c4b5a697887766"
BOT_ID = "1234567890123456789"
DEFAULT_PHOTO_URL = "https://photo-stal.zadn.vn/zalo-bot/abc123/original.jpg"

# Distinct ids across calls, in the 20-hex-digit shape of the documented sample.
_message_ids = itertools.count(0x2D758CB5E222177A4E35)


def new_message_id() -> str:
    """A fresh Zalo-style message id."""
    return f"{next(_message_ids):020x}"


def event_update(
    event_name: str,
    *,
    user_id: str = DEFAULT_USER_ID,
    chat_id: str | None = None,
    chat_type: str = "PRIVATE",
    message_id: str | None = None,
    display_name: str = "Lan",
    **content: Any,
) -> dict[str, Any]:
    """An unwrapped update `{event_name, message}`; `content` holds the type-specific fields."""
    return {
        "event_name": event_name,
        "message": {
            "from": {"id": user_id, "display_name": display_name, "is_bot": False},
            "chat": {"id": chat_id or user_id, "chat_type": chat_type},
            "message_id": message_id or new_message_id(),
            "date": int(time.time() * 1000),
            **content,
        },
    }


def text_update(
    text: str,
    *,
    user_id: str = DEFAULT_USER_ID,
    message_id: str | None = None,
    chat_id: str | None = None,
    chat_type: str = "PRIVATE",
) -> dict[str, Any]:
    """A `message.text.received` update."""
    return event_update(
        "message.text.received",
        user_id=user_id,
        chat_id=chat_id,
        chat_type=chat_type,
        message_id=message_id,
        text=text,
    )


def image_update(
    photo_url: str = DEFAULT_PHOTO_URL,
    *,
    caption: str | None = None,
    field: str = "photo_url",
    user_id: str = DEFAULT_USER_ID,
    message_id: str | None = None,
) -> dict[str, Any]:
    """A `message.image.received` update with the URL under `field` (sources disagree on it)."""
    content: dict[str, Any] = {field: photo_url}
    if caption is not None:
        content["caption"] = caption
    return event_update("message.image.received", user_id=user_id, message_id=message_id, **content)


def sticker_update(
    *, user_id: str = DEFAULT_USER_ID, message_id: str | None = None
) -> dict[str, Any]:
    """A `message.sticker.received` update."""
    return event_update(
        "message.sticker.received",
        user_id=user_id,
        message_id=message_id,
        sticker="bfe3a0a6e4e30dbd54f2",
        url="https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid=46991",
    )


def voice_update(
    *, user_id: str = DEFAULT_USER_ID, message_id: str | None = None
) -> dict[str, Any]:
    """A `message.voice.received` update."""
    return event_update(
        "message.voice.received",
        user_id=user_id,
        message_id=message_id,
        url="https://voice-stal.zadn.vn/zalo-bot/voice.aac",
    )


def wrap(update: dict[str, Any]) -> dict[str, Any]:
    """The documented webhook form: the update inside a success envelope."""
    return {"ok": True, "result": update}


@dataclass
class Failure:
    """Answer the next `count` calls (of `methods`, or of any method) with this error."""

    count: int
    status: int
    description: str
    methods: frozenset[str] | None


class FakeZaloBot:
    """Fake Bot API server on 127.0.0.1 that records calls and serves queued updates."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        max_poll_seconds: float = 30.0,
        empty_poll_status: int = 408,
    ) -> None:
        """Prepare the fake; `empty_poll_status` is the HTTP status of the 408 envelope."""
        self.token = token
        self.max_poll_seconds = max_poll_seconds
        self.empty_poll_status = empty_poll_status
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.sent: list[dict[str, Any]] = []
        self.rejected: list[tuple[str, int]] = []
        self.empty_polls = 0
        self.poll_count = 0
        # Each update handed out, with the number of the getUpdates call that returned it.
        self._handed_out: list[tuple[dict[str, Any], int]] = []
        self.webhook: dict[str, Any] | None = None
        self.root_url = ""
        self._updates: list[dict[str, Any]] = []
        self._failures: list[Failure] = []
        self._update_waiters: set[asyncio.Future[None]] = set()
        self._call_waiters: set[asyncio.Future[None]] = set()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._handlers: dict[str, Handler] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "sendmessage": self._send_message,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
        }

    @property
    def base_url(self) -> str:
        """What the client is given as base URL: it appends `/bot<TOKEN>/<method>`."""
        return self.root_url

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """A copy of the updates queued and not handed out yet."""
        return list(self._updates)

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        """The payload of every call to `method` (case-insensitive)."""
        wanted = method.lower()
        return [payload for name, payload in self.calls if name.lower() == wanted]

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Start serving on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        # No access log (its lines hold the token); a short shutdown: don't hang on a long poll.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.root_url = f"http://{host}:{port}"
        self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        """Stop the server and release every waiter."""
        self._wake(self._update_waiters)
        self._wake(self._call_waiters)
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        """Start the server for an `async with` block."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server at the end of an `async with` block."""
        await self.stop()

    # --- test controls ----------------------------------------------------------------------

    def queue_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an (unwrapped) update for getUpdates and wake a pending long poll."""
        self._updates.append(update)
        self._wake(self._update_waiters)
        return update

    def fail_next(
        self,
        count: int,
        *,
        status: int = 429,
        description: str | None = None,
        methods: tuple[str, ...] | None = None,
    ) -> None:
        """Answer the next `count` calls (of `methods` only, if given) with an error envelope."""
        wanted = frozenset(m.lower() for m in methods) if methods is not None else None
        text = description or ("Too Many Requests" if status == 429 else "Internal Server Error")
        self._failures.append(Failure(count, status, text, wanted))

    def release_polls(self) -> None:
        """End pending long polls now, as if their timeout ran out."""
        self._wake(self._update_waiters)

    async def wait_for_sent(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until at least `count` messages were sent; AssertionError on timeout."""
        await self._wait_until(lambda: len(self.sent) >= count, timeout)
        if len(self.sent) < count:
            raise AssertionError(
                f"expected at least {count} sent message(s) within {timeout}s, "
                f"got {len(self.sent)}: {self.sent!r}"
            )
        return list(self.sent)

    async def wait_for_calls(self, method: str, count: int, timeout: float = 5.0) -> None:
        """Wait until `method` was called at least `count` times; AssertionError on timeout."""
        await self._wait_until(lambda: len(self.calls_of(method)) >= count, timeout)
        if len(self.calls_of(method)) < count:
            raise AssertionError(
                f"expected {count} {method} call(s) within {timeout}s, "
                f"got {len(self.calls_of(method))}"
            )

    async def wait_until_handled(self, update: dict[str, Any], timeout: float = 5.0) -> None:
        """Wait until `update` was handed out and a later getUpdates began.

        A client that polls again only after it finished with an update (ours does) is then
        done with it, replies included. AssertionError on timeout.
        """

        def handled() -> bool:
            return any(u is update and n < self.poll_count for u, n in self._handed_out)

        await self._wait_until(handled, timeout)
        if not handled():
            raise AssertionError(f"update not handled within {timeout}s: {update!r}")

    async def post_webhook(
        self,
        url: str,
        update: dict[str, Any] | None,
        *,
        secret: str | None,
        wrapped: bool = True,
        raw: bytes | None = None,
    ) -> tuple[int, Any]:
        """POST a webhook to OUR server as Zalo does; (status, JSON body or text)."""
        assert self._session is not None, "start the fake first"
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        if raw is None:
            assert update is not None
            raw = json.dumps(wrap(update) if wrapped else update).encode()
        # A file-like body: aiohttp warns about (and blocks the loop on) large raw bytes.
        body = io.BytesIO(raw)
        async with self._session.post(url, data=body, headers=headers) as response:
            text = await response.text()
            try:
                return response.status, json.loads(text)
            except ValueError:
                return response.status, text

    # --- plumbing ---------------------------------------------------------------------------

    async def _wait_until(self, condition: Callable[[], bool], timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            await self._wait(self._call_waiters, remaining)

    @staticmethod
    def _wake(waiters: set[asyncio.Future[None]]) -> None:
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
        waiters.clear()

    @staticmethod
    async def _wait(waiters: set[asyncio.Future[None]], timeout: float) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters.add(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            pass
        finally:
            waiters.discard(waiter)

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(status: int, description: str, *, http_status: int | None = None) -> web.Response:
        body = {"ok": False, "error_code": status, "description": description}
        return web.json_response(body, status=http_status or status)

    def _injected_failure(self, method: str) -> Failure | None:
        for failure in self._failures:
            if failure.methods is None or method in failure.methods:
                failure.count -= 1
                if failure.count <= 0:
                    self._failures.remove(failure)
                return failure
        return None

    async def _dispatch(self, request: web.Request) -> web.Response:
        """Check the token, record the call, and route it (or answer an injected error)."""
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        payload: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                return self._error(400, "Bad Request: body is not JSON")
            if isinstance(body, dict):
                payload.update(body)
        self.calls.append((method, payload))
        self._wake(self._call_waiters)
        try:
            failure = self._injected_failure(method.lower())
            if failure is not None:
                self.rejected.append((method, failure.status))
                return self._error(failure.status, failure.description)
            handler = self._handlers.get(method.lower())
            if handler is None:
                return self._error(404, "Not Found: method not found")
            return await handler(payload)
        finally:
            self._wake(self._call_waiters)

    # --- methods ----------------------------------------------------------------------------

    async def _get_me(self, payload: dict[str, Any]) -> web.Response:
        return self._ok(
            {
                "id": BOT_ID,
                "account_name": "bot.ykien_test",
                "account_type": "BASIC",
                "can_join_groups": False,
            }
        )

    async def _get_updates(self, payload: dict[str, Any]) -> web.Response:
        """One queued update, or the 408 envelope after the long poll ran out."""
        self.poll_count += 1
        number = self.poll_count
        if self.webhook is not None:
            return self._error(409, "Conflict: a webhook is set; call deleteWebhook first")
        timeout = payload.get("timeout", 0)
        if isinstance(timeout, str) and timeout.isdigit():
            timeout = int(timeout)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout < 0:
            return self._error(400, "Bad Request: invalid timeout")
        if not self._updates and timeout > 0:
            await self._wait(self._update_waiters, min(float(timeout), self.max_poll_seconds))
        if not self._updates:
            self.empty_polls += 1
            return self._error(408, "Request timeout", http_status=self.empty_poll_status)
        update = self._updates.pop(0)
        self._handed_out.append((update, number))
        return self._ok(update)

    async def _send_message(self, payload: dict[str, Any]) -> web.Response:
        """Record a message; reject what Zalo would reject."""
        chat_id, text = payload.get("chat_id"), payload.get("text")
        if not isinstance(chat_id, str) or not chat_id:
            return self._error(400, "Bad Request: chat_id is required")
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT_LENGTH:
            return self._error(400, "Bad Request: text must be 1 to 2000 characters")
        self.sent.append(payload)
        return self._ok(
            {
                "message_id": new_message_id(),
                "date": int(time.time() * 1000),
                "message_type": "TEXT",
            }
        )

    async def _set_webhook(self, payload: dict[str, Any]) -> web.Response:
        url, secret = payload.get("url"), payload.get("secret_token")
        if not isinstance(url, str) or not url.startswith("https://"):
            return self._error(400, "Bad Request: url must be HTTPS")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            return self._error(400, "Bad Request: secret_token must be 8 to 256 characters")
        self.webhook = {"url": url, "secret_token": secret}
        return self._ok({"url": url, "updated_at": int(time.time() * 1000)})

    async def _delete_webhook(self, payload: dict[str, Any]) -> web.Response:
        self.webhook = None
        return self._ok({"url": "", "updated_at": int(time.time() * 1000)})

    async def _get_webhook_info(self, payload: dict[str, Any]) -> web.Response:
        url = (self.webhook or {}).get("url", "")
        return self._ok({"url": url, "updated_at": int(time.time() * 1000)})

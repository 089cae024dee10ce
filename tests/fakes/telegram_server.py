"""In-process fake of the Telegram Bot API that python-telegram-bot's real HTTP client can call."""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self

from aiohttp import web

Handler = Callable[[dict[str, Any]], Awaitable[web.Response]]

# PTB sends str-typed parameters unencoded (RequestParameter.json_value returns them as-is), so a
# message text like "123" or "true" would wrongly become a number/bool if we json.loads'ed it.
# These parameters are free text or opaque ids in the Bot API and must stay strings.
STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "callback_query_id",
        "inline_query_id",
        "inline_message_id",
        "shipping_query_id",
        "pre_checkout_query_id",
        "web_app_query_id",
        "secret_token",
        "url",
        "title",
        "description",
        "question",
        "explanation",
        "emoji",
        "custom_emoji_id",
        "first_name",
        "last_name",
        "phone_number",
        "address",
        "vcard",
        "file_id",
        "next_offset",
        "error_message",
        "business_connection_id",
    }
)

# Telegram's own upper bound for getUpdates' limit parameter.
MAX_UPDATES_LIMIT = 100
# Long polls never block longer than this so that tests stay fast even with timeout=30.
MAX_LONG_POLL_SECONDS = 1.0


def decode_value(name: str, value: Any) -> Any:
    """Decode one request parameter the way the Bot API interprets PTB's JSON-encoded values."""
    if not isinstance(value, str) or name in STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


class FakeTelegram:
    """Fake Telegram Bot API server on 127.0.0.1 that records calls and serves queued updates."""

    def __init__(
        self, token: str = "123456:TEST-TOKEN", *, rate_limit_per_second: float | None = None
    ) -> None:
        """Prepare the fake; call start() (or use `async with`) to begin serving."""
        self.token = token
        self.rate_limit_per_second = rate_limit_per_second
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.sent: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] | None = None
        self.confirmed_offset = 0
        self.rejected_429 = 0
        # Chats whose user blocked the bot: sending there answers 403 as Telegram does.
        self.blocked: set[int] = set()
        self.root_url = ""
        self.bot_user: dict[str, Any] = {
            "id": self._bot_id(token),
            "is_bot": True,
            "first_name": "ykien test",
            "username": "ykien_test_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        # Files users sent, by file_id, that getFile and /file/bot<token>/<path> serve; the
        # paths downloaded, in order.
        self.files: dict[str, bytes] = {}
        self.downloads: list[str] = []
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._next_message_id = 1
        # Sent/edited messages by (chat_id, message_id) so edits can return the full message.
        self._messages: dict[tuple[Any, int], dict[str, Any]] = {}
        self._send_times: deque[float] = deque()
        self._update_waiters: set[asyncio.Future[None]] = set()
        self._sent_waiters: set[asyncio.Future[None]] = set()
        self._runner: web.AppRunner | None = None
        self._handlers: dict[str, Handler] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "sendmessage": self._send_message,
            "senddocument": self._send_file,
            "sendphoto": self._send_file,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "answercallbackquery": self._return_true,
            "sendchataction": self._return_true,
            "deletemessage": self._return_true,
            "close": self._return_true,
            "logout": self._return_true,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "getfile": self._get_file,
        }

    @staticmethod
    def _bot_id(token: str) -> int:
        """Return the bot id encoded in the token prefix, as real tokens carry it."""
        prefix = token.split(":", 1)[0]
        return int(prefix) if prefix.isdigit() else 123456

    @property
    def base_url(self) -> str:
        """Value for ApplicationBuilder().base_url() / Bot(base_url=...)."""
        return f"{self.root_url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ApplicationBuilder().base_file_url() / Bot(base_file_url=...)."""
        return f"{self.root_url}/file/bot"

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Return a copy of the updates queued and not yet confirmed by an offset."""
        return list(self._updates)

    def messages_in(self, chat_id: Any) -> list[dict[str, Any]]:
        """The bot's messages in a chat as they stand now (edits applied), oldest first."""
        found = [m for (chat, _), m in self._messages.items() if str(chat) == str(chat_id)]
        return sorted(found, key=lambda message: message["message_id"])

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        """Return the decoded params of every call to `method` (case-insensitive)."""
        wanted = method.lower()
        return [params for name, params in self.calls if name.lower() == wanted]

    async def start(self) -> None:
        """Start serving on a random free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        # A short shutdown timeout: stop() must not hang on a pending long poll.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.root_url = f"http://{host}:{port}"

    async def stop(self) -> None:
        """Stop the server and release every waiter."""
        for waiter in self._update_waiters | self._sent_waiters:
            if not waiter.done():
                waiter.set_result(None)
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

    def queue_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (assigning update_id if missing) and wake long polls."""
        update = dict(update)
        if update.get("update_id") is None:
            update["update_id"] = self._next_update_id
        self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
        self._updates.append(update)
        self._wake(self._update_waiters)
        return update

    async def wait_for_sent(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until at least `count` messages were sent; raise AssertionError on timeout."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.sent) < count:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(
                    f"expected at least {count} sent message(s) within {timeout}s, "
                    f"got {len(self.sent)}: {self.sent!r}"
                )
            await self._wait(self._sent_waiters, remaining)
        return list(self.sent)

    @staticmethod
    def _wake(waiters: set[asyncio.Future[None]]) -> None:
        """Resolve every pending waiter so it re-checks its condition."""
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
        waiters.clear()

    @staticmethod
    async def _wait(waiters: set[asyncio.Future[None]], timeout: float) -> None:
        """Block until woken or until `timeout` seconds passed."""
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
        """Wrap a result in Telegram's success envelope."""
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(status: int, description: str, **parameters: Any) -> web.Response:
        """Build a Telegram error envelope with the matching HTTP status."""
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=status)

    @staticmethod
    async def _decode_request(request: web.Request) -> dict[str, Any]:
        """Merge query-string, form/multipart and JSON bodies into one dict of decoded values."""
        raw: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    raw.update(body)
            else:
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        # Uploaded files are kept as metadata plus bytes for assertions.
                        raw[name] = {
                            "filename": value.filename,
                            "content_type": value.content_type,
                            "content": value.file.read(),
                        }
                    else:
                        raw[name] = value
        return {name: decode_value(name, value) for name, value in raw.items()}

    async def _dispatch(self, request: web.Request) -> web.Response:
        """Route one Bot API call to its handler after checking the token."""
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        handler = self._handlers.get(method.lower())
        params = await self._decode_request(request)
        self.calls.append((method, params))
        if handler is None:
            return self._error(404, "Not Found: method not found")
        return await handler(params)

    def _chat(self, chat_id: Any) -> dict[str, Any]:
        """Describe the chat a message goes to, inferring its type from the id like Telegram."""
        if isinstance(chat_id, int) and chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Lan"}
        if isinstance(chat_id, int):
            chat_type = "supergroup" if str(chat_id).startswith("-100") else "group"
            return {"id": chat_id, "type": chat_type, "title": "ykien test group"}
        # "@username" targets are channels; give them a stable fake numeric id.
        return {"id": -1000000000001, "type": "channel", "username": str(chat_id).lstrip("@")}

    def _build_message(self, params: dict[str, Any], message_id: int) -> dict[str, Any]:
        """Build the Message JSON Telegram returns for a text message sent by the bot."""
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": self.bot_user,
            "date": int(time.time()),
            "chat": self._chat(params.get("chat_id")),
            "text": str(params.get("text", "")),
        }
        if isinstance(params.get("entities"), list):
            message["entities"] = params["entities"]
        markup = params.get("reply_markup")
        # Telegram only echoes inline keyboards; reply keyboards are not part of the Message.
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message

    def _rate_limited(self) -> bool:
        """Record a sendMessage attempt and tell whether it exceeds the configured rate."""
        if self.rate_limit_per_second is None:
            return False
        # A window of at least 1 s that holds at least one message also handles rates below 1/s.
        window = max(1.0, 1.0 / self.rate_limit_per_second)
        capacity = max(1, int(self.rate_limit_per_second * window))
        now = time.monotonic()
        while self._send_times and now - self._send_times[0] >= window:
            self._send_times.popleft()
        if len(self._send_times) >= capacity:
            return True
        self._send_times.append(now)
        return False

    async def _return_true(self, params: dict[str, Any]) -> web.Response:
        """Answer methods whose Bot API result is simply True."""
        return self._ok(True)

    async def _get_me(self, params: dict[str, Any]) -> web.Response:
        """Answer getMe with the bot user."""
        return self._ok(self.bot_user)

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        """Answer getUpdates with offset confirmation, limit and a capped long poll."""
        if self.webhook is not None:
            return self._error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = params.get("offset")
        if isinstance(offset, int):
            if offset < 0:
                # Negative offsets select the last |offset| updates and forget older ones.
                self._updates = self._updates[offset:]
            else:
                self.confirmed_offset = max(self.confirmed_offset, offset)
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = params.get("limit")
        if not isinstance(limit, int) or not 1 <= limit <= MAX_UPDATES_LIMIT:
            limit = MAX_UPDATES_LIMIT
        timeout = params.get("timeout")
        wait = min(float(timeout), MAX_LONG_POLL_SECONDS) if isinstance(timeout, int | float) else 0
        if not self._updates and wait > 0:
            await self._wait(self._update_waiters, wait)
        return self._ok(self._updates[:limit])

    async def _send_message(self, params: dict[str, Any]) -> web.Response:
        """Record a sendMessage call and return the resulting Message, or 429 when flooded."""
        if params.get("chat_id") in self.blocked:
            return self._error(403, "Forbidden: bot was blocked by the user")
        if self._rate_limited():
            self.rejected_429 += 1
            return self._error(429, "Too Many Requests: retry after 1", retry_after=1)
        message = self._build_message(params, self._next_message_id)
        self._next_message_id += 1
        self._messages[(params.get("chat_id"), message["message_id"])] = message
        self.sent.append(params)
        self._wake(self._sent_waiters)
        return self._ok(message)

    async def _send_file(self, params: dict[str, Any]) -> web.Response:
        """Accept a sendDocument/sendPhoto upload (recorded in `calls`); return its Message."""
        message = self._build_message(params, self._next_message_id)
        self._next_message_id += 1
        return self._ok(message)

    def _edited_message(self, params: dict[str, Any]) -> dict[str, Any]:
        """Return the stored (or a synthesized) message targeted by an edit call."""
        key = (params.get("chat_id"), params.get("message_id"))
        message = self._messages.get(key)
        if message is None:
            message_id = params.get("message_id")
            message = self._build_message(params, message_id if isinstance(message_id, int) else 0)
        message = dict(message, edit_date=int(time.time()))
        self._messages[key] = message
        return message

    async def _edit_message_text(self, params: dict[str, Any]) -> web.Response:
        """Apply editMessageText; inline messages get True as in the Bot API."""
        if "inline_message_id" in params:
            return self._ok(True)
        message = self._edited_message(params)
        message["text"] = str(params.get("text", ""))
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return self._ok(message)

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> web.Response:
        """Apply editMessageReplyMarkup; inline messages get True as in the Bot API."""
        if "inline_message_id" in params:
            return self._ok(True)
        message = self._edited_message(params)
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return self._ok(message)

    async def _get_file(self, params: dict[str, Any]) -> web.Response:
        """Answer getFile for a file in `files` with its size and download path."""
        file_id = str(params.get("file_id", ""))
        if file_id not in self.files:
            return self._error(400, "Bad Request: invalid file_id")
        return self._ok(
            {
                "file_id": file_id,
                "file_unique_id": "u" + file_id[-12:],
                "file_size": len(self.files[file_id]),
                "file_path": f"documents/{file_id}",
            }
        )

    async def _download(self, request: web.Request) -> web.Response:
        """Serve a file's bytes at the path getFile gave, as Telegram's file server does."""
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        self.downloads.append(path)
        data = self.files.get(path.removeprefix("documents/"))
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    async def _set_webhook(self, params: dict[str, Any]) -> web.Response:
        """Store the webhook parameters (dropping pending updates when asked)."""
        self.webhook = params
        if params.get("drop_pending_updates") is True:
            self._updates.clear()
        return self._ok(True)

    async def _delete_webhook(self, params: dict[str, Any]) -> web.Response:
        """Clear the webhook (dropping pending updates when asked)."""
        self.webhook = None
        if params.get("drop_pending_updates") is True:
            self._updates.clear()
        return self._ok(True)

    async def _get_webhook_info(self, params: dict[str, Any]) -> web.Response:
        """Describe the current webhook like getWebhookInfo does."""
        info: dict[str, Any] = {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook is not None:
            for key in ("max_connections", "allowed_updates", "ip_address"):
                if key in self.webhook:
                    info[key] = self.webhook[key]
        return self._ok(info)

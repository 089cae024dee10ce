"""In-process fake of the Zalo OA Open API v3 and its OAuth v4 token endpoint, plus Zalo's side of
the webhook (signed events POSTed to our server).

Real HTTP on 127.0.0.1: our aiohttp client talks to it exactly as it would to openapi.zalo.me and
oauth.zaloapp.com. Error codes follow the public notes (docs/channels.md): -216 invalid access
token, -230/-232 out of reach, -32 rate limit, -14014 refresh token already used or invalid. The
other OAuth codes below are the fake's own (the real ones are not documented offline).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
from aiohttp import web

DEFAULT_APP_ID = "2553928453557884079"
DEFAULT_OA_ID = "3662729599332560487"
DEFAULT_APP_SECRET = "fake-app-secret-ZxK81mQ"
DEFAULT_SECRET_KEY = "fake-oa-secret-key-8Hq2Lw"
SIGNATURE_HEADER = "X-ZEvent-Signature"

INVALID_ACCESS_TOKEN = -216
INVALID_PARAMS = -201
REFRESH_TOKEN_INVALID = -14014
BAD_APP_CREDENTIALS = -14001
BAD_CODE = -14002
BAD_CODE_VERIFIER = -14003
MAX_TEXT_CHARS = 2000


@dataclass
class Posted:
    """Our server's answer to one webhook POST."""

    status: int
    body: Any


def s256(verifier: str) -> str:
    """PKCE S256 challenge of a verifier."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sign(app_id: str, raw_body: bytes, timestamp: str, secret_key: str) -> str:
    """The `X-ZEvent-Signature` value Zalo sends (written independently of the adapter's code)."""
    data = f"{app_id}".encode() + raw_body + f"{timestamp}".encode() + secret_key.encode()
    return "mac=" + hashlib.sha256(data).hexdigest()


class FakeZaloOa:
    """Fake OA API + OAuth server on one free port of 127.0.0.1, and a webhook sender."""

    def __init__(
        self,
        *,
        app_id: str = DEFAULT_APP_ID,
        app_secret: str = DEFAULT_APP_SECRET,
        secret_key: str = DEFAULT_SECRET_KEY,
        oa_id: str = DEFAULT_OA_ID,
        expires_in: str = "90000",
    ) -> None:
        """Prepare the fake; start() it (or use `async with`)."""
        self.app_id = app_id
        self.app_secret = app_secret
        self.secret_key = secret_key
        self.oa_id = oa_id
        self.expires_in = expires_in
        self.root_url = ""
        # Every accepted send: {"recipient", "text", "user_id", "access_token", "message_id"}.
        self.sent: list[dict[str, Any]] = []
        # Every send request, accepted or not, with the error code answered.
        self.send_attempts: list[dict[str, Any]] = []
        # Every token request: {"grant_type", "form", "error"}.
        self.token_requests: list[dict[str, Any]] = []
        # Every access and refresh token ever minted (to check that none is logged).
        self.issued_tokens: list[str] = []
        self._valid_access: set[str] = set()
        self._live_refresh: set[str] = set()
        self._codes: dict[str, str] = {}  # authorisation code -> PKCE challenge
        self._message_owner: dict[str, str] = {}  # msg_id of a user message -> user id
        self._failures: list[list[Any]] = []  # [user_id or None, code, remaining]
        self._serial = itertools.count(1)
        self._clock_ms = 1_763_692_200_000
        self._send_gate = asyncio.Event()
        self._send_gate.set()
        self._token_gate = asyncio.Event()
        self._token_gate.set()
        self._waiting_sends = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def api_base_url(self) -> str:
        """Value for ZALO_OA_API_BASE_URL (openapi.zalo.me)."""
        return self.root_url

    @property
    def oauth_base_url(self) -> str:
        """Value for ZALO_OAUTH_BASE_URL (oauth.zaloapp.com); the same server here."""
        return self.root_url

    async def start(self) -> None:
        """Serve on a free port of 127.0.0.1 and open the session that posts webhooks."""
        app = web.Application()
        app.router.add_post("/v3.0/oa/message/cs", self._send)
        app.router.add_post("/v4/oa/access_token", self._access_token)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.root_url = f"http://{host}:{port}"
        self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        """Release blocked requests and stop serving."""
        self._send_gate.set()
        self._token_gate.set()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        """Start for an `async with` block."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop at the end of an `async with` block."""
        await self.stop()

    # --- test controls --------------------------------------------------------------------

    def issue_tokens(self) -> tuple[str, str]:
        """Mint a valid (access token, refresh token) pair, as a past authorisation would have."""
        serial = next(self._serial)
        access = f"acc{serial}-{secrets.token_hex(8)}"
        refresh = f"ref{serial}-{secrets.token_hex(8)}"
        self._valid_access.add(access)
        self._live_refresh.add(refresh)
        self.issued_tokens += [access, refresh]
        return access, refresh

    def invalidate_access_tokens(self) -> None:
        """Every access token issued so far is now rejected with -216 (expired early)."""
        self._valid_access.clear()

    def revoke_refresh_tokens(self) -> None:
        """Every refresh token issued so far is now refused with -14014."""
        self._live_refresh.clear()

    def register_challenge(self, challenge: str) -> str:
        """An authorisation code bound to a PKCE challenge, as the permission page would issue."""
        code = f"code{next(self._serial)}-{secrets.token_hex(6)}"
        self._codes[code] = challenge
        return code

    def approve(self, authorize_url: str) -> str:
        """Play the admin granting access on the permission page; the redirect URL with the code."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        assert query.get("app_id") == self.app_id, query
        code = self.register_challenge(query["code_challenge"])
        params = {"code": code, "oa_id": self.oa_id, "state": query.get("state", "")}
        return f"{query['redirect_uri']}?{urlencode(params)}"

    def fail_next_sends(self, code: int, count: int = 1, user_id: str | None = None) -> None:
        """Answer `code` to the next `count` sends (to `user_id`, or to anyone)."""
        self._failures.append([user_id, code, count])

    def hold_sends(self) -> None:
        """Make send requests wait until release_sends()."""
        self._send_gate.clear()

    def release_sends(self) -> None:
        """Let held send requests proceed."""
        self._send_gate.set()

    def hold_token_requests(self) -> None:
        """Make token requests wait until release_token_requests()."""
        self._token_gate.clear()

    def release_token_requests(self) -> None:
        """Let held token requests proceed."""
        self._token_gate.set()

    @property
    def waiting_sends(self) -> int:
        """Send requests currently held by hold_sends()."""
        return self._waiting_sends

    def refresh_requests(self) -> list[dict[str, Any]]:
        """The token requests with grant_type refresh_token."""
        return [r for r in self.token_requests if r["grant_type"] == "refresh_token"]

    async def _wait_until(self, condition: Callable[[], bool], what: str, timeout: float) -> None:
        async def wait() -> None:
            async with self._changed:
                await self._changed.wait_for(condition)

        try:
            await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None

    async def wait_for_sent(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until at least `count` messages were accepted; AssertionError on timeout."""
        await self._wait_until(lambda: len(self.sent) >= count, f"{count} sent", timeout)
        return list(self.sent)

    async def wait_for_attempts(self, count: int, timeout: float = 5.0) -> None:
        """Wait until at least `count` send requests arrived (accepted or not)."""
        await self._wait_until(
            lambda: len(self.send_attempts) >= count, f"{count} send attempts", timeout
        )

    async def wait_for_token_requests(self, count: int, timeout: float = 5.0) -> None:
        """Wait until at least `count` token requests arrived."""
        await self._wait_until(
            lambda: len(self.token_requests) >= count, f"{count} token requests", timeout
        )

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # --- the API --------------------------------------------------------------------------

    @staticmethod
    def _error(code: int, message: str) -> web.Response:
        # Zalo answers errors with HTTP 200 and a negative `error`.
        return web.json_response({"error": code, "message": message})

    def _take_failure(self, user_id: str | None) -> int | None:
        for failure in self._failures:
            target, code, remaining = failure
            if remaining > 0 and (target is None or target == user_id):
                failure[2] -= 1
                return int(code)
        return None

    async def _send(self, request: web.Request) -> web.Response:
        token = request.headers.get("access_token", "")
        try:
            body = await request.json()
        except ValueError:
            return self._error(INVALID_PARAMS, "body is not JSON")
        recipient = body.get("recipient") if isinstance(body, dict) else None
        message = body.get("message") if isinstance(body, dict) else None
        text = message.get("text") if isinstance(message, dict) else None
        user_id: str | None = None
        if isinstance(recipient, dict) and len(recipient) == 1:
            if isinstance(recipient.get("user_id"), str):
                user_id = recipient["user_id"]
            elif isinstance(recipient.get("message_id"), str):
                user_id = self._message_owner.get(recipient["message_id"])
        attempt: dict[str, Any] = {"recipient": recipient, "user_id": user_id, "error": None}
        self.send_attempts.append(attempt)
        await self._notify()
        if not self._send_gate.is_set():
            self._waiting_sends += 1
            await self._notify()
            try:
                await self._send_gate.wait()
            finally:
                self._waiting_sends -= 1
        response = self._answer_send(token, recipient, user_id, text, attempt)
        await self._notify()
        return response

    def _answer_send(
        self,
        token: str,
        recipient: Any,
        user_id: str | None,
        text: Any,
        attempt: dict[str, Any],
    ) -> web.Response:
        if token not in self._valid_access:
            attempt["error"] = INVALID_ACCESS_TOKEN
            return self._error(INVALID_ACCESS_TOKEN, "Access token is invalid")
        if user_id is None or not isinstance(text, str) or not 0 < len(text) <= MAX_TEXT_CHARS:
            attempt["error"] = INVALID_PARAMS
            return self._error(INVALID_PARAMS, "Parameters are invalid")
        failure = self._take_failure(user_id)
        if failure is not None:
            attempt["error"] = failure
            return self._error(failure, f"fake failure {failure}")
        attempt["error"] = 0
        message_id = secrets.token_hex(10)
        self.sent.append(
            {
                "recipient": recipient,
                "text": text,
                "user_id": user_id,
                "access_token": token,
                "message_id": message_id,
            }
        )
        return web.json_response(
            {
                "error": 0,
                "message": "Success",
                "data": {"message_id": message_id, "user_id": user_id},
            }
        )

    async def _access_token(self, request: web.Request) -> web.Response:
        form = {name: str(value) for name, value in (await request.post()).items()}
        record: dict[str, Any] = {"grant_type": form.get("grant_type"), "form": form, "error": None}
        self.token_requests.append(record)
        await self._notify()
        await self._token_gate.wait()
        response = self._answer_token(request.headers.get("secret_key"), form, record)
        await self._notify()
        return response

    def _answer_token(
        self, secret_key: str | None, form: dict[str, str], record: dict[str, Any]
    ) -> web.Response:
        def refuse(code: int, name: str) -> web.Response:
            record["error"] = code
            return web.json_response({"error": code, "error_name": name, "message": name})

        if secret_key != self.app_secret or form.get("app_id") != self.app_id:
            return refuse(BAD_APP_CREDENTIALS, "Invalid app_id or secret_key")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            challenge = self._codes.pop(form.get("code", ""), None)  # codes are single-use too
            if challenge is None:
                return refuse(BAD_CODE, "Invalid authorization code")
            if s256(form.get("code_verifier", "")) != challenge:
                return refuse(BAD_CODE_VERIFIER, "Invalid code verifier")
        elif grant == "refresh_token":
            refresh = form.get("refresh_token", "")
            if refresh not in self._live_refresh:
                return refuse(REFRESH_TOKEN_INVALID, "Invalid refresh token")
            self._live_refresh.discard(refresh)  # single-use
        else:
            return refuse(INVALID_PARAMS, "Invalid grant_type")
        access, refresh = self.issue_tokens()
        record["error"] = 0
        return web.json_response(
            {
                "access_token": access,
                "refresh_token": refresh,
                "expires_in": self.expires_in,
                "refresh_token_expires_in": "7776000",
            }
        )

    # --- Zalo's side of the webhook -------------------------------------------------------

    def next_timestamp(self) -> str:
        """A new event timestamp (milliseconds, a string as Zalo sends it)."""
        self._clock_ms += 1000
        return str(self._clock_ms)

    def _user_message(
        self, name: str, user_id: str, message: dict[str, Any], msg_id: str | None
    ) -> dict[str, Any]:
        msg_id = msg_id or secrets.token_hex(10)
        self._message_owner[msg_id] = user_id
        return {
            "event_name": name,
            "app_id": self.app_id,
            "sender": {"id": user_id},
            "recipient": {"id": self.oa_id},
            "message": {**message, "msg_id": msg_id},
            "timestamp": self.next_timestamp(),
            "user_id_by_app": "979122185046046317",
        }

    def text_event(self, user_id: str, text: str, *, msg_id: str | None = None) -> dict[str, Any]:
        """`user_send_text`."""
        return self._user_message("user_send_text", user_id, {"text": text}, msg_id)

    def image_event(
        self, user_id: str, url: str = "https://photo.example/zalo/a.jpg", caption: str = ""
    ) -> dict[str, Any]:
        """`user_send_image` with one photo."""
        attachment = {"type": "image", "payload": {"thumbnail": url, "url": url}}
        message = {"text": caption, "attachments": [attachment]}
        return self._user_message("user_send_image", user_id, message, None)

    def location_event(
        self, user_id: str, latitude: Any = "10.7721", longitude: Any = "106.6983"
    ) -> dict[str, Any]:
        """`user_send_location`; coordinates are strings in Zalo's events."""
        coordinates = {"latitude": latitude, "longitude": longitude}
        attachment = {"type": "location", "payload": {"coordinates": coordinates}}
        return self._user_message(
            "user_send_location", user_id, {"attachments": [attachment]}, None
        )

    def file_event(self, user_id: str) -> dict[str, Any]:
        """`user_send_file` (a PDF)."""
        payload = {"url": "https://file.example/a.pdf", "size": "1024", "name": "a.pdf"}
        attachment = {"type": "file", "payload": {**payload, "type": "pdf"}}
        return self._user_message("user_send_file", user_id, {"attachments": [attachment]}, None)

    def sticker_event(self, user_id: str) -> dict[str, Any]:
        """`user_send_sticker`."""
        attachment = {"type": "sticker", "payload": {"id": "bfe4", "url": "https://s.example/1"}}
        return self._user_message("user_send_sticker", user_id, {"attachments": [attachment]}, None)

    def follow_event(self, user_id: str, name: str = "follow") -> dict[str, Any]:
        """`follow` (or `unfollow`): the user is in `follower.id`, not `sender.id`."""
        return {
            "event_name": name,
            "app_id": self.app_id,
            "oa_id": self.oa_id,
            "follower": {"id": user_id},
            "source": "oa_profile",
            "timestamp": self.next_timestamp(),
            "user_id_by_app": "979122185046046317",
        }

    def unfollow_event(self, user_id: str) -> dict[str, Any]:
        """`unfollow`."""
        return self.follow_event(user_id, name="unfollow")

    def seen_event(self, user_id: str, name: str = "user_seen_message") -> dict[str, Any]:
        """A receipt (`user_seen_message` / `user_received_message`): sender is the OA."""
        return {
            "event_name": name,
            "app_id": self.app_id,
            "sender": {"id": self.oa_id},
            "recipient": {"id": user_id},
            "message": {"msg_ids": [m["message_id"] for m in self.sent[-1:]]},
            "timestamp": self.next_timestamp(),
        }

    def received_event(self, user_id: str) -> dict[str, Any]:
        """`user_received_message`."""
        return self.seen_event(user_id, name="user_received_message")

    def event(self, name: str, **fields: Any) -> dict[str, Any]:
        """Any other event (e.g. `user_submit_info`, or one Zalo adds later)."""
        return {
            "event_name": name,
            "app_id": self.app_id,
            "timestamp": self.next_timestamp(),
            **fields,
        }

    def signature_for(self, raw: bytes, event: dict[str, Any]) -> str:
        """The header Zalo would send with `raw`, signed with the event's app_id and timestamp."""
        return sign(str(event["app_id"]), raw, str(event["timestamp"]), self.secret_key)

    async def sign_and_post(self, url: str, event: dict[str, Any]) -> Posted:
        """POST a correctly signed event to our webhook at `url`."""
        raw = json.dumps(event, ensure_ascii=False).encode()
        return await self.post_raw(url, raw, signature=self.signature_for(raw, event))

    async def post_raw(self, url: str, raw: bytes, *, signature: str | None) -> Posted:
        """POST exact bytes with the given signature header (None: no header at all)."""
        assert self._session is not None, "start the fake first"
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers[SIGNATURE_HEADER] = signature
        async with self._session.post(url, data=raw, headers=headers) as response:
            text = await response.text()
            try:
                body: Any = json.loads(text)
            except ValueError:
                body = text
            return Posted(response.status, body)

"""Zalo OA tokens: OAuth v4 with PKCE, and access tokens refreshed through the database.

A Zalo refresh token is single-use: spending it twice (two processes refreshing at once) answers
-14014 and leaves the Official Account unusable until an admin authorises it again. Every refresh
therefore runs under `ChannelStore.locked_token`, re-reading the stored pair inside the lock, and
the new pair is committed in the same transaction.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import aiohttp

from storage.channels import ChannelStore, TokenRecord

logger = logging.getLogger(__name__)

TOKEN_PATH = "/v4/oa/access_token"
PERMISSION_PATH = "/v4/oa/permission"
# The refresh token was already used or has expired: only an admin can authorise the OA again.
REFRESH_TOKEN_INVALID = -14014
# Used when `expires_in` is missing or unreadable: short, so a wrong guess costs one refresh.
FALLBACK_EXPIRES_IN = 3600
AUTHORIZE_COMMAND = "ykien zalo oa-authorize"
ALERT_MESSAGE = f"Zalo OA tokens are no longer valid: run `{AUTHORIZE_COMMAND}`"
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=20)


class ZaloOaError(Exception):
    """A Zalo OA API or OAuth call answered an error code (negative), or could not be read."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"Zalo OA error {code}: {message}")
        self.code = code
        self.message = message


class ZaloOaTransportError(ZaloOaError):
    """Zalo's answer was not the JSON envelope (an HTTP error page, a proxy); code = HTTP status."""


class OaNotAuthorisedError(RuntimeError):
    """No tokens are stored for the Official Account: an admin must authorise it first."""


def make_code_verifier() -> str:
    """A fresh PKCE code verifier (43 URL-safe characters, as RFC 7636 requires at least)."""
    return secrets.token_urlsafe(32)


def code_challenge(verifier: str) -> str:
    """The S256 PKCE challenge: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(
    oauth_base_url: str, app_id: str, redirect_uri: str, challenge: str, state: str
) -> str:
    """The page where an OA admin grants our app access; Zalo then redirects with `code`."""
    query = urlencode(
        {
            "app_id": app_id,
            "redirect_uri": redirect_uri,
            "code_challenge": challenge,
            "state": state,
        }
    )
    return f"{oauth_base_url.rstrip('/')}{PERMISSION_PATH}?{query}"


def error_code(value: Any) -> int | None:
    """Zalo's `error` field as an int (it is a number, sometimes a numeric string); None if not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def error_message(data: dict[str, Any]) -> str:
    """The most specific human-readable reason in an error answer."""
    for key in ("message", "error_description", "error_reason", "error_name"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return "no reason given"


def _seconds(value: Any) -> int:
    # Zalo sends "90000" (a string); tolerate a number, and never trust a non-positive value.
    try:
        seconds = int(str(value).strip())
    except ValueError:
        return FALLBACK_EXPIRES_IN
    return seconds if seconds > 0 else FALLBACK_EXPIRES_IN


async def read_json(response: aiohttp.ClientResponse) -> dict[str, Any]:
    """The JSON object of a Zalo answer, or ZaloOaTransportError with the HTTP status."""
    try:
        data = await response.json(content_type=None)
    except (ValueError, UnicodeDecodeError, aiohttp.ContentTypeError):
        data = None
    if not isinstance(data, dict):
        raise ZaloOaTransportError(response.status, f"HTTP {response.status}, not a JSON object")
    return data


class ZaloOAuth:
    """The OAuth v4 token endpoint: exchange an authorisation code, refresh a token pair."""

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, app_id: str, app_secret: str
    ) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self._app_secret = app_secret

    async def exchange_code(self, code: str, code_verifier: str) -> tuple[str, int, str]:
        """Trade the admin's authorisation code for (access token, seconds valid, refresh token)."""
        return await self._token(
            {
                "app_id": self.app_id,
                "grant_type": "authorization_code",
                "code": code,
                "code_verifier": code_verifier,
            }
        )

    async def refresh(self, refresh_token: str) -> tuple[str, int, str]:
        """Spend a (single-use) refresh token for a new pair."""
        return await self._token(
            {
                "app_id": self.app_id,
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
            }
        )

    async def _token(self, form: dict[str, str]) -> tuple[str, int, str]:
        async with self.session.post(
            self.base_url + TOKEN_PATH,
            data=form,
            headers={"secret_key": self._app_secret},
            timeout=REQUEST_TIMEOUT,
        ) as response:
            data = await read_json(response)
        code = error_code(data.get("error"))
        access = data.get("access_token")
        refresh = data.get("refresh_token")
        if code not in (None, 0) or not isinstance(access, str) or not access:
            raise ZaloOaError(code if code is not None else -1, error_message(data))
        if not isinstance(refresh, str) or not refresh:
            # Without the new refresh token the old one is already spent: nothing to continue with.
            raise ZaloOaError(-1, "the token answer carries no refresh_token")
        logger.info("zalo oauth: %s granted", form["grant_type"])
        return access, _seconds(data.get("expires_in")), refresh


Clock = Callable[[], datetime]


def oa_token_name(app_id: str) -> str:
    """Where the tokens of one OA app are kept in `channel_tokens`."""
    return f"zalo_oa:{app_id}"


Alert = Callable[[str], Awaitable[None]]


class OaTokens:
    """The OA's access token, refreshed ahead of expiry or after Zalo rejected it."""

    def __init__(
        self,
        store: ChannelStore,
        oauth: ZaloOAuth,
        *,
        name: str,
        clock: Clock,
        alert: Alert,
        refresh_margin: timedelta = timedelta(hours=1),
    ) -> None:
        self.store = store
        self.oauth = oauth
        self.name = name
        self.clock = clock
        self.alert = alert
        self.refresh_margin = refresh_margin
        # Tasks of this process queue here instead of all waiting on the database row lock.
        self._lock = asyncio.Lock()
        # The token version whose refresh token Zalo refused: neither retried nor re-alerted
        # until an admin stores a new pair (which bumps the version).
        self._dead_version: int | None = None

    def _fresh(self, record: TokenRecord) -> bool:
        return record.access_expires_at - self.refresh_margin > self.clock()

    async def access_token(self) -> tuple[str, int]:
        """A usable access token and its version (pass the version to refresh_after_rejection)."""
        record = await self.store.get_token(self.name)
        if record is None:
            raise self._missing()
        if not self._fresh(record):
            record = await self._refresh(lambda current: not self._fresh(current))
        return record.access_token, record.version

    async def refresh_after_rejection(self, seen_version: int) -> str:
        """A new access token after Zalo rejected version `seen_version` (-216/-220)."""
        record = await self._refresh(lambda current: current.version <= seen_version)
        return record.access_token

    def _missing(self) -> OaNotAuthorisedError:
        return OaNotAuthorisedError(
            f"no Zalo OA tokens stored under {self.name!r}: run `{AUTHORIZE_COMMAND}`"
        )

    async def _refresh(self, needed: Callable[[TokenRecord], bool]) -> TokenRecord:
        """Refresh under the row lock, unless `needed` says another process already did."""
        async with self._lock:
            known_dead = self._dead_version
            try:
                return await self._refresh_locked(needed)
            except ZaloOaError as error:
                if error.code != REFRESH_TOKEN_INVALID:
                    raise
                incident = error
            # Outside the row lock: the alert may well touch the database itself. One alert per
            # refused token pair, not one per message that could not be answered.
            if self._dead_version != known_dead:
                logger.error("zalo oa: refresh token of %s refused (-14014)", self.name)
                try:
                    await self.alert(ALERT_MESSAGE)
                except Exception:
                    logger.exception("zalo oa: the operator alert failed")
            raise incident

    async def _refresh_locked(self, needed: Callable[[TokenRecord], bool]) -> TokenRecord:
        async with self.store.locked_token(self.name) as (current, save):
            if current is None:
                raise self._missing()
            if not needed(current):
                return current  # refreshed meanwhile by another process (or task)
            if current.version == self._dead_version:
                raise ZaloOaError(REFRESH_TOKEN_INVALID, "refresh token already refused")
            try:
                access, expires_in, refresh = await self.oauth.refresh(current.refresh_token)
            except ZaloOaError as error:
                if error.code == REFRESH_TOKEN_INVALID:
                    self._dead_version = current.version
                raise
            now = self.clock()
            record = await save(access, now + timedelta(seconds=expires_in), refresh, now)
            logger.info("zalo oa: tokens of %s refreshed (version %d)", self.name, record.version)
            return record

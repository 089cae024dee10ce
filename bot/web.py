"""One aiohttp application for every inbound webhook, plus a health check."""

from __future__ import annotations

import hmac
import logging
from typing import TYPE_CHECKING

from aiohttp import web
from telegram import Update

from bot import json_body
from bot.channels import telegram_adapter
from bot.channels.telegram_adapter import TelegramAdapter
from bot.inbox import Inbox

if TYPE_CHECKING:
    from bot.channels.zalo_bot import ZaloBotAdapter
    from bot.channels.zalo_oa import ZaloOaAdapter
    from bot.metrics import Metrics

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TELEGRAM_ADAPTER: web.AppKey[TelegramAdapter] = web.AppKey("telegram_adapter", TelegramAdapter)
TELEGRAM_SECRET: web.AppKey[str] = web.AppKey("telegram_secret", str)
INBOX: web.AppKey[Inbox] = web.AppKey("inbox", Inbox)
# What PTB's Update.de_json raises for a malformed update: AttributeError for a field of the
# wrong JSON type (e.g. "message": "x"), OverflowError/OSError for a date past time_t.
UPDATE_PARSE_ERRORS = (AttributeError, KeyError, TypeError, ValueError, OverflowError, OSError)
# Seconds a refused sender is asked to wait before re-delivering.
RETRY_AFTER_SECONDS = 5


def secrets_match(given: str | None, expected: str) -> bool:
    """Constant-time comparison; an empty expected secret never matches."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


async def store_update(
    request: web.Request, channel: str, update_key: str, chat_key: str, payload: dict[str, object]
) -> web.Response | None:
    """Put an update in the inbox; a 503 to send back when it cannot be stored now, else None.

    The 503 (full inbox, or the database down) makes Telegram and Zalo re-deliver it later.
    """
    try:
        stored = await request.app[INBOX].accept(channel, update_key, chat_key, payload)
    except Exception as error:
        logger.error("%s update %s not stored: %s", channel, update_key, type(error).__name__)
        stored = False
    if stored:
        return None
    return web.json_response(
        {"ok": False, "error": "busy"},
        status=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def healthz(_request: web.Request) -> web.Response:
    """Liveness probe: the process serves HTTP."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness probe: webhooks would be stored now (the inbox's database answers, room left)."""
    reason = request.app[INBOX].not_ready()
    if reason is not None:
        return web.json_response({"status": "unavailable", "reason": reason}, status=503)
    return web.json_response({"status": "ready"})


async def telegram_webhook(request: web.Request) -> web.Response:
    """Telegram webhook: verify the secret, parse, store in the inbox, and only then answer 200."""
    if not secrets_match(request.headers.get(TELEGRAM_SECRET_HEADER), request.app[TELEGRAM_SECRET]):
        logger.warning("telegram webhook: wrong or missing secret from %s", request.remote)
        return web.json_response({"ok": False}, status=403)
    try:
        data = json_body.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        return web.json_response({"ok": False, "error": "malformed JSON"}, status=400)
    adapter = request.app[TELEGRAM_ADAPTER]
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        return web.json_response({"ok": False, "error": "not an update"}, status=400)
    try:
        update = Update.de_json(data, adapter.bot)
    except UPDATE_PARSE_ERRORS:
        logger.warning("telegram webhook: update %s could not be parsed", data.get("update_id"))
        return web.json_response({"ok": False, "error": "not an update"}, status=400)
    incoming = telegram_adapter.to_incoming(update, adapter.engine.clock())
    if incoming is None:
        return web.json_response({"ok": True})  # nothing the bot acts on
    refused = await store_update(
        request, telegram_adapter.CHANNEL, incoming.update_id, incoming.user.key, data
    )
    return refused or web.json_response({"ok": True})


def build_web_app(
    inbox: Inbox,
    *,
    telegram: TelegramAdapter | None = None,
    telegram_secret: str = "",
    zalo_bot: ZaloBotAdapter | None = None,
    zalo_oa: ZaloOaAdapter | None = None,
    metrics: Metrics | None = None,
) -> web.Application:
    """The aiohttp application with the routes of the configured channels, which store their
    updates in `inbox`; each channel is registered there as the consumer of its updates."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[INBOX] = inbox
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    if metrics is not None:
        app.router.add_get("/metrics", metrics.handler)
    if telegram is not None:
        app[TELEGRAM_ADAPTER] = telegram
        app[TELEGRAM_SECRET] = telegram_secret
        app.router.add_post("/webhooks/telegram", telegram_webhook)
        inbox.consumer(telegram_adapter.CHANNEL, telegram.take)
    if zalo_bot is not None:
        app.router.add_post("/webhooks/zalo-bot", zalo_bot.handle_webhook)
        inbox.consumer(zalo_bot.channel, zalo_bot.take)
    if zalo_oa is not None:
        app.router.add_post("/webhooks/zalo-oa", zalo_oa.handle_webhook)
        inbox.consumer(zalo_oa.channel, zalo_oa.take)
    return app

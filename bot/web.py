"""One aiohttp application for every inbound webhook, plus a health check."""

from __future__ import annotations

import hmac
import logging
from typing import TYPE_CHECKING

from aiohttp import web
from telegram import Update

from bot import json_body
from bot.channels.telegram_adapter import TelegramAdapter

if TYPE_CHECKING:
    from bot.channels.zalo_bot import ZaloBotAdapter
    from bot.channels.zalo_oa import ZaloOaAdapter
    from bot.metrics import Metrics

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TELEGRAM_ADAPTER: web.AppKey[TelegramAdapter] = web.AppKey("telegram_adapter", TelegramAdapter)
TELEGRAM_SECRET: web.AppKey[str] = web.AppKey("telegram_secret", str)


def secrets_match(given: str | None, expected: str) -> bool:
    """Constant-time comparison; an empty expected secret never matches."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


async def healthz(_request: web.Request) -> web.Response:
    """Liveness probe."""
    return web.json_response({"status": "ok"})


async def telegram_webhook(request: web.Request) -> web.Response:
    """Telegram webhook: verify the secret, parse, handle, and only then answer 200."""
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
    except (AttributeError, KeyError, TypeError, ValueError):
        # PTB raises AttributeError for a field of the wrong JSON type (e.g. "message": "x").
        logger.warning("telegram webhook: update %s could not be parsed", data.get("update_id"))
        return web.json_response({"ok": False, "error": "not an update"}, status=400)
    # An exception here becomes a 500, so Telegram re-delivers; the engine makes that a no-op
    # when the first attempt did commit.
    await adapter.process(update)
    return web.json_response({"ok": True})


def build_web_app(
    *,
    telegram: TelegramAdapter | None = None,
    telegram_secret: str = "",
    zalo_bot: ZaloBotAdapter | None = None,
    zalo_oa: ZaloOaAdapter | None = None,
    metrics: Metrics | None = None,
) -> web.Application:
    """The aiohttp application with the routes of the configured channels."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_get("/healthz", healthz)
    if metrics is not None:
        app.router.add_get("/metrics", metrics.handler)
    if telegram is not None:
        app[TELEGRAM_ADAPTER] = telegram
        app[TELEGRAM_SECRET] = telegram_secret
        app.router.add_post("/webhooks/telegram", telegram_webhook)
    if zalo_bot is not None:
        app.router.add_post("/webhooks/zalo-bot", zalo_bot.handle_webhook)
    if zalo_oa is not None:
        app.router.add_post("/webhooks/zalo-oa", zalo_oa.handle_webhook)
    return app

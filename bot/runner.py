"""`ykien run` and `ykien serve`: every configured channel in one process.

Telegram and the Zalo Bot Platform take updates by long polling, or by webhook when their
webhook URL is set (`serve` always uses webhooks for them); the Zalo OA has webhooks only. The
HTTP server (webhooks and /healthz) starts when any channel needs it, and always for `serve`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import timedelta
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from telegram.constants import MessageLimit

from bot.alerts import AdminAlerts, ChatSender
from bot.announcements import AnnouncementPlanner
from bot.answers import AnswerReminderPlanner
from bot.app import App
from bot.channels import zalo_bot, zalo_oa, zalo_oauth
from bot.channels.telegram_adapter import ALLOWED_UPDATES, TelegramAdapter, make_bot
from bot.channels.telegram_outbox import TelegramButtonSender
from bot.consultation_reports import SynthesisPlanner
from bot.deadlines import DeadlineReminderPlanner
from bot.draft_files import ChannelDraftFiles, telegram_fetch, url_fetch
from bot.housekeeping import HousekeepingPlanner
from bot.inbox import Inbox
from bot.metrics import Metrics
from bot.report_files import FileSender, telegram_file_sender
from bot.retention import RetentionPlanner
from bot.scheduler import (
    ButtonSender,
    DigestRecipient,
    MonthlyDigestPlanner,
    Scheduler,
    WeeklyDigestPlanner,
    staff_recipients,
)
from bot.web import build_web_app
from config import texts
from config.settings import Settings
from handlers.messages import Outgoing, split_text
from storage.channels import ChannelStore
from storage.db import Database
from storage.inbox import create_inbox_file, inbox_database_url

logger = logging.getLogger(__name__)

Poller = Callable[[asyncio.Event], Awaitable[None]]


class UsageError(Exception):
    """A command cannot run with the given settings; the message says what to set."""


def _require(value: object, message: str) -> None:
    if not value:
        raise UsageError(message)


async def run_channels(
    app: App, stop: asyncio.Event, *, serve: bool, reuse_port: bool = False
) -> None:
    """Start every configured channel; return when `stop` is set; raise if a channel fails."""
    settings = app.settings
    if not (settings.telegram_bot_token or settings.zalo_bot_token or settings.zalo_oa_app_id):
        raise UsageError(
            "No channel is configured: set TELEGRAM_BOT_TOKEN, ZALO_BOT_TOKEN or ZALO_OA_APP_ID."
        )
    senders: dict[str, ChatSender] = {}
    # Only Telegram carries the digest's report files (see bot.report_files).
    file_senders: dict[str, FileSender] = {}
    # Only Telegram has buttons and edits (the review queue, ratings under answers).
    button_senders: dict[str, ButtonSender] = {}
    alerts = AdminAlerts(settings.admin_chat_list, senders)
    pollers: list[tuple[str, Poller]] = []
    registrations: list[Callable[[], Awaitable[None]]] = []
    routes: dict[str, object] = {}
    # Officers may send a consultation's draft as a document where the channel delivers files;
    # each such channel registers below how to fetch one.
    draft_files = ChannelDraftFiles()
    app.engine.draft_files = draft_files
    async with AsyncExitStack() as stack:
        session = await stack.enter_async_context(aiohttp.ClientSession())

        if settings.telegram_bot_token is not None:
            telegram = TelegramAdapter(
                make_bot(
                    settings.telegram_bot_token.get_secret_value(),
                    settings.telegram_api_base_url,
                    send_rate=settings.telegram_send_rate,
                ),
                app.engine,
            )
            webhook = serve or bool(settings.telegram_webhook_url)
            if webhook:
                _require(
                    settings.telegram_webhook_secret,
                    "TELEGRAM_WEBHOOK_SECRET is required to receive Telegram webhooks.",
                )
            await telegram.bot.initialize()
            stack.push_async_callback(telegram.bot.shutdown)
            senders["telegram"] = _telegram_sender(telegram)
            button_senders["telegram"] = TelegramButtonSender(telegram.bot)
            file_senders["telegram"] = telegram_file_sender(telegram.bot)
            draft_files.add("telegram", telegram_fetch(telegram.bot))
            if webhook:
                assert settings.telegram_webhook_secret is not None
                secret = settings.telegram_webhook_secret.get_secret_value()
                routes["telegram"] = telegram
                routes["telegram_secret"] = secret
                if settings.telegram_webhook_url:
                    registrations.append(
                        functools.partial(
                            telegram.bot.set_webhook,
                            settings.telegram_webhook_url,
                            secret_token=secret,
                            allowed_updates=ALLOWED_UPDATES,
                        )
                    )
            else:
                logger.info("polling Telegram as @%s", telegram.bot.username)
                pollers.append(("telegram", telegram.poll))

        if settings.zalo_bot_token is not None:
            bot = _zalo_bot(settings, session, app)
            senders[zalo_bot.CHANNEL] = split_sender(
                bot.client.send_message, zalo_bot.MAX_TEXT_LENGTH
            )
            if serve or settings.zalo_bot_webhook_url:
                _require(
                    settings.zalo_bot_webhook_secret,
                    "ZALO_BOT_WEBHOOK_SECRET (8-256 characters) is required for Zalo Bot webhooks.",
                )
                routes["zalo_bot"] = bot
                if settings.zalo_bot_webhook_url:
                    registrations.append(
                        functools.partial(
                            bot.client.set_webhook,
                            settings.zalo_bot_webhook_url,
                            bot.webhook_secret,
                        )
                    )
            else:
                logger.info("polling the Zalo Bot Platform")
                pollers.append((zalo_bot.CHANNEL, bot.poll))

        if settings.zalo_oa_app_id:
            oa = _zalo_oa(settings, session, app, alerts)
            senders[zalo_oa.CHANNEL] = _oa_sender(oa)
            draft_files.add(zalo_oa.CHANNEL, url_fetch(session))
            routes["zalo_oa"] = oa

        if settings.scheduler_enabled:
            scheduler = _scheduler(app, senders, file_senders, button_senders)
            app.engine.on_queued = scheduler.kick
            pollers.append(("scheduler", scheduler.run))

        if serve or routes:
            inbox_db = app.db
            if inbox_database_url(app.db.url) != app.db.url:
                inbox_db = Database(inbox_database_url(app.db.url))
                await create_inbox_file(inbox_db)
                stack.push_async_callback(inbox_db.dispose)
            inbox = Inbox(
                inbox_db,
                app.engine.clock,
                limit=settings.inbox_limit,
                lease=timedelta(seconds=settings.inbox_lease_seconds),
                # SQLite writes one unit of work at a time anyway: a second resident in
                # parallel would only take CPU from the webhooks.
                concurrency=1 if app.db.is_sqlite else 2,
            )
            metrics = Metrics(app.engine, app.db, inbox)
            web_app = build_web_app(inbox, **routes, metrics=metrics)  # type: ignore[arg-type]
            pollers.append(("inbox", inbox.run))
            runner = web.AppRunner(web_app)
            await runner.setup()
            stack.push_async_callback(runner.cleanup)
            # Several `serve` workers share the port (bot.workers); the kernel spreads connections.
            await web.TCPSite(
                runner, settings.http_host, settings.http_port, reuse_port=reuse_port
            ).start()
            logger.info("serving on http://%s:%s", settings.http_host, settings.http_port)
        for register in registrations:
            await register()
        if registrations:
            logger.info("%d webhook(s) registered", len(registrations))
        await _until_stopped(stop, pollers)


def _zalo_bot(
    settings: Settings, session: aiohttp.ClientSession, app: App
) -> zalo_bot.ZaloBotAdapter:
    assert settings.zalo_bot_token is not None
    client = zalo_bot.ZaloBotClient(
        session, settings.zalo_bot_token.get_secret_value(), settings.zalo_bot_api_base_url
    )
    secret = settings.zalo_bot_webhook_secret
    return zalo_bot.ZaloBotAdapter(
        client, app.engine, webhook_secret=secret.get_secret_value() if secret else ""
    )


def _zalo_oa(
    settings: Settings, session: aiohttp.ClientSession, app: App, alerts: AdminAlerts
) -> zalo_oa.ZaloOaAdapter:
    app_id = settings.zalo_oa_app_id
    assert app_id
    _require(settings.zalo_oa_app_secret, "ZALO_OA_APP_SECRET is required for the Zalo OA.")
    _require(settings.zalo_oa_secret_key, "ZALO_OA_SECRET_KEY is required for the Zalo OA.")
    assert settings.zalo_oa_app_secret is not None and settings.zalo_oa_secret_key is not None
    store = ChannelStore(app.db)
    oauth = zalo_oauth.ZaloOAuth(
        session,
        settings.zalo_oauth_base_url,
        app_id,
        settings.zalo_oa_app_secret.get_secret_value(),
    )
    tokens = zalo_oauth.OaTokens(
        store,
        oauth,
        name=zalo_oauth.oa_token_name(app_id),
        clock=app.engine.clock,
        alert=functools.partial(alerts.notify, texts.ALERT_ZALO_OA_REAUTHORIZE),
    )
    client = zalo_oa.ZaloOaClient(session, settings.zalo_oa_api_base_url, tokens)
    return zalo_oa.ZaloOaAdapter(
        client,
        app.engine,
        store,
        app_id=app_id,
        secret_key=settings.zalo_oa_secret_key.get_secret_value(),
    )


def _scheduler(
    app: App,
    senders: dict[str, ChatSender],
    file_senders: dict[str, FileSender] | None = None,
    button_senders: dict[str, ButtonSender] | None = None,
) -> Scheduler:
    """Monthly digests (each officer their unit, the admin chats everything), reporting
    deadline reminders and overdue notices, answer-deadline reminders and escalations; and,
    through the same outbox, officers' answers relayed to residents."""
    settings = app.settings
    tz = ZoneInfo(settings.timezone)

    async def recipients() -> list[DigestRecipient]:
        return await staff_recipients(app.db, settings.admin_chat_list)

    calendar = app.engine.calendar
    planners = [
        MonthlyDigestPlanner(
            app.db,
            calendar,
            tz,
            recipients,
            hour=settings.digest_hour,
            reports_dir=settings.data_dir / "reports",
        ),
        WeeklyDigestPlanner(app.db, calendar, tz, recipients, hour=settings.digest_hour),
        DeadlineReminderPlanner(app.db, calendar, tz, hour=settings.digest_hour),
        AnswerReminderPlanner(app.db, calendar, tz, hour=settings.digest_hour),
        AnnouncementPlanner(app.db, tz),
        SynthesisPlanner(app.db, tz, settings.data_dir / "reports"),
    ]
    planners.append(HousekeepingPlanner(app.db, tz))
    if settings.retention_days:
        planners.append(RetentionPlanner(app.db, settings.retention_days))
    return Scheduler(
        app.db,
        clock=app.engine.clock,
        planners=planners,
        senders=senders,
        file_senders=file_senders,
        button_senders=button_senders,
        grace=timedelta(hours=settings.scheduler_grace_hours),
    )


def split_sender(send: Callable[[str, str], Awaitable[object]], limit: int) -> ChatSender:
    """A sender that splits long texts (a digest) to the channel's message limit."""

    async def sender(chat: str, text: str) -> None:
        for chunk in split_text(text, limit):
            await send(chat, chunk)

    return sender


def _telegram_sender(adapter: TelegramAdapter) -> ChatSender:
    async def send(chat: str, text: str) -> None:
        await adapter.bot.send_message(chat, text)

    return split_sender(send, MessageLimit.MAX_TEXT_LENGTH)


def _oa_sender(adapter: zalo_oa.ZaloOaAdapter) -> ChatSender:
    async def send(chat: str, text: str) -> None:
        await adapter.deliver(chat, [Outgoing(chat_id=chat, text=text)])

    return send


async def _until_stopped(stop: asyncio.Event, pollers: list[tuple[str, Poller]]) -> None:
    """Run the pollers until `stop`; the error of a poller that fails stops the others too."""
    tasks = {asyncio.create_task(poll(stop), name=name) for name, poll in pollers}
    stopped = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait({stopped, *tasks}, return_when=asyncio.FIRST_COMPLETED)
        for task in done - {stopped}:
            if task.exception() is not None:
                logger.error("channel %s stopped with an error", task.get_name())
                raise task.exception()  # type: ignore[misc]
    finally:
        stop.set()  # the pollers finish their current update and return
        stopped.cancel()
        for task in tasks:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=40)

"""`run_channels`: the channels of one process wired together (in-process, real HTTP).

The Zalo OA's refresh token is refused (-14014): the alert must reach the admin chat configured
in YKIEN_ADMIN_CHATS, here on the Zalo Bot Platform that the same process polls.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest

from bot.app import App
from bot.channels.zalo_oauth import oa_token_name
from bot.runner import UsageError, run_channels
from config import texts
from config.settings import Settings
from handlers.intake import Engine
from nlp.analyzer import Analyzer
from storage.channels import ChannelStore
from storage.db import Database
from tests.fakes import zalo_bot_server as zb
from tests.fakes.zalo_oa_server import (
    DEFAULT_APP_ID,
    DEFAULT_APP_SECRET,
    DEFAULT_SECRET_KEY,
    FakeZaloOa,
)

ADMIN_CHAT = "ad0123456789abcdef01"
OA_USER = "6142494823000000099"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[zb.FakeZaloBot, FakeZaloOa]]:
    async with zb.FakeZaloBot(max_poll_seconds=0.2) as bot, FakeZaloOa() as oa:
        yield bot, oa


def _app(settings: Settings, db: Database, engine: Engine, analyzer: Analyzer) -> App:
    return App(
        settings=settings, db=db, localities=engine.localities, engine=engine, analyzer=analyzer
    )


async def test_a_refused_oa_refresh_token_alerts_the_admins_on_another_channel(
    fakes: tuple[zb.FakeZaloBot, FakeZaloOa], engine: Engine, db: Database, analyzer: Analyzer
) -> None:
    bot, oa = fakes
    port = _free_port()
    settings = Settings(
        YKIEN_HTTP_HOST="127.0.0.1",
        YKIEN_HTTP_PORT=port,
        YKIEN_ADMIN_CHATS=f"zalo_bot:{ADMIN_CHAT},telegram:1",
        ZALO_BOT_TOKEN=zb.DEFAULT_TOKEN,
        ZALO_BOT_API_BASE_URL=bot.base_url,
        ZALO_OA_APP_ID=DEFAULT_APP_ID,
        ZALO_OA_APP_SECRET=DEFAULT_APP_SECRET,
        ZALO_OA_SECRET_KEY=DEFAULT_SECRET_KEY,
        ZALO_OA_API_BASE_URL=oa.api_base_url,
        ZALO_OAUTH_BASE_URL=oa.oauth_base_url,
    )
    # Tokens that expired, with a refresh token Zalo no longer takes.
    access, refresh = oa.issue_tokens()
    now = engine.clock()
    await ChannelStore(db).put_token(
        oa_token_name(DEFAULT_APP_ID), access, now - timedelta(hours=1), refresh, now
    )
    oa.revoke_refresh_tokens()

    stop = asyncio.Event()
    running = asyncio.create_task(
        run_channels(_app(settings, db, engine, analyzer), stop, serve=False)
    )
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.05)
            posted = await oa.sign_and_post(
                f"http://127.0.0.1:{port}/webhooks/zalo-oa", oa.follow_event(OA_USER)
            )
        assert posted.status == 200, posted
        (alert,) = await bot.wait_for_sent(1)
        assert alert["chat_id"] == ADMIN_CHAT
        assert alert["text"] == texts.ALERT_ZALO_OA_REAUTHORIZE
        assert oa.sent == []  # nothing could be sent to the resident: kept for later
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=10)


async def test_no_channel_is_a_usage_error(
    engine: Engine, db: Database, analyzer: Analyzer
) -> None:
    with pytest.raises(UsageError, match="TELEGRAM_BOT_TOKEN, ZALO_BOT_TOKEN or ZALO_OA_APP_ID"):
        await run_channels(_app(Settings(), db, engine, analyzer), asyncio.Event(), serve=False)


async def test_a_zalo_bot_webhook_needs_its_secret(
    engine: Engine, db: Database, analyzer: Analyzer
) -> None:
    settings = Settings(ZALO_BOT_TOKEN="t:1", ZALO_BOT_WEBHOOK_URL="https://example.invalid/z")
    with pytest.raises(UsageError, match="ZALO_BOT_WEBHOOK_SECRET"):
        await run_channels(_app(settings, db, engine, analyzer), asyncio.Event(), serve=False)


async def test_scheduled_texts_are_split_to_the_channel_limit() -> None:
    from bot.runner import split_sender

    sent: list[tuple[str, str]] = []

    async def send(chat: str, text: str) -> None:
        sent.append((chat, text))

    digest = "Dòng một của báo cáo\n" * 30  # 630 characters
    await split_sender(send, 200)("42", digest)
    assert len(sent) == 4 and all(chat == "42" and len(text) <= 200 for chat, text in sent)
    assert "\n".join(text for _, text in sent).rstrip("\n") == digest.rstrip("\n")

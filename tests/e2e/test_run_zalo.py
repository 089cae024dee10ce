"""`ykien run` with both Zalo channels in one process: the Bot Platform by long polling and the
OA by signed webhooks, against FakeZaloBot and FakeZaloOa on 127.0.0.1."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.channels.zalo_oauth import oa_token_name
from config import taxonomy, texts
from config.settings import Settings
from storage.channels import ChannelStore
from storage.db import Database
from tests.dialogue import receipt_pattern
from tests.e2e.test_cli import (
    CONTENT,
    TIMEOUT,
    Cli,
    Process,
    assert_private_logs,
    free_port,
    make_cli,
    until,
)
from tests.fakes import zalo_bot_server as zb
from tests.fakes.zalo_oa_server import (
    DEFAULT_APP_ID,
    DEFAULT_APP_SECRET,
    DEFAULT_SECRET_KEY,
    FakeZaloOa,
)

OA_USER = "6142494823000000077"
NOTICE = texts.PRIVACY_NOTICE.format(version=texts.PRIVACY_NOTICE_VERSION)


@pytest.fixture
async def zalo_bot() -> AsyncIterator[zb.FakeZaloBot]:
    # Short empty polls: the bot asks again at once, and SIGTERM is not held up by a long poll.
    async with zb.FakeZaloBot(max_poll_seconds=0.5) as server:
        yield server


@pytest.fixture
async def zalo_oa() -> AsyncIterator[FakeZaloOa]:
    async with FakeZaloOa() as server:
        yield server


async def _authorise(database: Path, zalo_oa: FakeZaloOa) -> None:
    """Store tokens as `ykien zalo oa-authorize` would (that command has its own tests)."""
    db = Database(f"sqlite+aiosqlite:///{database}")
    try:
        await db.upgrade()
        access, refresh = zalo_oa.issue_tokens()
        now = datetime.now(UTC)
        await ChannelStore(db).put_token(
            oa_token_name(DEFAULT_APP_ID), access, now + timedelta(hours=25), refresh, now
        )
    finally:
        await db.dispose()


async def test_run_serves_both_zalo_channels_until_sigterm(
    tmp_path: Path, nlp_settings: Settings, zalo_bot: zb.FakeZaloBot, zalo_oa: FakeZaloOa
) -> None:
    cli: Cli = make_cli(tmp_path, nlp_settings.model_dir)
    await _authorise(tmp_path / "data" / "ykien.sqlite3", zalo_oa)
    port = free_port()
    process = Process(
        cli.with_env(
            ZALO_BOT_TOKEN=zb.DEFAULT_TOKEN,
            ZALO_BOT_API_BASE_URL=zalo_bot.base_url,
            ZALO_OA_APP_ID=DEFAULT_APP_ID,
            ZALO_OA_APP_SECRET=DEFAULT_APP_SECRET,
            ZALO_OA_SECRET_KEY=DEFAULT_SECRET_KEY,
            ZALO_OA_API_BASE_URL=zalo_oa.api_base_url,
            ZALO_OAUTH_BASE_URL=zalo_oa.oauth_base_url,
            YKIEN_HTTP_HOST="127.0.0.1",
            YKIEN_HTTP_PORT=str(port),
        ),
        "run",
    )
    webhook = f"http://127.0.0.1:{port}/webhooks/zalo-oa"

    async def say_on_bot(text: str, replies: int = 1) -> list[str]:
        before = len(zalo_bot.sent)
        zalo_bot.queue_update(zb.text_update(text))
        await until(lambda: len(zalo_bot.sent) >= before + replies, process, repr(text))
        return [m["text"] for m in zalo_bot.sent[before:]]

    try:
        await process.start()
        # The Zalo Bot Platform, long polling: the whole intake with typed numbers.
        assert [t.split("\n\n")[0] for t in await say_on_bot("/start", 2)] == [
            texts.WELCOME,
            NOTICE.split("\n\n")[0],
        ]
        await say_on_bot("1")  # consent
        await say_on_bot(str(list(taxonomy.KINDS).index("phan_anh") + 1))
        await say_on_bot(CONTENT)
        await say_on_bot("1")  # no attachments: continue
        await say_on_bot("1")  # no locality: skip
        await say_on_bot(str(len(taxonomy.TARGET_GROUPS) + 1))  # no group: skip
        (receipt,) = await say_on_bot("1")  # submit
        found = re.search(r"YK-[0-9A-Z]{6}", receipt)
        assert found and re.fullmatch(receipt_pattern(found.group(0)), receipt), receipt
        assert zalo_bot.calls_of("deleteWebhook")

        # The OA, by webhook, in the same process.
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as http:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + TIMEOUT
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                process.check_alive()
                assert loop.time() < deadline, process.stderr
                await asyncio.sleep(0.1)
        posted = await zalo_oa.sign_and_post(webhook, zalo_oa.follow_event(OA_USER))
        assert posted.status == 200, posted
        await until(lambda: len(zalo_oa.sent) >= 2, process, "the OA welcome")
        assert zalo_oa.sent[0]["text"] == texts.WELCOME
        assert all(m["user_id"] == OA_USER for m in zalo_oa.sent)
        forged = await zalo_oa.post_raw(webhook, b'{"event_name": "follow"}', signature="mac=00")
        assert forged.status == 403
        code = await process.terminate()
    finally:
        await process.kill()
    assert code == 0, process.stderr
    assert_private_logs(process.stderr, token=zb.DEFAULT_TOKEN)
    assert DEFAULT_SECRET_KEY not in process.stderr

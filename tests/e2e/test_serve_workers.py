"""`ykien serve --workers N`: workers share the port, the parent restarts one that dies and
stops them all on SIGTERM; exactly one of them runs the scheduler."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import aiohttp
from sqlalchemy import text

from config import texts
from config.settings import Settings
from storage.db import Database
from tests.e2e.test_cli import (
    TIMEOUT,
    TOKEN,
    WEBHOOK_SECRET,
    Cli,
    Process,
    free_port,
    make_cli,
    until,
)
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.telegram_updates import command_update
from tests.integration.test_metrics import samples

# The parent migrates and loads the models, then both workers load them: slow on a busy machine.
STARTUP_TIMEOUT = 4 * TIMEOUT


def children(process: Process) -> list[int]:
    """The worker processes of the supervisor."""
    assert process.proc is not None
    pid = process.proc.pid
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def workers_cli(
    tmp_path: Path, nlp: Settings, tg: FakeTelegram, url: str, port: int, **extra: str
) -> Cli:
    """The CLI serving Telegram webhooks from `url` on `port`, replying to the fake `tg`."""
    return make_cli(tmp_path, nlp.model_dir).with_env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=tg.root_url,
        TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
        YKIEN_DATABASE_URL=url,
        YKIEN_HTTP_HOST="127.0.0.1",
        YKIEN_HTTP_PORT=str(port),
        **extra,
    )


async def both_serving(process: Process) -> None:
    """Wait until both workers of `serve --workers 2` serve."""
    await until(
        lambda: process.stderr.count("serving on") == 2,
        process,
        "both workers serving",
        STARTUP_TIMEOUT,
    )


def running(pid: int) -> bool:
    """Whether a process of this pid exists."""
    return Path(f"/proc/{pid}").exists()


async def advisory_locks(url: str) -> int:
    """Advisory locks held in the database (the scheduler's is the only kind we take)."""
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            name = await conn.scalar(text("SELECT current_database()"))
            count = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                    "WHERE l.locktype = 'advisory' AND l.granted AND d.datname = :name"
                ),
                {"name": name},
            )
        return int(count or 0)
    finally:
        await db.dispose()


def test_several_workers_need_postgresql(tmp_path: Path, nlp_settings: Settings) -> None:
    cli = make_cli(tmp_path, nlp_settings.model_dir)
    result = cli.with_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET).run(
        "serve", "--workers", "2"
    )
    assert result.returncode == 2
    assert "PostgreSQL" in result.stderr
    assert "Traceback" not in result.stderr


async def test_workers_share_the_port_are_restarted_and_stop_together(
    tmp_path: Path, nlp_settings: Settings, postgres_url: str
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with FakeTelegram(TOKEN) as tg:
        cli = workers_cli(tmp_path, nlp_settings, tg, postgres_url, port)
        process = Process(cli, "serve", "--workers", "2")
        timeout = aiohttp.ClientTimeout(total=TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout) as session:

            async def healthy() -> bool:
                try:
                    async with session.get(f"{base}/healthz") as response:
                        return response.status == 200
                except aiohttp.ClientError:
                    return False

            try:
                await process.start()
                loop = asyncio.get_running_loop()
                deadline = loop.time() + STARTUP_TIMEOUT
                while not (len(children(process)) == 2 and await healthy()):
                    process.check_alive()
                    assert loop.time() < deadline, f"never served:\n{process.stderr}"
                    await asyncio.sleep(0.2)
                first = children(process)
                await until(
                    lambda: (
                        "serving on" in process.stderr and process.stderr.count("serving on") == 2
                    ),
                    process,
                    "both workers serving",
                )
                headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
                update = command_update("start", update_id=1)
                async with session.post(
                    f"{base}/webhooks/telegram", json=update, headers=headers
                ) as response:
                    assert response.status == 200
                await until(lambda: len(tg.sent) >= 2, process, "the welcome")
                assert tg.sent[0]["text"] == texts.WELCOME
                for _ in range(50):  # both compete for the scheduler; one holds it
                    if await advisory_locks(postgres_url) == 1:
                        break
                    await asyncio.sleep(0.2)
                assert await advisory_locks(postgres_url) == 1

                os.kill(first[0], signal.SIGKILL)
                deadline = loop.time() + STARTUP_TIMEOUT
                while True:
                    now = children(process)
                    if len(now) == 2 and first[0] not in now and await healthy():
                        break
                    process.check_alive()
                    assert loop.time() < deadline, f"no new worker:\n{process.stderr}"
                    await asyncio.sleep(0.2)
                assert first[1] in now  # the other one was left alone
                workers = now
                code = await asyncio.wait_for(process.terminate(), 60)
            finally:
                await process.kill()
    assert code == 0, process.stderr
    assert not any(running(pid) for pid in workers)  # stopped and reaped by the parent
    assert "exited with -9; restarting it" in process.stderr
    assert "all workers stopped" in process.stderr


async def test_workers_stop_when_the_parent_is_killed(
    tmp_path: Path, nlp_settings: Settings, postgres_url: str
) -> None:
    port = free_port()
    async with FakeTelegram(TOKEN) as tg:
        cli = workers_cli(tmp_path, nlp_settings, tg, postgres_url, port, YKIEN_SCHEDULER="false")
        process = Process(cli, "serve", "--workers", "2")
        try:
            await process.start()
            await both_serving(process)
            workers = children(process)
            await process.kill()  # SIGKILL: the parent cannot stop them itself
            loop = asyncio.get_running_loop()
            deadline = loop.time() + TIMEOUT
            while any(running(pid) for pid in workers):
                assert loop.time() < deadline, f"orphaned workers kept serving:\n{process.stderr}"
                await asyncio.sleep(0.2)
        finally:
            await process.kill()
    assert "the parent process" in process.stderr


async def test_metrics_add_up_every_worker(
    tmp_path: Path, nlp_settings: Settings, postgres_url: str
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    residents = 12
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    async with FakeTelegram(TOKEN) as tg:
        cli = workers_cli(
            tmp_path, nlp_settings, tg, postgres_url, port,
            YKIEN_SCHEDULER="false", TMPDIR=str(temporary),
        )  # fmt: skip
        process = Process(cli, "serve", "--workers", "2")
        try:
            await process.start()
            await both_serving(process)
            headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
            # A connection of its own per request, so the kernel spreads them over both workers.
            connector = aiohttp.TCPConnector(force_close=True)
            timeout = aiohttp.ClientTimeout(total=TIMEOUT)
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
                for number in range(residents):
                    update = command_update(
                        "start", user_id=900_000 + number, update_id=900_000 + number
                    )
                    async with session.post(
                        f"{base}/webhooks/telegram", json=update, headers=headers
                    ) as response:
                        assert response.status == 200
                await until(lambda: len(tg.sent) >= 2 * residents, process, "every welcome")
                assert [p.name[:14] for p in temporary.iterdir()] == ["ykien-metrics-"]
                scrapes = []
                for _ in range(10):
                    async with session.get(f"{base}/metrics") as response:
                        assert response.status == 200
                        scrapes.append(samples(await response.text()))
            assert await process.terminate() == 0
        finally:
            await process.kill()
    assert list(temporary.iterdir()) == []  # the parent removed its workers' figures
    telegram = (("channel", "telegram"),)
    for scraped in scrapes:  # whichever worker answered, the figures are everyone's
        assert scraped[("ykien_updates_received_total", telegram)] == residents
        assert scraped[("ykien_updates_processed_total", telegram)] == residents
        assert scraped[("ykien_update_seconds_count", telegram)] == residents
        assert scraped[("ykien_inbox_backlog", ())] == 0

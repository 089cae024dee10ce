"""`ykien bench intake`: webhook updates/s and latency of a real `ykien serve`, against a bare
aiohttp handler measured the same way.

This process is the sender: for a fixed time it keeps `--connections` residents writing at
once, each sending its updates one after the other as Telegram does (the next only after the
200): /start, consent, then whole submissions. The server is `ykien serve --workers N` in its
own processes, on a scratch SQLite file or the PostgreSQL database given, replying to a fake Bot
API (a third process). Then the same sender drives a handler that only parses the JSON and
answers 200. Afterwards the inbox must drain: every acknowledged update handled, none lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import select

from bot.runner import UsageError
from config.settings import Settings
from storage import models
from storage.db import Database
from storage.inbox import SqlInbox, create_inbox_file, inbox_database_url

TOKEN = "123456:BENCH-INTAKE"
SECRET = "bench-intake-webhook-secret"
LOCALITY = "phuong ben thanh"
SUBMISSIONS = 3
DRAIN_TIMEOUT = 900.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the fake Bot API and the bare handler (each in its own process) --------------------------


def _serve_bot_api(port: int) -> None:
    """Answer every Bot API method as Telegram would, as fast as possible."""

    async def method(request: web.Request) -> web.Response:
        name = request.match_info["method"].lower()
        if name == "getme":
            result: Any = {"id": 1, "is_bot": True, "first_name": "bench", "username": "bench"}
        elif name == "sendmessage":
            data = await request.post() if request.content_type != "application/json" else {}
            if not data:
                data = await request.json()
            chat = int(str(data.get("chat_id", 0)))
            result = {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private"},
                "text": str(data.get("text", "")),
            }
        else:
            result = True
        return web.json_response({"ok": True, "result": result})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", method)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def _serve_bare(port: int) -> None:
    """The baseline: parse the JSON, answer 200, nothing else."""

    async def handler(request: web.Request) -> web.Response:
        await request.json()
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/webhooks/telegram", handler)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, reuse_port=True)


# --- the sender -----------------------------------------------------------------------------


def submission_text(resident: int, number: int) -> str:
    """The text of a resident's submission, unique to both."""
    return f"Đèn đường hẻm {resident} số {number} hỏng lâu rồi, tối rất nguy hiểm."


def resident_updates(resident: int) -> list[dict[str, Any]]:
    """One resident's updates: /start, consent, then whole submissions."""
    user = {"id": 800_000_000 + resident, "is_bot": False, "first_name": "Lan"}
    chat = {"id": user["id"], "type": "private", "first_name": "Lan"}
    now = int(time.time())
    updates: list[dict[str, Any]] = []

    def message(text: str, command: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"message_id": len(updates) + 1, "date": now, "chat": chat}
        body.update({"from": user, "text": text})
        if command:
            body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        return {"message": body}

    def press(data: str) -> dict[str, Any]:
        shown = {"message_id": 1, "date": now, "chat": chat, "text": "..."}
        query = {"id": f"{resident}-{len(updates)}", "from": user, "chat_instance": "1"}
        return {"callback_query": {**query, "message": shown, "data": data}}

    steps = [message("/start", command=True), press("consent:yes")]
    for number in range(SUBMISSIONS):
        steps += [
            message(submission_text(resident, number)),
            press("kind:phan_anh"),
            press("att:done"),
            message(LOCALITY),
            press("grp:skip"),
            press("confirm:submit"),
        ]
    for index, step in enumerate(steps):
        updates.append({"update_id": resident * 100 + index + 1, **step})
    return updates


@dataclass
class Drive:
    """What one timed run of the sender saw."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    acked: set[int] = field(default_factory=set)

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)

        def quantile(q: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

        return {
            "updates_per_s": round(len(self.acked) / self.seconds, 1),
            "p50_ms": quantile(0.50) if ordered else None,
            "p99_ms": quantile(0.99) if ordered else None,
            "acknowledged": len(self.acked),
            "refused_503": self.statuses.get(503, 0),
            "other_statuses": {k: v for k, v in self.statuses.items() if k not in (200, 503)},
            "connection_errors": self.errors,
        }


async def drive(url: str, seconds: float, connections: int, first_resident: int) -> Drive:
    """Send residents' updates over `connections` connections for `seconds`."""
    result = Drive()
    residents = iter(range(first_resident, 10**9))
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=30)
    loop = asyncio.get_running_loop()

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        end = loop.time() + seconds

        async def one_connection() -> None:
            while loop.time() < end:
                for update in resident_updates(next(residents)):
                    body = json.dumps(update).encode()
                    while loop.time() < end:
                        started = time.perf_counter()
                        try:
                            async with session.post(url, data=body, headers=headers) as reply:
                                await reply.read()
                                status = reply.status
                        except (aiohttp.ClientError, TimeoutError):
                            result.errors += 1
                            await asyncio.sleep(0.1)
                            continue
                        result.latencies.append(time.perf_counter() - started)
                        result.statuses[status] = result.statuses.get(status, 0) + 1
                        if status == 200:
                            result.acked.add(update["update_id"])
                            break
                        await asyncio.sleep(0.05)  # refused: re-deliver, as Telegram does
                    else:
                        return

        started = loop.time()
        await asyncio.gather(*(one_connection() for _ in range(connections)))
        result.seconds = loop.time() - started
    return result


async def _wait_healthy(base: str, process: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(1200):
            if process.returncode is not None:
                raise RuntimeError(f"the server exited with {process.returncode}")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{base}/healthz") as reply:
                    if reply.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError("the server never answered /healthz")


async def _bare_ready(port: int) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            with contextlib.suppress(aiohttp.ClientError):
                async with session.post(
                    f"http://127.0.0.1:{port}/webhooks/telegram", json={}
                ) as reply:
                    if reply.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError("the bare server never answered")


async def _handled(db: Database) -> tuple[set[int], int]:
    """(update ids handled, updates waiting in the inbox), the inbox counted first: an update
    handled in between then shows in the ids, never in neither."""
    inbox_db = Database(inbox_database_url(db.url))
    try:
        waiting = await SqlInbox(inbox_db).pending()
    finally:
        await inbox_db.dispose()
    async with db.engine.connect() as conn:
        ids = (await conn.execute(select(models.InboundUpdate.update_id))).scalars().all()
    return {int(i) for i in ids}, waiting


def _server_env(settings: Settings, url: str, port: int, api_port: int, data: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    env.update(
        YKIEN_DATABASE_URL=url,
        YKIEN_DATA_DIR=str(data),
        YKIEN_HTTP_HOST="127.0.0.1",
        YKIEN_HTTP_PORT=str(port),
        YKIEN_LOG_LEVEL="WARNING",
        YKIEN_SCHEDULER="false",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{api_port}",
        # The fake Bot API has no 30-a-second limit; with it, replies would set the pace.
        TELEGRAM_SEND_RATE="100000",
        # Room for the whole run: the window measures taking updates in, not the 503s of a
        # full inbox (handling is measured apart, during and after the run).
        YKIEN_INBOX_LIMIT="1000000",
    )
    return env


async def run(
    settings: Settings, *, db_kind: str, url: str | None, workers: int, seconds: float,
    connections: int,
) -> dict[str, Any]:  # fmt: skip
    """One benchmark run; the figures as a dict."""
    with tempfile.TemporaryDirectory(prefix="ykien-bench-intake-") as scratch:
        data = Path(scratch) / "data"
        data.mkdir()
        if settings.model_dir.is_dir():  # reuse trained models rather than train again
            shutil.copytree(settings.model_dir, data / "models")
        if db_kind == "sqlite":
            url = f"sqlite+aiosqlite:///{scratch}/bench.sqlite3"
        assert url is not None
        db = Database(url)
        await db.upgrade()
        if inbox_database_url(url) != url:
            inbox_db = Database(inbox_database_url(url))
            await create_inbox_file(inbox_db)
            await inbox_db.dispose()
        if (await _handled(db))[0]:
            raise UsageError("the database already holds updates: give an empty one")
        ctx = multiprocessing.get_context("spawn")
        api_port, port, bare_port = _free_port(), _free_port(), _free_port()
        api = ctx.Process(target=_serve_bot_api, args=(api_port,), daemon=True)
        api.start()
        command = [sys.executable, "-m", "bot.cli", "serve", "--workers", str(workers)]
        env = _server_env(settings, url, port, api_port, data)
        server = await asyncio.create_subprocess_exec(*command, env=env)
        try:
            await _wait_healthy(f"http://127.0.0.1:{port}", server)
            await asyncio.sleep(2.0 if workers > 1 else 0.5)  # every worker up
            ours = await drive(
                f"http://127.0.0.1:{port}/webhooks/telegram", seconds, connections, 1
            )
            handled_in_window, _ = await _handled(db)
            drain_started = time.perf_counter()
            while True:
                handled, waiting = await _handled(db)
                if not waiting or time.perf_counter() - drain_started > DRAIN_TIMEOUT:
                    break
                await asyncio.sleep(0.2)
            drain = time.perf_counter() - drain_started
        finally:
            server.terminate()
            await asyncio.wait_for(server.wait(), 60)
            api.terminate()
            await db.dispose()
        bare_processes = [
            ctx.Process(target=_serve_bare, args=(bare_port,), daemon=True) for _ in range(workers)
        ]
        for process in bare_processes:
            process.start()
        try:
            await _bare_ready(bare_port)
            bare = await drive(
                f"http://127.0.0.1:{bare_port}/webhooks/telegram", seconds, connections, 1
            )
        finally:
            for process in bare_processes:
                process.terminate()
    summary = ours.summary()
    lost = ours.acked - handled
    return {
        "db": db_kind,
        "workers": workers,
        "seconds": seconds,
        "connections": connections,
        "ykien": summary,
        "bare_aiohttp": bare.summary(),
        "ratio_to_bare": round(summary["updates_per_s"] / bare.summary()["updates_per_s"], 3),
        "handled_during_run_per_s": round(len(handled_in_window) / ours.seconds, 1),
        "drain_after_run_s": round(drain, 1),
        "handled_total": len(handled),
        "lost": len(lost),
    }


def runs(
    settings: Settings, *, db_kind: str, url: str | None, workers: int, seconds: float,
    connections: int, repeat: int,
) -> Iterator[dict[str, Any]]:  # fmt: skip
    """`repeat` runs, one after the other (PostgreSQL: emptied between runs)."""
    for _ in range(repeat):
        if db_kind == "postgresql":
            assert url is not None
            asyncio.run(_empty(url))
        yield asyncio.run(
            run(settings, db_kind=db_kind, url=url, workers=workers, seconds=seconds,
                connections=connections)
        )  # fmt: skip


async def _empty(url: str) -> None:
    """Drop every table of the benchmark database (it must be a scratch one)."""
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(models.Base.metadata.drop_all)
            await conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    finally:
        await db.dispose()


def main(args: Any, settings: Settings) -> dict[str, Any]:
    """The CLI entry: every run's figures and their medians."""
    url = args.database_url
    if args.db == "postgresql" and not url:
        raise UsageError("--db postgresql needs --database-url of a scratch database")
    results = list(
        runs(settings, db_kind=args.db, url=url, workers=args.workers, seconds=args.seconds,
             connections=args.connections, repeat=args.runs)
    )  # fmt: skip

    def median(path: tuple[str, ...]) -> float:
        values = []
        for result in results:
            value: Any = result
            for key in path:
                value = value[key]
            values.append(value)
        return round(statistics.median(values), 2)

    return {
        "runs": results,
        "median": {
            "updates_per_s": median(("ykien", "updates_per_s")),
            "p50_ms": median(("ykien", "p50_ms")),
            "p99_ms": median(("ykien", "p99_ms")),
            "bare_updates_per_s": median(("bare_aiohttp", "updates_per_s")),
            "bare_p99_ms": median(("bare_aiohttp", "p99_ms")),
            "ratio_to_bare": median(("ratio_to_bare",)),
            "handled_during_run_per_s": median(("handled_during_run_per_s",)),
            "lost": median(("lost",)),
        },
    }

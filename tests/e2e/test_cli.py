"""The `ykien` console script as an operator runs it: real subprocesses, embedded SQLite.

Each run gets its own YKIEN_DATA_DIR and runs in a temporary directory (so a developer's `.env`
is not read). Telegram is a FakeTelegram on 127.0.0.1 started by the test.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from docx import Document
from openpyxl import load_workbook

from bot.channels.telegram_adapter import ALLOWED_UPDATES
from bot.web import TELEGRAM_SECRET_HEADER
from config import taxonomy, texts
from config.settings import Settings
from nlp.locality import LocalityIndex
from tests.dialogue import receipt_pattern
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.telegram_updates import DEFAULT_USER_ID, command_update, text_update

REPO = Path(__file__).resolve().parents[2]
YKIEN = Path(sys.executable).parent / "ykien"
TOKEN = "987654:CLI-E2E-SECRET-TOKEN-xyz"
WEBHOOK_SECRET = "cli-e2e-webhook-secret-42"
WEBHOOK_URL = "https://example.invalid/webhooks/telegram"
CONTENT = (
    "Rác thải ùn ứ ở đầu hẻm 12 đã ba ngày chưa được thu gom, bốc mùi hôi thối. "
    "Cần thì gọi tôi 0912 345 678."
)
# What every export shows instead: personal data replaced by a typed placeholder.
REDACTED = CONTENT.replace("0912 345 678", "[SĐT]")
LOCALITY_QUERY = "phuong ben thanh"
SKIP_GROUP = str(len(taxonomy.TARGET_GROUPS) + 1)
CODE_PATTERN = re.compile(r"YK-[0-9A-Z]{6}")
# The export's columns, in order (spelled out here: a change to them must be deliberate).
EXPORT_FIELDS = [
    "code",
    "kind",
    "text",
    "locality",
    "group",
    "status",
    "created_at",
    "topic",
    "topic_confidence",
    "predicted_kind",
    "kind_confidence",
    "flags",
    "needs_review",
    "cluster_id",
    "restricted",
]
TIMEOUT = 15.0


def ykien(*args: str) -> list[str]:
    """The console script next to this interpreter, or the module if it is not installed."""
    if YKIEN.exists():
        return [str(YKIEN), *args]
    return [sys.executable, "-m", "bot.cli", *args]


@dataclass
class Cli:
    """Where and with which environment the CLI runs."""

    cwd: Path
    env: dict[str, str]

    @property
    def data_dir(self) -> Path:
        return Path(self.env["YKIEN_DATA_DIR"])

    @property
    def database(self) -> Path:
        return self.data_dir / "ykien.sqlite3"

    def with_env(self, **extra: str) -> Cli:
        return Cli(self.cwd, {**self.env, **extra})

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ykien(*args),
            cwd=self.cwd,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
            check=False,
        )


def make_cli(directory: Path, models: Path) -> Cli:
    """A CLI with its own data dir, holding a copy of the session's trained models."""
    shutil.copytree(models, directory / "data" / "models")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "YKIEN_", "ZALO_"))
    }
    env.update(
        YKIEN_DATA_DIR=str(directory / "data"),
        YKIEN_LOG_LEVEL="INFO",
        PYTHONPATH=str(REPO),
        PYTHONIOENCODING="utf-8",
        PYTHONUNBUFFERED="1",
    )
    return Cli(directory, env)


@pytest.fixture
def cli(tmp_path: Path, nlp_settings: Settings) -> Cli:
    return make_cli(tmp_path, nlp_settings.model_dir)


def count_submissions(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        return int(conn.execute("SELECT count(*) FROM submissions").fetchone()[0])


def assert_private_logs(stderr: str, *, token: str | None = None) -> None:
    """INFO logs carry neither the bot token nor what the resident wrote."""
    assert " INFO " in stderr, "expected INFO logs on stderr"
    assert CONTENT not in stderr
    assert CONTENT[:30] not in stderr
    if token is not None:
        assert token not in stderr
        assert token.split(":", 1)[1] not in stderr
        assert quote(token, safe="") not in stderr


# --- db upgrade -------------------------------------------------------------------------


def test_db_upgrade_creates_the_sqlite_file(cli: Cli) -> None:
    assert not cli.database.exists()
    result = cli.run("db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert cli.database.is_file()
    with sqlite3.connect(cli.database) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"people", "conversations", "submissions", "inbound_updates"} <= tables
    # Running it again is a no-op.
    assert cli.run("db", "upgrade").returncode == 0


# --- shell, then export -----------------------------------------------------------------


@dataclass
class ShellRun:
    cli: Cli
    result: subprocess.CompletedProcess[str]
    code: str
    label: str
    started: datetime


@pytest.fixture(scope="module")
def shell_run(
    tmp_path_factory: pytest.TempPathFactory, localities: LocalityIndex, nlp_settings: Settings
) -> ShellRun:
    """One resident's whole conversation typed into `ykien shell` through a pipe."""
    cli = make_cli(tmp_path_factory.mktemp("shell"), nlp_settings.model_dir)
    lines = ["/start", "1", "2", CONTENT, "1", LOCALITY_QUERY, SKIP_GROUP, "1"]
    started = datetime.now(UTC)
    result = cli.run("shell", stdin="\n".join(lines) + "\n")
    found = CODE_PATTERN.search(result.stdout)
    assert found, result.stdout + result.stderr
    best = localities.match(LOCALITY_QUERY, limit=1)[0]
    assert best.exact
    return ShellRun(cli, result, found.group(0), best.locality.label, started)


def test_shell_conversation_gets_a_receipt(shell_run: ShellRun) -> None:
    result = shell_run.result
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # Non-interactive: no banner, replies with numbered choices.
    assert texts.SHELL_BANNER not in out
    assert texts.PRIVACY_NOTICE.format(version=texts.PRIVACY_NOTICE_VERSION) in out
    assert f"1. {texts.BUTTON_CONSENT_YES}" in out
    assert texts.LOCALITY_SET.format(label=shell_run.label) in out
    assert re.search(receipt_pattern(shell_run.code), out)
    assert count_submissions(shell_run.cli.database) == 1
    assert_private_logs(result.stderr)


def test_export_jsonl(shell_run: ShellRun) -> None:
    result = shell_run.cli.run("export", "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    row = json.loads(lines[0])
    assert list(row) == EXPORT_FIELDS
    created_at = datetime.fromisoformat(row.pop("created_at"))
    assert created_at.tzinfo is not None
    assert shell_run.started - timedelta(seconds=5) <= created_at <= datetime.now(UTC)
    for confidence in ("topic_confidence", "kind_confidence"):
        assert 0.0 < row.pop(confidence) <= 1.0
    assert isinstance(row.pop("cluster_id"), int)
    assert row == {
        "code": shell_run.code,
        "kind": "phan_anh",
        "text": REDACTED,
        "locality": shell_run.label,
        "group": None,
        "status": taxonomy.INITIAL_STATUS,
        "topic": "moi_truong",
        "predicted_kind": "phan_anh",
        "flags": ["pii"],
        "needs_review": False,
        "restricted": False,
    }


def test_export_csv_to_file(shell_run: ShellRun, tmp_path: Path) -> None:
    out = tmp_path / "export.csv"
    result = shell_run.cli.run("export", "--format", "csv", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    with out.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        assert reader.fieldnames == EXPORT_FIELDS
    assert len(rows) == 1
    (row,) = rows
    assert (row["code"], row["kind"], row["text"], row["locality"]) == (
        shell_run.code,
        "phan_anh",
        REDACTED,
        shell_run.label,
    )
    assert row["status"] == taxonomy.INITIAL_STATUS
    assert row["topic"] == "moi_truong"
    assert json.loads(row["flags"]) == ["pii"]


def test_export_xlsx_to_file(shell_run: ShellRun, tmp_path: Path) -> None:
    out = tmp_path / "export.xlsx"
    result = shell_run.cli.run("export", "--format", "xlsx", "--out", str(out))
    assert result.returncode == 0, result.stderr
    workbook = load_workbook(out, read_only=True)
    try:
        rows = list(workbook.worksheets[0].values)
    finally:
        workbook.close()
    assert list(rows[0]) == EXPORT_FIELDS
    assert len(rows) == 2
    data = dict(zip(EXPORT_FIELDS, rows[1], strict=True))
    assert (data["code"], data["kind"], data["text"], data["locality"]) == (
        shell_run.code,
        "phan_anh",
        REDACTED,
        shell_run.label,
    )


def test_export_xlsx_needs_out(shell_run: ShellRun) -> None:
    result = shell_run.cli.run("export", "--format", "xlsx")
    assert result.returncode == 2
    assert "--out" in result.stderr
    assert result.stdout == ""


# --- demo -------------------------------------------------------------------------------


def test_demo_stores_at_least_twenty_submissions(cli: Cli) -> None:
    result = cli.run("demo")
    assert result.returncode == 0, result.stderr
    found = re.search(r"(\d+) ý kiến đã lưu", result.stdout)
    assert found, result.stdout
    reported = int(found.group(1))
    assert reported >= 20
    listed = re.findall(r"^\s+YK-[0-9A-Z]{6}\s", result.stdout, flags=re.MULTILINE)
    assert len(listed) == reported
    assert count_submissions(cli.database) == reported
    # Then residents comment on the sample draft and the synthesis report is written.
    report = re.search(
        r"Báo cáo tổng hợp \((\d+) ý kiến\):\n\s+(\S+\.docx)\n\s+(\S+\.xlsx)", result.stdout
    )
    assert report, result.stdout[-2000:]
    assert int(report.group(1)) == 4
    docx, xlsx = Path(report.group(2)), Path(report.group(3))
    assert docx.stat().st_size > 10_000 and xlsx.stat().st_size > 1_000
    assert "Tổng hợp ý kiến góp ý của Nhân dân vào dự thảo" in "\n".join(
        paragraph.text for paragraph in Document(str(docx)).paragraphs
    )


# --- run (long polling) -----------------------------------------------------------------


def test_run_without_token_is_a_usage_error(cli: Cli) -> None:
    result = cli.run("run")
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_telegram_is_a_clear_error(cli: Cli) -> None:
    token = "4242:unreachable-token-value"
    result = cli.with_env(
        TELEGRAM_BOT_TOKEN=token, TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{free_port()}"
    ).run("run")
    assert result.returncode == 1
    assert "ykien: Telegram API:" in result.stderr
    assert "Traceback" not in result.stderr
    assert_private_logs(result.stderr, token=token)


class Process:
    """A CLI subprocess with its output in files (no pipe can fill up and block it)."""

    def __init__(self, cli: Cli, *args: str) -> None:
        self.cli = cli
        self.args = args
        self.stdout_path = cli.cwd / f"{args[0]}.stdout"
        self.stderr_path = cli.cwd / f"{args[0]}.stderr"
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.proc = await asyncio.create_subprocess_exec(
                *ykien(*self.args),
                cwd=self.cli.cwd,
                env=self.cli.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def check_alive(self) -> None:
        assert self.proc is not None
        if self.proc.returncode is not None:
            raise AssertionError(f"ykien exited with {self.proc.returncode}:\n{self.stderr}")

    async def terminate(self) -> int:
        """SIGTERM, then the exit code (bounded)."""
        assert self.proc is not None
        self.check_alive()
        self.proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), TIMEOUT)

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


async def until(
    condition: Callable[[], Any], process: Process, what: str, timeout: float = TIMEOUT
) -> Any:
    """Wait (at most `timeout` seconds) for a condition while the process stays alive."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = condition()
        if value:
            return value
        process.check_alive()
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n{process.stderr}")
        await asyncio.sleep(0.05)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(TOKEN) as server:
        yield server


async def test_run_polls_until_sigterm(cli: Cli, tg: FakeTelegram) -> None:
    process = Process(
        cli.with_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=tg.root_url), "run"
    )
    tg.queue_update(command_update("start"))
    try:
        await process.start()
        await until(lambda: len(tg.sent) >= 2, process, "the privacy notice")
        assert [m["text"] for m in tg.sent] == [
            texts.WELCOME,
            texts.PRIVACY_NOTICE.format(version=texts.PRIVACY_NOTICE_VERSION),
        ]
        # Text before consent: asked to consent again; the text itself must not be logged.
        last = tg.queue_update(text_update(CONTENT))
        await until(lambda: len(tg.sent) >= 4, process, "the answer to the text")
        assert tg.sent[2]["text"] == texts.CONSENT_REQUIRED
        assert all(m["chat_id"] == DEFAULT_USER_ID for m in tg.sent)
        code = await process.terminate()
    finally:
        await process.kill()
    assert code == 0, process.stderr
    assert tg.confirmed_offset == last["update_id"] + 1
    assert tg.pending_updates == []
    assert tg.calls_of("getMe")
    assert tg.calls_of("deleteWebhook")
    assert_private_logs(process.stderr, token=TOKEN)


# --- serve (webhooks) -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_serve_receives_webhooks_until_sigterm(cli: Cli, tg: FakeTelegram) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = Process(
        cli.with_env(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=tg.root_url,
            TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
            TELEGRAM_WEBHOOK_URL=WEBHOOK_URL,
            YKIEN_HTTP_HOST="127.0.0.1",
            YKIEN_HTTP_PORT=str(port),
        ),
        "serve",
    )
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as session:

        async def healthy() -> bool:
            try:
                async with session.get(f"{base}/healthz") as response:
                    return response.status == 200
            except aiohttp.ClientError:
                return False

        async def post(update: dict[str, Any], secret: str) -> int:
            headers = {TELEGRAM_SECRET_HEADER: secret}
            async with session.post(
                f"{base}/webhooks/telegram", json=update, headers=headers
            ) as response:
                return response.status

        try:
            await process.start()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + TIMEOUT
            while not await healthy():
                process.check_alive()
                assert loop.time() < deadline, f"/healthz never answered:\n{process.stderr}"
                await asyncio.sleep(0.1)
            (registered,) = await until(lambda: tg.calls_of("setWebhook"), process, "setWebhook")
            assert registered["url"] == WEBHOOK_URL
            assert registered["secret_token"] == WEBHOOK_SECRET
            assert registered["allowed_updates"] == ALLOWED_UPDATES

            # Stored before the 200, handled by the inbox's worker just after it.
            assert await post(command_update("start", update_id=1), WEBHOOK_SECRET) == 200
            await until(lambda: len(tg.sent) >= 2, process, "the welcome")
            assert [m["text"] for m in tg.sent] == [
                texts.WELCOME,
                texts.PRIVACY_NOTICE.format(version=texts.PRIVACY_NOTICE_VERSION),
            ]
            assert await post(text_update(CONTENT, update_id=2), WEBHOOK_SECRET) == 200
            # Two messages answer it: the reminder, then the notice with its buttons again.
            await until(lambda: len(tg.sent) >= 4, process, "the consent reminder")
            assert [m["text"] for m in tg.sent[2:]] == [
                texts.CONSENT_REQUIRED,
                texts.PRIVACY_NOTICE.format(version=texts.PRIVACY_NOTICE_VERSION),
            ]

            sent_before = len(tg.sent)
            assert await post(command_update("start", update_id=3), "wrong-secret") == 403
            assert len(tg.sent) == sent_before
            code = await process.terminate()
        finally:
            await process.kill()
    assert code == 0, process.stderr
    stderr = process.stderr
    assert_private_logs(stderr, token=TOKEN)
    assert WEBHOOK_SECRET not in stderr


def test_serve_with_token_but_no_webhook_secret_is_a_usage_error(cli: Cli) -> None:
    result = cli.with_env(TELEGRAM_BOT_TOKEN=TOKEN, YKIEN_HTTP_PORT=str(free_port())).run("serve")
    assert result.returncode == 2
    assert "TELEGRAM_WEBHOOK_SECRET" in result.stderr
    assert "Traceback" not in result.stderr
    assert TOKEN not in result.stderr

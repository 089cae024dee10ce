"""The digest's report files delivered in chat, on SQLite and PostgreSQL.

A sweep at the monthly digest's time (Tuesday 1 December 2026, 08:00 in Vietnam) writes the
Word report, the workbook and the chart of each recipient's digest and sends them after the text:
to a fake Telegram Bot API through PTB, as multipart uploads; a Zalo Bot recipient gets the text
with a note instead; a file deleted before sending does not hold the message back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import docx
import openpyxl
import pytest
from sqlalchemy import insert, select

from bot.channels.telegram_adapter import make_bot
from bot.report_files import report_directory, telegram_file_sender
from bot.scheduler import DigestRecipient, MonthlyDigestPlanner, Scheduler
from config import report_delivery
from handlers.calendar import WorkingCalendar
from handlers.digest import Period
from storage import models
from storage.db import Database
from storage.digests import DigestScope
from tests.conftest import FrozenClock
from tests.fakes.telegram_server import FakeTelegram

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
SEND_TIME = datetime(2026, 12, 1, 8, tzinfo=VIETNAM)
TOKEN = "123456:REPORTS-TOKEN"
FILE_NAMES = ["bao-cao-2026-11.docx", "tong-hop-2026-11.xlsx", "bieu-do-2026-11.png"]


class Inbox:
    """A text sender that records what it was asked to send."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    async def __call__(self, chat: str, text: str) -> None:
        self.messages.append((chat, text))


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    """A fake Telegram Bot API server."""
    async with FakeTelegram(TOKEN) as server:
        yield server


async def _seed(db: Database) -> None:
    """Two November submissions in Bến Thành, one with a phone number to be redacted."""
    at = datetime(2026, 11, 10, 3, tzinfo=UTC)
    base: dict[str, Any] = {
        "person_id": None,
        "kind": "phan_anh",
        "channel": "telegram",
        "created_at": at,
        "updated_at": at,
        "status": "da_tiep_nhan",
        "locality_code": "26734",
        "locality_name": "Phường Bến Thành",
        "province_code": "79",
        "target_group": None,
        "topic": "giao_thong_ha_tang",
        "flags": [],
        "needs_review": False,
        "cluster_id": None,
        "answer_due_at": None,
    }
    async with db.engine.begin() as conn:
        await conn.execute(
            insert(models.Submission),
            [
                {**base, "code": "YK-R00001", "text": "Đường Lê Lợi ngập, gọi 0912 345 678"},
                {**base, "code": "YK-R00002", "text": "Đèn đường hỏng nhiều ngày"},
            ],
        )


def _planner(db: Database, reports: Path | None, *recipients: DigestRecipient) -> Any:
    async def listed() -> list[DigestRecipient]:
        return list(recipients)

    return MonthlyDigestPlanner(db, WorkingCalendar(), VIETNAM, listed, reports_dir=reports)


async def _outbox(db: Database) -> list[Any]:
    """Every outbox row: sent_at, last_error, files."""
    outbox = models.OutboxMessage
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            select(outbox.sent_at, outbox.last_error, outbox.files).order_by(outbox.id)
        )
        return list(rows)


def _names(directory: Path) -> list[str]:
    """The sorted names in a directory."""
    return sorted(path.name for path in directory.iterdir())


def _text_sender(bot: Any) -> Any:
    """Texts to Telegram as `bot.runner` sends them (without the splitting)."""

    async def send(chat: str, text: str) -> None:
        await bot.send_message(chat, text)

    return send


def _uploads(server: FakeTelegram) -> list[tuple[str, dict[str, Any]]]:
    """(method, uploaded file) of every file sent, in order."""
    found = []
    for method, params in server.calls:
        if method.lower() == "senddocument":
            found.append(("sendDocument", params["document"]))
        elif method.lower() == "sendphoto":
            found.append(("sendPhoto", params["photo"]))
    return found


async def test_a_telegram_officer_gets_the_text_then_the_three_files_once(
    db: Database, telegram: FakeTelegram, tmp_path: Path
) -> None:
    await _seed(db)
    officer = DigestRecipient("telegram", "42", DigestScope(province_code="79"), "TP. HCM")
    bot = make_bot(TOKEN, telegram.root_url)
    await bot.initialize()
    try:
        scheduler = Scheduler(
            db,
            clock=FrozenClock(SEND_TIME),
            planners=[_planner(db, tmp_path / "reports", officer)],
            senders={"telegram": _text_sender(bot)},
            file_senders={"telegram": telegram_file_sender(bot)},
        )
        assert await scheduler.sweep() == {"queued": 1, "sent": 1, "failed": 0}
        assert await scheduler.sweep() == {"queued": 0, "sent": 0, "failed": 0}
    finally:
        await bot.shutdown()

    directory = tmp_path / "reports" / "2026-11" / "telegram-42"
    assert _names(directory) == sorted(FILE_NAMES)
    # The text first, then the Word report, the workbook and the chart: each once.
    methods = [
        m for m, _ in telegram.calls if m.lower() in ("sendmessage", "senddocument", "sendphoto")
    ]
    assert methods == ["sendMessage", "sendDocument", "sendDocument", "sendPhoto"]
    (text,) = telegram.sent
    assert text["chat_id"] == 42 and "11/2026" in text["text"]
    assert report_delivery.FILES_NOT_SENT_NOTE not in text["text"]
    uploads = _uploads(telegram)
    assert [upload["filename"] for _, upload in uploads] == FILE_NAMES
    for (_, upload), name in zip(uploads, FILE_NAMES, strict=True):
        assert upload["content"] == (directory / name).read_bytes()  # multipart, whole file
    assert uploads[2][1]["content"].startswith(b"\x89PNG")

    report = docx.Document(str(directory / FILE_NAMES[0]))
    body = "\n".join(paragraph.text for paragraph in report.paragraphs)
    assert "BÁO CÁO" in body and "11/2026" in body
    workbook = openpyxl.load_workbook(directory / FILE_NAMES[1], read_only=True)
    cells = [
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    workbook.close()
    assert any("YK-R00001" in cell for cell in cells) and any("YK-R00002" in cell for cell in cells)
    assert not any("0912 345 678" in cell for cell in cells)  # item texts are redacted

    (row,) = await _outbox(db)
    assert row.sent_at is not None and row.last_error is None
    assert [Path(name).name for name in row.files] == FILE_NAMES


async def test_a_zalo_bot_officer_gets_the_text_with_a_note_and_no_file(
    db: Database, tmp_path: Path
) -> None:
    await _seed(db)
    officer = DigestRecipient("zalo_bot", "z-1", DigestScope(province_code="79"), "TP. HCM")
    inbox = Inbox()
    sent_files: list[tuple[str, Path]] = []

    async def telegram_files(chat: str, path: Path) -> None:
        sent_files.append((chat, path))

    scheduler = Scheduler(
        db,
        clock=FrozenClock(SEND_TIME),
        planners=[_planner(db, tmp_path, officer)],
        senders={"zalo_bot": inbox},
        file_senders={"telegram": telegram_files},
    )
    assert await scheduler.sweep() == {"queued": 1, "sent": 1, "failed": 0}
    assert await scheduler.sweep() == {"queued": 0, "sent": 0, "failed": 0}
    ((chat, text),) = inbox.messages
    assert chat == "z-1" and "11/2026" in text
    assert text.endswith(report_delivery.FILES_NOT_SENT_NOTE)
    assert sent_files == []
    # The files are still written on the server, where the note sends the officer.
    directory = tmp_path / "2026-11" / "zalo_bot-z-1"
    assert _names(directory) == sorted(FILE_NAMES)


async def test_a_deleted_file_does_not_hold_the_digest_back(db: Database, tmp_path: Path) -> None:
    officer = DigestRecipient("telegram", "42", DigestScope(), "Toàn hệ thống")
    planner = _planner(db, tmp_path, officer)
    # The Telegram channel is not running in this process: planned and written, not sent yet.
    idle = Scheduler(db, clock=FrozenClock(SEND_TIME), planners=[planner], senders={})
    assert await idle.sweep() == {"queued": 1, "sent": 0, "failed": 0}
    directory = tmp_path / "2026-11" / "telegram-42"
    (directory / FILE_NAMES[0]).unlink()  # e.g. a clean-up removed the Word report meanwhile

    inbox = Inbox()
    sent_files: list[str] = []

    async def files(chat: str, path: Path) -> None:
        with path.open("rb"):  # as the Telegram file sender does: a missing file raises
            sent_files.append(path.name)

    scheduler = Scheduler(
        db,
        clock=FrozenClock(SEND_TIME),
        planners=[planner],
        senders={"telegram": inbox},
        file_senders={"telegram": files},
    )
    assert await scheduler.sweep() == {"queued": 0, "sent": 1, "failed": 0}
    assert len(inbox.messages) == 1 and sent_files == FILE_NAMES[1:]
    ((sent_at, error, _),) = await _outbox(db)
    assert sent_at is not None and error == "files not sent: FileNotFoundError"
    # Marked sent: not retried, neither the text nor the files.
    assert await scheduler.sweep() == {"queued": 0, "sent": 0, "failed": 0}
    assert len(inbox.messages) == 1 and sent_files == FILE_NAMES[1:]


async def test_the_telegram_file_sender_raises_on_a_missing_file(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    bot = make_bot(TOKEN, telegram.root_url)
    await bot.initialize()
    try:
        with pytest.raises(FileNotFoundError):
            await telegram_file_sender(bot)("42", tmp_path / "gone.docx")
    finally:
        await bot.shutdown()
    assert _uploads(telegram) == []


async def test_without_a_reports_dir_no_file_is_written_or_queued(
    db: Database, tmp_path: Path
) -> None:
    inbox = Inbox()
    officer = DigestRecipient("telegram", "42", DigestScope(), "Toàn hệ thống")
    scheduler = Scheduler(
        db,
        clock=FrozenClock(SEND_TIME),
        planners=[_planner(db, None, officer)],
        senders={"telegram": inbox},
        file_senders={"telegram": telegram_file_sender(make_bot(TOKEN, "http://127.0.0.1:9"))},
    )
    assert await scheduler.sweep() == {"queued": 1, "sent": 1, "failed": 0}
    ((sent_at, error, files),) = await _outbox(db)
    assert files == [] and error is None and sent_at is not None
    assert _names(tmp_path) == []


def test_report_directories_are_one_safe_path_part_per_recipient(tmp_path: Path) -> None:
    period = Period.month(2026, 11)
    assert report_directory(tmp_path, period, "telegram", "-1001") == (
        tmp_path / "2026-11" / "telegram--1001"
    )
    odd = report_directory(tmp_path, period, "telegram", "../../etc/x y")
    assert odd.parent == tmp_path / "2026-11" and "/" not in odd.name and ".." not in odd.name

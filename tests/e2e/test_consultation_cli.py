"""`ykien consultation …` as an operator runs it: real subprocesses on an embedded SQLite
database of their own. Each `ykien` start costs seconds, so commands that do not depend on each
other run side by side (SQLite in WAL mode with a busy timeout lets them)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from openpyxl import load_workbook

from bot.draft_import import SAMPLE_DRAFT, read_draft
from config import consultation_chat as chat
from config import consultation_cli as texts
from config import consultations
from config.texts import DATETIME_FORMAT
from tests.e2e.test_cli import REPO, Cli

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
TITLE = "Dự thảo Báo cáo chính trị Đại hội Đảng bộ phường Minh An nhiệm kỳ 2025–2030"
# The report's subject: the title's own "Dự thảo" in lower case after "vào".
SUBJECT = "Tổng hợp ý kiến góp ý của Nhân dân vào dự thảo Báo cáo chính trị Đại hội Đảng bộ "
SUBJECT += "phường Minh An nhiệm kỳ 2025–2030"
NEW_TITLE = "KẾT QUẢ NỔI BẬT TRONG NHIỆM KỲ 2020–2025"
PHONE = "0903 123 456"


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """A CLI with its own data dir (these commands load no NLP model)."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "YKIEN_", "ZALO_"))
    }
    env.update(
        YKIEN_DATA_DIR=str(tmp_path / "data"),
        PYTHONPATH=str(REPO),
        PYTHONIOENCODING="utf-8",
    )
    return Cli(tmp_path, env)


def together(cli: Cli, *commands: tuple[str, ...]) -> list[subprocess.CompletedProcess[str]]:
    """Run the commands side by side; their results in the order given."""
    with ThreadPoolExecutor(len(commands)) as pool:
        return list(pool.map(lambda args: cli.run(*args), commands))


def create(closes: str, *, unit: str = "hcm", draft: Path = SAMPLE_DRAFT) -> tuple[str, ...]:
    """The arguments of `consultation create` for the sample draft."""
    return ("consultation", "create", "--title", TITLE, "--draft", str(draft), "--unit", unit,
            "--closes", closes)  # fmt: skip


def rows(cli: Cli, sql: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(cli.database) as conn:
        return list(conn.execute(sql, params).fetchall())


def refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    """The operator's mistake: exit status 2 and the reason on stderr, nothing on stdout."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr[-2000:])
    assert f"ykien: {message}" in result.stderr
    assert result.stdout == ""


def add_comments(cli: Cli) -> None:
    """Three positions on consultation 1, as residents would have given them in chat (stored
    directly: giving them needs the chat engine, which the other tests drive)."""
    sections = dict(rows(cli, "SELECT position, id FROM consultation_sections"))
    at = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    given = [
        (2, "tan_thanh_mot_phan", f"Cần nêu rõ hạn chế về giảm ngập, gọi tôi {PHONE}.", "nong_dan"),
        (0, "tan_thanh", None, None),
        (3, "khong_tan_thanh", "Chỉ tiêu thu ngân sách chưa sát thực tế.", "cong_nhan"),
    ]
    with sqlite3.connect(cli.database) as conn:
        for position, stance, text, group in given:
            redacted = text.replace(PHONE, "[SĐT]") if text else None
            conn.execute(
                "INSERT INTO consultation_comments (consultation_id, section_id, person_id, "
                "stance, text, redacted, flags, restricted, target_group, unit_code, channel, "
                "created_at, updated_at) VALUES (1, ?, NULL, ?, ?, ?, '[]', 0, ?, 'hcm', "
                "'telegram', ?, ?)",
                (sections[position], stance, text, redacted, group, at, at),
            )


def test_an_operator_creates_corrects_and_reports_on_a_consultation(
    cli: Cli, tmp_path: Path
) -> None:
    draft = read_draft(SAMPLE_DRAFT).sections
    today = datetime.now(VIETNAM).date()
    closes = datetime.combine(today + timedelta(days=30), datetime.min.time()).replace(hour=17)
    later = closes + timedelta(days=1)
    due = (closes + timedelta(days=2)).strftime("%d/%m/%Y")
    loaded = cli.run("units", "load")
    assert loaded.returncode == 0, loaded.stderr

    at_close = f"{closes:%d/%m/%Y %H:%M}"
    created, doc, past, unknown = together(
        cli,
        (*create(at_close), "--report-due", due),
        create(at_close, draft=tmp_path / "du_thao.doc"),
        create("01/01/2020 08:00"),
        create(at_close, unit="khong-co"),
    )
    assert created.returncode == 0, created.stderr
    head = texts.CREATED.split("{opens}")[0].format(id=1, title=TITLE, sections=len(draft))
    assert created.stdout.startswith(head)
    assert f" đến {closes.strftime(DATETIME_FORMAT)}. " in created.stdout
    assert texts.CREATED_DEADLINE.format(due=due) in created.stdout
    refused(doc, consultations.DRAFT_UNSUPPORTED_TYPE.format(name="du_thao.doc"))
    refused(past, chat.FORM_CLOSES_PAST.format(closes="08:00 01/01/2020"))
    refused(unknown, chat.FORM_UNKNOWN_UNIT.format(unit="khong-co"))
    # Only the good one stored anything: one consultation, its sections, one deadline.
    assert rows(cli, "SELECT id, title, unit_code FROM consultations") == [(1, TITLE, "hcm")]
    assert rows(cli, "SELECT count(*) FROM consultation_sections") == [(len(draft) + 1,)]
    assert rows(cli, "SELECT code FROM deadlines") == [("gop-y-1",)]

    deadlines, section, edited = together(
        cli,
        ("deadlines", "list"),
        ("consultation", "section", "1", "2", "--title", NEW_TITLE),
        ("consultation", "edit", "1", "--closes", f"{later:%d/%m/%Y %H:%M}"),
    )
    assert deadlines.returncode == 0, deadlines.stderr
    [line] = [line for line in deadlines.stdout.splitlines() if "gop-y-1" in line]
    assert chat.DEADLINE_TITLE.format(title=TITLE) in line and due in line and "hcm" in line
    assert section.returncode == 0, section.stderr
    assert section.stdout.strip() == texts.SECTION_EDITED.format(id=1, position=2)
    assert edited.returncode == 0, edited.stderr
    assert edited.stdout.strip() == texts.EDITED.format(id=1, fields="closes_at, opens_at")

    listed, shown = together(cli, ("consultation", "list"), ("consultation", "show", "1"))
    assert listed.returncode == 0, listed.stderr
    [item] = listed.stdout.splitlines()
    assert item.startswith(f"1. {TITLE} — ")
    assert item.endswith(f" → {later.strftime(DATETIME_FORMAT)} ({texts.STATES['open']})")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == f"Đợt lấy ý kiến số 1: {TITLE}"
    assert f"Hạn báo cáo: {due}" in lines and f"Đối tượng: {chat.EVERYONE}" in lines
    assert any(line.endswith(f" → {later.strftime(DATETIME_FORMAT)}") for line in lines)
    listed_sections = lines[lines.index("Các phần:") + 1 :]
    assert len(listed_sections) == len(draft) + 1
    assert listed_sections[0] == texts.SHOW_SECTION.format(
        position=0, heading=chat.MENU_WHOLE, chars=0
    )
    [second] = [s for s in draft if s.position == 2]
    assert listed_sections[2] == texts.SHOW_SECTION.format(
        position=2, heading=f"{second.label}. {NEW_TITLE}", chars=len(second.body)
    )

    add_comments(cli)
    out = tmp_path / "bao-cao"
    redraft, report = together(
        cli,
        ("consultation", "redraft", "1", str(SAMPLE_DRAFT)),
        ("consultation", "report", "1", "--out", str(out)),
    )
    refused(redraft, texts.REDRAFT_REFUSED.format(id=1))
    assert rows(cli, "SELECT title FROM consultation_sections WHERE position = 2") == [(NEW_TITLE,)]
    assert report.returncode == 0, report.stderr
    assert report.stdout.startswith(texts.REPORT_WRITTEN.format(id=1, rows=3))
    docx_path = out / texts.DOCX_NAME.format(id=1)
    xlsx_path = out / texts.XLSX_NAME.format(id=1)
    assert sorted(out.iterdir()) == sorted([docx_path, xlsx_path])
    assert str(docx_path) in report.stdout and str(xlsx_path) in report.stdout

    document = Document(str(docx_path))
    paragraphs = [p.text for p in document.paragraphs]
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert SUBJECT in paragraphs
    assert any(NEW_TITLE in cell for cell in cells)  # the corrected heading is reported
    assert not any(PHONE in text for text in paragraphs + cells)
    workbook = load_workbook(xlsx_path, read_only=True)
    comments = list(workbook[consultations.XLSX_COMMENTS_SHEET].iter_rows(values_only=True))
    assert comments[0] == consultations.XLSX_COMMENT_HEADER
    assert len(comments) == 1 + 3
    written = [str(value) for row in comments for value in row if value is not None]
    assert not any(PHONE in value for value in written)
    assert any("[SĐT]" in value for value in written)

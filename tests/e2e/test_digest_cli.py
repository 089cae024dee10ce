"""`ykien digest run` and `ykien bench digest` as an operator runs them (subprocesses, SQLite)."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from docx import Document
from openpyxl import load_workbook

from config import texts
from config.settings import Settings
from tests.e2e.test_cli import Cli, make_cli


def _this_month() -> str:
    return f"{datetime.now(ZoneInfo('Asia/Ho_Chi_Minh')):%Y-%m}"


def test_digest_run_writes_the_report_files_of_the_demo_data(
    tmp_path: Path, nlp_settings: Settings
) -> None:
    cli: Cli = make_cli(tmp_path, nlp_settings.model_dir)
    assert cli.run("demo").returncode == 0
    with sqlite3.connect(cli.database) as conn:
        stored = conn.execute("SELECT count(*) FROM submissions").fetchone()[0]
        hcm = conn.execute("SELECT count(*) FROM submissions WHERE province_code = '79'")
        in_hcm = hcm.fetchone()[0]
    out = tmp_path / "out"
    result = cli.run("digest", "run", "--period", _this_month(), "--out", str(out))
    assert result.returncode == 0, result.stderr
    month = _this_month()
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"bao-cao-{month}.docx", f"bieu-do-{month}.png", f"tong-hop-{month}.xlsx"]
    sheet = load_workbook(out / f"tong-hop-{month}.xlsx")["Danh sách"]
    assert sheet.max_row - 1 == stored  # one row per submission under the header
    report = Document(str(out / f"bao-cao-{month}.docx"))
    cells = [cell.text for table in report.tables for row in table.rows for cell in row.cells]
    document = "\n".join([*(p.text for p in report.paragraphs), *cells])
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in document
    assert re.search(r"\b0\d{3} ?\d{3} ?\d{3}\b", document) is None  # no phone number
    assert str(stored) in result.stdout

    # One province: only its submissions.
    province = cli.run("digest", "run", "--period", _this_month(), "--unit", "79", "--out",
                       str(tmp_path / "hcm"))  # fmt: skip
    assert province.returncode == 0, province.stderr
    sheet = load_workbook(tmp_path / "hcm" / f"tong-hop-{month}.xlsx")["Danh sách"]
    assert sheet.max_row - 1 == in_hcm > 0


def test_digest_run_refuses_a_bad_period_or_unit(tmp_path: Path, nlp_settings: Settings) -> None:
    cli = make_cli(tmp_path, nlp_settings.model_dir)
    bad_period = cli.run("digest", "run", "--period", "13/2026", "--out", str(tmp_path / "o"))
    assert bad_period.returncode == 2
    assert texts.DIGEST_BAD_PERIOD.format(period="13/2026") in bad_period.stderr
    bad_unit = cli.run("digest", "run", "--period", "2026-10", "--unit", "999", "--out", "o")
    assert bad_unit.returncode == 2
    assert texts.DIGEST_UNKNOWN_UNIT.format(unit="999") in bad_unit.stderr
    assert not (tmp_path / "o").exists()


def test_bench_digest_prints_its_figures(tmp_path: Path, nlp_settings: Settings) -> None:
    cli = make_cli(tmp_path, nlp_settings.model_dir)
    result = cli.run("bench", "digest", "--sizes", "500,2000")
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["database"] == "sqlite"
    small, large = figures["500"], figures["2000"]
    assert 0 < small["items_in_digest"] < large["items_in_digest"] < 2000
    assert len(large["digest_s_runs"]) == 3 and large["peak_rss_mib"] > 0

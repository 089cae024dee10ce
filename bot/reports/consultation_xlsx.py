"""The workbook of a consultation: the synthesis figures, then every comment (streamed).

"Tổng hợp" holds each section's counts (as the Word report's table), the totals and the
breakdowns by target group and unit; "Ý kiến" lists every comment, redacted and without any
identity, continued on "Ý kiến (2)", "Ý kiến (3)"… when Excel's row limit is reached. Rows go
straight into the file through `bot.reports.fast_xlsx` (openpyxl writes a few thousand rows a
second, too slow for a million comments), so memory stays flat. Its cells are inline strings,
never formulas: a comment starting with "=" stays text, and characters XML forbids are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import tzinfo
from pathlib import Path
from typing import Any

from bot.reports.common import DEFAULT_TZ, flag_names, local
from bot.reports.consultation_docx import group_label, unit_label
from bot.reports.fast_xlsx import MAX_PART_BYTES, Sheet, StreamingWorkbook
from config import consultations as texts
from config.reports import XLSX_DATETIME_FORMAT
from storage.consultation_records import CommentRow, ConsultationSummary

# Rows of one worksheet, header included (Excel's limit); tests patch it to see the roll-over.
MAX_SHEET_ROWS = 1_048_576
# A new sheet is started before one grows past what a zip entry holds without ZIP64 (long
# comments could reach it before the row limit); the margin covers one buffered chunk.
MAX_SHEET_BYTES = MAX_PART_BYTES - (64 << 20)
# Comments wrapped in their (wide) column: easier to read.
WRAP_TEXT = True


class _Styles:
    """The cell styles of the workbook, registered once."""

    def __init__(self, book: StreamingWorkbook) -> None:
        self.bold = book.style(bold=True)
        self.percent = book.style(number_format=texts.XLSX_PERCENT_FORMAT)
        self.bold_percent = book.style(bold=True, number_format=texts.XLSX_PERCENT_FORMAT)
        self.wrap = book.style(wrap=True)


def _stance_values(stances: Mapping[str, int]) -> list[int]:
    return [stances.get(code, 0) for code in texts.STANCES]


def _breakdown(
    sheet: Sheet,
    styles: _Styles,
    header: tuple[str, ...],
    breakdown: Mapping[str | None, Mapping[str, int]],
    name: Callable[[str | None], str],
) -> None:
    """A header, then one row per group or unit: largest first, "Không xác định" last."""
    sheet.append([])
    sheet.append(header, style=styles.bold)
    rows = sorted(
        breakdown.items(),
        key=lambda item: (item[0] is None, -sum(item[1].values()), name(item[0])),
    )
    for key, stances in rows:
        counts = _stance_values(stances)
        sheet.append([name(key), *counts, sum(counts)])


def _summary(
    book: StreamingWorkbook, styles: _Styles, summary: ConsultationSummary, tz: tzinfo
) -> None:
    sheet = book.add_sheet(texts.XLSX_SUMMARY_SHEET, widths=texts.XLSX_SUMMARY_WIDTHS)
    consultation = summary.consultation
    for label, value in (
        (texts.XLSX_DRAFT, consultation.title),
        (texts.XLSX_ISSUER, consultation.issuer),
        (texts.XLSX_OPENS, local(consultation.opens_at, tz)),
        (texts.XLSX_CLOSES, local(consultation.closes_at, tz)),
        (texts.XLSX_GENERATED, local(summary.generated_at, tz)),
    ):
        sheet.append([label, value], style=(styles.bold, 0))

    sheet.append([])
    sheet.append(texts.XLSX_SECTIONS_HEADER, style=styles.bold)
    for number, section in enumerate(summary.sections, 1):
        record = section.section
        counts = _stance_values(section.stances)
        values = [number, record.label, record.title, *counts, sum(counts), section.with_text]
        _with_shares(sheet, styles, values, counts)
    counts = _stance_values(summary.stances)
    total = [None, texts.XLSX_TOTAL, None, *counts, sum(counts), summary.with_text]
    _with_shares(sheet, styles, total, counts, bold=True)

    sheet.append([])
    sheet.append(texts.XLSX_FIGURES_HEADER, style=styles.bold)
    for label, value in (
        (texts.XLSX_PARTICIPANTS, summary.participants),
        (texts.XLSX_COMMENTS, summary.comments),
        (texts.XLSX_WITH_TEXT, summary.with_text),
        (texts.XLSX_RESTRICTED, summary.restricted),
    ):
        sheet.append([label, value])
    _breakdown(sheet, styles, texts.XLSX_BY_GROUP_HEADER, summary.by_group, group_label)
    _breakdown(
        sheet,
        styles,
        texts.XLSX_BY_UNIT_HEADER,
        summary.by_unit,
        lambda code: unit_label(code, summary.unit_names),
    )


def _with_shares(
    sheet: Sheet, styles: _Styles, values: list[Any], counts: list[int], *, bold: bool = False
) -> None:
    """A section row followed by each stance's share of the section (a percent-formatted cell)."""
    total = sum(counts)
    shares = [count / total if total else None for count in counts]
    plain, percent = (styles.bold, styles.bold_percent) if bold else (0, styles.percent)
    sheet.append([*values, *shares], style=[plain] * len(values) + [percent] * len(shares))


class _CommentSheets:
    """The "Ý kiến" sheets: a new one, header repeated and filtered, whenever one is full."""

    def __init__(self, book: StreamingWorkbook) -> None:
        self.book = book
        self.count = 0
        self.sheet: Sheet | None = None

    def _open(self) -> Sheet:
        self.count += 1
        title = (
            texts.XLSX_COMMENTS_SHEET
            if self.count == 1
            else texts.XLSX_COMMENTS_SHEET_NEXT.format(n=self.count)
        )
        self.sheet = self.book.add_sheet(
            title,
            widths=texts.XLSX_COMMENT_WIDTHS,
            header=texts.XLSX_COMMENT_HEADER,
            auto_filter=True,
        )
        return self.sheet

    def sheet_for_next_row(self) -> Sheet:
        """The sheet the next comment goes on, opening one if none is open or it is full."""
        sheet = self.sheet
        if sheet is None or sheet.rows >= MAX_SHEET_ROWS or sheet.size >= MAX_SHEET_BYTES:
            return self._open()
        return sheet

    def finish(self) -> None:
        """Open the first sheet if no comment came (the header alone)."""
        if self.sheet is None:
            self._open()


def write_consultation_xlsx(
    summary: ConsultationSummary,
    rows: Iterable[CommentRow],
    path: Path,
    *,
    tz: tzinfo = DEFAULT_TZ,
) -> int:
    """Write the consultation's workbook ("Tổng hợp", "Ý kiến"…); returns the comments written."""
    written = 0
    with StreamingWorkbook(Path(path), datetime_format=XLSX_DATETIME_FORMAT) as book:
        styles = _Styles(book)
        _summary(book, styles, summary, tz)
        sheets = _CommentSheets(book)
        row_style = [0] * len(texts.XLSX_COMMENT_HEADER)
        if WRAP_TEXT:
            row_style[4] = styles.wrap
        # Names looked up once per code: a million rows share a few dozen of them.
        channels: dict[str, str] = {}
        groups: dict[str | None, str] = {}
        units: dict[str | None, str] = {}
        flags: dict[tuple[str, ...], str | None] = {}
        for row in rows:
            sheet = sheets.sheet_for_next_row()
            group = groups.get(row.target_group)
            if group is None:
                group = groups[row.target_group] = group_label(row.target_group)
            unit = units.get(row.unit_code)
            if unit is None:
                unit = units[row.unit_code] = unit_label(row.unit_code, summary.unit_names)
            if row.flags in flags:
                flag_text = flags[row.flags]
            else:
                flag_text = flags[row.flags] = flag_names(row.flags) or None
            channel = channels.get(row.channel)
            if channel is None:
                channel = channels[row.channel] = texts.SYNTHESIS_CHANNELS.get(
                    row.channel, row.channel
                )
            written += 1
            # Most comments are never changed: one time-zone conversion serves both columns.
            sent = local(row.created_at, tz)
            updated = sent if row.updated_at == row.created_at else local(row.updated_at, tz)
            sheet.append(
                [
                    written,
                    row.id,
                    row.section_label,
                    texts.STANCES.get(row.stance) or row.stance,
                    texts.XLSX_RESTRICTED_TEXT if row.restricted else row.text,
                    group,
                    unit,
                    row.cluster_id,
                    flag_text,
                    channel,
                    sent,
                    updated,
                ],
                style=row_style,
            )
        sheets.finish()
    return written

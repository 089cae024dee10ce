"""The Word report: a Vietnamese administrative document laid out per Decree 30/2020/NĐ-CP.

A4, margins 20/20/30/15 mm (top, bottom, left, right), Times New Roman 13–14 pt with the
East-Asian font attribute set too (otherwise Word may fall back to another font for the
Vietnamese letters), the two-column header (issuing body and number; national title, motto,
place and date), the title, four sections, a table of counts by topic, "Nơi nhận" and the
signature block.

The layout helpers (`new_document`, `add_header`, `add_title`, `add_heading`, `add_body`,
`add_closing`, `write_run`, `format_paragraph`, `set_widths`) are shared with the other
administrative reports (the consultation synthesis).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from bot.reports.common import DEFAULT_TZ, local, quotable_item, topic_name
from config import cases as cases_texts
from config import reports as texts
from handlers.digest import Digest, DigestItem, Problem
from handlers.digest_text import (
    active_rows,
    average_text,
    change_words,
    period_phrase,
    quotable,
    signed,
)

PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
TEXT_WIDTH_MM = PAGE_WIDTH_MM - MARGINS_MM["left"] - MARGINS_MM["right"]
_FONT_ATTRIBUTES = ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs")


def _apply_font(element: Any) -> None:
    """Times New Roman for every script on a run or style element (an `rPr` holder)."""
    fonts = element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in _FONT_ATTRIBUTES:
        fonts.set(qn(attribute), texts.DOCX_FONT)


def write_run(
    paragraph: Paragraph,
    text: str,
    *,
    size: float = texts.DOCX_BODY_PT,
    bold: bool = False,
    italic: bool = False,
) -> Paragraph:
    """Append one run with explicit font, size and emphasis (so readers need no style lookup)."""
    run = paragraph.add_run(text)
    run.font.name = texts.DOCX_FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    _apply_font(run._element)
    return paragraph


def format_paragraph(
    paragraph: Paragraph,
    *,
    align: WD_ALIGN_PARAGRAPH | None = WD_ALIGN_PARAGRAPH.JUSTIFY,
    indent: bool = False,
    before: float = 0,
    after: float = 6,
) -> Paragraph:
    """Alignment, first-line indent, spacing before/after (pt) and single line spacing."""
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.first_line_indent = Cm(1) if indent else None
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    fmt.line_spacing = 1.0
    return paragraph


def _cell_line(cell: _Cell, text: str, **run: object) -> Paragraph:
    """A centred line in a header cell; the cell's first, empty paragraph is used first."""
    first = cell.paragraphs[0]
    paragraph = first if not first.text and not first.runs else cell.add_paragraph()
    format_paragraph(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    return write_run(paragraph, text, **run)  # type: ignore[arg-type]


def set_widths(table: Table, widths_mm: tuple[float, ...]) -> None:
    """Fixed column widths (Word reads the cells' widths, LibreOffice the columns')."""
    table.autofit = False
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
        for cell in column.cells:
            cell.width = Mm(width)


def place_date(place: str, day: datetime) -> str:
    """Place and date line; per the decree a zero pads days below 10 and months 1 and 2."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return texts.DOCX_PLACE_DATE.format(
        place=place, day=f"{day.day:02d}", month=month, year=day.year
    )


def _issuing_body(issuer: str) -> list[str]:
    """The parent body, then the issuer without a repeated parent name, upper case."""
    body = issuer.strip().upper()
    parent = texts.DOCX_PARENT_BODY
    if body.startswith(parent):
        body = body[len(parent) :].strip(" ,-")
    return [parent, body] if body else [parent]


def new_document() -> Any:
    """An empty A4 document with the decree's margins and Times New Roman as the default font."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM)
    section.top_margin = Mm(MARGINS_MM["top"])
    section.bottom_margin = Mm(MARGINS_MM["bottom"])
    section.left_margin = Mm(MARGINS_MM["left"])
    section.right_margin = Mm(MARGINS_MM["right"])
    normal = document.styles["Normal"]
    normal.font.name = texts.DOCX_FONT
    normal.font.size = Pt(texts.DOCX_BODY_PT)
    _apply_font(normal.element)
    return document


def add_header(
    document: Any, issued_at: datetime, issuer: str, number: str, place: str, tz: tzinfo
) -> None:
    """The two-column header: issuing body and number; national title, motto, place and date."""
    size = texts.DOCX_HEADER_PT
    table = document.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    set_widths(table, (65, TEXT_WIDTH_MM - 65))
    for line in _issuing_body(issuer):
        _cell_line(table.cell(0, 0), line, size=size, bold=True)
    _cell_line(table.cell(0, 1), texts.DOCX_NATIONAL_TITLE.upper(), size=size, bold=True)
    _cell_line(table.cell(0, 1), texts.DOCX_MOTTO, size=size, bold=True)
    _cell_line(table.cell(1, 0), texts.DOCX_NUMBER.format(number=number), size=size)
    issued = local(issued_at, tz)
    _cell_line(table.cell(1, 1), place_date(place, issued), size=size, italic=True)
    for cell in (table.cell(1, 0), table.cell(1, 1)):
        cell.paragraphs[0].paragraph_format.space_before = Pt(6)


def add_title(document: Any, subtitle: str) -> None:
    """The centred bold title "BÁO CÁO" and the subtitle saying what the report is about."""
    centre = WD_ALIGN_PARAGRAPH.CENTER
    write_run(
        format_paragraph(document.add_paragraph(), align=centre, before=18, after=0),
        texts.DOCX_TITLE,
        bold=True,
    )
    write_run(
        format_paragraph(document.add_paragraph(), align=centre, after=12), subtitle, bold=True
    )


def add_heading(document: Any, text: str) -> None:
    """A bold, indented heading paragraph."""
    write_run(format_paragraph(document.add_paragraph(), indent=True, before=6), text, bold=True)


def add_body(document: Any, text: str, *, italic: bool = False) -> None:
    """A justified body paragraph with a first-line indent."""
    write_run(format_paragraph(document.add_paragraph(), indent=True), text, italic=italic)


def _where(locality: str | None) -> str:
    return texts.DOCX_WHERE.format(place=locality) if locality else ""


def _quotes(digest: Digest, topic: str) -> list[str]:
    """Up to N representative opinions of a topic: its clusters first, then single items."""
    limit, chars = texts.DOCX_QUOTES_PER_TOPIC, texts.DOCX_SNIPPET_CHARS
    problems: list[Problem] = sorted(
        (p for p in digest.problems if p.topic == topic), key=lambda p: -p.size
    )
    lines = [
        texts.DOCX_TOPIC_PROBLEM.format(
            size=p.size, where=_where(p.locality), text=quotable(p.text, chars)
        )
        for p in problems[:limit]
    ]
    seen = {quotable(p.text, chars) for p in problems}
    items: list[DigestItem] = [i for i in digest.items if i.topic == topic and quotable_item(i)]
    for item in items:
        if len(lines) >= limit:
            break
        text = quotable(item.text, chars)
        if text and text not in seen:
            seen.add(text)
            lines.append(texts.DOCX_TOPIC_ITEM.format(where=_where(item.locality), text=text))
    return lines


def _sections(document: Any, digest: Digest, tz: tzinfo) -> None:
    period, unit = period_phrase(digest.period), digest.unit_name
    add_heading(document, texts.DOCX_SECTION_OVERVIEW)
    if digest.total:
        add_body(
            document,
            texts.DOCX_OVERVIEW.format(
                period=period,
                unit=unit,
                total=digest.total,
                change=change_words(digest.change),
                previous=digest.previous_total,
            ),
        )
        kinds = [row for row in active_rows(digest.by_kind) if row.current]
        if kinds:
            add_body(document, texts.DOCX_BY_KIND)
            for row in kinds:
                add_body(
                    document,
                    texts.DOCX_KIND_ROW.format(
                        label=row.label, current=row.current, change=change_words(row.change)
                    ),
                )
    else:
        add_body(
            document,
            texts.DOCX_OVERVIEW_EMPTY.format(
                period=period, unit=unit, previous=digest.previous_total
            ),
        )

    add_heading(document, texts.DOCX_SECTION_TOPICS)
    topics = [row for row in active_rows(digest.by_topic) if row.current]
    if not topics:
        add_body(document, texts.DOCX_TOPICS_EMPTY)
    for index, row in enumerate(topics, 1):
        line = texts.DOCX_TOPIC.format(
            index=index, label=row.label, current=row.current, change=change_words(row.change)
        )
        write_run(format_paragraph(document.add_paragraph(), indent=True), line, bold=True)
        for quote in _quotes(digest, row.code):
            add_body(document, quote)

    add_heading(document, texts.DOCX_SECTION_ANSWERS)
    add_body(
        document,
        texts.DOCX_ANSWERS.format(awaiting=digest.awaiting_answer, overdue=digest.overdue),
    )
    overdue = [i for i in digest.items if i.overdue and quotable_item(i)]
    for item in overdue[: texts.DOCX_OVERDUE_LISTED]:
        due = f"{local(item.due_at, tz):%d/%m/%Y}" if item.due_at else texts.UNKNOWN
        add_body(
            document,
            texts.DOCX_OVERDUE_ITEM.format(code=item.code, topic=topic_name(item.topic), due=due),
        )
    if digest.ratings and digest.rating_average is not None:
        average = average_text(digest.rating_average)
        add_body(
            document, cases_texts.SATISFACTION_DOCX.format(count=digest.ratings, average=average)
        )
    else:
        add_body(document, cases_texts.SATISFACTION_DOCX_NONE)

    add_heading(document, texts.DOCX_SECTION_SENSITIVE)
    sensitive = (
        texts.DOCX_SENSITIVE.format(count=digest.sensitive)
        if digest.sensitive
        else texts.DOCX_SENSITIVE_NONE
    )
    add_body(document, sensitive)


def _counts_table(document: Any, digest: Digest) -> None:
    size = texts.DOCX_HEADER_PT
    centre = WD_ALIGN_PARAGRAPH.CENTER
    caption = format_paragraph(document.add_paragraph(), align=centre, before=6)
    write_run(caption, texts.DOCX_TABLE_CAPTION, bold=True)
    rows = active_rows(digest.by_topic)
    table = document.add_table(rows=len(rows) + 2, cols=len(texts.DOCX_TABLE_HEADER))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    set_widths(table, (12, TEXT_WIDTH_MM - 12 - 3 * 25, 25, 25, 25))
    body = [
        (str(n), row.label, str(row.current), str(row.previous), signed(row.change))
        for n, row in enumerate(rows, 1)
    ]
    total = ("", texts.DOCX_TABLE_TOTAL, str(digest.total), str(digest.previous_total))
    body.append((*total, signed(digest.change)))
    for r, values in enumerate([texts.DOCX_TABLE_HEADER, *body]):
        bold = r == 0 or r == len(body)
        for c, value in enumerate(values):
            paragraph = table.cell(r, c).paragraphs[0]
            format_paragraph(paragraph, align=None if c == 1 else centre, after=0)
            write_run(paragraph, value, size=size, bold=bold)


def add_closing(
    document: Any, signer: str, recipients: tuple[str, ...] = texts.DOCX_RECIPIENTS
) -> None:
    """The "Nơi nhận" list on the left, the signature block (and signer's name) on the right."""
    document.add_paragraph()
    table = document.add_table(rows=1, cols=2)
    set_widths(table, (TEXT_WIDTH_MM / 2, TEXT_WIDTH_MM / 2))
    left, right = table.cell(0, 0), table.cell(0, 1)
    title = left.paragraphs[0]
    format_paragraph(title, align=WD_ALIGN_PARAGRAPH.LEFT, after=0)
    write_run(
        title,
        texts.DOCX_RECIPIENTS_TITLE,
        size=texts.DOCX_RECIPIENTS_TITLE_PT,
        bold=True,
        italic=True,
    )
    for recipient in recipients:
        paragraph = format_paragraph(left.add_paragraph(), align=WD_ALIGN_PARAGRAPH.LEFT, after=0)
        write_run(paragraph, recipient, size=texts.DOCX_RECIPIENTS_PT)
    size = texts.DOCX_HEADER_PT
    _cell_line(right, texts.DOCX_SIGN_ON_BEHALF, size=size, bold=True)
    _cell_line(right, texts.DOCX_SIGN_TITLE, size=size, bold=True)
    for _ in range(4):  # room for the signature and the seal
        _cell_line(right, "", size=size)
    if signer:
        _cell_line(right, signer, size=texts.DOCX_BODY_PT, bold=True)


def write_docx(
    digest: Digest,
    path: Path,
    *,
    issuer: str,
    number: str,
    place: str,
    signer: str = "",
    tz: tzinfo = DEFAULT_TZ,
) -> Path:
    """Write the digest as a Word report (Decree 30/2020/NĐ-CP layout); returns `path`."""
    document = new_document()
    add_header(document, digest.generated_at, issuer, number, place, tz)
    add_title(document, texts.DOCX_SUBTITLE.format(period=period_phrase(digest.period)))
    _sections(document, digest, tz)
    _counts_table(document, digest)
    add_closing(document, signer)
    path = Path(path)
    document.save(str(path))
    return path

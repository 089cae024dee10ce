"""The synthesis report of a consultation on a draft, as a Word document (Decree 30/2020/NĐ-CP).

Same layout as the digest report (`bot.reports.docx`): header, "BÁO CÁO" and the subject
"Tổng hợp ý kiến góp ý của Nhân dân vào dự thảo …", then I. how the consultation was held,
II. the results (a table of every section, then each commented section's counts, main themes
with a redacted representative comment, and its breakdown by target group and unit), III. a
short factual assessment; "Nơi nhận" and the signature block. Restricted comments are only
counted, and nothing names a person.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import tzinfo
from pathlib import Path
from typing import Any

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH

from bot.reports.common import DEFAULT_TZ, local
from bot.reports.docx import (
    TEXT_WIDTH_MM,
    add_body,
    add_closing,
    add_header,
    add_heading,
    add_title,
    format_paragraph,
    new_document,
    set_widths,
    write_run,
)
from config import consultations as texts
from config import reports as report_texts
from config.taxonomy import TARGET_GROUPS
from handlers.digest_text import shorten
from storage.consultation_records import ConsultationSummary, SectionSummary, Theme

# Domain codes the assessment names (config.consultations.STANCES).
AGREE, DISAGREE = "tan_thanh", "khong_tan_thanh"
# Characters XML 1.0 forbids: python-docx refuses them, and a pasted draft may carry some.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# TT, section name, one column per stance, total, with text (mm; the name takes the rest).
_STANCE_MM, _EDGES_MM = 24, (10, 17, 19)
_TABLE_WIDTHS_MM = (
    _EDGES_MM[0],
    TEXT_WIDTH_MM - sum(_EDGES_MM) - _STANCE_MM * len(texts.STANCES),
    *(_STANCE_MM,) * len(texts.STANCES),
    *_EDGES_MM[1:],
)


def _clean(text: str) -> str:
    return _ILLEGAL.sub("", text)


def draft_phrase(title: str) -> str:
    """The draft as the subject says it: "dự thảo …", a title's own "Dự thảo" lower-cased."""
    title = unicodedata.normalize("NFC", " ".join(_clean(title).split()))
    prefix = unicodedata.normalize("NFC", texts.SYNTHESIS_DRAFT_PREFIX)
    head, rest = title[: len(prefix)], title[len(prefix) :]
    if head.lower() == prefix and (not rest or rest[0] == " "):
        return prefix + rest
    return f"{prefix} {title}" if title else prefix


def percent(count: int, total: int) -> str:
    """`count` as a share of `total` with one decimal and a decimal comma: "33,3%"."""
    value = f"{count * 100 / total:.1f}".replace(".", ",") if total else "0"
    return texts.DOCX_PERCENT.format(value=value)


def section_name(section: SectionSummary) -> str:
    """A section as the report names it: "Điều 5. Tên điều", or its label alone."""
    return _clean(section.section.heading)


def _total(stances: Mapping[str, int]) -> int:
    return sum(stances.values())


def _stance_list(stances: Mapping[str, int], *, with_percent: bool = False) -> str:
    """Every stance of STANCES with its count (and share): "Tán thành: 3 (60,0%); …"."""
    total = _total(stances)
    template = texts.DOCX_STANCE_COUNT_PERCENT if with_percent else texts.DOCX_STANCE_COUNT
    counts = ((name, stances.get(code, 0)) for code, name in texts.STANCES.items())
    return "; ".join(
        template.format(name=name, count=count, percent=percent(count, total))
        for name, count in counts
    )


def _stance_short(stances: Mapping[str, int]) -> str:
    """The stances given, in STANCES order: "Tán thành 3, Không tán thành 1"."""
    return ", ".join(
        texts.DOCX_STANCE_SHORT.format(name=name, count=stances[code])
        for code, name in texts.STANCES.items()
        if stances.get(code)
    )


def group_label(code: str | None) -> str:
    """A target group's name; "Không xác định" when none was given."""
    return TARGET_GROUPS.get(code, code) if code else texts.SYNTHESIS_UNKNOWN


def unit_label(code: str | None, names: Mapping[str, str]) -> str:
    """A unit's name; "Không xác định" for comments without unit."""
    return _clean(names.get(code, code)) if code else texts.SYNTHESIS_UNKNOWN


Breakdown = Mapping[str | None, Mapping[str, int]]  # group or unit code -> stance -> count


def _breakdown_lines(breakdown: Breakdown, name: Callable[[str | None], str]) -> list[str]:
    """One line per group or unit with comments, largest first; "Không xác định" last."""
    rows = [(key, stances, _total(stances)) for key, stances in breakdown.items()]
    rows = [row for row in rows if row[2]]
    rows.sort(key=lambda row: (row[0] is None, -row[2], name(row[0])))
    return [
        texts.DOCX_BREAKDOWN_ROW.format(name=name(key), total=total, stances=_stance_short(stances))
        for key, stances, total in rows
    ]


def _breakdowns(
    document: Any, summary: ConsultationSummary, by_group: Breakdown, by_unit: Breakdown
) -> None:
    for title, breakdown, name in (
        (texts.DOCX_BY_GROUP, by_group, group_label),
        (texts.DOCX_BY_UNIT, by_unit, lambda code: unit_label(code, summary.unit_names)),
    ):
        lines = _breakdown_lines(breakdown, name)
        if lines:
            add_body(document, title)
            for line in lines:
                add_body(document, line)


def _organisation(document: Any, summary: ConsultationSummary, tz: tzinfo) -> None:
    consultation = summary.consultation
    add_heading(document, texts.DOCX_SECTION_ORGANISATION)
    window = texts.DOCX_WINDOW.format(
        draft=draft_phrase(consultation.title),
        issuer=_clean(" ".join(consultation.issuer.split())),
        opens=texts.DOCX_MOMENT.format(moment=local(consultation.opens_at, tz)),
        closes=texts.DOCX_MOMENT.format(moment=local(consultation.closes_at, tz)),
    )
    add_body(document, window)
    groups = ", ".join(group_label(code) for code in consultation.audience_groups)
    units = ", ".join(unit_label(code, summary.unit_names) for code in consultation.audience_units)
    audience = texts.DOCX_AUDIENCE.format(
        groups=groups or texts.DOCX_AUDIENCE_EVERY_GROUP,
        units=units or texts.DOCX_AUDIENCE_EVERY_UNIT,
    )
    add_body(document, audience)
    if not summary.comments:
        add_body(document, texts.DOCX_PARTICIPATION_NONE)
        return
    participation = texts.DOCX_PARTICIPATION.format(
        participants=summary.participants,
        comments=summary.comments,
        stances=_stance_list(summary.stances),
        with_text=summary.with_text,
    )
    add_body(document, participation)
    if summary.restricted:
        add_body(document, texts.DOCX_RESTRICTED.format(count=summary.restricted))
    _breakdowns(document, summary, summary.by_group, summary.by_unit)


def _count_cell(count: int, total: int) -> str:
    return (
        texts.DOCX_COUNT_PERCENT.format(count=count, percent=percent(count, total))
        if total
        else "0"
    )


def _table_rows(summary: ConsultationSummary) -> list[tuple[str, ...]]:
    rows = []
    for number, section in enumerate(summary.sections, 1):
        total = _total(section.stances)
        counts = (_count_cell(section.stances.get(code, 0), total) for code in texts.STANCES)
        rows.append(
            (str(number), section_name(section), *counts, str(total), str(section.with_text))
        )
    total = _total(summary.stances)
    counts = (_count_cell(summary.stances.get(code, 0), total) for code in texts.STANCES)
    rows.append(("", texts.DOCX_TABLE_TOTAL, *counts, str(total), str(summary.with_text)))
    return rows


def _sections_table(document: Any, summary: ConsultationSummary) -> None:
    """Every section with its counts: one table, filled row by row through each row's cells."""
    size, centre = report_texts.DOCX_HEADER_PT, WD_ALIGN_PARAGRAPH.CENTER
    caption = format_paragraph(document.add_paragraph(), align=centre, before=6)
    write_run(caption, texts.DOCX_TABLE_CAPTION, bold=True)
    header = texts.DOCX_TABLE_HEADER
    body = _table_rows(summary)
    table = document.add_table(rows=len(body) + 1, cols=len(header))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    set_widths(table, _TABLE_WIDTHS_MM)
    last = len(body)
    # `table.cell(r, c)` rebuilds the whole cell grid on every call; a row's cells do not.
    for r, (row, values) in enumerate(zip(table.rows, [header, *body], strict=True)):
        bold = r in (0, last)
        for c, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            paragraph = cell.paragraphs[0]
            format_paragraph(paragraph, align=None if c == 1 and r else centre, after=0)
            write_run(paragraph, value, size=size, bold=bold)


def _theme_line(theme: Theme) -> str:
    stances = _stance_short(theme.stances)
    if theme.representative is None:
        return texts.DOCX_THEME_UNQUOTED.format(size=theme.size, stances=stances)
    text = shorten(_clean(theme.representative), texts.DOCX_SNIPPET_CHARS)
    return texts.DOCX_THEME.format(size=theme.size, stances=stances, text=text)


def _section_detail(document: Any, summary: ConsultationSummary, section: SectionSummary) -> None:
    heading = format_paragraph(document.add_paragraph(), indent=True, before=6)
    write_run(heading, section_name(section), bold=True, italic=True)
    counts = texts.DOCX_SECTION_COUNTS.format(
        total=_total(section.stances),
        stances=_stance_list(section.stances, with_percent=True),
        with_text=section.with_text,
    )
    add_body(document, counts)
    if section.themes:
        add_body(document, texts.DOCX_THEMES, italic=True)
        for theme in section.themes:
            add_body(document, _theme_line(theme))
    elif section.with_text:
        add_body(document, texts.DOCX_THEMES_NONE)
    _breakdowns(document, summary, section.by_group, section.by_unit)


def _results(document: Any, summary: ConsultationSummary) -> None:
    add_heading(document, texts.DOCX_SECTION_RESULTS)
    add_heading(document, texts.DOCX_RESULTS_TABLE)
    _sections_table(document, summary)
    add_heading(document, texts.DOCX_RESULTS_SECTIONS)
    silent = []
    for section in summary.sections:
        if _total(section.stances):
            _section_detail(document, summary, section)
        else:
            silent.append(section_name(section))
    if silent:
        joined = texts.DOCX_SECTIONS_SILENT_JOIN.join(silent)
        add_body(document, texts.DOCX_SECTIONS_SILENT.format(sections=joined))


def _highest(sections: list[SectionSummary], code: str) -> SectionSummary | None:
    """The section with the largest share of `code` (more comments, then reading order, on ties)."""
    best, best_count, best_total = None, 0, 0
    for section in sections:
        count, total = section.stances.get(code, 0), _total(section.stances)
        # Shares compared exactly (count/total > best_count/best_total, cross-multiplied).
        ahead = count * best_total - best_count * total
        if count and (best is None or ahead > 0 or (ahead == 0 and total > best_total)):
            best, best_count, best_total = section, count, total
    return best


def _assessment(document: Any, summary: ConsultationSummary) -> None:
    add_heading(document, texts.DOCX_SECTION_ASSESSMENT)
    if not summary.comments:
        add_body(document, texts.DOCX_ASSESSMENT_NONE)
        return
    shares = "; ".join(
        texts.DOCX_STANCE_SHORT.format(
            name=name, count=percent(summary.stances.get(code, 0), _total(summary.stances))
        )
        for code, name in texts.STANCES.items()
    )
    add_body(document, texts.DOCX_ASSESSMENT_OVERALL.format(stances=shares))
    for code, template in (
        (AGREE, texts.DOCX_ASSESSMENT_MOST_AGREED),
        (DISAGREE, texts.DOCX_ASSESSMENT_MOST_DISAGREED),
    ):
        section = _highest(summary.sections, code)
        if section is None:
            if code == DISAGREE:
                add_body(document, texts.DOCX_ASSESSMENT_NO_DISAGREEMENT)
            continue
        total = _total(section.stances)
        line = template.format(
            section=section_name(section),
            percent=percent(section.stances.get(code, 0), total),
            total=total,
        )
        add_body(document, line)


def write_consultation_docx(
    summary: ConsultationSummary,
    path: Path,
    *,
    number: str,
    place: str,
    signer: str = "",
    tz: tzinfo = DEFAULT_TZ,
) -> Path:
    """Write the consultation's synthesis report as a Word document; returns `path`."""
    consultation = summary.consultation
    document = new_document()
    add_header(document, summary.generated_at, _clean(consultation.issuer), number, place, tz)
    add_title(document, texts.DOCX_SUBTITLE.format(draft=draft_phrase(consultation.title)))
    _organisation(document, summary, tz)
    _results(document, summary)
    _assessment(document, summary)
    add_closing(document, signer, texts.DOCX_RECIPIENTS)
    path = Path(path)
    document.save(str(path))
    return path

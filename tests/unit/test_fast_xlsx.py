"""The streaming XLSX writer: what it writes is read back by openpyxl, part by part."""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, date, datetime
from enum import IntEnum, StrEnum
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.reports import fast_xlsx
from bot.reports.fast_xlsx import MAX_CELL_CHARS, StreamingWorkbook, column_letter

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
VIETNAMESE = "Ủy ban Mặt trận Tổ quốc Việt Nam phường Ba Đình: đề nghị làm rõ nội dung"


def _values(path: Path, sheet: str | None = None) -> list[list[object]]:
    book = load_workbook(path)
    ws = book[sheet] if sheet else book.worksheets[0]
    return [list(row) for row in ws.iter_rows(values_only=True)]


def _one_row(tmp_path: Path, values: list[object]) -> list[object]:
    path = tmp_path / "one.xlsx"
    with StreamingWorkbook(path) as book:
        book.add_sheet("A").append(values)
    return _values(path)[0]


def test_values_and_types_round_trip(tmp_path: Path) -> None:
    moment = datetime(2026, 10, 2, 10, 7, 59)
    row = _one_row(tmp_path, [42, -7, 2.5, 1 / 3, True, False, "chữ", moment, 10**15])
    assert row == [42, -7, 2.5, pytest.approx(1 / 3), True, False, "chữ", moment, 10**15]
    assert [type(v) for v in row] == [int, int, float, float, bool, bool, str, datetime, int]


def test_datetimes_keep_their_second_and_get_the_format(tmp_path: Path) -> None:
    moments = [
        datetime(2026, 1, 1, 0, 0, 0),
        datetime(2026, 12, 31, 23, 59, 59),
        datetime(1900, 3, 1, 12, 30, 1),
        datetime(2099, 6, 15, 6, 6, 6),
    ]
    path = tmp_path / "dates.xlsx"
    with StreamingWorkbook(path, datetime_format="dd/mm/yyyy hh:mm") as book:
        bold = book.style(bold=True)
        sheet = book.add_sheet("Ngày")
        sheet.append(moments)
        sheet.append(moments, style=bold)
    ws = load_workbook(path).worksheets[0]
    assert [list(r) for r in ws.iter_rows(values_only=True)] == [moments, moments]
    assert ws["A1"].number_format == "dd/mm/yyyy hh:mm"
    assert ws["D2"].number_format == "dd/mm/yyyy hh:mm" and ws["D2"].font.b
    assert not ws["A1"].font.b


def test_none_leaves_the_cell_empty_and_keeps_the_columns(tmp_path: Path) -> None:
    assert _one_row(tmp_path, [None, "b", None, None, 5, ""]) == [None, "b", None, None, 5]


def test_vietnamese_in_both_normal_forms_is_kept_exactly(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", VIETNAMESE)
    assert nfd != VIETNAMESE
    row = _one_row(tmp_path, [VIETNAMESE, nfd, "🇻🇳 chữ Nôm 𡨸喃"])
    assert row == [VIETNAMESE, nfd, "🇻🇳 chữ Nôm 𡨸喃"]
    assert unicodedata.is_normalized("NFD", row[1])  # type: ignore[arg-type]


def test_characters_xml_forbids_are_dropped(tmp_path: Path) -> None:
    dirty = "a\x00b\x01c\x08d\x0be\x0cf\x0eg\x1fh\ud800i\udfffj\ufffek\uffffl"
    row = _one_row(tmp_path, [dirty, "\x07\x1b", "tab\there\nline\r\nend", "\x7f\x85ok"])
    assert row == ["abcdefghijkl", None, "tab\there\nline\r\nend", "\x7f\x85ok"]


def test_formulas_stay_text(tmp_path: Path) -> None:
    texts = ["=SUM(A1)", '=HYPERLINK("http://x.example","bấm")', "+1", "-2", "@A1"]
    path = tmp_path / "f.xlsx"
    with StreamingWorkbook(path) as book:
        book.add_sheet("A").append(texts)
    ws = load_workbook(path).worksheets[0]
    cells = next(ws.iter_rows())
    assert [c.value for c in cells] == texts
    assert {c.data_type for c in cells} == {"s"}
    with zipfile.ZipFile(path) as package:
        assert b"<f>" not in package.read("xl/worksheets/sheet1.xml")


def test_markup_escapes_and_outer_spaces_survive(tmp_path: Path) -> None:
    texts = ["<b>\"A\" & 'B'</b>", "  lề trái", "lề phải  ", "\nxuống dòng", "]]>"]
    row = _one_row(tmp_path, texts)
    assert row == texts
    with zipfile.ZipFile(tmp_path / "one.xlsx") as package:
        sheet = package.read("xl/worksheets/sheet1.xml").decode()
    assert '<t xml:space="preserve">  lề trái</t>' in sheet


def test_excel_escapes_in_a_text_are_escaped(tmp_path: Path) -> None:
    """Excel reads "_xHHHH_" in a text as the character HHHH; "_x005F_" is an underscore.

    openpyxl does not decode inline strings, so the text is read from the XML and decoded as
    Excel and LibreOffice do.
    """
    text = "mã _x0041_ và _X00e9_ giữ nguyên, _x12_ không phải mã"
    path = tmp_path / "x.xlsx"
    with StreamingWorkbook(path) as book:
        book.add_sheet("A").append([text])
    with zipfile.ZipFile(path) as package:
        root = ET.fromstring(package.read("xl/worksheets/sheet1.xml"))
    written = root.find(f".//{MAIN}t")
    assert written is not None and written.text is not None
    decoded = re.sub("_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), written.text)
    assert decoded == text
    assert written.text != text


def test_a_text_longer_than_excel_takes_is_cut(tmp_path: Path) -> None:
    long = "ý" * (MAX_CELL_CHARS + 10)
    dirty_long = "\x01" + "&" * (MAX_CELL_CHARS + 10)
    row = _one_row(tmp_path, [long, dirty_long])
    assert row == ["ý" * MAX_CELL_CHARS, "&" * MAX_CELL_CHARS]


def test_subclasses_of_the_plain_types(tmp_path: Path) -> None:
    class Level(IntEnum):
        HIGH = 3

    class Channel(StrEnum):
        ZALO = "zalo"

    class Moment(datetime):
        pass

    row = _one_row(tmp_path, [Level.HIGH, Channel.ZALO, Moment(2026, 5, 4, 3, 2, 1)])
    assert row == [3, "zalo", datetime(2026, 5, 4, 3, 2, 1)]


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (datetime(2026, 1, 1, tzinfo=UTC), ValueError),
        (datetime(1900, 2, 28), ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        (date(2026, 1, 1), TypeError),
        (b"bytes", TypeError),
    ],
)
def test_values_excel_cannot_hold_are_refused_and_no_file_is_left(
    tmp_path: Path, value: object, error: type[Exception]
) -> None:
    path = tmp_path / "bad.xlsx"
    with pytest.raises(error), StreamingWorkbook(path) as book:
        book.add_sheet("A").append([1, value])
    assert not path.exists()


def test_a_header_is_bold_frozen_and_filtered_over_every_row(tmp_path: Path) -> None:
    path = tmp_path / "h.xlsx"
    with StreamingWorkbook(path) as book:
        sheet = book.add_sheet(
            "Ý kiến", widths=(9, 80.5, 17), header=("STT", "Nội dung", "Kênh"), auto_filter=True
        )
        for n in range(1, 6):
            sheet.append([n, f"Ý kiến {n}", "Zalo"])
        plain = book.add_sheet("Khác", widths=(12,))
        plain.append(["x"])
    book_ = load_workbook(path)
    ws = book_["Ý kiến"]
    assert [c.value for c in ws[1]] == ["STT", "Nội dung", "Kênh"]
    assert all(c.font.b for c in ws[1]) and not ws["A2"].font.b
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:C6"
    assert [ws.column_dimensions[c].width for c in "ABC"] == [9, 80.5, 17]
    other = book_["Khác"]
    assert other.freeze_panes is None and other.auto_filter.ref is None
    assert other.column_dimensions["A"].width == 12
    with zipfile.ZipFile(path) as package:
        workbook = package.read("xl/workbook.xml").decode()
    assert "'Ý kiến'!$A$1:$C$6</definedName>" in workbook


def test_styles_per_row_and_per_cell(tmp_path: Path) -> None:
    path = tmp_path / "s.xlsx"
    with StreamingWorkbook(path) as book:
        bold = book.style(bold=True)
        percent = book.style(number_format="0.0%")
        bold_percent = book.style(bold=True, number_format="0.0%")
        wrap = book.style(wrap=True)
        assert book.style(bold=True) == bold  # the same style, the same id
        sheet = book.add_sheet("Tổng hợp")
        sheet.append(["Tổng cộng", 0.625], style=bold)
        sheet.append(["Phần 1", 0.125, "dài"], style=(0, percent, wrap))
        sheet.append(["Tổng", 0.25], style=[bold, bold_percent])
        with pytest.raises(ValueError, match="styles"):
            sheet.append([1, 2, 3], style=(0, 0))
    ws = load_workbook(path).worksheets[0]
    assert ws["A1"].font.b and ws["B1"].font.b and ws["B1"].number_format == "General"
    assert not ws["A2"].font.b and ws["B2"].number_format == "0.0%"
    assert ws["C2"].alignment.wrap_text and ws["C2"].alignment.vertical == "top"
    assert not ws["B2"].alignment.wrap_text
    assert ws["B3"].font.b and ws["B3"].number_format == "0.0%"
    assert ws.max_row == 3  # the refused row was not written


def test_empty_sheets_and_many_sheets_in_order(tmp_path: Path) -> None:
    titles = ["Trống", *(f"Trang {n}" for n in range(2, 40)), "Bob's & <co>"]
    path = tmp_path / "many.xlsx"
    with StreamingWorkbook(path) as book:
        for n, title in enumerate(titles):
            sheet = book.add_sheet(title)
            if n:
                sheet.append([n, title])
    book_ = load_workbook(path)
    assert book_.sheetnames == titles
    assert all(v is None for row in book_["Trống"].iter_rows(values_only=True) for v in row)
    for n, title in enumerate(titles[1:], 1):
        assert _rows_of(book_[title]) == [[n, title]]


def _rows_of(ws: object) -> list[list[object]]:
    return [list(r) for r in ws.iter_rows(values_only=True)]  # type: ignore[attr-defined]


def test_many_rows_are_flushed_in_chunks(tmp_path: Path) -> None:
    path = tmp_path / "big.xlsx"
    count = fast_xlsx._CHUNK_ROWS * 3 + 7
    with StreamingWorkbook(path) as book:
        sheet = book.add_sheet("A", header=("n", "text"), auto_filter=True)
        for n in range(count):
            sheet.append([n, f"dòng {n} " + "x" * (n % 50)])
        assert sheet.size > 0  # already in the zip before the workbook closes
        assert sheet.rows == count + 1
    rows = _values(path)
    assert len(rows) == count + 1
    assert rows[1:] == [[n, f"dòng {n} " + "x" * (n % 50)] for n in range(count)]


@pytest.mark.parametrize(
    "title",
    ["", "x" * 32, "a/b", "a:b", "a[1]", "a?", "a*", "a\\b", "'quoted'", "bell\x07"],
)
def test_titles_excel_refuses_are_refused(tmp_path: Path, title: str) -> None:
    with StreamingWorkbook(tmp_path / "t.xlsx") as book:
        book.add_sheet("ok")
        with pytest.raises(ValueError):
            book.add_sheet(title)


def test_titles_are_unique_ignoring_case_and_may_have_31_characters(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    with StreamingWorkbook(path) as book:
        book.add_sheet("Ý kiến")
        with pytest.raises(ValueError):
            book.add_sheet("ý KIẾN")
        book.add_sheet("y" * 31)
    assert load_workbook(path).sheetnames == ["Ý kiến", "y" * 31]


def test_a_full_sheet_refuses_more_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast_xlsx, "MAX_ROWS", 3)
    path = tmp_path / "full.xlsx"
    with StreamingWorkbook(path) as book:
        sheet = book.add_sheet("A", header=("h",))
        sheet.append([1])
        sheet.append([2])
        with pytest.raises(ValueError, match="full"):
            sheet.append([3])
    assert _values(path) == [["h"], [1], [2]]


def test_a_finished_sheet_and_a_closed_workbook_refuse_writes(tmp_path: Path) -> None:
    book = StreamingWorkbook(tmp_path / "c.xlsx")
    first = book.add_sheet("A")
    book.add_sheet("B")
    with pytest.raises(ValueError, match="finished"):
        first.append([1])
    book.close()
    with pytest.raises(ValueError, match="closed"):
        book.add_sheet("C")


def test_a_workbook_without_sheets_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "none.xlsx"
    with pytest.raises(ValueError, match="sheet"), StreamingWorkbook(path):
        pass
    assert not path.exists()


def test_an_auto_filter_needs_a_header(tmp_path: Path) -> None:
    with StreamingWorkbook(tmp_path / "f.xlsx") as book:
        book.add_sheet("A")
        with pytest.raises(ValueError, match="header"):
            book.add_sheet("B", auto_filter=True)


def test_column_letters() -> None:
    assert [column_letter(n) for n in (1, 12, 26, 27, 52, 703, 16_384)] == [
        "A",
        "L",
        "Z",
        "AA",
        "AZ",
        "AAA",
        "XFD",
    ]
    for bad in (0, 16_385):
        with pytest.raises(ValueError):
            column_letter(bad)


# --- the package -------------------------------------------------------------------------------

WORKSHEET_ORDER = ["sheetViews", "sheetFormatPr", "cols", "sheetData", "autoFilter", "pageMargins"]


def _package(tmp_path: Path) -> zipfile.ZipFile:
    path = tmp_path / "p.xlsx"
    with StreamingWorkbook(path, datetime_format="dd/mm/yyyy hh:mm") as book:
        summary = book.add_sheet("Tổng hợp", widths=(20, 40))
        summary.append(["Thời điểm lập", datetime(2026, 10, 16, 9, 0)])
        comments = book.add_sheet("Ý kiến", widths=(9,), header=("STT",), auto_filter=True)
        comments.append([1])
    return zipfile.ZipFile(path)


def test_the_zip_holds_the_parts_of_a_workbook(tmp_path: Path) -> None:
    with _package(tmp_path) as package:
        names = package.namelist()
        assert sorted(names) == sorted(
            [
                "[Content_Types].xml",
                "_rels/.rels",
                "docProps/app.xml",
                "docProps/core.xml",
                "xl/workbook.xml",
                "xl/_rels/workbook.xml.rels",
                "xl/styles.xml",
                "xl/worksheets/sheet1.xml",
                "xl/worksheets/sheet2.xml",
            ]
        )
        assert names[0] == "_rels/.rels"
        assert {i.compress_type for i in package.infolist()} == {zipfile.ZIP_DEFLATED}
        parts = {name: ET.fromstring(package.read(name)) for name in names}  # all well-formed

    types = parts["[Content_Types].xml"]
    overrides = {o.get("PartName") for o in types if o.tag.endswith("Override")}
    assert overrides == {"/" + n for n in names if not n.endswith(".rels")} - {
        "/[Content_Types].xml"
    }
    targets = {r.get("Target") for r in parts["xl/_rels/workbook.xml.rels"]}
    assert targets == {"worksheets/sheet1.xml", "worksheets/sheet2.xml", "styles.xml"}
    assert {r.get("Target") for r in parts["_rels/.rels"]} == {
        "xl/workbook.xml",
        "docProps/core.xml",
        "docProps/app.xml",
    }
    for name in ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"):
        order = [child.tag.removeprefix(MAIN) for child in parts[name]]
        assert order == [tag for tag in WORKSHEET_ORDER if tag in order], name
        assert "sheetData" in order
    assert "autoFilter" in [c.tag.removeprefix(MAIN) for c in parts["xl/worksheets/sheet2.xml"]]
    sheets = parts["xl/workbook.xml"].find(f"{MAIN}sheets")
    assert sheets is not None
    assert [s.get("name") for s in sheets] == ["Tổng hợp", "Ý kiến"]
    formats = parts["xl/styles.xml"].find(f"{MAIN}numFmts")
    assert formats is not None
    assert [f.get("formatCode") for f in formats] == ["dd/mm/yyyy hh:mm"]
    xfs = parts["xl/styles.xml"].find(f"{MAIN}cellXfs")
    assert xfs is not None and xfs.get("count") == str(len(xfs))


# --- its use by the consultation workbook ------------------------------------------------------


def test_the_consultation_workbook_starts_a_new_sheet_before_a_part_grows_too_big(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.reports import consultation_xlsx
    from tests.integration.test_consultation_report_files import sample_rows, sample_summary

    # Every row flushed at once, and any flushed byte "too many": one comment per sheet.
    monkeypatch.setattr(fast_xlsx, "_CHUNK_ROWS", 1)
    monkeypatch.setattr(consultation_xlsx, "MAX_SHEET_BYTES", 1)
    comments = sample_rows()
    path = tmp_path / "parts.xlsx"
    assert consultation_xlsx.write_consultation_xlsx(sample_summary(), comments, path) == 8
    book = load_workbook(path)
    assert book.sheetnames == ["Tổng hợp", "Ý kiến", *(f"Ý kiến ({n})" for n in range(2, 9))]
    seen = []
    for ws in book.worksheets[1:]:
        header, *rows = _rows_of(ws)
        assert header[0] == "STT" and len(rows) == 1
        seen.append(rows[0][:2])
    assert seen == [[n, c.id] for n, c in enumerate(comments, 1)]

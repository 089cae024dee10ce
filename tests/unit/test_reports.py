"""Report files written from a digest, opened back: Word, Excel and the PNG chart."""

from __future__ import annotations

import logging
import warnings
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import docx
import matplotlib
import numpy as np
import pytest
from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from PIL import Image

from bot.reports import file_stem, write_all, write_chart, write_docx, write_xlsx
from bot.reports.docx import place_date
from config.taxonomy import TOPICS
from handlers.digest import CountRow, Digest
from tests.unit.test_digest_text import (
    DENUNCIATION,
    FORMULA_ITEM,
    LAND_ITEM,
    LAND_PROBLEM,
    THREAT,
    TREES_ITEM,
    UNIT,
    WASTE_PROBLEM,
    empty_digest,
    sample_digest,
    week_digest,
)

ISSUE = {"issuer": UNIT, "number": "15", "place": "Ba Đình"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FONT = "Times New Roman"


# --- Word -------------------------------------------------------------------------------------


def _open_docx(digest: Digest, tmp_path: Path) -> Document:
    path = write_docx(digest, tmp_path / "report.docx", **ISSUE)
    assert path.stat().st_size > 0
    return docx.Document(str(path))


@pytest.fixture
def report(tmp_path: Path) -> Document:
    return _open_docx(sample_digest(), tmp_path)


def _texts(document: Document) -> list[str]:
    return [p.text for p in document.paragraphs]


def _all_text(document: Document) -> str:
    parts = _texts(document)
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def _paragraph(document: Document, text: str) -> Paragraph:
    matches = [p for p in document.paragraphs if p.text == text]
    assert len(matches) == 1, f"{text!r} found {len(matches)} times"
    return matches[0]


def test_docx_page_is_a4_with_the_decree_margins(report: Document) -> None:
    section = report.sections[0]
    # Word stores twips: allow the rounding of 1 twip (0.018 mm).
    for measured, expected in (
        (section.page_width, 210),
        (section.page_height, 297),
        (section.top_margin, 20),
        (section.bottom_margin, 20),
        (section.left_margin, 30),
        (section.right_margin, 15),
    ):
        assert measured is not None
        assert measured.mm == pytest.approx(expected, abs=0.05)


def test_docx_header_table(report: Document) -> None:
    header = report.tables[0]
    left, right = header.cell(0, 0), header.cell(0, 1)
    assert [p.text for p in left.paragraphs] == ["ỦY BAN MTTQ VIỆT NAM", "PHƯỜNG BA ĐÌNH"]
    assert [p.text for p in right.paragraphs] == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    ]
    for paragraph in [*left.paragraphs, *right.paragraphs]:
        assert all(run.bold for run in paragraph.runs), paragraph.text
    assert header.cell(1, 0).text == "Số: 15/BC-MTTQ"
    date_line = header.cell(1, 1).paragraphs[0]
    assert date_line.text == "Ba Đình, ngày 02 tháng 11 năm 2026"  # 08:30 in Hà Nội
    assert all(run.italic for run in date_line.runs)
    for cell in (left, right, header.cell(1, 0), header.cell(1, 1)):
        for run in (run for p in cell.paragraphs for run in p.runs):
            assert run.font.size == Pt(13)


def test_docx_title_with_the_period(report: Document) -> None:
    texts = _texts(report)
    title = _paragraph(report, "BÁO CÁO")
    subtitle = texts[texts.index("BÁO CÁO") + 1]
    assert subtitle == "Tổng hợp tình hình Nhân dân và ý kiến, kiến nghị tháng 10/2026"
    for paragraph in (title, _paragraph(report, subtitle)):
        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
        assert all(run.bold for run in paragraph.runs)


def test_docx_a_week_is_titled_with_its_dates(tmp_path: Path) -> None:
    texts = _texts(_open_docx(week_digest(), tmp_path))
    assert "Tổng hợp tình hình Nhân dân và ý kiến, kiến nghị kỳ 01/10/2026–07/10/2026" in texts


def test_docx_sections_in_order(report: Document) -> None:
    texts = _texts(report)
    headings = [
        "I. TÌNH HÌNH CHUNG",
        "II. Ý KIẾN, KIẾN NGHỊ THEO LĨNH VỰC",
        "III. Ý KIẾN CHỜ TRẢ LỜI, QUÁ HẠN",
        "IV. Ý KIẾN CÓ NỘI DUNG NHẠY CẢM",
    ]
    positions = [texts.index(heading) for heading in headings]
    assert positions == sorted(positions)
    assert all(_paragraph(report, h).runs[0].bold for h in headings)


def test_docx_overview_figures(report: Document) -> None:
    texts = _texts(report)
    assert texts[texts.index("I. TÌNH HÌNH CHUNG") + 1] == (
        f"Trong tháng 10/2026, {UNIT} tiếp nhận 24 ý kiến, kiến nghị của Nhân dân, "
        "giảm 4 so với kỳ trước (28 ý kiến)."
    )
    assert "- Phản ánh, kiến nghị: 14 ý kiến (giảm 1)." in texts
    assert "- Tố cáo: 2 ý kiến (không thay đổi)." in texts


def test_docx_topic_subsections_with_counts_and_quotes(report: Document) -> None:
    texts = _texts(report)
    start = texts.index("II. Ý KIẾN, KIẾN NGHỊ THEO LĨNH VỰC")
    end = texts.index("III. Ý KIẾN CHỜ TRẢ LỜI, QUÁ HẠN")
    section = texts[start + 1 : end]
    land = section.index("1. Đất đai, nhà ở, quy hoạch: 12 ý kiến (tăng 3 so với kỳ trước).")
    environment = section.index("2. Tài nguyên, môi trường: 7 ý kiến (giảm 3 so với kỳ trước).")
    roads = section.index(
        "3. Giao thông, hạ tầng đô thị: 5 ý kiến (không thay đổi so với kỳ trước)."
    )
    assert section[land + 1 : environment] == [
        f"- 6 ý kiến phản ánh tại Phường Ba Đình: “{LAND_PROBLEM}”",
        f"- Ý kiến tại Phường Ba Đình: “{LAND_ITEM}”",
    ]
    assert section[environment + 1 : roads] == [
        "- 4 ý kiến phản ánh tại Phường Ngọc Hà: “"
        + WASTE_PROBLEM.replace("{", "(").replace("}", ")")
        + "”",
        f"- Ý kiến tại Phường Ngọc Hà: “{TREES_ITEM}”",
    ]
    assert f"- Ý kiến tại Phường Giảng Võ: “{FORMULA_ITEM}”" in section[roads:]
    assert not any(TOPICS["y_te"] in line for line in section)  # nothing this month
    assert all(line.startswith("- ") for line in section[land + 1 : environment])


def test_docx_at_most_three_quotes_per_topic(tmp_path: Path) -> None:
    digest = sample_digest()
    more = tuple(
        replace(digest.items[0], code=f"YK-BBBB0{n}", text=f"Ý kiến đất đai số {n}")
        for n in range(5)
    )
    texts = _texts(_open_docx(replace(digest, items=digest.items + more), tmp_path))
    start = texts.index("1. Đất đai, nhà ở, quy hoạch: 12 ý kiến (tăng 3 so với kỳ trước).")
    quotes = texts[start + 1 : start + 5]
    assert len([q for q in quotes if q.startswith("- ")]) == 3
    assert not texts[start + 4].startswith("- ")


def test_docx_answers_and_sensitive_counted_only(report: Document) -> None:
    texts = _texts(report)
    start = texts.index("III. Ý KIẾN CHỜ TRẢ LỜI, QUÁ HẠN")
    assert texts[start + 1] == (
        "Số ý kiến đang chờ cơ quan có thẩm quyền trả lời: 5; trong đó quá hạn trả lời: 2."
    )
    assert texts[start + 2] == "- YK-AAAA01 (Đất đai, nhà ở, quy hoạch), hạn trả lời 24/10/2026."
    start = texts.index("IV. Ý KIẾN CÓ NỘI DUNG NHẠY CẢM")
    assert texts[start + 1].startswith("Có 3 ý kiến có nội dung nhạy cảm")
    everything = _all_text(report)
    for secret in (DENUNCIATION, THREAT, "Trần Văn Bính", "YK-AAAA03"):
        assert secret not in everything
    assert "[SĐT]" in everything  # redacted texts keep their placeholders


def test_docx_counts_table(report: Document) -> None:
    table = report.tables[1]
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows == [
        ["TT", "Lĩnh vực", "Kỳ này", "Kỳ trước", "Tăng/giảm"],
        ["1", "Đất đai, nhà ở, quy hoạch", "12", "9", "+3"],
        ["2", "Tài nguyên, môi trường", "7", "10", "-3"],
        ["3", "Giao thông, hạ tầng đô thị", "5", "5", "0"],
        ["4", "Y tế, an toàn thực phẩm", "0", "4", "-4"],
        ["", "Tổng cộng", "24", "28", "-4"],
    ]


def test_docx_recipients_and_signature(report: Document) -> None:
    closing = report.tables[-1]
    recipients = closing.cell(0, 0).paragraphs
    assert recipients[0].text == "Nơi nhận:"
    run = recipients[0].runs[0]
    assert run.bold and run.italic and run.font.size == Pt(12)
    assert recipients[-1].text == "- Lưu: VT."
    signature = [p.text for p in closing.cell(0, 1).paragraphs]
    assert signature[:2] == ["TM. BAN THƯỜNG TRỰC", "CHỦ TỊCH"]


def test_docx_signer_name(tmp_path: Path) -> None:
    path = write_docx(sample_digest(), tmp_path / "r.docx", signer="Nguyễn Thị Hoa", **ISSUE)
    signature = [p.text for p in docx.Document(str(path)).tables[-1].cell(0, 1).paragraphs]
    assert signature[-1] == "Nguyễn Thị Hoa"


def test_docx_fonts_times_new_roman_13_to_14(report: Document) -> None:
    body_runs = [run for p in report.paragraphs for run in p.runs if run.text]
    assert len(body_runs) > 20
    for run in body_runs:
        assert run.font.name == FONT
        assert run.font.size in (Pt(13), Pt(14)), run.text
        fonts = run._element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == FONT
        assert fonts.get(qn("w:hAnsi")) == FONT
    normal = report.styles["Normal"]
    assert normal.font.name == FONT
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == FONT
    assert normal.font.size == Pt(14)


def test_docx_empty_period(tmp_path: Path) -> None:
    document = _open_docx(empty_digest(), tmp_path)
    texts = _texts(document)
    assert texts[texts.index("I. TÌNH HÌNH CHUNG") + 1] == (
        f"Trong tháng 10/2026, {UNIT} chưa tiếp nhận ý kiến, kiến nghị nào của Nhân dân "
        "(kỳ trước: 4 ý kiến)."
    )
    assert texts[texts.index("II. Ý KIẾN, KIẾN NGHỊ THEO LĨNH VỰC") + 1] == (
        "Không có ý kiến, kiến nghị trong kỳ."
    )
    assert "Không có ý kiến có nội dung nhạy cảm trong kỳ." in texts
    rows = [[c.text for c in row.cells] for row in document.tables[1].rows]
    assert rows[-1] == ["", "Tổng cộng", "0", "4", "-4"]


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 2), "Hà Nội, ngày 02 tháng 11 năm 2026"),
        (datetime(2027, 2, 5), "Hà Nội, ngày 05 tháng 02 năm 2027"),
        (datetime(2026, 3, 15), "Hà Nội, ngày 15 tháng 3 năm 2026"),
    ],
)
def test_place_date_pads_as_the_decree_says(moment: datetime, expected: str) -> None:
    assert place_date("Hà Nội", moment) == expected


# --- Excel ------------------------------------------------------------------------------------


@pytest.fixture
def workbook_path(tmp_path: Path) -> Path:
    return write_xlsx(sample_digest(), tmp_path / "book.xlsx")


def _rows(sheet: Worksheet) -> list[list[object]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _figures(rows: list[list[object]], title: str) -> dict[object, list[object]]:
    """The breakdown below a header row starting with `title`, until the next blank row."""
    start = next(i for i, row in enumerate(rows) if row[0] == title)
    assert rows[start][1:] == ["Kỳ này", "Kỳ trước", "Tăng/giảm"]
    figures = {}
    for row in rows[start + 1 :]:
        if row[0] is None:
            break
        figures[row[0]] = row[1:]
    return figures


def test_xlsx_sheets(workbook_path: Path) -> None:
    assert load_workbook(workbook_path).sheetnames == ["Tổng hợp", "Danh sách"]


def test_xlsx_summary(workbook_path: Path) -> None:
    rows = _rows(load_workbook(workbook_path)["Tổng hợp"])
    head = {row[0]: row[1] for row in rows[:4]}
    assert head == {
        "Đơn vị": UNIT,
        "Kỳ báo cáo": "tháng 10/2026",
        "Kỳ trước": "tháng 09/2026",
        "Thời điểm lập": datetime(2026, 11, 2, 8, 30),
    }
    totals = _figures(rows, "Chỉ tiêu")
    assert totals["Tổng số ý kiến"] == [24, 28, -4]
    assert totals["Đang chờ trả lời"][0] == 5
    assert totals["Quá hạn trả lời"][0] == 2
    assert totals["Ý kiến nhạy cảm (chỉ đếm)"][0] == 3
    topics = _figures(rows, "Lĩnh vực")
    assert len(topics) == len(TOPICS)
    assert topics["Đất đai, nhà ở, quy hoạch"] == [12, 9, 3]
    assert topics["Y tế, an toàn thực phẩm"] == [0, 4, -4]
    assert _figures(rows, "Loại ý kiến")["Phản ánh, kiến nghị"] == [14, 15, -1]
    assert _figures(rows, "Địa bàn")["Phường Ba Đình"] == [10, 12, -2]
    assert _figures(rows, "Nhóm đối tượng") == {"Người cao tuổi": [5, 4, 1], "Công nhân": [3, 2, 1]}


def test_xlsx_item_sheet_layout(workbook_path: Path) -> None:
    sheet = load_workbook(workbook_path)["Danh sách"]
    header = next(sheet.iter_rows(min_row=1, max_row=1))
    assert [cell.value for cell in header] == [
        "Mã",
        "Thời gian tiếp nhận",
        "Loại ý kiến",
        "Lĩnh vực",
        "Địa bàn",
        "Nhóm đối tượng",
        "Trạng thái",
        "Hạn trả lời",
        "Ngày trả lời",
        "Quá hạn",
        "Cờ",
        "Nội dung (đã che thông tin cá nhân)",
    ]
    assert all(cell.font.b for cell in header)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:L6"
    assert sheet.column_dimensions["L"].width >= 60
    assert sheet.column_dimensions["A"].width >= 10


def test_xlsx_one_row_per_item(workbook_path: Path) -> None:
    sheet = load_workbook(workbook_path)["Danh sách"]
    rows = _rows(sheet)[1:]
    assert [row[0] for row in rows] == [item.code for item in sample_digest().items]
    assert rows[0] == [
        "YK-AAAA01",
        datetime(2026, 10, 3, 9, 15),  # 02:15 UTC is 09:15 in Hà Nội
        "Phản ánh, kiến nghị",
        "Đất đai, nhà ở, quy hoạch",
        "Phường Ba Đình",
        "Người cao tuổi",
        "Đang xử lý",
        datetime(2026, 10, 24, 17, 0),
        None,
        "Có",
        "Thông tin cá nhân",
        LAND_ITEM,
    ]
    assert rows[1][8] == datetime(2026, 10, 20, 10, 0)  # answered
    assert rows[1][9] == "Không"
    assert rows[4][1] == datetime(2026, 10, 30, 23, 59)
    assert rows[4][4] == "Chưa xác định"
    assert rows[4][10] == "Đe dọa"
    assert sheet["B2"].number_format == "dd/mm/yyyy hh:mm"


def test_xlsx_a_text_starting_with_equals_stays_text(workbook_path: Path) -> None:
    cell = load_workbook(workbook_path)["Danh sách"]["L5"]
    assert cell.value == FORMULA_ITEM
    assert cell.data_type == "s"


def test_xlsx_empty_period(tmp_path: Path) -> None:
    book = load_workbook(write_xlsx(empty_digest(), tmp_path / "e.xlsx"))
    items = _rows(book["Danh sách"])
    assert len(items) == 1  # the header only
    totals = _figures(_rows(book["Tổng hợp"]), "Chỉ tiêu")
    assert totals["Tổng số ý kiến"] == [0, 4, -4]


# --- chart ------------------------------------------------------------------------------------


def _glyph_problems(draw: object, caplog: pytest.LogCaptureFixture) -> tuple[list[str], list[str]]:
    """Warnings and font log records emitted while `draw()` runs."""
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        draw()  # type: ignore[operator]
    messages = [str(w.message) for w in caught]
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("matplotlib")]
    return messages, logged


def _red_pixels(path: Path) -> int:
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"))
    return int(np.all(pixels == (0xC0, 0x39, 0x2B), axis=-1).sum())


def test_chart_png_without_missing_glyphs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "chart.png"
    messages, logged = _glyph_problems(lambda: write_chart(sample_digest(), path), caplog)
    assert [m for m in messages if "Glyph" in m or "missing" in m] == []
    assert [m for m in logged if "findfont" in m or "Glyph" in m] == []
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size[0] == 1500  # 10 inches at 150 dpi
        assert image.info["dpi"] == pytest.approx((150, 150), abs=0.1)
    assert _red_pixels(path) > 1000  # this period's bars are drawn


def test_missing_glyphs_would_be_caught(caplog: pytest.LogCaptureFixture) -> None:
    """The check above can fail: a Chinese character is not in DejaVu Sans."""

    def draw() -> None:
        with matplotlib.rc_context({"font.family": "DejaVu Sans"}):
            figure = Figure()
            figure.text(0.5, 0.5, "漢")
            FigureCanvasAgg(figure).draw()

    messages, _ = _glyph_problems(draw, caplog)
    assert any("Glyph" in m and "missing" in m for m in messages)


def test_chart_of_an_empty_period(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    digest = empty_digest()
    nothing = replace(digest, by_topic=tuple(CountRow(c, n, 0, 0) for c, n in TOPICS.items()))
    path = tmp_path / "empty.png"
    messages, _ = _glyph_problems(lambda: write_chart(nothing, path), caplog)
    assert [m for m in messages if "Glyph" in m] == []
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    assert _red_pixels(path) == 0


# --- all files --------------------------------------------------------------------------------


def test_write_all_names_files_by_month(tmp_path: Path) -> None:
    paths = write_all(sample_digest(), tmp_path / "out", **ISSUE)
    assert [p.name for p in paths] == [
        "bao-cao-2026-10.docx",
        "tong-hop-2026-10.xlsx",
        "bieu-do-2026-10.png",
    ]
    assert all(p.parent == tmp_path / "out" and p.stat().st_size > 0 for p in paths)
    assert docx.Document(str(paths[0])).paragraphs  # each opens with its own library
    assert load_workbook(paths[1]).sheetnames == ["Tổng hợp", "Danh sách"]
    assert paths[2].read_bytes().startswith(PNG_SIGNATURE)


def test_write_all_names_other_periods_by_dates(tmp_path: Path) -> None:
    paths = write_all(week_digest(), tmp_path, **ISSUE)
    assert [p.name for p in paths] == [
        "bao-cao-2026-10-01_2026-10-07.docx",
        "tong-hop-2026-10-01_2026-10-07.xlsx",
        "bieu-do-2026-10-01_2026-10-07.png",
    ]
    assert all(name.isascii() for name in (p.name for p in paths))
    assert file_stem(sample_digest().period) == "2026-10"

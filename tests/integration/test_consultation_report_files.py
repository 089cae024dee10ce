"""The synthesis report files of a consultation, written from a hand-built summary, read back."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import docx
import pytest
from docx.document import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.reports import consultation_xlsx
from bot.reports.consultation_docx import draft_phrase, write_consultation_docx
from bot.reports.consultation_xlsx import write_consultation_xlsx
from config.consultations import STANCES
from storage.consultation_records import (
    WHOLE_DRAFT,
    CommentRow,
    ConsultationRecord,
    ConsultationSummary,
    SectionRecord,
    SectionSummary,
    Theme,
)

TITLE = "Dự thảo Báo cáo chính trị trình Đại hội đại biểu MTTQ Việt Nam phường Ba Đình"
ISSUER = "Ủy ban MTTQ Việt Nam phường Ba Đình"
UNITS = {"00004": "Phường Ba Đình", "00007": "Phường Ngọc Hà"}
QUOTE_WHOLE = "Đề nghị bổ sung nội dung về chuyển đổi số, liên hệ [SĐT]."
QUOTE_FIRST = "Cần đánh giá rõ hơn những hạn chế trong công tác giám sát, phản biện xã hội."
SECRET = "Tố cáo ông Nguyễn Văn Bình nhận tiền của dân"
FORMULA = '=HYPERLINK("http://x.example","bấm vào đây")'
ISSUE = {"number": "12", "place": "Ba Đình"}


def _stances(agree: int, disagree: int, partly: int) -> dict[str, int]:
    return {"tan_thanh": agree, "khong_tan_thanh": disagree, "tan_thanh_mot_phan": partly}


def _section(position: int, label: str, title: str) -> SectionRecord:
    return SectionRecord(
        id=100 + position,
        consultation_id=7,
        position=position,
        label=label,
        title=title,
        body="…",
        level=1,
    )


def _consultation() -> ConsultationRecord:
    return ConsultationRecord(
        id=7,
        title=TITLE,
        issuer=ISSUER,
        unit_code="00004",
        opens_at=datetime(2026, 10, 1, 1, 0, tzinfo=UTC),  # 08:00 in Hà Nội
        closes_at=datetime(2026, 10, 15, 10, 0, tzinfo=UTC),  # 17:00
        created_by="cli",
        created_at=datetime(2026, 9, 30, tzinfo=UTC),
        audience_groups=("phu_nu", "nguoi_cao_tuoi"),
        audience_units=("00004", "00007"),
        report_due=None,
    )


def sample_summary() -> ConsultationSummary:
    """Three sections: the whole draft, a commented part, a part nobody commented on."""
    whole = SectionSummary(
        section=_section(WHOLE_DRAFT, "Toàn văn dự thảo", ""),
        stances=_stances(5, 1, 2),
        with_text=4,
        themes=[Theme(11, 3, {"tan_thanh": 2, "tan_thanh_mot_phan": 1}, QUOTE_WHOLE)],
        by_group={"phu_nu": _stances(3, 0, 1), None: _stances(2, 1, 1)},
        by_unit={"00004": _stances(3, 1, 1), None: _stances(2, 0, 1)},
    )
    first = SectionSummary(
        section=_section(1, "Phần thứ nhất", "Đánh giá kết quả nhiệm kỳ"),
        stances=_stances(7, 2, 3),
        with_text=6,
        themes=[
            Theme(21, 4, {"khong_tan_thanh": 2, "tan_thanh_mot_phan": 2}, QUOTE_FIRST),
            Theme(22, 2, {"tan_thanh": 2}, None),
        ],
        by_group={"nguoi_cao_tuoi": _stances(4, 2, 1), "phu_nu": _stances(3, 0, 2)},
        by_unit={"00004": _stances(5, 1, 2), "00007": _stances(2, 1, 1)},
    )
    second = SectionSummary(
        section=_section(2, "Phần thứ hai", "Phương hướng, nhiệm vụ"),
        stances=_stances(0, 0, 0),
        with_text=0,
        themes=[],
        by_group={},
        by_unit={},
    )
    return ConsultationSummary(
        consultation=_consultation(),
        sections=[whole, first, second],
        participants=13,
        comments=20,
        with_text=10,
        stances=_stances(12, 3, 5),
        by_group={
            "phu_nu": _stances(6, 0, 3),
            None: _stances(2, 1, 1),
            "nguoi_cao_tuoi": _stances(4, 2, 1),
        },
        by_unit={
            "00004": _stances(8, 2, 3),
            None: _stances(2, 0, 1),
            "00007": _stances(2, 1, 1),
        },
        unit_names=dict(UNITS),
        generated_at=datetime(2026, 10, 16, 2, 0, tzinfo=UTC),  # 09:00 on the 16th in Hà Nội
        restricted=2,
    )


# --- Word ---------------------------------------------------------------------------------------


def _open_docx(summary: ConsultationSummary, tmp_path: Path, **extra: str) -> Document:
    path = write_consultation_docx(summary, tmp_path / "bao-cao.docx", **ISSUE, **extra)
    return docx.Document(str(path))


@pytest.fixture
def report(tmp_path: Path) -> Document:
    return _open_docx(sample_summary(), tmp_path)


def _texts(document: Document) -> list[str]:
    return [p.text for p in document.paragraphs]


def _all_text(document: Document) -> str:
    parts = _texts(document)
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def _between(texts: list[str], start: str, end: str) -> list[str]:
    return texts[texts.index(start) + 1 : texts.index(end)]


def test_docx_header_title_and_closing(report: Document) -> None:
    header = report.tables[0]
    assert [p.text for p in header.cell(0, 0).paragraphs] == [
        "ỦY BAN MTTQ VIỆT NAM",
        "PHƯỜNG BA ĐÌNH",
    ]
    assert [p.text for p in header.cell(0, 1).paragraphs] == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    ]
    assert header.cell(1, 0).text == "Số: 12/BC-MTTQ"
    assert header.cell(1, 1).text == "Ba Đình, ngày 16 tháng 10 năm 2026"
    texts = _texts(report)
    title = texts.index("BÁO CÁO")
    assert texts[title + 1] == (
        "Tổng hợp ý kiến góp ý của Nhân dân vào dự thảo Báo cáo chính trị trình Đại hội "
        "đại biểu MTTQ Việt Nam phường Ba Đình"
    )
    headings = ["I. TÌNH HÌNH TỔ CHỨC LẤY Ý KIẾN", "II. KẾT QUẢ TỔNG HỢP Ý KIẾN"]
    headings.append("III. ĐÁNH GIÁ CHUNG")
    positions = [texts.index(h) for h in headings]
    assert positions == sorted(positions) and positions[0] > title
    closing = report.tables[-1]
    assert closing.cell(0, 0).paragraphs[0].text == "Nơi nhận:"
    assert [p.text for p in closing.cell(0, 1).paragraphs][:2] == [
        "TM. BAN THƯỜNG TRỰC",
        "CHỦ TỊCH",
    ]


def test_docx_signer(tmp_path: Path) -> None:
    document = _open_docx(sample_summary(), tmp_path, signer="Lê Thị Hồng")
    assert document.tables[-1].cell(0, 1).paragraphs[-1].text == "Lê Thị Hồng"


def test_docx_organisation_window_audience_and_figures(report: Document) -> None:
    part = _between(
        _texts(report), "I. TÌNH HÌNH TỔ CHỨC LẤY Ý KIẾN", "II. KẾT QUẢ TỔNG HỢP Ý KIẾN"
    )
    assert part[0].endswith("từ 08 giờ 00 ngày 01/10/2026 đến 17 giờ 00 ngày 15/10/2026.")
    assert ISSUER in part[0]
    assert part[1] == (
        "Đối tượng lấy ý kiến: Phụ nữ, Người cao tuổi; phạm vi: Phường Ba Đình, Phường Ngọc Hà."
    )
    assert part[2] == (
        "Kết quả: 13 người tham gia, cho 20 ý kiến biểu quyết đối với các phần của dự thảo "
        "(Tán thành: 12; Không tán thành: 3; Tán thành một phần: 5), trong đó 10 ý kiến có "
        "nội dung góp ý cụ thể."
    )
    assert part[3].startswith("Có 2 ý kiến có nội dung nhạy cảm")
    assert "không trích dẫn" in part[3]
    groups = part[part.index("Phân theo nhóm đối tượng:") + 1 : part.index("Phân theo đơn vị:")]
    assert groups == [
        "- Phụ nữ: 9 ý kiến (Tán thành 6, Tán thành một phần 3).",
        "- Người cao tuổi: 7 ý kiến (Tán thành 4, Không tán thành 2, Tán thành một phần 1).",
        "- Không xác định: 4 ý kiến (Tán thành 2, Không tán thành 1, Tán thành một phần 1).",
    ]
    units = part[part.index("Phân theo đơn vị:") + 1 :]
    assert units == [
        "- Phường Ba Đình: 13 ý kiến (Tán thành 8, Không tán thành 2, Tán thành một phần 3).",
        "- Phường Ngọc Hà: 4 ý kiến (Tán thành 2, Không tán thành 1, Tán thành một phần 1).",
        "- Không xác định: 3 ý kiến (Tán thành 2, Tán thành một phần 1).",
    ]


def test_docx_everyone_is_the_audience_when_none_is_set(tmp_path: Path) -> None:
    summary = sample_summary()
    consultation = replace(summary.consultation, audience_groups=(), audience_units=())
    texts = _texts(_open_docx(replace(summary, consultation=consultation), tmp_path))
    assert "Đối tượng lấy ý kiến: toàn thể Nhân dân; phạm vi: toàn địa bàn." in texts


def test_docx_table_has_every_section_and_the_totals(report: Document) -> None:
    rows = [[cell.text for cell in row.cells] for row in report.tables[1].rows]
    assert rows == [
        ["TT", "Phần của dự thảo", *STANCES.values(), "Tổng số", "Ý kiến cụ thể"],
        ["1", "Toàn văn dự thảo", "5 (62,5%)", "1 (12,5%)", "2 (25,0%)", "8", "4"],
        [
            "2",
            "Phần thứ nhất. Đánh giá kết quả nhiệm kỳ",
            "7 (58,3%)",
            "2 (16,7%)",
            "3 (25,0%)",
            "12",
            "6",
        ],
        ["3", "Phần thứ hai. Phương hướng, nhiệm vụ", "0", "0", "0", "0", "0"],
        ["", "Tổng cộng", "12 (60,0%)", "3 (15,0%)", "5 (25,0%)", "20", "10"],
    ]


def test_docx_each_commented_section_with_counts_themes_and_breakdowns(report: Document) -> None:
    texts = _texts(report)
    part = _between(texts, "2. Ý kiến cụ thể theo từng phần của dự thảo", "III. ĐÁNH GIÁ CHUNG")
    whole = part[
        part.index("Toàn văn dự thảo") + 1 : part.index("Phần thứ nhất. Đánh giá kết quả nhiệm kỳ")
    ]
    assert whole == [
        "Có 8 ý kiến: Tán thành: 5 (62,5%); Không tán thành: 1 (12,5%); "
        "Tán thành một phần: 2 (25,0%); trong đó 4 ý kiến có nội dung góp ý cụ thể.",
        "Các ý kiến chính:",
        f"- 3 ý kiến (Tán thành 2, Tán thành một phần 1): “{QUOTE_WHOLE}”",
        "Phân theo nhóm đối tượng:",
        "- Phụ nữ: 4 ý kiến (Tán thành 3, Tán thành một phần 1).",
        "- Không xác định: 4 ý kiến (Tán thành 2, Không tán thành 1, Tán thành một phần 1).",
        "Phân theo đơn vị:",
        "- Phường Ba Đình: 5 ý kiến (Tán thành 3, Không tán thành 1, Tán thành một phần 1).",
        "- Không xác định: 3 ý kiến (Tán thành 2, Tán thành một phần 1).",
    ]
    first = part[part.index("Phần thứ nhất. Đánh giá kết quả nhiệm kỳ") + 1 :]
    assert first[:4] == [
        "Có 12 ý kiến: Tán thành: 7 (58,3%); Không tán thành: 2 (16,7%); "
        "Tán thành một phần: 3 (25,0%); trong đó 6 ý kiến có nội dung góp ý cụ thể.",
        "Các ý kiến chính:",
        f"- 4 ý kiến (Không tán thành 2, Tán thành một phần 2): “{QUOTE_FIRST}”",
        "- 2 ý kiến (Tán thành 2): được tính vào số liệu, không trích dẫn nội dung.",
    ]
    assert (
        "- Người cao tuổi: 7 ý kiến (Tán thành 4, Không tán thành 2, Tán thành một phần 1)."
        in first
    )
    assert (
        "- Phường Ngọc Hà: 4 ý kiến (Tán thành 2, Không tán thành 1, Tán thành một phần 1)."
        in first
    )
    # The silent section has no heading of its own, only the closing list.
    assert "Phần thứ hai. Phương hướng, nhiệm vụ" not in part
    assert part[-1] == "Các phần chưa có ý kiến: Phần thứ hai. Phương hướng, nhiệm vụ."


def test_docx_assessment_names_the_most_agreed_and_disagreed_sections(report: Document) -> None:
    part = _texts(report)[_texts(report).index("III. ĐÁNH GIÁ CHUNG") + 1 :]
    assert part[:3] == [
        "Tính chung các phần của dự thảo, tỷ lệ ý kiến: Tán thành 60,0%; "
        "Không tán thành 15,0%; Tán thành một phần 25,0%.",
        "Phần có tỷ lệ tán thành cao nhất: Toàn văn dự thảo (62,5% trong 8 ý kiến).",
        "Phần có tỷ lệ không tán thành cao nhất: Phần thứ nhất. Đánh giá kết quả nhiệm kỳ "
        "(16,7% trong 12 ý kiến).",
    ]


def test_docx_nothing_but_counts_of_restricted_comments(report: Document) -> None:
    everything = _all_text(report)
    assert QUOTE_WHOLE in everything and QUOTE_FIRST in everything
    for forbidden in (SECRET, "Nguyễn Văn Bình"):
        assert forbidden not in everything


def test_docx_empty_consultation(tmp_path: Path) -> None:
    summary = sample_summary()
    silent = [
        replace(s, stances=_stances(0, 0, 0), with_text=0, themes=[], by_group={}, by_unit={})
        for s in summary.sections
    ]
    empty = replace(
        summary,
        sections=silent,
        participants=0,
        comments=0,
        with_text=0,
        stances=_stances(0, 0, 0),
        by_group={},
        by_unit={},
        restricted=0,
    )
    texts = _texts(_open_docx(empty, tmp_path))
    assert "Trong thời gian lấy ý kiến, chưa có ý kiến góp ý nào của Nhân dân." in texts
    assert "Chưa có ý kiến góp ý của Nhân dân để đánh giá." in texts
    assert (
        "Các phần chưa có ý kiến: Toàn văn dự thảo; Phần thứ nhất. Đánh giá kết quả nhiệm kỳ; "
        "Phần thứ hai. Phương hướng, nhiệm vụ." in texts
    )
    assert not any(t.startswith("Có ") and "nhạy cảm" in t for t in texts)


def test_docx_fonts_are_times_new_roman_for_every_script(report: Document) -> None:
    runs = [run for p in report.paragraphs for run in p.runs if run.text]
    runs += [
        run
        for table in report.tables
        for row in table.rows
        for cell in row.cells
        for p in cell.paragraphs
        for run in p.runs
        if run.text
    ]
    assert len(runs) > 40
    for run in runs:
        fonts = run._element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == "Times New Roman", run.text
        assert run.font.name == "Times New Roman"
    section = report.sections[0]
    assert section.page_width is not None and round(section.page_width.mm) == 210
    assert section.left_margin is not None and round(section.left_margin.mm) == 30


def test_docx_many_sections_and_themes(tmp_path: Path) -> None:
    summary = sample_summary()
    template = summary.sections[1]
    sections = [
        replace(
            template,
            section=replace(template.section, position=n, label=f"Điều {n}", title=f"Nội dung {n}"),
            stances=_stances(n, n % 3, 1),
            themes=[
                Theme(1000 * n + k, 6 - k, {"tan_thanh": 6 - k}, f"Ý kiến {n}-{k}")
                for k in range(5)
            ],
        )
        for n in range(1, 51)
    ]
    texts = _texts(_open_docx(replace(summary, sections=sections), tmp_path))
    rows = docx.Document(str(tmp_path / "bao-cao.docx")).tables[1].rows
    assert len(rows) == 1 + 50 + 1
    for n in range(1, 51):
        assert f"Điều {n}. Nội dung {n}" in texts
        assert [cell.text for cell in rows[n].cells][1:2] == [f"Điều {n}. Nội dung {n}"]
        for k in range(5):
            assert f"- {6 - k} ý kiến (Tán thành {6 - k}): “Ý kiến {n}-{k}”" in texts


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Dự thảo Văn kiện Đại hội", "dự thảo Văn kiện Đại hội"),
        ("dự thảo  Luật Đất đai (sửa đổi)", "dự thảo Luật Đất đai (sửa đổi)"),
        ("DỰ THẢO VĂN KIỆN", "dự thảo VĂN KIỆN"),
        (unicodedata.normalize("NFD", "Dự thảo Nghị quyết"), "dự thảo Nghị quyết"),
        ("Báo cáo chính trị", "dự thảo Báo cáo chính trị"),
        ("Dự thảoluật", "dự thảo Dự thảoluật"),
    ],
)
def test_draft_phrase(title: str, expected: str) -> None:
    assert draft_phrase(title) == expected


# --- Excel --------------------------------------------------------------------------------------

T0 = datetime(2026, 10, 2, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội


def sample_rows() -> list[CommentRow]:
    """Comments in the order storage streams them: every kind of cell the sheet must keep."""

    def row(n: int, **fields: object) -> CommentRow:
        values: dict[str, object] = {
            "id": 500 + n,
            "section_position": 1,
            "section_label": "Phần thứ nhất",
            "stance": "tan_thanh",
            "text": None,
            "target_group": "phu_nu",
            "unit_code": "00004",
            "cluster_id": None,
            "flags": (),
            "channel": "telegram",
            "created_at": T0 + timedelta(minutes=n),
            "updated_at": T0 + timedelta(minutes=n, seconds=30),
        }
        values.update(fields)
        return CommentRow(**values)  # type: ignore[arg-type]

    return [
        row(
            0, section_position=0, section_label="Toàn văn dự thảo", text=QUOTE_WHOLE, cluster_id=11
        ),
        row(1, stance="khong_tan_thanh", text=QUOTE_FIRST, cluster_id=21, flags=("pii",)),
        row(2, stance="tan_thanh_mot_phan", target_group=None, unit_code=None, channel="zalo_oa"),
        row(3, text=SECRET, restricted=True, flags=("to_cao",)),
        row(4, text=FORMULA),
        row(5, stance="khong_tan_thanh", unit_code="00007", target_group="nguoi_cao_tuoi"),
        row(6, section_position=2, section_label="Phần thứ hai", text="Đồng ý."),
        row(7, text=None, restricted=True, flags=("de_doa", "xuc_pham")),
    ]


def _rows(sheet: Worksheet) -> list[list[object]]:
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def _block(rows: list[list[object]], first: str) -> list[list[object]]:
    """The rows under the header row starting with `first`, until the next blank row."""
    start = next(i for i, r in enumerate(rows) if r[0] == first)
    block = []
    for r in rows[start + 1 :]:
        if all(v is None for v in r):
            break
        block.append(r)
    return block


def _write(tmp_path: Path, rows: object = None, summary: ConsultationSummary | None = None) -> Path:
    path = tmp_path / "tong-hop.xlsx"
    comments = sample_rows() if rows is None else rows
    write_consultation_xlsx(summary or sample_summary(), comments, path)  # type: ignore[arg-type]
    return path


def test_xlsx_summary_counts_equal_the_summary(tmp_path: Path) -> None:
    summary = sample_summary()
    rows = _rows(load_workbook(_write(tmp_path))["Tổng hợp"])
    head = {r[0]: r[1] for r in rows[:5]}
    assert head == {
        "Dự thảo": TITLE,
        "Cơ quan lấy ý kiến": ISSUER,
        "Bắt đầu lấy ý kiến": datetime(2026, 10, 1, 8, 0),
        "Kết thúc lấy ý kiến": datetime(2026, 10, 15, 17, 0),
        "Thời điểm lập": datetime(2026, 10, 16, 9, 0),
    }
    sections = _block(rows, "TT")
    *body, total = sections
    assert [r[1] for r in body] == [s.section.label for s in summary.sections]
    assert [r[2] or "" for r in body] == [s.section.title for s in summary.sections]
    codes = list(STANCES)
    for r, section in zip(body, summary.sections, strict=True):
        assert r[3:6] == [section.stances[code] for code in codes]
        assert r[6] == sum(section.stances.values())
        assert r[7] == section.with_text
    assert total[1] == "Tổng cộng"
    assert total[3:7] == [*(summary.stances[c] for c in codes), summary.comments]
    assert total[7] == summary.with_text
    for column in range(3, 8):  # the sections add up to the totals
        assert sum(r[column] for r in body) == total[column]  # type: ignore[misc]
    assert body[0][8:11] == pytest.approx([5 / 8, 1 / 8, 2 / 8])
    assert body[2][8:11] == [None, None, None]  # no share of nothing
    figures = {r[0]: r[1] for r in _block(rows, "Chỉ tiêu")}
    assert figures == {
        "Số người tham gia": 13,
        "Số ý kiến biểu quyết": 20,
        "Số ý kiến có nội dung góp ý": 10,
        "Ý kiến nhạy cảm (chỉ đếm, không trích dẫn)": 2,
    }
    assert _block(rows, "Nhóm đối tượng") == [
        ["Phụ nữ", 6, 0, 3, 9, None, None, None, None, None, None],
        ["Người cao tuổi", 4, 2, 1, 7, None, None, None, None, None, None],
        ["Không xác định", 2, 1, 1, 4, None, None, None, None, None, None],
    ]
    units = [r[:5] for r in _block(rows, "Đơn vị")]
    assert units == [
        ["Phường Ba Đình", 8, 2, 3, 13],
        ["Phường Ngọc Hà", 2, 1, 1, 4],
        ["Không xác định", 2, 0, 1, 3],
    ]


def test_xlsx_every_comment_once_in_order(tmp_path: Path) -> None:
    comments = sample_rows()
    path = tmp_path / "y-kien.xlsx"
    written = write_consultation_xlsx(sample_summary(), iter(comments), path)
    assert written == len(comments)
    book = load_workbook(path)
    assert book.sheetnames == ["Tổng hợp", "Ý kiến"]
    sheet = book["Ý kiến"]
    header, *rows = _rows(sheet)
    assert header == [
        "STT",
        "Mã ý kiến",
        "Phần",
        "Ý kiến",
        "Nội dung (đã che thông tin cá nhân)",
        "Đối tượng",
        "Đơn vị",
        "Nhóm ý kiến",
        "Cờ",
        "Kênh",
        "Thời gian gửi",
        "Cập nhật",
    ]
    assert [r[0] for r in rows] == list(range(1, len(comments) + 1))
    assert [r[1] for r in rows] == [c.id for c in comments]
    assert [r[2] for r in rows] == [c.section_label for c in comments]
    assert [r[3] for r in rows] == [STANCES[c.stance] for c in comments]
    assert rows[0][4:] == [
        QUOTE_WHOLE,
        "Phụ nữ",
        "Phường Ba Đình",
        11,
        None,
        "Telegram",
        datetime(2026, 10, 2, 10, 0),
        datetime(2026, 10, 2, 10, 0, 30),
    ]
    assert rows[1][4] == QUOTE_FIRST and rows[1][8] == "Thông tin cá nhân"
    assert rows[2][4] is None
    assert rows[2][5:7] == ["Không xác định", "Không xác định"]
    assert rows[2][9] == "Zalo OA"
    assert rows[5][5:7] == ["Người cao tuổi", "Phường Ngọc Hà"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:L{len(comments) + 1}"
    assert sheet["K2"].number_format == "dd/mm/yyyy hh:mm"


def test_xlsx_restricted_comments_show_a_placeholder_only(tmp_path: Path) -> None:
    book = load_workbook(_write(tmp_path))
    rows = _rows(book["Ý kiến"])[1:]
    placeholder = "(Nội dung nhạy cảm: chỉ đếm, không hiển thị)"
    assert rows[3][4] == placeholder and rows[3][8] == "Tố cáo"
    assert rows[7][4] == placeholder and rows[7][8] == "Đe dọa, Lời lẽ xúc phạm"
    everything = [v for sheet in book for r in sheet.iter_rows(values_only=True) for v in r]
    assert not any(isinstance(v, str) and "Nguyễn Văn Bình" in v for v in everything)


def test_xlsx_a_comment_starting_with_equals_stays_text(tmp_path: Path) -> None:
    sheet = load_workbook(_write(tmp_path))["Ý kiến"]
    cell = sheet["E6"]  # the fifth comment
    assert cell.value == FORMULA
    assert cell.data_type == "s"


def test_xlsx_imported_labels_and_unit_names_cannot_become_formulas(tmp_path: Path) -> None:
    summary = sample_summary()
    summary = replace(summary, unit_names={**summary.unit_names, "00009": "=1+2"})
    comment = replace(
        sample_rows()[0], section_label="=SUM(A1:A9)", unit_code="00009", text="Chuông\x07 reo"
    )
    sheet = load_workbook(_write(tmp_path, [comment], summary))["Ý kiến"]
    assert (sheet["C2"].value, sheet["C2"].data_type) == ("=SUM(A1:A9)", "s")
    assert (sheet["G2"].value, sheet["G2"].data_type) == ("=1+2", "s")
    assert sheet["E2"].value == "Chuông reo"  # a character XML forbids is dropped


def test_xlsx_rolls_over_to_new_sheets_when_one_is_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consultation_xlsx, "MAX_SHEET_ROWS", 4)  # a header and 3 comments
    comments = sample_rows()
    path = tmp_path / "many.xlsx"
    assert write_consultation_xlsx(sample_summary(), (c for c in comments), path) == 8
    book = load_workbook(path)
    assert book.sheetnames == ["Tổng hợp", "Ý kiến", "Ý kiến (2)", "Ý kiến (3)"]
    seen: list[object] = []
    for name, size in (("Ý kiến", 3), ("Ý kiến (2)", 3), ("Ý kiến (3)", 2)):
        header, *rows = _rows(book[name])
        assert header[:2] == ["STT", "Mã ý kiến"]
        assert len(rows) == size
        assert book[name].auto_filter.ref == f"A1:L{size + 1}"
        seen += [r[:2] for r in rows]
    assert seen == [[n, c.id] for n, c in enumerate(comments, 1)]


def test_xlsx_a_full_last_sheet_opens_no_empty_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consultation_xlsx, "MAX_SHEET_ROWS", 5)
    path = tmp_path / "exact.xlsx"
    assert write_consultation_xlsx(sample_summary(), sample_rows(), path) == 8
    book = load_workbook(path)
    assert book.sheetnames == ["Tổng hợp", "Ý kiến", "Ý kiến (2)"]
    assert [len(_rows(book[n])) for n in book.sheetnames[1:]] == [5, 5]


def test_xlsx_without_comments_keeps_the_header(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    rows: Iterator[CommentRow] = iter(())
    assert write_consultation_xlsx(sample_summary(), rows, path) == 0
    sheet = load_workbook(path)["Ý kiến"]
    assert len(_rows(sheet)) == 1

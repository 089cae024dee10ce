"""Reading drafts from real .docx, .pdf and .txt files into sections, and refusing bad files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import matplotlib
import pytest
from docx.enum.style import WD_STYLE_TYPE
from fpdf import FPDF

from bot.draft_import import SAMPLE_DRAFT, read_draft, read_draft_bytes
from config import consultations as texts
from handlers.sections import DraftError, SplitDraft

FONT = Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans.ttf"
LONG_BODY = (
    "Kinh tế của phường duy trì tốc độ tăng trưởng khá, cơ cấu chuyển dịch theo hướng thương "
    "mại, dịch vụ. Tổng thu ngân sách trên địa bàn năm 2025 ước đạt 186 tỷ đồng, vượt 12% so "
    "với chỉ tiêu nghị quyết. "
) * 8


def _rows(draft: SplitDraft) -> list[tuple[int, str, str, int]]:
    return [(s.position, s.label, s.title, s.level) for s in draft.sections]


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_a_docx_with_heading_styles(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("DỰ THẢO QUY CHẾ LẤY Ý KIẾN NHÂN DÂN", level=0)  # the "Title" style
    document.add_paragraph("Căn cứ Luật Mặt trận Tổ quốc Việt Nam;")
    document.add_heading("Chương I", level=1)
    document.add_heading("NHỮNG QUY ĐỊNH CHUNG", level=1)
    document.add_heading("Điều 1. Phạm vi điều chỉnh", level=2)
    document.add_paragraph("Quy chế này quy định việc lấy ý kiến Nhân dân.")
    document.add_paragraph("1. Ý kiến được gửi qua tin nhắn")  # a clause, not a heading
    document.add_heading("Điều 2. Đối tượng áp dụng", level=2)
    document.add_paragraph("Công dân cư trú trên địa bàn phường.")
    broken = document.add_paragraph()
    broken.add_run("CHƯƠNG II").bold = True
    broken.runs[0].add_break()
    broken.add_run("TỔ CHỨC THỰC HIỆN").bold = True
    document.add_paragraph("Ủy ban Mặt trận Tổ quốc phường tổ chức thực hiện.")
    document.add_heading("Phụ lục", level=1)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "STT", "Nội dung"
    table.cell(1, 0).text, table.cell(1, 1).text = "1", "Mẫu phiếu góp ý"
    path = tmp_path / "quy_che.DOCX"
    document.save(path)

    draft = read_draft(path)

    assert draft.preamble == (
        "DỰ THẢO QUY CHẾ LẤY Ý KIẾN NHÂN DÂN\nCăn cứ Luật Mặt trận Tổ quốc Việt Nam;"
    )
    assert _rows(draft) == [
        (1, "Chương I", "NHỮNG QUY ĐỊNH CHUNG", 2),
        (2, "Điều 1", "Phạm vi điều chỉnh", 4),
        (3, "Điều 2", "Đối tượng áp dụng", 4),
        (4, "CHƯƠNG II", "TỔ CHỨC THỰC HIỆN", 2),
        (5, "Phụ lục", "", 1),
    ]
    bodies = [s.body for s in draft.sections]
    assert bodies == [
        "",
        "Quy chế này quy định việc lấy ý kiến Nhân dân.\n1. Ý kiến được gửi qua tin nhắn",
        "Công dân cư trú trên địa bàn phường.",
        "Ủy ban Mặt trận Tổ quốc phường tổ chức thực hiện.",
        "STT | Nội dung\n1 | Mẫu phiếu góp ý",
    ]


def test_a_docx_with_bold_plain_paragraphs(tmp_path: Path) -> None:
    document = docx.Document()
    bold_style = document.styles.add_style("Đề mục", WD_STYLE_TYPE.PARAGRAPH)
    bold_style.base_style = document.styles["Normal"]
    bold_style.font.bold = True

    def bold(text: str) -> None:
        document.add_paragraph().add_run(text).bold = True

    bold("DỰ THẢO BÁO CÁO CHÍNH TRỊ")
    bold("PHẦN THỨ NHẤT")
    bold("Đánh giá kết quả nhiệm kỳ 2020–2025")
    bold("I. KẾT QUẢ ĐẠT ĐƯỢC")
    document.add_paragraph("Đảng bộ hoàn thành 14 trên 16 chỉ tiêu.")
    bold("1. Về kinh tế.")  # a full stop, but bold: a heading
    document.add_paragraph("1. Tăng trưởng bình quân 7%/năm.")  # not bold: a list item
    document.add_paragraph("2. Về đô thị.", style="Đề mục")  # bold through its style
    mixed = document.add_paragraph("2.1. Chỉnh trang ")
    mixed.add_run("hẻm").bold = True  # partly bold: not bold, yet a heading by its pattern
    mixed.runs[-1].add_break()  # a line break: what follows is the body
    mixed.add_run("Đã chỉnh trang 27 tuyến hẻm.")
    path = tmp_path / "bao_cao.docx"
    document.save(path)

    draft = read_draft(path)

    assert draft.preamble == "DỰ THẢO BÁO CÁO CHÍNH TRỊ"
    assert _rows(draft) == [
        (1, "PHẦN THỨ NHẤT", "Đánh giá kết quả nhiệm kỳ 2020–2025", 1),
        (2, "I", "KẾT QUẢ ĐẠT ĐƯỢC", 5),
        (3, "1", "Về kinh tế.", 6),
        (4, "2", "Về đô thị.", 6),
        (5, "2.1", "Chỉnh trang hẻm", 7),
    ]
    assert [s.body for s in draft.sections] == [
        "",
        "Đảng bộ hoàn thành 14 trên 16 chỉ tiêu.",
        "1. Tăng trưởng bình quân 7%/năm.",
        "",
        "Đã chỉnh trang 27 tuyến hẻm.",
    ]


class _NumberedPdf(FPDF):
    def footer(self) -> None:
        self.set_y(-15)
        self.cell(0, 10, f"- {self.page_no()} -", align="C")


def _pdf(paragraphs: list[str]) -> bytes:
    pdf = _NumberedPdf()
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_font("DejaVu", size=12)
    pdf.add_page()
    for paragraph in paragraphs:
        pdf.multi_cell(0, 8, paragraph, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def test_a_pdf_text_layer_with_wrapped_lines_and_page_numbers(tmp_path: Path) -> None:
    path = tmp_path / "du_thao.pdf"
    path.write_bytes(
        _pdf(
            [
                "DỰ THẢO BÁO CÁO CHÍNH TRỊ",
                "PHẦN THỨ NHẤT",
                "ĐÁNH GIÁ KẾT QUẢ",
                "1. Về kinh tế",
                LONG_BODY.strip(),  # wraps over many lines and onto the second page
                "2. Về văn hóa, xã hội",
                "Phong trào toàn dân đoàn kết được duy trì.",
                "Điều 3. Trách nhiệm của Ủy ban",
                "1. Tổ chức lấy ý kiến Nhân dân",
            ]
        )
    )

    draft = read_draft(path)

    assert draft.preamble == "DỰ THẢO BÁO CÁO CHÍNH TRỊ"
    assert _rows(draft) == [
        (1, "PHẦN THỨ NHẤT", "ĐÁNH GIÁ KẾT QUẢ", 1),
        (2, "1", "Về kinh tế", 6),
        (3, "2", "Về văn hóa, xã hội", 6),
        (4, "Điều 3", "Trách nhiệm của Ủy ban", 4),
    ]
    assert _flat(draft.sections[1].body) == _flat(LONG_BODY)  # page number "- 1 -" dropped
    assert draft.sections[2].body == "Phong trào toàn dân đoàn kết được duy trì."
    assert draft.sections[3].body == "1. Tổ chức lấy ý kiến Nhân dân"


def test_a_txt_in_utf8_with_a_byte_order_mark() -> None:
    data = "Điều 1. Phạm vi\r\nNội dung điều một.\r\nĐiều 2:\r\nNội dung điều hai.\r\n"
    draft = read_draft_bytes(data.encode("utf-8-sig"), "du_thao.TXT")
    assert _rows(draft) == [(1, "Điều 1", "Phạm vi", 4), (2, "Điều 2", "", 4)]
    assert [s.body for s in draft.sections] == ["Nội dung điều một.", "Nội dung điều hai."]


def test_the_shipped_sample_draft() -> None:
    draft = read_draft(SAMPLE_DRAFT)
    assert draft.preamble.startswith("ĐẢNG BỘ PHƯỜNG MINH AN\nDỰ THẢO BÁO CÁO CHÍNH TRỊ")
    assert "NHIỆM KỲ 2025–2030" in draft.preamble
    labels = [s.label for s in draft.sections]
    assert labels == [
        "PHẦN THỨ NHẤT", "I", "1", "2", "3", "4", "5", "6", "II",
        "PHẦN THỨ HAI", "I", "II", "III", "1", "2", "3",
    ]  # fmt: skip
    assert [s.position for s in draft.sections] == list(range(1, 17))
    by_title = {s.title: s for s in draft.sections}
    assert by_title["Về phát triển kinh tế"].body.startswith("Kinh tế của phường")
    assert "phân loại rác tại nguồn" in by_title["Về quản lý đô thị, tài nguyên và môi trường"].body
    targets = by_title["CÁC CHỈ TIÊU CHỦ YẾU"].body.splitlines()
    assert len(targets) == 5 and targets[1].startswith("1. Tổng thu ngân sách")  # list: body
    assert all(
        s.body for s in draft.sections if s.level > 1 and s.title != "NHIỆM VỤ, GIẢI PHÁP CHỦ YẾU"
    )


def _zip_not_docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "xin chào")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("hong.docx", b"PK\x03\x04 not really a zip", texts.DRAFT_UNREADABLE),
        ("zip.docx", _zip_not_docx(), texts.DRAFT_UNREADABLE),
        (
            "hong.pdf",
            b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ntrailer\n%%EOF",
            texts.DRAFT_UNREADABLE,
        ),
        ("cu.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", texts.DRAFT_UNSUPPORTED_TYPE),
        ("khong_duoi", b"Dieu 1.", texts.DRAFT_UNSUPPORTED_TYPE),
        ("cp1258.txt", "Đá, cát và vôi".encode("cp1258"), texts.DRAFT_NOT_UTF8),
    ],
)
def test_a_bad_file_is_a_clear_error(name: str, data: bytes, message: str) -> None:
    kind = Path(name).suffix.lstrip(".").upper()
    with pytest.raises(DraftError) as error:
        read_draft_bytes(data, name)
    assert str(error.value) == message.format(name=name, kind=kind)


def _locked_pdf(**passwords: str) -> bytes:
    pdf = FPDF()
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_font("DejaVu", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, "Điều 1. Bí mật")
    pdf.set_encryption(**passwords)
    return bytes(pdf.output())


def test_a_pdf_locked_for_editing_is_read_and_one_locked_for_reading_refused() -> None:
    draft = read_draft_bytes(_locked_pdf(owner_password="chu"), "han_che.pdf")
    assert _rows(draft) == [(1, "Điều 1", "Bí mật", 4)]
    with pytest.raises(DraftError) as error:
        read_draft_bytes(_locked_pdf(owner_password="chu", user_password="mk"), "mat_khau.pdf")
    assert str(error.value) == texts.DRAFT_UNREADABLE.format(name="mat_khau.pdf", kind="PDF")


def test_a_pdf_without_text_layer_is_refused() -> None:

    scanned = FPDF()
    scanned.add_page()
    scanned.rect(10, 10, 100, 50)  # drawing only, like a scan: no text layer
    with pytest.raises(DraftError) as error:
        read_draft_bytes(bytes(scanned.output()), "ban_quet.pdf")
    assert str(error.value) == texts.DRAFT_EMPTY


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "lon.docx"
    with path.open("wb") as file:
        file.truncate(texts.DRAFT_MAX_BYTES + 1)  # sparse: no 20 MB written
    with pytest.raises(DraftError) as error:
        read_draft(path)
    assert str(error.value) == texts.DRAFT_TOO_LARGE.format(
        name="lon.docx", size="20,0", limit=texts.DRAFT_MAX_BYTES // (1024 * 1024)
    )
    with pytest.raises(DraftError):
        read_draft_bytes(b"x" * (texts.DRAFT_MAX_BYTES + 1), "lon.txt")
    assert read_draft_bytes(b"Dieu 1.", "nho.txt").sections[0].label == "Dieu 1"


def test_a_docx_that_unpacks_too_large_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b" " * (texts.DRAFT_MAX_UNPACKED_BYTES + 1))
    data = buffer.getvalue()
    assert len(data) < texts.DRAFT_MAX_BYTES
    with pytest.raises(DraftError) as error:
        read_draft_bytes(data, "bom.docx")
    megabytes = (texts.DRAFT_MAX_UNPACKED_BYTES + 1) / (1024 * 1024)
    assert str(error.value) == texts.DRAFT_TOO_LARGE.format(
        name="bom.docx",
        size=f"{megabytes:.1f}".replace(".", ","),
        limit=texts.DRAFT_MAX_BYTES // (1024 * 1024),
    )


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DraftError) as error:
        read_draft(tmp_path / "khong_co.pdf")
    assert str(error.value) == texts.DRAFT_UNREADABLE.format(name="khong_co.pdf", kind="PDF")

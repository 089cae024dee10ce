"""Splitting drafts into sections by their headings, and cutting section text for chat."""

from __future__ import annotations

import re
import unicodedata

import pytest

from config import consultations as texts
from handlers.sections import (
    HEADING_MAX_CHARS,
    DraftError,
    Paragraph,
    join_wrapped_lines,
    pages,
    split_sections,
    split_text,
    summary,
)

BODY = "Nội dung của phần này."


@pytest.mark.parametrize(
    ("line", "label", "title", "level"),
    [
        ("PHẦN THỨ NHẤT. ĐÁNH GIÁ KẾT QUẢ", "PHẦN THỨ NHẤT", "ĐÁNH GIÁ KẾT QUẢ", 1),
        ("Phần thứ hai: Phương hướng", "Phần thứ hai", "Phương hướng", 1),
        ("PHẦN THỨ MƯỜI HAI", "PHẦN THỨ MƯỜI HAI", "", 1),
        ("Phần I", "Phần I", "", 1),
        ("Phần 1 - Tình hình chung", "Phần 1", "Tình hình chung", 1),
        ("PHAN THU HAI", "PHAN THU HAI", "", 1),
        ("phan thu tu. muc tieu", "phan thu tu", "muc tieu", 1),
        ("CHƯƠNG I. NHỮNG QUY ĐỊNH CHUNG", "CHƯƠNG I", "NHỮNG QUY ĐỊNH CHUNG", 2),
        ("Chương 2 Tổ chức thực hiện", "Chương 2", "Tổ chức thực hiện", 2),
        ("CHUONG IV", "CHUONG IV", "", 2),
        ("Mục 1. Quy định chung", "Mục 1", "Quy định chung", 3),
        ("Muc 2: Trach nhiem", "Muc 2", "Trach nhiem", 3),
        ("Điều 5. Quyền của công dân", "Điều 5", "Quyền của công dân", 4),
        ("Điều 5: Quyền của công dân", "Điều 5", "Quyền của công dân", 4),
        ("Điều 12a. Điều khoản bổ sung", "Điều 12a", "Điều khoản bổ sung", 4),
        ("ĐIỀU 10.", "ĐIỀU 10", "", 4),
        ("DIEU 3", "DIEU 3", "", 4),
        ("dieu 3 Pham vi", "dieu 3", "Pham vi", 4),
        ("I. KẾT QUẢ ĐẠT ĐƯỢC", "I", "KẾT QUẢ ĐẠT ĐƯỢC", 5),
        ("XIV - Tổ chức thực hiện", "XIV", "Tổ chức thực hiện", 5),
        ("1. Về phát triển kinh tế", "1", "Về phát triển kinh tế", 6),
        ("1.2. Thương mại, dịch vụ", "1.2", "Thương mại, dịch vụ", 7),
        ("1.2 Thương mại, dịch vụ", "1.2", "Thương mại, dịch vụ", 7),
        ("2.3.1 Chợ truyền thống", "2.3.1", "Chợ truyền thống", 8),
        ("3. 100% hộ dân có nước sạch", "3", "100% hộ dân có nước sạch", 6),
    ],
)
def test_each_heading_form_gives_its_label_title_and_level(
    line: str, label: str, title: str, level: int
) -> None:
    draft = split_text(f"{line}\n{BODY}")
    assert [(s.label, s.title, s.level, s.body) for s in draft.sections] == [
        (label, title, level, BODY)
    ]
    assert draft.preamble == ""


@pytest.mark.parametrize(
    "line",
    [
        "1. Tăng trưởng kinh tế bình quân đạt 7%/năm.",  # a numbered sentence in a list
        "2. Thu ngân sách vượt dự toán hằng năm;",
        "3. Tỷ lệ hộ nghèo giảm còn dưới 1%,",
        "1. tiếp tục đẩy mạnh cải cách hành chính",
        "1. " + "Đẩy mạnh chuyển đổi số trong mọi lĩnh vực " * 5,  # over the heading length
        "a) Nội dung của điểm a",
        "1) Nội dung của mục một",
        "12 hộ dân được hỗ trợ sửa nhà",
        "1.500 người tham gia hiến máu",
        "1,5 triệu đồng mỗi tháng",
        "15.3 triệu đồng",
        "Điều 5 của Luật này quy định",
        "Chương trình hành động của Ban Chấp hành",
        "Mục tiêu đến năm 2030",
        "Mục lục",
        "Phần lớn người dân đồng tình",
        "Phần thứ ba của dự án",
        "C. Mác đã chỉ ra vai trò của quần chúng",
        "X-quang phổi được miễn phí",
        "- Giữ vững quốc phòng, an ninh",
    ],
)
def test_a_body_line_that_looks_like_a_heading_stays_body(line: str) -> None:
    draft = split_text(f"Phần I. Chung\n{line}")
    assert len(draft.sections) == 1
    assert draft.sections[0].body == " ".join(line.split())


def test_a_long_numbered_line_is_body_and_a_short_one_a_heading() -> None:
    short = "1. " + "Đ" * (HEADING_MAX_CHARS - 3)
    assert len(split_text(f"Phần I\n{short}").sections) == 2
    assert len(split_text(f"Phần I\n{short}Đ").sections) == 1


def test_numbered_paragraphs_under_an_article_are_its_clauses() -> None:
    draft = split_text(
        "Điều 5. Quyền của công dân\n"
        "1. Công dân có quyền góp ý dự thảo\n"
        "2. Nhà nước bảo đảm quyền đó\n"
        "I. Không phải đề mục\n"
        "Điều 6. Trách nhiệm\n"
        "Chương II\n"
        "1. Kinh tế\n"
        "Nội dung."
    )
    assert [(s.label, s.title) for s in draft.sections] == [
        ("Điều 5", "Quyền của công dân"),
        ("Điều 6", "Trách nhiệm"),
        ("Chương II", ""),
        ("1", "Kinh tế"),
    ]
    assert draft.sections[0].body.splitlines() == [
        "1. Công dân có quyền góp ý dự thảo",
        "2. Nhà nước bảo đảm quyền đó",
        "I. Không phải đề mục",
    ]


def test_a_label_alone_takes_the_next_line_in_capitals_as_title() -> None:
    draft = split_text(
        "PHẦN THỨ NHẤT\nĐÁNH GIÁ KẾT QUẢ NHIỆM KỲ 2020–2025\nI. KINH TẾ\nNội dung.\n"
        "Chương II\nNhững quy định chung\n"
        "Điều 7.\nMỤC ĐÍCH.\n"
    )
    assert [(s.label, s.title, s.body) for s in draft.sections] == [
        ("PHẦN THỨ NHẤT", "ĐÁNH GIÁ KẾT QUẢ NHIỆM KỲ 2020–2025", ""),
        ("I", "KINH TẾ", "Nội dung."),
        ("Chương II", "", "Những quy định chung"),  # not in capitals, not bold: body
        ("Điều 7", "", "MỤC ĐÍCH."),  # a full stop: a sentence, not a title
    ]


def test_a_bold_or_styled_line_is_the_title_of_a_label_alone() -> None:
    draft = split_sections(
        [
            Paragraph("Chương I", bold=True),
            Paragraph("Những quy định chung", bold=True),
            Paragraph("Điều 1.", heading_level=2),
            Paragraph("Phạm vi điều chỉnh", heading_level=2),
            Paragraph("Quy chế này quy định việc lấy ý kiến."),
        ]
    )
    assert [(s.label, s.title, s.level, s.body) for s in draft.sections] == [
        ("Chương I", "Những quy định chung", 2, ""),
        ("Điều 1", "Phạm vi điều chỉnh", 4, "Quy chế này quy định việc lấy ý kiến."),
    ]


def test_word_heading_styles_are_headings_whatever_their_text() -> None:
    draft = split_sections(
        [
            Paragraph("Lời nói đầu", heading_level=1),
            Paragraph("Văn bản này được soạn để lấy ý kiến."),
            Paragraph("1. Kết quả đạt được.", heading_level=2),  # a full stop, yet a heading
            Paragraph("Tổng quan", heading_level=3),
        ]
    )
    assert [(s.label, s.title, s.level) for s in draft.sections] == [
        ("Lời nói đầu", "", 1),
        ("1", "Kết quả đạt được.", 6),
        ("Tổng quan", "", 3),
    ]


def test_bold_lets_a_numbered_heading_end_with_a_full_stop() -> None:
    lines = ["Phần I", "1. Về kinh tế.", "Nội dung."]
    plain = split_sections([Paragraph(line) for line in lines])
    bold = split_sections(
        [Paragraph(lines[0]), Paragraph(lines[1], bold=True), Paragraph(lines[2])]
    )
    assert [s.label for s in plain.sections] == ["Phần I"]
    assert [(s.label, s.title, s.body) for s in bold.sections] == [
        ("Phần I", "", ""),
        ("1", "Về kinh tế.", "Nội dung."),
    ]


def test_preamble_positions_and_headings_without_body() -> None:
    draft = split_text(
        "ĐẢNG BỘ PHƯỜNG MINH AN\n\nDỰ THẢO BÁO CÁO CHÍNH TRỊ\n"
        "Phần I. Đánh giá\nI. Kết quả\nĐoạn một.\n\n  Đoạn   hai. \nII. Hạn chế\n"
    )
    assert draft.preamble == "ĐẢNG BỘ PHƯỜNG MINH AN\nDỰ THẢO BÁO CÁO CHÍNH TRỊ"
    assert [(s.position, s.label, s.body) for s in draft.sections] == [
        (1, "Phần I", ""),
        (2, "I", "Đoạn một.\nĐoạn hai."),
        (3, "II", ""),
    ]


def test_a_draft_without_heading_is_one_whole_text_section() -> None:
    draft = split_text("Dự thảo quy chế.\nĐoạn một.\n1) điểm một;\n")
    assert draft.preamble == ""
    assert [(s.position, s.label, s.title, s.body) for s in draft.sections] == [
        (1, texts.WHOLE_TEXT_LABEL, "", "Dự thảo quy chế.\nĐoạn một.\n1) điểm một;")
    ]


def test_decomposed_text_is_normalised_and_invisible_characters_dropped() -> None:
    nfd = unicodedata.normalize("NFD", "\ufeffĐiều 5. Quyền của công dân\nNội\u200b dung.")
    section = split_text(nfd).sections[0]
    assert (section.label, section.title, section.body) == (
        "Điều 5",
        "Quyền của công dân",
        "Nội dung.",
    )


@pytest.mark.parametrize("text", ["", "  \n\t\n", "\ufeff\u200b"])
def test_an_empty_draft_is_an_error(text: str) -> None:
    with pytest.raises(DraftError) as error:
        split_text(text)
    assert str(error.value) == texts.DRAFT_EMPTY


def test_the_section_limit() -> None:
    headings = "\n".join(f"Điều {n % 999 + 1}." for n in range(texts.DRAFT_MAX_SECTIONS))
    assert len(split_text(headings).sections) == texts.DRAFT_MAX_SECTIONS
    with pytest.raises(DraftError) as error:
        split_text(f"{headings}\nĐiều 1.")
    assert "2.000" in str(error.value)


def test_the_length_limit() -> None:
    line = "Nội dung dự thảo. " * 99 + "Kết thúc."  # 1,791 characters
    count = texts.DRAFT_MAX_CHARS // len(line)
    text = "\n".join([line] * count)
    assert split_text(text).sections[0].body.count("Kết thúc.") == count
    with pytest.raises(DraftError) as error:
        split_text(text + "\n" + "x" * (texts.DRAFT_MAX_CHARS - count * len(line) + 1))
    assert "1.000.000" in str(error.value)


def test_wrapped_pdf_lines_are_joined_into_paragraphs() -> None:
    lines = [
        "DỰ THẢO BÁO CÁO CHÍNH TRỊ CỦA BAN CHẤP HÀNH",
        "ĐẢNG BỘ PHƯỜNG MINH AN",
        "I. ĐÁNH GIÁ KẾT QUẢ THỰC HIỆN NGHỊ QUYẾT",
        "NHIỆM KỲ 2020–2025",
        "Kinh tế của phường duy trì tốc độ tăng trưởng",
        "khá, cơ cấu chuyển dịch đúng hướng.",
        "Đời sống Nhân dân được cải thiện.",
        "1. Về xây dựng đô thị văn minh, xanh, sạch, gắn với",
        "chỉnh trang các khu dân cư",
        "Các chỉ tiêu gồm:",
        "a) chỉ tiêu một;",
        "- chỉ tiêu hai, với nội dung",
        "dài.",
        "",
        "Đoạn sau dòng trống",
        "Điều 5 của Luật này",
    ]
    assert join_wrapped_lines(lines) == [
        "DỰ THẢO BÁO CÁO CHÍNH TRỊ CỦA BAN CHẤP HÀNH ĐẢNG BỘ PHƯỜNG MINH AN",
        "I. ĐÁNH GIÁ KẾT QUẢ THỰC HIỆN NGHỊ QUYẾT NHIỆM KỲ 2020–2025",
        "Kinh tế của phường duy trì tốc độ tăng trưởng khá, cơ cấu chuyển dịch đúng hướng.",
        "Đời sống Nhân dân được cải thiện.",
        "1. Về xây dựng đô thị văn minh, xanh, sạch, gắn với chỉnh trang các khu dân cư",
        "Các chỉ tiêu gồm:",
        "a) chỉ tiêu một;",
        "- chỉ tiêu hai, với nội dung dài.",
        "Đoạn sau dòng trống Điều 5 của Luật này",
    ]


def test_a_heading_is_not_continued_by_a_body_line() -> None:
    assert join_wrapped_lines(["1. Về kinh tế", "Kinh tế tăng trưởng khá."]) == [
        "1. Về kinh tế",
        "Kinh tế tăng trưởng khá.",
    ]


# --- summary ----------------------------------------------------------------------------------

SENTENCES = (
    "Kinh tế của phường duy trì tốc độ tăng trưởng khá. Tổng thu ngân sách vượt 12% so với "
    "chỉ tiêu. Số hộ kinh doanh tăng từ 2.140 lên 2.630 hộ!\nChợ được cải tạo."
)


def test_a_short_body_is_its_own_summary_on_one_line() -> None:
    assert summary("  Đoạn một.\n\nĐoạn   hai. ", 100) == "Đoạn một. Đoạn hai."


@pytest.mark.parametrize("limit", [60, 100, 130, 150])
def test_a_summary_is_whole_first_sentences(limit: int) -> None:
    flat = " ".join(SENTENCES.split())
    assert len(flat) > limit
    result = summary(SENTENCES, limit)
    assert len(result) <= limit
    assert flat.startswith(result)
    assert result.endswith((".", "!"))
    # The next whole sentence would not have fitted.
    next_stop = re.search(r"[.!](?=\s|$)", flat[len(result) :])
    assert next_stop is not None
    assert len(result) + next_stop.end() > limit


def test_a_long_first_sentence_is_cut_at_a_word_with_an_ellipsis() -> None:
    result = summary(SENTENCES, 40)
    assert result.endswith("…") and len(result) <= 40
    stem = result[:-1]
    assert SENTENCES.startswith(stem) and SENTENCES[len(stem)] == " "


def test_a_summary_of_text_without_spaces_is_cut_at_the_limit() -> None:
    result = summary("x" * 10_000, 120)
    assert result == "x" * 119 + "…"


# --- pages ------------------------------------------------------------------------------------


def _assert_pieces_of(text: str, pieces: list[str], limit: int) -> None:
    """Every piece fits and is non-empty, and the pieces are `text` in order, cut only at
    whitespace that was dropped."""
    assert all(0 < len(piece) <= limit for piece in pieces)
    position = 0
    for piece in pieces:
        found = text.find(piece, position)
        assert found >= 0
        assert not text[position:found].strip()
        position = found + len(piece)
    assert not text[position:].strip()
    assert re.sub(r"\s", "", "".join(pieces)) == re.sub(r"\s", "", text)


LONG_TEXTS = {
    "paragraphs": "\n".join([SENTENCES] * 40),
    "one paragraph": " ".join([SENTENCES.replace("\n", " ")] * 40),
    "no spaces": "x" * 10_000,
    "spaces only between words": " ".join(["nộidung"] * 2_000),
    "mixed": "Tiêu đề\n\n" + "y" * 5_000 + " kết thúc. " + "Câu ngắn. " * 300 + "\n   \n",
}


@pytest.mark.parametrize("name", LONG_TEXTS)
@pytest.mark.parametrize("limit", [1, 7, 50, 333, 4_096])
def test_pages_keep_every_character_and_fit_the_limit(name: str, limit: int) -> None:
    text = LONG_TEXTS[name]
    _assert_pieces_of(text, pages(text, limit), limit)


def test_pages_prefer_paragraphs_then_sentences_then_words() -> None:
    paragraph = "Câu thứ nhất khá dài. Câu thứ hai"
    assert pages(f"{paragraph}\n{paragraph}", 40) == [paragraph, paragraph]
    assert pages("Câu thứ nhất khá dài. Câu thứ hai không có dấu chấm", 40) == [
        "Câu thứ nhất khá dài.",
        "Câu thứ hai không có dấu chấm",
    ]
    assert pages("một hai ba bốn năm sáu bảy tám", 12) == ["một hai ba", "bốn năm sáu", "bảy tám"]


def test_pages_do_not_cut_a_tiny_first_piece_for_a_paragraph_break() -> None:
    text = "Mở đầu\n" + "Câu một dài vừa phải. " * 4
    first = pages(text, 60)[0]
    assert first.startswith("Mở đầu\nCâu một") and first.endswith(".")


def test_short_and_blank_text() -> None:
    assert pages("  Ngắn gọn. \n", 100) == ["Ngắn gọn."]
    assert pages(" \n\t", 100) == []
    with pytest.raises(ValueError):
        pages("x", 0)

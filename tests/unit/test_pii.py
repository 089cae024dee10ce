"""Tests of nlp.pii: detection and redaction of personal data in residents' messages."""

import itertools
import unicodedata

import pytest

from nlp.pii import PLACEHOLDERS, PiiSpan, find_pii, redact

# Recall caveat: every form below must be found (100% on this table), but the table is written
# by us, not sampled from real traffic. Real messages hold forms it lacks (spelled-out digits,
# phones split by odd separators such as "0912 / 345678", addresses without a street word
# such as "45A Lê Lợi", bank accounts with no bank or account word), so real-world recall
# is lower than 100%.
POSITIVES = [
    # --- phones: plain, grouped, separators ---
    ("0912345678", "phone", "0912345678"),
    ("Gọi cho tôi 0912 345 678 nhé", "phone", "0912 345 678"),
    ("số của em 0912.345.678", "phone", "0912.345.678"),
    ("091-234-5678 là số nhà tôi", "phone", "091-234-5678"),
    ("09 12 34 56 78", "phone", "09 12 34 56 78"),
    ("0388 123 456 (chị Lan)", "phone", "0388 123 456"),
    ("máy 0563.123.456 không liên lạc được", "phone", "0563.123.456"),
    ("Anh gọi 0701234567 giúp em", "phone", "0701234567"),
    ("0868-123-456", "phone", "0868-123-456"),
    ("0987 65 43 21", "phone", "0987 65 43 21"),
    ("Số 0934.56.78.90 của tổ trưởng", "phone", "0934.56.78.90"),
    ("con tôi 0333123456, vợ tôi", "phone", "0333123456"),
    ("(0912345678)", "phone", "0912345678"),
    ("tôi tên Hùng, 0975123456.", "phone", "0975123456"),
    # --- phones: international prefix ---
    ("+84 912 345 678", "phone", "+84 912 345 678"),
    ("+84912345678", "phone", "+84912345678"),
    ("(+84) 912345678", "phone", "(+84) 912345678"),
    ("84912345678", "phone", "84912345678"),
    ("+84 0912 345 678", "phone", "+84 0912 345 678"),
    ("+84-912-345-678", "phone", "+84-912-345-678"),
    ("(+84) 0912.345.678", "phone", "(+84) 0912.345.678"),
    ("gọi +84 24 3825 1234", "phone", "+84 24 3825 1234"),
    # --- phones: old 11-digit mobiles and landlines ---
    ("0168 123 4567", "phone", "0168 123 4567"),
    ("01681234567", "phone", "01681234567"),
    ("0122.345.6789", "phone", "0122.345.6789"),
    ("024 3825 1234", "phone", "024 3825 1234"),
    ("028.3829.1234", "phone", "028.3829.1234"),
    ("0236 3822 123", "phone", "0236 3822 123"),
    ("02438251234", "phone", "02438251234"),
    # --- phones: after a keyword, with or without diacritics ---
    ("sđt 0912 345 678", "phone", "0912 345 678"),
    ("SĐT: 0912345678", "phone", "0912345678"),
    ("sdt:0912345678", "phone", "0912345678"),
    ("đt 0912345678", "phone", "0912345678"),
    ("ĐT: 024.3825.1234", "phone", "024.3825.1234"),
    ("số điện thoại của tôi là 0912345678", "phone", "0912345678"),
    ("so dien thoai 0912 345 678", "phone", "0912 345 678"),
    ("zalo 0912345678", "phone", "0912345678"),
    ("Zalo: 912345678", "phone", "912345678"),
    ("lh 0912.345.678", "phone", "0912.345.678"),
    ("LH: 0912-345-678", "phone", "0912-345-678"),
    ("liên hệ 0912345678", "phone", "0912345678"),
    ("lien he 0912345678", "phone", "0912345678"),
    ("hotline 1900 1234 56", "phone", "1900 1234 56"),
    ("điện thoại 0912 345 678", "phone", "0912 345 678"),
    ("sđt con gái: +84 912 345 678", "phone", "+84 912 345 678"),
    # --- ID numbers ---
    ("CCCD 079203012345", "id_number", "079203012345"),
    ("CCCD: 0792 0301 2345", "id_number", "0792 0301 2345"),
    ("cccd số 001099012345", "id_number", "001099012345"),
    ("CMND 123456789", "id_number", "123456789"),
    ("cmnd: 025 123 456", "id_number", "025 123 456"),
    ("số CMND 212345678 cấp ngày 12/03/2010", "id_number", "212345678"),
    ("căn cước công dân số 038095001234", "id_number", "038095001234"),
    ("can cuoc 038095001234", "id_number", "038095001234"),
    ("thẻ căn cước: 038 095 001 234", "id_number", "038 095 001 234"),
    ("số định danh 079203012345", "id_number", "079203012345"),
    ("số định danh cá nhân: 001203012345", "id_number", "001203012345"),
    ("chứng minh nhân dân 271234567", "id_number", "271234567"),
    ("CMT 013456789", "id_number", "013456789"),
    ("mã định danh 079203012345", "id_number", "079203012345"),
    ("079203012345", "id_number", "079203012345"),
    ("tôi là Lan, 001303004567", "id_number", "001303004567"),
    ("0792 0301 2345", "id_number", "0792 0301 2345"),
    ("số 271234567 của tôi bị mất", "id_number", "271234567"),
    ("CCCD 0792-0301-2345", "id_number", "0792-0301-2345"),
    # --- e-mails ---
    ("email nguyen.van.a@gmail.com nhé", "email", "nguyen.van.a@gmail.com"),
    ("Email: Tran_Thi_B@yahoo.com.vn", "email", "Tran_Thi_B@yahoo.com.vn"),
    ("gửi về hoa.le+ykien@outlook.com.", "email", "hoa.le+ykien@outlook.com"),
    ("mail: cb.phuong@hanoi.gov.vn", "email", "cb.phuong@hanoi.gov.vn"),
    ("(abc123@gmail.com)", "email", "abc123@gmail.com"),
    ("liên hệ qua nguyenvan0912345678@gmail.com", "email", "nguyenvan0912345678@gmail.com"),
    ("EMAIL TOI: MINH.NGUYEN@FPT.VN", "email", "MINH.NGUYEN@FPT.VN"),
    # --- bank accounts ---
    ("STK 0071000123456 Vietcombank", "bank_account", "0071000123456"),
    ("stk: 1903 5555 1234 567", "bank_account", "1903 5555 1234 567"),
    ("số tài khoản 123456789012", "bank_account", "123456789012"),
    ("so tai khoan: 0123456789", "bank_account", "0123456789"),
    ("tk 19035555123456 techcombank", "bank_account", "19035555123456"),
    ("tài khoản Agribank số 3200 205 123456", "bank_account", "3200 205 123456"),
    ("tài khoản ngân hàng: 0451000123456", "bank_account", "0451000123456"),
    ("Vietcombank 0071000123456", "bank_account", "0071000123456"),
    ("VCB: 0071 0001 23456", "bank_account", "0071 0001 23456"),
    ("BIDV 21510000123456", "bank_account", "21510000123456"),
    ("chuyển vào 123456789 BIDV", "bank_account", "123456789"),
    ("MB 0912345678 chủ tài khoản Nguyễn Văn A", "bank_account", "0912345678"),
    ("ACB - 12345678", "bank_account", "12345678"),
    ("TPBank 0123-4567-8901", "bank_account", "0123-4567-8901"),
    ("Sacombank stk 060123456789", "bank_account", "060123456789"),
    ("VPBank số 123456789", "bank_account", "123456789"),
    ("101234567890 tại Vietinbank", "bank_account", "101234567890"),
    ("123 456 789 (ngân hàng Techcombank)", "bank_account", "123 456 789"),
    ("STK của tôi là 0071000123456", "bank_account", "0071000123456"),
    ("stk 0912345678", "bank_account", "0912345678"),
    ("số tk 888888", "bank_account", "888888"),
    # --- exact house addresses ---
    ("số 12 ngõ 34 phố Huế", "address", "số 12 ngõ 34 phố Huế"),
    ("Nhà tôi ở 45/7 đường Lê Lợi bị ngập", "address", "45/7 đường Lê Lợi"),
    ("nhà số 7 hẻm 12 Nguyễn Trãi", "address", "nhà số 7 hẻm 12 Nguyễn Trãi"),
    ("so 12 duong le loi bi ngap", "address", "so 12 duong le loi"),
    ("số nhà 7 ngõ 5 phố Trần Hưng Đạo", "address", "số nhà 7 ngõ 5 phố Trần Hưng Đạo"),
    ("tôi ở 45A đường Nguyễn Văn Cừ, phường 4", "address", "45A đường Nguyễn Văn Cừ"),
    ("12/3 hẻm 45 Lê Văn Sỹ", "address", "12/3 hẻm 45 Lê Văn Sỹ"),
    ("số 3 kiệt 15 Hùng Vương", "address", "số 3 kiệt 15 Hùng Vương"),
    ("so 3 kiet 15 hung vuong", "address", "so 3 kiet 15 hung vuong"),
    ("123/45/6 hem 78 duong so 9", "address", "123/45/6 hem 78 duong so 9"),
    ("Địa chỉ: số 20 ngách 15 ngõ 100 Tây Sơn", "address", "số 20 ngách 15 ngõ 100 Tây Sơn"),
    ("nhà 56 đường 3 Tháng 2, quận 10", "address", "nhà 56 đường 3 Tháng 2"),
    ("Số 1 Đường Hai Bà Trưng", "address", "Số 1 Đường Hai Bà Trưng"),
    ("sn 15 ngõ 2", "address", "sn 15 ngõ 2"),
    ("số 15, đường Trần Phú", "address", "số 15, đường Trần Phú"),
    ("8B phố Hàng Bạc", "address", "8B phố Hàng Bạc"),
    ("102 Đường Lê Duẩn bị mất điện", "address", "102 Đường Lê Duẩn"),
    ("số 9 duong nguyen trai phuong 2", "address", "số 9 duong nguyen trai"),
    ("nha so 4 hem 7", "address", "nha so 4 hem 7"),
    ("căn hộ số 21 đường số 5", "address", "căn hộ số 21 đường số 5"),
    ("số 30 đường Nguyễn Thị Minh Khai, Quận 1", "address", "số 30 đường Nguyễn Thị Minh Khai"),
    ("số 5 phố Tô Hiến Thành Phường 3", "address", "số 5 phố Tô Hiến Thành"),
    ("số 8 đường Điện Biên Phủ", "address", "số 8 đường Điện Biên Phủ"),
]

NEGATIVES = [
    "Ngày 12/03/2024 tôi đã gửi đơn",
    "hạn chót ngày 5/7",
    "15/12/2024",
    "đến 14:30 chiều nay vẫn chưa có ai",
    "lúc 8h30 ngày 01/02/2023",
    "phạt 500.000 đồng",
    "hỗ trợ 2,5 triệu mỗi hộ",
    "giá 1.200.000đ",
    "thiệt hại 3 tỷ",
    "số tiền 123456789 đồng",
    "bồi thường 500.000.000 đồng",
    "tổng 1.500.000.000 VND",
    "chi phí 250000000",
    "mã phản ánh YK-7F3Q9X",
    "Mã hồ sơ: YK-123456789",
    "Quyết định số 125/QĐ-UBND",
    "theo Nghị định số 45/2023/NĐ-CP",
    "Công văn 1234/UBND-TNMT ngày 20/10/2023",
    "năm 2024",
    "từ năm 1995 đến 2020",
    "tăng 15% so với năm ngoái",
    "thửa đất số 123, tờ bản đồ số 45",
    "thửa số 12 tờ số 3",
    "Km 12+300 quốc lộ 1A",
    "tại Km 45 đường Hồ Chí Minh",
    "300 hộ bị ảnh hưởng",
    "diện tích 2.000 m2",
    "dt 120 m2",
    "đường Lê Lợi bị ngập",
    "ngõ 34 phố Huế bị ngập nặng",
    "hẻm 12 Nguyễn Trãi tối om",
    "đường số 5 chưa có đèn",
    "có 2 đường dây điện bị đứt",
    "có 2 đường Lê Lợi và Trần Phú bị ngập",
    "3 ngõ trong tổ dân phố bị ngập",
    "ngày 5/7 đường Lê Lợi bị ngập",
    "tổ 5 đường Nguyễn Trãi",
    "dân số 123456789 người",
    "khoảng 1 000 000 người",
    "điều 5 khoản 2",
    "phường 12 quận 3",
    "xin cảm ơn!",
    "Quyết định số 12 đường",
    "version 2.0.1",
    "15.000 người tham gia",
    "giá đất 120 triệu/m2",
]


@pytest.mark.parametrize(("text", "kind", "expected"), POSITIVES)
def test_positive_forms_are_found(text: str, kind: str, expected: str) -> None:
    spans = find_pii(text)
    assert [(s.kind, s.text) for s in spans] == [(kind, expected)]


def test_positive_table_is_large_and_covers_every_kind() -> None:
    assert len(POSITIVES) >= 100
    assert {kind for _, kind, _ in POSITIVES} == set(PLACEHOLDERS)


@pytest.mark.parametrize("text", NEGATIVES)
def test_negatives_produce_no_span(text: str) -> None:
    assert find_pii(text) == []


def test_negative_table_is_large() -> None:
    assert len(NEGATIVES) >= 40


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sđt 0912345678", "sđt [SĐT]"),
        ("CCCD 079203012345.", "CCCD [CCCD]."),
        ("mail a.b@gmail.com nhé", "mail [EMAIL] nhé"),
        ("STK 0071000123456 Vietcombank", "STK [STK] Vietcombank"),
        ("Tôi ở số 12 ngõ 34 phố Huế, đèn hỏng", "Tôi ở [ĐỊA CHỈ], đèn hỏng"),
        ("Đèn đường Lê Lợi hỏng 3 ngày", "Đèn đường Lê Lợi hỏng 3 ngày"),
    ],
)
def test_redact_replaces_span_by_placeholder(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_redact_multiple_spans_keeps_the_rest_unchanged() -> None:
    text = (
        "Tôi là Nguyễn Văn A, nhà số 7 hẻm 12 Nguyễn Trãi, sđt 0912 345 678, "
        "CCCD 0792 0301 2345, email a.nguyen@gmail.com. Đường Lê Lợi ngập từ 12/03/2024, "
        "thiệt hại 2,5 triệu. Mã YK-7F3Q9X."
    )
    expected = (
        "Tôi là Nguyễn Văn A, [ĐỊA CHỈ], sđt [SĐT], "
        "CCCD [CCCD], email [EMAIL]. Đường Lê Lợi ngập từ 12/03/2024, "
        "thiệt hại 2,5 triệu. Mã YK-7F3Q9X."
    )
    assert redact(text) == expected
    kinds = [s.kind for s in find_pii(text)]
    assert kinds == ["address", "phone", "id_number", "email"]


def test_redact_with_explicit_spans_only_touches_those() -> None:
    text = "sđt 0912345678, CCCD 079203012345"
    phone_only = [s for s in find_pii(text) if s.kind == "phone"]
    assert redact(text, phone_only) == "sđt [SĐT], CCCD 079203012345"
    assert redact(text, []) == text


@pytest.mark.parametrize(("text", "kind", "expected"), POSITIVES)
def test_redaction_is_idempotent(text: str, kind: str, expected: str) -> None:
    once = redact(text)
    assert PLACEHOLDERS[kind] in once
    assert expected not in once
    assert redact(once) == once
    assert find_pii(once) == []


def test_placeholders_are_not_pii() -> None:
    text = " ".join(PLACEHOLDERS.values())
    assert find_pii(text) == []


def _all_texts() -> list[str]:
    return [text for text, _, _ in POSITIVES] + NEGATIVES


@pytest.mark.parametrize("text", _all_texts())
def test_spans_are_sorted_non_overlapping_with_exact_offsets(text: str) -> None:
    spans = find_pii(text)
    for span in spans:
        assert isinstance(span, PiiSpan)
        assert text[span.start : span.end] == span.text
        assert span.text == span.text.strip()
        assert span.rule.startswith(span.kind + ".")
    for left, right in itertools.pairwise(spans):
        assert left.end <= right.start


def test_spans_in_a_long_mixed_message() -> None:
    text = " | ".join(text for text, _, _ in POSITIVES)
    spans = find_pii(text)
    assert len(spans) >= len(POSITIVES)
    assert [s.start for s in spans] == sorted(s.start for s in spans)
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
    assert all(text[s.start : s.end] == s.text for s in spans)


def test_longest_span_wins_over_a_shorter_overlapping_one() -> None:
    # Twelve digits also hold a ten-digit "phone" prefix; the whole ID must win.
    spans = find_pii("0912 3456 7890")
    assert [(s.kind, s.text) for s in spans] == [("id_number", "0912 3456 7890")]


def test_keyword_decides_kind_of_same_digits() -> None:
    assert find_pii("stk 0912345678")[0].kind == "bank_account"
    assert find_pii("sđt 0912345678")[0].kind == "phone"


def test_decomposed_unicode_keeps_original_offsets() -> None:
    text = unicodedata.normalize("NFD", "Số điện thoại: 0912345678, số 12 đường Lê Lợi")
    spans = find_pii(text)
    assert [s.kind for s in spans] == ["phone", "address"]
    assert spans[0].text == "0912345678"
    assert unicodedata.normalize("NFC", spans[1].text) == "số 12 đường Lê Lợi"
    assert all(text[s.start : s.end] == s.text for s in spans)


def test_text_without_digits_or_at_sign_is_empty() -> None:
    assert find_pii("Đường Nguyễn Trãi tối om, đề nghị sửa đèn") == []
    assert find_pii("") == []

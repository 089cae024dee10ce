"""Consultations on draft documents (góp ý dự thảo văn kiện): positions, limits and every text
residents, officers and the synthesis report show.

Sections are headed by `{label}` ("Điều 5") and `{title}`; position 0 is the draft as a whole.
"""

# A resident's position on a section, in the order offered.
STANCES: dict[str, str] = {
    "tan_thanh": "Tán thành",
    "khong_tan_thanh": "Không tán thành",
    "tan_thanh_mot_phan": "Tán thành một phần",
}

# The synthesis report: main themes (near-duplicate clusters) shown per section, and the
# shortest cluster that counts as a theme.
REPORT_THEMES = 5
REPORT_THEME_MIN_SIZE = 2

# --- the synthesis report (bot.reports.consultation_docx / consultation_xlsx) --------------------
# Shared by the Word report and the workbook. Names of stances come from STANCES, of target
# groups from config.taxonomy.TARGET_GROUPS, of flags from config.reports.FLAG_NAMES.
SYNTHESIS_UNKNOWN = "Không xác định"  # no target group, or no unit
SYNTHESIS_DRAFT_PREFIX = "dự thảo"  # "… vào dự thảo {title}"; a title starting so keeps its words
SYNTHESIS_CHANNELS: dict[str, str] = {
    "telegram": "Telegram",
    "zalo_bot": "Zalo",
    "zalo_oa": "Zalo OA",
    "shell": "Dòng lệnh",
    "demo": "Dùng thử",
}

# Word report (layout, fonts, header texts and signature block of config.reports).
DOCX_SUBTITLE = "Tổng hợp ý kiến góp ý của Nhân dân vào {draft}"
DOCX_SNIPPET_CHARS = 400
DOCX_MOMENT = "{moment:%H} giờ {moment:%M} ngày {moment:%d/%m/%Y}"
DOCX_PERCENT = "{value}%"  # value with one decimal and a decimal comma: "33,3"
DOCX_COUNT_PERCENT = "{count} ({percent})"
DOCX_STANCE_COUNT = "{name}: {count}"
DOCX_STANCE_COUNT_PERCENT = "{name}: {count} ({percent})"
DOCX_STANCE_SHORT = "{name} {count}"

DOCX_SECTION_ORGANISATION = "I. TÌNH HÌNH TỔ CHỨC LẤY Ý KIẾN"
DOCX_WINDOW = (
    "Thực hiện việc lấy ý kiến Nhân dân vào {draft}, {issuer} tổ chức lấy ý kiến qua kênh "
    "tiếp nhận ý kiến trực tuyến từ {opens} đến {closes}."
)
DOCX_AUDIENCE = "Đối tượng lấy ý kiến: {groups}; phạm vi: {units}."
DOCX_AUDIENCE_EVERY_GROUP = "toàn thể Nhân dân"
DOCX_AUDIENCE_EVERY_UNIT = "toàn địa bàn"
DOCX_PARTICIPATION = (
    "Kết quả: {participants} người tham gia, cho {comments} ý kiến biểu quyết đối với các phần "
    "của dự thảo ({stances}), trong đó {with_text} ý kiến có nội dung góp ý cụ thể."
)
DOCX_PARTICIPATION_NONE = "Trong thời gian lấy ý kiến, chưa có ý kiến góp ý nào của Nhân dân."
DOCX_RESTRICTED = (
    "Có {count} ý kiến có nội dung nhạy cảm (tố cáo, xúc phạm, đe dọa...) được tính vào số liệu "
    "nhưng không trích dẫn nội dung trong báo cáo này."
)
DOCX_BY_GROUP = "Phân theo nhóm đối tượng:"
DOCX_BY_UNIT = "Phân theo đơn vị:"
DOCX_BREAKDOWN_ROW = "- {name}: {total} ý kiến ({stances})."

DOCX_SECTION_RESULTS = "II. KẾT QUẢ TỔNG HỢP Ý KIẾN"
DOCX_RESULTS_TABLE = "1. Số lượng ý kiến theo từng phần của dự thảo"
DOCX_TABLE_CAPTION = "Bảng tổng hợp ý kiến theo từng phần của dự thảo"
DOCX_TABLE_HEADER: tuple[str, ...] = (
    "TT",
    "Phần của dự thảo",
    *STANCES.values(),
    "Tổng số",
    "Ý kiến cụ thể",
)
DOCX_TABLE_TOTAL = "Tổng cộng"
DOCX_RESULTS_SECTIONS = "2. Ý kiến cụ thể theo từng phần của dự thảo"
DOCX_SECTION_COUNTS = (
    "Có {total} ý kiến: {stances}; trong đó {with_text} ý kiến có nội dung góp ý cụ thể."
)
DOCX_THEMES = "Các ý kiến chính:"
DOCX_THEME = "- {size} ý kiến ({stances}): “{text}”"
DOCX_THEME_UNQUOTED = (
    "- {size} ý kiến ({stances}): được tính vào số liệu, không trích dẫn nội dung."
)
DOCX_THEMES_NONE = "Các ý kiến cụ thể không trùng lặp nhau, chưa hình thành nhóm ý kiến chính."
DOCX_SECTIONS_SILENT = "Các phần chưa có ý kiến: {sections}."
DOCX_SECTIONS_SILENT_JOIN = "; "

DOCX_SECTION_ASSESSMENT = "III. ĐÁNH GIÁ CHUNG"
DOCX_ASSESSMENT_OVERALL = "Tính chung các phần của dự thảo, tỷ lệ ý kiến: {stances}."
DOCX_ASSESSMENT_MOST_AGREED = (
    "Phần có tỷ lệ tán thành cao nhất: {section} ({percent} trong {total} ý kiến)."
)
DOCX_ASSESSMENT_MOST_DISAGREED = (
    "Phần có tỷ lệ không tán thành cao nhất: {section} ({percent} trong {total} ý kiến)."
)
DOCX_ASSESSMENT_NO_DISAGREEMENT = "Không có phần nào của dự thảo có ý kiến không tán thành."
DOCX_ASSESSMENT_NONE = "Chưa có ý kiến góp ý của Nhân dân để đánh giá."

DOCX_RECIPIENTS: tuple[str, ...] = (
    "- Ban Thường trực Ủy ban MTTQ Việt Nam cấp trên;",
    "- Cơ quan chủ trì soạn thảo dự thảo;",
    "- Cấp ủy, chính quyền cùng cấp;",
    "- Lưu: VT.",
)

# Excel workbook: "Tổng hợp" and every comment on "Ý kiến" ("Ý kiến (2)"… past Excel's rows).
XLSX_SUMMARY_SHEET = "Tổng hợp"
XLSX_COMMENTS_SHEET = "Ý kiến"
XLSX_COMMENTS_SHEET_NEXT = "Ý kiến ({n})"
XLSX_DRAFT = "Dự thảo"
XLSX_ISSUER = "Cơ quan lấy ý kiến"
XLSX_OPENS = "Bắt đầu lấy ý kiến"
XLSX_CLOSES = "Kết thúc lấy ý kiến"
XLSX_GENERATED = "Thời điểm lập"
XLSX_SECTIONS_HEADER: tuple[str, ...] = (
    "TT",
    "Phần",
    "Tiêu đề",
    *STANCES.values(),
    "Tổng số",
    "Ý kiến cụ thể",
    *(f"% {name}" for name in STANCES.values()),
)
XLSX_PERCENT_FORMAT = "0.0%"
XLSX_TOTAL = "Tổng cộng"
XLSX_FIGURES_HEADER: tuple[str, ...] = ("Chỉ tiêu", "Số lượng")
XLSX_PARTICIPANTS = "Số người tham gia"
XLSX_COMMENTS = "Số ý kiến biểu quyết"
XLSX_WITH_TEXT = "Số ý kiến có nội dung góp ý"
XLSX_RESTRICTED = "Ý kiến nhạy cảm (chỉ đếm, không trích dẫn)"
XLSX_BY_GROUP_HEADER: tuple[str, ...] = ("Nhóm đối tượng", *STANCES.values(), "Tổng số")
XLSX_BY_UNIT_HEADER: tuple[str, ...] = ("Đơn vị", *STANCES.values(), "Tổng số")
XLSX_SUMMARY_WIDTHS: tuple[int, ...] = (8, 20, 50, 14, 16, 20, 12, 14, 14, 16, 20)
XLSX_COMMENT_HEADER: tuple[str, ...] = (
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
)
XLSX_COMMENT_WIDTHS: tuple[int, ...] = (9, 11, 18, 18, 80, 18, 28, 12, 22, 11, 17, 17)
XLSX_RESTRICTED_TEXT = "(Nội dung nhạy cảm: chỉ đếm, không hiển thị)"

# --- draft import (handlers.sections, bot.draft_import) ------------------------------------------
# Limits of an imported draft; over any of them nothing is imported.
DRAFT_MAX_BYTES = 20 * 1024 * 1024
DRAFT_MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # a .docx is a zip: its parts once unpacked
DRAFT_MAX_SECTIONS = 2_000
DRAFT_MAX_CHARS = 1_000_000

# The one section of a draft without any heading.
WHOLE_TEXT_LABEL = "Toàn văn"

DRAFT_UNSUPPORTED_TYPE = (
    "Không nhận được tệp “{name}”: dự thảo cần ở dạng Word (.docx), PDF có lớp chữ (.pdf) "
    "hoặc văn bản thuần (.txt)."
)
DRAFT_TOO_LARGE = "Tệp “{name}” quá lớn ({size} MB); chỉ nhận tệp dự thảo đến {limit} MB."
DRAFT_UNREADABLE = (
    "Không đọc được tệp “{name}”: tệp bị hỏng, có mật khẩu hoặc không đúng định dạng {kind}. "
    "Xin mở và lưu lại tệp rồi gửi lại."
)
DRAFT_NOT_UTF8 = (
    "Tệp “{name}” không phải văn bản Unicode (UTF-8). Xin lưu lại tệp với bảng mã UTF-8 "
    "rồi gửi lại."
)
DRAFT_EMPTY = (
    "Dự thảo không có nội dung chữ. Nếu là bản quét (ảnh), xin gửi tệp Word (.docx), "
    "văn bản (.txt) hoặc PDF có lớp chữ."
)
DRAFT_TOO_LONG = "Dự thảo quá dài: chỉ nhận dự thảo đến {limit} ký tự."
DRAFT_TOO_MANY_SECTIONS = (
    "Dự thảo có quá nhiều phần, chương, mục, điều; chỉ nhận dự thảo đến {limit} phần."
)

# --- draft documents sent in chat (bot.draft_files) ------------------------------------------
DRAFT_DOWNLOAD_FAILED = (
    "Không tải được tệp “{name}” từ máy chủ của kênh chat. Bạn vui lòng gửi lại tệp sau ít phút."
)
# The name of a document sent without one (its type then comes from its MIME type).
DRAFT_UNNAMED_FILE = "du-thao"

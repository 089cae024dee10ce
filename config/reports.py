"""Every Vietnamese string of the officers' digest: the chat message, the Word report, the Excel
workbook and the chart. Placeholders use `str.format` names.

The Word report follows Decree 30/2020/NĐ-CP on administrative documents (layout, fonts, the
national title and motto, "Nơi nhận", the signature block).
"""

# The zone report dates are shown in when the caller passes none (settings.timezone normally).
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"

# --- shared -------------------------------------------------------------------------------------
PERIOD_MONTH = "tháng {label}"
PERIOD_SPAN = "kỳ {label}"
CHANGE_UP = "tăng {n}"
CHANGE_DOWN = "giảm {n}"
CHANGE_SAME = "không thay đổi"
UNKNOWN = "Chưa xác định"
YES = "Có"
NO = "Không"

# Flag codes (nlp.flags.FLAG_CODES) as officers read them.
FLAG_NAMES: dict[str, str] = {
    "pii": "Thông tin cá nhân",
    "xuc_pham": "Lời lẽ xúc phạm",
    "de_doa": "Đe dọa",
    "khan_cap": "Khẩn cấp",
    "to_cao": "Tố cáo",
    "spam": "Quảng cáo, rác",
}

# Never quoted in a report, whatever the reader may see: a Word report travels to every
# recipient in "Nơi nhận", and a denouncer's words can identify them.
UNQUOTED_KINDS: tuple[str, ...] = ("to_cao",)
UNQUOTED_FLAGS: tuple[str, ...] = ("to_cao", "de_doa", "khan_cap", "xuc_pham", "spam")

# --- chat message -------------------------------------------------------------------------------
CHAT_TOP_LOCALITIES = 5
CHAT_TOP_PROBLEMS = 5
CHAT_SNIPPET_CHARS = 160

CHAT_TITLE = "TỔNG HỢP Ý KIẾN {period}"
CHAT_UNIT = "Đơn vị: {unit}"
CHAT_TOTAL = "Tổng số: {total} ý kiến ({change} so với kỳ trước: {previous})"
CHAT_EMPTY = (
    "Trong {period} chưa có ý kiến, kiến nghị nào của Nhân dân gửi đến {unit} "
    "(kỳ trước: {previous}). Xin cảm ơn quý đồng chí đã theo dõi."
)
CHAT_BY_TOPIC = "Theo lĩnh vực:"
CHAT_BY_KIND = "Theo loại ý kiến:"
CHAT_BY_LOCALITY = "Địa bàn có nhiều ý kiến nhất:"
CHAT_ROW = "- {label}: {current} ({change})"
CHAT_PROBLEMS = "Vấn đề được phản ánh nhiều lần:"
CHAT_PROBLEM = "{index}. {size} ý kiến{where}: “{text}”"
CHAT_PROBLEM_WHERE = " - {place}"
CHAT_ANSWERS = "Chờ trả lời: {awaiting}; quá hạn: {overdue}"
CHAT_SENSITIVE = "Ý kiến nhạy cảm (tố cáo, đang kiểm duyệt): {count}, không nêu nội dung."

# --- Word report (Decree 30/2020/NĐ-CP) ---------------------------------------------------------
DOCX_FONT = "Times New Roman"
DOCX_BODY_PT = 14
DOCX_HEADER_PT = 13
DOCX_RECIPIENTS_TITLE_PT = 12
DOCX_RECIPIENTS_PT = 11
DOCX_QUOTES_PER_TOPIC = 3
DOCX_SNIPPET_CHARS = 400
DOCX_OVERDUE_LISTED = 20

DOCX_PARENT_BODY = "ỦY BAN MTTQ VIỆT NAM"
DOCX_NUMBER = "Số: {number}/BC-MTTQ"
DOCX_NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
DOCX_MOTTO = "Độc lập - Tự do - Hạnh phúc"
DOCX_PLACE_DATE = "{place}, ngày {day} tháng {month} năm {year}"
DOCX_TITLE = "BÁO CÁO"
DOCX_SUBTITLE = "Tổng hợp tình hình Nhân dân và ý kiến, kiến nghị {period}"

DOCX_SECTION_OVERVIEW = "I. TÌNH HÌNH CHUNG"
DOCX_OVERVIEW = (
    "Trong {period}, {unit} tiếp nhận {total} ý kiến, kiến nghị của Nhân dân, "
    "{change} so với kỳ trước ({previous} ý kiến)."
)
DOCX_OVERVIEW_EMPTY = (
    "Trong {period}, {unit} chưa tiếp nhận ý kiến, kiến nghị nào của Nhân dân "
    "(kỳ trước: {previous} ý kiến)."
)
DOCX_BY_KIND = "Phân theo loại ý kiến:"
DOCX_KIND_ROW = "- {label}: {current} ý kiến ({change})."

DOCX_SECTION_TOPICS = "II. Ý KIẾN, KIẾN NGHỊ THEO LĨNH VỰC"
DOCX_TOPIC = "{index}. {label}: {current} ý kiến ({change} so với kỳ trước)."
DOCX_TOPIC_PROBLEM = "- {size} ý kiến phản ánh{where}: “{text}”"
DOCX_TOPIC_ITEM = "- Ý kiến{where}: “{text}”"
DOCX_WHERE = " tại {place}"
DOCX_TOPICS_EMPTY = "Không có ý kiến, kiến nghị trong kỳ."

DOCX_SECTION_ANSWERS = "III. Ý KIẾN CHỜ TRẢ LỜI, QUÁ HẠN"
DOCX_ANSWERS = (
    "Số ý kiến đang chờ cơ quan có thẩm quyền trả lời: {awaiting}; "
    "trong đó quá hạn trả lời: {overdue}."
)
DOCX_OVERDUE_ITEM = "- {code} ({topic}), hạn trả lời {due}."

DOCX_SECTION_SENSITIVE = "IV. Ý KIẾN CÓ NỘI DUNG NHẠY CẢM"
DOCX_SENSITIVE = (
    "Có {count} ý kiến có nội dung nhạy cảm (tố cáo, ý kiến đang được kiểm duyệt) được tiếp "
    "nhận và xử lý theo quy định; nội dung không nêu trong báo cáo này để bảo vệ người gửi."
)
DOCX_SENSITIVE_NONE = "Không có ý kiến có nội dung nhạy cảm trong kỳ."

DOCX_TABLE_CAPTION = "Bảng tổng hợp số lượng ý kiến theo lĩnh vực"
DOCX_TABLE_HEADER: tuple[str, ...] = ("TT", "Lĩnh vực", "Kỳ này", "Kỳ trước", "Tăng/giảm")
DOCX_TABLE_TOTAL = "Tổng cộng"

DOCX_RECIPIENTS_TITLE = "Nơi nhận:"
DOCX_RECIPIENTS: tuple[str, ...] = (
    "- Ban Thường trực Ủy ban MTTQ Việt Nam cấp trên;",
    "- Cấp ủy, chính quyền cùng cấp;",
    "- Các tổ chức thành viên;",
    "- Lưu: VT.",
)
DOCX_SIGN_ON_BEHALF = "TM. BAN THƯỜNG TRỰC"
DOCX_SIGN_TITLE = "CHỦ TỊCH"

# --- Excel workbook -----------------------------------------------------------------------------
XLSX_SUMMARY_SHEET = "Tổng hợp"
XLSX_ITEMS_SHEET = "Danh sách"
XLSX_DATETIME_FORMAT = "dd/mm/yyyy hh:mm"

XLSX_UNIT = "Đơn vị"
XLSX_PERIOD = "Kỳ báo cáo"
XLSX_PREVIOUS_PERIOD = "Kỳ trước"
XLSX_GENERATED = "Thời điểm lập"
XLSX_FIGURES_HEADER: tuple[str, ...] = ("Chỉ tiêu", "Kỳ này", "Kỳ trước", "Tăng/giảm")
XLSX_TOTAL = "Tổng số ý kiến"
XLSX_AWAITING = "Đang chờ trả lời"
XLSX_OVERDUE = "Quá hạn trả lời"
XLSX_SENSITIVE = "Ý kiến nhạy cảm (chỉ đếm)"
XLSX_BY_TOPIC = "Lĩnh vực"
XLSX_BY_KIND = "Loại ý kiến"
XLSX_BY_LOCALITY = "Địa bàn"
XLSX_BY_GROUP = "Nhóm đối tượng"

XLSX_ITEM_HEADER: tuple[str, ...] = (
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
)
XLSX_ITEM_WIDTHS: tuple[int, ...] = (12, 18, 20, 30, 24, 18, 18, 18, 18, 9, 24, 80)

# --- chart --------------------------------------------------------------------------------------
# DejaVu Sans ships with matplotlib and has every Vietnamese letter.
CHART_FONT = "DejaVu Sans"
CHART_DPI = 150
CHART_TITLE = "Ý kiến, kiến nghị theo lĩnh vực - {period}"
CHART_CURRENT = "Kỳ này ({label})"
CHART_PREVIOUS = "Kỳ trước ({label})"
CHART_X_LABEL = "Số ý kiến"
CHART_EMPTY = "Không có ý kiến, kiến nghị trong kỳ này và kỳ trước"

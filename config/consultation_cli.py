"""What `ykien consultation …` prints (operators read Vietnamese too)."""

CREATED = (
    "Đã tạo đợt lấy ý kiến số {id}: «{title}», {sections} phần, nhận ý kiến từ {opens} đến "
    "{closes}. Người dân gõ /duthao {id} để góp ý."
)
CREATED_DEADLINE = "Hạn báo cáo tổng hợp {due} đã được thêm vào lịch nhắc của đơn vị."
BAD_TITLE = "Tiêu đề không được trống và không quá 500 ký tự."
NONE = "Chưa có đợt lấy ý kiến nào."
LIST_ITEM = "{id}. {title} — {opens} → {closes} ({state})"
STATES = {"waiting": "chưa mở", "open": "đang lấy ý kiến", "closed": "đã kết thúc"}
NOT_FOUND = "Không có đợt lấy ý kiến số {id}."
SHOW = (
    "Đợt lấy ý kiến số {id}: {title}\nĐơn vị: {issuer}\nThời gian: {opens} → {closes}\n"
    "Hạn báo cáo: {report_due}\nĐối tượng: {audience}\nCác phần:"
)
SHOW_SECTION = "  {position:>3}. {heading} ({chars} ký tự)"
NOTHING_TO_EDIT = (
    "Không có gì để sửa: dùng --title, --opens, --closes, --report-due, --announcement."
)
EDITED = "Đã sửa đợt lấy ý kiến số {id}: {fields}."
BAD_BODY_FILE = "Không đọc được tệp {path} (cần văn bản UTF-8)."
SECTION_NOT_CHANGED = (
    "Không sửa được phần {position} của đợt số {id}: không có phần đó, hoặc không có gì để sửa."
)
SECTION_EDITED = "Đã sửa phần {position} của đợt lấy ý kiến số {id}."
REDRAFT_REFUSED = (
    "Đợt lấy ý kiến số {id} đã có ý kiến: không thể tách lại dự thảo vì các ý kiến gắn với các "
    "phần hiện có. Hãy sửa từng phần bằng `ykien consultation section`."
)
REDRAFTED = "Đã tách lại dự thảo của đợt số {id}: {sections} phần."
REPORT_WRITTEN = "Đã ghi báo cáo tổng hợp của đợt số {id} ({rows} ý kiến):"
DOCX_NAME = "bao-cao-tong-hop-gop-y-du-thao-{id}.docx"
XLSX_NAME = "y-kien-gop-y-du-thao-{id}.xlsx"

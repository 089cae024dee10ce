"""The answer loop: status lifecycle, notices to residents, ratings and follow-ups.

Every text a resident or an officer reads about a case's status lives here; `{code}` is always
the case code, so a resident with several cases knows which one a message is about.
"""

# --- the lifecycle ------------------------------------------------------------------------------

RECEIVED = "da_tiep_nhan"
IN_PROGRESS = "dang_xu_ly"
ANSWERED = "da_tra_loi"
CLOSED = "da_dong"
ESCALATED = "chuyen_cap_tren"
NOT_COMPETENT = "khong_thuoc_tham_quyen"

# Where a case may go from each status; a status not listed (không thuộc thẩm quyền, đã đóng)
# is final. A follow-up on an answered case reopens it (đã trả lời → đang xử lý).
TRANSITIONS: dict[str, frozenset[str]] = {
    RECEIVED: frozenset({IN_PROGRESS, ANSWERED, ESCALATED, NOT_COMPETENT}),
    IN_PROGRESS: frozenset({ANSWERED, ESCALATED, NOT_COMPETENT}),
    ANSWERED: frozenset({CLOSED, IN_PROGRESS}),
    ESCALATED: frozenset({IN_PROGRESS, ANSWERED, CLOSED}),
}
# A case in one of these statuses is over: its raw texts are kept YKIEN_RETENTION_DAYS after.
RETENTION_STATUSES = (CLOSED, NOT_COMPETENT)
# The officer commands that set a status (/traloi sets ANSWERED with the answer itself).
STATUS_COMMANDS: dict[str, str] = {
    "xuly": IN_PROGRESS,
    "dong": CLOSED,
    "chuyen": ESCALATED,
    "khongthuoc": NOT_COMPETENT,
}
# Ratings are given once there is an answer to rate.
RATABLE = frozenset({ANSWERED, CLOSED})
RATING_MIN = 1
RATING_MAX = 5
RATE_PREFIX = "rate:"  # button payload "rate:YK-7F3Q9X:5"
# Officers' notes and reasons are relayed to residents: kept to one chat message.
REASON_MAX_CHARS = 1000
# /khongthuoc CODE lý do | nơi nên gửi tới
REASON_SEPARATOR = "|"

# --- what the resident is told on their channel ---------------------------------------------

NOTICES: dict[str, str] = {
    IN_PROGRESS: "Ý kiến {code} của bạn đang được xử lý. Tra cứu: /trangthai {code}",
    ANSWERED: "Ý kiến {code} của bạn đã được trả lời. Tra cứu: /trangthai {code}",
    CLOSED: "Ý kiến {code} của bạn đã kết thúc xử lý. Cảm ơn bạn đã gửi ý kiến.",
    ESCALATED: (
        "Ý kiến {code} của bạn đã được chuyển lên cơ quan cấp trên để xem xét, giải quyết. "
        "Tra cứu: /trangthai {code}"
    ),
    NOT_COMPETENT: (
        "Ý kiến {code} của bạn không thuộc thẩm quyền giải quyết của đơn vị tiếp nhận.\n"
        "Lý do: {reason}\n"
        "Bạn có thể gửi tới: {where}"
    ),
}
NOTICE_NOTE = "\nGhi chú: {note}"
# The rating buttons under a relayed answer (texts.ANSWER_TO_RESIDENT).
RATE_BUTTON = "{n} ⭐"

# --- /trangthai -----------------------------------------------------------------------------

STATUS_REASON = "\nLý do: {reason}"
STATUS_NOT_COMPETENT = "\nLý do: {reason}\nBạn có thể gửi tới: {where}"
STATUS_NOTE = "\nGhi chú: {note}"
STATUS_RATING = "\nBạn đã đánh giá câu trả lời: {rating}/5."

# --- rating (/danhgia, the rate buttons) -----------------------------------------------------

RATE_USAGE = "Cách dùng: /danhgia MÃ ĐIỂM, với điểm từ 1 đến 5 (ví dụ /danhgia YK-7F3Q9X 5)."
RATE_BAD_VALUE = "Điểm đánh giá «{value}» không hợp lệ: vui lòng chọn một số từ 1 đến 5."
RATE_NOT_YET = (
    "Ý kiến {code} đang ở trạng thái «{status}»: bạn đánh giá được sau khi nhận câu trả lời."
)
RATE_THANKS = "Cảm ơn bạn đã đánh giá câu trả lời ý kiến {code}: {rating}/5."
RATE_CHANGED = "Đã sửa đánh giá câu trả lời ý kiến {code}: từ {before}/5 thành {rating}/5."
RATE_SAME = "Bạn đã đánh giá câu trả lời ý kiến {code} là {rating}/5; không có gì thay đổi."
RATE_CONFLICT = "Ý kiến {code} vừa được cập nhật. Bạn vui lòng gửi lại đánh giá."

# --- follow-ups (/bosung) ---------------------------------------------------------------------

FOLLOWUP_USAGE = (
    "Cách dùng: /bosung MÃ nội dung bổ sung (ví dụ /bosung YK-7F3Q9X Nước vẫn ngập sau mưa)."
)
FOLLOWUP_TOO_LONG = (
    "Nội dung bổ sung quá dài ({length} ký tự); tối đa {limit} ký tự. "
    "Bạn có thể chia thành nhiều lần /bosung."
)
FOLLOWUP_ADDED = (
    "Đã bổ sung nội dung vào ý kiến {code}. Cán bộ sẽ xem cùng ý kiến ban đầu; "
    "tra cứu: /trangthai {code}"
)

# --- officers: /xuly /dong /chuyen /khongthuoc, and what /xem adds ---------------------------

STATUS_USAGE: dict[str, str] = {
    "xuly": "Cách dùng: /xuly MÃ — chuyển ý kiến sang «Đang xử lý» (ví dụ /xuly YK-7F3Q9X).",
    "dong": "Cách dùng: /dong MÃ — đóng ý kiến đã giải quyết xong (ví dụ /dong YK-7F3Q9X).",
    "chuyen": (
        "Cách dùng: /chuyen MÃ [ghi chú gửi người dân] — chuyển ý kiến lên cấp trên "
        "(ví dụ /chuyen YK-7F3Q9X Đã chuyển UBND thành phố)."
    ),
    "khongthuoc": (
        "Cách dùng: /khongthuoc MÃ lý do | nơi nên gửi tới — cả hai phần đều bắt buộc "
        "(ví dụ /khongthuoc YK-7F3Q9X Tranh chấp dân sự | Tòa án nhân dân khu vực)."
    ),
}
REASON_TOO_LONG = "Nội dung ghi chú, lý do quá dài ({length} ký tự); tối đa {limit} ký tự."
CASE_NOT_FOUND = "Không có ý kiến {code} trong phạm vi của bạn."
TRANSITION_REFUSED = "Ý kiến {code} đang ở trạng thái «{current}», không chuyển sang «{new}» được."
CHANGE_CONFLICT = (
    "Ý kiến {code} vừa được người khác cập nhật. Gửi /xem {code} để xem trạng thái mới."
)
STATUS_CHANGED = "Đã chuyển ý kiến {code} sang «{status}» và báo cho người gửi."
STATUS_CHANGED_NOT_RELAYED = (
    "Đã chuyển ý kiến {code} sang «{status}». Người gửi đã xóa dữ liệu cá nhân nên không "
    "nhận được thông báo."
)
CASE_RESTRICTED = (
    "Ý kiến {code} có nội dung hạn chế: chỉ cán bộ được chỉ định, người kiểm duyệt hoặc quản "
    "trị viên được xử lý."
)
# What /xem adds below the text: the reason, the rating, the newest follow-ups (shortened).
VIEW_REASON = "Lý do, ghi chú: {reason}"
VIEW_RATING = "Đánh giá của người gửi: {rating}/5"
VIEW_FOLLOWUPS = "Nội dung bổ sung của người gửi ({count}):"
VIEW_FOLLOWUP = "— {at}: {text}"
VIEW_FOLLOWUPS_HIDDEN = "Nội dung bổ sung của người gửi: {count} (không hiển thị nội dung)."
VIEW_FOLLOWUPS_SHOWN = 5
VIEW_FOLLOWUP_CHARS = 500

# --- /dulieucuatoi ----------------------------------------------------------------------------

MY_DATA_RATING = "   Đánh giá của bạn: {rating}/5"
MY_DATA_FOLLOWUP = "   Bổ sung ({at}): {text}"

# --- satisfaction in digests ----------------------------------------------------------------

SATISFACTION_CHAT = "Mức hài lòng với câu trả lời: {average}/5 ({count} lượt đánh giá)"
SATISFACTION_DOCX = (
    "Người dân đánh giá {count} câu trả lời trong kỳ, mức hài lòng bình quân {average}/5."
)
SATISFACTION_DOCX_NONE = "Trong kỳ chưa có đánh giá của người dân về các câu trả lời."
SATISFACTION_XLSX = "Mức hài lòng bình quân (1–5), {count} lượt đánh giá"

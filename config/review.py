"""Moderation in chat: the review queue, decisions, label corrections, urgent alerts, duty.

Every Vietnamese text a moderator reads about the review queue lives here. Codes (review
states, decisions) are stable identifiers stored in the database; names are what people read.
"""

from __future__ import annotations

# Where an item stands in the review (submissions.review_state); None: no review was asked.
REVIEW_STATES: dict[str, str] = {
    "cho_duyet": "Chờ duyệt",
    "duyet": "Đã duyệt",
    "han_che": "Hạn chế",
    "spam": "Spam",
    "chuyen_cap_tren": "Chuyển cấp trên",
}
AWAITING = "cho_duyet"
DECISION_ICONS: dict[str, str] = {
    "duyet": "✅",
    "han_che": "🔒",
    "spam": "🗑",
    "chuyen_cap_tren": "⬆️",
}

# --- buttons ------------------------------------------------------------------------------------
BUTTON_APPROVE = "Duyệt"
BUTTON_RESTRICT = "Hạn chế"
BUTTON_SPAM = "Spam"
BUTTON_ESCALATE = "Chuyển cấp trên"
BUTTON_FIX_TOPIC = "Sửa lĩnh vực"
BUTTON_FIX_KIND = "Sửa loại"
BUTTON_BACK = "« Quay lại"

# --- the queue message --------------------------------------------------------------------------
QUEUE_HEADER = "🔎 Cần kiểm duyệt: {code}"
QUEUE_HEADER_DECIDED = "🔎 Đã kiểm duyệt: {code}"
URGENT_HEADER = (
    "🚨 KHẨN: {code} có dấu hiệu {flags}. Người gửi đã được khuyên gọi ngay 113 (Công an), "
    "114 (Cứu hỏa, cứu nạn), 115 (Cấp cứu)."
)
# A comment on a draft (no reference code): where it was given, then its text.
URGENT_COMMENT_HEADER = (
    "🚨 KHẨN: một góp ý dự thảo có dấu hiệu {flags} («{title}», {section}). Người gửi đã được "
    "khuyên gọi ngay 113 (Công an), 114 (Cứu hỏa, cứu nạn), 115 (Cấp cứu)."
)
QUEUE_BODY = (
    "Loại: {kind}{predicted}\n"
    "Lĩnh vực: {topic} (độ tin cậy {confidence})\n"
    "Địa bàn: {locality}\n"
    "Đối tượng: {group}\n"
    "Gửi lúc: {created}\n"
    "\n"
    "Lý do cần xem:\n"
    "{reasons}\n"
    "\n"
    "Nội dung (đã che thông tin cá nhân; phần «…» là dấu hiệu máy phát hiện):\n"
    "{text}"
)
PREDICTED_KIND = " (máy đọc là: {kind})"
NONE = "không rõ"
CONFIDENCE = "{percent}%"
# One line per flag; personal data shows only its types, never the data itself.
FLAG_LINE = "• {name}: {evidence}"
FLAG_LINE_BARE = "• {name}"
EVIDENCE = "«{text}»"
LOW_CONFIDENCE_LINE = "• Máy chưa chắc chắn về phân loại (lĩnh vực {topic}, loại {kind})"
PII_TYPES: dict[str, str] = {
    "phone": "số điện thoại",
    "id_number": "số căn cước",
    "email": "thư điện tử",
    "bank_account": "số tài khoản",
    "address": "địa chỉ",
}
# The text shown is cut here, so that the whole message fits one chat message (Zalo: 2000).
QUEUE_TEXT_CHARS = 1000
EVIDENCE_CHARS = 60
EVIDENCE_PER_FLAG = 5
# Channels without buttons: the commands to type, under an item awaiting review.
COMMANDS_HINT = (
    "Gõ lệnh để xử lý:\n"
    "/duyet {code} — duyệt\n"
    "/hanche {code} — hạn chế (chỉ cán bộ được chỉ định xem)\n"
    "/spam {code} — spam\n"
    "/chuyen {code} — chuyển cấp trên\n"
    "/sua {code} linhvuc=… loai=… — sửa nhãn"
)
DECIDED = "{icon} {state} — bởi {actor} lúc {at}."

# --- answers to moderators -----------------------------------------------------------------------
NOT_FOUND = "Không tìm thấy ý kiến mã {code}."
NOT_IN_QUEUE = "Ý kiến {code} không nằm trong hàng chờ kiểm duyệt (trạng thái: {status})."
STALE = "Ý kiến {code} đã được {actor} xử lý lúc {at}: {state}."
STALE_NO_ACTOR = "Ý kiến {code} đã được xử lý lúc {at}: {state}."
DECISION_DONE = "{icon} {code}: {state}."
REFUSED = "Xin lỗi, chỉ kiểm duyệt viên và quản trị viên mới xử lý được hàng chờ kiểm duyệt."
BAD_BUTTON = "Nút này không còn dùng được. Dùng lệnh /duyet, /hanche, /spam hoặc /sua."
CHOOSE_TOPIC = "Chọn lĩnh vực đúng cho {code} (hiện tại: {current}):"
CHOOSE_KIND = "Chọn loại đúng cho {code} (hiện tại: {current}):"
CORRECTED = "Đã sửa {field} của {code}: {before} → {after}."
CORRECTED_SAME = "{field} của {code} đã là {value}; không có gì thay đổi."
FIELD_TOPIC = "lĩnh vực"
FIELD_KIND = "loại"
RESTRICTED_BY_RULE = "Ý kiến tố cáo được hạn chế theo quy định."

DECIDE_USAGE = "Cách dùng: /{command} MÃ (ví dụ /{command} YK-7F3Q9X)."
FIX_USAGE = (
    "Cách dùng: /sua MÃ linhvuc=… loai=… (một hoặc cả hai), ví dụ "
    "/sua YK-7F3Q9X linhvuc=moi_truong loai=phan_anh.\n"
    "Lĩnh vực: {topics}.\n"
    "Loại: {kinds}."
)
FIX_UNKNOWN = "Không nhận ra {field} «{value}»."

# --- duty ---------------------------------------------------------------------------------------
DUTY_ON_WORDS = ("bat", "on")
DUTY_OFF_WORDS = ("tat", "off")
DUTY_IS_ON = (
    "Bạn đang trực: cảnh báo khẩn (đe dọa, khẩn cấp) được gửi ngay cho bạn. Tắt: /truc tat."
)
DUTY_IS_OFF = "Bạn đang không trực. Bật để nhận cảnh báo khẩn ngay: /truc bat."
DUTY_TURNED_ON = "Đã bật trực: cảnh báo khẩn sẽ được gửi ngay cho bạn."
DUTY_TURNED_OFF = "Đã tắt trực."
DUTY_USAGE = "Cách dùng: /truc (xem), /truc bat (bật), /truc tat (tắt)."

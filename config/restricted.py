"""Restricted items and the whistle-blower's identity: what officers and operators read.

A restricted item (a denunciation, a threat, an insult, or what a moderator restricted) is read
in full only by moderators, admins and the designated officers of the competent unit; the
sender's identity is shown only on `/nguoigui`, to a designated officer or an admin, with a
reason that goes to the audit log.
"""

from __future__ import annotations

# /nguoigui: a reason at least this long (characters, spaces trimmed) goes to the audit log.
REVEAL_REASON_MIN_CHARS = 10
REVEAL_REASON_MAX_CHARS = 500

REVEAL_USAGE = (
    "Cú pháp: /nguoigui MÃ lý do (ít nhất {min_chars} ký tự), ví dụ: "
    "/nguoigui YK-ABC234 xác minh nội dung tố cáo theo Luật Tố cáo. "
    "Mỗi lần xem đều được ghi nhật ký (ai, khi nào, vì sao)."
)
REVEAL_REASON_REQUIRED = (
    "Vui lòng ghi rõ lý do xem thông tin người gửi ý kiến {code} (ít nhất {min_chars} ký tự); "
    "lý do được ghi vào nhật ký."
)
REVEAL_REFUSED = (
    "Xin lỗi, chỉ cán bộ được phân công của đơn vị có thẩm quyền hoặc quản trị viên mới xem "
    "được thông tin người gửi ý kiến. Lần yêu cầu này đã được ghi nhật ký."
)
REVEAL_RESULT = (
    "Người gửi ý kiến {code} (chỉ dùng cho việc xử lý, không chia sẻ):\n"
    "• Bí danh: {pseudonym}\n"
    "• Kênh: {channel}\n"
    "• Mã người dùng trên kênh: {external_id}\n"
    "Lần xem này đã được ghi nhật ký với lý do bạn nêu."
)
REVEAL_ERASED = (
    "Người gửi ý kiến {code} đã xóa dữ liệu cá nhân: không còn thông tin nào để hiển thị. "
    "Lần yêu cầu này đã được ghi nhật ký."
)

# Enrollment of designated officers.
INVITE_DESIGNATED = (
    "Bạn là cán bộ được phân công: bạn đọc được toàn văn các ý kiến hạn chế (tố cáo…) trong "
    "phạm vi của đơn vị, và dùng /nguoigui MÃ lý do khi cần xem người gửi (mỗi lần đều được "
    "ghi nhật ký)."
)
INVITE_CREATED_DESIGNATED = "  Cán bộ được phân công: đọc được ý kiến hạn chế trong phạm vi đơn vị."
INVITE_DESIGNATED_OFFICERS_ONLY = (
    "Chỉ vai trò cán bộ (officer) mới được phân công đọc ý kiến hạn chế "
    "(kiểm duyệt viên và quản trị viên đã đọc được tất cả)."
)

"""Per-unit digest schedules and role-targeted deadlines: codes, defaults and what people read."""

from __future__ import annotations

# A unit's digest schedule: which scheduled digests its officers receive.
DIGEST_MONTHLY = "monthly"
DIGEST_WEEKLY = "weekly"
DIGEST_BOTH = "both"
DIGEST_OFF = "off"
DIGEST_SCHEDULES: dict[str, str] = {
    DIGEST_MONTHLY: "hằng tháng",
    DIGEST_WEEKLY: "hằng tuần",
    DIGEST_BOTH: "hằng tháng và hằng tuần",
    DIGEST_OFF: "không gửi",
}
DEFAULT_DIGEST = DIGEST_MONTHLY
# 0 = Monday … 6 = Sunday (Python's date.weekday()); a day off moves to the next working day.
DEFAULT_DIGEST_WEEKDAY = 0
WEEKDAY_NAMES = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")

# Roles a deadline may target (residents report nothing).
DEADLINE_ROLES = ("officer", "moderator", "admin")

UNIT_BAD_DIGEST = "lịch gửi tổng hợp «{digest}» không hợp lệ (một trong: {choices})"
UNIT_BAD_WEEKDAY = "ngày gửi tổng hợp tuần «{weekday}» không hợp lệ (0 = Thứ Hai … 6 = Chủ nhật)"
# Appended to a unit's line in `ykien units list`.
UNIT_SCHEDULE = " · tổng hợp: {digest}"
UNIT_SCHEDULE_WEEKLY = " · tổng hợp: {digest} ({weekday})"

DEADLINE_BAD_ROLE = "vai trò «{role}» không hợp lệ (một trong: {roles})"
DEADLINE_TARGET_ROLES = "mọi {roles}"
# A role-targeted deadline for someone without a unit: "Bạn đã hoàn thành …", "… của bạn".
DEADLINE_DONE_BY_YOU = "Bạn"
DEADLINE_REMINDER_YOU = "bạn"

"""Roles, unit kinds and enrollment settings: codes are stable, names are what people read."""

from __future__ import annotations

# Everyone is a resident until an invite (or the bootstrap setting) says otherwise.
ROLE_NAMES: dict[str, str] = {
    "resident": "cư dân",
    "officer": "cán bộ",
    "moderator": "kiểm duyệt viên",
    "admin": "quản trị viên",
}
INVITABLE_ROLES = ("officer", "moderator", "admin")

UNIT_KINDS: dict[str, str] = {
    "mttq": "Ủy ban Mặt trận Tổ quốc",
    "cong_doan": "Công đoàn",
    "hoi_nong_dan": "Hội Nông dân",
    "hoi_lhpn": "Hội Liên hiệp Phụ nữ",
    "hoi_ccb": "Hội Cựu chiến binh",
    "doan_tn": "Đoàn Thanh niên",
    "hoi_nct": "Hội Người cao tuổi",
}

# Invites: how long they live unless `--expires` says otherwise, and at most.
INVITE_DEFAULT_EXPIRES = "7d"
INVITE_MAX_DAYS = 90
# The short code for channels without deep links: no 0/O, 1/I/L, so it survives dictation.
INVITE_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
INVITE_CODE_LENGTH = 8

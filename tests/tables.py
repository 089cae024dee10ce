"""Dialogue tables every channel must pass: `tests/integration/test_dialogue_channels.py` runs
each table in `SHARED_TABLES` on every channel of `tests/channels.py` that can do what it needs.

Add a flow here and it runs on every channel at once: that is how a new flow cannot forget one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from config import taxonomy, texts
from tests.dialogue import NOTICE, RECEIPT, Match, ask_text

FLOOD = "Đường Lê Lợi đoạn trước chợ ngập sâu mỗi khi mưa lớn, đề nghị nạo vét cống thoát nước."
BEN_THANH = "Phường Bến Thành, Thành phố Hồ Chí Minh"

Row = tuple[tuple[str, ...], list[str | Match]]


@dataclass(frozen=True)
class Table:
    """A dialogue, what it needs from a channel, and how many submissions it leaves stored."""

    rows: list[Row]
    requires: frozenset[str] = field(default_factory=frozenset)
    stored: int = 0


def _summary(photos: int, location: bool, locality: str, group: str, kind: str) -> str:
    if photos:
        where = texts.SUMMARY_WITH_LOCATION if location else ""
        attachments = texts.SUMMARY_ATTACHMENTS.format(photos=photos, location=where)
    else:
        attachments = texts.SUMMARY_ONLY_LOCATION if location else texts.SUMMARY_NONE
    return texts.SUMMARY.format(
        kind=taxonomy.KINDS[kind],
        text=FLOOD,
        attachments=attachments,
        locality=locality,
        group=group,
    )


_START = [
    (("cmd", "start"), [texts.WELCOME, NOTICE]),
    (("press", "consent:yes"), [texts.CHOOSE_KIND]),
    (("press", "kind:phan_anh"), [ask_text("phan_anh")]),
    (("say", FLOOD), [texts.ASK_ATTACHMENTS]),
]
_LOCALITY_AND_GROUP: list[Row] = [
    (("press", "att:done"), [texts.ASK_LOCALITY]),
    (("say", "phuong ben thanh"), [texts.LOCALITY_SET.format(label=BEN_THANH), texts.ASK_GROUP]),
]

SHARED_TABLES: dict[str, Table] = {
    "text only, buttons pressed": Table(
        [
            *_START,
            *_LOCALITY_AND_GROUP,
            (("press", "grp:nong_dan"), [_summary(0, False, BEN_THANH, "Nông dân", "phan_anh")]),
            (("press", "confirm:submit"), [RECEIPT]),
        ],
        stored=1,
    ),
    "with a photo": Table(
        [
            *_START,
            (
                ("photo", "ảnh chụp sáng nay"),
                [texts.ATTACHMENT_PHOTO_ADDED.format(count=1, limit=5)],
            ),
            *_LOCALITY_AND_GROUP,
            (
                ("press", "grp:skip"),
                [_summary(1, False, BEN_THANH, texts.SUMMARY_SKIPPED, "phan_anh")],
            ),
            (("press", "confirm:submit"), [RECEIPT]),
        ],
        requires=frozenset({"photo"}),
        stored=1,
    ),
    "with a location": Table(
        [
            *_START,
            (("location",), [texts.ATTACHMENT_LOCATION_ADDED]),
            *_LOCALITY_AND_GROUP,
            (
                ("press", "grp:skip"),
                [_summary(0, True, BEN_THANH, texts.SUMMARY_SKIPPED, "phan_anh")],
            ),
            (("press", "confirm:submit"), [RECEIPT]),
        ],
        requires=frozenset({"location"}),
        stored=1,
    ),
    "numbers and labels typed": Table(
        [
            (("say", "xin chào"), [texts.WELCOME, NOTICE]),
            (("say", "1"), [texts.CHOOSE_KIND]),
            (("say", "khieu nai"), [texts.KIND_PROCEDURE["khieu_nai"], ask_text("khieu_nai")]),
            (("say", FLOOD), [texts.ASK_ATTACHMENTS]),
            (("say", "tiep tuc"), [texts.ASK_LOCALITY]),
            (("say", "1"), [texts.ASK_GROUP]),
            (
                ("say", str(len(taxonomy.TARGET_GROUPS) + 1)),
                [_summary(0, False, texts.SUMMARY_SKIPPED, texts.SUMMARY_SKIPPED, "khieu_nai")],
            ),
            (
                ("say", "1"),
                [Match(RECEIPT.pattern + "\n\n" + re.escape(texts.KIND_PROCEDURE["khieu_nai"]))],
            ),
        ],
        stored=1,
    ),
    "declining": Table(
        [
            (("cmd", "start"), [texts.WELCOME, NOTICE]),
            (("say", "gửi luôn được không"), [texts.CONSENT_REQUIRED, NOTICE]),
            (("press", "consent:no"), [texts.CONSENT_DECLINED]),
            (("say", "xin chào"), [texts.WELCOME, NOTICE]),
        ]
    ),
    "cancel and help": Table(
        [
            (("cmd", "start"), [texts.WELCOME, NOTICE]),
            (("cmd", "huy"), [texts.NOTHING_TO_CANCEL]),
            (("press", "consent:yes"), [texts.CHOOSE_KIND]),
            (("press", "kind:gop_y"), [ask_text("gop_y")]),
            (("say", FLOOD), [texts.ASK_ATTACHMENTS]),
            (("cmd", "huy"), [texts.CANCELLED]),
            (("cmd", "trogiup"), [texts.HELP]),
            (("cmd", "xyz"), [texts.UNKNOWN_COMMAND.format(command="/xyz")]),
            (("cmd", "trangthai"), [texts.STATUS_USAGE]),
        ]
    ),
    "a sticker is answered politely": Table(
        [
            (("cmd", "start"), [texts.WELCOME, NOTICE]),
            (("press", "consent:yes"), [texts.CHOOSE_KIND]),
            (("sticker",), [texts.UNSUPPORTED["sticker"]]),
            (("press", "kind:gop_y"), [ask_text("gop_y")]),
        ],
        requires=frozenset({"sticker"}),
    ),
}

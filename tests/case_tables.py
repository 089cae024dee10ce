"""Answer-loop dialogue tables every channel must pass (tests/integration/
test_answer_loop_channels.py runs each of `CASE_TABLES` on every channel of tests/channels.py).

A table starts after the resident submitted one case on their channel. Each step is done by the
resident (on the channel) or by the officer of the case's ward (in their own chat), must be
answered with exactly `replies`, and then, once the outbox is delivered as the service does,
exactly `delivered` must have reached the resident's chat. In every text `{code}` stands for the
case's code and `{created}` for the time it was received. A ("rate", N) action is a press on the
answer's button where the channel has buttons, and `/danhgia CODE N` where it has not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from config import cases as config
from config import taxonomy, texts

CODE, CREATED = "{code}", "{created}"
ANSWER = "Phường đã nạo vét cống thoát nước đoạn trước chợ; mời bà con phản ánh nếu còn ngập."
SECOND_ANSWER = "Đã thay nắp cống bị vỡ; nước rút sau mưa trong 30 phút."
FOLLOW_UP = "Sau trận mưa tối qua đoạn đầu hẻm vẫn còn ngập khoảng 20 cm."
REASON = "Tranh chấp hợp đồng giữa hai gia đình là tranh chấp dân sự"
WHERE = "Tòa án nhân dân khu vực 1 Thành phố Hồ Chí Minh"
NOTE = "Đã chuyển Ủy ban nhân dân Thành phố xem xét theo thẩm quyền"


@dataclass(frozen=True)
class Step:
    """One action and what it must produce."""

    actor: str  # "resident" or "officer"
    action: tuple[str, ...]
    replies: list[str]
    delivered: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CaseTable:
    """A case's life after the submission, and what it needs from a channel."""

    steps: list[Step]
    requires: frozenset[str] = field(default_factory=frozenset)


def _changed(status: str) -> str:
    return config.STATUS_CHANGED.format(code=CODE, status=taxonomy.STATUSES[status])


def _status(status: str, extra: str = "") -> str:
    """The resident's /trangthai answer for their flood report in `status`."""
    line = texts.STATUS.format(
        code=CODE,
        kind=taxonomy.KINDS["phan_anh"],
        created=CREATED,
        status=taxonomy.STATUSES[status],
    )
    return line + extra


def _notice(status: str) -> str:
    return config.NOTICES[status].format(code=CODE)


def _answer(text: str) -> str:
    return texts.ANSWER_TO_RESIDENT.format(code=CODE, text=text)


CASE_TABLES: dict[str, CaseTable] = {
    "processed, answered, rated, followed up, reopened, answered again, closed": CaseTable(
        [
            Step("officer", ("cmd", "xuly", CODE), [_changed(config.IN_PROGRESS)], [
                _notice(config.IN_PROGRESS)
            ]),
            Step("officer", ("cmd", "traloi", f"{CODE} {ANSWER}"), [
                texts.ANSWER_SENT.format(code=CODE)
            ], [_answer(ANSWER)]),
            Step("resident", ("rate", "5"), [config.RATE_THANKS.format(code=CODE, rating=5)]),
            Step("resident", ("cmd", "trangthai", CODE), [
                _status(config.ANSWERED, config.STATUS_RATING.format(rating=5))
            ]),
            Step("resident", ("cmd", "bosung", f"{CODE} {FOLLOW_UP}"), [
                config.FOLLOWUP_ADDED.format(code=CODE)
            ]),
            Step("officer", ("cmd", "xuly", CODE), [_changed(config.IN_PROGRESS)], [
                _notice(config.IN_PROGRESS)
            ]),
            # The first answer's rating is stale now: the case is being worked on again.
            Step("resident", ("rate", "4"), [
                config.RATE_NOT_YET.format(
                    code=CODE, status=taxonomy.STATUSES[config.IN_PROGRESS]
                )
            ]),
            Step("officer", ("cmd", "traloi", f"{CODE} {SECOND_ANSWER}"), [
                texts.ANSWER_SENT.format(code=CODE)
            ], [_answer(SECOND_ANSWER)]),
            Step("officer", ("cmd", "dong", CODE), [_changed(config.CLOSED)], [
                _notice(config.CLOSED)
            ]),
            Step("resident", ("rate", "4"), [
                config.RATE_CHANGED.format(code=CODE, before=5, rating=4)
            ]),
            Step("resident", ("cmd", "danhgia", f"{CODE} 9"), [
                config.RATE_BAD_VALUE.format(value="9")
            ]),
        ]
    ),
    "not within the unit's competence: the reason and where to go": CaseTable(
        [
            Step("officer", ("cmd", "khongthuoc", f"{CODE} {REASON} | {WHERE}"), [
                _changed(config.NOT_COMPETENT)
            ], [
                config.NOTICES[config.NOT_COMPETENT].format(code=CODE, reason=REASON, where=WHERE)
            ]),
            Step("resident", ("cmd", "trangthai", CODE), [
                _status(
                    config.NOT_COMPETENT,
                    config.STATUS_NOT_COMPETENT.format(reason=REASON, where=WHERE),
                )
            ]),
            Step("resident", ("rate", "5"), [
                config.RATE_NOT_YET.format(
                    code=CODE, status=taxonomy.STATUSES[config.NOT_COMPETENT]
                )
            ]),
            Step("officer", ("cmd", "xuly", CODE), [
                config.TRANSITION_REFUSED.format(
                    code=CODE,
                    current=taxonomy.STATUSES[config.NOT_COMPETENT],
                    new=taxonomy.STATUSES[config.IN_PROGRESS],
                )
            ]),
        ]
    ),
    "escalated with a note, answered from above, rated": CaseTable(
        [
            Step("officer", ("cmd", "chuyen", f"{CODE} {NOTE}"), [_changed(config.ESCALATED)], [
                _notice(config.ESCALATED) + config.NOTICE_NOTE.format(note=NOTE)
            ]),
            Step("resident", ("cmd", "trangthai", CODE), [
                _status(config.ESCALATED, config.STATUS_NOTE.format(note=NOTE))
            ]),
            Step("officer", ("cmd", "traloi", f"{CODE} {ANSWER}"), [
                texts.ANSWER_SENT.format(code=CODE)
            ], [_answer(ANSWER)]),
            Step("resident", ("rate", "3"), [config.RATE_THANKS.format(code=CODE, rating=3)]),
        ]
    ),
}  # fmt: skip

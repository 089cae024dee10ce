"""The answer loop: a case's status lifecycle, and the resident's side of it.

đã tiếp nhận → đang xử lý → đã trả lời → đã đóng, or chuyển cấp trên, or không thuộc thẩm
quyền (config.cases.TRANSITIONS). Every change is stored atomically (a lost race stores
nothing), audited once with before/after, and told to the resident on their own channel
through the outbox, quoting the case code. Residents rate an answer (1-5) and add follow-ups
to the same case.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo
from enum import Enum
from typing import TYPE_CHECKING

from config import cases as config
from config import taxonomy, texts
from handlers.codes import parse_reference_code, split_code
from handlers.ports import UnitOfWork
from nlp.pii import redact
from storage.records import FollowupRecord, PersonRecord, SubmissionRecord

if TYPE_CHECKING:  # handlers.roles imports this module
    from handlers.roles import Scope


class Outcome(Enum):
    """What a status change came to."""

    NOT_ALLOWED = "not_allowed"  # not a transition of the current status: nothing stored
    CONFLICT = "conflict"  # someone changed the status meanwhile: nothing stored
    RELAYED = "relayed"  # stored, the resident's notice queued
    NOT_RELAYED = "not_relayed"  # stored; the resident erased their data, nobody to tell


def allowed(current: str, new: str) -> bool:
    """Whether a case in status `current` may go to `new`."""
    return new in config.TRANSITIONS.get(current, frozenset())


def status_name(code: str) -> str:
    """A status as residents and officers read it."""
    return taxonomy.STATUSES.get(code, code)


def rating_buttons(code: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    """One row of 1-5 rating buttons for the answer to case `code`."""
    values = range(config.RATING_MIN, config.RATING_MAX + 1)
    return (
        tuple((config.RATE_BUTTON.format(n=n), f"{config.RATE_PREFIX}{code}:{n}") for n in values),
    )


def notice_text(code: str, status: str, reason: str | None) -> str:
    """The notice a resident gets when their case `code` takes `status`."""
    if status == config.NOT_COMPETENT:
        why, where = _reason_parts(reason)
        return config.NOTICES[status].format(code=code, reason=why, where=where)
    text = config.NOTICES.get(status, config.NOTICES[config.IN_PROGRESS]).format(code=code)
    if reason:
        text += config.NOTICE_NOTE.format(note=reason)
    return text


def _reason_parts(reason: str | None) -> tuple[str, str]:
    """(lý do, nơi nên gửi tới) of a không-thuộc-thẩm-quyền reason as stored."""
    why, _, where = (reason or "").partition(config.REASON_SEPARATOR)
    return why.strip(), where.strip()


async def change_status(
    uow: UnitOfWork,
    submission: SubmissionRecord,
    new_status: str,
    *,
    actor: PersonRecord,
    now: datetime,
    reason: str | None = None,
    audit: bool = True,
) -> bool:
    """Move a case to `new_status` and tell its resident; False when not allowed or lost.

    `audit=False` lets a caller that writes its own audit row for the same decision (a
    moderator's "Chuyển cấp trên") keep it to one row per change.
    """
    outcome = await _change(
        uow, submission, new_status, actor=actor, now=now, reason=reason, audit=audit
    )
    return outcome in (Outcome.RELAYED, Outcome.NOT_RELAYED)


async def _change(
    uow: UnitOfWork,
    submission: SubmissionRecord,
    new_status: str,
    *,
    actor: PersonRecord,
    now: datetime,
    reason: str | None = None,
    audit: bool = True,
    answer: str | None = None,
) -> Outcome:
    """The status change, with the answer stored and relayed instead of a notice if given."""
    before = submission.status
    if not allowed(before, new_status):
        return Outcome.NOT_ALLOWED
    changed = await uow.cases.change_status(
        submission.id,
        before=before,
        after=new_status,
        at=now,
        reason=reason,
        answered=new_status == config.ANSWERED,
    )
    if not changed:
        return Outcome.CONFLICT
    code = submission.code
    details: dict[str, object] = {"before": before, "after": new_status}
    if reason:
        details["reason"] = reason
    answer_id = None
    if answer is not None:
        answer_id = await uow.answers.add(
            submission_id=submission.id, person_id=actor.id, text=answer, at=now
        )
        details["answer"] = answer_id
    recipient = await uow.answers.recipient(submission.id)
    if recipient is not None:
        channel, chat_id = recipient
        if answer_id is not None:
            key = f"answer:{answer_id}"
            text = texts.ANSWER_TO_RESIDENT.format(code=code, text=answer)
            buttons = rating_buttons(code)
        else:
            # A case can take the same status twice (reopened): number its notices.
            earlier = await uow.outbox.find(code, f"status:{submission.id}:")
            key = f"status:{submission.id}:{new_status}:{len(earlier)}"
            text, buttons = notice_text(code, new_status, reason), ()
        await uow.outbox.enqueue(
            key=key,
            channel=channel,
            chat_id=chat_id,
            text=text,
            due_at=now,
            now=now,
            buttons=buttons,
            subject=code,
        )
    details["relayed"] = recipient is not None
    if audit:
        await uow.audit.add(
            actor=actor.pseudonym,
            action="submission.answered" if answer is not None else "submission.status",
            subject=code,
            at=now,
            details=details,
        )
    return Outcome.RELAYED if recipient is not None else Outcome.NOT_RELAYED


# --- officers -----------------------------------------------------------------------------------


async def answer(
    uow: UnitOfWork, person: PersonRecord, submission: SubmissionRecord, content: str, now: datetime
) -> str:
    """`/traloi`: store the answer, mark the case answered and relay both to the resident.

    One status change, one audit row ("submission.answered"); the relay's key is the answer's
    id, and it carries the rating buttons and the commands to type where there are none.
    """
    outcome = await _change(uow, submission, config.ANSWERED, actor=person, now=now, answer=content)
    return _officer_reply(submission, config.ANSWERED, outcome, answered=True)


async def officer_command(
    uow: UnitOfWork,
    person: PersonRecord,
    scope: Scope,
    command: str,
    args: str,
    now: datetime,
    may_handle: Callable[[SubmissionRecord], bool],
) -> str:
    """`/xuly`, `/dong`, `/chuyen`, `/khongthuoc` on a case within the officer's scope.

    Outside the scope reads the same as a missing code; `may_handle` says whether this officer
    may deal with a restricted case.
    """
    new_status = config.STATUS_COMMANDS[command]
    usage = config.STATUS_USAGE[command]
    parsed = split_code(args)
    if parsed is None:
        return usage
    code, shown, rest = parsed
    submission = await uow.submissions.get_by_code(code) if code else None
    if submission is None or not scope.covers(submission):
        return config.CASE_NOT_FOUND.format(code=shown)
    reason: str | None = None
    if new_status == config.NOT_COMPETENT:
        why, separator, where = rest.partition(config.REASON_SEPARATOR)
        if not separator or not why.strip() or not where.strip():
            return usage
        reason = f"{why.strip()} {config.REASON_SEPARATOR} {where.strip()}"
    elif new_status == config.ESCALATED:
        reason = rest or None
    elif rest:
        return usage  # /xuly and /dong take no note: say so rather than drop it
    if reason and len(reason) > config.REASON_MAX_CHARS:
        return config.REASON_TOO_LONG.format(length=len(reason), limit=config.REASON_MAX_CHARS)
    if not may_handle(submission):
        return config.CASE_RESTRICTED.format(code=submission.code)
    outcome = await _change(uow, submission, new_status, actor=person, now=now, reason=reason)
    return _officer_reply(submission, new_status, outcome)


def refusal(submission: SubmissionRecord, new_status: str) -> str | None:
    """Why `submission` cannot take `new_status` now, or None when it can."""
    if allowed(submission.status, new_status):
        return None
    return config.TRANSITION_REFUSED.format(
        code=submission.code, current=status_name(submission.status), new=status_name(new_status)
    )


def _officer_reply(
    submission: SubmissionRecord, new_status: str, outcome: Outcome, *, answered: bool = False
) -> str:
    code = submission.code
    if outcome is Outcome.NOT_ALLOWED:
        return refusal(submission, new_status) or ""
    if outcome is Outcome.CONFLICT:
        return config.CHANGE_CONFLICT.format(code=code)
    if answered:
        if outcome is Outcome.RELAYED:
            return texts.ANSWER_SENT.format(code=code)
        return texts.ANSWER_NOT_RELAYED.format(code=code)
    template = (
        config.STATUS_CHANGED if outcome is Outcome.RELAYED else config.STATUS_CHANGED_NOT_RELAYED
    )
    return template.format(code=code, status=status_name(new_status))


async def view_details(
    uow: UnitOfWork, submission: SubmissionRecord, *, hidden: bool, tz: tzinfo
) -> str:
    """What `/xem` adds below a case's text: the reason, the rating, the follow-ups.

    Follow-ups are hidden (counted) exactly when the case's text is hidden from the reader.
    """
    lines: list[str] = []
    if submission.status_reason:
        lines.append(config.VIEW_REASON.format(reason=submission.status_reason))
    if submission.rating is not None:
        lines.append(config.VIEW_RATING.format(rating=submission.rating))
    followups = await uow.cases.followups(submission.id)
    if followups and hidden:
        lines.append(config.VIEW_FOLLOWUPS_HIDDEN.format(count=len(followups)))
    elif followups:
        lines.append(config.VIEW_FOLLOWUPS.format(count=len(followups)))
        for followup in followups[-config.VIEW_FOLLOWUPS_SHOWN :]:
            text = redact(followup.text)
            if len(text) > config.VIEW_FOLLOWUP_CHARS:
                text = text[: config.VIEW_FOLLOWUP_CHARS].rstrip() + "…"
            at = _local(followup.created_at, tz)
            lines.append(config.VIEW_FOLLOWUP.format(at=at, text=text))
    return "\n\n" + "\n".join(lines) if lines else ""


# --- residents ----------------------------------------------------------------------------------


async def _own_case(
    uow: UnitOfWork, person: PersonRecord | None, code: str | None
) -> SubmissionRecord | None:
    """The case `code` if it is `person`'s; someone else's reads as missing."""
    submission = await uow.submissions.get_by_code(code) if code else None
    if submission is None or person is None or submission.person_id != person.id:
        return None
    return submission


async def rate_command(
    uow: UnitOfWork, person: PersonRecord | None, args: str, now: datetime
) -> str:
    """`/danhgia MÃ ĐIỂM`."""
    parsed = split_code(args)
    if parsed is None or not parsed[2]:
        return config.RATE_USAGE
    code, shown, value = parsed
    return await _rate(uow, person, code, shown, value, now)


def is_rate_button(payload: str) -> bool:
    """Whether a button payload is a rating from a relayed answer (valid in any state)."""
    return payload.startswith(config.RATE_PREFIX)


async def rate_button(
    uow: UnitOfWork, person: PersonRecord | None, payload: str, now: datetime
) -> str:
    """A press on "rate:MÃ:ĐIỂM" under a relayed answer."""
    code_text, _, value = payload[len(config.RATE_PREFIX) :].rpartition(":")
    return await _rate(uow, person, parse_reference_code(code_text), code_text[:20], value, now)


async def _rate(
    uow: UnitOfWork,
    person: PersonRecord | None,
    code: str | None,
    shown: str,
    value: str,
    now: datetime,
) -> str:
    value = value.strip()
    # isdecimal, not isdigit: "²" is a digit that int() refuses (and so are 4,301 digits).
    digits = value.isdecimal() and len(value) < 10
    if not digits or not config.RATING_MIN <= int(value) <= config.RATING_MAX:
        return config.RATE_BAD_VALUE.format(value=value[:10])
    submission = await _own_case(uow, person, code)
    if submission is None or person is None:
        return texts.STATUS_NOT_FOUND.format(code=shown)
    if submission.status not in config.RATABLE:
        return config.RATE_NOT_YET.format(
            code=submission.code, status=status_name(submission.status)
        )
    rating, before = int(value), submission.rating
    if rating == before:
        return config.RATE_SAME.format(code=submission.code, rating=rating)
    stored = await uow.cases.rate(
        submission.id,
        person_id=person.id,
        before=before,
        rating=rating,
        statuses=tuple(config.RATABLE),
        at=now,
    )
    if not stored:
        return config.RATE_CONFLICT.format(code=submission.code)
    await uow.audit.add(
        actor=person.pseudonym,
        action="submission.rated",
        subject=submission.code,
        at=now,
        details={"before": before, "after": rating},
    )
    if before is None:
        return config.RATE_THANKS.format(code=submission.code, rating=rating)
    return config.RATE_CHANGED.format(code=submission.code, before=before, rating=rating)


async def follow_up(
    uow: UnitOfWork, person: PersonRecord | None, args: str, now: datetime, *, max_chars: int
) -> str:
    """`/bosung MÃ nội dung`: more words attached to the resident's own case."""
    parsed = split_code(args)
    if parsed is None:
        return config.FOLLOWUP_USAGE
    code, shown, content = parsed
    submission = await _own_case(uow, person, code)
    if submission is None or person is None:
        return texts.STATUS_NOT_FOUND.format(code=shown)
    if not content:
        return config.FOLLOWUP_USAGE
    if len(content) > max_chars:
        return config.FOLLOWUP_TOO_LONG.format(length=len(content), limit=max_chars)
    followup_id = await uow.cases.add_followup(
        submission.id, person_id=person.id, text=content, at=now
    )
    await uow.audit.add(
        actor=person.pseudonym,
        action="submission.followup",
        subject=submission.code,
        at=now,
        details={"followup": followup_id, "chars": len(content)},
    )
    return config.FOLLOWUP_ADDED.format(code=submission.code)


def status_details(submission: SubmissionRecord) -> str:
    """What `/trangthai` adds after the status: its reason, and the resident's rating."""
    extra = ""
    reason = submission.status_reason
    if reason and submission.status == config.NOT_COMPETENT:
        why, where = _reason_parts(reason)
        extra += config.STATUS_NOT_COMPETENT.format(reason=why, where=where)
    elif reason and submission.status == config.ESCALATED:
        extra += config.STATUS_NOTE.format(note=reason)
    elif reason:
        extra += config.STATUS_REASON.format(reason=reason)
    if submission.rating is not None:
        extra += config.STATUS_RATING.format(rating=submission.rating)
    return extra


def my_data_lines(
    submission: SubmissionRecord, followups: Sequence[FollowupRecord], tz: tzinfo
) -> list[str]:
    """`/dulieucuatoi` lines under one of the resident's cases: rating and follow-ups."""
    lines = []
    if submission.rating is not None:
        lines.append(config.MY_DATA_RATING.format(rating=submission.rating))
    lines += [
        config.MY_DATA_FOLLOWUP.format(at=_local(followup.created_at, tz), text=followup.text)
        for followup in followups
        if followup.submission_id == submission.id
    ]
    return lines


def _local(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime(texts.DATETIME_FORMAT)

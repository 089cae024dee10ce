"""Plain records the repositories return; no SQLAlchemy types leak past this module's users."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class PersonRecord:
    """One channel identity of a resident (or officer), known by a pseudonym internally."""

    id: int
    pseudonym: str
    channel: str
    external_id: str
    role: str
    consent_version: str | None
    consent_at: datetime | None
    created_at: datetime
    unit_code: str | None = None
    topics: tuple[str, ...] = ()  # empty: every topic
    on_duty: bool = False  # a moderator on duty gets urgent alerts at once
    designated: bool = False  # reads restricted items of their scope (officers)


@dataclass(frozen=True)
class ConversationRecord:
    """Where a person is in a conversation, and the draft being built."""

    channel: str
    external_id: str
    state: str
    data: dict[str, Any]
    updated_at: datetime


@dataclass(frozen=True)
class AttachmentRecord:
    """Photo or location metadata attached to a submission."""

    kind: str
    file_id: str | None = None
    file_unique_id: str | None = None
    width: int | None = None
    height: int | None = None
    file_size: int | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class NewSubmission:
    """What the intake conversation hands to storage when the resident confirms."""

    code: str
    person_id: int
    kind: str
    text: str
    channel: str
    created_at: datetime
    status: str
    locality_code: str | None = None
    locality_name: str | None = None
    province_code: str | None = None
    target_group: str | None = None
    attachments: tuple[AttachmentRecord, ...] = ()
    # Labels from the NLP: the field, the kind the text reads as (the resident chose `kind`),
    # calibrated confidences, moderation flags with evidence, and whether a person must check.
    topic: str | None = None
    topic_confidence: float | None = None
    predicted_kind: str | None = None
    kind_confidence: float | None = None
    flags: tuple[dict[str, Any], ...] = ()
    needs_review: bool = False
    answer_due_at: datetime | None = None


@dataclass(frozen=True)
class SubmissionRecord:
    """A stored submission with its labels (the NLP fills the label fields)."""

    id: int
    code: str
    person_id: int | None
    kind: str
    text: str
    channel: str
    created_at: datetime
    status: str
    locality_code: str | None
    locality_name: str | None
    province_code: str | None
    target_group: str | None
    topic: str | None
    topic_confidence: float | None
    kind_confidence: float | None
    predicted_kind: str | None
    flags: list[Any]
    cluster_id: int | None
    needs_review: bool
    attachments: tuple[AttachmentRecord, ...] = field(default=())
    answer_due_at: datetime | None = None
    answered_at: datetime | None = None
    review_state: str | None = None  # None: no review asked; see config.review
    reviewed_at: datetime | None = None
    restricted: bool = False  # a moderator restricted it (a denunciation is restricted anyway)
    status_reason: str | None = None
    status_changed_at: datetime | None = None
    rating: int | None = None
    rated_at: datetime | None = None


@dataclass(frozen=True)
class ClusterRecord:
    """Submissions about one problem in one scope; the text is unredacted (redact to show it)."""

    id: int
    scope: str
    size: int
    representative_submission_id: int
    representative_text: str


@dataclass(frozen=True)
class UnitRecord:
    """A Front committee or member organisation in the unit tree."""

    code: str
    name: str
    kind: str
    parent_code: str | None = None
    locality_code: str | None = None
    target_group: str | None = None
    digest: str = "monthly"  # monthly | weekly | both | off
    digest_weekday: int = 0  # 0 = Monday


@dataclass(frozen=True)
class InviteRecord:
    """An enrollment invite as stored (hashes of its secrets are not carried past storage)."""

    id: int
    role: str
    unit_code: str
    topics: tuple[str, ...]
    expires_at: datetime
    used_at: datetime | None
    used_by_person_id: int | None
    created_at: datetime
    designated: bool = False


@dataclass(frozen=True)
class UnitUsage:
    """What still belongs to a unit (a unit is only removed when all are zero)."""

    children: int
    people: int
    invites: int


@dataclass(frozen=True)
class AuditRecord:
    """One audit entry: who (a pseudonym or "system"), what, when, to which subject."""

    id: int
    at: datetime
    actor: str
    action: str
    subject: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class OutboxRef:
    """Where an outbox message went (or will go), to find and edit it later."""

    key: str
    channel: str
    chat_id: str
    message_id: str | None
    sent: bool


@dataclass(frozen=True)
class FollowupRecord:
    """More words from a resident on their own case (`/bosung`)."""

    id: int
    submission_id: int
    code: str
    text: str
    created_at: datetime


# Rules the SQL and the chat share (handlers read these; storage.sql builds its conditions).
# Statuses that still wait for an answer.
AWAITING_STATUSES = ("da_tiep_nhan", "dang_xu_ly")
# A restricted submission, whose text only moderators, admins and designated officers in scope
# read (handlers.roles.may_read): a denunciation, one a moderator restricted, or one flagged as a
# denunciation, an insult or a threat. Counted everywhere, quoted nowhere else.
SENSITIVE_KIND = "to_cao"
SENSITIVE_FLAGS = ("to_cao", "xuc_pham", "de_doa")

"""SQLAlchemy 2 table definitions; Alembic migrations in `storage/migrations` must match them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# SQLite only auto-increments INTEGER PRIMARY KEY, PostgreSQL wants BIGINT for millions of rows.
BigId = BigInteger().with_variant(Integer(), "sqlite")
JsonData = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (no time zones) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Store UTC; refuse naive datetimes, which would be ambiguous."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UtcDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class Base(DeclarativeBase):
    """Declarative base bound to the shared metadata."""

    metadata = metadata


class Person(Base):
    """One row per channel identity; `pseudonym` is what reports and logs may show."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    pseudonym: Mapped[str] = mapped_column(String(24), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), default="resident")
    consent_version: Mapped[str | None] = mapped_column(String(16))
    consent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # No database foreign key to units (see migration 0005); an empty list means all topics.
    unit_code: Mapped[str | None] = mapped_column(String(32), index=True)
    topics: Mapped[list[Any]] = mapped_column(JsonData, default=list, server_default=text("'[]'"))
    # Moderators on duty get urgent alerts at once; designated officers read restricted items of
    # their scope and may reveal a whistle-blower's identity (audited). Migration 0011.
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    designated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Conversation(Base):
    """Conversation state keyed by channel identity, shared by every bot process."""

    __tablename__ = "conversations"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Submission(Base):
    """An opinion, petition, complaint or question, with the labels the NLP assigns."""

    __tablename__ = "submissions"
    __table_args__ = (
        Index(None, "created_at"),
        Index(None, "province_code", "created_at"),
        Index(None, "person_id"),
        Index(None, "status"),
        Index(None, "answer_due_at"),
        # A cluster's members, newest first, without sorting the whole cluster.
        Index(None, "cluster_id", "id"),
        Index(None, "review_state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    person_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("people.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(32))
    locality_code: Mapped[str | None] = mapped_column(String(8))
    locality_name: Mapped[str | None] = mapped_column(String(200))
    province_code: Mapped[str | None] = mapped_column(String(4))
    target_group: Mapped[str | None] = mapped_column(String(32))
    topic: Mapped[str | None] = mapped_column(String(32))
    topic_confidence: Mapped[float | None] = mapped_column(Float)
    kind_confidence: Mapped[float | None] = mapped_column(Float)
    flags: Mapped[list[Any]] = mapped_column(JsonData, default=list)
    cluster_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("clusters.id"))
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    # MinHash of the text (little-endian uint32s), kept for comparing later submissions.
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    predicted_kind: Mapped[str | None] = mapped_column(String(16))
    # When the answer is due (working days per kind, from the calendar) and when it was given.
    answer_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Moderation (migration 0011): None when nothing asked for a review, else cho_duyet until
    # a moderator decides (config.review.REVIEW_STATES); `restricted` hides the text.
    review_state: Mapped[str | None] = mapped_column(String(16))
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    restricted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The answer loop: why the status is what it is (không thuộc thẩm quyền: reason and where
    # to go), when it last changed, and the resident's 1-5 rating of the answer.
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    rating: Mapped[int | None] = mapped_column(Integer)
    rated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # When the retention job replaced the raw text by its redacted form (migration 0014).
    raw_erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Cluster(Base):
    """Submissions about one problem in one scope (a commune or province and a month)."""

    __tablename__ = "clusters"
    __table_args__ = (Index(None, "scope", "size"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    # The first submission; no foreign key, so that clusters and submissions do not reference
    # each other in a cycle (submissions are anonymised, never deleted).
    representative_submission_id: Mapped[int] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ClusterKey(Base):
    """An LSH band key of a cluster's members; the primary key doubles as the lookup index."""

    __tablename__ = "cluster_keys"
    __table_args__ = ({"sqlite_with_rowid": False},)

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    band_key: Mapped[str] = mapped_column(String(16), primary_key=True)
    cluster_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("clusters.id", ondelete="CASCADE"), primary_key=True
    )
    # The first member that brought the key: compared with a new submission that shares it.
    submission_id: Mapped[int] = mapped_column(BigId)


class Attachment(Base):
    """Photo or location metadata of a submission (photos stay on the channel's servers)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    file_id: Mapped[str | None] = mapped_column(Text)  # a Telegram file id or a Zalo photo URL
    file_unique_id: Mapped[str | None] = mapped_column(String(128))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    file_size: Mapped[int | None] = mapped_column(Integer)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class InboundUpdate(Base):
    """Every processed inbound update; the key makes re-delivery a no-op."""

    __tablename__ = "inbound_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    # Indexed: keys older than the channels' re-delivery window are pruned (bot.housekeeping).
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class AuditEntry(Base):
    """Who did what, when, to which subject; never the message text."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=lambda: datetime.now(UTC))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)


class ChannelToken(Base):
    """OAuth tokens of a channel account (e.g. a Zalo OA); `version` guards single-use refresh."""

    __tablename__ = "channel_tokens"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    access_expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    refresh_token: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ChannelContact(Base):
    """What a channel needs to know to reach a person: their last message, and if it cannot."""

    __tablename__ = "channel_contacts"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_message_id: Mapped[str | None] = mapped_column(String(128))
    last_inbound_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    replies_to_last: Mapped[int] = mapped_column(Integer, default=0)
    unreachable_since: Mapped[datetime | None] = mapped_column(UtcDateTime())


class PendingMessage(Base):
    """A reply the channel refused (the person is out of reach), kept until they write again."""

    __tablename__ = "pending_messages"
    __table_args__ = (Index(None, "channel", "external_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Unit(Base):
    """A Front committee or member organisation; `parent_code` makes the tree."""

    __tablename__ = "units"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("units.code"), index=True
    )
    locality_code: Mapped[str | None] = mapped_column(String(8))
    target_group: Mapped[str | None] = mapped_column(String(32))
    # Which scheduled digests the unit's officers get (monthly | weekly | both | off), and the
    # weekly one's weekday (0 = Monday).
    digest: Mapped[str] = mapped_column(String(16), default="monthly", server_default="monthly")
    digest_weekday: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Invite(Base):
    """A single-use, expiring enrollment invite; only hashes of its token and code are kept."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    unit_code: Mapped[str] = mapped_column(String(32), ForeignKey("units.code"))
    topics: Mapped[list[Any]] = mapped_column(JsonData, default=list)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # An erased person leaves the invite used, by nobody in particular.
    used_by_person_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("people.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The invitee becomes a designated officer (reads restricted items; migration 0011).
    designated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class OutboxMessage(Base):
    """A scheduled message: its unique key (recipient, what, period) makes a second enqueue,
    by a restart or a second scheduler, a no-op; `sent_at` records the delivery."""

    __tablename__ = "outbox"
    __table_args__ = (Index(None, "sent_at", "due_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    attempted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(String(200))
    # Paths of report files sent after the text, in order (migration 0009). A plain string
    # default: `text` is a column of this class.
    files: Mapped[list[Any]] = mapped_column(JsonData, default=list, server_default="[]")
    # Migration 0011: inline buttons ([[label, payload], ...]) on channels that have them; the
    # key of an earlier message this one replaces by editing it (or follows, where a channel
    # cannot edit); the id the channel gave the sent message; what it is about (a case code).
    buttons: Mapped[list[Any]] = mapped_column(JsonData, default=list, server_default="[]")
    edit_key: Mapped[str | None] = mapped_column(String(200))
    message_id: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(64), index=True)


class Answer(Base):
    """An officer's answer to a submission; relayed to the resident through the outbox."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    # The author; an erased officer leaves the answer, by nobody in particular.
    person_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("people.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Followup(Base):
    """More words from the resident on their own case (`/bosung`); it stays one case."""

    __tablename__ = "followups"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("people.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LabelCorrection(Base):
    """A moderator's correction of a label (`field`: topic or kind); `ykien nlp train
    --with-corrections` learns from the latest one per submission and field."""

    __tablename__ = "label_corrections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[str] = mapped_column(String(8))
    before: Mapped[str | None] = mapped_column(String(32))
    after: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("people.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Deadline(Base):
    """A reporting deadline: monthly on a day (moved to the nearest working day) or once on a date,
    for listed units and for every unit of listed kinds; reminders `offsets` working days before."""

    __tablename__ = "deadlines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    recurrence: Mapped[str] = mapped_column(String(16))  # "monthly" | "once"
    day_of_month: Mapped[int | None] = mapped_column(Integer)
    due_date: Mapped[date | None] = mapped_column(Date)
    unit_codes: Mapped[list[Any]] = mapped_column(JsonData, default=list)
    unit_kinds: Mapped[list[Any]] = mapped_column(JsonData, default=list)
    offsets: Mapped[list[Any]] = mapped_column(JsonData, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Roles it targets too: everyone with one of them is reminded (no unit needed).
    roles: Mapped[list[Any]] = mapped_column(JsonData, default=list, server_default=text("'[]'"))


class DeadlineDone(Base):
    """A unit's word that it met one period of a deadline ("YYYY-MM", or the one-off's date)."""

    __tablename__ = "deadline_done"
    __table_args__ = (UniqueConstraint("deadline_id", "unit_code", "period"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    deadline_id: Mapped[int] = mapped_column(BigId, ForeignKey("deadlines.id", ondelete="CASCADE"))
    unit_code: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(16))
    done_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # An erased person leaves the mark, made by nobody in particular.
    person_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("people.id", ondelete="SET NULL")
    )


class Consultation(Base):
    """A consultation on a draft document: the draft's sections take residents' positions and
    comments between `opens_at` and `closes_at`; the synthesis report is due on `report_due`."""

    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(500))
    issuer: Mapped[str] = mapped_column(String(300))
    unit_code: Mapped[str | None] = mapped_column(String(32))
    # Empty lists: everyone.
    audience_groups: Mapped[list[Any]] = mapped_column(JsonData, default=list)
    audience_units: Mapped[list[Any]] = mapped_column(JsonData, default=list)
    opens_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closes_at: Mapped[datetime] = mapped_column(UtcDateTime())
    report_due: Mapped[date | None] = mapped_column(Date)
    # The one-off reporting deadline that reminds the issuing unit's officers (deadlines.code).
    deadline_code: Mapped[str | None] = mapped_column(String(64))
    announcement: Mapped[str | None] = mapped_column(Text)
    # Set in the transaction that queues the announcement to every subscriber.
    announced_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ConsultationSection(Base):
    """A section of a consultation's draft; position 0 stands for the draft as a whole."""

    __tablename__ = "consultation_sections"
    __table_args__ = (UniqueConstraint("consultation_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    consultation_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("consultations.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    level: Mapped[int] = mapped_column(Integer)


class ConsultationComment(Base):
    """One person's position on one section, with an optional comment; changed in place until
    the consultation closes. Clustered like submissions (clusters of scope "gy:…")."""

    __tablename__ = "consultation_comments"
    __table_args__ = (
        UniqueConstraint("section_id", "person_id"),
        Index(None, "consultation_id", "section_id"),
        Index(None, "cluster_id", "id"),
        Index(None, "person_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    consultation_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("consultations.id", ondelete="CASCADE")
    )
    section_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("consultation_sections.id", ondelete="CASCADE")
    )
    # An erased person leaves their position counted, anonymous.
    person_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("people.id", ondelete="SET NULL")
    )
    stance: Mapped[str] = mapped_column(String(24))
    text: Mapped[str | None] = mapped_column(Text)
    redacted: Mapped[str | None] = mapped_column(Text)
    flags: Mapped[list[Any]] = mapped_column(JsonData, default=list)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    target_group: Mapped[str | None] = mapped_column(String(32))
    unit_code: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    cluster_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("clusters.id", ondelete="SET NULL")
    )
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Subscription(Base):
    """A resident's consent to receive announcements of consultations (`/dangky`)."""

    __tablename__ = "subscriptions"

    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    notice_version: Mapped[str] = mapped_column(String(16))
    subscribed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The place whose consultations the resident wants (a ward, or a province and all its
    # wards); none: every consultation. Migration 0017.
    locality_code: Mapped[str | None] = mapped_column(String(8))
    province_code: Mapped[str | None] = mapped_column(String(4))


class RateWindow(Base):
    """How many updates a channel identity sent in its current one-minute window (one row per
    identity, rewritten as windows pass: no clean-up needed)."""

    __tablename__ = "rate_windows"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime())
    count: Mapped[int] = mapped_column(Integer)
    # The last time the identity went over the limit: its next submission is flagged spam.
    limited_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class InboxItem(Base):
    """A webhook update stored before its 200, until a worker has handled it (then deleted).

    One resident's updates are handled in id order (`chat_key`); `claimed_until` is the lease of
    the worker handling them: past it, another process takes them over.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "update_key"),
        Index(None, "chat_key", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    update_key: Mapped[str] = mapped_column(String(128))
    chat_key: Mapped[str] = mapped_column(String(96))
    payload: Mapped[str] = mapped_column(Text)  # the update's JSON, as received
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime())

"""What the handlers need from the outside world, as Protocols; storage and bot provide them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from handlers.digest import Period
from handlers.messages import Attachment
from handlers.sections import SplitDraft
from nlp.analyzer import Analysis, Screening
from storage.consultation_records import (
    CommentRecord,
    ConsultationRecord,
    NewConsultation,
    NewSection,
    Place,
    SectionRecord,
)
from storage.deadline_records import DeadlineRecord, NewDeadline
from storage.records import (
    ClusterRecord,
    ConversationRecord,
    FollowupRecord,
    InviteRecord,
    NewSubmission,
    OutboxRef,
    PersonRecord,
    SubmissionRecord,
    UnitRecord,
    UnitUsage,
)

if TYPE_CHECKING:  # handlers.roles imports this module
    from handlers.roles import Scope

Clock = Callable[[], datetime]
"""Returns the current time, time-zone aware; tests pass a frozen one."""


class People(Protocol):
    """People by channel identity."""

    async def get_by_channel(self, channel: str, external_id: str) -> PersonRecord | None: ...

    async def get(self, person_id: int) -> PersonRecord | None: ...

    async def add(
        self, *, pseudonym: str, channel: str, external_id: str, consent_version: str, at: datetime
    ) -> PersonRecord: ...

    async def delete(self, person_id: int) -> None: ...

    async def set_role(
        self,
        person_id: int,
        *,
        role: str,
        unit_code: str | None,
        topics: Sequence[str],
        designated: bool = False,
    ) -> PersonRecord: ...


class Conversations(Protocol):
    """Conversation state per channel identity."""

    async def get_for_update(self, channel: str, external_id: str) -> ConversationRecord | None: ...

    async def save(
        self, channel: str, external_id: str, state: str, data: dict[str, Any], at: datetime
    ) -> None: ...

    async def delete(self, channel: str, external_id: str) -> None: ...


class Submissions(Protocol):
    """Stored submissions."""

    async def code_exists(self, code: str) -> bool: ...

    async def add(self, new: NewSubmission) -> SubmissionRecord: ...

    async def get_by_code(self, code: str) -> SubmissionRecord | None: ...

    async def list_by_person(self, person_id: int) -> list[SubmissionRecord]: ...

    def iter_all(self, batch_size: int = 1000) -> AsyncIterator[SubmissionRecord]: ...

    async def anonymise_person(self, person_id: int, placeholder: str, at: datetime) -> int: ...

    async def search(
        self,
        words: Sequence[str],
        *,
        province_code: str | None = None,
        locality_codes: Sequence[str] = (),
        topics: Sequence[str] = (),
        include_sensitive: bool = True,
        limit: int = 10,
    ) -> list[SubmissionRecord]: ...


class Answers(Protocol):
    """Officers' answers to submissions."""

    async def add(
        self, *, submission_id: int, person_id: int | None, text: str, at: datetime
    ) -> int: ...

    async def recipient(self, submission_id: int) -> tuple[str, str] | None: ...


class Cases(Protocol):
    """The answer loop's storage: atomic status changes, ratings, follow-ups (storage.cases)."""

    async def change_status(
        self,
        submission_id: int,
        *,
        before: str,
        after: str,
        at: datetime,
        reason: str | None = None,
        answered: bool = False,
    ) -> bool: ...

    async def rate(
        self,
        submission_id: int,
        *,
        person_id: int,
        before: int | None,
        rating: int,
        statuses: Sequence[str],
        at: datetime,
    ) -> bool: ...

    async def add_followup(
        self, submission_id: int, *, person_id: int, text: str, at: datetime
    ) -> int: ...

    async def followups(self, submission_id: int) -> list[FollowupRecord]: ...

    async def followups_of_person(self, person_id: int) -> list[FollowupRecord]: ...


class OutboxQueue(Protocol):
    """Messages to other chats, queued in the update's transaction; the scheduler sends them.

    See storage.sql.SqlOutboxQueue.enqueue for `buttons`, `edit_key` and `subject`.
    """

    queued: int

    async def enqueue(
        self,
        *,
        key: str,
        channel: str,
        chat_id: str,
        text: str,
        due_at: datetime,
        now: datetime,
        files: Sequence[str] = (),
        buttons: Sequence[Sequence[tuple[str, str]]] = (),
        edit_key: str | None = None,
        subject: str | None = None,
    ) -> bool: ...

    async def find(self, subject: str, key_prefix: str = "") -> list[OutboxRef]: ...


class TextAnalyzer(Protocol):
    """The NLP pass over a submission's text (nlp.analyzer.Analyzer in production)."""

    def analyse(self, text: str, *, declared_kind: str | None = None) -> Analysis: ...

    def screen(self, text: str) -> Screening: ...


class Clusters(Protocol):
    """Near-duplicate clusters within a scope (see nlp.duplicates for the arguments)."""

    async def assign(
        self,
        *,
        submission_id: int,
        scope: str,
        signature: Sequence[int],
        band_keys: Sequence[str],
        similarity: Callable[[Sequence[int], Sequence[int]], float],
        threshold: float,
        at: datetime,
    ) -> ClusterRecord: ...

    async def get(self, cluster_id: int) -> ClusterRecord | None: ...

    async def list_in_scope(
        self, scope: str, min_size: int = 2, limit: int | None = None
    ) -> list[ClusterRecord]: ...

    async def forget_keys(self, before_scope: str) -> int: ...

    async def release(self, member_id: int, at: datetime) -> None: ...


class InboundUpdates(Protocol):
    """Processed inbound updates, for idempotency."""

    async def claim(self, channel: str, update_id: str, at: datetime) -> bool: ...

    async def forget_before(self, before: datetime, limit: int) -> int: ...


class RateWindows(Protocol):
    """Updates per identity and minute (storage.repositories.SqlRateWindows)."""

    async def hit(self, channel: str, external_id: str, window_start: datetime) -> int: ...

    async def mark_limited(self, channel: str, external_id: str, at: datetime) -> None: ...

    async def limited_since(self, channel: str, external_id: str, since: datetime) -> bool: ...


class AuditLog(Protocol):
    """Append-only audit log."""

    async def add(
        self,
        *,
        actor: str,
        action: str,
        at: datetime,
        subject: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None: ...


class Units(Protocol):
    """The unit tree (Front committees and member organisations)."""

    async def get(self, code: str) -> UnitRecord | None: ...

    async def list_all(self) -> list[UnitRecord]: ...

    async def upsert(self, units: Sequence[UnitRecord]) -> None: ...

    async def usage(self, code: str) -> UnitUsage: ...

    async def delete(self, code: str) -> None: ...


class Invites(Protocol):
    """Enrollment invites, found by the hash of their token or of their short code."""

    async def add(
        self,
        *,
        token_hash: str,
        code_hash: str,
        role: str,
        unit_code: str,
        topics: Sequence[str],
        expires_at: datetime,
        at: datetime,
        designated: bool = False,
    ) -> InviteRecord: ...

    async def find(self, hashes: Sequence[str]) -> InviteRecord | None: ...

    async def mark_used(self, invite_id: int, person_id: int, at: datetime) -> bool: ...


class Deadlines(Protocol):
    """Reporting deadlines and the units' done marks (storage.deadlines.SqlDeadlines)."""

    async def list_all(self) -> list[DeadlineRecord]: ...

    async def get(self, deadline_id: int) -> DeadlineRecord | None: ...

    async def get_by_code(self, code: str) -> DeadlineRecord | None: ...

    async def upsert(
        self, deadlines: Sequence[NewDeadline], at: datetime
    ) -> list[DeadlineRecord]: ...

    async def mark_done(
        self, deadline_id: int, unit_code: str, period: str, person_id: int | None, at: datetime
    ) -> bool: ...

    async def done_keys(self, deadline_ids: Sequence[int]) -> set[tuple[int, str, str]]: ...


class Review(Protocol):
    """The moderators' review queue (storage.review.SqlReview)."""

    async def open(self, submission_id: int, at: datetime) -> bool: ...

    async def decide(
        self,
        submission_id: int,
        *,
        state: str,
        at: datetime,
        restricted: bool = False,
        status: str | None = None,
    ) -> bool: ...

    async def set_label(
        self,
        submission_id: int,
        *,
        field: str,
        before: str | None,
        after: str,
        person_id: int | None,
        at: datetime,
        restrict: bool = False,
    ) -> None: ...

    async def chats_of(
        self, roles: Sequence[str], *, on_duty: bool = False
    ) -> list[tuple[str, str]]: ...

    async def set_on_duty(self, person_id: int, on_duty: bool) -> None: ...

    async def decided_by(self, code: str) -> str | None: ...


class Consultations(Protocol):
    """Consultations on drafts, their sections and comments (storage.consultations)."""

    async def add(
        self, new: NewConsultation, sections: Sequence[NewSection], whole_label: str, at: datetime
    ) -> ConsultationRecord: ...

    async def get(self, consultation_id: int) -> ConsultationRecord | None: ...

    async def list_open(self, now: datetime) -> list[ConsultationRecord]: ...

    async def update(self, consultation_id: int, at: datetime, **fields: Any) -> bool: ...

    async def sections(
        self, consultation_id: int, *, with_body: bool = False
    ) -> list[SectionRecord]: ...

    async def section(self, consultation_id: int, position: int) -> SectionRecord | None: ...

    async def comments_of(self, consultation_id: int, person_id: int) -> list[CommentRecord]: ...

    async def comments_of_person(self, person_id: int) -> list[CommentRecord]: ...

    async def put_comment(
        self,
        *,
        consultation_id: int,
        section_id: int,
        person_id: int,
        stance: str,
        text: str | None,
        redacted: str | None,
        flags: Sequence[str],
        restricted: bool,
        target_group: str | None,
        unit_code: str | None,
        channel: str,
        at: datetime,
    ) -> tuple[int, bool]: ...

    async def erase_person(self, person_id: int, at: datetime) -> int: ...

    async def subscribe(
        self, person_id: int, notice_version: str, at: datetime, place: Place | None = None
    ) -> str: ...

    async def unsubscribe(self, person_id: int) -> bool: ...

    async def subscription(self, person_id: int) -> tuple[bool, Place | None]: ...


class UnitOfWork(Protocol):
    """One transaction over every repository; nothing is durable until `commit`."""

    people: People
    conversations: Conversations
    submissions: Submissions
    clusters: Clusters
    updates: InboundUpdates
    rate_windows: RateWindows
    audit: AuditLog
    units: Units
    invites: Invites
    answers: Answers
    cases: Cases
    outbox: OutboxQueue
    deadlines: Deadlines
    review: Review
    consultations: Consultations
    comment_clusters: Clusters

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


class Digests(Protocol):
    """Officers' digests rendered as chat text (bot wraps the SQL digest for the engine)."""

    async def text(self, scope: Scope, period: Period, unit_name: str) -> str: ...


class DraftFiles(Protocol):
    """Draft documents sent in chat, downloaded and split (bot.draft_files).

    `accepts` tells whether documents sent on a channel can be read; `read` returns the split
    draft or raises handlers.sections.DraftError with the Vietnamese message when the file is
    refused (type, size), cannot be fetched or cannot be read.
    """

    def accepts(self, channel: str) -> bool: ...

    async def read(self, channel: str, attachment: Attachment) -> SplitDraft: ...

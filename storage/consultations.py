"""Consultations on draft documents: the drafts' sections, residents' positions and comments,
announcement subscriptions, and the grouped queries behind the synthesis report."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import models
from storage.consultation_records import (
    WHOLE_DRAFT,
    CommentRecord,
    CommentRow,
    ConsultationRecord,
    ConsultationSummary,
    NewConsultation,
    NewSection,
    Place,
    SectionRecord,
    SectionSummary,
    Subscriber,
    Theme,
)
from storage.sql import dialect_insert

_EDITABLE = frozenset(
    {
        "title",
        "issuer",
        "unit_code",
        "audience_groups",
        "audience_units",
        "opens_at",
        "closes_at",
        "report_due",
        "deadline_code",
        "announcement",
    }
)


def _consultation(row: models.Consultation) -> ConsultationRecord:
    return ConsultationRecord(
        id=row.id,
        title=row.title,
        issuer=row.issuer,
        unit_code=row.unit_code,
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        created_by=row.created_by,
        created_at=row.created_at,
        audience_groups=tuple(row.audience_groups or ()),
        audience_units=tuple(row.audience_units or ()),
        report_due=row.report_due,
        announcement=row.announcement,
        announced_at=row.announced_at,
        deadline_code=row.deadline_code,
    )


def _section(row: Any, *, with_body: bool = True) -> SectionRecord:
    return SectionRecord(
        id=row.id,
        consultation_id=row.consultation_id,
        position=row.position,
        label=row.label,
        title=row.title,
        body=row.body if with_body else "",
        level=row.level,
    )


def _comment(row: models.ConsultationComment, position: int) -> CommentRecord:
    return CommentRecord(
        id=row.id,
        consultation_id=row.consultation_id,
        section_id=row.section_id,
        section_position=position,
        person_id=row.person_id,
        stance=row.stance,
        text=row.text,
        redacted=row.redacted,
        flags=tuple(row.flags or ()),
        restricted=bool(row.restricted),
        target_group=row.target_group,
        unit_code=row.unit_code,
        cluster_id=row.cluster_id,
        channel=row.channel,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlConsultations:
    """Consultations and their comments, in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # --- consultations and sections ---------------------------------------------------------

    async def add(
        self, new: NewConsultation, sections: Sequence[NewSection], whole_label: str, at: datetime
    ) -> ConsultationRecord:
        """Store a consultation with its sections; position 0 (the whole draft) is added."""
        row = models.Consultation(
            title=new.title,
            issuer=new.issuer,
            unit_code=new.unit_code,
            audience_groups=list(new.audience_groups),
            audience_units=list(new.audience_units),
            opens_at=new.opens_at,
            closes_at=new.closes_at,
            report_due=new.report_due,
            announcement=new.announcement,
            created_by=new.created_by,
            created_at=at,
            updated_at=at,
        )
        self._session.add(row)
        await self._session.flush()
        await self._insert_sections(row.id, sections, whole_label)
        return _consultation(row)

    async def _insert_sections(
        self, consultation_id: int, sections: Sequence[NewSection], whole_label: str
    ) -> None:
        whole = NewSection(position=WHOLE_DRAFT, label=whole_label, title="", body="", level=0)
        await self._session.execute(
            models.ConsultationSection.__table__.insert(),
            [
                {
                    "consultation_id": consultation_id,
                    "position": section.position,
                    "label": section.label[:100],
                    "title": section.title,
                    "body": section.body,
                    "level": section.level,
                }
                for section in (whole, *sections)
            ],
        )

    async def get(self, consultation_id: int) -> ConsultationRecord | None:
        """One consultation."""
        row = await self._session.get(models.Consultation, consultation_id)
        return _consultation(row) if row is not None else None

    async def list_all(self) -> list[ConsultationRecord]:
        """Every consultation, newest first."""
        rows = await self._session.scalars(
            select(models.Consultation).order_by(models.Consultation.id.desc())
        )
        return [_consultation(row) for row in rows]

    async def list_open(self, now: datetime) -> list[ConsultationRecord]:
        """The consultations taking comments at `now`, closing soonest first."""
        consultation = models.Consultation
        rows = await self._session.scalars(
            select(consultation)
            .where(consultation.opens_at <= now, consultation.closes_at > now)
            .order_by(consultation.closes_at, consultation.id)
        )
        return [_consultation(row) for row in rows]

    async def update(self, consultation_id: int, at: datetime, **fields: Any) -> bool:
        """Change some of a consultation's fields (see _EDITABLE); False when it is missing."""
        unknown = set(fields) - _EDITABLE
        if unknown:
            raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
        for name in ("audience_groups", "audience_units"):
            if name in fields:
                fields[name] = list(fields[name])
        result = await self._session.execute(
            update(models.Consultation)
            .where(models.Consultation.id == consultation_id)
            .values(**fields, updated_at=at)
        )
        return bool(getattr(result, "rowcount", 0))

    async def closed_between(self, since: datetime, until: datetime) -> list[ConsultationRecord]:
        """The consultations whose close falls in (since, until]."""
        consultation = models.Consultation
        rows = await self._session.scalars(
            select(consultation)
            .where(consultation.closes_at > since, consultation.closes_at <= until)
            .order_by(consultation.closes_at, consultation.id)
        )
        return [_consultation(row) for row in rows]

    async def sections(
        self, consultation_id: int, *, with_body: bool = False
    ) -> list[SectionRecord]:
        """The sections in position order (the whole draft first); bodies only when asked."""
        section = models.ConsultationSection
        columns = [
            section.id,
            section.consultation_id,
            section.position,
            section.label,
            section.title,
            section.level,
        ]
        if with_body:
            columns.append(section.body)
        rows = await self._session.execute(
            select(*columns)
            .where(section.consultation_id == consultation_id)
            .order_by(section.position)
        )
        return [_section(row, with_body=with_body) for row in rows]

    async def section(self, consultation_id: int, position: int) -> SectionRecord | None:
        """One section with its body."""
        section = models.ConsultationSection
        row = await self._session.scalar(
            select(section).where(
                section.consultation_id == consultation_id, section.position == position
            )
        )
        return _section(row) if row is not None else None

    async def edit_section(
        self,
        consultation_id: int,
        position: int,
        *,
        label: str | None = None,
        title: str | None = None,
        body: str | None = None,
    ) -> bool:
        """Correct a section's label, title or text; False when there is no such section."""
        values = {
            name: value
            for name, value in (("label", label), ("title", title), ("body", body))
            if value is not None
        }
        if not values:
            return False
        section = models.ConsultationSection
        result = await self._session.execute(
            update(section)
            .where(section.consultation_id == consultation_id, section.position == position)
            .values(**values)
        )
        return bool(getattr(result, "rowcount", 0))

    async def replace_sections(
        self, consultation_id: int, sections: Sequence[NewSection], whole_label: str
    ) -> bool:
        """Put a re-split draft in place of the sections; refused (False) once anyone commented,
        since their positions refer to the sections as they were."""
        if await self.comment_count(consultation_id):
            return False
        await self._session.execute(
            delete(models.ConsultationSection).where(
                models.ConsultationSection.consultation_id == consultation_id
            )
        )
        await self._insert_sections(consultation_id, sections, whole_label)
        return True

    async def comment_count(self, consultation_id: int) -> int:
        """How many positions were given on the consultation."""
        comment = models.ConsultationComment
        count = await self._session.scalar(
            select(func.count()).where(comment.consultation_id == consultation_id)
        )
        return int(count or 0)

    # --- comments -----------------------------------------------------------------------------

    async def comments_of(self, consultation_id: int, person_id: int) -> list[CommentRecord]:
        """A person's positions on a consultation, in section order."""
        comment, section = models.ConsultationComment, models.ConsultationSection
        rows = await self._session.execute(
            select(comment, section.position)
            .join(section, section.id == comment.section_id)
            .where(comment.consultation_id == consultation_id, comment.person_id == person_id)
            .order_by(section.position)
        )
        return [_comment(row, position) for row, position in rows]

    async def comments_of_person(self, person_id: int) -> list[CommentRecord]:
        """Everything a person said on any consultation (for /dulieucuatoi)."""
        comment, section = models.ConsultationComment, models.ConsultationSection
        rows = await self._session.execute(
            select(comment, section.position)
            .join(section, section.id == comment.section_id)
            .where(comment.person_id == person_id)
            .order_by(comment.consultation_id, section.position)
        )
        return [_comment(row, position) for row, position in rows]

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
    ) -> tuple[int, bool]:
        """Store or change a person's position on a section; (comment id, whether new).

        One row per person and section, whoever wins a race: the insert yields to the existing
        row, which is then updated (its cluster is the caller's business).
        """
        comment = models.ConsultationComment
        values = {
            "stance": stance,
            "text": text,
            "redacted": redacted,
            "flags": list(flags),
            "restricted": restricted,
            "target_group": target_group,
            "unit_code": unit_code,
            "channel": channel,
            "updated_at": at,
        }
        inserted = await self._session.scalar(
            dialect_insert(self._session, comment)
            .values(
                consultation_id=consultation_id,
                section_id=section_id,
                person_id=person_id,
                created_at=at,
                **values,
            )
            .on_conflict_do_nothing(index_elements=["section_id", "person_id"])
            .returning(comment.id)
        )
        if inserted is not None:
            return int(inserted), True
        comment_id = await self._session.scalar(
            update(comment)
            .where(comment.section_id == section_id, comment.person_id == person_id)
            .values(**values)
            .returning(comment.id)
        )
        assert comment_id is not None  # the conflicting row exists: erasure deletes no rows
        return int(comment_id), False

    async def erase_raw_before(self, before: datetime, at: datetime) -> int:
        """Drop the raw comment texts of consultations closed before `before` (the redacted
        ones stay for the report); returns how many."""
        comment, consultation = models.ConsultationComment, models.Consultation
        closed = select(consultation.id).where(consultation.closes_at < before)
        result = await self._session.execute(
            update(comment)
            .where(comment.consultation_id.in_(closed), comment.text.is_not(None))
            .values(text=None, updated_at=at)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def erase_person(self, person_id: int, at: datetime) -> int:
        """Drop a person's comment texts; their positions stay counted. Returns rows changed."""
        comment = models.ConsultationComment
        result = await self._session.execute(
            update(comment)
            .where(comment.person_id == person_id)
            .values(text=None, redacted=None, signature=None, updated_at=at)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    # --- subscriptions ----------------------------------------------------------------------

    async def subscribe(
        self, person_id: int, notice_version: str, at: datetime, place: Place | None = None
    ) -> str:
        """Record consent to announcements from `place` (None: everywhere).

        Returns "new" for a new subscription, "changed" when only the place changed (the
        consent keeps its version and date), "same" when nothing changed.
        """
        codes = {
            "locality_code": place.locality_code if place else None,
            "province_code": place.province_code if place else None,
        }
        result = await self._session.execute(
            dialect_insert(self._session, models.Subscription)
            .values(person_id=person_id, notice_version=notice_version, subscribed_at=at, **codes)
            .on_conflict_do_nothing(index_elements=["person_id"])
        )
        if getattr(result, "rowcount", 0):
            return "new"
        changed = await self._session.execute(
            update(models.Subscription)
            .where(
                models.Subscription.person_id == person_id,
                models.Subscription.locality_code.is_distinct_from(codes["locality_code"]),
            )
            .values(**codes)
        )
        return "changed" if getattr(changed, "rowcount", 0) else "same"

    async def unsubscribe(self, person_id: int) -> bool:
        """Withdraw that consent; False when there was none."""
        result = await self._session.execute(
            delete(models.Subscription).where(models.Subscription.person_id == person_id)
        )
        return bool(getattr(result, "rowcount", 0))

    async def subscription(self, person_id: int) -> tuple[bool, Place | None]:
        """Whether a person receives announcements, and from where (None: everywhere)."""
        found = await self._session.get(models.Subscription, person_id)
        if found is None:
            return False, None
        return True, _place(found.locality_code, found.province_code)

    async def due_announcements(self, now: datetime) -> list[ConsultationRecord]:
        """Open consultations with an announcement not yet queued."""
        consultation = models.Consultation
        rows = await self._session.scalars(
            select(consultation).where(
                consultation.announcement.is_not(None),
                consultation.announced_at.is_(None),
                consultation.opens_at <= now,
                consultation.closes_at > now,
            )
        )
        return [_consultation(row) for row in rows]

    async def claim_announcement(self, consultation_id: int, at: datetime) -> bool:
        """Mark the announcement queued; False when another scheduler did it first."""
        consultation = models.Consultation
        result = await self._session.execute(
            update(consultation)
            .where(consultation.id == consultation_id, consultation.announced_at.is_(None))
            .values(announced_at=at)
        )
        return bool(getattr(result, "rowcount", 0))

    async def subscribers(self, *, after_id: int = 0, limit: int = 1000) -> list[Subscriber]:
        """Subscribers whose person id is above `after_id`, by id."""
        person, subscription = models.Person, models.Subscription
        rows = await self._session.execute(
            select(
                person.id,
                person.channel,
                person.external_id,
                subscription.locality_code,
                subscription.province_code,
            )
            .join(subscription, subscription.person_id == person.id)
            .where(person.id > after_id)
            .order_by(person.id)
            .limit(limit)
        )
        return [
            Subscriber(
                person_id=int(row.id),
                channel=row.channel,
                chat_id=row.external_id,
                place=_place(row.locality_code, row.province_code),
            )
            for row in rows
        ]

    # --- the synthesis report ---------------------------------------------------------------

    async def summary(
        self,
        consultation_id: int,
        *,
        stances: Sequence[str],
        themes: int,
        min_theme_size: int,
        unit_names: dict[str, str],
        at: datetime,
    ) -> ConsultationSummary | None:
        """Every figure of the synthesis report, from a handful of grouped queries."""
        consultation = await self.get(consultation_id)
        if consultation is None:
            return None
        comment = models.ConsultationComment
        mine = comment.consultation_id == consultation_id
        sections = await self.sections(consultation_id)

        def zero() -> dict[str, int]:
            return dict.fromkeys(stances, 0)

        by_section: dict[int, dict[str, int]] = {s.id: zero() for s in sections}
        with_text: dict[int, int] = dict.fromkeys(by_section, 0)
        rows = await self._session.execute(
            # The redacted text: it outlives the raw one (retention), and goes with it on erasure.
            select(comment.section_id, comment.stance, func.count(), func.count(comment.redacted))
            .where(mine)
            .group_by(comment.section_id, comment.stance)
        )
        for section_id, stance, count, texts in rows:
            by_section[section_id][stance] = by_section[section_id].get(stance, 0) + count
            with_text[section_id] += texts

        async def breakdown(column: Any) -> dict[int, dict[str | None, dict[str, int]]]:
            found: dict[int, dict[str | None, dict[str, int]]] = {}
            grouped = await self._session.execute(
                select(comment.section_id, column, comment.stance, func.count())
                .where(mine)
                .group_by(comment.section_id, column, comment.stance)
            )
            for section_id, key, stance, count in grouped:
                counts = found.setdefault(section_id, {}).setdefault(key, zero())
                counts[stance] = counts.get(stance, 0) + count
            return found

        groups = await breakdown(comment.target_group)
        units = await breakdown(comment.unit_code)
        top = await self._themes(consultation_id, themes, min_theme_size, stances)

        summaries = [
            SectionSummary(
                section=section,
                stances=by_section[section.id],
                with_text=with_text[section.id],
                themes=top.get(section.id, []),
                by_group=groups.get(section.id, {}),
                by_unit=units.get(section.id, {}),
            )
            for section in sections
        ]
        people = await self._session.execute(
            select(
                func.count(func.distinct(comment.person_id)),
                func.count().filter(comment.person_id.is_(None)),
                func.count().filter(comment.restricted.is_(True)),
            ).where(mine)
        )
        distinct_people, anonymous, restricted = people.one()
        return ConsultationSummary(
            consultation=consultation,
            sections=summaries,
            participants=int(distinct_people) + int(anonymous),
            comments=sum(sum(counts.values()) for counts in by_section.values()),
            with_text=sum(with_text.values()),
            stances=_add_up(by_section.values(), zero()),
            by_group=_merge(groups.values(), zero),
            by_unit=_merge(units.values(), zero),
            unit_names=unit_names,
            generated_at=at,
            restricted=int(restricted),
        )

    async def _themes(
        self, consultation_id: int, per_section: int, min_size: int, stances: Sequence[str]
    ) -> dict[int, list[Theme]]:
        """The largest clusters of each section, with their stances and a quotable member."""
        comment = models.ConsultationComment
        sizes = (
            select(
                comment.section_id,
                comment.cluster_id,
                func.count().label("size"),
                func.row_number()
                .over(
                    partition_by=comment.section_id,
                    order_by=(func.count().desc(), comment.cluster_id),
                )
                .label("rank"),
            )
            .where(comment.consultation_id == consultation_id, comment.cluster_id.is_not(None))
            .group_by(comment.section_id, comment.cluster_id)
            .subquery()
        )
        chosen = (
            await self._session.execute(
                select(sizes.c.section_id, sizes.c.cluster_id, sizes.c.size)
                .where(sizes.c.rank <= per_section, sizes.c.size >= min_size)
                .order_by(sizes.c.section_id, sizes.c.rank)
            )
        ).all()
        if not chosen:
            return {}
        cluster_ids = [row.cluster_id for row in chosen]
        stance_counts: dict[int, dict[str, int]] = {}
        for cluster_id, stance, count in await self._session.execute(
            select(comment.cluster_id, comment.stance, func.count())
            .where(comment.cluster_id.in_(cluster_ids))
            .group_by(comment.cluster_id, comment.stance)
        ):
            stance_counts.setdefault(cluster_id, dict.fromkeys(stances, 0))[stance] = count
        # The earliest member that may be quoted stands for the theme.
        firsts = (
            select(func.min(comment.id).label("id"))
            .where(
                comment.cluster_id.in_(cluster_ids),
                comment.restricted.is_(False),
                comment.redacted.is_not(None),
            )
            .group_by(comment.cluster_id)
            .subquery()
        )
        quotes = dict(
            (
                await self._session.execute(
                    select(comment.cluster_id, comment.redacted).join(
                        firsts, firsts.c.id == comment.id
                    )
                )
            ).all()
        )
        found: dict[int, list[Theme]] = {}
        for row in chosen:
            found.setdefault(row.section_id, []).append(
                Theme(
                    cluster_id=row.cluster_id,
                    size=row.size,
                    stances=stance_counts.get(row.cluster_id, {}),
                    representative=quotes.get(row.cluster_id),
                )
            )
        return found

    async def row_batches(
        self, consultation_id: int, *, batch_size: int = 5000
    ) -> AsyncIterator[list[CommentRow]]:
        """Every comment for the workbook, in id order, a batch at a time (bounded memory)."""
        comment, section = models.ConsultationComment, models.ConsultationSection
        last_id = 0
        while True:
            batch = (
                await self._session.execute(
                    select(
                        comment.id,
                        section.position,
                        section.label,
                        comment.stance,
                        comment.redacted,
                        comment.restricted,
                        comment.target_group,
                        comment.unit_code,
                        comment.cluster_id,
                        comment.flags,
                        comment.channel,
                        comment.created_at,
                        comment.updated_at,
                    )
                    .join(section, section.id == comment.section_id)
                    .where(and_(comment.consultation_id == consultation_id, comment.id > last_id))
                    .order_by(comment.id)
                    .limit(batch_size)
                )
            ).all()
            if not batch:
                return
            yield [
                CommentRow(
                    id=row.id,
                    section_position=row.position,
                    section_label=row.label,
                    stance=row.stance,
                    text=None if row.restricted else row.redacted,
                    target_group=row.target_group,
                    unit_code=row.unit_code,
                    cluster_id=row.cluster_id,
                    flags=tuple(row.flags or ()),
                    channel=row.channel,
                    created_at=row.created_at,
                    updated_at=row.updated_at,
                    restricted=bool(row.restricted),
                )
                for row in batch
            ]
            last_id = batch[-1].id


def _add_up(counts: Any, into: dict[str, int]) -> dict[str, int]:
    for one in counts:
        for stance, count in one.items():
            into[stance] = into.get(stance, 0) + count
    return into


def _merge(per_section: Any, zero: Any) -> dict[str | None, dict[str, int]]:
    merged: dict[str | None, dict[str, int]] = {}
    for by_key in per_section:
        for key, counts in by_key.items():
            _add_up([counts], merged.setdefault(key, zero()))
    return merged


def _place(locality_code: str | None, province_code: str | None) -> Place | None:
    if locality_code is None or province_code is None:
        return None
    return Place(locality_code=locality_code, province_code=province_code)

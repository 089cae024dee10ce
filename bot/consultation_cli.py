"""`ykien consultation …`: create a consultation from a draft file, list, show and correct it,
and write its synthesis report (Word and Excel)."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.draft_import import read_draft
from bot.nlp_cli import InputError
from bot.reports.consultation_docx import write_consultation_docx
from bot.reports.consultation_xlsx import write_consultation_xlsx
from config import consultation_chat as chat
from config import consultation_cli as texts
from config.consultations import REPORT_THEME_MIN_SIZE, REPORT_THEMES, STANCES
from config.settings import Settings
from handlers.consultation_setup import (
    FormError,
    check_report_due,
    check_window,
    create_consultation,
    parse_date,
    parse_datetime,
    parse_groups,
    schedule_report,
)
from handlers.consultations import audience_phrase
from handlers.sections import DraftError
from nlp.locality import LocalityIndex
from storage.consultation_records import CommentRow, ConsultationSummary, NewConsultation
from storage.db import Database

logger = logging.getLogger(__name__)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `consultation create|list|show|edit|section|redraft|report`."""
    parser = sub.add_parser("consultation", help="consultations on draft documents")
    commands = parser.add_subparsers(dest="consultation_command", required=True)
    create = commands.add_parser("create", help="create one from a .docx, .pdf or .txt draft")
    create.add_argument("--title", required=True)
    create.add_argument("--draft", required=True, type=Path, help=".docx, .pdf or .txt")
    create.add_argument("--unit", required=True, help="the issuing unit's code")
    create.add_argument("--opens", help="dd/mm/yyyy hh:mm (default: now)")
    create.add_argument("--closes", required=True, help="dd/mm/yyyy hh:mm")
    create.add_argument("--report-due", help="dd/mm/yyyy: the synthesis report's due date")
    create.add_argument("--groups", default="", help="target groups, comma-separated")
    create.add_argument("--units", default="", help="audience unit codes, comma-separated")
    create.add_argument("--announcement", help="sent to residents who opted in (/dangky)")
    commands.add_parser("list", help="every consultation")
    show = commands.add_parser("show", help="a consultation and its sections")
    show.add_argument("id", type=int)
    edit = commands.add_parser("edit", help="change the window, report date, title, announcement")
    edit.add_argument("id", type=int)
    edit.add_argument("--title")
    edit.add_argument("--opens")
    edit.add_argument("--closes")
    edit.add_argument("--report-due")
    edit.add_argument("--announcement")
    section = commands.add_parser("section", help="correct one section's heading or text")
    section.add_argument("id", type=int)
    section.add_argument("position", type=int)
    section.add_argument("--label")
    section.add_argument("--title")
    section.add_argument("--body-file", type=Path, help="a UTF-8 text file with the new text")
    redraft = commands.add_parser(
        "redraft", help="re-split from a corrected file (no comments yet)"
    )
    redraft.add_argument("id", type=int)
    redraft.add_argument("draft", type=Path)
    report = commands.add_parser("report", help="write the synthesis report (Word + Excel)")
    report.add_argument("id", type=int)
    report.add_argument("--out", required=True, type=Path, help="directory for the files")
    report.add_argument("--number", default="…", help="the report's number (Số …/BC-MTTQ)")
    report.add_argument("--place", help="place in the date line (default: the unit's locality)")
    report.add_argument("--signer", default="", help="name under the signature")


def run(args: argparse.Namespace, settings: Settings) -> None:
    """Run one `consultation` subcommand; bad input raises InputError with the reason."""
    tz = ZoneInfo(settings.timezone)
    commands = {
        "create": create,
        "list": list_all,
        "show": show,
        "edit": edit,
        "section": edit_section,
        "redraft": redraft,
        "report": report,
    }

    async def main() -> None:
        db = Database(settings.resolved_database_url)
        try:
            await db.upgrade()
            await commands[args.consultation_command](db, args, tz)
        finally:
            await db.dispose()

    try:
        asyncio.run(main())
    except (FormError, DraftError) as error:
        raise InputError(str(error)) from error


def _now() -> datetime:
    return datetime.now(UTC)


def _local(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M %d/%m/%Y")


async def create(db: Database, args: argparse.Namespace, tz: tzinfo) -> None:
    """Check everything, read and split the draft, then store it all in one transaction."""
    now = _now()
    opens_at = parse_datetime(args.opens, tz) if args.opens else now
    closes_at = parse_datetime(args.closes, tz)
    check_window(opens_at, closes_at, now, tz)
    report_due = parse_date(args.report_due) if args.report_due else None
    check_report_due(report_due, closes_at, tz)
    groups = parse_groups(args.groups)
    audience_units = tuple(code.strip() for code in args.units.split(",") if code.strip())
    title = args.title.strip()
    if not title or len(title) > 500:
        raise InputError(texts.BAD_TITLE)
    draft = read_draft(args.draft)
    async with db.unit_of_work() as uow:
        unit = await uow.units.get(args.unit)
        if unit is None:
            raise InputError(chat.FORM_UNKNOWN_UNIT.format(unit=args.unit))
        for code in audience_units:
            if await uow.units.get(code) is None:
                raise InputError(chat.FORM_UNKNOWN_UNIT.format(unit=code))
        consultation = await create_consultation(
            uow,
            NewConsultation(
                title=title,
                issuer=unit.name,
                unit_code=unit.code,
                opens_at=opens_at,
                closes_at=closes_at,
                created_by="cli",
                audience_groups=groups,
                audience_units=audience_units,
                report_due=report_due,
                announcement=(args.announcement or "").strip() or None,
            ),
            draft.sections,
            now,
            whole_label=chat.MENU_WHOLE,
        )
        await uow.commit()
    print(
        texts.CREATED.format(
            id=consultation.id,
            title=consultation.title,
            sections=len(draft.sections),
            opens=_local(opens_at, tz),
            closes=_local(closes_at, tz),
        )
    )
    if report_due:
        print(texts.CREATED_DEADLINE.format(due=report_due.strftime("%d/%m/%Y")))


async def list_all(db: Database, _args: argparse.Namespace, tz: tzinfo) -> None:
    """One line per consultation."""
    async with db.unit_of_work() as uow:
        found = await uow.consultations.list_all()
    if not found:
        print(texts.NONE)
    for consultation in found:
        print(
            texts.LIST_ITEM.format(
                id=consultation.id,
                title=consultation.title,
                opens=_local(consultation.opens_at, tz),
                closes=_local(consultation.closes_at, tz),
                state=texts.STATES[_state(consultation.opens_at, consultation.closes_at)],
            )
        )


def _state(opens_at: datetime, closes_at: datetime) -> str:
    now = _now()
    return "waiting" if now < opens_at else "open" if now < closes_at else "closed"


async def show(db: Database, args: argparse.Namespace, tz: tzinfo) -> None:
    """The consultation's details and its sections with their sizes."""
    async with db.unit_of_work() as uow:
        consultation = await uow.consultations.get(args.id)
        if consultation is None:
            raise InputError(texts.NOT_FOUND.format(id=args.id))
        sections = await uow.consultations.sections(args.id, with_body=True)
        units = {unit.code: unit.name for unit in await uow.units.list_all()}
    print(
        texts.SHOW.format(
            id=consultation.id,
            title=consultation.title,
            issuer=consultation.issuer,
            opens=_local(consultation.opens_at, tz),
            closes=_local(consultation.closes_at, tz),
            report_due=consultation.report_due.strftime("%d/%m/%Y")
            if consultation.report_due
            else "-",
            audience=audience_phrase(consultation, units),
        )
    )
    for section in sections:
        print(
            texts.SHOW_SECTION.format(
                position=section.position, heading=section.heading, chars=len(section.body)
            )
        )


async def edit(db: Database, args: argparse.Namespace, tz: tzinfo) -> None:
    """Change the window, report date, title or announcement; the report deadline follows."""
    now = _now()
    async with db.unit_of_work() as uow:
        consultation = await uow.consultations.get(args.id)
        if consultation is None:
            raise InputError(texts.NOT_FOUND.format(id=args.id))
        fields: dict[str, object] = {}
        if args.title:
            fields["title"] = args.title.strip()[:500]
        opens_at = parse_datetime(args.opens, tz) if args.opens else consultation.opens_at
        closes_at = parse_datetime(args.closes, tz) if args.closes else consultation.closes_at
        if args.opens or args.closes:
            check_window(opens_at, closes_at, now, tz)
            fields.update(opens_at=opens_at, closes_at=closes_at)
        report_due = parse_date(args.report_due) if args.report_due else consultation.report_due
        check_report_due(report_due, closes_at, tz)
        if args.report_due:
            fields["report_due"] = report_due
        if args.announcement is not None:
            fields["announcement"] = args.announcement.strip() or None
        if not fields:
            raise InputError(texts.NOTHING_TO_EDIT)
        await uow.consultations.update(args.id, now, **fields)
        edited = await uow.consultations.get(args.id)
        assert edited is not None
        if edited.report_due is not None and {"title", "report_due"} & set(fields):
            await schedule_report(uow, edited, now)  # the deadline follows its date and title
        await uow.audit.add(
            actor="cli",
            action="consultation.edited",
            subject=f"consultation:{args.id}",
            at=now,
            details={"fields": sorted(fields)},
        )
        await uow.commit()
    print(texts.EDITED.format(id=args.id, fields=", ".join(sorted(fields))))


async def edit_section(db: Database, args: argparse.Namespace, _tz: tzinfo) -> None:
    """Correct a section's label, title or text (allowed at any time: nobody's position moves)."""
    body = None
    if args.body_file:
        try:
            body = args.body_file.read_text(encoding="utf-8-sig").strip()
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(texts.BAD_BODY_FILE.format(path=args.body_file)) from error
    async with db.unit_of_work() as uow:
        changed = await uow.consultations.edit_section(
            args.id, args.position, label=args.label, title=args.title, body=body
        )
        if not changed:
            raise InputError(texts.SECTION_NOT_CHANGED.format(id=args.id, position=args.position))
        await uow.audit.add(
            actor="cli",
            action="consultation.section_edited",
            subject=f"consultation:{args.id}",
            at=_now(),
            details={"position": args.position},
        )
        await uow.commit()
    print(texts.SECTION_EDITED.format(id=args.id, position=args.position))


async def redraft(db: Database, args: argparse.Namespace, _tz: tzinfo) -> None:
    """Replace the sections by a corrected draft's, while nobody has commented."""
    draft = read_draft(args.draft)
    async with db.unit_of_work() as uow:
        if await uow.consultations.get(args.id) is None:
            raise InputError(texts.NOT_FOUND.format(id=args.id))
        if not await uow.consultations.replace_sections(args.id, draft.sections, chat.MENU_WHOLE):
            raise InputError(texts.REDRAFT_REFUSED.format(id=args.id))
        await uow.audit.add(
            actor="cli",
            action="consultation.redrafted",
            subject=f"consultation:{args.id}",
            at=_now(),
            details={"sections": len(draft.sections)},
        )
        await uow.commit()
    print(texts.REDRAFTED.format(id=args.id, sections=len(draft.sections)))


async def build_summary(db: Database, consultation_id: int) -> ConsultationSummary:
    """The synthesis report's figures."""
    async with db.unit_of_work() as uow:
        units = {unit.code: unit.name for unit in await uow.units.list_all()}
        found = await uow.consultations.summary(
            consultation_id,
            stances=tuple(STANCES),
            themes=REPORT_THEMES,
            min_theme_size=REPORT_THEME_MIN_SIZE,
            unit_names=units,
            at=_now(),
        )
    if found is None:
        raise InputError(texts.NOT_FOUND.format(id=consultation_id))
    return found


async def write_report(
    db: Database,
    consultation_id: int,
    out: Path,
    tz: tzinfo,
    *,
    number: str = "…",
    place: str | None = None,
    signer: str = "",
) -> tuple[Path, Path, int]:
    """Write the Word synthesis and the Excel workbook of every comment; (docx, xlsx, rows)."""
    summary = await build_summary(db, consultation_id)
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    if place is None:
        place = await _place_of(db, summary.consultation.unit_code)
    docx_path = write_consultation_docx(
        summary,
        out / texts.DOCX_NAME.format(id=consultation_id),
        number=number,
        place=place,
        signer=signer,
        tz=tz,
    )
    xlsx_path = out / texts.XLSX_NAME.format(id=consultation_id)
    loop = asyncio.get_running_loop()
    async with db.unit_of_work() as uow:
        batches = uow.consultations.row_batches(consultation_id)

        def rows() -> Iterator[CommentRow]:
            # The workbook is written in a thread while this loop reads the next batch: a
            # million rows stream through in bounded memory without blocking the loop.
            while True:
                future = asyncio.run_coroutine_threadsafe(anext(batches, None), loop)
                batch = future.result()
                if batch is None:
                    return
                yield from batch

        count = await asyncio.to_thread(write_consultation_xlsx, summary, rows(), xlsx_path, tz=tz)
    return docx_path, xlsx_path, count


async def _place_of(db: Database, unit_code: str | None) -> str:
    """The issuing unit's locality name for the date line; "" when unknown."""
    async with db.unit_of_work() as uow:
        unit = await uow.units.get(unit_code) if unit_code else None
    if unit is None or not unit.locality_code:
        return ""
    locality = LocalityIndex.from_vietnam_provinces().get(unit.locality_code)
    return locality.name if locality is not None else ""


async def report(db: Database, args: argparse.Namespace, tz: tzinfo) -> None:
    """`consultation report ID --out DIR`."""
    docx_path, xlsx_path, count = await write_report(
        db, args.id, args.out, tz, number=args.number, place=args.place, signer=args.signer
    )
    print(texts.REPORT_WRITTEN.format(id=args.id, rows=count))
    print(f"  {docx_path}")
    print(f"  {xlsx_path}")

"""Restricted items never leak: one seeded ward, every viewer, every surface, both databases.

Seeded in Bến Thành in November 2026: a denunciation, a complaint a moderator restricted and an
insult (restricted), and two ordinary reports; the restricted complaint founded a cluster the
two ordinary reports joined. Every text carries a unique marker word, every author a unique
pseudonym and channel id. For each surface (a line in SURFACES) and each viewer, a restricted
marker shows exactly where `handlers.roles.may_read` allows it, the ordinary marker shows where
an ordinary text may be quoted (so the check cannot pass by showing nothing), no author's
identity shows anywhere, and the restricted items are still counted.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import insert, update

from bot import units_cli
from bot.digests import ChatDigests, build_digest
from bot.export import export_text, export_xlsx
from bot.reports import write_all
from config import reports, texts
from handlers.codes import new_reference_code
from handlers.digest import Period
from handlers.intake import Engine
from nlp.locality import LocalityIndex
from storage import models
from storage.db import Database
from storage.digests import DigestScope
from storage.records import NewSubmission
from tests.conftest import FrozenClock
from tests.dialogue import Resident
from tests.integration.test_roles_chat import VIETNAM, NoAnalyzer, consented
from tests.moderation import audit_rows

BEN_THANH = "hcm-ben-thanh"
SAI_GON = "hcm-sai-gon"
NOVEMBER = Period.month(2026, 11)


@dataclass(frozen=True)
class Item:
    """One seeded submission: its marker word and its author's identity."""

    name: str
    marker: str
    pseudonym: str
    external_id: str
    restricted: bool
    fields: dict[str, object]


ITEMS = (
    Item(
        "denunciation",
        "quyxtocao",
        "ND-QX-TOCAO",
        "ext-qx-7710",
        True,
        {"kind": "to_cao", "text": "Tố cáo cán bộ địa chính nhận tiền quyxtocao ở hẻm 9."},
    ),
    Item(
        "held",
        "quyxhanche",
        "ND-QX-HANCHE",
        "ext-qx-7720",
        True,
        {"text": "Đường ngập quyxhanche sau mưa, nhà ông Tư bị nước tràn vào."},
    ),
    Item(
        "insult",
        "quyxxucpham",
        "ND-QX-XUCPHAM",
        "ext-qx-7730",
        True,
        {
            "kind": "gop_y",
            "text": "Bọn quyxxucpham ở phường làm ăn như hạch.",
            "flags": ({"code": "xuc_pham", "evidence": ["hạch"]},),
        },
    ),
    Item(
        "ordinary",
        "quyxthuong",
        "ND-QX-THUONG",
        "ext-qx-7740",
        False,
        {"text": "Đường ngập quyxthuong sau mưa, xe máy chết máy giữa đường."},
    ),
    Item(
        "ordinary-2",
        "quyxkhac",
        "ND-QX-THUONG2",
        "ext-qx-7750",
        False,
        {"text": "Đường ngập quyxkhac sau mưa lớn, cần nạo vét cống."},
    ),
)
RESTRICTED = [item for item in ITEMS if item.restricted]
ORDINARY = [item for item in ITEMS if not item.restricted]

# Each viewer: role, unit, designated. "resident" has no role beyond resident.
VIEWERS: dict[str, tuple[str, str | None, bool]] = {
    "resident": ("resident", None, False),
    "officer": ("officer", BEN_THANH, False),
    "officer-elsewhere": ("officer", SAI_GON, False),
    "designated": ("officer", BEN_THANH, True),
    "designated-elsewhere": ("officer", SAI_GON, True),
    "moderator": ("moderator", "hcm", False),
    "admin": ("admin", None, False),
}
# Who may read a restricted text of Bến Thành (the rule, written out by hand).
READS_RESTRICTED = {"designated", "moderator", "admin"}
# Whose scope covers Bến Thành: they see ordinary texts and count the restricted items.
IN_SCOPE = {"officer", "designated", "moderator", "admin"}
OPERATOR = "operator"  # files and exports have no viewer: the CLI operator


@dataclass
class World:
    """The seeded database, the engine and the viewers."""

    db: Database
    clock: FrozenClock
    codes: dict[str, str]
    viewers: dict[str, Resident]
    scratch: Path


async def seed(db: Database) -> dict[str, str]:
    """Store ITEMS (18/11/2026, Bến Thành); restrict "held"; cluster it with the ordinary two."""
    codes: dict[str, str] = {}
    async with db.unit_of_work() as uow:
        for item in ITEMS:
            author = await uow.people.add(
                pseudonym=item.pseudonym,
                channel="zalo_bot",
                external_id=item.external_id,
                consent_version="v",
                at=datetime(2026, 9, 1, tzinfo=UTC),
            )
            values: dict[str, object] = {
                "code": new_reference_code(),
                "person_id": author.id,
                "kind": "phan_anh",
                "channel": "zalo_bot",
                "created_at": datetime(2026, 11, 18, 3, tzinfo=UTC),
                "status": "da_tiep_nhan",
                "locality_code": "26743",
                "locality_name": "Phường Bến Thành, Thành phố Hồ Chí Minh",
                "province_code": "79",
                "topic": "moi_truong",
                "answer_due_at": datetime(2026, 12, 8, 17, tzinfo=UTC),
                **item.fields,
            }
            stored = await uow.submissions.add(NewSubmission(**values))  # type: ignore[arg-type]
            codes[item.name] = stored.code
        await uow.commit()
    S = models.Submission
    at = datetime(2026, 11, 18, 3, tzinfo=UTC)
    async with db.engine.begin() as conn:
        await conn.execute(update(S).where(S.code == codes["held"]).values(restricted=True))
        held = (await conn.execute(S.__table__.select().where(S.code == codes["held"]))).one()
        cluster = await conn.execute(
            insert(models.Cluster)
            .values(
                scope="2026-11:26743",
                size=3,
                representative_submission_id=held.id,
                created_at=at,
                updated_at=at,
            )
            .returning(models.Cluster.id)
        )
        cluster_id = cluster.scalar_one()
        members = [codes["held"], codes["ordinary"], codes["ordinary-2"]]
        await conn.execute(update(S).where(S.code.in_(members)).values(cluster_id=cluster_id))
    return codes


@pytest.fixture
async def world(
    db: Database, localities: LocalityIndex, clock: FrozenClock, tmp_path: Path
) -> World:
    """The shipped unit tree, the seeded items and one chat per viewer."""
    await units_cli.store_units(db, units_cli.read_units_file(units_cli.DEFAULT_UNITS_FILE))
    codes = await seed(db)
    engine = Engine(
        db.unit_of_work,
        localities,
        clock,
        VIETNAM,
        NoAnalyzer(),
        digests=ChatDigests(db, VIETNAM, clock),
    )
    viewers: dict[str, Resident] = {}
    for name, (role, unit, designated) in VIEWERS.items():
        viewer = await consented(engine, f"viewer-{name}")
        if role != "resident":
            async with db.unit_of_work() as uow:
                person = await uow.people.get_by_channel("test", f"viewer-{name}")
                assert person is not None
                await uow.people.set_role(
                    person.id, role=role, unit_code=unit, topics=[], designated=designated
                )
                await uow.commit()
        viewers[name] = viewer
    return World(db, clock, codes, viewers, tmp_path)


# --- the surfaces: each reads everything one viewer (or the operator) is shown -------------------


async def chat(world: World, viewer: str, command: str, args: list[str]) -> str:
    """The replies to `/command arg` for every arg, as one text."""
    replies: list[str] = []
    for arg in args:
        replies += await world.viewers[viewer].act(("cmd", command, arg))
    return "\n".join(replies)


async def xem(world: World, viewer: str) -> str:
    return await chat(world, viewer, "xem", list(world.codes.values()))


async def tim(world: World, viewer: str) -> str:
    """Each marker searched for; the first line of a reply only repeats the query, so it goes."""
    replies = [await chat(world, viewer, "tim", [item.marker]) for item in ITEMS]
    return "\n".join(reply.split("\n", 1)[1] if "\n" in reply else "" for reply in replies)


async def baocao(world: World, viewer: str) -> str:
    return await chat(world, viewer, "baocao", ["11/2026"])


async def tuan(world: World, viewer: str) -> str:
    return await chat(world, viewer, "tuan", [""])


async def report_files(world: World) -> list[Path]:
    """The monthly digest's Word, Excel and PNG files of Bến Thành, as the scheduler writes them."""
    digest = await build_digest(
        world.db,
        DigestScope(locality_codes=("26743",)),
        NOVEMBER,
        unit_name="MTTQ Bến Thành",
        now=world.clock(),
        tz=VIETNAM,
    )
    return write_all(
        digest, world.scratch / "reports", issuer="MTTQ", number="1", place="HCM", tz=VIETNAM
    )


def workbook_text(path: Path) -> str:
    workbook = load_workbook(path, read_only=True)
    try:
        cells = [
            str(value)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        ]
    finally:
        workbook.close()
    return "\n".join(cells)


async def docx_report(world: World, _viewer: str) -> str:
    (path,) = [p for p in await report_files(world) if p.suffix == ".docx"]
    document = Document(str(path))
    lines = [paragraph.text for paragraph in document.paragraphs]
    lines += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(lines)


async def xlsx_report(world: World, _viewer: str) -> str:
    (path,) = [p for p in await report_files(world) if p.suffix == ".xlsx"]
    return workbook_text(path)


async def png_chart(world: World, _viewer: str) -> str:
    (path,) = [p for p in await report_files(world) if p.suffix == ".png"]
    return path.read_bytes().decode("latin-1")  # any text written into the file, e.g. metadata


async def export_jsonl(world: World, _viewer: str) -> str:
    out = io.StringIO()
    await export_text(world.db, "jsonl", out)
    return out.getvalue()


async def export_csv(world: World, _viewer: str) -> str:
    out = io.StringIO()
    await export_text(world.db, "csv", out)
    return out.getvalue()


async def export_workbook(world: World, _viewer: str) -> str:
    path = world.scratch / "export.xlsx"
    await export_xlsx(world.db, path)
    return workbook_text(path)


# --- what "still counted" means on each surface ----------------------------------------------


def codes_listed(world: World, shown: str) -> bool:
    """Every item, restricted or not, is there by its code."""
    return all(code in shown for code in world.codes.values())


def chat_digest_counts(world: World, shown: str) -> bool:
    total = reports.CHAT_TOTAL.split("{total}")[0] + f"{len(ITEMS)} "
    sensitive = reports.CHAT_SENSITIVE.format(count=len(RESTRICTED))
    # The cluster keeps counting its two quotable members, quoting one of them.
    problem = reports.CHAT_PROBLEM.split("{where}")[0].format(index=1, size=2)
    return total in shown and sensitive in shown and problem in shown


def docx_counts(world: World, shown: str) -> bool:
    return reports.DOCX_SENSITIVE.format(count=len(RESTRICTED)) in shown


def listing_counts(world: World, shown: str) -> bool:
    return codes_listed(world, shown) and shown.count(texts.DIGEST_HIDDEN_TEXT) == len(RESTRICTED)


def export_counts(world: World, shown: str) -> bool:
    if not listing_counts(world, shown):
        return False
    if shown.lstrip().startswith("{"):  # jsonl: one object per item, the restricted marked
        rows = [json.loads(line) for line in shown.splitlines()]
        return sum(row["restricted"] for row in rows) == len(RESTRICTED)
    if shown.startswith("code,"):
        rows = list(csv.DictReader(io.StringIO(shown)))
        return [row["restricted"] for row in rows].count("True") == len(RESTRICTED)
    return True  # the workbook: codes and placeholders checked above


@dataclass(frozen=True)
class Surface:
    """Where texts are shown. `quotes`: may show a restricted text to those allowed (else never);
    `ordinary`: shows an ordinary text (to an in-scope viewer, or to the operator)."""

    read: Callable[[World, str], Awaitable[str]]
    per_viewer: bool
    quotes: bool
    ordinary: bool
    counted: Callable[[World, str], bool] | None


SURFACES = {
    "xem": Surface(xem, per_viewer=True, quotes=True, ordinary=True, counted=codes_listed),
    "tim": Surface(tim, per_viewer=True, quotes=True, ordinary=True, counted=None),
    "baocao": Surface(baocao, True, quotes=False, ordinary=True, counted=chat_digest_counts),
    "tuan": Surface(tuan, True, quotes=False, ordinary=True, counted=chat_digest_counts),
    "docx": Surface(docx_report, False, quotes=False, ordinary=True, counted=docx_counts),
    "xlsx": Surface(xlsx_report, False, quotes=False, ordinary=True, counted=listing_counts),
    "png": Surface(png_chart, False, quotes=False, ordinary=False, counted=None),
    "export-jsonl": Surface(export_jsonl, False, False, ordinary=True, counted=export_counts),
    "export-csv": Surface(export_csv, False, False, ordinary=True, counted=export_counts),
    "export-xlsx": Surface(export_workbook, False, False, ordinary=True, counted=export_counts),
}


@pytest.mark.parametrize("surface_name", list(SURFACES))
async def test_restricted_items_show_only_where_the_rule_allows(
    world: World, surface_name: str
) -> None:
    surface = SURFACES[surface_name]
    viewers = list(VIEWERS) if surface.per_viewer else [OPERATOR]
    for viewer in viewers:
        shown = await surface.read(world, viewer)
        where = (surface_name, viewer)
        allowed = surface.quotes and viewer in READS_RESTRICTED
        for item in RESTRICTED:
            assert (item.marker in shown) == allowed, (*where, item.name, shown)
        sees_ordinary = surface.ordinary and (viewer in IN_SCOPE or viewer == OPERATOR)
        assert (ORDINARY[0].marker in shown) == sees_ordinary, (*where, shown)
        for item in ITEMS:
            assert item.pseudonym not in shown and item.external_id not in shown, (*where, item)
        if surface.counted is not None and (viewer in IN_SCOPE or viewer == OPERATOR):
            assert surface.counted(world, shown), (*where, shown)


@pytest.mark.parametrize("surface_name", ["xem", "tim"])
async def test_reading_a_restricted_text_is_audited(world: World, surface_name: str) -> None:
    restricted_codes = sorted(world.codes[item.name] for item in RESTRICTED)
    for viewer in VIEWERS:
        before = len(await audit_rows(world.db, "restricted.read"))
        await SURFACES[surface_name].read(world, viewer)
        entries = (await audit_rows(world.db, "restricted.read"))[before:]
        async with world.db.unit_of_work() as uow:
            person = await uow.people.get_by_channel("test", f"viewer-{viewer}")
        assert person is not None
        # By code, never by text; only when the text was shown, and only to whom it was.
        read = sorted(code for _, _, _, details in entries for code in details["codes"])
        assert read == (restricted_codes if viewer in READS_RESTRICTED else []), viewer
        assert {actor for actor, *_ in entries} <= {person.pseudonym}
        assert all(details["command"] == surface_name for *_, details in entries)

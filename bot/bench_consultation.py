"""`ykien bench consultation`: a national-scale consultation — a million comments on a 50-section
draft — ingested, then its synthesis report written, on an empty database.

Residents (people rows, loaded in bulk: consent is not what is measured) each give positions on
up to every section, 60% of them with a comment. Comments are built from a dozen themes per
section (proposals, objections, requests for detail) in varied words, with or without diacritics,
so that each section has a few big themes and a long tail.

- The last `--engine` comments go through the real path: one `/gopy` update each through
  `Engine.handle` (claim the update, NLP flags and redaction, the position upserted, the comment
  clustered within its section, commit), `--concurrency` at a time. Reported: comments/s and the
  per-update latency. With `--engine` equal to `--comments`, every comment takes that path.
- The comments before them are bulk loaded with what the same NLP gives them (flags, redacted
  text, signature) and clustered by the generator's truth (one cluster per section theme, with
  band keys), as `bench dedup` does: the engine's speed is the figure, not an hour of waiting.
- The report is the operator's command, `ykien consultation report ID --out DIR`, run as a child
  process: wall time and the child's peak resident memory.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

from bot import units_cli
from bot.bench_dedup import BulkLoader
from bot.nlp_models import build_analyzer, load_or_train_classifier
from config import consultation_chat as chat
from config.consultations import STANCES
from config.settings import Settings
from handlers.consultation_setup import create_consultation
from handlers.intake import Engine
from handlers.messages import Event, Incoming, UserRef
from handlers.sections import split_text
from nlp.analyzer import Analyzer
from nlp.duplicates import band_keys, signature, signature_to_bytes
from nlp.locality import LocalityIndex
from nlp.text import strip_diacritics
from storage import models
from storage.consultation_records import NewConsultation
from storage.db import Database
from storage.records import SENSITIVE_FLAGS

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
CHANNEL = "bench"
THEMES_PER_SECTION = 12
COMMENT_SHARE = 0.6
SUBJECTS = (
    "phát triển kinh tế tư nhân",
    "chuyển đổi số trong cơ quan nhà nước",
    "quy hoạch đô thị và nhà ở xã hội",
    "bảo vệ môi trường, xử lý rác thải",
    "giáo dục phổ thông và học phí",
    "y tế cơ sở và bảo hiểm y tế",
    "chính sách cho người cao tuổi",
    "việc làm cho thanh niên",
    "quản lý đất đai, bồi thường giải phóng mặt bằng",
    "phòng, chống tham nhũng, lãng phí",
    "cải cách thủ tục hành chính",
    "an ninh trật tự ở khu dân cư",
    "xây dựng nông thôn mới",
    "phát triển văn hóa, thể thao cơ sở",
    "hỗ trợ hộ nghèo và cận nghèo",
    "giao thông và chống ngập",
    "sắp xếp bộ máy chính quyền hai cấp",
    "vai trò giám sát của Mặt trận Tổ quốc",
    "phát triển khoa học, công nghệ và đổi mới sáng tạo",
    "bình đẳng giới và chăm lo phụ nữ, trẻ em",
    "chính sách cho người lao động và công đoàn",
    "phát triển nông nghiệp công nghệ cao",
    "xây dựng Đảng về đạo đức cán bộ",
    "đối ngoại và hội nhập quốc tế",
    "quốc phòng toàn dân",
)
THEMES = (
    "Đề nghị bổ sung giải pháp cụ thể về {subject}, có chỉ tiêu và lộ trình rõ ràng",
    "Tôi tán thành nội dung về {subject} nhưng cần nêu rõ nguồn lực thực hiện",
    "Phần {subject} còn chung chung, đề nghị viết ngắn gọn, dễ hiểu hơn với người dân",
    "Đề nghị đánh giá thẳng thắn hạn chế, yếu kém trong {subject} nhiệm kỳ qua",
    "Cần có cơ chế để người dân tham gia giám sát việc thực hiện {subject}",
    "Đề nghị ưu tiên ngân sách cho {subject} ở vùng sâu, vùng xa",
    "Chỉ tiêu về {subject} quá cao so với điều kiện thực tế, đề nghị xem xét lại",
    "Đề nghị bổ sung nội dung phân công trách nhiệm người đứng đầu về {subject}",
    "Nên lấy ý kiến doanh nghiệp và hợp tác xã về {subject} trước khi ban hành",
    "Đề nghị làm rõ khái niệm và phạm vi của {subject} trong dự thảo",
    "Cần gắn {subject} với chuyển đổi số và công khai kết quả định kỳ",
    "Đề nghị có chính sách đặc thù về {subject} cho đồng bào dân tộc thiểu số",
)
OPENINGS = ("", "Theo tôi, ", "Ý kiến của tôi: ", "Tôi là cựu chiến binh, ", "Xin góp ý: ")
ENDINGS = ("", ".", ". Xin cảm ơn.", ", mong được tiếp thu.", " để Nhân dân tin tưởng.")


def draft_text(sections: int) -> str:
    """A draft of `sections` articles, each a heading and a paragraph of about 600 characters."""
    lines = ["DỰ THẢO VĂN KIỆN ĐẠI HỘI (BẢN ĐỂ LẤY Ý KIẾN NHÂN DÂN)"]
    for number in range(1, sections + 1):
        subject = SUBJECTS[(number - 1) % len(SUBJECTS)]
        lines.append(f"Điều {number}. Về {subject}")
        lines.append(
            f"Tiếp tục đẩy mạnh {subject}, coi đây là nhiệm vụ trọng tâm của nhiệm kỳ. "
            f"Phấn đấu đến năm 2030 hoàn thành các mục tiêu chủ yếu về {subject}; huy động các "
            "nguồn lực trong xã hội, phát huy vai trò chủ thể của Nhân dân, tăng cường kiểm tra, "
            "giám sát, kịp thời tháo gỡ khó khăn, vướng mắc ở cơ sở. Các cấp ủy, chính quyền, "
            "Mặt trận Tổ quốc và các đoàn thể xây dựng chương trình hành động cụ thể, phân công "
            "rõ người, rõ việc, rõ thời gian, rõ kết quả; định kỳ sơ kết, tổng kết, rút kinh "
            "nghiệm và biểu dương, khen thưởng kịp thời tập thể, cá nhân có thành tích."
        )
    return "\n".join(lines)


def comment_text(rng: random.Random, position: int, theme: int) -> str:
    """One resident's words for a theme of a section (position 0: the draft as a whole)."""
    subject = "toàn văn dự thảo" if position == 0 else SUBJECTS[(position - 1) % len(SUBJECTS)]
    words = rng.choice(OPENINGS) + THEMES[theme].format(subject=subject) + rng.choice(ENDINGS)
    if rng.random() < 0.25:
        words = strip_diacritics(words)
    return words


class _Plan:
    """Who says what: comment k is person k // per_person's, on a section of their own."""

    def __init__(self, comments: int, sections: int, seed: int = 7) -> None:
        self.positions = sections + 1  # with the whole draft
        self.per_person = self.positions
        self.people = -(-comments // self.per_person)
        self.comments = comments
        self.seed = seed

    def __iter__(self) -> Any:
        rng = random.Random(self.seed)
        stances = list(STANCES)
        for k in range(self.comments):
            person, j = divmod(k, self.per_person)
            position = (person * 7 + j) % self.positions
            # A few big themes per section and a long tail.
            theme = min(int(rng.paretovariate(1.2)) - 1, THEMES_PER_SECTION - 1)
            stance = stances[0 if rng.random() < 0.6 else 2 if rng.random() < 0.7 else 1]
            words = comment_text(rng, position, theme) if rng.random() < COMMENT_SHARE else None
            yield person, position, theme, stance, words


class _Analyses:
    """The NLP's output per distinct text (the generator repeats texts)."""

    def __init__(self, analyzer: Analyzer) -> None:
        self._analyzer = analyzer
        self._cache: dict[str, tuple[tuple[str, ...], str, bytes, tuple[str, ...]]] = {}
        self.analysed = 0
        self.seconds = 0.0

    def __call__(self, words: str) -> tuple[tuple[str, ...], str, bytes, tuple[str, ...]]:
        found = self._cache.get(words)
        if found is None:
            began = time.perf_counter()
            analysis = self._analyzer.screen(words)
            minhash = signature(analysis.redacted)
            found = (
                analysis.flag_codes,
                analysis.redacted,
                signature_to_bytes(minhash),
                tuple(band_keys(minhash)),
            )
            self.seconds += time.perf_counter() - began
            self.analysed += 1
            self._cache[words] = found
        return found


async def _bulk(
    db: Database,
    consultation_id: int,
    section_ids: dict[int, int],
    plan: _Plan,
    bulk_count: int,
    analyses: _Analyses,
    now: datetime,
) -> dict[str, Any]:
    """People for the whole plan, and the first `bulk_count` comments already clustered."""
    seconds: dict[str, float] = {}
    began = time.perf_counter()
    async with db.engine.begin() as conn:
        loader = BulkLoader(conn, db.is_sqlite, seconds)
        at = loader.when(now)
        for first in range(0, plan.people, 50_000):
            people = [
                (i + 1, f"bench{i:08d}", CHANNEL, f"b{i}", "resident", "v1", at, at, "[]")
                for i in range(first, min(first + 50_000, plan.people))
            ]
            await loader.copy(
                "people",
                [
                    "id", "pseudonym", "channel", "external_id", "role", "consent_version",
                    "consent_at", "created_at", "topics",
                ],
                people,
            )  # fmt: skip
        clusters: dict[tuple[int, int], int] = {}
        rows: list[tuple[Any, ...]] = []
        new_clusters: list[tuple[Any, ...]] = []
        keys: list[tuple[Any, ...]] = []
        for comment_id, (person, position, theme, stance, words) in enumerate(
            itertools.islice(plan, bulk_count), 1
        ):
            flags: tuple[str, ...] = ()
            redacted = minhash = cluster_id = None
            if words is not None:
                flags, redacted, minhash, theme_keys = analyses(words)
                cluster_id = clusters.get((position, theme))
                if cluster_id is None:
                    cluster_id = clusters[position, theme] = len(clusters) + 1
                    scope = f"gy:{consultation_id}:{position}"
                    new_clusters.append((cluster_id, scope, 0, comment_id, at, at))
                    keys += [(scope, key, cluster_id, comment_id) for key in theme_keys]
            restricted = bool(set(flags) & set(SENSITIVE_FLAGS))
            rows.append(
                (
                    comment_id, consultation_id, section_ids[position], person + 1, stance,
                    words, redacted, json.dumps(list(flags)), restricted, None, "hcm", CHANNEL,
                    cluster_id, minhash, at, at,
                )
            )  # fmt: skip
            if len(rows) == 20_000:
                await _copy_batch(loader, new_clusters, rows)
                new_clusters, rows = [], []
        await _copy_batch(loader, new_clusters, rows)
        keys.sort()
        await loader.copy(
            "cluster_keys", ["scope", "band_key", "cluster_id", "submission_id"], keys
        )
        # Sizes once every member is in (the first member already stands for its cluster).
        await conn.execute(
            text(
                "UPDATE clusters SET size = (SELECT count(*) FROM consultation_comments c"
                " WHERE c.cluster_id = clusters.id) WHERE scope LIKE 'gy:%'"
            )
        )
        if not db.is_sqlite:
            for table in ("people", "clusters", "consultation_comments"):
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT coalesce(max(id), 1) FROM {table}))"
                    )
                )
    async with db.engine.begin() as conn:
        await conn.execute(text("ANALYZE"))
    return {"bulk_s": round(time.perf_counter() - began, 1), "insert_s": seconds}


async def _copy_batch(
    loader: BulkLoader, new_clusters: list[tuple[Any, ...]], rows: list[tuple[Any, ...]]
) -> None:
    """A batch's new clusters, then its comments (which refer to them)."""
    await loader.copy(
        "clusters",
        ["id", "scope", "size", "representative_submission_id", "created_at", "updated_at"],
        new_clusters,
    )
    await loader.copy("consultation_comments", _COMMENT_COLUMNS, rows)


_COMMENT_COLUMNS = [
    "id", "consultation_id", "section_id", "person_id", "stance", "text", "redacted", "flags",
    "restricted", "target_group", "unit_code", "channel", "cluster_id", "signature",
    "created_at", "updated_at",
]  # fmt: skip


async def _through_engine(
    engine: Engine, consultation_id: int, plan: _Plan, skip: int, concurrency: int
) -> dict[str, Any]:
    """The rest of the plan as `/gopy` updates through the engine; comments/s and latency."""
    queue: asyncio.Queue[tuple[int, int, str, str | None] | None] = asyncio.Queue(10_000)
    latencies: list[float] = []
    stance_digit = {code: str(index) for index, code in enumerate(STANCES, 1)}
    counter = itertools.count(1)

    async def worker() -> None:
        while (job := await queue.get()) is not None:
            person, position, stance, words = job
            args = f"{consultation_id} {position} {stance_digit[stance]}"
            if words:
                args += f" {words}"
            incoming = Incoming(
                user=UserRef(CHANNEL, f"b{person}"),
                chat_id=f"b{person}",
                update_id=f"bench-{next(counter)}",
                event=Event.COMMAND,
                received_at=engine.clock(),
                text=f"/gopy {args}",
                command="gopy",
                args=args,
            )
            began = time.perf_counter()
            replies = await engine.handle(incoming)
            latencies.append(time.perf_counter() - began)
            if not replies or not replies[0].text.startswith(chat.SAVED.split("{")[0][:10]):
                raise RuntimeError(f"unexpected reply to comment {args[:40]}")

    workers = [asyncio.create_task(worker()) for _ in range(concurrency)]
    began = time.perf_counter()
    for person, position, _theme, stance, words in itertools.islice(plan, skip, None):
        await queue.put((person, position, stance, words))
    for _ in workers:
        await queue.put(None)
    await asyncio.gather(*workers)
    seconds = time.perf_counter() - began
    latencies.sort()
    count = len(latencies)
    return {
        "engine_comments": count,
        "engine_seconds": round(seconds, 1),
        "comments_per_s": round(count / seconds, 1) if seconds else None,
        "latency_ms": {
            "p50": round(1000 * latencies[count // 2], 1) if count else None,
            "p99": round(1000 * latencies[min(count - 1, int(count * 0.99))], 1) if count else None,
        },
    }


def _report_child(
    database_url: str, data_dir: Path, consultation_id: int, out: Path
) -> dict[str, Any]:
    """`ykien consultation report` as a child process: wall seconds and its peak memory."""
    env = {**os.environ, "YKIEN_DATABASE_URL": database_url, "YKIEN_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "bot.cli", "consultation", "report", str(consultation_id)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    began = time.perf_counter()
    subprocess.run([*command, "--out", str(out)], env=env, check=True, capture_output=True)
    seconds = time.perf_counter() - began
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "report_s": round(seconds, 1),
        # ru_maxrss is the largest child so far: meaningful when this is the biggest one.
        "report_peak_mib": round(max(peak_kib, before) / 1024),
        "files": {path.name: path.stat().st_size for path in sorted(out.iterdir())},
    }


async def run_consultation_bench(
    database_url: str,
    *,
    comments: int,
    sections: int,
    engine_comments: int,
    concurrency: int,
    settings: Settings,
) -> dict[str, Any]:
    """Create the consultation, load and ingest the comments, write the report; the figures."""
    db = Database(database_url)
    try:
        await db.upgrade()
        async with db.unit_of_work() as uow:
            if await uow.session.scalar(select(func.count()).select_from(models.Person)):
                raise RuntimeError("bench consultation needs an empty database")
        await units_cli.store_units(db, units_cli.read_units_file(units_cli.DEFAULT_UNITS_FILE))
        load_or_train_classifier(settings)
        analyzer = build_analyzer(settings)
        now = datetime.now(UTC)
        async with db.unit_of_work() as uow:
            consultation = await create_consultation(
                uow,
                NewConsultation(
                    title="Dự thảo Văn kiện Đại hội (bản lấy ý kiến Nhân dân)",
                    issuer="Ủy ban MTTQ Việt Nam Thành phố Hồ Chí Minh",
                    unit_code="hcm",
                    opens_at=now - timedelta(days=1),
                    closes_at=now + timedelta(days=30),
                    created_by="bench",
                    report_due=(now + timedelta(days=37)).astimezone(VIETNAM).date(),
                ),
                split_text(draft_text(sections)).sections,
                now,
                whole_label=chat.MENU_WHOLE,
            )
            stored = await uow.consultations.sections(consultation.id)
            await uow.commit()
        section_ids = {section.position: section.id for section in stored}
        if len(section_ids) != sections + 1:
            raise RuntimeError(f"the draft split into {len(section_ids) - 1} sections")
        plan = _Plan(comments, sections)
        bulk_count = comments - engine_comments
        analyses = _Analyses(analyzer)
        result: dict[str, Any] = {
            "database": db.engine.dialect.name,
            "comments": comments,
            "sections": sections,
            "people": plan.people,
        }
        result.update(
            await _bulk(db, consultation.id, section_ids, plan, bulk_count, analyses, now)
        )
        result["bulk_comments"] = bulk_count
        engine = Engine(
            db.unit_of_work,
            LocalityIndex.from_vietnam_provinces(),
            lambda: datetime.now(UTC),
            VIETNAM,
            analyzer,
        )
        result.update(await _through_engine(engine, consultation.id, plan, bulk_count, concurrency))
        async with db.unit_of_work() as uow:
            stored_count = await uow.consultations.comment_count(consultation.id)
        if stored_count != comments:
            raise RuntimeError(f"{stored_count} comments stored, {comments} expected")
        result["stored"] = stored_count
        with tempfile.TemporaryDirectory() as scratch:
            result.update(
                _report_child(database_url, settings.data_dir, consultation.id, Path(scratch))
            )
        return result
    finally:
        await db.dispose()


def main_sync(args: Any, settings: Settings) -> dict[str, Any]:
    """`ykien bench consultation` (on a throw-away SQLite file unless --database-url)."""
    options = {
        "comments": args.comments,
        "sections": args.sections,
        "engine_comments": min(args.engine, args.comments),
        "concurrency": args.concurrency,
        "settings": settings,
    }
    if args.database_url:
        return asyncio.run(run_consultation_bench(args.database_url, **options))
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{scratch}/bench.sqlite3"
        return asyncio.run(run_consultation_bench(url, **options))

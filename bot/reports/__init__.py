"""Officers' report files rendered from one `Digest`: Word, Excel and a PNG chart."""

from __future__ import annotations

from datetime import date, tzinfo
from pathlib import Path

from bot.reports.chart import write_chart
from bot.reports.common import DEFAULT_TZ
from bot.reports.docx import write_docx
from bot.reports.xlsx import write_xlsx
from handlers.digest import Digest, Period

__all__ = ["file_stem", "write_all", "write_chart", "write_docx", "write_xlsx"]


def file_stem(period: Period) -> str:
    """ASCII name part of a period: "2026-10" for a month, "2026-10-01_2026-10-07" otherwise."""
    if period.is_month:
        return f"{period.start:%Y-%m}"
    last = date.fromordinal(period.end.toordinal() - 1)
    return f"{period.start:%Y-%m-%d}_{last:%Y-%m-%d}"


def write_all(
    digest: Digest,
    directory: Path,
    *,
    issuer: str,
    number: str,
    place: str,
    signer: str = "",
    tz: tzinfo = DEFAULT_TZ,
) -> list[Path]:
    """Write the Word report, the workbook and the chart into `directory`; returns the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stem = file_stem(digest.period)
    return [
        write_docx(
            digest,
            directory / f"bao-cao-{stem}.docx",
            issuer=issuer,
            number=number,
            place=place,
            signer=signer,
            tz=tz,
        ),
        write_xlsx(digest, directory / f"tong-hop-{stem}.xlsx", tz=tz),
        write_chart(digest, directory / f"bieu-do-{stem}.png"),
    ]

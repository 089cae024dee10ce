"""Reading a draft document (.docx, .pdf with a text layer, .txt in UTF-8) into sections.

The file is read here; splitting is `handlers.sections`. Whatever goes wrong with the file
ends as a `DraftError` carrying the Vietnamese message, never a parser's traceback.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import docx
import pypdf
from docx.document import Document as WordDocument
from docx.styles.style import CharacterStyle
from docx.table import Table
from docx.text.paragraph import Paragraph as WordParagraph

from config import consultations as texts
from handlers.sections import (
    DraftError,
    Paragraph,
    SplitDraft,
    check_length,
    clean,
    join_wrapped_lines,
    split_sections,
)

# A Word heading style ("Heading 2"); python-docx names the built-in styles in English whatever
# the language of Word.
_HEADING_STYLE = re.compile(r"heading (\d)", re.IGNORECASE)
# A page number alone on a PDF line: "3", "- 3 -".
_PAGE_NUMBER = re.compile(r"[\s\-–—]*\d{1,4}[\s\-–—]*")
_MEGABYTE = 1024 * 1024
# The sample draft of the demo and the tests.
SAMPLE_DRAFT = Path(__file__).parent / "samples" / "du_thao_bao_cao_chinh_tri.txt"


def read_draft(path: Path) -> SplitDraft:
    """Read and split the draft in `path` (.docx, .pdf or .txt, by its suffix)."""
    _reader(path.name)
    try:
        size = path.stat().st_size
        if size > texts.DRAFT_MAX_BYTES:
            raise _too_large(path.name, size)
        data = path.read_bytes()
    except OSError as exc:
        raise DraftError(_unreadable(path.name)) from exc
    return read_draft_bytes(data, path.name)


def read_draft_bytes(data: bytes, filename: str) -> SplitDraft:
    """Read and split a draft received as bytes (a document sent in chat) named `filename`."""
    reader = _reader(filename)
    if len(data) > texts.DRAFT_MAX_BYTES:
        raise _too_large(filename, len(data))
    return split_sections(reader(data, filename))


def check_draft_file(filename: str, size: int | None) -> None:
    """Refuse, before fetching or reading it, a file of a type not taken or over the size limit
    (`size` None: not known yet)."""
    _reader(filename)
    if size is not None and size > texts.DRAFT_MAX_BYTES:
        raise _too_large(filename, size)


def _reader(filename: str) -> Callable[[bytes, str], list[Paragraph]]:
    """The paragraph reader for `filename`'s type, or a DraftError naming the accepted ones."""
    reader = _READERS.get(Path(filename).suffix.lower())
    if reader is None:
        raise DraftError(texts.DRAFT_UNSUPPORTED_TYPE.format(name=filename))
    return reader


def _too_large(filename: str, size: int) -> DraftError:
    return DraftError(
        texts.DRAFT_TOO_LARGE.format(
            name=filename,
            size=f"{size / _MEGABYTE:.1f}".replace(".", ","),
            limit=texts.DRAFT_MAX_BYTES // _MEGABYTE,
        )
    )


def _unreadable(filename: str) -> str:
    kind = Path(filename).suffix.lower().lstrip(".").upper() or "?"
    return texts.DRAFT_UNREADABLE.format(name=filename, kind=kind)


def _txt_paragraphs(data: bytes, filename: str) -> list[Paragraph]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DraftError(texts.DRAFT_NOT_UTF8.format(name=filename)) from exc
    return [Paragraph(line) for line in text.splitlines()]


def _docx_paragraphs(data: bytes, filename: str) -> list[Paragraph]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > texts.DRAFT_MAX_UNPACKED_BYTES:
            raise _too_large(filename, unpacked)
        document = docx.Document(io.BytesIO(data))
        return list(_docx_blocks(document))
    except DraftError:
        raise
    # A damaged or foreign file fails anywhere in zipfile, lxml or python-docx, each with its
    # own exception types; all mean the same to the officer.
    except Exception as exc:
        raise DraftError(_unreadable(filename)) from exc


def _docx_blocks(document: WordDocument) -> Iterator[Paragraph]:
    """The document's paragraphs in reading order, a table row as one paragraph."""
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                # A merged cell is repeated in every grid cell it spans.
                cells = dict.fromkeys(cell.text.strip() for cell in row.cells)
                yield Paragraph(" | ".join(cell for cell in cells if cell))
            continue
        # The "Title" style is the draft's own title, not a heading: it stays in the preamble.
        style = block.style
        match = _HEADING_STYLE.fullmatch(style.name or "") if style is not None else None
        level = int(match.group(1)) if match else None
        bold = _is_bold(block)
        # A line break inside a paragraph ("1. Về kinh tế" / its text) splits it.
        for line in block.text.split("\n"):
            yield Paragraph(line, level, bold)


def _is_bold(paragraph: WordParagraph) -> bool:
    """Whether every run with text is bold: set on the run, its character style or else the
    paragraph's style (each style possibly inheriting from its base style)."""
    runs = [run for run in paragraph.runs if run.text.strip()]
    default = bool(_style_bold(paragraph.style))
    return bool(runs) and all(
        next((b for b in (run.bold, _style_bold(run.style)) if b is not None), default)
        for run in runs
    )


def _style_bold(style: CharacterStyle | None) -> bool | None:
    """Bold as `style` or the first of its bases that says so sets it; None if none does."""
    while style is not None:
        if style.font.bold is not None:
            return bool(style.font.bold)
        style = style.base_style
    return None


def _pdf_paragraphs(data: bytes, filename: str) -> list[Paragraph]:
    lines: list[str] = []
    try:
        # pypdf opens a PDF locked by an owner password only (the empty user password) itself;
        # one that needs a password to open fails on its first page.
        reader = pypdf.PdfReader(io.BytesIO(data))
        size = 0
        for page in reader.pages:
            text = page.extract_text() or ""
            lines += [line for line in text.splitlines() if not _PAGE_NUMBER.fullmatch(line)]
            # Joining lines only adds spaces, so a draft over the limit is known early.
            size += sum(len(clean(line)) for line in text.splitlines())
            check_length(size)
    except DraftError:
        raise
    # pypdf raises its own errors and also ValueError, KeyError, … on damaged files.
    except Exception as exc:
        raise DraftError(_unreadable(filename)) from exc
    return [Paragraph(text) for text in join_wrapped_lines(lines)]


_READERS: dict[str, Callable[[bytes, str], list[Paragraph]]] = {
    ".docx": _docx_paragraphs,
    ".pdf": _pdf_paragraphs,
    ".txt": _txt_paragraphs,
}

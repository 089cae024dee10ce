"""A small streaming XLSX writer: rows go straight into the zip, so memory stays flat.

openpyxl (write-only) and XlsxWriter (constant_memory) write a few thousand rows a second;
the consultation workbook lists up to millions of comments and must be written in seconds.
This writer does only what that workbook needs, and does it fast:

- sheets written one after the other, in order: adding a sheet finishes the previous one;
- per sheet: column widths, an optional bold header row that stays frozen on screen and may
  carry an auto-filter over every row written;
- cells of type str, int, float, bool, naive datetime, or None (no cell);
- a few cell styles (bold, a number format, wrapped text), made with `StreamingWorkbook.style`.

Strings are inline strings (``t="inlineStr"``): never evaluated, so a resident's text starting
with "=" stays text (what `bot.reports.xlsx.safe_cells` ensures for openpyxl). Characters XML 1.0
forbids (control characters other than tab, line feed and carriage return; lone surrogates;
U+FFFE, U+FFFF) are dropped, ``_xHHHH_`` sequences are escaped so Excel does not decode them,
and a text longer than Excel's 32,767 characters is cut. Datetimes become serial numbers
shown with the workbook's date-time format.

The package holds [Content_Types].xml, _rels/.rels, docProps/core.xml and app.xml,
xl/workbook.xml, xl/_rels/workbook.xml.rels, xl/styles.xml and xl/worksheets/sheetN.xml, the
worksheets' elements in the schema's order (sheetViews, sheetFormatPr, cols, sheetData,
autoFilter, pageMargins). No dimension element is written: it is optional, and unknown until
the last row of a streamed sheet.

    with StreamingWorkbook(path, datetime_format="dd/mm/yyyy hh:mm") as book:
        bold = book.style(bold=True)
        sheet = book.add_sheet("Ý kiến", widths=(9, 80), header=("STT", "Nội dung"))
        sheet.append([1, "Đồng ý."])
        sheet.append([None, "Tổng"], style=bold)        # one style for the row
        sheet.append([2, "Xem lại."], style=(0, bold))  # or one per cell
"""

from __future__ import annotations

import contextlib
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import repeat
from pathlib import Path
from types import TracebackType
from typing import Any
from xml.sax.saxutils import escape, quoteattr

# Excel's limits.
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
MAX_CELL_CHARS = 32_767
MAX_TITLE_CHARS = 31
# A worksheet part must stay under 2 GiB uncompressed unless the zip uses ZIP64 extensions,
# which make Excel offer to repair the file; `Sheet.size` lets a caller start a new sheet first.
MAX_PART_BYTES = (1 << 31) - 1

# Characters a sheet title may not hold (Excel).
_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# Anything a string needs done to it: XML's own characters, a carriage return (an XML parser
# would turn it into a line feed), characters XML 1.0 forbids, and Excel's _xHHHH_ escapes.
_SPECIAL = re.compile(
    "[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9A-Fa-f]{4}_"
)
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_REPLACEMENTS = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
# Excel's day 0 (its 1900 date system counts 29 February 1900, so serials start a day early);
# serials before 1 March 1900 would show a day off, so such datetimes are refused.
_EPOCH = datetime(1899, 12, 30)
_FIRST_DATETIME = datetime(1900, 3, 1)
# Buffered XML is flushed to the zip every so many rows, or sooner past so many characters of
# long texts; strings up to _CACHED_CHARS long (names, labels) are escaped once per workbook.
_CHUNK_ROWS = 1_024
_CHUNK_CHARS = 1 << 20
_CACHED_CHARS = 100
_CACHED_STRINGS = 10_000

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
# Number formats Excel knows by id (ECMA-376 part 1, 18.8.30); others get ids from 164 on.
_BUILTIN_FORMATS = {
    "General": 0,
    "0": 1,
    "0.00": 2,
    "#,##0": 3,
    "#,##0.00": 4,
    "0%": 9,
    "0.00%": 10,
    "0.00E+00": 11,
    "mm-dd-yy": 14,
    "h:mm": 20,
    "h:mm:ss": 21,
    "m/d/yy h:mm": 22,
    "@": 49,
}


def column_letter(index: int) -> str:
    """The letters of a 1-based column index: 1 -> "A", 27 -> "AA"."""
    if not 1 <= index <= MAX_COLUMNS:
        raise ValueError(f"column {index} is outside 1..{MAX_COLUMNS}")
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _replace(match: re.Match[str]) -> str:
    found = match.group()
    if len(found) > 1:  # _xHHHH_: Excel would decode it; "_x005F_" is an escaped underscore
        return "_x005F" + found
    return _REPLACEMENTS.get(found, "")  # a forbidden character is dropped


def clean_text(value: str) -> str:
    """`value` without the characters XML 1.0 forbids, cut to Excel's cell length."""
    if _FORBIDDEN.search(value) is not None:
        value = _FORBIDDEN.sub("", value)
    return value[:MAX_CELL_CHARS]


def _inline(value: str) -> str:
    """The <is> element of a string cell, or "" for a string that is empty once cleaned."""
    if _SPECIAL.search(value) is not None:
        value = clean_text(value)
        if not value:
            return ""
        # Excel trims a text's outer whitespace unless told to keep it.
        preserve = value[0] <= " " or value[-1] <= " "
        value = _SPECIAL.sub(_replace, value)
    else:
        if len(value) > MAX_CELL_CHARS:
            value = value[:MAX_CELL_CHARS]
        if not value:
            return ""
        preserve = value[0] <= " " or value[-1] <= " "
    if preserve:
        return f'<is><t xml:space="preserve">{value}</t></is>'
    return f"<is><t>{value}</t></is>"


def _serial(value: datetime) -> float:
    """Excel's serial number of a naive datetime (days since its epoch, time as a fraction)."""
    if value.tzinfo is not None:
        raise ValueError("Excel has no time zones: give naive local datetimes")
    if value < _FIRST_DATETIME:
        raise ValueError(f"{value} is before 1 March 1900")
    delta = value - _EPOCH
    return delta.days + (delta.seconds + delta.microseconds / 1_000_000) / 86_400


@dataclass(frozen=True)
class _Style:
    bold: bool
    number_format: str | None
    wrap: bool


class StreamingWorkbook:
    """An XLSX file written as it goes: `add_sheet`, `Sheet.append`, then `close` (or `with`)."""

    def __init__(
        self,
        path: Path | str,
        *,
        datetime_format: str = "yyyy-mm-dd hh:mm:ss",
        compresslevel: int = 1,
    ) -> None:
        self.path = Path(path)
        self.datetime_format = datetime_format
        # Deflating 133 MiB of comment rows took 0.29 s of CPU at level 1 (to 12.1 MiB), 0.39 s
        # at 3 (10.7 MiB), 1.11 s at 6 (9.2 MiB): level 1, for a report due within a minute.
        self._zip = zipfile.ZipFile(
            self.path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
        )
        self._sheets: list[Sheet] = []
        self._current: Sheet | None = None
        self._closed = False
        # Cell formats (cellXfs): index 0 is the default. `_attrs[i]` is the s="i" attribute.
        self._styles: list[_Style] = [_Style(False, None, False)]
        self._style_index: dict[_Style, int] = {self._styles[0]: 0}
        self._attrs: list[str] = [""]
        self._datetime_attrs: dict[int, str] = {}
        self._strings: dict[str, str] = {}  # short string -> its escaped <is> element
        self._bold = self.style(bold=True)
        # Static parts first: file-type sniffers look at the first entries' names.
        self._write("_rels/.rels", _root_rels())
        self._write("docProps/core.xml", _core(datetime.now(UTC)))
        self._write("docProps/app.xml", _app())

    def style(
        self, *, bold: bool = False, number_format: str | None = None, wrap: bool = False
    ) -> int:
        """The id of a cell style, for `Sheet.append` (0 is the default; same style, same id)."""
        key = _Style(bold, number_format, wrap)
        index = self._style_index.get(key)
        if index is None:
            index = self._style_index[key] = len(self._styles)
            self._styles.append(key)
            self._attrs.append(f' s="{index}"')
        return index

    def _datetime_attr(self, style: int) -> str:
        """The s attribute of a datetime cell in `style` (the style plus the date-time format)."""
        attr = self._datetime_attrs.get(style)
        if attr is None:
            base = self._styles[style]
            fmt = base.number_format or self.datetime_format
            index = self.style(bold=base.bold, number_format=fmt, wrap=base.wrap)
            attr = self._datetime_attrs[style] = self._attrs[index]
        return attr

    def add_sheet(
        self,
        title: str,
        *,
        widths: Sequence[float] = (),
        header: Sequence[Any] | None = None,
        auto_filter: bool = False,
    ) -> Sheet:
        """Finish the current sheet and start the next one; a header row is bold and frozen.

        `widths` are the first columns' widths (in characters); `auto_filter` puts a filter on
        the header's columns over every row the sheet gets.
        """
        if self._closed:
            raise ValueError("the workbook is closed")
        _check_title(title, [sheet.title for sheet in self._sheets])
        if auto_filter and not header:
            raise ValueError("an auto-filter needs a header row")
        self._finish_sheet()
        number = len(self._sheets) + 1
        part = self._zip.open(f"xl/worksheets/sheet{number}.xml", "w")
        sheet = Sheet(self, title, number, part, widths, header, auto_filter)
        self._sheets.append(sheet)
        self._current = sheet
        return sheet

    def _finish_sheet(self) -> None:
        if self._current is not None:
            self._current._close()
            self._current = None

    def _write(self, name: str, xml: str) -> None:
        self._zip.writestr(name, (_XML_DECLARATION + xml).encode())

    def close(self) -> None:
        """Finish the last sheet and write the workbook, its styles and the package's parts."""
        if self._closed:
            return
        if not self._sheets:
            self.abort()
            raise ValueError("a workbook needs at least one sheet")
        try:
            self._finish_sheet()
            self._write("xl/workbook.xml", _workbook(self._sheets))
            self._write("xl/_rels/workbook.xml.rels", _workbook_rels(len(self._sheets)))
            self._write("xl/styles.xml", _stylesheet(self._styles))
            self._write("[Content_Types].xml", _content_types(len(self._sheets)))
            self._zip.close()
        except BaseException:
            self.abort()
            raise
        self._closed = True

    def abort(self) -> None:
        """Stop writing and remove the unfinished file."""
        self._closed = True
        # Whatever broke may have broken the zip too: the file is removed in any case.
        with contextlib.suppress(Exception):
            if self._current is not None:
                self._current._part.close()
            self._zip.close()
        self._current = None
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> StreamingWorkbook:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


class Sheet:
    """A worksheet being written: `append` rows; the workbook finishes it."""

    def __init__(
        self,
        book: StreamingWorkbook,
        title: str,
        number: int,
        part: Any,
        widths: Sequence[float],
        header: Sequence[Any] | None,
        auto_filter: bool,
    ) -> None:
        self.title = title
        self.number = number
        self.rows = 0  # rows written so far (header included)
        self.filter_ref: str | None = None  # set when the sheet is finished
        self._book = book
        self._part = part
        self._auto_filter = auto_filter
        self._header_columns = len(header) if header else 0
        self._letters: list[str] = []
        self._buffer: list[str] = []
        self._chars = 0
        self._flushed = 0
        self._closed = False
        self._buffer.append(_sheet_head(widths, frozen=bool(header)))
        if header:
            self.append(header, style=book._bold)

    @property
    def size(self) -> int:
        """Bytes of XML written to the zip so far (the rows still buffered, a few MB, not yet)."""
        return self._flushed

    def append(self, values: Sequence[Any], style: int | Sequence[int] = 0) -> None:
        """Write the next row: `style` is one style id for every cell, or one per cell."""
        if self._closed:
            raise ValueError(f"sheet {self.title!r} is finished")
        row = self.rows + 1
        if row > MAX_ROWS:
            raise ValueError(f"sheet {self.title!r} is full ({MAX_ROWS} rows)")
        letters = self._letters
        if len(values) > len(letters):
            letters.extend(column_letter(i) for i in range(len(letters) + 1, len(values) + 1))
        if type(style) is int:
            styles: Iterable[int] = repeat(style)
        elif len(style) >= len(values):  # type: ignore[arg-type]
            styles = style  # type: ignore[assignment]
        else:
            raise ValueError(f"{len(style)} styles for {len(values)} cells")  # type: ignore[arg-type]
        self.rows = row
        book = self._book
        attrs = book._attrs
        datetime_attrs = book._datetime_attrs
        cache = book._strings
        r = str(row)
        # The hot loop of a million-row sheet: types compared exactly (subclasses take the slow
        # path), short strings escaped once and reused, pieces appended for one join per chunk.
        pieces = [f'<row r="{r}">']
        add = pieces.append
        # `letters` and `styles` may be longer than the row: zip stops with `values`.
        for letter, value, s in zip(letters, values, styles, strict=False):
            if value is None:
                continue
            kind = type(value)
            if kind is str:
                if len(value) <= _CACHED_CHARS:
                    inline = cache.get(value)
                    if inline is None:
                        inline = _inline(value)
                        if len(cache) < _CACHED_STRINGS:
                            cache[value] = inline
                else:
                    inline = _inline(value)
                    self._chars += len(inline)
                if inline:
                    add(f'<c r="{letter}{r}"{attrs[s]} t="inlineStr">{inline}</c>')
            elif kind is int:
                add(f'<c r="{letter}{r}"{attrs[s]}><v>{value}</v></c>')
            elif kind is datetime:
                attr = datetime_attrs.get(s)
                if attr is None:
                    attr = book._datetime_attr(s)
                add(f'<c r="{letter}{r}"{attr}><v>{_serial(value)!r}</v></c>')
            else:
                add(self._other(value, letter + r, s))
        add("</row>")
        buffer = self._buffer
        buffer.append("".join(pieces))
        if len(buffer) >= _CHUNK_ROWS or self._chars > _CHUNK_CHARS:
            self._flush()

    def _other(self, value: Any, ref: str, style: int) -> str:
        """A cell of a less common type: float, bool, or a subclass of str, int or datetime."""
        attr = self._book._attrs[style]
        if isinstance(value, bool):
            return f'<c r="{ref}"{attr} t="b"><v>{int(value)}</v></c>'
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError(f"Excel cannot hold {value!r} ({ref})")
            return f'<c r="{ref}"{attr}><v>{value!r}</v></c>'
        if isinstance(value, int):
            return f'<c r="{ref}"{attr}><v>{int(value)}</v></c>'
        if isinstance(value, str):
            inline = _inline(str.__str__(value))
            return f'<c r="{ref}"{attr} t="inlineStr">{inline}</c>' if inline else ""
        if isinstance(value, datetime):
            attr = self._book._datetime_attr(style)
            return f'<c r="{ref}"{attr}><v>{_serial(value)!r}</v></c>'
        raise TypeError(f"cannot write a {type(value).__name__} to a cell ({ref})")

    def _flush(self) -> None:
        data = "".join(self._buffer).encode()
        self._part.write(data)
        self._flushed += len(data)
        self._buffer.clear()
        self._chars = 0

    def _close(self) -> None:
        """Write the sheet's tail (the filter now that the last row is known) and close it."""
        tail = ["</sheetData>"]
        if self._auto_filter:
            last = column_letter(self._header_columns)
            self.filter_ref = f"A1:{last}{self.rows}"
            tail.append(f'<autoFilter ref="{self.filter_ref}"/>')
        tail.append(
            '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
        )
        tail.append("</worksheet>")
        self._buffer.extend(tail)
        self._flush()
        self._part.close()
        self._closed = True


def _check_title(title: str, taken: list[str]) -> None:
    """Refuse a title Excel would refuse (or repair): length, characters, quotes, duplicates."""
    if not 1 <= len(title) <= MAX_TITLE_CHARS:
        raise ValueError(f"a sheet title has 1 to {MAX_TITLE_CHARS} characters: {title!r}")
    if _TITLE_FORBIDDEN.search(title) or _FORBIDDEN.search(title):
        raise ValueError(f"a sheet title cannot hold []:*?/\\ or control characters: {title!r}")
    if title[0] == "'" or title[-1] == "'":
        raise ValueError(f"a sheet title cannot start or end with an apostrophe: {title!r}")
    if title.casefold() in (name.casefold() for name in taken):
        raise ValueError(f"two sheets titled {title!r}")


def _sheet_head(widths: Sequence[float], *, frozen: bool) -> str:
    if frozen:
        view = (
            '<sheetView workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView>'
        )
    else:
        view = '<sheetView workbookViewId="0"><selection activeCell="A1" sqref="A1"/></sheetView>'
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{width}" customWidth="1"/>'
        for i, width in enumerate(widths, 1)
    )
    return (
        f'{_XML_DECLARATION}<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        f'<sheetViews>{view}</sheetViews><sheetFormatPr defaultRowHeight="15"/>'
        + (f"<cols>{cols}</cols>" if cols else "")
        + "<sheetData>"
    )


def _workbook(sheets: list[Sheet]) -> str:
    entries = "".join(
        f'<sheet name={quoteattr(sheet.title)} sheetId="{sheet.number}" r:id="rId{sheet.number}"/>'
        for sheet in sheets
    )
    # Excel keeps each sheet's filter range as a hidden name too; it writes it, so do we.
    names = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{sheet.number - 1}" hidden="1">'
        + escape("'" + sheet.title.replace("'", "''") + "'!" + _absolute(sheet.filter_ref))
        + "</definedName>"
        for sheet in sheets
        if sheet.filter_ref
    )
    return (
        f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><workbookPr/>'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{entries}</sheets>"
        + (f"<definedNames>{names}</definedNames>" if names else "")
        + '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'
    )


def _absolute(ref: str) -> str:
    """ "A1:L9" -> "$A$1:$L$9"."""
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", corner) for corner in ref.split(":"))


def _workbook_rels(sheets: int) -> str:
    kind = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    rels = [
        f'<Relationship Id="rId{n}" Type="{kind}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, sheets + 1)
    ]
    rels.append(f'<Relationship Id="rId{sheets + 1}" Type="{kind}/styles" Target="styles.xml"/>')
    return f'<Relationships xmlns="{_PKG_REL_NS}">{"".join(rels)}</Relationships>'


def _root_rels() -> str:
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    return (
        f'<Relationships xmlns="{_PKG_REL_NS}">'
        f'<Relationship Id="rId1" Type="{office}/officeDocument" Target="xl/workbook.xml"/>'
        f'<Relationship Id="rId2" Type="{package}/metadata/core-properties"'
        ' Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{office}/extended-properties" Target="docProps/app.xml"/>'
        "</Relationships>"
    )


def _core(now: datetime) -> str:
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    )


def _app() -> str:
    return (
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'extended-properties"><Application>Microsoft Excel Compatible</Application></Properties>'
    )


def _content_types(sheets: int) -> str:
    office = "application/vnd.openxmlformats-officedocument"
    parts = [
        ("/xl/workbook.xml", f"{office}.spreadsheetml.sheet.main+xml"),
        ("/xl/styles.xml", f"{office}.spreadsheetml.styles+xml"),
        ("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"),
        ("/docProps/app.xml", f"{office}.extended-properties+xml"),
    ]
    parts += [(f"/xl/worksheets/sheet{n}.xml", _WORKSHEET_TYPE) for n in range(1, sheets + 1)]
    overrides = "".join(
        f'<Override PartName="{name}" ContentType="{kind}"/>' for name, kind in parts
    )
    return (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f"{overrides}</Types>"
    )


def _stylesheet(styles: list[_Style]) -> str:
    """styles.xml: fonts 0 (regular) and 1 (bold), the two fills Excel requires, one border."""
    formats: dict[str, int] = {}
    xfs = []
    for style in styles:
        fmt = 0
        if style.number_format:
            fmt = _BUILTIN_FORMATS.get(style.number_format) or formats.setdefault(
                style.number_format, 164 + len(formats)
            )
        font = 1 if style.bold else 0
        applied = (
            (' applyNumberFormat="1"' if fmt else "")
            + (' applyFont="1"' if font else "")
            + (' applyAlignment="1"' if style.wrap else "")
        )
        attrs = f'numFmtId="{fmt}" fontId="{font}" fillId="0" borderId="0" xfId="0"{applied}'
        if style.wrap:
            xfs.append(f'<xf {attrs}><alignment vertical="top" wrapText="1"/></xf>')
        else:
            xfs.append(f"<xf {attrs}/>")
    num_fmts = "".join(
        f"<numFmt numFmtId={quoteattr(str(n))} formatCode={quoteattr(code)}/>"
        for code, n in formats.items()
    )
    font = '<sz val="11"/><name val="Calibri"/><family val="2"/><scheme val="minor"/>'
    return (
        f'<styleSheet xmlns="{_MAIN_NS}">'
        + (f'<numFmts count="{len(formats)}">{num_fmts}</numFmts>' if formats else "")
        + f'<fonts count="2"><font>{font}</font><font><b/>{font}</font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        f'</cellStyleXfs><cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )

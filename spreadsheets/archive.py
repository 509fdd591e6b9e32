"""Check an .xlsx upload before openpyxl opens it: no file may exhaust the server.

An .xlsx is a zip of XML parts, and a few kilobytes of deflate can stand
for gigabytes of XML. openpyxl trusts the package: it reads the shared
strings whole when it opens the workbook (keeping every string, and an
element for each, until the end), parses the styles, relationships and
content types whole, parses a worksheet without ``<dimension>`` to its
end just to size it, and builds each row with all its cells before the
reader sees it. zipfile trusts the package too: reading a member whole
inflates all of its compressed data in one call, whatever size the
directory declares. So before openpyxl sees a byte, :func:`check_package`
inflates every member itself, in bounded pieces, and refuses the file as
soon as one of these passes its limit:

- the sizes the zip directory declares (each member, all of them, the
  compression ratio of a large member), and the sizes the members really
  inflate to, which must be the declared ones (a directory can lie);
- the shared strings (bytes and count);
- the worksheets: rows (blank ones too), cells (twice those of a sheet
  that declares no size, which openpyxl parses once more to size it),
  the cells of one row and the dimension a sheet declares;
- every other XML element (styles, relationships, drawings…), which
  openpyxl parses into objects; and a DTD, which no Office file has and
  which could expand entities.

Every limit is derived in :class:`Limits` from the two an installation
sets (``KPI_IMPORT_MAX_BYTES`` and ``KPI_IMPORT_MAX_ROWS``, passed in by
:func:`spreadsheets.rows.read_upload`), so that a legitimate file of the
maximum row count still passes and a hostile one is refused within about
a second and a few megabytes of memory (docs/security.md,
docs/performance.md). The scan also answers two questions the reader
used to answer by reading members whole: does any sheet hold a formula,
and may a style show a number as a percentage.

No Django imports: the reader and the tests use this as plain Python.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO

__all__ = [
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "Limits",
    "PackageFacts",
    "UnsafeUpload",
    "check_package",
]

# The limits that do not scale with the upload --------------------------------

# Excel's own maximum for the text of one cell: no file Excel saves exceeds it.
MAX_CELL_CHARS = 32_767
# The widest table read: the old Excel's width ("IV"). The widest sheet this
# app reads, the definitions template, has about 25 columns.
MAX_COLUMNS = 256
# Cells the worksheets may hold per row allowed, on average: the entry sheet
# has 9 columns, the definitions template about 25 (but few rows). openpyxl
# parses some 100,000 cells a second on the benchmark machine.
CELLS_PER_ROW = 12
# Shared strings per row allowed: a file with a unique note on every row and
# a code per KGI has fewer than 2. openpyxl reads some 35,000 a second.
STRINGS_PER_ROW = 2
# Blank rows below the data a sheet may carry: a tenth of the row limit, and
# at least 100.
BLANK_ROW_SHARE = 10
MIN_BLANK_ROWS = 100
# Parts of the package. A workbook saved by Excel has 10-40; with charts
# and images, some more.
MAX_MEMBERS = 1_000
# All XML elements outside the cells and the shared strings (styles,
# relationships, content types, drawings, merged cells, validations...),
# which openpyxl turns into objects, some 15,000 a second (a cell format
# costs 65 µs). A workbook Excel saves has some hundreds; a heavily
# formatted one, a few thousand.
MAX_OTHER_ELEMENTS = 20_000
# A member of at least RATIO_FROM bytes may be at most MAX_RATIO times its
# compressed size. Excel's sheets compress 5-25 times; a deflate bomb about
# 1,000 times.
MAX_RATIO = 100
RATIO_FROM = 1024 * 1024

# The multiples of the upload limit (5 MB) the inflated package may reach.
UNPACKED_PER_UPLOAD = 10  # the whole package: 50 MB
SHEET_PER_UPLOAD = 4  # one worksheet: 20 MB (22,000 rows of 12 styled cells: ~12 MB)
STRINGS_PER_UPLOAD = 2  # the shared strings: 10 MB
DEFAULT_MAX_BYTES = 5 * 1024 * 1024  # settings.KPI_IMPORT_MAX_BYTES's default
DEFAULT_MAX_ROWS = 20_000  # settings.KPI_IMPORT_MAX_ROWS's default

_IN_PIECE = 64 * 1024
_OUT_PIECE = 256 * 1024
_LOCAL_HEADER = struct.Struct("<4s22xHH")
_LOCAL_MAGIC = b"PK\x03\x04"

_NOT_XLSX = "Excelファイル（.xlsx）として読めません。"
_DAMAGED = (
    "Excelファイル（.xlsx）が壊れています（中身が、ファイルに記録された大きさや検査値と"
    "一致しません）。Excelで開いて保存し直してください。"
)
_RATIO = (
    "ファイルの圧縮率が異常に高いため、安全のため読みません。"
    "Excelで開いて「Excel ブック（.xlsx）」として保存し直してください。"
)
_MEMBERS = (
    f"ファイルを構成する部品の数が上限（{MAX_MEMBERS:,}個）を超えています。"
    "Excelで開いて「Excel ブック（.xlsx）」として保存し直してください。"
)
_COLUMNS = (
    f"列数が上限（{MAX_COLUMNS:,}列）を超えています。"
    "表の右にある不要な列を削除して保存し直してください。"
)
_OTHER = (
    f"書式・図形・入力規則などの情報が上限（{MAX_OTHER_ELEMENTS:,}個）を超えています。"
    "不要な書式・図形・シートを削除して保存し直すか、値だけを新しいブックに貼り付けてください。"
)


class UnsafeUpload(Exception):
    """The package is refused before parsing; ``str(error)`` is a Japanese message."""


def _size(size: int) -> str:
    """Return 「1,938MB」, 「2.5MB」 or 「39KB」, as Windows counts them."""
    megabytes = size / 1024 / 1024
    if megabytes >= 10:
        return f"{megabytes:,.0f}MB"
    if megabytes >= 1:
        return f"{megabytes:.1f}MB"
    return f"{size / 1024:,.0f}KB"


@dataclass(frozen=True, slots=True)
class Limits:
    """Every limit of an upload, derived from the byte and row limits.

    ``max_bytes`` is the upload's own limit (settings.KPI_IMPORT_MAX_BYTES)
    and ``max_rows`` the data rows a file may hold (KPI_IMPORT_MAX_ROWS);
    the defaults are the settings' defaults.
    """

    max_bytes: int = DEFAULT_MAX_BYTES
    max_rows: int = DEFAULT_MAX_ROWS

    @property
    def sheet_rows(self) -> int:
        """Rows below the header a sheet may have, blank or not.

        Every row counts, so that a million blank rows cost no more than
        the limit; the margin lets the blank rows Excel keeps below a
        table (formatted, or emptied by hand) through with a full file:
        20,000 data rows and up to 2,000 blank ones. A file with a few
        data rows too many is still refused by the data rows' limit, whose
        message says so.
        """
        return self.max_rows + max(self.max_rows // BLANK_ROW_SHARE, MIN_BLANK_ROWS)

    @property
    def cells(self) -> int:
        """Cells all worksheets together may hold (header row included)."""
        return (self.sheet_rows + 1) * CELLS_PER_ROW

    @property
    def strings(self) -> int:
        """Shared strings the package may hold."""
        return (self.sheet_rows + 1) * STRINGS_PER_ROW

    @property
    def unpacked_bytes(self) -> int:
        return self.max_bytes * UNPACKED_PER_UPLOAD

    @property
    def sheet_bytes(self) -> int:
        return self.max_bytes * SHEET_PER_UPLOAD

    @property
    def strings_bytes(self) -> int:
        return self.max_bytes * STRINGS_PER_UPLOAD

    @property
    def part_bytes(self) -> int:
        """Any other member: styles, drawings, images..."""
        return self.max_bytes

    # The messages that name these limits.

    def too_many_rows(self) -> str:
        return (
            f"空行を含めた行数が上限（見出しを除いて{self.sheet_rows:,}行）を超えています。"
            "表の下の不要な行を削除して保存し直すか、ファイルを分けてください。"
        )

    def too_many_cells(self) -> str:
        return (
            f"セルの数が上限（すべてのシートで{self.cells:,}個）を超えています。"
            "不要な列・シートを削除するか、ファイルを分けてください。"
        )

    def too_many_strings(self) -> str:
        return (
            f"文字列の数が上限（{self.strings:,}個）を超えています。"
            "不要なシートや文字を削除するか、ファイルを分けてください。"
        )

    @staticmethod
    def too_many_columns() -> str:
        return _COLUMNS

    def too_large(self, what: str, size: int, limit: int) -> str:
        return (
            f"{what}が大きすぎます（展開すると{_size(size)}、上限{_size(limit)}）。"
            "不要なシート・画像・書式を削除するか、ファイルを分けてください。"
        )


@dataclass(frozen=True, slots=True)
class PackageFacts:
    """What the scan saw that the reader needs."""

    # Some worksheet holds an <f> element: a formula without a cached
    # result reads as an empty cell, so such a package is read twice.
    formulas: bool
    # xl/styles.xml may show a number as a percentage (see below).
    percent_formats: bool


# The package ------------------------------------------------------------------


def check_package(data: bytes, limits: Limits) -> PackageFacts:
    """Refuse a package openpyxl could not read within ``limits``.

    Raise UnsafeUpload with the Japanese reason; otherwise return the
    facts the reader needs. Only the zip's directory is parsed by
    zipfile; every member is inflated here, in pieces of at most 256 kB,
    and dropped piece by piece.
    """
    try:
        package = zipfile.ZipFile(BytesIO(data))
    except Exception as exc:
        # A damaged directory raises BadZipFile, but also struct, value or
        # EOF errors from deeper down.
        raise UnsafeUpload(_NOT_XLSX) from exc
    with package:
        members = package.infolist()
    if len(members) > MAX_MEMBERS:
        raise UnsafeUpload(_MEMBERS)
    for info in members:
        _check_declared(info, limits)
    declared = sum(info.file_size for info in members)
    if declared > limits.unpacked_bytes:
        raise UnsafeUpload(limits.too_large("ファイル", declared, limits.unpacked_bytes))
    tally = _Tally(limits)
    for info in members:
        tally.scan(info.filename, _inflate(data, info))
    return PackageFacts(formulas=tally.formulas, percent_formats=tally.percent_formats)


def _kind(name: str) -> str:
    """Classify a member by its path, as Excel and openpyxl name them.

    A part under another name (a sheet the workbook points to elsewhere,
    say) counts as "other", whose limit is the strictest.
    """
    lowered = name.lower()
    if lowered.startswith("xl/worksheets/") and lowered.endswith(".xml"):
        return "sheet"
    if lowered.startswith("xl/") and lowered.endswith("sharedstrings.xml"):
        return "strings"
    if name == "xl/styles.xml":
        return "styles"
    return "other"


def _check_declared(info: zipfile.ZipInfo, limits: Limits) -> None:
    """Refuse a member by what the directory says, before inflating anything."""
    methods = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
    if info.flag_bits & 0x1 or info.compress_type not in methods:
        # Zip encryption, or a method Excel never uses (bzip2 and LZMA
        # would inflate without a bound inside zipfile).
        raise UnsafeUpload(_NOT_XLSX)
    kind = _kind(info.filename)
    if kind == "sheet":
        what, limit = "シート", limits.sheet_bytes
    elif kind == "strings":
        what, limit = "文字列の一覧（共有文字列）", limits.strings_bytes
    else:
        what, limit = "ファイルの部品", limits.part_bytes
    if info.file_size > limit:
        raise UnsafeUpload(limits.too_large(what, info.file_size, limit))
    if info.file_size >= RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise UnsafeUpload(_RATIO)


def _inflate(data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Yield the member's bytes in pieces, checked against the directory.

    zipfile would stop at the declared size, but only after inflating a
    whole read's worth of compressed data at once; here no piece exceeds
    256 kB, the output may never pass the declared size, and the stream
    must end exactly there with the declared CRC.
    """
    header = data[info.header_offset:info.header_offset + _LOCAL_HEADER.size]
    if len(header) != _LOCAL_HEADER.size:
        raise UnsafeUpload(_NOT_XLSX)
    magic, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if magic != _LOCAL_MAGIC:
        raise UnsafeUpload(_NOT_XLSX)
    start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
    raw = memoryview(data)[start:start + info.compress_size]
    if len(raw) != info.compress_size:
        raise UnsafeUpload(_DAMAGED)
    crc = 0
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            raise UnsafeUpload(_DAMAGED)
        for offset in range(0, len(raw), _OUT_PIECE):
            piece = bytes(raw[offset:offset + _OUT_PIECE])
            crc = zlib.crc32(piece, crc)
            yield piece
    else:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        produced = position = 0
        while not inflater.eof:
            if inflater.unconsumed_tail:
                compressed: bytes | memoryview = inflater.unconsumed_tail
            else:
                compressed = raw[position:position + _IN_PIECE]
                position += len(compressed)
            try:
                piece = inflater.decompress(compressed, _OUT_PIECE)
            except zlib.error as exc:
                raise UnsafeUpload(_DAMAGED) from exc
            if not piece and not compressed:
                break  # the compressed data ended before the stream did
            produced += len(piece)
            if produced > info.file_size:
                # The directory lies about the size: stop here.
                raise UnsafeUpload(_DAMAGED)
            crc = zlib.crc32(piece, crc)
            if piece:
                yield piece
        if not inflater.eof or produced != info.file_size:
            raise UnsafeUpload(_DAMAGED)
    if crc != info.CRC:
        raise UnsafeUpload(_DAMAGED)


# The XML -----------------------------------------------------------------------

# A start tag's local name, with or without a namespace prefix. End tags,
# comments and processing instructions do not match; text cannot hold "<".
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]{0,99}:)?([A-Za-z_][\w.\-]{0,99})")
# A start tag is at most this long up to its name: a "<" nearer the end of
# a piece than this is kept for the next piece.
_CARRY = 256
_DTD = (b"<!DOCTYPE", b"<!ENTITY")
# What a worksheet's cells are made of (<is> holds an inline string, as
# text or runs); every other element of a sheet counts as "other".
_CELL_TAGS = frozenset({b"row", b"c", b"v", b"f", b"is", b"t", b"r", b"rPh", b"rPr"})
# The shared strings' elements, rich-text runs and their formats included.
_STRING_TAGS = frozenset({
    b"sst", b"si", b"t", b"r", b"rPr", b"rPh", b"phoneticPr", b"rFont", b"charset",
    b"family", b"b", b"i", b"strike", b"outline", b"shadow", b"condense", b"extend",
    b"color", b"sz", b"u", b"vertAlign", b"scheme",
})
# Bounded repeats only: a pattern that could scan to the end of the piece
# from every "<" would take quadratic time on a crafted sheet.
_DIMENSION = re.compile(
    rb"<(?:[A-Za-z_][\w.\-]{0,99}:)?dimension\s[^>]{0,200}?\bref\s{0,9}=\s{0,9}"
    rb"[\"']([^\"']{0,40})[\"']"
)
_SHEET_DATA = re.compile(rb"<(?:[A-Za-z_][\w.\-]{0,99}:)?sheetData[\s/>]")
_LAST_CELL = re.compile(rb"\$?([A-Za-z]{1,3})?\$?(\d{1,9})?\s*$")
# The built-in number formats 9 (0%) and 10 (0.00%), as a cell style names them.
_BUILTIN_PERCENT = re.compile(rb"""numFmtId\s*=\s*["']\s*(?:9|10)\s*["']""")


class _Tally:
    """The counts over every member, checked against the limits as they grow."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.rows = 0
        self.cells = 0
        self.strings = 0
        self.other = 0
        self.formulas = False
        self.percent_formats = False

    def scan(self, name: str, pieces: Iterator[bytes]) -> None:
        kind = _kind(name)
        styles: list[bytes] = []
        carry = b""
        first = True
        sized = False
        width = 0
        cells = self.cells
        for piece in pieces:
            buffer = carry + piece if carry else piece
            cut = buffer.rfind(b"<")
            if cut < 0 or len(buffer) - cut > _CARRY:
                cut = len(buffer)
            carry = buffer[cut:]
            if _DTD[0] in buffer or _DTD[1] in buffer:
                raise UnsafeUpload(_NOT_XLSX)
            names = _TAG.findall(buffer, 0, cut)
            if kind == "sheet":
                if first:
                    sized = self._check_dimension(buffer)
                width = self._count_sheet(names, width)
            elif kind == "strings":
                self._count_strings(names)
            else:
                self.other += len(names)
                if kind == "styles":
                    styles.append(buffer[:cut])
            first = False
            self._check()
        if carry:
            self.other += len(_TAG.findall(carry))
            if kind == "styles":
                styles.append(carry)
        if kind == "sheet" and not sized:
            # openpyxl parses a sheet without <dimension> (before its rows)
            # to its end when it opens the workbook, and again to read it.
            self.cells += self.cells - cells
        self._check()
        if styles:
            self.percent_formats = _names_percent(b"".join(styles))

    def _count_sheet(self, names: list[bytes], width: int) -> int:
        """Count rows, cells and other elements; return the open row's cells so far.

        Counted in C (Counter, list.index): a Python loop over every tag would
        cost a 10,000-row file a tenth of openpyxl's own read. A row's
        cells are counted only when its tags could be more than
        MAX_COLUMNS cells.
        """
        tally = Counter(names)
        self.cells += tally[b"c"]
        self.rows += tally[b"row"]
        self.other += len(names) - sum(tally[tag] for tag in _CELL_TAGS)
        if tally[b"f"]:
            self.formulas = True
        start = 0
        while True:
            try:
                end = names.index(b"row", start)
            except ValueError:
                break
            if width + end - start > MAX_COLUMNS:
                width += names[start:end].count(b"c")
                if width > MAX_COLUMNS:
                    raise UnsafeUpload(_COLUMNS)
            width = 0
            start = end + 1
        width += names[start:].count(b"c")
        if width > MAX_COLUMNS:
            raise UnsafeUpload(_COLUMNS)
        return width

    def _count_strings(self, names: list[bytes]) -> None:
        self.strings += names.count(b"si")
        self.other += sum(1 for tag in names if tag not in _STRING_TAGS)

    def _check_dimension(self, buffer: bytes) -> bool:
        """Refuse a sheet whose declared size is past the limits.

        Return whether the sheet declares its size before its rows. The
        reader ignores the declared size (some writers store a wrong one
        that is too small), but one past the limits is refused here, before
        any row is parsed.
        """
        found = _DIMENSION.search(buffer)
        sheet_data = _SHEET_DATA.search(buffer)
        if found is None or (sheet_data is not None and sheet_data.start() < found.start()):
            return False
        last = _LAST_CELL.match(found.group(1).rsplit(b":", 1)[-1])
        if last is None:
            return True
        letters, digits = last.groups()
        if digits is not None and int(digits) > self.limits.sheet_rows + 1:
            raise UnsafeUpload(self.limits.too_many_rows())
        if letters is not None:
            column = 0
            for letter in letters.upper():
                column = column * 26 + letter - ord("A") + 1
            if column > MAX_COLUMNS:
                raise UnsafeUpload(_COLUMNS)
        return True

    def _check(self) -> None:
        limits = self.limits
        if self.rows > limits.sheet_rows + 1:
            raise UnsafeUpload(limits.too_many_rows())
        if self.cells > limits.cells:
            raise UnsafeUpload(limits.too_many_cells())
        if self.strings > limits.strings:
            raise UnsafeUpload(limits.too_many_strings())
        if self.other > MAX_OTHER_ELEMENTS:
            raise UnsafeUpload(_OTHER)


def _names_percent(xml: bytes) -> bool:
    """Return whether xl/styles.xml may show a number as a percentage.

    openpyxl takes the styles from xl/styles.xml alone. Without a built-in
    percent format there or a "%" in it (or one escaped), no cell can be a
    percentage, and the cells' formats need not be read at all; any doubt
    reads them.
    """
    lowered = xml.lower()
    return (b"%" in xml or b"&#37;" in xml or b"&#x25;" in lowered
            or _BUILTIN_PERCENT.search(xml) is not None)

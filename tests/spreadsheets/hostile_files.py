"""Hostile uploads, built in memory: zip bombs, lying directories, huge sheets.

Shared by the tests (tests/spreadsheets/test_hostile_uploads.py) and the
benchmark (benchmarks/hostile_uploads.py), so that both refuse the same
files. Nothing large is committed: each file is generated when needed,
and a bomb's compressed blocks are made once and repeated (after a full
flush, deflate restarts, so identical input gives identical blocks), so
that a file standing for gigabytes takes a fraction of a second to build.

:func:`measure_read` reads a file in a fresh Python process and reports
the reader's message, its time and how far the process's peak memory
grew over its own baseline: memory is the one thing a test cannot
measure inside the test runner.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"

CONTENT_TYPES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="{SHEET_TYPE}.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SHEET_TYPE}.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="{SHEET_TYPE}.sharedStrings+xml"/>
<Override PartName="/xl/styles.xml" ContentType="{SHEET_TYPE}.styles+xml"/>
</Types>""".encode()
ROOT_RELS = (
    f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" '
    f'Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
).encode()
WORKBOOK = (
    f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>'
    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
).encode()
WORKBOOK_RELS = (
    f'<Relationships xmlns="{RELS}">'
    f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
    f'<Relationship Id="rId3" Type="{DOC_RELS}/styles" Target="styles.xml"/>'
    "</Relationships>"
).encode()
SHEET_HEAD = f'<worksheet xmlns="{MAIN}"><sheetData>'.encode()
SHEET_TAIL = b"</sheetData></worksheet>"
STRINGS_HEAD = f'<sst xmlns="{MAIN}">'.encode()
STRINGS_TAIL = b"</sst>"
HEADER_ROW = (
    '<row r="1">'
    + "".join(f'<c r="{column}1" t="inlineStr"><is><t>{text}</t></is></c>'
              for column, text in zip("ABC", ("指標コード", "年度", "実績値"), strict=True))
    + "</row>"
).encode()
CSV_HEADER = "指標コード,年度,実績値\r\n".encode()

_BLOCK = 1024 * 1024
_ZIP64_LIMIT = 0xFFFFFFFF


@dataclass(frozen=True)
class Member:
    """One zip member: its compressed bytes and what the directory says of them."""

    name: str
    raw: bytes
    crc: int
    size: int
    method: int = 8  # deflate; 0 stores
    # A directory that lies: the size (and compressed size) it declares.
    declared_size: int | None = None
    declared_raw_size: int | None = None


def member(name: str, content: bytes, *, stored: bool = False) -> Member:
    """Return a member holding ``content``, deflated or stored as is."""
    if stored:
        return Member(name, content, zlib.crc32(content), len(content), method=0)
    deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    raw = deflate.compress(content) + deflate.flush()
    return Member(name, raw, zlib.crc32(content), len(content))


def repeated_member(name: str, head: bytes, body: bytes, tail: bytes, *,
                    compressed_bytes: int) -> Member:
    """Return a member of ``head``, ``body`` repeated, ``tail``: a deflate bomb.

    ``body`` is repeated in blocks of about 1 MB until the compressed
    member reaches about ``compressed_bytes``.
    """
    chunk = body * max(1, _BLOCK // len(body))
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    start = deflate.compress(head) + deflate.flush(zlib.Z_FULL_FLUSH)
    deflate.compress(chunk)
    deflate.flush(zlib.Z_FULL_FLUSH)
    # The second block, once the compressor's state has settled, repeats.
    block = deflate.compress(chunk) + deflate.flush(zlib.Z_FULL_FLUSH)
    end = deflate.compress(tail) + deflate.flush()
    times = max(1, (compressed_bytes - len(start) - len(end)) // len(block))
    body_crc = repeated_crc(zlib.crc32(chunk), len(chunk), times)
    crc = crc32_combine(zlib.crc32(head), body_crc, len(chunk) * times)
    crc = crc32_combine(crc, zlib.crc32(tail), len(tail))
    return Member(name, start + block * times + end, crc,
                  len(head) + len(chunk) * times + len(tail))


# The CRC-32 of gigabytes, without reading them: zlib's crc32_combine.


def _gf2_times(matrix: list[int], vector: int) -> int:
    total = 0
    index = 0
    while vector:
        if vector & 1:
            total ^= matrix[index]
        vector >>= 1
        index += 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, row) for row in matrix]


def crc32_combine(first: int, second: int, second_length: int) -> int:
    """Return the CRC-32 of A + B from those of A and B and B's length."""
    if second_length <= 0:
        return first
    odd = [0xEDB88320] + [1 << n for n in range(31)]  # one zero bit
    even = _gf2_square(odd)  # two zero bits
    odd = _gf2_square(even)  # four zero bits
    while True:
        even = _gf2_square(odd)
        if second_length & 1:
            first = _gf2_times(even, first)
        second_length >>= 1
        if not second_length:
            break
        odd = _gf2_square(even)
        if second_length & 1:
            first = _gf2_times(odd, first)
        second_length >>= 1
        if not second_length:
            break
    return first ^ second


def repeated_crc(crc: int, length: int, times: int) -> int:
    """Return the CRC-32 of ``times`` copies of a block of ``length`` bytes and CRC ``crc``."""
    total = 0
    while times:
        if times & 1:
            total = crc32_combine(total, crc, length)
        times >>= 1
        if times:
            crc = crc32_combine(crc, crc, length)
            length *= 2
    return total


def package(members: list[Member]) -> bytes:
    """Return a zip of ``members``, written by hand so that its directory can lie.

    A size past 4 GiB is written as zip64, as zipfile reads it.
    """
    out = bytearray()
    directory = bytearray()
    for item in members:
        name = item.name.encode()
        size = item.size if item.declared_size is None else item.declared_size
        raw_size = len(item.raw) if item.declared_raw_size is None else item.declared_raw_size
        extra = b""
        if size >= _ZIP64_LIMIT:
            extra = struct.pack("<HHQ", 1, 8, size)
            size = _ZIP64_LIMIT
        version = 45 if extra else 20
        offset = len(out)
        out += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", version, 0, item.method, 0, 0x21,
                           item.crc, raw_size, size, len(name), len(extra))
        out += name + extra + item.raw
        directory += struct.pack(
            "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", version, version, 0, item.method, 0, 0x21,
            item.crc, raw_size, size, len(name), len(extra), 0, 0, 0, 0, offset,
        )
        directory += name + extra
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members),
                      len(directory), len(out), 0)
    return bytes(out + directory + end)


def workbook(sheet: Member | bytes, *, strings: Member | bytes | None = None,
             styles: Member | bytes | None = None) -> bytes:
    """Return an .xlsx of one sheet, with shared strings, and styles when given."""
    def part(name: str, content: Member | bytes) -> Member:
        return content if isinstance(content, Member) else member(name, content)

    members = [
        member("[Content_Types].xml", CONTENT_TYPES),
        member("_rels/.rels", ROOT_RELS),
        member("xl/workbook.xml", WORKBOOK),
        member("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        part("xl/sharedStrings.xml", STRINGS_HEAD + STRINGS_TAIL if strings is None else strings),
        part("xl/worksheets/sheet1.xml", sheet),
    ]
    if styles is not None:
        members.append(part("xl/styles.xml", styles))
    return package(members)


def sheet_xml(rows: bytes, *, dimension: str | None = None) -> bytes:
    head = SHEET_HEAD
    if dimension is not None:
        head = head.replace(b"<sheetData>", f'<dimension ref="{dimension}"/><sheetData>'.encode())
    return head + HEADER_ROW + rows + SHEET_TAIL


def small_workbook() -> bytes:
    """A well-formed file of the hand-written kind: the bombs' control."""
    return workbook(sheet_xml(
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>ISE2-01</t></is></c>'
        b'<c r="B2"><v>2026</v></c><c r="C2"><v>42.5</v></c></row>'
    ))


# The hostile files, each at most ``upload`` bytes -----------------------------------


def shared_strings_bomb(upload: int) -> bytes:
    """Shared strings of tiny strings, deflated a few hundred times over."""
    strings = repeated_member("xl/sharedStrings.xml", STRINGS_HEAD, b"<si><t>x</t></si>",
                              STRINGS_TAIL, compressed_bytes=upload - 2048)
    return workbook(sheet_xml(b""), strings=strings)


def many_shared_strings(upload: int) -> bytes:
    """Empty shared strings, stored uncompressed: small, but one element each."""
    count = (upload - 2048 - len(STRINGS_HEAD) - len(STRINGS_TAIL)) // len(b"<si/>")
    content = STRINGS_HEAD + b"<si/>" * count + STRINGS_TAIL
    return workbook(sheet_xml(b""), strings=member("xl/sharedStrings.xml", content, stored=True))


def sheet_cells_bomb(upload: int) -> bytes:
    """A sheet of row after row of highly compressible cells."""
    row = b"<row>" + b"<c><v>1</v></c>" * 16 + b"</row>"
    sheet = repeated_member("xl/worksheets/sheet1.xml", SHEET_HEAD + HEADER_ROW, row,
                            SHEET_TAIL, compressed_bytes=upload - 2048)
    return workbook(sheet)


def sheet_text_bomb(upload: int) -> bytes:
    """A sheet whose one cell holds gigabytes of the same letter."""
    head = SHEET_HEAD + HEADER_ROW + b'<row r="2"><c r="A2" t="inlineStr"><is><t>'
    sheet = repeated_member("xl/worksheets/sheet1.xml", head, b"A" * 1024,
                            b"</t></is></c></row>" + SHEET_TAIL, compressed_bytes=upload - 2048)
    return workbook(sheet)


def lying_directory(upload: int) -> bytes:
    """Styles that inflate to gigabytes, under a directory that declares 2,000 bytes.

    openpyxl reads the styles whole, and zipfile inflates all the
    compressed data of a member read whole before cutting it to the
    declared size.
    """
    bomb = repeated_member("xl/styles.xml", f'<styleSheet xmlns="{MAIN}">'.encode(),
                           b"<!-- " + b"A" * 1024 + b" -->", b"</styleSheet>",
                           compressed_bytes=upload - 2048)
    liar = Member(bomb.name, bomb.raw, bomb.crc, bomb.size, declared_size=2_000)
    return workbook(sheet_xml(b""), styles=liar)


def million_blank_rows(upload: int) -> bytes:
    """A header and then a million blank rows, as <row r="n"/> elements."""
    rows = b"".join(b'<row r="%d"/>' % number for number in range(2, 1_000_002))
    return workbook(member("xl/worksheets/sheet1.xml", sheet_xml(rows)))


def rows_far_below(upload: int) -> bytes:
    """A header and one row at Excel's last row, with no dimension: a million blank rows."""
    return workbook(sheet_xml(
        b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>ISE2-01</t></is></c></row>'
    ))


def wide_sheet(upload: int) -> bytes:
    """A row of 16,384 cells: every column Excel has."""
    cells = b"<c t=\"inlineStr\"><is><t>h</t></is></c>" * 16_384
    rows = b'<row r="2">' + cells + b"</row>"
    return workbook(sheet_xml(rows))


def wide_dimension(upload: int) -> bytes:
    """A sheet that declares itself A1:XFD1048576, the whole of Excel's grid."""
    return workbook(sheet_xml(b"", dimension="A1:XFD1048576"))


def styles_bomb(upload: int) -> bytes:
    """Styles of half a million cell formats, which openpyxl makes objects of."""
    count = (upload - 4096) // len(b"<xf/>")
    styles = (f'<styleSheet xmlns="{MAIN}"><cellXfs count="{count}">'.encode()
              + b"<xf/>" * count + b"</cellXfs></styleSheet>")
    return workbook(sheet_xml(b""), styles=member("xl/styles.xml", styles, stored=True))


def entity_bomb(upload: int) -> bytes:
    """Shared strings with a DTD whose entities expand a billion times."""
    lol = (b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">'
           + b"".join(b'<!ENTITY %s "%s">' % (bytes([98 + n]), (b"&%s;" % bytes([97 + n])) * 10)
                      for n in range(8))
           + b"]>")
    strings = lol + STRINGS_HEAD + b"<si><t>&i;</t></si>" + STRINGS_TAIL
    return workbook(sheet_xml(b""), strings=strings)


def million_empty_lines(upload: int) -> bytes:
    """A CSV header and a million empty lines."""
    return CSV_HEADER + b"\r\n" * 1_000_000


def wide_csv(upload: int) -> bytes:
    """A CSV header and one line of two million commas."""
    return CSV_HEADER + b"," * 2_000_000 + b"\r\n"


# name -> (builder, file name, the start of the Japanese refusal)
HOSTILE_FILES = {
    "shared strings bomb": (shared_strings_bomb, "bomb.xlsx", "文字列の一覧（共有文字列）が大きすぎます"),
    "many shared strings": (many_shared_strings, "bomb.xlsx", "文字列の数が上限"),
    "sheet bomb, cells": (sheet_cells_bomb, "bomb.xlsx", "シートが大きすぎます"),
    "sheet bomb, one text": (sheet_text_bomb, "bomb.xlsx", "シートが大きすぎます"),
    "lying directory": (lying_directory, "bomb.xlsx", "Excelファイル（.xlsx）が壊れています"),
    "a million blank rows": (million_blank_rows, "rows.xlsx", "空行を含めた行数が上限"),
    "a row a million rows down": (rows_far_below, "rows.xlsx", "空行を含めた行数が上限"),
    "a 16,384-column row": (wide_sheet, "wide.xlsx", "列数が上限"),
    "a declared A1:XFD1048576": (wide_dimension, "wide.xlsx", "空行を含めた行数が上限"),
    "styles bomb": (styles_bomb, "styles.xlsx", "書式・図形・入力規則などの情報が上限"),
    "entity expansion": (entity_bomb, "dtd.xlsx", "Excelファイル（.xlsx）として読めません。"),
    "a million empty CSV lines": (million_empty_lines, "rows.csv", "空行を含めた行数が上限"),
    "a CSV line of 2,000,000 commas": (wide_csv, "wide.csv", "セルの数が上限"),
}


# The largest files the limits let through, each at one limit: what an
# attacker can still make the reader do (name -> builder).


def cells_at_the_limit() -> bytes:
    """20,000 rows of 12 cells and 2,000 blank rows below: the rows' and cells' limits."""
    rows = b"".join(b'<row r="%d">' % n + b"<c><v>1</v></c>" * 12 + b"</row>"
                    for n in range(2, 20_002))
    rows += b"".join(b'<row r="%d"/>' % n for n in range(20_002, 22_002))
    return workbook(member("xl/worksheets/sheet1.xml", sheet_xml(rows, dimension="A1:L22001")))


def strings_at_the_limit() -> bytes:
    """44,002 shared strings, all different: the strings' limit."""
    strings = STRINGS_HEAD + b"".join(b"<si><t>%d</t></si>" % n for n in range(44_002))
    return workbook(sheet_xml(b""), strings=member("xl/sharedStrings.xml",
                                                   strings + STRINGS_TAIL))


def styles_at_the_limit() -> bytes:
    """19,950 cell formats: the limit of other elements, with the package's own."""
    styles = (f'<styleSheet xmlns="{MAIN}"><cellXfs count="19950">'.encode()
              + b"<xf/>" * 19_950 + b"</cellXfs></styleSheet>")
    return workbook(sheet_xml(b""), styles=member("xl/styles.xml", styles))


LIMIT_FILES = {
    "20,000 rows × 12 cells + 2,000 blank rows": cells_at_the_limit,
    "44,002 shared strings": strings_at_the_limit,
    "19,950 cell formats": styles_at_the_limit,
}


# Reading in a fresh process ----------------------------------------------------------

# Run by measure_read in a child Python: read the file, print what happened.
_CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from spreadsheets.reading import SpreadsheetError, read_sheet

def peak_kib():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

# A defence that fails must fail the test, not take the machine down.
limit = int(sys.argv[6])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
with open(sys.argv[2], "rb") as source:
    data = source.read()
baseline = peak_kib()
start = time.perf_counter()
try:
    sheet = read_sheet(data, sys.argv[3], max_rows=int(sys.argv[4]), max_bytes=int(sys.argv[5]))
    message = None
    rows = len(sheet.rows)
except SpreadsheetError as error:
    message, rows = str(error), None
except MemoryError:
    message, rows = "MemoryError", None
seconds = time.perf_counter() - start
print(json.dumps({"message": message, "rows": rows, "seconds": seconds,
                  "baseline_kib": baseline, "peak_kib": peak_kib()}, ensure_ascii=False))
"""


@dataclass(frozen=True)
class Measured:
    message: str | None
    rows: int | None
    seconds: float
    growth_bytes: int
    baseline_bytes: int


def measure_read(
    data: bytes, filename: str, *, max_rows: int = 20_000, max_bytes: int = 5 * 1024 * 1024,
    address_space: int = 3 * 1024 ** 3, timeout: float = 120,
) -> Measured:
    """Read ``data`` with ``read_sheet`` in a fresh Python; return what it cost.

    The growth is the child's peak resident memory while reading over its
    peak before (Python, openpyxl and the file itself loaded). The child
    may use at most ``address_space`` bytes: past that it fails with
    MemoryError instead of swapping the machine.
    """
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "upload"
        path.write_bytes(data)
        result = subprocess.run(
            [sys.executable, "-c", _CHILD, str(ROOT), str(path), filename, str(max_rows),
             str(max_bytes), str(address_space)],
            capture_output=True, text=True, timeout=timeout, cwd=ROOT,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}, check=False,
        )
    if result.returncode != 0:
        raise AssertionError(f"the reader's process failed: {result.stderr[-2000:]}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return Measured(
        message=report["message"], rows=report["rows"], seconds=report["seconds"],
        growth_bytes=(report["peak_kib"] - report["baseline_kib"]) * 1024,
        baseline_bytes=report["baseline_kib"] * 1024,
    )

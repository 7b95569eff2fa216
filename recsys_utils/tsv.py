"""Block-wise reading of tab-separated files that accounts for every malformed line.

pyarrow's CSV reader splits each block of bytes into fields and dictionary-encodes
them, without a Python object per value. What it cannot say, we check around it:

* it ends a line at a lone ``\\r`` too, reads a blank line as a row of empty
  fields, and fails a block holding a line with another number of fields. A
  block with any of these (rare: a memchr search tells the first, a row of
  empty fields the second, pyarrow's error the third) has those lines found
  with NumPy, counted by reason with their line numbers, and cut out before
  pyarrow reads the rest again;
* a line's number is its place in its block plus the lines of the blocks before;
* every field is read as bytes. UTF-8 is checked on the distinct values of each
  block's dictionary, not on every line; so are the whole numbers of integer
  columns, parsed once per distinct value.

pyarrow drops a byte order mark at the start of whatever it is given, so one is
skipped at the start of the file only and read as text anywhere else. NUL and
other control bytes are ordinary text. Quotes have no special meaning.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from .playdata import ParseReport
from .utils import progress_bar

READ_BLOCK_BYTES = 32 << 20  # bytes of the file read and checked at a time, per thread
MAX_DIGITS = 18  # anything longer may not fit in int64
TEXT = pa.dictionary(pa.int32(), pa.binary())  # how every field is kept


class TsvBlock(NamedTuple):
    """The good lines of one block of a tab-separated file.

    ``table`` holds text columns as ``dictionary<int32, binary>`` whose
    referenced values are valid UTF-8 (unreferenced ones may not be), and
    integer columns as int64. ``lines`` are their 1-based line numbers.
    """

    table: pa.Table
    lines: np.ndarray


class _Parsed(NamedTuple):
    """One block parsed by a worker; line positions are 0-based within the block."""

    table: pa.Table
    good: np.ndarray  # position of each row of ``table``
    dropped: list[tuple[str, np.ndarray]]  # (reason, positions), in the order of the checks
    n_lines: int


def read_tsv_blocks(
    path: str | os.PathLike,
    columns: Sequence[str],
    report: ParseReport,
    *,
    integer_columns: Sequence[str] = (),
    header: bool | Literal["auto"] = False,
    block_bytes: int = READ_BLOCK_BYTES,
    show_progress: bool = True,
    num_threads: int | None = None,
) -> Iterator[TsvBlock]:
    """Read a UTF-8 tab-separated file block by block, checking every line.

    Lines that are blank, hold a carriage return other than that of a CRLF
    line ending, have the wrong number of tab-separated fields, are not valid
    UTF-8, or hold something other than a non-negative whole number in an
    integer column are skipped and counted in ``report`` by their first fault,
    in that order. Lines may end in LF or CRLF; a final line without either is
    read too. A UTF-8 byte order mark at the start of the file is skipped.
    Quotes are part of the text, as in the Last.fm files.

    Parameters
    ----------
    path : path-like
    columns : sequence of str
        Names of the fields, in file order.
    report : ParseReport
        Updated in place: ``rows_read``, ``dropped``, ``md5``.
    integer_columns : sequence of str
        Fields that must be non-negative whole numbers; they come back as int64.
    header : bool or "auto"
        Whether the first line is a header (it is skipped, not counted).
        ``"auto"``: it is a header when its fields are ``columns`` (in any
        case), else it is read as data like any other line.
    block_bytes : int
        Bytes read at a time; bounds the memory used beyond the result.
    show_progress : bool
        Show a progress bar in bytes.
    num_threads : int or None
        Blocks parsed at once (None or 0: one per core). The result does not
        depend on it.

    Yields
    ------
    TsvBlock
        The good lines of each block, in file order.
    """
    columns = list(columns)
    unknown = set(integer_columns) - set(columns)
    if unknown:
        raise ValueError(f"integer_columns {sorted(unknown)} are not among {columns}")
    integer_at = [columns.index(c) for c in integer_columns]
    workers = num_threads or os.cpu_count() or 1
    md5 = hashlib.md5()
    next_line = 1
    pending: deque[Future] = deque()
    with open(path, "rb") as f, ThreadPoolExecutor(workers) as pool, progress_bar(
        total=os.path.getsize(path), unit="B", unit_scale=True, desc=f"parsing {os.path.basename(path)}",
        disable=not show_progress, leave=False,
    ) as progress:
        skipped, had_header = _skip_bom_and_header(f, columns, header)
        next_line += had_header
        md5.update(skipped)
        progress.update(len(skipped))
        # Blocks parsing or waiting to be taken hold at most workers + 1 buffers.
        for block in _whole_line_blocks(f, block_bytes, md5, progress, workers + 2):
            pending.append(pool.submit(_parse_block, block, columns, integer_at))
            if len(pending) > workers:
                next_line = yield from _take(pending.popleft().result(), next_line, report)
        while pending:
            next_line = yield from _take(pending.popleft().result(), next_line, report)
    report.md5 = md5.hexdigest()


def read_tsv(
    path: str | os.PathLike,
    columns: Sequence[str],
    report: ParseReport,
    *,
    integer_columns: Sequence[str] = (),
    header: bool | Literal["auto"] = False,
    block_bytes: int = READ_BLOCK_BYTES,
    show_progress: bool = True,
) -> Iterator[pd.DataFrame]:
    """:func:`read_tsv_blocks` as pandas frames, for small files.

    Yields
    ------
    pandas.DataFrame
        The good lines of one block: text columns as str, integer columns as
        int64, and ``line``, the 1-based line number in the file.
    """
    for block in read_tsv_blocks(path, columns, report, integer_columns=integer_columns, header=header,
                                 block_bytes=block_bytes, show_progress=show_progress):
        frame = pd.DataFrame(index=pd.RangeIndex(block.table.num_rows))
        for name in columns:
            column = block.table.column(name).combine_chunks()
            if pa.types.is_dictionary(column.type):
                frame[name] = _decode_utf8(column.dictionary)[column.indices.to_numpy(zero_copy_only=False)]
            else:
                frame[name] = column.to_numpy()
        frame["line"] = block.lines
        yield frame


def _decode_utf8(values: pa.Array) -> np.ndarray:
    """Binary values as an object array of str (invalid UTF-8 becomes U+FFFD: only for unreferenced values)."""
    return np.array([b.decode("utf-8", "replace") for b in values.to_pylist()], dtype=object)


def _take(parsed: _Parsed, first_line: int, report: ParseReport) -> Iterator[TsvBlock]:
    """Count a parsed block in ``report`` and yield its good lines; returns the next block's first line."""
    report.rows_read += parsed.n_lines
    for reason, positions in parsed.dropped:
        report.drop(reason, first_line + positions)
    if parsed.table.num_rows:
        yield TsvBlock(parsed.table, first_line + parsed.good)
    return first_line + parsed.n_lines


def _skip_bom_and_header(f, columns: list[str], header: bool | Literal["auto"]) -> tuple[bytes, bool]:
    """Read past a byte order mark and a header line at the start of ``f``; the bytes skipped and
    whether they held a header line."""
    skipped = f.read(len(codecs.BOM_UTF8))
    if skipped != codecs.BOM_UTF8:
        skipped = b""
        f.seek(0)
    if header:
        first = f.readline()
        if header is True or _is_header(first, columns):
            return skipped + first, True
        f.seek(len(skipped))
    return skipped, False


def _is_header(line: bytes, columns: list[str]) -> bool:
    """Whether ``line`` names ``columns``, in any case."""
    fields = line.rstrip(b"\r\n").decode("utf-8", "replace").split("\t")
    return [f.strip().casefold() for f in fields] == [c.casefold() for c in columns]


class _Block(NamedTuple):
    """Whole lines in ``buffer[:size]``, ending with a newline."""

    buffer: bytearray
    size: int


def _whole_line_blocks(f, block_bytes: int, md5, progress, n_buffers: int) -> Iterator[_Block]:
    """The rest of ``f`` in blocks of whole lines (a newline is added at the end if missing).

    The blocks are read into ``n_buffers`` buffers in turn, so a buffer is overwritten
    ``n_buffers`` blocks after it was yielded: the caller must be done with it by then.
    Reusing them spares the page faults of fresh memory for every block.
    """
    buffers: list[bytearray] = [bytearray()] * n_buffers
    carry = b""  # the start of a line the last block cut
    turn = 0
    while True:
        need = len(carry) + block_bytes + 1
        if len(buffers[turn]) < need:
            buffers[turn] = bytearray(need)
        buffer = buffers[turn]
        buffer[:len(carry)] = carry
        read = f.readinto(memoryview(buffer)[len(carry):len(carry) + block_bytes])
        md5.update(memoryview(buffer)[len(carry):len(carry) + read])  # hashlib lets other threads run
        progress.update(read)
        size = len(carry) + read
        if read == 0:
            if size:
                if buffer[size - 1] != ord("\n"):
                    buffer[size] = ord("\n")
                    size += 1
                yield _Block(buffer, size)
            return
        cut = buffer.rfind(b"\n", 0, size) + 1
        carry = bytes(buffer[cut:size])
        if cut == 0:  # a single line longer than a block: read on
            continue
        yield _Block(buffer, cut)
        turn = (turn + 1) % n_buffers


def _parse_block(block: _Block, columns: list[str], integer_at: list[int]) -> _Parsed:
    """Check and parse one block of whole lines; runs in a worker thread."""
    dropped: list[tuple[str, np.ndarray]] = []
    table = None
    if not _has_lone_cr(block):
        try:
            table = _arrow_read(memoryview(block.buffer)[:block.size], columns)
        except pa.ArrowInvalid:  # a line with another number of fields
            table = None
        if table is not None and _has_empty_rows(table):  # blank lines, or lines of empty fields
            table = None
    if table is None:
        lines, rows, n_lines, dropped = _cut_malformed_lines(bytes(block.buffer[:block.size]), len(columns))
        table = _arrow_read(lines, columns)
        if table.num_rows != len(rows):  # pragma: no cover - would be a bug in the line splitting
            raise RuntimeError(f"pyarrow read {table.num_rows} lines where {len(rows)} good ones were given")
    else:
        n_lines = table.num_rows
        rows = np.arange(n_lines)
    table = pa.table({name: pc.dictionary_encode(table.column(name)) for name in columns})

    row_ok = np.ones(table.num_rows, dtype=bool)
    for name in columns:
        row_ok &= _valid_utf8(table.column(name))
    dropped.append(("invalid UTF-8", rows[~row_ok]))
    integers = {}
    for j in integer_at:
        values, ok = _whole_numbers(table.column(columns[j]))
        dropped.append((f"{columns[j]} not a whole number", rows[row_ok & ~ok]))
        row_ok &= ok
        integers[columns[j]] = values
    if row_ok.all():
        arrays = [pa.array(integers[name]) if name in integers else table.column(name) for name in columns]
    else:
        mask = pa.array(row_ok)
        arrays = [pa.array(integers[name][row_ok]) if name in integers else table.column(name).filter(mask)
                  for name in columns]
    return _Parsed(pa.Table.from_arrays(arrays, names=columns), rows[row_ok], dropped, n_lines)


def _has_lone_cr(block: _Block) -> bool:
    """Whether a block holds a carriage return not followed by a newline (memchr-fast when it holds none)."""
    data, size = block
    return data.find(b"\r", 0, size) >= 0 and data.count(b"\r", 0, size) != data.count(b"\r\n", 0, size)


def _has_empty_rows(table: pa.Table) -> bool:
    """Whether some row has every field empty: pyarrow reads a blank line so."""
    empty = None
    for column in table.columns:
        here = pc.equal(pc.binary_length(column), 0)
        empty = here if empty is None else pc.and_(empty, here)
    return bool(pc.any(empty).as_py())


def _cut_malformed_lines(block: bytes, n_columns: int) -> tuple[bytes, np.ndarray, int, list[tuple[str, np.ndarray]]]:
    """The block without its blank lines, lines holding a lone CR and lines with another number of
    fields, found with NumPy; the positions of the lines left, the number of lines, and the reasons."""
    a = np.frombuffer(block, dtype=np.uint8)
    newlines = np.flatnonzero(a == ord("\n"))
    starts = np.r_[0, newlines[:-1] + 1]
    ends = newlines - ((newlines > starts) & (a[np.maximum(newlines - 1, 0)] == ord("\r")))
    tabs = np.flatnonzero(a == ord("\t"))
    n_tabs = np.searchsorted(tabs, ends) - np.searchsorted(tabs, starts)
    good = np.ones(len(starts), dtype=bool)
    dropped = []
    for reason, bad in [("blank line", ends == starts),
                        ("carriage return inside a line", _lone_cr_lines(a, starts)),
                        (f"not {n_columns} tab-separated fields", n_tabs != n_columns - 1)]:
        bad &= good
        dropped.append((reason, np.flatnonzero(bad)))
        good &= ~bad
    return _select_lines(block, starts, newlines, good), np.flatnonzero(good), len(starts), dropped


def _lone_cr_lines(a: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Mark the lines holding a carriage return that is not followed by a newline."""
    # pyarrow ends a line at any \r; we only at \n. A \r is the last byte of no block.
    cr = np.flatnonzero(a == ord("\r"))
    lone_cr = cr[a[cr + 1] != ord("\n")]
    has_lone_cr = np.zeros(len(starts), dtype=bool)
    has_lone_cr[np.searchsorted(starts, lone_cr, side="right") - 1] = True
    return has_lone_cr


def _select_lines(block: bytes, starts: np.ndarray, newlines: np.ndarray, good: np.ndarray) -> bytes:
    """The block's bytes with the lines not in ``good`` cut out."""
    if good.all():
        return block
    # Join runs of consecutive good lines: few pieces when bad lines are rare.
    edges = np.flatnonzero(np.diff(np.r_[False, good, False].astype(np.int8)))
    run_first, run_last = edges[0::2], edges[1::2] - 1
    return b"".join(block[starts[i]:newlines[j] + 1] for i, j in zip(run_first, run_last))


def _arrow_read(block: bytes | memoryview, columns: list[str]) -> pa.Table:
    """Every field of the block's lines as bytes.

    Raises ``pyarrow.ArrowInvalid`` where a line has another number of fields. (Its
    ``invalid_row_handler`` would skip them, but pyarrow decodes such a line as UTF-8 before
    it calls the handler and fails where it is not; so such a block is split with NumPy.)
    """
    if not block:
        return pa.table({name: pa.array([], pa.binary()) for name in columns})
    # pyarrow drops a byte order mark at the start of its input; here it is text. A blank first
    # line, skipped, shields it.
    shield = int(bytes(block[:len(codecs.BOM_UTF8)]) == codecs.BOM_UTF8)
    data = b"\n" + bytes(block) if shield else block
    return pa_csv.read_csv(
        pa.BufferReader(pa.py_buffer(data)),
        read_options=pa_csv.ReadOptions(column_names=columns, skip_rows=shield, use_threads=False,
                                        block_size=len(data) + 1),
        parse_options=pa_csv.ParseOptions(delimiter="\t", quote_char=False, escape_char=False,
                                          newlines_in_values=False, ignore_empty_lines=False),
        convert_options=pa_csv.ConvertOptions(column_types={name: pa.binary() for name in columns}, check_utf8=False,
                                              strings_can_be_null=False, quoted_strings_can_be_null=False),
    )


def _binary_parts(values: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bytes of a binary array and each value's start and end in them."""
    if len(values) == 0:
        return np.empty(0, dtype=np.uint8), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    _, offsets, data = values.buffers()
    offsets = np.frombuffer(offsets, dtype=np.int32)[values.offset:values.offset + len(values) + 1]
    a = np.frombuffer(data, dtype=np.uint8) if data is not None else np.empty(0, dtype=np.uint8)
    return a, offsets[:-1].astype(np.int64), offsets[1:].astype(np.int64)


def _valid_utf8(column: pa.ChunkedArray) -> np.ndarray:
    """Per row, whether its value of a dictionary-encoded column is valid UTF-8 (checked once per value)."""
    column = column.combine_chunks()
    values = column.dictionary
    try:
        values.cast(pa.string())
        return np.ones(len(column), dtype=bool)
    except pa.ArrowInvalid:
        pass
    a, starts, ends = _binary_parts(values)
    ok = np.ones(len(values), dtype=bool)
    high = np.flatnonzero(a >= 0x80)  # only values with a byte above ASCII can be invalid
    for v in np.unique(np.searchsorted(ends, high, side="right")):
        try:
            bytes(a[starts[v]:ends[v]]).decode("utf-8")
        except UnicodeDecodeError:
            ok[v] = False
    return ok[column.indices.to_numpy(zero_copy_only=False)]


def _whole_numbers(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, its value of a dictionary-encoded column as a whole number (0 where not one) and
    whether it is one; each distinct value is parsed once."""
    column = column.combine_chunks()
    values, ok = _parse_whole_numbers(*_binary_parts(column.dictionary))
    codes = column.indices.to_numpy(zero_copy_only=False)
    return values[codes], ok[codes]


def _parse_whole_numbers(a: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parse the byte ranges ``a[lo:hi]`` as non-negative decimal integers.

    Returns the values (0 where not valid) and a mask of the valid ones: at
    least one digit, at most ``MAX_DIGITS``, nothing but digits.
    """
    length = hi - lo
    ok = (length > 0) & (length <= MAX_DIGITS)
    width = int(min(MAX_DIGITS, length.max(initial=0)))
    offsets = np.arange(width)
    inside = offsets[None, :] < length[:, None]
    chars = a[np.minimum(lo[:, None] + offsets[None, :], max(len(a) - 1, 0))] if len(a) else np.zeros(
        (len(lo), width), dtype=np.uint8)
    digits = chars.astype(np.int64) - ord("0")
    is_digit = (digits >= 0) & (digits <= 9)
    ok &= np.all(is_digit | ~inside, axis=1)
    power = np.where(inside, length[:, None] - 1 - offsets[None, :], 0)
    values = np.where(inside & is_digit, digits * (10 ** power), 0).sum(axis=1)
    values[~ok] = 0
    return values, ok

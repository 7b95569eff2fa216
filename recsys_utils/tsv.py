"""Block-wise reading of tab-separated files that accounts for every malformed line.

pandas' C parser is fast but, with ``on_bad_lines="skip"``, it drops lines
without saying which or why, and it pads short lines with NaN. So each block of
bytes is checked first with NumPy (column count, blank lines, UTF-8, whole
numbers, line endings), the bad lines are counted by reason in a
:class:`ParseReport`, and only the good lines go to pandas. Integer columns are
parsed here from the bytes we have already checked, so pandas only reads the
text columns.

Where pandas' reading of the bytes differs from ours, the checks make the two
agree: it ends a line at a lone ``\r`` too, so a line holding one is skipped
("carriage return inside a line"); it drops a byte order mark at the start of
whatever it is given, so one is skipped at the start of the file only and read
as text anywhere else. NUL and other control bytes are ordinary text to both.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
from collections.abc import Iterator, Sequence
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

from .playdata import ParseReport
from .utils import progress_bar

READ_BLOCK_BYTES = 16 << 20  # bytes of the file read and checked at a time
MAX_DIGITS = 18  # anything longer may not fit in int64


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
    """Read a UTF-8 tab-separated file block by block, checking every line.

    Lines that are blank, hold a carriage return other than that of a CRLF
    line ending, have the wrong number of tab-separated fields, are not valid
    UTF-8, or hold something other than a non-negative whole number in an
    integer column are skipped and counted in ``report`` by reason. Lines may
    end in LF or CRLF; a final line without either is read too. A UTF-8 byte
    order mark at the start of the file is skipped. Quotes have no special
    meaning (``csv.QUOTE_NONE``): they are part of the text, as in the Last.fm
    files.

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

    Yields
    ------
    pandas.DataFrame
        The good lines of one block: text columns as str, integer columns as
        int64, and ``line``, the 1-based line number in the file.
    """
    columns = list(columns)
    unknown = set(integer_columns) - set(columns)
    if unknown:
        raise ValueError(f"integer_columns {sorted(unknown)} are not among {columns}")
    integer_at = [columns.index(c) for c in integer_columns]
    text_at = [i for i in range(len(columns)) if i not in integer_at]
    md5 = hashlib.md5()
    size = os.path.getsize(path)
    next_line = 1
    with open(path, "rb") as f, progress_bar(
        total=size, unit="B", unit_scale=True, desc=f"parsing {os.path.basename(path)}",
        disable=not show_progress, leave=False,
    ) as progress:
        skipped = f.read(len(codecs.BOM_UTF8))
        if skipped != codecs.BOM_UTF8:
            skipped = b""
            f.seek(0)
        if header:
            first = f.readline()
            if header is True or _is_header(first, columns):
                skipped += first
                next_line = 2
            else:
                f.seek(len(skipped))
        md5.update(skipped)
        progress.update(len(skipped))
        leftover = b""
        while True:
            chunk = f.read(block_bytes)
            md5.update(chunk)
            progress.update(len(chunk))
            data = leftover + chunk
            if not data:
                break
            if chunk:
                cut = data.rfind(b"\n") + 1
                if cut == 0:  # a single line longer than a block: read on
                    leftover = data
                    continue
                block, leftover = data[:cut], data[cut:]
            else:
                block, leftover = (data if data.endswith(b"\n") else data + b"\n"), b""
            frame, n_lines = _parse_block(block, columns, text_at, integer_at, next_line, report)
            next_line += n_lines
            if len(frame):
                yield frame
            if not chunk:
                break
    report.md5 = md5.hexdigest()


def _is_header(line: bytes, columns: list[str]) -> bool:
    """Whether ``line`` names ``columns``, in any case."""
    fields = line.rstrip(b"\r\n").decode("utf-8", "replace").split("\t")
    return [f.strip().casefold() for f in fields] == [c.casefold() for c in columns]


class _Lines(NamedTuple):
    """Where the lines of a block and their tabs are, as byte offsets into the block."""

    starts: np.ndarray  # first byte of each line
    ends: np.ndarray  # exclusive end of each line's text, before its LF or CRLF
    newlines: np.ndarray  # the LF that ends each line
    tabs: np.ndarray  # every tab of the block
    first_tab: np.ndarray  # index in ``tabs`` of each line's first tab
    numbers: np.ndarray  # 1-based line numbers in the file


def _parse_block(
    block: bytes,
    columns: list[str],
    text_at: list[int],
    integer_at: list[int],
    first_line: int,
    report: ParseReport,
) -> tuple[pd.DataFrame, int]:
    """Check and parse one block of whole lines (it ends with a newline)."""
    a = np.frombuffer(block, dtype=np.uint8)
    lines = _find_lines(a, first_line)
    report.rows_read += len(lines.starts)
    good = _check_lines(a, block, lines, len(columns), report)
    integers = _parse_integer_fields(a, lines, columns, integer_at, good, report)
    rows = np.flatnonzero(good)
    frame = pd.DataFrame(index=pd.RangeIndex(len(rows)))
    if text_at and len(rows):
        text = _read_text_fields(block, lines, good, columns, text_at)
    for j in range(len(columns)):
        if j in integers:
            checked_rows, values = integers[j]
            keep = np.searchsorted(checked_rows, rows)
            frame[columns[j]] = values[keep]
        elif len(rows):
            frame[columns[j]] = text[columns[j]].to_numpy(dtype=object)
        else:
            frame[columns[j]] = np.empty(0, dtype=object)
    frame["line"] = lines.numbers[rows]
    return frame, len(lines.starts)


def _find_lines(a: np.ndarray, first_line: int) -> _Lines:
    """The lines and tabs of a block's bytes ``a``; a line's text ends before its LF or CRLF."""
    newlines = np.flatnonzero(a == ord("\n"))
    n_lines = len(newlines)
    starts = np.empty(n_lines, dtype=np.int64)
    starts[0] = 0
    starts[1:] = newlines[:-1] + 1
    ends = newlines.copy()
    has_cr = (ends > starts) & (a[np.maximum(ends - 1, 0)] == ord("\r"))
    ends[has_cr] -= 1
    tabs = np.flatnonzero(a == ord("\t"))
    return _Lines(starts, ends, newlines, tabs, np.searchsorted(tabs, starts), first_line + np.arange(n_lines))


def _check_lines(a: np.ndarray, block: bytes, lines: _Lines, n_columns: int, report: ParseReport) -> np.ndarray:
    """Mask of the lines fit to parse; the others are counted in ``report`` by their first fault."""
    n_tabs = np.searchsorted(lines.tabs, lines.ends) - lines.first_tab
    faults = [
        ("blank line", lines.ends == lines.starts),
        ("carriage return inside a line", _lone_cr_lines(a, lines.starts)),
        (f"not {n_columns} tab-separated fields", n_tabs != n_columns - 1),
        ("invalid UTF-8", _invalid_utf8_lines(block, lines.starts, lines.newlines)),
    ]
    good = np.ones(len(lines.starts), dtype=bool)
    for reason, bad in faults:
        bad &= good
        report.drop(reason, lines.numbers[bad])
        good &= ~bad
    return good


def _lone_cr_lines(a: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Mark the lines holding a carriage return that is not followed by a newline."""
    # pandas ends a line at any \r; we only at \n. A \r is the last byte of no block.
    cr = np.flatnonzero(a == ord("\r"))
    lone_cr = cr[a[cr + 1] != ord("\n")]
    has_lone_cr = np.zeros(len(starts), dtype=bool)
    has_lone_cr[np.searchsorted(starts, lone_cr, side="right") - 1] = True
    return has_lone_cr


def _field_bounds(lines: _Lines, j: int, rows: np.ndarray, n_columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Byte range of field ``j`` of the lines ``rows``."""
    t = lines.first_tab[rows]
    lo = lines.starts[rows] if j == 0 else lines.tabs[t + j - 1] + 1
    hi = lines.ends[rows] if j == n_columns - 1 else lines.tabs[t + j]
    return lo, hi


def _parse_integer_fields(
    a: np.ndarray, lines: _Lines, columns: list[str], integer_at: list[int], good: np.ndarray, report: ParseReport
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Each integer field's values at the lines checked; a line where one is invalid is cleared in ``good``."""
    integers = {}
    for j in integer_at:
        rows = np.flatnonzero(good)
        values, ok = _parse_whole_numbers(a, *_field_bounds(lines, j, rows, len(columns)))
        report.drop(f"{columns[j]} not a whole number", lines.numbers[rows[~ok]])
        good[rows[~ok]] = False
        integers[j] = (rows, values)
    return integers


def _read_text_fields(
    block: bytes, lines: _Lines, good: np.ndarray, columns: list[str], text_at: list[int]
) -> pd.DataFrame:
    """The text fields of the good lines, read by pandas' C parser."""
    selected = _select_lines(block, lines.starts, lines.newlines, good)
    # pandas drops a byte order mark at the start of its input; here it is text.
    shield = int(selected.startswith(codecs.BOM_UTF8))
    text = pd.read_csv(
        io.BytesIO(b"\n" * shield + selected), skiprows=shield,
        sep="\t", header=None, names=columns, usecols=[columns[j] for j in text_at],
        dtype=object, quoting=csv.QUOTE_NONE, na_filter=False, skip_blank_lines=False,
        encoding="utf-8", engine="c",
    )
    n_good = int(np.count_nonzero(good))
    if len(text) != n_good:  # pragma: no cover - would be a bug in the checks above
        raise RuntimeError(f"parsed {len(text)} rows from {n_good} checked lines")
    return text


def _invalid_utf8_lines(block: bytes, starts: np.ndarray, newlines: np.ndarray) -> np.ndarray:
    """Mark the lines that are not valid UTF-8; each decode resumes after the bad line."""
    bad = np.zeros(len(starts), dtype=bool)
    view = memoryview(block)
    pos = 0
    while pos < len(block):
        try:
            codecs.utf_8_decode(view[pos:], "strict", True)
            break
        except UnicodeDecodeError as error:
            line = int(np.searchsorted(starts, pos + error.start, side="right")) - 1
            bad[line] = True
            pos = int(newlines[line]) + 1
    return bad


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
    chars = a[np.minimum(lo[:, None] + offsets[None, :], len(a) - 1)]
    digits = chars.astype(np.int64) - ord("0")
    is_digit = (digits >= 0) & (digits <= 9)
    ok &= np.all(is_digit | ~inside, axis=1)
    power = np.where(inside, length[:, None] - 1 - offsets[None, :], 0)
    values = np.where(inside & is_digit, digits * (10 ** power), 0).sum(axis=1)
    values[~ok] = 0
    return values, ok


def _select_lines(block: bytes, starts: np.ndarray, newlines: np.ndarray, good: np.ndarray) -> bytes:
    """The block's bytes with the lines not in ``good`` cut out."""
    if good.all():
        return block
    # Join runs of consecutive good lines: few pieces when bad lines are rare.
    edges = np.flatnonzero(np.diff(np.r_[False, good, False].astype(np.int8)))
    run_first, run_last = edges[0::2], edges[1::2] - 1
    return b"".join(block[starts[i]:newlines[j] + 1] for i, j in zip(run_first, run_last))

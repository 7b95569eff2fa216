"""Readers (and a writer) for the Last.fm file formats, producing :class:`PlayData`."""

from __future__ import annotations

import logging
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from .playdata import ParseReport, PlayData
from .tsv import read_tsv, read_tsv_blocks

log = logging.getLogger(__name__)

#: Official MD5 of usersha1-artmbid-artname-plays.tsv (the dataset's README.txt).
LASTFM_360K_MD5 = "be672526eb7c69495c27ad27803148f1"
LASTFM_360K_COLUMNS = ("user", "mbid", "artist", "plays")
TEXT_COLUMNS = ("user", "mbid", "artist")


class DataIntegrityWarning(UserWarning):
    """A data file is readable but is not the file that was published."""


def _mode_per_group(group: np.ndarray, value: np.ndarray, n_groups: int) -> np.ndarray:
    """The most frequent ``value`` of each group (ties: the smallest), -1 where a group is empty."""
    out = np.full(n_groups, -1, dtype=np.int64)
    if len(group) == 0:
        return out
    # Most groups hold one value only (an artist's name comes with one MBID): they are settled by
    # any of their values; only the rows of the other groups are counted.
    some_value = np.zeros(n_groups, dtype=np.int64)
    some_value[group] = value
    present = np.zeros(n_groups, dtype=bool)
    present[group] = True
    mixed = np.zeros(n_groups, dtype=bool)
    mixed[group[value != some_value[group]]] = True
    settled = present & ~mixed
    out[settled] = some_value[settled]
    rows = mixed[group]
    group, value = group[rows], value[rows]
    if len(group) == 0:
        return out
    # A groups x values matrix of counts, repeated pairs summed and each row's values sorted:
    # the first largest count of a row is at its smallest value.
    counts = sp.csr_matrix((np.ones(len(group), dtype=np.int32), (group, value)),
                           shape=(n_groups, int(value.max()) + 1))
    counts.sum_duplicates()
    has = np.flatnonzero(mixed)
    out[has] = np.asarray(counts[has].argmax(axis=1)).ravel()
    return out


def _sorted_labels(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort labels; return them and, for each old id, its new id."""
    order = np.argsort(labels.astype(str), kind="stable")
    new_id = np.empty(len(labels), dtype=np.int32)
    new_id[order] = np.arange(len(labels), dtype=np.int32)
    return labels[order], new_id


def unquote_names(names: np.ndarray) -> tuple[np.ndarray, int]:
    """Undo CSV quoting of names written as ``"lee ""scratch"" perry"``.

    The 360K file writes a name that contains a double quote the way CSV does:
    the whole name in quotes, inner quotes doubled. Reading with quoting on
    would let one stray quote swallow the following lines, so the file is read
    with quoting off and only names that are quoted exactly this way are undone.
    Returns the names and how many were changed.
    """
    s = pd.Series(names, dtype=object)
    candidates = s.str.startswith('"') & s.str.endswith('"') & (s.str.len() >= 2)
    if not candidates.any():
        return names, 0
    inner = s[candidates].str.slice(1, -1)
    well_formed = ~inner.str.replace('""', "", regex=False).str.contains('"', regex=False)
    inner = inner[well_formed].str.replace('""', '"', regex=False)
    s.loc[inner.index] = inner
    return s.to_numpy(dtype=object), len(inner)


def _play_matrix(users: np.ndarray, artists: np.ndarray, plays: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """users x artists CSR of float32 play counts, repeated pairs summed."""
    matrix = sp.coo_matrix(
        (plays.astype(np.float32), (users.astype(np.int32), artists.astype(np.int32))), shape=shape
    ).tocsr()
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix


def _warn_if_not_official(report: ParseReport) -> None:
    if report.is_official is False:
        warnings.warn(
            f"{report.source} has md5 {report.md5}, not the official {report.expected_md5}: "
            "it is parsed as it is, but it is not the published file (a sample, a truncated "
            "download or a modified copy).",
            DataIntegrityWarning,
            stacklevel=3,
        )


def _no_readable_rows(report: ParseReport) -> ValueError:
    return ValueError(f"{report.source} holds no readable rows: every line was skipped.\n{report.summary()}")


def _read_table(path: Path, columns: tuple[str, ...], report: ParseReport, **kwargs) -> pd.DataFrame:
    """The good lines of a tab-separated file that may start with a header line, as one frame."""
    frames = list(read_tsv(path, columns, report, header="auto", **kwargs))
    if report.rows_read == 0:
        raise ValueError(
            f"{path} holds no rows: it is empty or has only its header line, so it is probably "
            "truncated. Replace it with the published file (delete it, and load_dataset downloads it again)."
        )
    if not frames:
        raise _no_readable_rows(report)
    return pd.concat(frames, ignore_index=True)


def read_lastfm_360k(path: str | os.PathLike, *, show_progress: bool = True) -> PlayData:
    """Parse ``usersha1-artmbid-artname-plays.tsv`` from Last.fm 360K as published.

    The file has no header; each line is ``user-sha1 TAB artist-mbid TAB
    artist-name TAB plays`` in UTF-8. Quotes are ordinary characters, MBIDs
    may be empty. Artists are keyed by name, as in the blog; each artist's
    MBID is the one most often given with that name.

    Every line is accounted for in ``PlayData.report``: malformed lines, zero
    plays and rows with no user or no artist name are skipped and counted by
    reason. A row with an empty name but an MBID that names an artist elsewhere
    in the file is kept under that name. Repeated (user, artist) rows are summed.
    Names the file wrote in CSV quotes (``"lee ""scratch"" perry"``) are
    unquoted (``lee "scratch" perry``); see :func:`unquote_names`. A file of
    which no line is kept is an error.

    Parameters
    ----------
    path : path-like
    show_progress : bool

    Returns
    -------
    PlayData
        ``user_items`` is users x artists; users and artists sorted by id and name.

    Raises
    ------
    ValueError
        No line of the file is kept; the message carries the report's summary.
    """
    path = Path(path)
    report = ParseReport(source=str(path), expected_md5=LASTFM_360K_MD5)
    rows = _read_360k_rows(path, report, show_progress)
    named, unnamed, users, raw_names, mbid_strings = _encode_360k_rows(rows, report)
    no_mbid = _index_of(mbid_strings, "")
    user_of, artist_of, mbid_of, plays = _name_by_mbid(named, unnamed, no_mbid, len(mbid_strings), report)
    if len(plays) == 0:
        raise _no_readable_rows(report)
    names, artist_of = _merge_quoted_names(raw_names, artist_of, report)

    user_ids, user_new = _sorted_labels(users)
    artist_names, artist_new = _sorted_labels(names)
    artist_mbids = _most_common_mbids(artist_of, mbid_of, mbid_of != no_mbid, mbid_strings, artist_new)

    # A user whose only rows had no recoverable artist name keeps an empty row.
    user_items = _play_matrix(user_new[user_of], artist_new[artist_of], plays, (len(user_ids), len(artist_names)))
    report.rows_kept = len(plays)
    report.duplicates_merged = len(plays) - user_items.nnz
    report.check()
    _warn_if_not_official(report)
    log.info(report.summary())
    return PlayData(user_items, artist_names, user_ids, artist_mbids=artist_mbids, report=report, name="lastfm-360k")


def _read_360k_rows(path: Path, report: ParseReport, show_progress: bool) -> dict[str, np.ndarray]:
    """Every good line of the file: per text column its codes and distinct values (``"<name>_values"``,
    in order of first appearance in the file), ``plays`` and ``line``; no good line is an error."""
    blocks = list(read_tsv_blocks(path, LASTFM_360K_COLUMNS, report, integer_columns=["plays"],
                                  show_progress=show_progress))
    if not blocks:
        raise _no_readable_rows(report)
    rows = {"line": np.concatenate([block.lines for block in blocks]),
            "plays": np.concatenate([block.table.column("plays").to_numpy() for block in blocks])}

    def unify(name: str) -> tuple[np.ndarray, pa.Array]:
        column = pa.Table.from_arrays([pa.chunked_array([c for block in blocks for c in block.table.column(name).chunks])],
                                      names=[name]).unify_dictionaries().column(0)
        codes = np.concatenate([chunk.indices.to_numpy(zero_copy_only=False) for chunk in column.chunks])
        return codes, column.chunk(0).dictionary

    with ThreadPoolExecutor(2) as pool:  # pyarrow hashes without the GIL
        for name, (codes, values) in zip(TEXT_COLUMNS, pool.map(unify, TEXT_COLUMNS)):
            rows[name], rows[f"{name}_values"] = codes, values
    return rows


def _index_of(values, value) -> int:
    """Where ``value`` is in ``values`` (a pyarrow or NumPy array), or -1."""
    if isinstance(values, pa.Array):
        return pc.index(values, value).as_py()
    found = np.flatnonzero(values == value)
    return int(found[0]) if len(found) else -1


def _compact(codes: np.ndarray, values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Codes renumbered 0, 1, ... over the values they use (order kept), and those values as str."""
    used = np.zeros(len(values), dtype=bool)
    used[codes] = True
    new_code = (np.cumsum(used) - 1).astype(np.int32)
    strings = values.filter(pa.array(used)).cast(pa.string()).to_numpy(zero_copy_only=False)
    return new_code[codes], strings.astype(object)


def _encode_360k_rows(
    rows: dict[str, np.ndarray], report: ParseReport
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...], np.ndarray, np.ndarray, np.ndarray]:
    """Rows with no user id or zero plays counted and left out; the rest as ids: named rows
    (user, artist, mbid, plays), rows with an empty name (user, mbid, plays, line), and the users,
    names and MBIDs the ids stand for (in order of first appearance in the file)."""
    lines = rows["line"]
    no_user = rows["user"] == _index_of(rows["user_values"], b"")
    zero = rows["plays"] == 0
    report.drop("no user id", lines[no_user])
    report.drop("zero plays", lines[zero & ~no_user])
    keep = ~(no_user | zero)
    if not keep.all():
        rows = {name: (rows[name][keep] if isinstance(rows[name], np.ndarray) else rows[name]) for name in rows}
    user_of, users = _compact(rows["user"], rows["user_values"])
    mbid_of, mbids = _compact(rows["mbid"], rows["mbid_values"])
    no_name = rows["artist"] == _index_of(rows["artist_values"], b"")
    named = ~no_name
    artist_of, names = _compact(rows["artist"][named], rows["artist_values"])
    plays = rows["plays"]
    unnamed = (user_of[no_name], mbid_of[no_name], plays[no_name], rows["line"][no_name])
    return (user_of[named], artist_of, mbid_of[named], plays[named]), unnamed, users, names, mbids


def _name_by_mbid(
    named: tuple[np.ndarray, ...], unnamed: tuple[np.ndarray, ...], no_mbid: int, n_mbids: int, report: ParseReport
) -> tuple[np.ndarray, ...]:
    """The named rows plus the unnamed rows whose MBID another row names, kept under that name."""
    u0, m0, p0, l0 = unnamed
    if not len(u0):
        return named
    user_of, artist_of, mbid_of, plays = named
    has_mbid = mbid_of != no_mbid
    artist_of_mbid = _mode_per_group(mbid_of[has_mbid], artist_of[has_mbid], n_mbids)
    found = (m0 != no_mbid) & (artist_of_mbid[m0] >= 0)
    report.drop("no artist name", l0[~found])
    report.names_recovered = int(found.sum())
    recovered = (u0[found], artist_of_mbid[m0[found]], m0[found], p0[found])
    return tuple(np.concatenate([kept, more]) for kept, more in zip(named, recovered))


def _merge_quoted_names(
    raw_names: np.ndarray, artist_of: np.ndarray, report: ParseReport
) -> tuple[np.ndarray, np.ndarray]:
    """Names unquoted once per distinct name, not per line, and each row's artist id under them."""
    # A name that was in the file both quoted and plain becomes one artist (its rows are summed later).
    names, changed = unquote_names(raw_names)
    if changed:
        report.names_unquoted = int(np.isin(artist_of, np.flatnonzero(names != raw_names)).sum())
        merged_id, names = pd.factorize(names)
        artist_of = merged_id[artist_of]
        names = np.asarray(names, dtype=object)
    return names, artist_of


def _most_common_mbids(
    artist_of: np.ndarray, mbid_of: np.ndarray, has_mbid: np.ndarray, mbid_strings: np.ndarray, artist_new: np.ndarray
) -> np.ndarray:
    """Each artist's MBID most often given with its name ("" if none), in the order of ``artist_new``."""
    mbid_of_artist = _mode_per_group(artist_of[has_mbid], mbid_of[has_mbid], len(artist_new))
    artist_mbids = np.where(mbid_of_artist >= 0, mbid_strings[np.maximum(mbid_of_artist, 0)], "")
    return artist_mbids[np.argsort(artist_new)].astype(object)


#: MD5 of HetRec 2011 user_artists.dat (agreed by three independent copies).
HETREC_USER_ARTISTS_MD5 = "85f04141f44f8ff69953bdbd62728bf5"


def read_hetrec_lastfm(directory: str | os.PathLike, *, show_progress: bool = True) -> PlayData:
    """Parse HetRec 2011 Last.fm 2K: ``user_artists.dat`` and ``artists.dat``.

    Both are tab-separated; ``weight`` is the play count. Artists are the rows
    of ``artists.dat`` in id order; users are sorted by id. ``PlayData.report``
    accounts for every line of ``user_artists.dat``; lines of ``artists.dat``
    that cannot be read are warned about.

    The published files start with a header line (``userID TAB artistID TAB
    weight`` and ``id TAB name TAB url TAB pictureURL``), but some copies
    have none. So the first line is skipped only when it is that header (in
    any case); otherwise it is read as data. A first line that is neither the
    header nor a valid row (a header someone edited) is counted as a malformed
    line 1 in the report, like any other malformed line, rather than refused.

    Raises
    ------
    ValueError
        A file is empty or has only its header line, or no line of
        ``user_artists.dat`` is kept.
    """
    directory = Path(directory)
    names_report = ParseReport(source=str(directory / "artists.dat"))
    names = _read_table(directory / "artists.dat", ("id", "name", "url", "pictureURL"), names_report,
                        integer_columns=["id"], show_progress=False)
    if names_report.rows_dropped:
        warnings.warn("artists.dat: " + names_report.summary(), DataIntegrityWarning, stacklevel=2)
    repeated = names["id"].duplicated()
    if repeated.any():
        raise ValueError(f"artists.dat lists artist ids more than once: {names['id'][repeated].tolist()[:5]}")
    names = names.sort_values("id", kind="stable")
    artist_ids = names["id"].to_numpy()

    report = ParseReport(source=str(directory / "user_artists.dat"), expected_md5=HETREC_USER_ARTISTS_MD5)
    plays = _read_table(directory / "user_artists.dat", ("userID", "artistID", "weight"), report,
                        integer_columns=["userID", "artistID", "weight"], show_progress=show_progress)
    zero = plays["weight"].to_numpy() == 0
    report.drop("zero plays", plays["line"].to_numpy()[zero])
    plays = plays[~zero]
    artist_col = np.searchsorted(artist_ids, plays["artistID"].to_numpy())
    known = (artist_col < len(artist_ids)) & (artist_ids[np.minimum(artist_col, len(artist_ids) - 1)] == plays["artistID"].to_numpy())
    report.drop("artist id not in artists.dat", plays["line"].to_numpy()[~known])
    plays, artist_col = plays[known], artist_col[known]
    if len(plays) == 0:
        raise _no_readable_rows(report)
    user_numbers, user_row = np.unique(plays["userID"].to_numpy(), return_inverse=True)
    user_items = _play_matrix(user_row, artist_col, plays["weight"].to_numpy(), (len(user_numbers), len(artist_ids)))
    report.rows_kept = len(plays)
    report.duplicates_merged = len(plays) - user_items.nnz
    report.check()
    _warn_if_not_official(report)
    return PlayData(
        user_items,
        names["name"].to_numpy(dtype=object),
        user_numbers.astype(str).astype(object),
        report=report,
        name="lastfm-2k",
    )


def write_lastfm_360k(data: PlayData, path: str | os.PathLike) -> None:
    """Write ``data`` in the format of ``usersha1-artmbid-artname-plays.tsv``.

    One line per stored play count, grouped by user, no header. Plays are
    rounded to whole numbers. Used to exercise :func:`read_lastfm_360k` at
    full scale on synthetic data.
    """
    for label in ("artist_names", "user_ids"):
        values = getattr(data, label).astype(str)
        if np.char.find(values, "\t").max(initial=-1) >= 0 or np.char.find(values, "\n").max(initial=-1) >= 0:
            raise ValueError(f"{label} contain tabs or newlines, which the format cannot hold")
    coo = data.user_items.tocoo()
    mbids = data.artist_mbids if data.artist_mbids is not None else np.full(data.n_artists, "", dtype=object)
    frame = pd.DataFrame({
        "user": data.user_ids[coo.row],
        "mbid": mbids[coo.col],
        "artist": data.artist_names[coo.col],
        "plays": np.rint(coo.data).astype(np.int64),
    })
    tmp = Path(f"{path}.partial")
    frame.to_csv(tmp, sep="\t", header=False, index=False, quoting=3, lineterminator="\n", encoding="utf-8")
    os.replace(tmp, path)

"""Containers for loaded listening data: the play matrix, its labels and a parse report."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp


@dataclass
class ParseReport:
    """What happened to every line of a source file while it was parsed.

    ``rows_read == rows_kept + sum(dropped.values())`` always holds: no line is
    lost without a reason.

    Attributes
    ----------
    source : str
        The file that was parsed.
    rows_read : int
        Data lines read (a header line is not counted).
    rows_kept : int
        Lines that became an entry of the play matrix (duplicates included,
        see ``duplicates_merged``).
    dropped : dict of str to int
        Lines skipped, counted by reason.
    first_lines : dict of str to list of int
        The first few 1-based line numbers skipped for each reason, so a reader
        can look them up in the file.
    duplicates_merged : int
        Kept lines whose (user, artist) pair had already been seen; their plays
        were added to the earlier entry, as the blog's ``coo_matrix`` does.
    names_recovered : int
        Lines with an empty artist name whose MusicBrainz id named an artist
        elsewhere in the file; they were kept under that name.
    names_unquoted : int
        Lines whose artist name was written in CSV quotes and was unquoted.
    md5 : str or None
        MD5 of the file's bytes, when it was computed.
    expected_md5 : str or None
        The official MD5 of this file, where one is published.
    """

    source: str
    rows_read: int = 0
    rows_kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    first_lines: dict[str, list[int]] = field(default_factory=dict)
    duplicates_merged: int = 0
    names_recovered: int = 0
    names_unquoted: int = 0
    md5: str | None = None
    expected_md5: str | None = None

    MAX_LINES_KEPT = 5

    def drop(self, reason: str, line_numbers: np.ndarray) -> None:
        """Count the lines ``line_numbers`` (1-based) as skipped for ``reason``."""
        if len(line_numbers) == 0:
            return
        self.dropped[reason] = self.dropped.get(reason, 0) + len(line_numbers)
        kept = self.first_lines.setdefault(reason, [])
        room = self.MAX_LINES_KEPT - len(kept)
        if room > 0:
            kept.extend(int(n) for n in np.sort(line_numbers)[:room])

    @property
    def rows_dropped(self) -> int:
        """Lines skipped, for all reasons."""
        return sum(self.dropped.values())

    @property
    def is_official(self) -> bool | None:
        """True or False when both MD5s are known, else None."""
        if self.md5 is None or self.expected_md5 is None:
            return None
        return self.md5 == self.expected_md5

    def check(self) -> None:
        """Assert the bookkeeping adds up."""
        if self.rows_read != self.rows_kept + self.rows_dropped:
            raise AssertionError(
                f"{self.source}: {self.rows_read} lines read but "
                f"{self.rows_kept} kept + {self.rows_dropped} dropped"
            )

    def summary(self) -> str:
        """A few lines of plain text saying what was read, kept and skipped."""
        lines = [
            f"{os.path.basename(self.source)}: {self.rows_read:,} rows read, {self.rows_kept:,} kept, "
            f"{self.rows_dropped:,} skipped"
        ]
        for reason, count in sorted(self.dropped.items()):
            where = ", ".join(str(n) for n in self.first_lines.get(reason, []))
            lines.append(f"  skipped {count:,} ({reason}); first at line {where}")
        if self.duplicates_merged:
            lines.append(f"  merged {self.duplicates_merged:,} repeated (user, artist) rows by adding plays")
        if self.names_recovered:
            lines.append(f"  named {self.names_recovered:,} rows with an empty artist name from their MBID")
        if self.names_unquoted:
            lines.append(f"  unquoted {self.names_unquoted:,} artist names written in CSV quotes")
        if self.is_official is False:
            lines.append(f"  md5 {self.md5} is not the official {self.expected_md5} (a sample or a modified file)")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """The report as plain JSON-ready values (see :meth:`from_dict`)."""
        return {
            "source": self.source,
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "dropped": dict(self.dropped),
            "first_lines": {k: list(v) for k, v in self.first_lines.items()},
            "duplicates_merged": self.duplicates_merged,
            "names_recovered": self.names_recovered,
            "names_unquoted": self.names_unquoted,
            "md5": self.md5,
            "expected_md5": self.expected_md5,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "ParseReport":
        """The report :meth:`to_dict` wrote."""
        return cls(**d)


@dataclass
class SyntheticTruth:
    """Ground truth planted by :func:`recsys_utils.synthetic.make_synthetic`.

    Attributes
    ----------
    artist_genres : ndarray of int, shape (n_artists,)
        The genre of every artist.
    alias_pairs : ndarray of int, shape (m, 2)
        Artist indices of pairs that are one artist under two names: same genre
        and the same appeal, but no listener in common.
    """

    artist_genres: np.ndarray
    alias_pairs: np.ndarray


@dataclass
class PlayData:
    """Play counts of users for artists, with the labels of both axes.

    Attributes
    ----------
    user_items : scipy.sparse.csr_matrix, shape (n_users, n_artists), float32
        Play counts; rows are users, columns are artists.
    artist_names : ndarray of str, shape (n_artists,)
    user_ids : ndarray of str, shape (n_users,)
    artist_mbids : ndarray of str, shape (n_artists,), or None
        MusicBrainz ids ("" where an artist has none), where the source has them.
    truth : SyntheticTruth or None
        Planted ground truth of synthetic data; None for real data.
    report : ParseReport or None
        What happened while the source file was parsed; None for generated data.
    name : str
        The dataset's name, for titles.
    """

    user_items: sp.csr_matrix
    artist_names: np.ndarray
    user_ids: np.ndarray
    artist_mbids: np.ndarray | None = None
    truth: SyntheticTruth | None = None
    report: ParseReport | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if not sp.issparse(self.user_items) or self.user_items.format != "csr":
            raise TypeError("user_items must be a scipy.sparse CSR matrix (users x artists)")
        n_users, n_artists = self.user_items.shape
        if len(self.user_ids) != n_users or len(self.artist_names) != n_artists:
            raise ValueError(
                f"user_items is {n_users} x {n_artists} (users x artists) but there are "
                f"{len(self.user_ids)} user ids and {len(self.artist_names)} artist names"
            )
        if self.artist_mbids is not None and len(self.artist_mbids) != n_artists:
            raise ValueError("artist_mbids must have one entry per artist")
        if self.truth is not None and len(self.truth.artist_genres) != n_artists:
            raise ValueError("truth.artist_genres must have one entry per artist")

    @property
    def n_users(self) -> int:
        """Number of users (rows)."""
        return self.user_items.shape[0]

    @property
    def n_artists(self) -> int:
        """Number of artists (columns)."""
        return self.user_items.shape[1]

    @property
    def nnz(self) -> int:
        """Number of stored play counts."""
        return self.user_items.nnz

    @property
    def density(self) -> float:
        """Share of (user, artist) cells that hold a play count; 0.0 for an empty matrix."""
        cells = self.n_users * self.n_artists
        return self.nnz / cells if cells else 0.0

    @property
    def item_users(self) -> sp.csr_matrix:
        """The transposed matrix, artists x users (the blog's orientation)."""
        return self.user_items.T.tocsr()

    def artist_listeners(self) -> np.ndarray:
        """Number of users who played each artist."""
        return np.diff(self.user_items.tocsc().indptr)

    def artist_plays(self) -> np.ndarray:
        """Total plays of each artist."""
        return np.asarray(self.user_items.sum(axis=0, dtype=np.float64)).ravel()

    def user_plays(self) -> np.ndarray:
        """Total plays of each user."""
        return np.asarray(self.user_items.sum(axis=1, dtype=np.float64)).ravel()

    def user_artist_counts(self) -> np.ndarray:
        """Number of artists each user played."""
        return np.diff(self.user_items.indptr)

    def __repr__(self) -> str:
        return (
            f"PlayData({self.name!r}: {self.n_users:,} users x {self.n_artists:,} artists, "
            f"{self.nnz:,} play counts, density {self.density:.3%})"
        )

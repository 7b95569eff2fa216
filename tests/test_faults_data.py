"""Faults of the data layer (issue #8, defects 7-12), each shown on hand-made files.

7  a lone carriage return (and other bytes pandas reads differently) inside a line;
8  a file of which nothing is kept;
9  HetRec files that are empty, header-only or without their header line;
10 the parsed-data cache: content key, private partial files, pruning;
11 messages for a missing path and an upper-case suffix;
12 a data folder holding only the data files.
"""

import os
import random
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from recsys_utils import PlayData, cache, datasets, load_dataset
from recsys_utils.formats import (
    LASTFM_360K_COLUMNS,
    DataIntegrityWarning,
    read_hetrec_lastfm,
    read_lastfm_360k,
    write_lastfm_360k,
)
from recsys_utils.playdata import ParseReport
from recsys_utils.synthetic import make_synthetic
from recsys_utils.tsv import MAX_DIGITS, read_tsv

U1 = "a" * 40
U2 = "b" * 40
BOM = b"\xef\xbb\xbf"
USER_ARTISTS_HEADER = "userID\tartistID\tweight\r\n"
ARTISTS_HEADER = "id\tname\turl\tpictureURL\n"


def write(path, text: bytes | str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def read_hetrec(directory):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataIntegrityWarning)
        return read_hetrec_lastfm(directory, show_progress=False)


def tsv_rows(path, block_bytes=None):
    """Every kept row of a 360K-format file as (line, user, mbid, artist, plays), and the report."""
    report = ParseReport(str(path))
    kwargs = {"block_bytes": block_bytes} if block_bytes else {}
    frames = list(read_tsv(path, LASTFM_360K_COLUMNS, report, integer_columns=["plays"], show_progress=False, **kwargs))
    rows = [tuple(r) for f in frames for r in f[["line", *LASTFM_360K_COLUMNS]].itertuples(index=False)]
    return rows, report


# --- 7: bytes that pandas splits or merges lines on ----------------------------------


def test_a_lone_carriage_return_is_a_counted_malformed_line(tmp_path):
    path = write(tmp_path / "plays.tsv", (
        f"{U1}\t\tfirst\t1\n"        # 1 kept
        f"{U1}\t\tna\rme\t2\n"       # 2 CR inside a name
        f"{U1}\r\t\tx\t3\n"          # 3 CR inside the user id
        f"{U1}\t\ty\t4\r5\n"         # 4 CR inside the plays
        f"{U1}\t\tz\t6\r\r\n"        # 5 one CR too many before the line ending
        f"{U2}\t\tlast\t7\r\n"       # 6 kept: CRLF is a line ending
    ))
    with pytest.warns(DataIntegrityWarning):  # a hand-made file is never the official one
        data = read_lastfm_360k(path, show_progress=False)
    r = data.report
    assert r.dropped == {"carriage return inside a line": 4}, r.summary()
    assert r.first_lines["carriage return inside a line"] == [2, 3, 4, 5]
    assert (r.rows_read, r.rows_kept) == (6, 2)
    assert sorted(data.artist_names) == ["first", "last"] and data.user_items.sum() == 8


@pytest.mark.parametrize("block_bytes", [1, 7, 64])
def test_a_lone_carriage_return_does_not_depend_on_the_block_size(tmp_path, block_bytes):
    path = write(tmp_path / "plays.tsv", f"{U1}\t\tna\rme\t2\n{U1}\t\tok\t1\n{U2}\r\t\tx\t3\n")
    rows, report = tsv_rows(path, block_bytes)
    assert [(line, artist) for line, _, _, artist, _ in rows] == [(2, "ok")]
    assert report.dropped == {"carriage return inside a line": 2}
    assert report.rows_read == len(rows) + report.rows_dropped == 3


def test_a_byte_order_mark_is_read_the_same_whatever_the_block_size(tmp_path):
    # At the start of the file it marks the encoding and is skipped; anywhere else it is
    # text. pandas strips one at the start of whatever buffer it is given, so it used to
    # be kept or lost depending on where a block began.
    path = write(tmp_path / "plays.tsv", BOM + f"{U1}\t\tx\t1\n".encode() + BOM + f"{U2}\t\ty\t2\n".encode())
    results = {block: tsv_rows(path, block)[0] for block in (None, 40, 60)}
    for block, rows in results.items():
        assert [user for _, user, _, _, _ in rows] == [U1, "\ufeff" + U2], f"block_bytes={block}"


def _reference(data: bytes) -> tuple[list[tuple], dict[str, int]]:
    """What ``read_tsv`` must make of ``data`` in the 360K layout, one line at a time."""
    if data.startswith(BOM):
        data = data[len(BOM):]
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    kept, dropped = [], {}
    for number, line in enumerate(lines, 1):
        if line.endswith(b"\r"):
            line = line[:-1]
        fields = line.split(b"\t")
        reason = None
        if not line:
            reason = "blank line"
        elif b"\r" in line:
            reason = "carriage return inside a line"
        elif len(fields) != 4:
            reason = "not 4 tab-separated fields"
        else:
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                reason = "invalid UTF-8"
            else:
                if not (fields[3].isdigit() and len(fields[3]) <= MAX_DIGITS):
                    reason = "plays not a whole number"
        if reason:
            dropped[reason] = dropped.get(reason, 0) + 1
        else:
            kept.append((number, *(f.decode() for f in fields[:3]), int(fields[3])))
    return kept, dropped


def _noisy_file(seed: int) -> bytes:
    """Mostly good 360K lines with stray CR, NUL, BOM, tab, quote and non-UTF-8 bytes, in any line ending."""
    rng = random.Random(seed)
    noise = [b"\r", b"\x00", b"\t", b'"', BOM, b"\xff", b"\xc3\xa9", b"\r\n", b"\n", b" ", b"x", b"7"]
    out = [BOM] if rng.random() < 0.5 else []
    for i in range(400):
        line = bytearray(f"{U1 if i % 3 else U2}\t\tartist {i % 17}\t{rng.randrange(0, 50)}".encode())
        for _ in range(rng.choice([0, 0, 0, 1, 2])):
            at = rng.randrange(len(line) + 1)
            line[at:at] = rng.choice(noise)
        out.append(bytes(line) + rng.choice([b"\n", b"\n", b"\r\n"]))
    # The last line's LF is replaced by one of these, so each ending is tried by one seed.
    tail = [b"\n", b"", b"\r", b"\x00", b"\r\r", BOM][seed % 6]
    return b"".join(out)[:-1] + tail


@pytest.mark.parametrize("seed", range(6))
def test_noisy_bytes_are_read_exactly_as_a_line_by_line_reference(tmp_path, seed):
    data = _noisy_file(seed)
    path = write(tmp_path / "plays.tsv", data)
    expected_rows, expected_dropped = _reference(data)
    for block_bytes in (None, 5, 333):
        rows, report = tsv_rows(path, block_bytes)
        assert report.dropped == expected_dropped, f"seed {seed}, block_bytes={block_bytes}"
        assert rows == expected_rows, f"seed {seed}, block_bytes={block_bytes}"
        assert report.rows_read == len(rows) + report.rows_dropped


# --- 8: nothing kept --------------------------------------------------------------------


@pytest.mark.parametrize("text, reason", [
    (f"{U1}\t\tx\t0\n{U2}\t\ty\t0\n", "zero plays"),
    ("\t\tx\t3\n\t\ty\t4\n", "no user id"),
    (f"{U1}\t\t\t3\n{U2}\t\t\t4\n", "no artist name"),
])
def test_a_360k_file_whose_rows_are_all_skipped_is_a_clear_error(tmp_path, text, reason):
    with pytest.raises(ValueError, match="holds no readable rows") as error:
        read_lastfm_360k(write(tmp_path / "plays.tsv", text), show_progress=False)
    assert f"skipped 2 ({reason})" in str(error.value), "the message should carry the report's summary"


@pytest.mark.parametrize("rows", ["2\t1\t0\r\n3\t1\t0\r\n", "2\t99\t5\r\n"])
def test_a_hetrec_file_whose_rows_are_all_skipped_is_a_clear_error(tmp_path, rows):
    write(tmp_path / "artists.dat", ARTISTS_HEADER + "1\tMALICE MIZER\tu\tp\n")
    write(tmp_path / "user_artists.dat", USER_ARTISTS_HEADER + rows)
    with pytest.raises(ValueError, match="user_artists.dat holds no readable rows"):
        read_hetrec(tmp_path)


@pytest.mark.parametrize("shape", [(0, 0), (3, 0), (0, 4)])
def test_an_empty_play_matrix_has_a_repr_and_zero_density(shape):
    data = PlayData(sp.csr_matrix(shape, dtype=np.float32), np.array([""] * shape[1], dtype=object),
                    np.array([""] * shape[0], dtype=object), name="empty")
    assert data.density == 0.0
    assert f"{shape[0]} users x {shape[1]} artists" in repr(data)


# --- 9: HetRec files: empty, header-only, no header -------------------------------------


@pytest.mark.parametrize("broken", ["user_artists.dat", "artists.dat"])
@pytest.mark.parametrize("content", ["", "header"])
def test_an_empty_or_header_only_hetrec_file_is_named_in_the_error(tmp_path, broken, content):
    files = {"user_artists.dat": USER_ARTISTS_HEADER + "2\t1\t5\r\n", "artists.dat": ARTISTS_HEADER + "1\tA\tu\tp\n"}
    header = {"user_artists.dat": USER_ARTISTS_HEADER, "artists.dat": ARTISTS_HEADER}[broken]
    files[broken] = header if content == "header" else ""
    for name, text in files.items():
        write(tmp_path / name, text)
    with pytest.raises(ValueError, match=f"{broken} holds no rows") as error:
        read_hetrec(tmp_path)
    assert str(tmp_path / broken) in str(error.value)


def test_hetrec_files_with_or_without_a_header_line_lose_no_row(tmp_path):
    for ua_header in ["", USER_ARTISTS_HEADER, USER_ARTISTS_HEADER.upper(), "\ufeff" + USER_ARTISTS_HEADER]:
        for a_header in ["", ARTISTS_HEADER, "ID\tName\tURL\tPictureURL\n"]:
            case = f"user_artists.dat header {ua_header!r}, artists.dat header {a_header!r}"
            write(tmp_path / "artists.dat", a_header + "1\tMALICE MIZER\tu\tp\n2\tDiary of Dreams\tu\tp\n")
            write(tmp_path / "user_artists.dat", ua_header + "2\t1\t13883\r\n2\t2\t0\r\n3\t2\t7\r\n")
            data = read_hetrec(tmp_path)
            assert list(data.artist_names) == ["MALICE MIZER", "Diary of Dreams"], case
            assert list(data.user_ids) == ["2", "3"], case
            assert data.user_items.toarray().tolist() == [[13883, 0], [0, 7]], case
            r = data.report
            assert (r.rows_read, r.rows_kept, r.dropped) == (3, 2, {"zero plays": 1}), case
            assert r.first_lines["zero plays"] == [3 if ua_header else 2], f"{case}: line numbers count the header"


def test_a_first_line_that_is_neither_header_nor_data_is_counted_as_malformed(tmp_path):
    # One public copy of user_artists.dat has its header changed to "//userID...".
    write(tmp_path / "artists.dat", ARTISTS_HEADER + "1\tMALICE MIZER\tu\tp\n")
    write(tmp_path / "user_artists.dat", "//userID\tartistID\tweight\r\n2\t1\t13883\r\n")
    data = read_hetrec(tmp_path)
    r = data.report
    assert (r.rows_read, r.rows_kept) == (2, 1)
    assert r.dropped == {"userID not a whole number": 1} and r.first_lines["userID not a whole number"] == [1]
    assert data.user_items.toarray().tolist() == [[13883]]


# --- 10: the parsed-data cache ----------------------------------------------------------


@pytest.fixture
def tsv(tmp_path):
    path = tmp_path / "plays.tsv"
    write_lastfm_360k(make_synthetic(0.0005, random_state=0), path)
    return path


def load(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataIntegrityWarning)
        return load_dataset(path, show_progress=False, **kwargs)


def cache_files():
    return sorted(p.name for p in cache.cache_dir().iterdir()) if cache.cache_dir().exists() else []


def test_an_edit_that_keeps_the_size_and_the_mtime_is_parsed_again(tsv):
    stat = tsv.stat()
    first = load(tsv)
    assert "zzzzzz" not in set(first.artist_names)
    text = tsv.read_bytes()
    name = first.artist_names[0].encode()
    assert text.count(b"\t" + name + b"\t") >= 1
    tsv.write_bytes(text.replace(b"\t" + name + b"\t", b"\t" + b"z" * len(name) + b"\t"))  # same size
    os.utime(tsv, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # as `cp -p` or `touch -r` would
    assert tsv.stat().st_size == stat.st_size and tsv.stat().st_mtime_ns == stat.st_mtime_ns
    again = load(tsv)
    assert "z" * len(name) in set(again.artist_names), "the cache returned the data of the old content"
    assert name.decode() not in set(again.artist_names)


def test_two_writers_of_one_entry_do_not_share_a_partial_file(tsv, monkeypatch):
    data = load(tsv, use_cache=False)
    path = cache.cache_path("lastfm-360k", [tsv])
    real_savez = np.savez
    nested = []

    def savez_with_a_second_writer(file, **arrays):
        # A second process writes the same entry while the first is half-way through.
        if not nested:
            nested.append(True)
            cache.save(data, path)
        real_savez(file, **arrays)

    monkeypatch.setattr(np, "savez", savez_with_a_second_writer)
    cache.save(data, path)
    assert nested and cache.load(path).nnz == data.nnz
    assert cache_files() == [path.name], "no partial file may be left behind"


def test_a_failed_cache_write_removes_its_partial_file(tsv, monkeypatch):
    def disk_full(file, **arrays):
        file.write(b"half an npz")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", disk_full)
    data = load(tsv)  # the load itself still succeeds
    assert data.nnz > 0
    assert cache_files() == [], "a failed write must not leave a partial file"
    with pytest.raises(OSError, match="No space left"):
        cache.save(data, cache.cache_path("lastfm-360k", [tsv]))
    assert cache_files() == []


def test_entries_of_a_changed_source_are_pruned(tsv, tmp_path):
    other = tmp_path / "other.tsv"
    write(other, f"{U1}\t\tsomeone\t3\n")
    load(other)
    load(tsv)
    assert len(cache_files()) == 2
    with open(tsv, "a") as f:
        f.write(f"{U2}\t\tnew artist\t5\n")
    assert "new artist" in set(load(tsv).artist_names)
    assert sorted(cache_files()) == sorted([cache.cache_path("lastfm-360k", [other]).name,
                                            cache.cache_path("lastfm-360k", [tsv]).name]), \
        "the entry of the old content of plays.tsv should be gone, the other file's kept"


# --- 11: messages -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["/no/such/file.tsv", "no/such/folder", "plays.tsv", "PLAYS.TSV"])
def test_a_path_that_does_not_exist_is_reported_as_missing(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    for given in (name, tmp_path / name):
        with pytest.raises(FileNotFoundError, match="does not exist") as error:
            load_dataset(given, show_progress=False)
        assert os.path.basename(name) in str(error.value)
    with pytest.raises(ValueError, match="Unknown dataset 'lastfm-360'. .*Did you mean 'lastfm-360k'"):
        load_dataset("lastfm-360")  # a plain unknown name keeps its message


def test_an_upper_case_tsv_suffix_is_accepted(tmp_path):
    path = write(tmp_path / "PLAYS.TSV", f"{U1}\t\tx\t4\n")
    assert load(path).user_items.sum() == 4


# --- 12: only the data files are needed -------------------------------------------------


@pytest.fixture
def no_download(monkeypatch, tmp_path_factory):
    """Fail any download, and keep the user cache folder out of the search."""
    def fetch(*args, **kwargs):
        raise AssertionError("downloaded although the data files are present")

    monkeypatch.setattr(datasets, "fetch", fetch)
    empty = tmp_path_factory.mktemp("user-cache")
    monkeypatch.setattr(datasets.pooch, "os_cache", lambda name: empty)


def test_lastfm_360k_needs_only_its_tsv(tmp_path, no_download):
    write(tmp_path / datasets.LASTFM_360K_TSV, f"{U1}\t\tx\t4\n{U2}\t\ty\t5\n")
    with pytest.warns(DataIntegrityWarning, match="not the official"):
        data = load_dataset("lastfm-360k", data_dir=tmp_path, show_progress=False)
    assert list(data.artist_names) == ["x", "y"] and data.user_items.sum() == 9


def test_lastfm_2k_needs_only_its_two_dat_files(tmp_path, no_download):
    write(tmp_path / datasets.HETREC_DIR / "artists.dat", ARTISTS_HEADER + "1\tMALICE MIZER\tu\tp\n")
    write(tmp_path / datasets.HETREC_DIR / "user_artists.dat", USER_ARTISTS_HEADER + "2\t1\t13883\r\n")
    data = load("lastfm-2k", data_dir=tmp_path)
    assert list(data.artist_names) == ["MALICE MIZER"] and data.user_items.sum() == 13883


def test_the_real_360k_head_alone_in_a_data_dir_loads_and_is_flagged(head_360k, tmp_path, no_download):
    link = tmp_path / datasets.LASTFM_360K_TSV
    link.parent.mkdir(parents=True)
    link.symlink_to(head_360k)  # a link, not a copy
    with pytest.warns(DataIntegrityWarning, match="not the official be672526"):
        data = load_dataset("lastfm-360k", data_dir=tmp_path, show_progress=False)
    assert data.report.rows_read == 10_000 and data.n_users == 205


def test_the_real_hetrec_dat_files_alone_in_a_data_dir_load(hetrec_2k, tmp_path, no_download):
    (tmp_path / datasets.HETREC_DIR).mkdir()
    for name in ("user_artists.dat", "artists.dat"):
        (tmp_path / datasets.HETREC_DIR / name).symlink_to(hetrec_2k / name)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataIntegrityWarning)
        data = load_dataset("lastfm-2k", data_dir=tmp_path, show_progress=False)
    assert (data.n_users, data.n_artists, data.nnz) == (1_892, 17_632, 92_834)

"""The 360K and HetRec parsers on hand-made files, good and bad."""

import numpy as np
import pytest

from recsys_utils.formats import (
    LASTFM_360K_COLUMNS,
    DataIntegrityWarning,
    read_hetrec_lastfm,
    read_lastfm_360k,
    unquote_names,
    write_lastfm_360k,
)
from recsys_utils.playdata import ParseReport
from recsys_utils.synthetic import make_synthetic
from recsys_utils.tsv import read_tsv

U1 = "a" * 40
U2 = "b" * 40
MBID = "3bd73256-3905-4f3a-97e2-8b341527f805"


def write(tmp_path, text: bytes | str, name="plays.tsv"):
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def read(path):
    with pytest.warns(DataIntegrityWarning):  # a hand-made file is never the official one
        return read_lastfm_360k(path, show_progress=False)


def test_good_file_with_quotes_and_non_ascii_names(tmp_path):
    path = write(tmp_path, (
        f"{U1}\t{MBID}\tdie Ärzte\t1099\n"
        f"{U1}\t\t\"weird al\" yankovic\t5\n"      # an unbalanced-looking quote is plain text
        f"{U1}\t\t12\" single\t7\n"               # a lone quote must not swallow the next lines
        f"{U2}\t\tguns n' roses\t3\n"
        f"{U2}\t\t\"lee \"\"scratch\"\" perry\"\t9\n"  # CSV-quoted in the file: unquoted
    ))
    data = read(path)
    assert data.report.rows_read == 5 and data.report.rows_kept == 5 and not data.report.dropped
    assert data.report.names_unquoted == 1
    assert set(data.artist_names) == {"die Ärzte", '"weird al" yankovic', '12" single', "guns n' roses", 'lee "scratch" perry'}
    assert list(data.user_ids) == [U1, U2]
    col = {n: i for i, n in enumerate(data.artist_names)}
    assert data.user_items[0, col['12" single']] == 7
    assert data.user_items[1, col["guns n' roses"]] == 3
    assert data.artist_mbids[col["die Ärzte"]] == MBID and data.artist_mbids[col["guns n' roses"]] == ""
    assert data.user_items.dtype == np.float32


def test_malformed_rows_are_counted_by_reason_with_line_numbers(tmp_path):
    lines = [
        f"{U1}\t\tgood\t10",          # 1 kept
        f"{U1}\t\tbad plays\tmany",   # 2 non-numeric
        f"{U1}\t\tnegative\t-3",      # 3 not a whole number
        f"{U1}\t\tdecimal\t2.5",      # 4 not a whole number
        f"{U1}\t\tempty plays\t",     # 5 not a whole number
        "",                           # 6 blank
        f"{U1}\tonly three\t4",       # 7 wrong column count
        f"{U1}\t\ttoo\tmany\t4",      # 8 wrong column count
        f"{U1}\t\tzero\t0",           # 9 zero plays
        "\t\tno user\t4",            # 10 no user id
        f"{U2}\t\tgood\t5",           # 11 kept
    ]
    data = read(write(tmp_path, "\n".join(lines) + "\n"))
    r = data.report
    assert r.rows_read == 11 and r.rows_kept == 2
    assert r.dropped == {
        "plays not a whole number": 4,
        "blank line": 1,
        "not 4 tab-separated fields": 2,
        "zero plays": 1,
        "no user id": 1,
    }
    assert r.first_lines["plays not a whole number"] == [2, 3, 4, 5]
    assert r.first_lines["not 4 tab-separated fields"] == [7, 8]
    assert r.first_lines["blank line"] == [6]
    assert "skipped 4 (plays not a whole number); first at line 2, 3, 4, 5" in r.summary()
    assert data.user_items.sum() == 15


def test_invalid_utf8_lines_are_skipped_and_counted(tmp_path):
    text = (f"{U1}\t\tok\t1\n".encode() + f"{U1}\t\tcaf".encode() + b"\xe9\t2\n"  # latin-1 é
            + f"{U2}\t\tok\t3\n".encode() + b"\xff\xfe\t\tx\t4\n")
    data = read(write(tmp_path, text))
    assert data.report.dropped == {"invalid UTF-8": 2}
    assert data.report.first_lines["invalid UTF-8"] == [2, 4]
    assert data.user_items.sum() == 4


def test_crlf_line_endings_and_no_final_newline(tmp_path):
    data = read(write(tmp_path, f"{U1}\t\tx\t1\r\n{U2}\t\ty\t2"))
    assert data.report.rows_kept == 2 and data.user_items.sum() == 3
    assert list(data.artist_names) == ["x", "y"]


def test_repeated_pairs_are_summed_and_empty_names_recovered_from_mbid(tmp_path):
    data = read(write(tmp_path, (
        f"{U1}\t{MBID}\tmelissa etheridge\t10\n"
        f"{U1}\t{MBID}\tmelissa etheridge\t5\n"   # same user and name: plays add up
        f"{U2}\t{MBID}\t\t7\n"                     # no name, but the MBID names it above
        f"{U2}\t\t\t4\n"                           # no name, no MBID: skipped
    )))
    r = data.report
    assert r.duplicates_merged == 1 and r.names_recovered == 1
    assert r.dropped == {"no artist name": 1} and r.first_lines["no artist name"] == [4]
    assert list(data.artist_names) == ["melissa etheridge"]
    assert data.user_items.toarray().tolist() == [[15.0], [7.0]]
    r.check()


def test_a_file_with_no_readable_row_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no readable rows"):
        read_lastfm_360k(write(tmp_path, "\n\nnot a row\n"), show_progress=False)


@pytest.mark.parametrize("block_bytes", [7, 100, 5000])
def test_block_size_does_not_change_the_result(tmp_path, block_bytes):
    data = make_synthetic(0.00005, random_state=3)  # 20 users, ~1,000 lines
    path = tmp_path / "s.tsv"
    write_lastfm_360k(data, path)
    whole, small = ParseReport("a"), ParseReport("b")
    a = list(read_tsv(path, LASTFM_360K_COLUMNS, whole, integer_columns=["plays"], show_progress=False))
    b = list(read_tsv(path, LASTFM_360K_COLUMNS, small, integer_columns=["plays"], block_bytes=block_bytes, show_progress=False))
    left, right = (np.concatenate([f[c].to_numpy() for f in frames]) for frames in (a, b) for c in ["artist"])
    assert len(b) > 1 and (left == right).all()
    assert whole.rows_read == small.rows_read == data.nnz and whole.md5 == small.md5


def test_synthetic_round_trip_through_the_360k_format(tmp_path):
    data = make_synthetic(0.002, random_state=1)
    path = tmp_path / "usersha1-artmbid-artname-plays.tsv"
    write_lastfm_360k(data, path)
    back = read(path)
    assert back.report.rows_kept == data.nnz and not back.report.dropped
    # The reader sorts artists by name and users by id; line up and compare.
    listened = data.artist_listeners() > 0
    names = data.artist_names[listened]
    order = np.argsort(names.astype(str))
    expected = data.user_items[np.argsort(data.user_ids.astype(str))][:, np.flatnonzero(listened)[order]]
    assert (back.artist_names == names[order]).all()
    assert (back.user_items != expected).nnz == 0
    assert (back.artist_mbids == data.artist_mbids[listened][order]).all()


def test_unquote_names_only_undoes_well_formed_csv_quoting():
    names = np.array(['"a ""b"" c"', '"plain"', '"broken " quote"', 'x"y', '"'], dtype=object)
    out, changed = unquote_names(names)
    assert out.tolist() == ['a "b" c', "plain", '"broken " quote"', 'x"y', '"'] and changed == 2


def test_hetrec_reader_on_a_hand_made_folder(tmp_path):
    (tmp_path / "artists.dat").write_text(
        "id\tname\turl\tpictureURL\n1\tMALICE MIZER\tu\tp\n2\tDustin O'Halloran\tu\tp\n3\tsilent\tu\tp\n", encoding="utf-8")
    (tmp_path / "user_artists.dat").write_bytes(
        b"userID\tartistID\tweight\r\n2\t1\t13883\r\n2\t2\t5\r\n7\t2\t0\r\n7\t9\t4\r\n7\tx\t1\r\n10\t1\t3\r\n")
    with pytest.warns(DataIntegrityWarning):
        data = read_hetrec_lastfm(tmp_path, show_progress=False)
    assert list(data.artist_names) == ["MALICE MIZER", "Dustin O'Halloran", "silent"]
    assert list(data.user_ids) == ["2", "10"]
    assert data.user_items.toarray().tolist() == [[13883, 5, 0], [3, 0, 0]]
    assert data.report.dropped == {"zero plays": 1, "artist id not in artists.dat": 1, "artistID not a whole number": 1}
    assert data.report.first_lines["artistID not a whole number"] == [6]  # the header is line 1


def test_a_name_both_quoted_and_plain_is_one_artist(tmp_path):
    data = read(write(tmp_path, f'{U1}\t\t"lee ""scratch"" perry"\t2\n{U1}\t\tlee "scratch" perry\t3\n{U2}\t\tother\t1\n'))
    assert list(data.artist_names) == ['lee "scratch" perry', "other"]
    assert data.user_items.toarray().tolist() == [[5.0, 0.0], [0.0, 1.0]]
    assert data.report.names_unquoted == 1 and data.report.duplicates_merged == 1


@pytest.mark.parametrize("seed", range(4))
def test_the_most_frequent_value_of_each_group_matches_a_counter(seed):
    from collections import Counter

    from recsys_utils.formats import _mode_per_group

    rng = np.random.default_rng(seed)
    n_groups = 60
    # Half the groups hold one value, the others several, with ties; group 0 is empty.
    group = rng.integers(1, n_groups, size=3000)
    value = np.where(group % 2 == 0, group * 7 % 11, rng.integers(0, 5, size=3000))
    expected = np.full(n_groups, -1)
    for g in range(n_groups):
        counts = Counter(value[group == g].tolist())
        if counts:
            top = max(counts.values())
            expected[g] = min(v for v, c in counts.items() if c == top)
    assert (_mode_per_group(group, value, n_groups) == expected).all()
    assert (_mode_per_group(group[:0], value[:0], n_groups) == -1).all()


def test_a_line_of_empty_fields_is_not_a_blank_line(tmp_path):
    # pyarrow reads a blank line and a line of three tabs alike; the report must not.
    data = read(write(tmp_path, f"{U1}\t\tx\t1\n\t\t\t\n\n{U2}\t\ty\t2\n"))
    assert data.report.dropped == {"plays not a whole number": 1, "blank line": 1}
    assert data.report.first_lines == {"plays not a whole number": [2], "blank line": [3]}


@pytest.mark.parametrize("num_threads", [1, 2, 3])
def test_blocks_parsed_on_any_number_of_threads_give_the_same_rows(tmp_path, num_threads):
    from recsys_utils.tsv import read_tsv_blocks

    data = make_synthetic(0.0002, random_state=5)  # ~3,500 lines in blocks of 4 KiB: buffers are reused
    path = tmp_path / "s.tsv"
    write_lastfm_360k(data, path)
    text = path.read_bytes().splitlines(keepends=True)
    text[100] = b"not a row\n"  # a block that takes NumPy's path
    path.write_bytes(b"".join(text))
    reports = [ParseReport("a"), ParseReport("b")]
    runs = [list(read_tsv_blocks(path, LASTFM_360K_COLUMNS, report, integer_columns=["plays"], block_bytes=4096,
                                 show_progress=False, num_threads=threads))
            for report, threads in zip(reports, [1, num_threads])]
    for name in ("user", "artist", "plays"):
        left, right = ([v for block in run for v in block.table.column(name).to_pylist()] for run in runs)
        assert left == right and len(left) == data.nnz - 1
    assert [line for block in runs[1] for line in block.lines.tolist()] == [n for n in range(1, data.nnz + 1) if n != 101]
    assert reports[0].dropped == reports[1].dropped == {"not 4 tab-separated fields": 1}
    assert reports[1].first_lines["not 4 tab-separated fields"] == [101]

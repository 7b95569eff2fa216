"""The parsers on the real files in RECSYS_DATA_DIR (skipped where they are absent)."""

import warnings

import numpy as np
import pytest

from recsys_utils import load_dataset
from recsys_utils.formats import DataIntegrityWarning, read_lastfm_360k


def test_360k_head_counts_names_and_mbids(head_360k):
    with pytest.warns(DataIntegrityWarning, match="not the official be672526"):
        data = read_lastfm_360k(head_360k, show_progress=False)
    r = data.report
    assert r.rows_read == 10_000 and r.rows_kept == 10_000 and r.rows_dropped == 0
    assert r.md5 == "599be2963b6036aba626f0f8e17dbaad" and r.is_official is False
    assert data.n_users == 205 and data.n_artists == 5_460 and data.nnz == 10_000
    assert data.user_items.sum(dtype=np.float64) == 1_945_285
    assert data.user_ids[0].startswith("00000c28")
    assert "die Ärzte" in set(data.artist_names)
    assert 'lee "scratch" perry' in set(data.artist_names) and r.names_unquoted == 5
    # 123 rows have an empty MBID; the artists they name have no MBID anywhere else either.
    no_mbid = data.artist_mbids == ""
    assert no_mbid.sum() == 122 and "rock universal" in set(data.artist_names[no_mbid])
    assert data.user_items[:, no_mbid].nnz == 123


def test_360k_head_through_load_dataset_and_the_cache(head_360k):
    with pytest.warns(DataIntegrityWarning):
        first = load_dataset(head_360k, show_progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = load_dataset(head_360k, show_progress=False)  # from the cache: not parsed again
    assert (first.user_items != again.user_items).nnz == 0
    assert (first.artist_names == again.artist_names).all() and (first.user_ids == again.user_ids).all()
    assert (first.artist_mbids == again.artist_mbids).all()
    assert again.report.to_dict() == first.report.to_dict()


def test_lastfm_2k_matches_the_published_figures(hetrec_2k, monkeypatch):
    monkeypatch.setenv("RECSYS_DATA_DIR", str(hetrec_2k.parent))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataIntegrityWarning)  # the official user_artists.dat
        data = load_dataset("lastfm-2k", show_progress=False)
    assert data.report.rows_read == 92_834 and data.report.rows_dropped == 0
    assert (data.n_users, data.n_artists, data.nnz) == (1_892, 17_632, 92_834)
    assert data.user_items.sum(dtype=np.float64) == 69_183_975 and data.artist_plays().sum() == 69_183_975
    assert data.user_items.data.min() == 1 and data.user_items.data.max() == 352_698
    assert data.artist_listeners().min() >= 1
    assert data.artist_names[0] == "MALICE MIZER"
    top = data.artist_names[np.argmax(data.artist_listeners())]
    assert top == "Lady Gaga"

"""The parsed-data cache: used when valid, rebuilt when the source or the file changes."""

import os

import pytest

from recsys_utils import cache, datasets, load_dataset
from recsys_utils.formats import write_lastfm_360k
from recsys_utils.synthetic import make_synthetic


@pytest.fixture
def tsv(tmp_path):
    path = tmp_path / "plays.tsv"
    write_lastfm_360k(make_synthetic(0.001, random_state=0), path)
    return path


def load(path):
    with pytest.warns(UserWarning):  # not the official file
        return load_dataset(path, show_progress=False)


def test_second_load_comes_from_the_cache(tsv, monkeypatch):
    first = load(tsv)
    monkeypatch.setitem(datasets._READERS, "lastfm-360k", (_fail, lambda p: [p]))
    again = load_dataset(tsv, show_progress=False)
    assert (again.user_items != first.user_items).nnz == 0 and again.user_items.dtype == first.user_items.dtype
    assert (again.artist_names == first.artist_names).all() and (again.artist_mbids == first.artist_mbids).all()


def _fail(*args, **kwargs):
    raise AssertionError("parsed again although the cache was valid")


def test_a_changed_source_is_parsed_again(tsv):
    load(tsv)
    with open(tsv, "a") as f:
        f.write("c" * 40 + "\t\tnew artist\t5\n")
    os.utime(tsv, ns=(1, 1))
    assert "new artist" in set(load(tsv).artist_names)


def test_a_damaged_cache_file_is_rebuilt(tsv, caplog):
    first = load(tsv)
    path = cache.cache_path("lastfm-360k", [tsv])
    path.write_bytes(b"not an npz")
    again = load(tsv)
    assert "ignoring unreadable cache" in caplog.text
    assert (again.user_items != first.user_items).nnz == 0
    assert cache.load(path).nnz == first.nnz  # and it was written anew

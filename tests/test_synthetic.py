"""The synthetic generator: shape, determinism and the planted truth."""

import numpy as np
import pytest

from recsys_utils import load_dataset
from recsys_utils.synthetic import FULL_ARTISTS, FULL_USERS, make_synthetic


@pytest.fixture(scope="module")
def data():
    return make_synthetic(0.01, random_state=7)


def test_shape_scales_with_360k(data):
    assert data.n_users == round(FULL_USERS * 0.01) and data.n_artists == round(FULL_ARTISTS * 0.01)
    per_user = data.user_artist_counts()
    assert 46 <= per_user.mean() <= 50 and np.median(per_user) == 50 and per_user.max() <= 85
    assert data.user_items.dtype == np.float32 and data.user_items.data.min() >= 1
    assert 60 <= np.median(data.user_items.data) <= 120  # 360K's median is 86
    listeners = data.artist_listeners()
    assert listeners.max() > 10 * np.median(listeners)  # a long tail


def test_same_seed_same_data_other_seed_other_data(data):
    again = make_synthetic(0.01, random_state=7)
    assert (again.user_items != data.user_items).nnz == 0
    assert (again.truth.alias_pairs == data.truth.alias_pairs).all()
    assert (again.user_ids == data.user_ids).all() and (again.artist_mbids == data.artist_mbids).all()
    other = make_synthetic(0.01, random_state=8)
    assert (other.user_items != data.user_items).nnz > 0


def test_alias_pairs_share_genre_but_no_listener(data):
    pairs = data.truth.alias_pairs
    assert pairs.shape == (round(0.01 * data.n_artists), 2)
    genres = data.truth.artist_genres
    assert (genres[pairs[:, 0]] == genres[pairs[:, 1]]).all()
    by_artist = data.user_items.T.tocsr()
    for a, b in pairs:
        assert len(by_artist[a].indices) > 0 and len(by_artist[b].indices) > 0
        assert len(np.intersect1d(by_artist[a].indices, by_artist[b].indices)) == 0
    assert all(data.artist_names[b] == "the " + data.artist_names[a] for a, b in pairs)


def test_users_listen_mostly_within_few_genres(data):
    genres = data.truth.artist_genres
    shares = []
    for u in range(200):
        g = genres[data.user_items[u].indices]
        shares.append(np.bincount(g).max() / len(g))
    assert np.mean(shares) > 0.4  # 20 genres: uniform taste would give ~0.15


def test_load_dataset_passes_scale_and_seed():
    data = load_dataset("synthetic", scale=0.001, random_state=3)
    assert data.truth is not None and data.n_users == round(FULL_USERS * 0.001)


@pytest.mark.parametrize("scale", [0, -1, 1.5])
def test_bad_scale_is_rejected(scale):
    with pytest.raises(ValueError, match="scale"):
        make_synthetic(scale)

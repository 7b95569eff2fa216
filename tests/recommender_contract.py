"""One suite of contract tests for every model of the package (after implicit's RecommenderBaseTestMixin).

A test module subclasses :class:`RecommenderContract` and defines ``make_model``,
which returns an unfitted model; the suite fits it on checkerboard data, where
each user's withheld item must be that user's top recommendation.
"""

import json
import zipfile

import numpy as np
import pytest
import scipy.sparse as sp

N = 50


def checkerboard(n: int = N) -> sp.csr_matrix:
    """User u has every item of u's parity but item u itself, which they "would like" most."""
    users, items = np.indices((n, n))
    liked = ((users + items) % 2 == 0) & (users != items)
    return sp.csr_matrix(liked.astype(np.float32))


class RecommenderContract:
    #: Whether the model computes factors for users from their rows (``recalculate_user``); SGD models set False.
    RECALCULATES_USERS = True

    def make_model(self):
        raise NotImplementedError

    @pytest.fixture
    def fitted(self):
        return self.make_model().fit(checkerboard())

    def test_each_users_withheld_item_comes_first(self, fitted):
        for user in range(N):
            items, scores = fitted.recommend(user, n=3)
            assert items[0] == user and scores[0] > scores[1]

    def test_batch_results_equal_one_call_per_user(self, fitted):
        users = np.array([3, 0, 17, 49, 3])
        items, scores = fitted.recommend(users, n=5, filter_items=[10, 11])
        assert items.shape == scores.shape == (5, 5)
        for row, user in enumerate(users):
            one, one_scores = fitted.recommend(int(user), n=5, filter_items=[10, 11])
            assert items[row].tolist() == one.tolist() and np.array_equal(scores[row], one_scores)

    def test_recalculated_users_match_the_trained_ones(self, fitted):
        train = checkerboard()
        if not self.RECALCULATES_USERS:
            with pytest.raises(NotImplementedError, match="cannot compute factors for new users"):
                fitted.recommend(0, n=1, recalculate_user=True)
            with pytest.raises(NotImplementedError, match="cannot compute factors for new users"):
                fitted.recalculate_user(train[:2])
            return
        for user in (0, 1, 24, 49):
            trained, trained_scores = fitted.recommend(user, n=1)
            again, again_scores = fitted.recommend(user, n=1, recalculate_user=True)
            assert again[0] == trained[0] == user
            assert again_scores[0] == pytest.approx(trained_scores[0], abs=5e-4)
            new, new_scores = fitted.recommend(10_000, train[user], n=1, recalculate_user=True)  # a new user
            assert new.tolist() == again.tolist() and new_scores[0] == pytest.approx(again_scores[0], abs=1e-6)
        users = np.array([5, 2, 5, 40])
        batch, batch_scores = fitted.recommend(users, n=4, recalculate_user=True)
        for row, user in enumerate(users):
            one, one_scores = fitted.recommend(int(user), n=4, recalculate_user=True)
            assert batch[row].tolist() == one.tolist() and np.array_equal(batch_scores[row], one_scores)

    def test_filters_are_honoured(self, fitted):
        train = checkerboard()
        for user in range(0, N, 7):
            items, _ = fitted.recommend(user, n=10, filter_items=[user, (user + 2) % N])
            assert user not in items and (user + 2) % N not in items
            assert not set(items) & set(train[user].indices)
            everything, _ = fitted.recommend(user, n=N, filter_already_liked=False)
            assert sorted(everything) == list(range(N))

    def test_asking_for_more_than_is_left_returns_what_is_left(self, fitted):
        for n in (N, N + 30):
            items, scores = fitted.recommend(0, n=n)
            assert sorted(items) == sorted(set(range(N)) - set(checkerboard()[0].indices))
            batch, batch_scores = fitted.recommend(np.array([0, 1]), n=n)
            assert batch.shape == (2, n) and batch[0, :len(items)].tolist() == items.tolist()
            assert (batch[0, len(items):] == -1).all() and np.isnan(batch_scores[0, len(items):]).all()
        assert len(fitted.similar_items(0, n=N + 30)[0]) == N - 1
        empty, empty_scores = fitted.recommend(np.array([], dtype=np.int64), n=5)
        assert empty.shape == empty_scores.shape == (0, 5)
        assert fitted.recommend([], n=5)[0].shape == (0, 5)

    def test_similar_items_leave_the_item_out(self, fitted):
        for item in (0, 7, 49):
            related, scores = fitted.similar_items(item, n=5)
            assert item not in related and len(related) == 5 and (np.diff(scores) <= 0).all()
        batch, _ = fitted.similar_items(np.array([7, 0]), n=4, filter_items=[9])
        assert batch[0].tolist() == fitted.similar_items(7, n=4, filter_items=[9])[0].tolist()
        assert 9 not in batch

    def test_save_then_load_gives_identical_results(self, fitted, tmp_path):
        fitted.save(tmp_path / "model.npz")
        loaded = type(fitted).load(tmp_path / "model.npz")
        users = np.arange(N)
        assert np.array_equal(loaded.recommend(users, n=5)[0], fitted.recommend(users, n=5)[0])
        assert np.array_equal(loaded.recommend(users, n=5)[1], fitted.recommend(users, n=5)[1])
        assert loaded.similar_items(3)[0].tolist() == fitted.similar_items(3)[0].tolist()
        assert {name: getattr(loaded, name) for name in fitted.HYPERPARAMETERS} == {
            name: getattr(fitted, name) for name in fitted.HYPERPARAMETERS}
        if self.RECALCULATES_USERS:
            assert np.array_equal(loaded.recommend(users, n=5, recalculate_user=True)[1],
                                  fitted.recommend(users, n=5, recalculate_user=True)[1])
        fitted.save(tmp_path / "bare.npz", include_user_items=False)
        bare = type(fitted).load(tmp_path / "bare.npz")
        with pytest.raises(ValueError, match="pass user_items"):
            bare.recommend(0)
        assert bare.recommend(0, checkerboard()[0], n=3)[0].tolist() == fitted.recommend(0, n=3)[0].tolist()

    def test_a_damaged_or_newer_file_is_a_clear_error(self, fitted, tmp_path):
        path = tmp_path / "model.npz"
        fitted.save(path)
        (tmp_path / "cut.npz").write_bytes(path.read_bytes()[:200])
        with pytest.raises(ValueError, match="damaged"):
            type(fitted).load(tmp_path / "cut.npz")
        with np.load(path) as z:
            arrays = dict(z)
        meta = json.loads(arrays["meta"].tobytes())
        arrays["meta"] = np.frombuffer(json.dumps(meta | {"format": 99}).encode(), dtype=np.uint8)
        np.savez(tmp_path / "newer.npz", **arrays)
        with pytest.raises(ValueError, match="upgrade"):
            type(fitted).load(tmp_path / "newer.npz")
        with pytest.raises(FileNotFoundError):
            type(fitted).load(tmp_path / "missing.npz")
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        arrays["item_factors"] = arrays["item_factors"][:, :1]  # not the saved number of factors
        np.savez(tmp_path / "narrow.npz", **arrays)
        with pytest.raises(ValueError, match="damaged"):
            type(fitted).load(tmp_path / "narrow.npz")
        np.save(tmp_path / "plain.npy", np.zeros(3))
        (tmp_path / "plain.npy").rename(tmp_path / "plain.npz")
        with pytest.raises(ValueError, match="damaged"):
            type(fitted).load(tmp_path / "plain.npz")
        assert zipfile.is_zipfile(path)

    def test_bad_users_are_clear_errors(self, fitted):
        with pytest.raises(TypeError, match="userid"):
            fitted.recommend(1.5)
        with pytest.raises(IndexError, match="userid"):
            fitted.recommend(N)
        with pytest.raises(IndexError, match="userid"):
            fitted.recommend(-1)
        with pytest.raises(ValueError, match="one row per user"):
            fitted.recommend(np.array([0, 1]), checkerboard()[:1])
        with pytest.raises(RuntimeError, match="not fitted"):
            self.make_model().recommend(0)

"""The checks of notebook 02's exercises (recsys_utils.exercise_checks.lsa) on tiny synthetic notebooks.

Each namespace holds only the notebook variables a check reads, built from small random matrices, so
no test needs the real data. Exercise 2.4's check makes its own planted-truth data with
``make_synthetic(scale=0.02)``, which takes too long here: its right answer and its value comparison
are tested with ``make_synthetic`` replaced by a tiny stand-in (nbval runs the real one).
"""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recsys_utils.evaluate import alias_recovery_at_k, evaluate_recommender, train_test_split
from recsys_utils.exercise_checks import check
from recsys_utils.exercise_checks import lsa as lsa_checks
from recsys_utils.lsa import lsa_factors, lsa_user_scores
from recsys_utils.neighbours import TopRelated, all_related
from recsys_utils.weighting import bm25_weight, tfidf_weight


def _counts(n_rows: int, n_cols: int, density: float, seed: int) -> sp.csr_matrix:
    """Random play counts with low-rank structure; every row and column has at least one."""
    rng = np.random.default_rng(seed)
    taste = rng.random((n_rows, 3)) @ rng.random((3, n_cols))
    mask = rng.random((n_rows, n_cols)) < density
    mask[np.arange(n_rows), np.arange(n_rows) % n_cols] = True
    mask[np.arange(n_cols) % n_rows, np.arange(n_cols)] = True
    return sp.csr_matrix(np.where(mask, np.ceil(taste * rng.integers(1, 50, (n_rows, n_cols))), 0))


def _assert_fails(number: str, ns: dict, match: str) -> None:
    with pytest.raises(AssertionError, match=match):
        check(number, ns)


# Exercise 2.1 -------------------------------------------------------------------------------------

@pytest.fixture
def ns_21():
    bm25 = bm25_weight(_counts(40, 30, 0.3, 0))
    _, singular_values = lsa_factors(bm25, 5, random_state=0, return_singular_values=True)
    total_energy = float(np.sum(bm25.data.astype(np.float64) ** 2))
    return {"weightings": {"BM25": bm25}, "singular_values": singular_values, "total_energy": total_energy,
            "captured_share": float(np.sum(singular_values.astype(np.float64) ** 2) / total_energy)}


def test_21_right_answer_passes(ns_21, capsys):
    check("2.1", ns_21)
    assert capsys.readouterr().out == "Exercise 2.1: correct\n"


@pytest.mark.parametrize("name", ["total_energy", "captured_share"])
def test_21_missing_variable(ns_21, name):
    del ns_21[name]
    _assert_fails("2.1", ns_21, f"Define `{name}` first")


def test_21_wrong_answers(ns_21):
    s = ns_21["singular_values"].astype(np.float64)
    bm25 = ns_21["weightings"]["BM25"]
    _assert_fails("2.1", {**ns_21, "total_energy": bm25.data ** 2}, "total_energy must be a single number, not ndarray")
    _assert_fails("2.1", {**ns_21, "total_energy": float(bm25.data.sum())}, "square every stored entry")
    _assert_fails("2.1", {**ns_21, "captured_share": float(s.sum() / ns_21["total_energy"])}, "SQUARED")
    _assert_fails("2.1", {**ns_21, "captured_share": 100 * ns_21["captured_share"]}, "a share between 0 and 1")


# Exercise 2.2 -------------------------------------------------------------------------------------

K22, FACTORS22 = 5, 6


@pytest.fixture
def ns_22():
    item_users = _counts(50, 40, 0.15, 1)
    names = np.array([f"Artist {i}" for i in range(item_users.shape[0])], dtype=object)
    listeners = np.diff(item_users.indptr)
    rare = np.flatnonzero(listeners < 6)
    assert 0 < len(rare) < 20, len(rare)  # some rare artists to leave out, plenty of others
    related = TopRelated(lsa_factors(bm25_weight(item_users), FACTORS22, random_state=0), names)
    ns = {"data": SimpleNamespace(artist_names=names), "item_users": item_users, "listeners": listeners,
          "rare": rare, "related": related, "K": K22, "FACTORS": FACTORS22, "RANDOM_STATE": 0, "MIN_LISTENERS": 6}
    my_artist = names[int(np.argmax(listeners))].upper()  # case does not matter
    tfidf_related = TopRelated(lsa_factors(tfidf_weight(item_users), FACTORS22, random_state=0), names)
    bm25_top = [names[i] for i in related.get_related(my_artist, K22, filter_items=rare)[0]]
    tfidf_top = [names[i] for i in tfidf_related.get_related(my_artist, K22, filter_items=rare)[0]]
    assert set(bm25_top) != set(tfidf_top)  # so that swapping them is wrong
    ns.update(my_artist=my_artist, bm25_top=bm25_top, tfidf_top=tfidf_top, shared_top=set(bm25_top) & set(tfidf_top))
    return ns


def test_22_right_answer_passes(ns_22, capsys):
    check("2.2", ns_22)
    assert capsys.readouterr().out == "Exercise 2.2: correct\n"


def test_22_missing_variable(ns_22):
    del ns_22["shared_top"]
    _assert_fails("2.2", ns_22, "Define `shared_top` first. See the exercise text.")


def test_22_wrong_artist(ns_22):
    _assert_fails("2.2", {**ns_22, "my_artist": 3}, "must be an artist's name")
    _assert_fails("2.2", {**ns_22, "my_artist": "Artist 7x"}, "my_artist: ")  # misspelt: an AssertionError too
    rare_name = ns_22["data"].artist_names[ns_22["rare"][0]]
    _assert_fails("2.2", {**ns_22, "my_artist": rare_name}, "choose an artist with at least")


def test_22_wrong_lists(ns_22):
    names, related, rare = ns_22["data"].artist_names, ns_22["related"], ns_22["rare"]
    bm25, tfidf = ns_22["bm25_top"], ns_22["tfidf_top"]
    _assert_fails("2.2", {**ns_22, "bm25_top": tuple(bm25)}, "bm25_top must be a list of names")
    _assert_fails("2.2", {**ns_22, "bm25_top": bm25[:-1]}, "must hold K = 5 names")
    _assert_fails("2.2", {**ns_22, "bm25_top": [related.index(n) for n in bm25]}, "not indices")
    _assert_fails("2.2", {**ns_22, "tfidf_top": [ns_22["my_artist"].title()] + tfidf[:-1]}, "must not contain")
    unfiltered = [names[i] for i in related.get_related(ns_22["my_artist"], K22 + len(rare))[0]]
    with_rare = [n for n in unfiltered if related.index(n) in set(rare)][:1] + bm25[:-1]
    assert len(with_rare) == K22
    _assert_fails("2.2", {**ns_22, "bm25_top": with_rare}, "filter_items=rare")
    _assert_fails("2.2", {**ns_22, "bm25_top": list(tfidf)}, "bm25_top is not the BM25 list")
    _assert_fails("2.2", {**ns_22, "bm25_top": bm25[::-1]}, "right artists in the wrong order")
    _assert_fails("2.2", {**ns_22, "tfidf_top": list(bm25)}, "LSA on TF-IDF weights")
    _assert_fails("2.2", {**ns_22, "tfidf_top": tfidf[::-1]}, "tfidf_top is not sorted best first")


def test_22_wrong_shared(ns_22):
    shared = ns_22["shared_top"]
    _assert_fails("2.2", {**ns_22, "shared_top": len(shared)}, "shared_top must be a set, not int")
    _assert_fails("2.2", {**ns_22, "shared_top": set(ns_22["bm25_top"]) | set(ns_22["tfidf_top"])}, "in both lists")


# Exercise 2.3 -------------------------------------------------------------------------------------

K23, FACTORS23 = 5, 25


def _map_at_k(train, test, n_factors, k=K23):
    weighted = bm25_weight(train.T.tocsr())
    factors, weighted_users = lsa_factors(weighted, n_factors, random_state=0), weighted.T.tocsr()
    return evaluate_recommender(lambda users: lsa_user_scores(factors, weighted_users[users]), train, test, k)["map@k"]


@pytest.fixture(scope="module")
def ns_23_base():
    train, test = train_test_split(_counts(80, 40, 0.2, 4), 0.2, random_state=0)
    held_out = pd.DataFrame({"map@k": {"LSA, BM25": _map_at_k(train, test, FACTORS23)}})
    map_by_factors = {n: _map_at_k(train, test, n) for n in (10, 20)}
    map_by_factors[FACTORS23] = float(held_out.loc["LSA, BM25", "map@k"])
    assert abs(map_by_factors[10] - map_by_factors[20]) > 2e-3  # so that swapping them is wrong
    return {"train": train, "test": test, "held_out": held_out, "K": K23, "FACTORS": FACTORS23, "RANDOM_STATE": 0,
            "map_by_factors": map_by_factors, "wrong_k": {n: _map_at_k(train, test, n, k=2) for n in (10, 20)}}


@pytest.fixture
def ns_23(ns_23_base):
    return {**ns_23_base, "map_by_factors": dict(ns_23_base["map_by_factors"])}


def test_23_right_answer_passes(ns_23, capsys):
    check("2.3", ns_23)
    assert capsys.readouterr().out == "Exercise 2.3: correct\n"


def test_23_missing_variable(ns_23):
    del ns_23["map_by_factors"]
    _assert_fails("2.3", ns_23, "Define `map_by_factors` first")


def test_23_wrong_answers(ns_23):
    right = ns_23["map_by_factors"]
    _assert_fails("2.3", {**ns_23, "map_by_factors": list(right.values())}, "must be a dict, not list")
    _assert_fails("2.3", {**ns_23, "map_by_factors": {20: right[20], FACTORS23: right[FACTORS23]}}, r"no entry for \[10\]")
    _assert_fails("2.3", {**ns_23, "map_by_factors": {n: {"map@k": v} for n, v in right.items()}}, "take the 'map@k'")
    _assert_fails("2.3", {**ns_23, "map_by_factors": {**right, FACTORS23: right[10]}}, "should be held_out.loc")
    _assert_fails("2.3", {**ns_23, "map_by_factors": {**right, 10: right[20], 20: right[10]}}, "expected about")
    assert abs(ns_23["wrong_k"][10] - right[10]) > 2e-3
    _assert_fails("2.3", {**ns_23, "map_by_factors": {**right, **ns_23["wrong_k"]}}, "evaluate at k=K")


# Exercise 2.4 -------------------------------------------------------------------------------------

K24, FACTORS24 = 5, 4
GRID = [(k1, b) for k1 in (3, 30, 300) for b in (0.5, 1.0)]


def _tiny_truth(scale, random_state):
    """A stand-in for make_synthetic: 30 artists, 40 users, and four artists that have an alias."""
    assert (scale, random_state) == (0.02, 0)
    plays = _counts(30, 40, 0.25, 3).toarray()
    pairs = np.array([[0, 1], [2, 3], [4, 5], [6, 7]])
    for a, b in pairs:  # b is a second name of a: every other listener of a moves to b
        moved = np.flatnonzero(plays[a])[::2]
        plays[b] = 0
        plays[b, moved], plays[a, moved] = plays[a, moved], 0
    return SimpleNamespace(item_users=sp.csr_matrix(plays), truth=SimpleNamespace(alias_pairs=pairs))


@pytest.fixture
def ns_24(monkeypatch):
    monkeypatch.setattr(lsa_checks, "make_synthetic", _tiny_truth)
    tune_data = _tiny_truth(0.02, 0)
    alias_grid = {}
    for k1, b in GRID:  # the solution's recipe
        factors = lsa_factors(bm25_weight(tune_data.item_users, K1=k1, B=b), FACTORS24, random_state=0)
        alias_grid[(k1, b)] = alias_recovery_at_k(all_related(factors, K24, show_progress=False)[0],
                                                  tune_data.truth.alias_pairs, K24)
    assert max(alias_grid.values()) - min(alias_grid.values()) >= 2 / 4, alias_grid  # two pairs apart, at least
    return {"K": K24, "FACTORS": FACTORS24, "RANDOM_STATE": 0, "alias_grid": alias_grid,
            "best_k1_b": max(alias_grid, key=alias_grid.get)}


def test_24_right_answer_passes(ns_24, capsys):
    check("2.4", ns_24)
    assert capsys.readouterr().out == "Exercise 2.4: correct\n"


def test_24_missing_variable(ns_24):
    del ns_24["best_k1_b"]
    _assert_fails("2.4", ns_24, "Define `best_k1_b` first")


def test_24_wrong_answers(ns_24):
    grid, best = ns_24["alias_grid"], ns_24["best_k1_b"]
    worst = min(grid, key=grid.get)
    _assert_fails("2.4", {**ns_24, "alias_grid": list(grid.items())}, "must be a dict")
    _assert_fails("2.4", {**ns_24, "alias_grid": {(b, k1): v for (k1, b), v in grid.items()}}, "exactly the six keys")
    _assert_fails("2.4", {**ns_24, "alias_grid": {key: 100 * v for key, v in grid.items()}}, "a share between 0 and 1")
    _assert_fails("2.4", {**ns_24, "alias_grid": dict.fromkeys(grid, 0.5), "best_k1_b": best}, "the same score")
    _assert_fails("2.4", {**ns_24, "best_k1_b": list(best)}, "must be one of the")
    _assert_fails("2.4", {**ns_24, "best_k1_b": worst}, "HIGHEST")
    swapped = {**grid, best: grid[worst], worst: grid[best]}  # the right values under the wrong settings
    _assert_fails("2.4", {**ns_24, "alias_grid": swapped, "best_k1_b": worst}, "expected about")

"""The checks of notebook 01's exercises (recsys_utils.exercise_checks.load) on tiny made-up data.

Right answers must pass (and print), wrong ones must fail with the hint that helps; no real data is needed.
"""

from pathlib import Path

import nbformat
import numpy as np
import pytest
import scipy.sparse as sp

from recsys_utils import PlayData
from recsys_utils.exercise_checks import check
from recsys_utils.exercise_checks.registry import CHECKS

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01_load.ipynb"

#: Five users x four artists; user 2 has no plays. Row sums 15, 3, 0, 4, 16 (38 plays in all).
PLAYS = np.array([[10, 5, 0, 0],
                  [3, 0, 0, 0],
                  [0, 0, 0, 0],
                  [0, 1, 1, 2],
                  [12, 0, 0, 4]], dtype=np.float32)
#: The right answers, worked out by hand from PLAYS.
ARTISTS_OF_USER = np.array([2, 1, 0, 3, 2])
TOP_ARTIST_SHARE = np.array([10 / 15, 1.0, 0.0, 2 / 4, 12 / 16])
DOMINANT_USERS = np.array([4, 0])           # 16 + 15 = 31 of 38 plays; 16 alone is less than half
DOMINANT_SHARE = 31 / 38

#: Listeners of eight artists for exercise 1.2: 86 listens; two artists have exactly 10.
LISTENERS = np.array([40, 12, 10, 10, 9, 3, 1, 1])
SHARE_UNDER_10 = 4 / 8                      # 9, 3, 1, 1
HALF_LISTENS_ARTISTS = 2                    # 40 < 43 <= 40 + 12


def namespace(**answers) -> dict:
    """The notebook variables the checks read, made from PLAYS and LISTENERS, plus the learner's ``answers``."""
    m = sp.csr_matrix(PLAYS)
    m.eliminate_zeros()
    data = PlayData(m, np.array([f"artist {j}" for j in range(m.shape[1])]),
                    np.array([f"user {i}" for i in range(m.shape[0])]))
    return {"data": data, "m": m, "plays_per_user": data.user_plays(), "listeners": LISTENERS.copy(), **answers}


def right_answers(number: str) -> dict:
    return {
        "1.1": {"artists_of_user": np.diff(sp.csr_matrix(PLAYS).indptr), "top_artist_share": TOP_ARTIST_SHARE},
        "1.2": {"share_under_10": SHARE_UNDER_10, "half_listens_artists": HALF_LISTENS_ARTISTS},
        "1.3": {"dominant_users": DOMINANT_USERS, "dominant_share": DOMINANT_SHARE},
    }[number]


def test_the_made_up_data_is_what_the_answers_assume():
    ns = namespace()
    assert np.array_equal(ns["m"].getnnz(axis=1), ARTISTS_OF_USER)
    assert ns["plays_per_user"].tolist() == [15, 3, 0, 4, 16]


@pytest.mark.parametrize("number", ["1.1", "1.2", "1.3"])
def test_right_answers_pass(number, capsys):
    check(number, namespace(**right_answers(number)))
    assert capsys.readouterr().out == f"Exercise {number}: correct\n"


@pytest.mark.parametrize("answers", [
    {"artists_of_user": [2, 1, 0, 3, 2], "top_artist_share": TOP_ARTIST_SHARE.tolist()},     # lists are fine
    {"artists_of_user": ARTISTS_OF_USER.astype(np.int64), "top_artist_share": TOP_ARTIST_SHARE.astype(np.float32)},
    {"artists_of_user": ARTISTS_OF_USER, "top_artist_share": TOP_ARTIST_SHARE + 5e-7},        # within 1e-6
])
def test_exercise_1_1_accepts_other_forms_of_the_right_answer(answers):
    check("1.1", namespace(**answers))


WRONG_1_1 = [
    ({"artists_of_user": sp.csr_matrix(PLAYS).indptr[1:]}, r"differences of neighbouring indptr values"),
    ({"artists_of_user": sp.csr_matrix(PLAYS).indptr}, r"shape \(5,\), not \(6,\).*one more entry"),
    ({"artists_of_user": np.diff(sp.csc_matrix(PLAYS).indptr)}, r"one entry per user .*not \(4,\)"),
    ({"artists_of_user": ARTISTS_OF_USER.astype(float)}, "whole numbers"),
    ({"top_artist_share": 100 * TOP_ARTIST_SHARE}, "not a percentage"),
    ({"top_artist_share": PLAYS.max(axis=0) / PLAYS.sum(axis=0)}, r"not \(4,\)\. Work along rows"),
    ({"top_artist_share": np.array([5 / 15, 1.0, 0.0, 1 / 4, 4 / 16])},     # smallest play count, not largest
     "not each user's largest play count divided by that user's total plays"),
    ({"top_artist_share": PLAYS.max(axis=1) / PLAYS.sum()},                # over all plays, not the row's
     "not each user's largest play count divided by that user's total plays"),
    ({"top_artist_share": np.r_[TOP_ARTIST_SHARE[:2], np.nan, TOP_ARTIST_SHARE[3:]]}, "between 0 and 1"),
]


@pytest.mark.parametrize("answers, hint", WRONG_1_1)
def test_exercise_1_1_wrong_answers_fail_with_a_hint(answers, hint):
    with pytest.raises(AssertionError, match=hint):
        check("1.1", namespace(**{**right_answers("1.1"), **answers}))


WRONG_1_2 = [
    ({"share_under_10": 6 / 8}, "exactly 10 listeners: 'fewer than 10' means < 10"),
    ({"share_under_10": 100 * SHARE_UNDER_10}, r"between 0 and 1 \(a share, not a percentage\), got 50.0"),
    ({"share_under_10": (LISTENERS < 10).astype(float)}, "a single number, not an array"),
    ({"share_under_10": 3 / 8}, "not the share of artists with fewer than 10 listeners"),
    ({"half_listens_artists": 1}, r"do not reach half of all listens: too few \(off by one\?\)"),
    ({"half_listens_artists": 3}, "One artist fewer already reaches half"),
    ({"half_listens_artists": 7}, "One artist fewer already reaches half"),   # sorted smallest first
    ({"half_listens_artists": 2.0}, "should be an integer .*got float"),
    ({"half_listens_artists": 0}, "between 1 and 8 .*got 0"),
    ({"half_listens_artists": 9}, "between 1 and 8 .*got 9"),
]


@pytest.mark.parametrize("answers, hint", WRONG_1_2)
def test_exercise_1_2_wrong_answers_fail_with_a_hint(answers, hint):
    with pytest.raises(AssertionError, match=hint):
        check("1.2", namespace(**{**right_answers("1.2"), **answers}))


def test_exercise_1_2_accepts_numpy_numbers():
    check("1.2", namespace(share_under_10=np.float32(0.5), half_listens_artists=np.int64(2)))


WRONG_1_3 = [
    ({"dominant_users": np.array([], dtype=int)}, "dominant_users is empty"),
    ({"dominant_users": DOMINANT_USERS[None, :]}, r"1-D array .*shape \(1, 2\)"),
    ({"dominant_users": np.array(["user 4", "user 0"])}, "integer row numbers .*not play counts or user ids"),
    ({"dominant_users": np.array([16.0, 15.0])}, "integer row numbers"),
    ({"dominant_users": np.array([4, 7])}, r"between 0 and 4\. Did you use artists"),
    ({"dominant_users": np.array([4, 4])}, "lists a user more than once"),
    ({"dominant_users": np.array([0, 4])}, "ordered from most plays to fewest"),
    ({"dominant_users": np.array([4])}, "less than half of all plays"),
    ({"dominant_users": np.array([4, 0, 3])}, "not the smallest such set"),
    ({"dominant_users": np.array([4, 3])}, "right size but not the users with the most plays"),
    ({"dominant_share": 100 * DOMINANT_SHARE}, "not a percentage"),
    ({"dominant_share": 16 / 38}, "plays of the users in dominant_users divided by all plays"),
    ({"dominant_share": np.array([DOMINANT_SHARE])}, "a single number"),
]


@pytest.mark.parametrize("answers, hint", WRONG_1_3)
def test_exercise_1_3_wrong_answers_fail_with_a_hint(answers, hint):
    with pytest.raises(AssertionError, match=hint):
        check("1.3", namespace(**{**right_answers("1.3"), **answers}))


@pytest.mark.parametrize("number, names", [("1.1", ("artists_of_user", "top_artist_share")),
                                           ("1.2", ("share_under_10", "half_listens_artists")),
                                           ("1.3", ("dominant_users", "dominant_share"))])
def test_a_missing_answer_is_named(number, names):
    for name in names:
        ns = namespace(**right_answers(number))
        del ns[name]
        with pytest.raises(AssertionError, match=f"Define `{name}` first. "):
            check(number, ns)


def test_every_exercise_of_the_notebook_has_a_check_and_a_check_cell():
    import recsys_utils.exercise_checks.load  # noqa: F401  (registers the checks)
    from recsys_utils.workshop import exercises

    found = exercises(nbformat.read(NOTEBOOK, as_version=4), "01_load")
    assert [e.number for e in found] == ["1.1", "1.2", "1.3"]
    assert {"1.1", "1.2", "1.3"} <= set(CHECKS)

"""Checks of notebook 01's exercises."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .registry import exercise, need


@exercise("1.1")
def check_csr_walk(ns: Mapping) -> None:
    """`artists_of_user` (stored entries per row of `m`) and `top_artist_share` (largest play count over row sum)."""
    artists_of_user = need(ns, "artists_of_user",
                           hint="It is the number of stored entries in each row of m (use m.indptr).")
    top_artist_share = need(ns, "top_artist_share",
                            hint="For each user, their largest play count divided by their total plays.")
    data, m, plays_per_user = ns["data"], ns["m"], ns["plays_per_user"]
    got_counts = np.asarray(artists_of_user)
    assert got_counts.shape == (data.n_users,), (
        f"artists_of_user should have one entry per user (rows of m), shape {(data.n_users,)}, not {got_counts.shape}. "
        "Rows are users; m.indptr has one more entry than there are rows.")
    assert np.issubdtype(got_counts.dtype, np.integer), (
        "artists_of_user should hold whole numbers (integers): counts of entries.")
    assert np.array_equal(got_counts, m.getnnz(axis=1)), (
        "artists_of_user does not match the number of stored entries per row. Row i runs from m.indptr[i] to "
        "m.indptr[i + 1]: take the differences of neighbouring indptr values (not indptr itself).")
    got_share = np.asarray(top_artist_share, dtype=float)
    assert got_share.shape == (data.n_users,), (
        f"top_artist_share should have one entry per user, shape {(data.n_users,)}, not {got_share.shape}. "
        "Work along rows (users), not columns (artists).")
    assert np.all((got_share >= 0) & (got_share <= 1 + 1e-6)), (
        "top_artist_share should be between 0 and 1: a share, not a percentage and not a play count.")
    expected_share = np.divide(m.max(axis=1).toarray().ravel(), plays_per_user,
                               out=np.zeros(data.n_users), where=plays_per_user > 0)
    assert np.allclose(got_share, expected_share, rtol=0, atol=1e-6), (
        "top_artist_share is not each user's largest play count divided by that user's total plays. "
        "Use the values m.data[m.indptr[i]:m.indptr[i + 1]] of row i: their max over their sum.")


@exercise("1.2")
def check_long_tail(ns: Mapping) -> None:
    """`share_under_10` (artists with < 10 listeners) and `half_listens_artists` (fewest with half the listens)."""
    share_under_10 = need(ns, "share_under_10", hint="It is the share of artists with fewer than 10 listeners.")
    half_listens_artists = need(
        ns, "half_listens_artists",
        hint="It is how many of the most-listened artists it takes to reach half of all listens.")
    listeners = ns["listeners"]
    assert np.ndim(share_under_10) == 0, (
        "share_under_10 should be a single number, not an array (take the mean of a True/False array).")
    assert 0 <= share_under_10 <= 1, (
        f"share_under_10 should be between 0 and 1 (a share, not a percentage), got {share_under_10}.")
    n_artists = listeners.size
    assert (not np.isclose(share_under_10, np.count_nonzero(listeners <= 10) / n_artists, rtol=0, atol=1e-9)
            or np.count_nonzero(listeners == 10) == 0), (
        "share_under_10 counts artists with exactly 10 listeners: 'fewer than 10' means < 10.")
    assert np.isclose(share_under_10, np.count_nonzero(listeners < 10) / n_artists, rtol=0, atol=1e-9), (
        "share_under_10 is not the share of artists with fewer than 10 listeners: count the artists with "
        "listeners < 10 and divide by the number of all artists.")
    assert isinstance(half_listens_artists, (int, np.integer)), (
        f"half_listens_artists should be an integer (a number of artists), got {type(half_listens_artists).__name__}.")
    desc = np.sort(listeners)[::-1].astype(np.int64)
    total = int(desc.sum())
    k = int(half_listens_artists)
    assert 1 <= k <= n_artists, (
        f"half_listens_artists should be between 1 and {n_artists:,} (the number of artists), got {k}.")
    assert 2 * int(desc[:k].sum()) >= total, (
        "The top half_listens_artists artists do not reach half of all listens: too few (off by one?), "
        "or not the most-listened artists first (sort from largest to smallest).")
    assert 2 * int(desc[:k - 1].sum()) < total, (
        "One artist fewer already reaches half of all listens, so half_listens_artists is not the smallest "
        "number: sort from largest to smallest, and take the first position where the running total reaches half, "
        "plus one.")


@exercise("1.3")
def check_dominant_users(ns: Mapping) -> None:
    """`dominant_users` (fewest users with half of all plays, most plays first) and `dominant_share` (their share)."""
    dominant_users = need(
        ns, "dominant_users",
        hint="It holds the row numbers of the fewest users who together have at least half of all plays, "
             "most plays first.")
    dominant_share = need(ns, "dominant_share",
                          hint="It is the share of all plays that the users in dominant_users have.")
    data, plays_per_user = ns["data"], ns["plays_per_user"]
    users = np.asarray(dominant_users)
    assert users.ndim == 1, f"dominant_users should be a 1-D array of user row numbers, got shape {users.shape}."
    assert users.size > 0, "dominant_users is empty: it should hold the users who together reach half of all plays."
    assert np.issubdtype(users.dtype, np.integer), (
        "dominant_users should hold integer row numbers (e.g. from np.argsort), not play counts or user ids.")
    assert users.min() >= 0 and users.max() < data.n_users, (
        f"dominant_users should hold row numbers of users, between 0 and {data.n_users - 1}. "
        "Did you use artists (columns)?")
    assert len(np.unique(users)) == len(users), "dominant_users lists a user more than once."
    plays = plays_per_user[users]
    assert np.all(np.diff(plays) <= 0), (
        "dominant_users should be ordered from most plays to fewest: sort by -plays_per_user "
        "(np.argsort sorts ascending).")
    total = plays_per_user.sum()
    assert 2 * plays.sum() >= total, (
        "The users in dominant_users have less than half of all plays: take more users, the ones with the most plays "
        "(weighted by plays, not by the number of artists).")
    desc = np.sort(plays_per_user)[::-1]
    k = int(np.count_nonzero(2 * np.cumsum(desc) < total)) + 1   # fewest users that reach half
    assert len(users) == k, (
        "dominant_users is not the smallest such set: fewer users, those with the most plays, already reach half. "
        "Cut at the first position where the running total reaches half (position 0 is one user).")
    assert np.isclose(plays.sum(), desc[:k].sum(), rtol=1e-9, atol=0), (
        "dominant_users has the right size but not the users with the most plays: sort users by plays_per_user.")
    assert np.ndim(dominant_share) == 0, "dominant_share should be a single number."
    assert np.isclose(dominant_share, plays.sum() / total, rtol=0, atol=1e-6), (
        "dominant_share should be the plays of the users in dominant_users divided by all plays "
        f"(a number between 0 and 1, not a percentage), got {dominant_share}.")

"""Seeded synthetic listening data in the shape of Last.fm 360K, with planted truth.

The generator mimics what matters for finding similar artists:

* artist popularity is Zipf-like (a Zipf-Mandelbrot law), so a few artists
  have tens of thousands of listeners and most have a handful;
* each user has about 49 artists (as in 360K: median 49, most users 50) and
  heavy-tailed, log-normal play counts (360K's median is ~86);
* every artist belongs to one genre; a user draws most artists from a mix of
  one to three genres and the rest from the whole catalogue;
* some artists are aliases of each other (``"artist 17"`` and ``"the artist
  17"``): one artist whose listeners were split at random between two names.
  The pair has the same genre and appeal but no listener in common, the
  situation behind the blog's "Arcade Fire" / "The Arcade Fire" example.

The genres and the alias pairs come back in ``PlayData.truth``, so related-
artist lists can be scored exactly.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .playdata import PlayData, SyntheticTruth

#: The shape of Last.fm 360K after parsing (users x artists keyed by name).
FULL_USERS = 358_868
FULL_ARTISTS = 292_385


def make_synthetic(
    scale: float = 0.01,
    random_state: int | np.random.Generator | None = 0,
    *,
    n_genres: int = 20,
    alias_fraction: float = 0.01,
    popularity_exponent: float = 1.2,
    popularity_offset: float = 50.0,
    off_genre_share: float = 0.1,
) -> PlayData:
    """Generate listening data; ``scale=1.0`` is the full 360K shape.

    Parameters
    ----------
    scale : float
        Fraction of 360K's 358,868 users and 292,385 artists, in (0, 1]; the
        number of play counts (~17.5M at 1.0) scales with the users.
    random_state : int, Generator or None
        Seed: the same seed gives the same data.
    n_genres : int
        Number of genres.
    alias_fraction : float
        Share of artists that are the second name of an alias pair.
    popularity_exponent, popularity_offset : float
        The artist of popularity rank r is drawn with weight
        ``(r + popularity_offset) ** -popularity_exponent`` within its genre.
    off_genre_share : float
        Share of a user's artists drawn from the whole catalogue rather than
        from their genres.

    Returns
    -------
    PlayData
        ``user_items`` (users x artists) with ``truth`` set.
    """
    if not 0 < scale <= 1:
        raise ValueError(f"scale must be in (0, 1], not {scale}")
    if n_genres < 1:
        raise ValueError("n_genres must be at least 1")
    rng = np.random.default_rng(random_state)
    n_users = max(20, round(FULL_USERS * scale))
    n_artists = max(2 * n_genres + 10, round(FULL_ARTISTS * scale))
    n_alias = max(1, round(alias_fraction * n_artists))
    n_base = n_artists - n_alias

    genre = rng.permutation(np.arange(n_base) % n_genres)  # every genre has artists
    rank = rng.permutation(n_base) + 1.0
    weight = (rank + popularity_offset) ** -popularity_exponent
    by_genre = np.argsort(genre, kind="stable")
    cum_weight = np.cumsum(weight[by_genre])
    genre_end = np.searchsorted(genre[by_genre], np.arange(n_genres), side="right")
    genre_hi = cum_weight[genre_end - 1]
    genre_lo = np.r_[0.0, genre_hi[:-1]]
    genre_appeal = genre_hi - genre_lo

    n_wanted = _artists_per_user(rng, n_users)
    slots = np.ceil(n_wanted * 1.6).astype(np.int64) + 2
    slot_user = np.repeat(np.arange(n_users), slots)
    liked, taste = _genre_mixtures(rng, n_users, genre_appeal)
    # A slot's genre, drawn from its user's mixture by inverse CDF.
    cum_taste = np.cumsum(taste, axis=1)
    r = rng.random(len(slot_user))
    choice = np.zeros(len(slot_user), dtype=np.int64)
    for j in range(liked.shape[1] - 1):
        choice += r > cum_taste[slot_user, j]
    slot_genre = liked[slot_user, choice]
    u = rng.random(len(slot_user))
    target = genre_lo[slot_genre] + u * genre_appeal[slot_genre]
    anywhere = rng.random(len(slot_user)) < off_genre_share
    target[anywhere] = u[anywhere] * cum_weight[-1]
    slot_item = by_genre[np.minimum(np.searchsorted(cum_weight, target, side="right"), n_base - 1)]

    # Distinct (user, artist) pairs; keep a random n_wanted of them per user.
    key = np.sort(slot_user * n_artists + slot_item)
    key = key[np.r_[True, key[1:] != key[:-1]]]
    user, item = key // n_artists, key % n_artists
    order = np.argsort((user << 32) | rng.integers(0, 1 << 32, len(key)))  # random order within a user
    user, item = user[order], item[order]
    first_of_user = np.searchsorted(user, np.arange(n_users))
    position = np.arange(len(user)) - first_of_user[user]
    keep = position < n_wanted[user]
    user, item = user[keep], item[keep]

    # Alias pairs: popular artists whose listeners are split between two names.
    popular = np.argsort(rank)[: max(n_alias, n_base // 10)]
    parents = rng.choice(popular, size=n_alias, replace=False)
    twin_of = np.full(n_base, -1)
    twin_of[parents] = n_base + np.arange(n_alias)
    moved = (twin_of[item] >= 0) & (rng.random(len(item)) < 0.5)
    item = np.where(moved, twin_of[item], item)
    genre = np.r_[genre, genre[parents]]

    activity = rng.normal(4.45, 0.5, size=n_users)
    plays = np.ceil(np.exp(activity[user] + 1.2 * rng.standard_normal(len(user))))

    # Shuffle artist ids so that aliases are not at the end.
    new_id = rng.permutation(n_artists)
    item = new_id[item]
    artist_genres = np.empty(n_artists, dtype=np.int64)
    artist_genres[new_id] = genre
    alias_pairs = np.column_stack([new_id[parents], new_id[n_base + np.arange(n_alias)]])

    names = np.array([f"artist {i}" for i in range(n_artists)], dtype=object)
    names[alias_pairs[:, 1]] = ["the " + n for n in names[alias_pairs[:, 0]]]
    mbids = _mbids(rng, n_artists)
    mbids[alias_pairs[:, 1]] = ""  # a second spelling rarely has its own MusicBrainz id
    user_ids = _sha1_like(rng, n_users)

    user_items = sp.csr_matrix(
        (plays.astype(np.float32), (user.astype(np.int32), item.astype(np.int32))), shape=(n_users, n_artists)
    )
    user_items.sort_indices()
    return PlayData(
        user_items, names, user_ids, artist_mbids=mbids,
        truth=SyntheticTruth(artist_genres=artist_genres, alias_pairs=alias_pairs),
        name=f"synthetic (scale {scale:g})",
    )


def _artists_per_user(rng: np.random.Generator, n_users: int) -> np.ndarray:
    """About 49 on average: 70% of users have 50, the rest fewer or a few more (as in 360K)."""
    kind = rng.random(n_users)
    n = np.full(n_users, 50)
    n = np.where(kind >= 0.70, rng.integers(44, 50, n_users), n)
    n = np.where(kind >= 0.90, rng.integers(1, 44, n_users), n)
    n = np.where(kind >= 0.95, rng.integers(51, 86, n_users), n)
    return n


def _genre_mixtures(rng: np.random.Generator, n_users: int, genre_appeal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each user's genres (up to 3, picked by appeal) and their weights (zero past the user's count)."""
    n_genres = len(genre_appeal)
    k = min(3, n_genres)
    n_liked = np.minimum(1 + rng.binomial(2, 0.5, n_users), k)
    # Gumbel top-k: sampling genres without replacement in proportion to appeal.
    scores = np.log(genre_appeal)[None, :] + rng.gumbel(size=(n_users, n_genres))
    liked = np.argsort(-scores, axis=1)[:, :k]
    taste = rng.gamma(1.0, size=(n_users, k))
    taste[np.arange(k)[None, :] >= n_liked[:, None]] = 0.0
    return liked, taste / taste.sum(axis=1, keepdims=True)


def _mbids(rng: np.random.Generator, n: int, share_missing: float = 0.36) -> np.ndarray:
    """UUID-shaped MusicBrainz ids; about a third empty, as in 360K."""
    raw = rng.bytes(16 * n).hex()
    ids = [f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" for h in (raw[32 * i:32 * i + 32] for i in range(n))]
    out = np.array(ids, dtype=object)
    out[rng.random(n) < share_missing] = ""
    return out


def _sha1_like(rng: np.random.Generator, n: int) -> np.ndarray:
    """40 hex digits per user, like 360K's hashed user ids."""
    raw = rng.bytes(20 * n).hex()
    return np.array([raw[40 * i:40 * i + 40] for i in range(n)], dtype=object)

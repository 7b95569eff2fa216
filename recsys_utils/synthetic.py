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
    n_genres: int | None = None,
    alias_fraction: float = 0.01,
    popularity_exponent: float = 1.2,
    popularity_offset: float = 50.0,
    off_genre_share: float = 0.1,
    n_dims: int = 8,
    taste_sharpness: float = 6.0,
) -> PlayData:
    """Generate listening data; ``scale=1.0`` is the full 360K shape.

    Parameters
    ----------
    scale : float
        Fraction of 360K's 358,868 users and 292,385 artists, in (0, 1]; the
        number of play counts (~17.5M at 1.0) scales with the users.
    random_state : int, Generator or None
        Seed: the same seed gives the same data.
    n_genres : int, optional
        Number of genres; by default one per ~1,500 artists, at least 8.
    alias_fraction : float
        Share of artists that are the second name of an alias pair.
    popularity_exponent, popularity_offset : float
        The artist of popularity rank r has weight
        ``(r + popularity_offset) ** -popularity_exponent``.
    off_genre_share : float
        Share of a user's artists drawn by popularity alone from the whole
        catalogue rather than from their genres.
    n_dims : int
        Dimensions of the taste space shared by all genres (mood, era, ...).
    taste_sharpness : float
        How strongly users favour artists that match their taste.

    Returns
    -------
    PlayData
        ``user_items`` (users x artists) with ``truth`` set.

    Notes
    -----
    Within a liked genre a user draws artists without replacement with
    probability proportional to ``weight_i * exp(taste_sharpness * p_u . z_i)``
    (Gumbel top-k), where ``z_i`` and ``p_u`` are random points of the taste
    space. The data is thus close to a low-rank model (genres plus taste), which
    is what matrix factorization assumes, and every artist has an audience of
    its own: two names of one artist can be recognised by their listeners.
    """
    if not 0 < scale <= 1:
        raise ValueError(f"scale must be in (0, 1], not {scale}")
    rng = np.random.default_rng(random_state)
    n_users, n_artists, n_genres, n_alias = _sizes(scale, n_genres, alias_fraction)
    genre, rank, log_weight, position = _base_artists(
        rng, n_artists - n_alias, n_genres, n_dims, popularity_exponent, popularity_offset
    )
    users, items = _listens(rng, n_users, n_genres, genre, log_weight, position, off_genre_share, taste_sharpness)
    user, item = _unique_pairs(users, items, n_artists)
    parents, item = _split_aliases(rng, rank, n_alias, item)
    plays = _play_counts(rng, n_users, user)
    item, artist_genres, alias_pairs = _shuffle_artists(rng, item, np.r_[genre, genre[parents]], parents)
    names, mbids = _artist_labels(rng, alias_pairs, n_artists)
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


def _sizes(scale: float, n_genres: int | None, alias_fraction: float) -> tuple[int, int, int, int]:
    """Numbers of users, artists, genres and alias pairs for ``scale``, checked."""
    n_users = max(20, round(FULL_USERS * scale))
    n_artists = max(100, round(FULL_ARTISTS * scale))
    if n_genres is None:
        n_genres = max(8, round(n_artists / 1500))
    if not 1 <= n_genres <= n_artists // 4:
        raise ValueError(f"n_genres must be between 1 and {n_artists // 4} for {n_artists} artists")
    return n_users, n_artists, n_genres, max(1, round(alias_fraction * n_artists))


def _base_artists(
    rng: np.random.Generator, n_base: int, n_genres: int, n_dims: int,
    popularity_exponent: float, popularity_offset: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Genre, popularity rank, log weight and taste-space position of each artist before aliasing."""
    genre = rng.permutation(np.arange(n_base) % n_genres)  # every genre has artists
    rank = rng.permutation(n_base) + 1.0
    log_weight = (-popularity_exponent * np.log(rank + popularity_offset)).astype(np.float32)
    position = _unit(rng.standard_normal((n_base, n_dims)))
    return genre, rank, log_weight, position


def _listens(
    rng: np.random.Generator, n_users: int, n_genres: int, genre: np.ndarray, log_weight: np.ndarray,
    position: np.ndarray, off_genre_share: float, taste_sharpness: float,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Users and artists drawn, in pieces: most from each user's genres, the rest by popularity alone."""
    genre_appeal = np.bincount(genre, weights=np.exp(log_weight), minlength=n_genres)
    n_wanted = _artists_per_user(rng, n_users)
    n_off = rng.binomial(n_wanted, off_genre_share)
    liked, mixture = _genre_mixtures(rng, n_users, genre_appeal)
    per_genre = _split(rng, n_wanted - n_off, mixture)  # (n_users, 3) slots per liked genre
    taste = (taste_sharpness * _unit(rng.standard_normal((n_users, position.shape[1])))).astype(np.float32)
    users, items = _in_genre_listens(rng, n_genres, genre, log_weight, position, taste, liked, per_genre)
    off_users, off_items = _off_genre_listens(rng, n_off, log_weight)
    return users + [off_users], items + [off_items]


def _in_genre_listens(
    rng: np.random.Generator, n_genres: int, genre: np.ndarray, log_weight: np.ndarray, position: np.ndarray,
    taste: np.ndarray, liked: np.ndarray, per_genre: np.ndarray,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Artists of each liked genre drawn by weight and taste match, a batch of users at a time."""
    users, items = [], []
    for g in range(n_genres):
        artists = np.flatnonzero(genre == g)
        rows, cols = np.nonzero((liked == g) & (per_genre > 0))
        counts = np.minimum(per_genre[rows, cols], len(artists))
        for start in range(0, len(rows), 2048):
            u, c = rows[start:start + 2048], counts[start:start + 2048]
            logits = log_weight[artists][None, :] + taste[u] @ position[artists].T
            top, keep = _gumbel_top_k(rng, logits, c)
            users.append(np.broadcast_to(u[:, None], top.shape)[keep])
            items.append(artists[top[keep]])
    return users, items


def _gumbel_top_k(rng: np.random.Generator, logits: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns drawn without replacement per row, best first, and a mask of the first ``counts[row]``."""
    uniform = np.clip(rng.random(logits.shape, dtype=np.float32), 1e-30, 1 - 2**-24)
    logits = logits - np.log(-np.log(uniform))  # Gumbel noise: top-k = sampling without replacement
    k = int(counts.max())
    top = np.argpartition(-logits, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(logits, top, axis=1), axis=1)
    top = np.take_along_axis(top, order, axis=1)
    return top, np.arange(k)[None, :] < counts[:, None]


def _off_genre_listens(
    rng: np.random.Generator, n_off: np.ndarray, log_weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``n_off[u]`` artists for each user u drawn by popularity alone, repeats possible."""
    cum_weight = np.cumsum(np.exp(log_weight.astype(np.float64)))
    off_users = np.repeat(np.arange(len(n_off)), n_off)
    drawn = np.searchsorted(cum_weight, rng.random(len(off_users)) * cum_weight[-1])
    return off_users, np.minimum(drawn, len(log_weight) - 1)


def _unique_pairs(users: list[np.ndarray], items: list[np.ndarray], n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (user, item) pairs of the pieces, sorted by user then item."""
    key = np.sort(np.concatenate(users).astype(np.int64) * n_items + np.concatenate(items))
    key = key[np.r_[True, key[1:] != key[:-1]]]
    return key // n_items, key % n_items


def _split_aliases(
    rng: np.random.Generator, rank: np.ndarray, n_alias: int, item: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Popular artists that get a second name, and ``item`` with about half their listeners moved to it."""
    n_base = len(rank)
    popular = np.argsort(rank)[: max(n_alias, n_base // 10)]
    parents = rng.choice(popular, size=n_alias, replace=False)
    twin_of = np.full(n_base, -1)
    twin_of[parents] = n_base + np.arange(n_alias)
    moved = (twin_of[item] >= 0) & (rng.random(len(item)) < 0.5)
    return parents, np.where(moved, twin_of[item], item)


def _play_counts(rng: np.random.Generator, n_users: int, user: np.ndarray) -> np.ndarray:
    """Log-normal play counts around each user's activity level (median ~86, as in 360K)."""
    activity = rng.normal(4.45, 0.5, size=n_users)
    return np.ceil(np.exp(activity[user] + 1.2 * rng.standard_normal(len(user))))


def _shuffle_artists(
    rng: np.random.Generator, item: np.ndarray, genre: np.ndarray, parents: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random new artist ids, so that aliases are not at the end: new ``item``, genres and alias pairs."""
    n_artists, n_alias = len(genre), len(parents)
    new_id = rng.permutation(n_artists)
    artist_genres = np.empty(n_artists, dtype=np.int64)
    artist_genres[new_id] = genre
    alias_pairs = np.column_stack([new_id[parents], new_id[n_artists - n_alias + np.arange(n_alias)]])
    return new_id[item], artist_genres, alias_pairs


def _artist_labels(rng: np.random.Generator, alias_pairs: np.ndarray, n_artists: int) -> tuple[np.ndarray, np.ndarray]:
    """Names (``"the artist 17"`` for the second name of a pair) and MBIDs (none for second names)."""
    names = np.array([f"artist {i}" for i in range(n_artists)], dtype=object)
    names[alias_pairs[:, 1]] = ["the " + n for n in names[alias_pairs[:, 0]]]
    mbids = _mbids(rng, n_artists)
    mbids[alias_pairs[:, 1]] = ""  # a second spelling rarely has its own MusicBrainz id
    return names, mbids


def _unit(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, float32."""
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def _split(rng: np.random.Generator, n: np.ndarray, mixture: np.ndarray) -> np.ndarray:
    """Multinomial split of n[u] draws over the columns of mixture[u] (rows sum to 1)."""
    out = np.zeros(mixture.shape, dtype=np.int64)
    left, mass = n.copy(), np.ones(len(n))
    for j in range(mixture.shape[1] - 1):
        p = np.clip(np.divide(mixture[:, j], mass, out=np.zeros(len(n)), where=mass > 0), 0, 1)
        out[:, j] = rng.binomial(left, p)
        left -= out[:, j]
        mass -= mixture[:, j]
    out[:, -1] = left
    return out


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


def clustered_vectors(n: int, dim: int = 64, n_clusters: int | None = None, spread: float = 0.5,
                      random_state: int | None = 0) -> np.ndarray:
    """Gaussian clusters of unit-ish vectors, a hard but realistic case for nearest-neighbour search.

    ``n_clusters`` defaults to ``n // 300``; each point is its cluster's centre
    plus noise of relative size ``spread``. Used to measure approximate
    related-item searches where ALS factors are not at hand.
    """
    rng = np.random.default_rng(random_state)
    n_clusters = max(1, n // 300) if n_clusters is None else n_clusters
    centres = rng.standard_normal((n_clusters, dim)).astype(np.float32)
    labels = rng.integers(n_clusters, size=n)
    noise = rng.standard_normal((n, dim)).astype(np.float32)
    return centres[labels] + spread * noise

"""The data behind the artist explorer: every method's related artists for the artists shown.

:class:`RelatedLists` holds, for the artists with enough listeners, the top-n
related artists of each method (LSA, ALS, ...) with their cosine scores. The
notebook widget (:mod:`recsys_utils.explorer_widget`) and the offline page
(:mod:`recsys_utils.explorer_page`) both show it, so they show the same lists.
:func:`fit_methods` fits the methods the way the notebooks do.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .neighbours import all_related
from .utils import ItemNames, UnknownItemError, check_whole_number

#: Artists with fewer listeners are left out unless asked for (the notebooks' MIN_LISTENERS).
MIN_LISTENERS_FLOOR = 10
#: The default limit: at the full 360K shape a page of LSA and ALS then takes 13.7 MB (bench_explorer.py).
MAX_ARTISTS = 60_000
#: Fewer artists than this, when more have at least MIN_LISTENERS_FLOOR listeners, gives a warning.
MIN_ARTISTS = 50_000


def default_min_listeners(listeners: np.ndarray, max_artists: int = MAX_ARTISTS,
                          floor: int = MIN_LISTENERS_FLOOR) -> int:
    """The smallest listener threshold, at least ``floor``, that leaves at most ``max_artists`` artists."""
    listeners = np.asarray(listeners)
    max_artists = check_whole_number(max_artists, "max_artists", 1)
    counts = np.sort(listeners)[::-1]
    if len(counts) <= max_artists:
        return floor
    # Every artist with more listeners than the (max_artists + 1)-th most listened one fits.
    return max(floor, int(counts[max_artists]) + 1)


@dataclass
class RelatedLists:
    """The top-n related artists of several methods, among the artists shown.

    Attributes
    ----------
    names : ndarray of object, shape (n_shown,)
    listeners : ndarray of int64, shape (n_shown,)
    related : dict of str to (indices, scores)
        For each method, ``indices`` (int32, shape (n_shown, n)) index
        ``names``, best first; ``scores`` (float32) are cosine similarities.
        A place with no artist holds -1 and NaN.
    artist_ids : ndarray of int64, shape (n_shown,)
        The shown artists' columns in the full data.
    dataset : str
        What the lists were computed from, e.g. ``"lastfm-2k"``.
    parameters : dict of str to str
        How each method was fitted, shown beside the lists.
    min_listeners : int
        Artists with fewer listeners are not shown, and not in any list.
    n_artists : int
        Artists in the full data.
    left_out_names, left_out_listeners : ndarray
        The artists not shown, so that asking for one says why it is missing.
    """

    names: np.ndarray
    listeners: np.ndarray
    related: dict[str, tuple[np.ndarray, np.ndarray]]
    artist_ids: np.ndarray
    dataset: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    min_listeners: int = 1
    n_artists: int = 0
    left_out_names: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    left_out_listeners: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    def __post_init__(self) -> None:
        self.names = np.asarray(self.names, dtype=object)
        self.listeners = np.asarray(self.listeners, dtype=np.int64)
        if not self.related:
            raise ValueError("at least one method is needed")
        for method, (indices, scores) in self.related.items():
            if indices.shape != scores.shape or indices.shape[0] != len(self.names):
                raise ValueError(f"method {method!r}: lists of shape {indices.shape} and {scores.shape} "
                                 f"for {len(self.names)} artists")
        self.lookup = ItemNames(self.names, popularity=self.listeners)
        # Built now, not on the first miss: about 2 s for the 233,000 artists left out at the 360K shape.
        self._left_out_lookup = ItemNames(self.left_out_names, popularity=self.left_out_listeners)

    @classmethod
    def build(cls, item_factors: Mapping[str, np.ndarray], names, listeners, *, n: int = 10,
              min_listeners: int | None = None, max_artists: int = MAX_ARTISTS, dataset: str = "",
              parameters: Mapping[str, str] | None = None, show_progress: bool = True) -> RelatedLists:
        """Exact related lists of each method's item factors, among the artists with enough listeners.

        Parameters
        ----------
        item_factors : mapping of str to ndarray, shape (n_artists, factors)
            One entry per method, in the order to show them.
        names : sequence of str, length n_artists
        listeners : array of int, length n_artists
        n : int
            Related artists per list.
        min_listeners : int, optional
            Show only artists with at least this many listeners. By default
            :func:`default_min_listeners`: at least 10, raised until at most
            ``max_artists`` artists are left.
        max_artists : int
        dataset : str
        parameters : mapping of str to str, optional
        show_progress : bool
        """
        names = np.asarray(names, dtype=object)
        listeners = np.asarray(listeners)
        if listeners.shape != names.shape:
            raise ValueError(f"{len(listeners)} listener counts for {len(names)} names")
        if not item_factors:
            raise ValueError("item_factors is empty: give at least one method")
        for method, factors in item_factors.items():
            if np.ndim(factors) != 2 or len(factors) != len(names):
                raise ValueError(f"method {method!r}: item factors of shape {np.shape(factors)} for "
                                 f"{len(names)} artists (expected artists x factors)")
        n = check_whole_number(n, "n", 1)
        chosen = min_listeners is None
        if chosen:
            min_listeners = default_min_listeners(listeners, max_artists)
        min_listeners = check_whole_number(min_listeners, "min_listeners", 1)
        shown = np.flatnonzero(listeners >= min_listeners)
        eligible = int((listeners >= MIN_LISTENERS_FLOOR).sum())
        if chosen and len(shown) < min(MIN_ARTISTS, eligible):
            warnings.warn(f"only {len(shown):,} artists have at least {min_listeners} listeners (the default "
                          f"threshold for at most {max_artists:,}): pass min_listeners for more", stacklevel=2)
        if len(shown) < 2:
            raise ValueError(f"only {len(shown)} artists have at least {min_listeners} listeners: "
                             "lower min_listeners")
        width = min(n, len(shown) - 1)
        related = {method: all_related(np.asarray(factors)[shown], width, show_progress=show_progress)
                   for method, factors in item_factors.items()}
        hidden = np.ones(len(names), dtype=bool)
        hidden[shown] = False
        return cls(names[shown], listeners[shown], related, shown.astype(np.int64), dataset,
                   dict(parameters or {}), min_listeners, len(names), names[hidden], listeners[hidden].astype(np.int64))

    @property
    def methods(self) -> list[str]:
        """The methods, in the order they are shown."""
        return list(self.related)

    def index(self, artist: int | str) -> int:
        """The position of ``artist`` (a name, ignoring case and accents, or a position) among those shown.

        Raises
        ------
        UnknownItemError
            No such artist (the message suggests near names), or one with too
            few listeners to be shown (the message says so).
        """
        try:
            return self.lookup.index(artist)
        except UnknownItemError:
            j = self._left_out_lookup.find(artist) if isinstance(artist, str) else None
            if j is None:
                raise
            raise UnknownItemError(
                f"{self.left_out_names[j]!r} has {self.left_out_listeners[j]:,} listeners, fewer than the "
                f"{self.min_listeners:,} an artist needs to be shown here (lower min_listeners to include it)."
            ) from None

    def lists(self, artist: int | str, method: str) -> pd.DataFrame:
        """The related artists of ``artist`` by ``method``: rank, artist, score and listeners."""
        if method not in self.related:
            raise KeyError(f"unknown method {method!r}; these lists have {self.methods}")
        indices, scores = self.related[method]
        i = self.index(artist)
        found = indices[i] >= 0
        picked = indices[i][found]
        return pd.DataFrame({"artist": self.names[picked], "score": scores[i][found],
                             "listeners": self.listeners[picked]},
                            index=pd.RangeIndex(1, len(picked) + 1, name="rank"))

    def side_by_side(self, artist: int | str) -> pd.DataFrame:
        """Every method's list for ``artist``, as column groups of one table."""
        return pd.concat({method: self.lists(artist, method) for method in self.methods}, axis=1)

    def slopegraph(self, artist: int | str, left: str | None = None, right: str | None = None):
        """The blog's slopegraph of two methods' lists for ``artist`` (by default the first two)."""
        from .plots import slopegraph

        methods = self.methods
        left = left or methods[0]
        right = right or (methods[1] if len(methods) > 1 else methods[0])
        name = self.names[self.index(artist)]
        return slopegraph(list(self.lists(artist, left)["artist"]), list(self.lists(artist, right)["artist"]),
                          left_title=left, right_title=right, title=f"artists related to {name}")

    def summary(self) -> str:
        """How many artists are shown and what was left out, in a sentence."""
        left_out = self.n_artists - len(self.names)
        return (f"{len(self.names):,} of {self.n_artists:,} artists: those with at least "
                f"{self.min_listeners:,} listeners ({left_out:,} with fewer are left out).")


#: The methods :func:`fit_methods` can fit, in the order the page shows them.
METHODS = ("LSA", "ALS", "LMF", "BPR")


def fit_methods(data, *, factors: int = 50, regularization: float = 0.01, iterations: int = 15,
                random_state: int = 42, methods=METHODS,
                show_progress: bool = True) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Item factors of LSA, ALS, LMF and BPR as notebooks 02, 03 and 06 fit them, and a description of each.

    LSA: the SVD of BM25-weighted artists x users (K1=100, B=0.8). ALS: CG
    implicit ALS on BM25 confidence (the blog's settings). LMF and BPR: the
    models of notebook 06 with their defaults (:class:`recsys_utils.lmf.LogisticMF`
    with ``factors``; :class:`recsys_utils.bpr.BayesianPersonalizedRanking`
    with its 100 factors).

    Parameters
    ----------
    data : PlayData
    factors, regularization, iterations, random_state : as in notebook 03.
    methods : sequence of str
        Which of :data:`METHODS` to fit (LMF is the slow one: at the full
        360K shape it takes the longest by far).
    show_progress : bool

    Returns
    -------
    item_factors : dict of str to ndarray, shape (n_artists, factors)
    parameters : dict of str to str
    """
    from .als import ImplicitALS
    from .bpr import BayesianPersonalizedRanking
    from .confidence import bm25_confidence
    from .lmf import LogisticMF
    from .lsa import lsa_factors
    from .weighting import bm25_weight

    methods = list(methods)
    unknown = set(methods) - set(METHODS)
    if unknown or not methods or len(set(methods)) != len(methods):
        raise ValueError(f"methods must be distinct names among {', '.join(METHODS)}, not {methods!r}")
    als = ImplicitALS(factors, regularization, iterations, random_state=random_state, show_progress=show_progress)
    lmf = LogisticMF(factors, random_state=random_state, show_progress=show_progress)
    # One thread: BPR's Hogwild updates race with more, and the page should be the same on every build.
    bpr = BayesianPersonalizedRanking(random_state=random_state, num_threads=1, show_progress=show_progress)
    fits = {
        "LSA": lambda: lsa_factors(bm25_weight(data.item_users, K1=100, B=0.8), factors, random_state=random_state),
        "ALS": lambda: als.fit(bm25_confidence(data.user_items, K1=100, B=0.8)).item_factors,
        "LMF": lambda: lmf.fit(data.user_items).item_factors,
        "BPR": lambda: bpr.fit(data.user_items).item_factors,
    }
    item_factors = {method: fits[method]() for method in METHODS if method in methods}
    parameters = {
        "LSA": f"truncated SVD of BM25-weighted artists x users (K1=100, B=0.8), {factors} factors",
        "ALS": (f"implicit ALS (conjugate gradient) on BM25 confidence (K1=100, B=0.8), {factors} factors, "
                f"regularization {regularization}, {iterations} iterations, random_state {random_state}"),
        "LMF": (f"logistic matrix factorization (AdaGrad) on {lmf.alpha:g} x log(1 + plays), {lmf.factors} factors, "
                f"regularization {lmf.regularization:g}, {lmf.iterations} epochs, {lmf.neg_prop} negatives per play, "
                f"random_state {random_state}"),
        "BPR": (f"Bayesian personalized ranking (Hogwild SGD) on who played what, {bpr.factors} factors, learning rate "
                f"{bpr.learning_rate:g}, regularization {bpr.regularization:g}, {bpr.iterations} epochs, "
                f"{bpr.negative_sampling} negatives, one thread, random_state {random_state}"),
    }
    return item_factors, {method: parameters[method] for method in item_factors}


def explorer_lists(data, *, n: int = 10, min_listeners: int | None = None, max_artists: int = MAX_ARTISTS,
                   show_progress: bool = True, **fit_options) -> RelatedLists:
    """:func:`fit_methods` on ``data`` (a PlayData), then :meth:`RelatedLists.build`."""
    item_factors, parameters = fit_methods(data, show_progress=show_progress, **fit_options)
    return RelatedLists.build(item_factors, data.artist_names, data.artist_listeners(), n=n,
                              min_listeners=min_listeners, max_artists=max_artists, dataset=data.name,
                              parameters=parameters, show_progress=show_progress)

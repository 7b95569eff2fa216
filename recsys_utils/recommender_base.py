"""The contract every recommender model of the package shares, and what they have in common.

A model learns ``user_factors`` (users x factors) and ``item_factors`` (items x
factors) from a users x items matrix; a user's score for an item is the dot
product of their factors. On top of that, every model offers:

* ``fit(user_items, callback=None)``;
* :meth:`RecommenderBase.recommend`: the best items for one user or many,
  leaving out what they already have and any ``filter_items``;
* :meth:`RecommenderBase.similar_items`: the items with the most similar
  factors (cosine), the item itself left out;
* :meth:`RecommenderBase.save` and :meth:`RecommenderBase.load`: one ``.npz``
  file with the factors, the hyper-parameters and versions.

``tests/recommender_contract.py`` runs one suite of tests against every model.
A subclass implements ``fit``, names its hyper-parameters in
``HYPERPARAMETERS`` (its constructor's arguments) and may override
:meth:`RecommenderBase.recalculate_user` to serve users it was not trained on.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from .neighbours import TopRelated
from .utils import (canonical_csr, check_item_indices, check_whole_number, dot_scores, limit_threads, top_n,
                    write_npz)

#: Version of the layout :meth:`RecommenderBase.save` writes; :meth:`RecommenderBase.load` reads it and older.
MODEL_FORMAT = 1


class RecommenderBase:
    """Shared behaviour of the factor models (see the module docstring).

    Attributes
    ----------
    user_factors : ndarray, shape (n_users, factors), float32, or None before ``fit``
    item_factors : ndarray, shape (n_items, factors), float32, or None before ``fit``
    user_items : CSR matrix, shape (n_users, n_items), or None
        The training matrix: what ``recommend`` leaves out by default.
    """

    HYPERPARAMETERS: ClassVar[tuple[str, ...]] = ()

    user_factors: np.ndarray | None = None
    item_factors: np.ndarray | None = None
    user_items: sp.csr_matrix | None = None
    _related: TopRelated | None = None

    # -- state ---------------------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if self.user_factors is None or self.item_factors is None:
            raise RuntimeError("the model is not fitted: call fit(user_items) first")

    @property
    def shape(self) -> tuple[int, int]:
        """(users, items) of the fitted model."""
        self._check_fitted()
        return self.user_factors.shape[0], self.item_factors.shape[0]

    def _training_matrix(self) -> sp.csr_matrix:
        if self.user_items is None:
            raise ValueError("this model keeps no training matrix (loaded without one): pass user_items")
        return self.user_items

    def stored_width(self) -> int | None:
        """Columns of the stored factor rows: ``factors``, plus any bias columns a subclass folds in."""
        return getattr(self, "factors", None)

    def _factors_changed(self) -> None:
        """Forget what was derived from the factors (call after changing them)."""
        self._related = None

    # -- recommending --------------------------------------------------------------------------------

    def recalculate_user(self, user_items: sp.csr_matrix) -> np.ndarray:
        """Factors for the users whose rows ``user_items`` holds, from the fixed item factors.

        The base class cannot; models that can (ALS) override this.

        Parameters
        ----------
        user_items : CSR matrix, shape (n_users_in_batch, n_items)

        Returns
        -------
        ndarray, shape (n_users_in_batch, factors), float32
        """
        raise NotImplementedError(f"{type(self).__name__} cannot compute factors for new users")

    def recommend(self, userid, user_items=None, n: int = 10, *, filter_already_liked: bool = True,
                  filter_items=None, recalculate_user: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` best items for a user, or for many users, by ``x_u . y_i``.

        Best first; equal scores are ordered by item index. Items with all-zero
        factors (nobody had them in training) are never recommended.

        Parameters
        ----------
        userid : int or array of int
            One user, or many.
        user_items : CSR matrix, optional
            One row per user in ``userid`` (the first row is the first user's):
            their items, left out of the result when ``filter_already_liked``,
            and, with ``recalculate_user``, the history their factors are
            computed from. Default: the users' rows of the training matrix.
        n : int
            At most this many items per user. Fewer come back when fewer are
            left after filtering (more than there are items is allowed).
        filter_already_liked : bool
            Leave out the items the user has in ``user_items``.
        filter_items : array of int, optional
            Items never to return.
        recalculate_user : bool
            Compute the users' factors from ``user_items`` against the fixed
            item factors (:meth:`recalculate_user`) instead of using the
            trained ones: a new user, or a changed history, without refitting.
            ``userid`` then only labels the rows.

        Returns
        -------
        items : ndarray of int
            Shape (<= n,) for one user; for many, (len(userid), n), each row
            what a call for that user alone returns, padded with -1.
        scores : ndarray of float32
            The same shape; NaN where the items are padded.

        Raises
        ------
        ValueError
            A user has all-zero factors (no items in training, or an empty
            history to recalculate from): any list would be arbitrary. In a
            batch, one such user makes the whole call an error, as alone.
        """
        self._check_fitted()
        n_users, n_items = self.shape
        n = check_whole_number(n, "n", 1)
        single = np.ndim(userid) == 0
        users = np.atleast_1d(np.asarray(userid))
        if users.ndim != 1 or (users.size and not np.issubdtype(users.dtype, np.integer)):
            if single:
                check_whole_number(userid, "userid")
            raise TypeError(f"userid must be an int or a 1-d array of ints, not {userid!r}")
        users = users.astype(np.int64)
        if not recalculate_user or user_items is None:
            check_item_indices(users, n_users, "userid")
        rows = self._rows_of(users, user_items, n_items, needed=recalculate_user or filter_already_liked)
        vectors = self.recalculate_user(rows) if recalculate_user else self.user_factors[users]
        empty = ~vectors.any(axis=1)
        if empty.any():
            raise ValueError(f"user {users[empty][0]} has all-zero factors (no items in the training matrix or in "
                             "user_items): any list would be arbitrary; recommend popular items to such a user")
        with self._scoring_threads():
            scores = dot_scores(np.ascontiguousarray(vectors, dtype=np.float32),
                                np.ascontiguousarray(self.item_factors, dtype=np.float32))
        scores[:, ~self.item_factors.any(axis=1)] = -np.inf
        if filter_items is not None:
            scores[:, check_item_indices(filter_items, n_items, "filter_items")] = -np.inf
        if filter_already_liked:
            scores[np.repeat(np.arange(len(users)), np.diff(rows.indptr)), rows.indices] = -np.inf
        items = np.full((len(users), n), -1, dtype=np.int64)
        best = np.full((len(users), n), np.nan, dtype=np.float32)
        if len(users):
            found, found_scores = top_n(scores, min(n, n_items))
            found[np.isneginf(found_scores)] = -1
            items[:, :found.shape[1]] = found
            best[:, :found.shape[1]] = np.where(found >= 0, found_scores, np.nan)
        if single:
            return items[0][items[0] >= 0], best[0][items[0] >= 0]
        return items, best

    def _scoring_threads(self):
        """The thread settings under which scores are computed (the model's ``num_threads``)."""
        return limit_threads(getattr(self, "num_threads", None))

    def _rows_of(self, users: np.ndarray, user_items, n_items: int, needed: bool) -> sp.csr_matrix:
        """The users' rows: from ``user_items`` (one per user) or from the training matrix."""
        if user_items is None:
            if not needed:
                return sp.csr_matrix((len(users), n_items), dtype=np.float32)
            return self._training_matrix()[users]
        rows = canonical_csr(user_items, "user_items")
        if rows.shape != (len(users), n_items):
            raise ValueError(f"user_items must hold one row per user in userid, {len(users)} x {n_items} items, "
                             f"not {rows.shape[0]} x {rows.shape[1]}")
        return rows

    def similar_items(self, itemid, n: int = 10, *, filter_items=None) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` items with the most similar factors (cosine), best first, as :class:`TopRelated`.

        The item itself is left out (``implicit`` returns it first, with score
        1). So are items with all-zero factors and ``filter_items``; fewer than
        ``n`` come back when fewer are left. Equal scores are ordered by index.

        Parameters
        ----------
        itemid : int or array of int
        n : int
        filter_items : array of int, optional

        Returns
        -------
        items, scores : ndarray
            Shape (<= n,) for one item; for many, (len(itemid), n) padded with
            -1 and NaN, each row what a call for that item alone returns.
        """
        self._check_fitted()
        if self._related is None:
            self._related = TopRelated(self.item_factors)
        if np.ndim(itemid) == 0:
            return self._related.get_related(itemid, n, filter_items=filter_items)
        items = np.asarray(itemid)
        out = np.full((len(items), n), -1, dtype=np.int64)
        scores = np.full((len(items), n), np.nan, dtype=np.float32)
        for row, item in enumerate(items):
            found, found_scores = self._related.get_related(item, n, filter_items=filter_items)
            out[row, :len(found)], scores[row, :len(found)] = found, found_scores
        return out, scores

    # -- saving ----------------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike, *, include_user_items: bool = True) -> None:
        """Write the model to one ``.npz`` file (written whole, then renamed into place).

        Parameters
        ----------
        path : path-like
            Written as given (no suffix is added).
        include_user_items : bool
            Also keep the training matrix, which ``recommend`` filters by
            default; without it, callers pass ``user_items``.

        The file holds the factors, the hyper-parameters, the package version
        and the file format's version.
        """
        from . import __version__

        self._check_fitted()
        meta = {"format": MODEL_FORMAT, "model": type(self).__name__, "package_version": __version__,
                "hyperparameters": {name: getattr(self, name) for name in self.HYPERPARAMETERS}}
        arrays = {"user_factors": self.user_factors, "item_factors": self.item_factors,
                  "meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)}
        if include_user_items and self.user_items is not None:
            m = self.user_items
            arrays |= {"user_items_indptr": m.indptr, "user_items_indices": m.indices, "user_items_data": m.data}
        write_npz(path, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike):
        """Read a model written by :meth:`save` of this class.

        Parameters
        ----------
        path : path-like

        Returns
        -------
        A model of this class, as it was saved.

        Raises
        ------
        FileNotFoundError
        ValueError
            The file is damaged, is not a saved model of this class, or was
            written in a newer format than this version reads.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no saved model at {path}")
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {key: z[key] for key in z.files}
            meta = json.loads(arrays.pop("meta").tobytes().decode())
            kind, version = meta["model"], meta["format"]
        except (zipfile.BadZipFile, EOFError, OSError, KeyError, TypeError, AttributeError, ValueError,
                UnicodeDecodeError) as error:
            raise ValueError(f"{path} is damaged or not a model saved by {cls.__name__}.save ({error!r})") from error
        if kind != cls.__name__:
            raise ValueError(f"{path} holds a {kind}, not a {cls.__name__}")
        if not isinstance(version, int) or version > MODEL_FORMAT:
            raise ValueError(f"{path} was written in model format {version!r} by recsys_utils "
                             f"{meta.get('package_version')}; this version reads format {MODEL_FORMAT} and older: "
                             "upgrade recsys_utils")
        try:
            model = cls(**meta["hyperparameters"])
            model.user_factors = np.ascontiguousarray(arrays["user_factors"], dtype=np.float32)
            model.item_factors = np.ascontiguousarray(arrays["item_factors"], dtype=np.float32)
            width = model.stored_width()
            width = model.item_factors.shape[-1] if width is None else width
            for name in ("user_factors", "item_factors"):
                value = getattr(model, name)
                if value.ndim != 2 or value.shape[1] != width or not np.isfinite(value).all():
                    raise ValueError(f"{name} of shape {value.shape} is not finite rows of {width} factors")
            if "user_items_indptr" in arrays:
                model.user_items = sp.csr_matrix(
                    (arrays["user_items_data"], arrays["user_items_indices"], arrays["user_items_indptr"]),
                    shape=model.shape)
                model.user_items.check_format(full_check=True)
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{path} is damaged or not a model saved by {cls.__name__}.save ({error!r})") from error
        model._factors_changed()
        return model

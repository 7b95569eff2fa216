"""A compact binary cache of parsed datasets, so a second load skips parsing.

One uncompressed ``.npz`` per parsed source: the CSR arrays as they are, and the
labels as newline-joined UTF-8 (no pickles). The file name carries a key made
of the source files' paths, sizes and modification times and the cache format
version, so an edited or replaced source is parsed again.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pooch
import scipy.sparse as sp

from .playdata import ParseReport, PlayData

CACHE_VERSION = 1


def cache_dir() -> Path:
    """Where parsed datasets are kept: ``RECSYS_CACHE_DIR``, else the user cache folder."""
    return Path(os.environ.get("RECSYS_CACHE_DIR") or pooch.os_cache("similar-music")) / "parsed"


def cache_path(name: str, sources: list[Path]) -> Path:
    """The cache file for dataset ``name`` parsed from ``sources``."""
    parts = [f"v{CACHE_VERSION}", name]
    for source in sources:
        stat = source.stat()
        parts += [str(source.resolve()), str(stat.st_size), str(stat.st_mtime_ns)]
    key = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]
    return cache_dir() / f"{name}-{key}.npz"


def _pack(labels: np.ndarray) -> np.ndarray:
    text = "\n".join(labels.tolist())
    if text.count("\n") != max(len(labels) - 1, 0):
        raise ValueError("labels that contain newlines cannot be cached")
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _unpack(packed: np.ndarray, n: int) -> np.ndarray:
    if n == 0:
        return np.empty(0, dtype=object)
    return np.array(packed.tobytes().decode("utf-8").split("\n"), dtype=object)


def save(data: PlayData, path: Path) -> None:
    """Write ``data`` to ``path`` atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    m = data.user_items
    arrays = {
        "indptr": m.indptr, "indices": m.indices, "data": m.data,
        "shape": np.array(m.shape, dtype=np.int64),
        "artist_names": _pack(data.artist_names), "user_ids": _pack(data.user_ids),
        "meta": np.frombuffer(json.dumps({
            "name": data.name,
            "report": data.report.to_dict() if data.report else None,
            "has_mbids": data.artist_mbids is not None,
        }).encode(), dtype=np.uint8),
    }
    if data.artist_mbids is not None:
        arrays["artist_mbids"] = _pack(data.artist_mbids)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as f:
        np.savez(f, **arrays)
    os.replace(partial, path)


def load(path: Path) -> PlayData:
    """Read a file written by :func:`save`."""
    with np.load(path, allow_pickle=False) as z:
        shape = tuple(int(x) for x in z["shape"])
        meta = json.loads(z["meta"].tobytes().decode())
        user_items = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=shape)
        return PlayData(
            user_items,
            _unpack(z["artist_names"], shape[1]),
            _unpack(z["user_ids"], shape[0]),
            artist_mbids=_unpack(z["artist_mbids"], shape[1]) if meta["has_mbids"] else None,
            report=ParseReport.from_dict(meta["report"]) if meta["report"] else None,
            name=meta["name"],
        )

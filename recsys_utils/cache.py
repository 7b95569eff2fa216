"""A compact binary cache of parsed datasets, so a second load skips parsing.

One uncompressed ``.npz`` per parsed source: the CSR arrays as they are, and the
labels as newline-joined UTF-8 (no pickles). The file is named
``<dataset>-<where>-<what>.npz``: ``where`` is a hash of the source files' paths,
``what`` a hash of their bytes and of the cache format version. So a source
whose content changed is parsed again even when its size and modification time
were kept or put back (``cp -p``, ``touch -r``), and writing the new entry
deletes the entries of the source's earlier contents.

The bytes are hashed with xxHash (XXH3, 128 bits): it is not a cryptographic
hash, but nobody is trying to forge a cache entry, and at about 20 GB/s it
hashes the 1.5 GB Last.fm 360K file in well under a tenth of a second where
SHA-256 takes the better part of one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import numpy as np
import pooch
import scipy.sparse as sp
import xxhash

from .playdata import ParseReport, PlayData
from .utils import write_npz

CACHE_VERSION = 2
HASH_BUFFER_BYTES = 1 << 20
_ENTRY_NAME = re.compile(r"(?P<sources>.+-[0-9a-f]{16})-[0-9a-f]{16}\.npz")


def cache_dir() -> Path:
    """Where parsed datasets are kept: ``RECSYS_CACHE_DIR``, else the user cache folder."""
    return Path(os.environ.get("RECSYS_CACHE_DIR") or pooch.os_cache("similar-music")) / "parsed"


def cache_path(name: str, sources: list[Path]) -> Path:
    """The cache file for dataset ``name`` parsed from ``sources`` as they are now.

    Reads every byte of ``sources`` (see the module docstring).
    """
    where = _short_key([str(source.resolve()) for source in sources])
    what = _short_key([f"v{CACHE_VERSION}", name, *(_content_digest(source) for source in sources)])
    return cache_dir() / f"{name}-{where}-{what}.npz"


def _content_digest(path: Path) -> str:
    """XXH3-128 of the bytes of ``path``, in hex."""
    digest = xxhash.xxh3_128()
    buffer = bytearray(HASH_BUFFER_BYTES)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buffer):
            digest.update(view[:n])
    return digest.hexdigest()


def _short_key(parts: list[str]) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


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
    """Write ``data`` to ``path`` atomically, then delete the entries it replaces.

    The arrays go to a temporary file of this writer's own beside ``path``,
    renamed into place when complete: a reader never sees half a file, two
    processes writing one entry do not write into the same file, and a failed
    write removes its temporary file. Then the entries of the same sources'
    earlier contents (other ``what`` for the same ``where``) are deleted.
    """
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
    write_npz(path, arrays)
    _prune(path)


def _prune(path: Path) -> None:
    """Delete the cache entries for the sources of ``path`` other than ``path`` itself."""
    entry = _ENTRY_NAME.fullmatch(path.name)
    if entry is None:
        return
    for other in path.parent.glob(f"{entry['sources']}-*.npz"):
        if other != path and _ENTRY_NAME.fullmatch(other.name):
            try:
                other.unlink()
            except OSError:  # e.g. open in another process on Windows: pruned next time
                pass


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

"""``load_dataset``: find, download, parse and cache the listening datasets.

Where data is looked for, in order:

1. ``data_dir`` when given, else ``RECSYS_DATA_DIR`` when set;
2. the user cache folder (``pooch.os_cache("similar-music")``).

Each in the layout the official archives unpack to
(``lastfm-dataset-360K/usersha1-artmbid-artname-plays.tsv``,
``hetrec2011-lastfm-2k/user_artists.dat`` and ``artists.dat``). Only these data
files are needed, not the archives' readmes. When they are in none of the
folders they are downloaded, with the readmes, into the first folder we may
write to.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Callable
from pathlib import Path

import pooch

from . import cache
from .download import ArchiveSource, DatasetUnavailableError, fetch
from .formats import LASTFM_360K_MD5, read_hetrec_lastfm, read_lastfm_360k
from .playdata import PlayData
from .synthetic import make_synthetic

log = logging.getLogger(__name__)

LASTFM_360K_TSV = "lastfm-dataset-360K/usersha1-artmbid-artname-plays.tsv"
HETREC_DIR = "hetrec2011-lastfm-2k"

#: Where each real dataset is published. Tests point these at a local server.
SOURCES: dict[str, ArchiveSource] = {
    "lastfm-360k": ArchiveSource(
        name="lastfm-360k",
        url="http://mtg.upf.edu/static/datasets/last.fm/lastfm-dataset-360K.tar.gz",
        archive_name="lastfm-dataset-360K.tar.gz",
        members={
            "usersha1-artmbid-artname-plays.tsv": LASTFM_360K_TSV,
            "README.txt": "lastfm-dataset-360K/README.txt",
        },
        member_md5={"usersha1-artmbid-artname-plays.tsv": LASTFM_360K_MD5},
        optional=("README.txt",),
    ),
    "lastfm-2k": ArchiveSource(
        name="lastfm-2k",
        url="https://files.grouplens.org/datasets/hetrec2011/hetrec2011-lastfm-2k.zip",
        archive_name="hetrec2011-lastfm-2k.zip",
        members={
            "user_artists.dat": f"{HETREC_DIR}/user_artists.dat",
            "artists.dat": f"{HETREC_DIR}/artists.dat",
            "readme.txt": f"{HETREC_DIR}/readme.txt",
        },
        optional=("readme.txt",),
    ),
}

DATASETS = ("lastfm-2k", "lastfm-360k", "synthetic")
DEFAULT_DATASET = "lastfm-2k"


def data_dirs(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """The folders searched for data, in order (see the module docstring)."""
    first = data_dir if data_dir is not None else os.environ.get("RECSYS_DATA_DIR")
    dirs = [Path(first).expanduser()] if first else []
    default = Path(pooch.os_cache("similar-music"))
    if default not in dirs:
        dirs.append(default)
    return dirs


def load_dataset(
    name: str | os.PathLike = DEFAULT_DATASET,
    data_dir: str | os.PathLike | None = None,
    *,
    scale: float = 0.01,
    random_state: int | None = 0,
    use_cache: bool = True,
    show_progress: bool = True,
) -> PlayData:
    """Load a listening dataset as a users x artists play-count matrix.

    Parameters
    ----------
    name : str or path-like
        ``"lastfm-2k"`` (HetRec 2011, 1,892 users), ``"lastfm-360k"`` (Celma's
        Last.fm 360K), ``"synthetic"``, or the path of a data file or folder:
        a ``*.tsv`` in the 360K format, or a folder (or its ``user_artists.dat``)
        in the HetRec layout.
    data_dir : path-like, optional
        Where to look first; by default ``RECSYS_DATA_DIR``.
    scale, random_state :
        For ``"synthetic"`` only: see :func:`recsys_utils.synthetic.make_synthetic`.
    use_cache : bool
        Keep the parsed matrix in a binary cache (``RECSYS_CACHE_DIR``) and
        load it from there next time.
    show_progress : bool

    Returns
    -------
    PlayData

    Raises
    ------
    FileNotFoundError
        ``name`` looks like a path (a path object, or a name with a folder
        separator or a file suffix) but there is nothing at that path.
    ValueError
        ``name`` is neither a dataset name nor a path.
    """
    if str(name) == "synthetic":
        return make_synthetic(scale=scale, random_state=random_state)
    if str(name) in SOURCES:
        name = str(name)
        location = _find_or_fetch(name, data_dir, show_progress)
    elif Path(name).expanduser().exists():
        name, location = _infer_format(Path(name).expanduser())
    elif _looks_like_path(name):
        raise FileNotFoundError(
            f"{Path(name).expanduser()} does not exist. Give the path of a data file or folder that "
            f"exists, or one of the dataset names {', '.join(DATASETS)}."
        )
    else:
        close = difflib.get_close_matches(str(name), DATASETS, n=2, cutoff=0.4)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"Unknown dataset {str(name)!r}: choose one of {', '.join(DATASETS)} or give a file path.{hint}")

    reader, sources = _READERS[name]
    files = sources(location)
    if not use_cache:
        return reader(location, show_progress=show_progress)
    path = cache.cache_path(name, files)
    if path.exists():
        try:
            return cache.load(path)
        except Exception as error:  # a damaged cache is rebuilt, never trusted
            log.warning("ignoring unreadable cache %s (%s); parsing again", path, error)
    data = reader(location, show_progress=show_progress)
    try:
        cache.save(data, path)
    except OSError as error:
        log.warning("could not write the cache %s: %s", path, error)
    return data


def _looks_like_path(name: str | os.PathLike) -> bool:
    if isinstance(name, os.PathLike):
        return True
    separators = {"/", os.sep, os.altsep} - {None}
    return any(sep in name for sep in separators) or Path(name).suffix != ""


def _hetrec_files(directory: Path) -> list[Path]:
    return [directory / "user_artists.dat", directory / "artists.dat"]


_READERS: dict[str, tuple[Callable[..., PlayData], Callable[[Path], list[Path]]]] = {
    "lastfm-360k": (read_lastfm_360k, lambda path: [path]),
    "lastfm-2k": (read_hetrec_lastfm, _hetrec_files),
}


def _installed_path(name: str, directory: Path) -> Path:
    return directory / (LASTFM_360K_TSV if name == "lastfm-360k" else HETREC_DIR)


def _find_or_fetch(name: str, data_dir: str | os.PathLike | None, show_progress: bool) -> Path:
    return _installed_path(name, locate(name, data_dir, show_progress=show_progress))


def locate(name: str, data_dir: str | os.PathLike | None = None, *, download: bool = True,
           show_progress: bool = True) -> Path:
    """The data folder that holds dataset ``name`` (see :func:`data_dirs`), downloading it if allowed.

    Parameters
    ----------
    name : {"lastfm-2k", "lastfm-360k"}
    data_dir : path-like, optional
    download : bool
        When the dataset is in no folder: download it into the first one we
        may write to (True), or raise (False).
    show_progress : bool

    Raises
    ------
    DatasetUnavailableError
        Not found, and not downloaded (``download=False``, or no folder can
        be written to).
    """
    if name not in SOURCES:
        raise ValueError(f"unknown dataset {name!r}: choose one of {', '.join(SOURCES)}")
    source = SOURCES[name]
    dirs = data_dirs(data_dir)
    for directory in dirs:
        if source.installed(directory):
            return directory
    if not download:
        raise DatasetUnavailableError(f"{name} is not in {', '.join(map(str, dirs))}")
    writable = [d for d in dirs if _writable(d)]
    if not writable:
        raise DatasetUnavailableError(
            f"{name} is not in {', '.join(map(str, dirs))} and none of them can be written to."
        )
    log.info("%s not found in %s; downloading it to %s", name, ", ".join(map(str, dirs)), writable[0])
    fetch(source, writable[0], show_progress=show_progress)
    return writable[0]


def _writable(directory: Path) -> bool:
    probe = directory
    while not probe.exists():
        probe = probe.parent
    return os.access(probe, os.W_OK)


def _infer_format(path: Path) -> tuple[str, Path]:
    if path.is_dir() and (path / "user_artists.dat").is_file():
        return "lastfm-2k", path
    if path.name == "user_artists.dat":
        return "lastfm-2k", path.parent
    if path.is_file() and path.suffix.lower() == ".tsv":
        return "lastfm-360k", path
    if path.is_dir() and (path / LASTFM_360K_TSV).is_file():
        return "lastfm-360k", path / LASTFM_360K_TSV
    raise ValueError(
        f"Cannot tell the format of {path}: give a .tsv in the Last.fm 360K format, "
        "or a folder holding the HetRec user_artists.dat and artists.dat."
    )

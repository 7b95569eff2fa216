"""Fetching dataset archives: checksummed, atomic, re-fetched once when corrupt.

pooch downloads to a temporary file beside the target and renames it only when
the transfer (and, where one is known, the hash) is complete. We then unpack
only the members we need, each to a ``.partial`` file, verify them (the
archive's own CRCs, and an MD5 where one is published) and rename them into
place. A corrupt or truncated archive is deleted and fetched once more, so a bad
download is never reused (the failure of implicit#707).
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pooch
import requests

log = logging.getLogger(__name__)

COPY_BYTES = 1 << 20


class DatasetUnavailableError(RuntimeError):
    """The data is not on this machine and could not be downloaded."""


class CorruptArchiveError(RuntimeError):
    """A downloaded archive is truncated, damaged or not what was published."""


@dataclass(frozen=True)
class ArchiveSource:
    """Where a dataset is published and which of its files we use.

    Attributes
    ----------
    name : str
        Dataset name, for messages.
    url : str
    archive_name : str
        File name the archive is saved under while it is unpacked.
    members : dict of str to str
        Base name of a file in the archive -> path relative to the data
        directory where it is installed.
    member_md5 : dict of str to str
        Published MD5 of members, by base name; checked after unpacking.
    archive_hash : str or None
        A pooch hash (``"md5:..."``) of the archive itself, where one is known.
    optional : tuple of str
        Base names of members that a download installs but loading does not
        need (a readme): a data directory without them still has the dataset.
    """

    name: str
    url: str
    archive_name: str
    members: dict[str, str]
    member_md5: dict[str, str] = field(default_factory=dict)
    archive_hash: str | None = None
    optional: tuple[str, ...] = ()

    @property
    def needed(self) -> list[str]:
        """Where the members that loading needs are installed, relative to the data directory."""
        return [dest for base, dest in self.members.items() if base not in self.optional]

    def installed(self, data_dir: Path) -> bool:
        """Whether ``data_dir`` holds every member that loading needs."""
        return all((data_dir / dest).is_file() for dest in self.needed)


def fetch(source: ArchiveSource, data_dir: str | os.PathLike, *, show_progress: bool = True, timeout: float = 60) -> None:
    """Download ``source`` into ``data_dir`` and install its members.

    Raises
    ------
    DatasetUnavailableError
        The server cannot be reached or refuses (offline, moved).
    CorruptArchiveError
        The archive was corrupt twice in a row.
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    archive = data_dir / source.archive_name
    for attempt in (1, 2):
        try:
            pooch.retrieve(
                source.url, known_hash=source.archive_hash, fname=archive.name, path=data_dir,
                downloader=pooch.HTTPDownloader(progressbar=show_progress, timeout=timeout),
            )
            install_members(source, archive, data_dir)
            archive.unlink()
            return
        except requests.exceptions.RequestException as error:
            raise DatasetUnavailableError(_offline_message(source, data_dir, error)) from error
        except (CorruptArchiveError, ValueError) as error:  # pooch raises ValueError on a hash mismatch
            archive.unlink(missing_ok=True)
            if attempt == 2:
                raise CorruptArchiveError(
                    f"{source.name}: the archive from {source.url} was corrupt twice in a row ({error}). "
                    "Nothing was installed. Try again later, or download it yourself and unpack it "
                    f"into {data_dir}."
                ) from error
            log.warning("%s: %s; deleted it and fetching it again", source.name, error)


def _offline_message(source: ArchiveSource, data_dir: Path, error: Exception) -> str:
    places = "\n".join(f"  {data_dir / dest}" for dest in source.needed)
    return (
        f"{source.name} is not on this machine and could not be downloaded from {source.url} "
        f"({type(error).__name__}: {error}).\n"
        f"If you are offline or the host has moved, download {source.archive_name} yourself and put "
        f"its files here:\n{places}\n"
        "or set RECSYS_DATA_DIR to the folder that holds them."
    )


def install_members(source: ArchiveSource, archive: Path, data_dir: Path) -> None:
    """Unpack the members ``source`` needs from ``archive`` and verify them.

    Each member is written to ``<dest>.partial`` and renamed into place only
    when every member has been read and checked, so a failure leaves nothing
    half-installed.
    """
    partials: dict[str, Path] = {}
    try:
        _unpack(source, archive, data_dir, partials)
        for base, partial in partials.items():
            os.replace(partial, data_dir / source.members[base])
    except (tarfile.TarError, zipfile.BadZipFile, gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise CorruptArchiveError(f"{archive.name} is damaged or truncated: {error}") from error
    finally:
        for partial in partials.values():
            partial.unlink(missing_ok=True)


def _unpack(source: ArchiveSource, archive: Path, data_dir: Path, partials: dict[str, Path]) -> None:
    """Write each wanted member to a ``.partial`` file (recorded in ``partials``) and check it."""
    for base, stream in _open_members(archive, set(source.members)):
        dest = data_dir / source.members[base]
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_name(dest.name + ".partial")
        partials[base] = partial
        digest = hashlib.md5()
        with stream, open(partial, "wb") as out:
            while chunk := stream.read(COPY_BYTES):
                digest.update(chunk)
                out.write(chunk)
        expected = source.member_md5.get(base)
        if expected and digest.hexdigest() != expected:
            raise CorruptArchiveError(f"{base} has md5 {digest.hexdigest()}, expected {expected}")
    missing = set(source.members) - set(partials)
    if missing:
        raise CorruptArchiveError(f"{archive.name} does not contain {sorted(missing)}")


def _open_members(archive: Path, wanted: set[str]):
    """Yield (base name, binary stream) for the wanted members of a .zip or .tar(.gz)."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                base = os.path.basename(info.filename)
                if base in wanted and not info.is_dir():
                    yield base, zf.open(info)
    else:
        with tarfile.open(archive, "r:*") as tf:
            for member in tf:
                base = os.path.basename(member.name)
                if base in wanted and member.isfile():
                    yield base, tf.extractfile(member)

"""The download path, against a web server on 127.0.0.1 serving archives built here."""

import hashlib
import io
import socket
import tarfile
import zipfile

import pytest

from recsys_utils import datasets, load_dataset
from recsys_utils.download import ArchiveSource, CorruptArchiveError, DatasetUnavailableError, fetch
from recsys_utils.formats import DataIntegrityWarning

TSV = ("a" * 40 + "\t\tfirst artist\t12\n" + "b" * 40 + "\t\tsecond artist\t3\n").encode()
TSV_MD5 = hashlib.md5(TSV).hexdigest()


def tar_gz(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tf:
        for name, body in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tf.addfile(info, io.BytesIO(body))
    return out.getvalue()


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in files.items():
            zf.writestr(name, body)
    return out.getvalue()


GOOD_TAR = tar_gz({"lastfm-dataset-360K/usersha1-artmbid-artname-plays.tsv": TSV * 2000, "lastfm-dataset-360K/README.txt": b"readme"})


def source_360k(url: str) -> ArchiveSource:
    official = datasets.SOURCES["lastfm-360k"]
    return ArchiveSource(
        name=official.name, url=url, archive_name=official.archive_name, members=official.members,
        member_md5={"usersha1-artmbid-artname-plays.tsv": hashlib.md5(TSV * 2000).hexdigest()},
    )


def files_in(directory):
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


def test_good_archive_installs_and_loads(http_server, tmp_path, monkeypatch):
    http_server.responses["/360k.tar.gz"] = [GOOD_TAR]
    monkeypatch.setitem(datasets.SOURCES, "lastfm-360k", source_360k(http_server.url + "/360k.tar.gz"))
    with pytest.warns(DataIntegrityWarning):  # our little TSV is not the official file
        data = load_dataset("lastfm-360k", data_dir=tmp_path, show_progress=False)
    assert files_in(tmp_path) == ["lastfm-dataset-360K/README.txt", "lastfm-dataset-360K/usersha1-artmbid-artname-plays.tsv"]
    assert data.nnz == 2 and data.report.duplicates_merged == 3998 and data.user_items.sum() == 15 * 2000
    # Installed: a second load neither downloads nor parses.
    again = load_dataset("lastfm-360k", data_dir=tmp_path, show_progress=False)
    assert http_server.requests == ["/360k.tar.gz"] and (again.user_items != data.user_items).nnz == 0


def test_hetrec_zip_installs_in_the_official_layout(http_server, tmp_path):
    official = datasets.SOURCES["lastfm-2k"]
    http_server.responses["/2k.zip"] = [zipped({
        "user_artists.dat": b"userID\tartistID\tweight\r\n2\t51\t13883\r\n",
        "artists.dat": b"id\tname\turl\tpictureURL\n51\tDuran Duran\tu\tp\n",
        "readme.txt": b"readme", "tags.dat": b"not needed",
    })]
    source = ArchiveSource(official.name, http_server.url + "/2k.zip", official.archive_name, official.members)
    fetch(source, tmp_path, show_progress=False)
    assert files_in(tmp_path) == ["hetrec2011-lastfm-2k/artists.dat", "hetrec2011-lastfm-2k/readme.txt", "hetrec2011-lastfm-2k/user_artists.dat"]


@pytest.mark.parametrize("damage", ["truncated", "garbage", "wrong content"])
def test_corrupt_archive_is_refetched_then_reported_leaving_nothing(http_server, tmp_path, damage):
    bad = {
        "truncated": GOOD_TAR[: len(GOOD_TAR) // 2],
        "garbage": b"<html>moved</html>",
        "wrong content": tar_gz({"lastfm-dataset-360K/usersha1-artmbid-artname-plays.tsv": TSV,
                                 "lastfm-dataset-360K/README.txt": b"readme"}),
    }[damage]
    http_server.responses["/360k.tar.gz"] = [bad]
    with pytest.raises(CorruptArchiveError, match="corrupt twice in a row"):
        fetch(source_360k(http_server.url + "/360k.tar.gz"), tmp_path, show_progress=False)
    assert http_server.requests == ["/360k.tar.gz"] * 2
    assert files_in(tmp_path) == []  # no archive, no .partial, no half-installed file


def test_a_corrupt_first_download_is_replaced_by_a_fresh_fetch(http_server, tmp_path):
    http_server.responses["/360k.tar.gz"] = [GOOD_TAR[:1000], GOOD_TAR]
    fetch(source_360k(http_server.url + "/360k.tar.gz"), tmp_path, show_progress=False)
    assert http_server.requests == ["/360k.tar.gz"] * 2
    assert (tmp_path / "lastfm-dataset-360K/usersha1-artmbid-artname-plays.tsv").read_bytes() == TSV * 2000


def test_a_truncated_archive_left_by_an_earlier_run_is_not_reused(http_server, tmp_path):
    (tmp_path / "lastfm-dataset-360K.tar.gz").write_bytes(GOOD_TAR[:500])
    http_server.responses["/360k.tar.gz"] = [GOOD_TAR]
    fetch(source_360k(http_server.url + "/360k.tar.gz"), tmp_path, show_progress=False)
    assert http_server.requests == ["/360k.tar.gz"]
    assert files_in(tmp_path) == ["lastfm-dataset-360K/README.txt", "lastfm-dataset-360K/usersha1-artmbid-artname-plays.tsv"]


def test_no_server_gives_the_offline_message(tmp_path, monkeypatch):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setitem(datasets.SOURCES, "lastfm-360k", source_360k(f"http://127.0.0.1:{port}/360k.tar.gz"))
    with pytest.raises(DatasetUnavailableError) as error:
        load_dataset("lastfm-360k", data_dir=tmp_path, show_progress=False)
    message = str(error.value)
    assert "could not be downloaded" in message and "RECSYS_DATA_DIR" in message
    assert str(tmp_path / "lastfm-dataset-360K" / "usersha1-artmbid-artname-plays.tsv") in message
    assert files_in(tmp_path) == []


def test_http_error_is_reported_as_unavailable(http_server, tmp_path):
    with pytest.raises(DatasetUnavailableError, match="404"):
        fetch(source_360k(http_server.url + "/moved.tar.gz"), tmp_path, show_progress=False)


def test_unknown_dataset_name_suggests_the_closest():
    with pytest.raises(ValueError, match="Did you mean 'lastfm-360k'"):
        load_dataset("lastfm-360")

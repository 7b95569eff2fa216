"""The workshop's setup tools: `python -m recsys_utils fetch`, `check-setup` and `data-pack`."""

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from recsys_utils.__main__ import main
from recsys_utils.formats import DataIntegrityWarning
from recsys_utils.setup_check import OPTIONAL, REQUIRED, run_checks

ROOT = Path(__file__).resolve().parents[1]


def test_fetch_verifies_the_data_it_finds(hetrec_2k, capsys):
    assert main(["fetch", "lastfm-2k", "--data-dir", str(hetrec_2k.parent)]) == 0
    out = capsys.readouterr().out
    assert "1,892 users x 17,632 artists" in out and "verified" in out


def test_fetch_rejects_a_damaged_copy(hetrec_2k, tmp_path, capsys):
    damaged = tmp_path / "hetrec2011-lastfm-2k"
    shutil.copytree(hetrec_2k, damaged)
    lines = (damaged / "user_artists.dat").read_bytes().splitlines(keepends=True)
    (damaged / "user_artists.dat").write_bytes(b"".join(lines[:-100]))  # a truncated download
    with pytest.warns(DataIntegrityWarning, match="not the official"):
        assert main(["fetch", "lastfm-2k", "--data-dir", str(tmp_path)]) == 1
    assert "NOT VERIFIED" in capsys.readouterr().out


def test_fetch_without_internet_says_so(tmp_path, monkeypatch, capsys):
    from recsys_utils import datasets
    from recsys_utils.download import DatasetUnavailableError

    def offline(*args, **kwargs):
        raise DatasetUnavailableError("lastfm-2k could not be downloaded: no network")

    monkeypatch.setattr(datasets, "fetch", offline)
    assert main(["fetch", "lastfm-2k", "--data-dir", str(tmp_path)]) == 1
    assert "NOT FETCHED: lastfm-2k could not be downloaded" in capsys.readouterr().out


def test_unknown_command_prints_the_commands(capsys):
    assert main(["fetchh"]) == 2
    assert "check-setup" in capsys.readouterr().out
    assert main(["--help"]) == 0


def test_check_setup_lists_every_dependency_of_the_package():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {requirement.split(">")[0].split("=")[0].strip().lower()
             for requirement in project["dependencies"] + sum(project["optional-dependencies"].values(), [])}
    assert names == set(REQUIRED.values()) | set(OPTIONAL.values())


def test_check_setup_says_what_is_missing(monkeypatch, tmp_path, hetrec_2k):
    monkeypatch.setenv("RECSYS_DATA_DIR", str(hetrec_2k.parent))
    items = {item.name: item for item in run_checks()}
    assert all(item.ok for item in items.values() if item.required), [i.line() for i in items.values() if not i.ok]
    monkeypatch.setenv("RECSYS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # pooch's user cache folder
    items = {item.name: item for item in run_checks()}
    assert not items["Last.fm 2K data"].ok and "fetch lastfm-2k" in items["Last.fm 2K data"].detail


def test_check_setup_runs_without_numpy_and_says_so(tmp_path):
    """On a laptop where packages are missing, the check still runs and names them (exit status 1)."""
    block = ("import sys, importlib.abc\n"
             "class Block(importlib.abc.MetaPathFinder):\n"
             "    def find_spec(self, name, path=None, target=None):\n"
             "        if name.split('.')[0] in {'numpy', 'pooch'}:\n"
             "            raise ImportError(f'no module named {name}')\n"
             "sys.meta_path.insert(0, Block())\n"
             "from recsys_utils.__main__ import main\n"
             "sys.exit(main(['check-setup']))\n")
    env = {**os.environ, "RECSYS_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode == 1, result.stderr
    assert "MISSING  numpy" in result.stdout and "Last.fm 2K data" in result.stdout
    assert "Traceback" not in result.stderr


def test_data_pack_holds_the_project_the_data_and_checksums(hetrec_2k, tmp_path):
    from recsys_utils.data_pack import data_pack

    output = data_pack(tmp_path / "pack.tar", project_dir=ROOT, data_dir=hetrec_2k.parent, wheels=False)
    with tarfile.open(output) as archive:
        archive.extractall(tmp_path / "x", filter="data")
    root = tmp_path / "x" / "similar-music-pack"
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert sorted(str(p.relative_to(root / "project")) for p in (root / "project").rglob("*") if p.is_file()) \
        == sorted(tracked)
    for name in ("user_artists.dat", "artists.dat", "readme.txt"):  # the readme holds the licence
        assert (root / "data" / "hetrec2011-lastfm-2k" / name).read_bytes() == (hetrec_2k / name).read_bytes()
    assert os.access(root / "install.sh", os.X_OK) and "--no-index" in (root / "install.sh").read_text()
    assert "without wheels" in (root / "INSTALL.md").read_text()
    sums = dict(line.split("  ")[::-1] for line in (root / "SHA256SUMS").read_text().splitlines())
    assert sums["data/hetrec2011-lastfm-2k/user_artists.dat"] == hashlib.sha256(
        (hetrec_2k / "user_artists.dat").read_bytes()).hexdigest()
    assert not list(tmp_path.glob("*.partial"))


def test_data_pack_refuses_an_unknown_dataset(tmp_path):
    from recsys_utils.data_pack import data_pack

    with pytest.raises(ValueError, match="unknown datasets"):
        data_pack(tmp_path / "p.tar", project_dir=ROOT, datasets=("movielens",), wheels=False)

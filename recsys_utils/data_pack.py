"""One archive for a room without internet: the project, a wheel of every package, and the data.

``make data-pack`` (``python -m recsys_utils data-pack``) writes
``out/similar-music-pack.tar`` holding::

    similar-music-pack/
        project/      the files git tracks in this checkout
        wheels/       ``pip wheel`` of the project and everything it needs (dev extra), at this environment's versions
        constraints.txt   those versions (``pip freeze``)
        data/         the datasets, in the layout the loaders look for
        install.sh    a virtual environment in project/.venv from wheels/ only (pip --no-index)
        INSTALL.md    what to do, for which machines the wheels are, and the data's licence
        SHA256SUMS    a checksum of every file, to check a copied stick

The wheels fit laptops with this machine's operating system, processor
architecture and Python version (written in INSTALL.md).
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from .datasets import SOURCES, locate

PACK_NAME = "similar-music-pack"
DEFAULT_OUTPUT = Path("out") / f"{PACK_NAME}.tar"

INSTALL_SH = """\
#!/bin/sh
# Install similar-music from this pack, with no internet: a virtual environment in project/.venv.
set -e
cd "$(dirname "$0")"
PYTHON="${PYTHON:-python3}"
"$PYTHON" -m venv project/.venv
project/.venv/bin/python -m pip install --no-index --find-links wheels "recsys_utils[dev]"
touch project/.venv/.installed   # tells make that the environment is ready
echo
echo "Installed. Before you start JupyterLab (project/.venv/bin/jupyter lab), run:"
echo "  export RECSYS_DATA_DIR=\\"$(pwd)/data\\""
echo "Then check this laptop: cd project && make check-setup"
"""


def tracked_files(project_dir: Path) -> list[str]:
    """The files git tracks in ``project_dir`` (what a clone has, without build or data leftovers)."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=project_dir, check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise RuntimeError(f"{project_dir} is not a git checkout (git ls-files failed: {error}); "
                           "a data pack copies the files git tracks") from error
    return [name for name in listed.decode().split("\0") if name]


#: Annoy's own flags without ``-march=native``: its wheel must run on every laptop, not only on this CPU.
PORTABLE_ANNOY_ARGS = "-D_CRT_SECURE_NO_WARNINGS,-fpermissive,-O3,-ffast-math,-fno-associative-math," \
                      "-DANNOYLIB_MULTITHREADED_BUILD,-std=c++14"


def build_wheels(project_dir: Path, wheel_dir: Path) -> None:
    """``pip wheel`` of the project with its dev extra, pinned to this environment's versions, into ``wheel_dir``.

    The versions come from ``pip freeze`` of the running interpreter, so the
    room gets the stack that was tested here. Packages built from source
    (Annoy) are compiled for the architecture, not for this CPU, and never
    taken from pip's cache of earlier builds.
    """
    wheel_dir.mkdir(parents=True, exist_ok=True)
    frozen = subprocess.run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"], check=True,
                            capture_output=True, text=True).stdout
    constraints = wheel_dir.parent / "constraints.txt"
    constraints.write_text("".join(line + "\n" for line in frozen.splitlines()
                                   if "==" in line and not line.lower().startswith("recsys_utils")))
    env = {**os.environ, "ANNOY_COMPILER_ARGS": os.environ.get("ANNOY_COMPILER_ARGS", PORTABLE_ANNOY_ARGS)}
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-cache-dir", "--wheel-dir", str(wheel_dir),
                    "--constraint", str(constraints), f"{project_dir.resolve()}[dev]"], check=True, env=env)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def install_notes(datasets: tuple[str, ...], wheels: bool) -> str:
    machine = f"{platform.system()} {platform.machine()}, Python {platform.python_version()}"
    wheel_line = (f"The wheels in `wheels/` were built on {machine}, with the versions of the environment "
                  "that built them (`constraints.txt`): they install on laptops with the same operating system, "
                  "processor architecture and Python minor version. Annoy was compiled without `-march=native`, "
                  "so it runs on any CPU of that architecture."
                  if wheels else "This pack was written without wheels (`--no-wheels`): install with internet.")
    return f"""# similar-music workshop pack

{wheel_line}

1. `sh install.sh` creates `project/.venv` from `wheels/` with no internet (`pip install --no-index`).
2. `export RECSYS_DATA_DIR="$PWD/data"` (install.sh prints the exact line).
3. `cd project && make check-setup` checks the laptop; `make workshop` writes the student copies.

Data: {", ".join(datasets)}, in `data/`. These datasets are licensed for non-commercial use only
(see each dataset's readme, copied beside it where the data folder had it); this copy is for the workshop.

`SHA256SUMS` lists every file: `sha256sum -c SHA256SUMS` checks a copied stick.
"""


def data_pack(output: str | os.PathLike = DEFAULT_OUTPUT, *, project_dir: str | os.PathLike = ".",
              data_dir: str | os.PathLike | None = None, datasets: tuple[str, ...] = ("lastfm-2k",),
              wheels: bool = True) -> Path:
    """Write the pack to ``output`` (atomically) and return its path.

    Parameters
    ----------
    output : path-like
    project_dir : path-like
        A git checkout of the project.
    data_dir : path-like, optional
        Where to look for the data first (default: ``RECSYS_DATA_DIR``); a
        dataset found nowhere is downloaded.
    datasets : tuple of str
    wheels : bool
        Build the wheels (False: a pack of the project and data only).
    """
    project_dir, output = Path(project_dir), Path(output)
    unknown = [name for name in datasets if name not in SOURCES]
    if unknown:
        raise ValueError(f"unknown datasets {unknown}: choose from {', '.join(SOURCES)}")
    files = tracked_files(project_dir)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / PACK_NAME
        for name in files:
            (root / "project" / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(project_dir / name, root / "project" / name)
        for name in datasets:
            folder = locate(name, data_dir)
            for relative in SOURCES[name].members.values():  # the readmes too, where present: the licence
                if (folder / relative).is_file():
                    (root / "data" / relative).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(folder / relative, root / "data" / relative)
        if wheels:
            build_wheels(root / "project", root / "wheels")  # from the copy: no build leftovers in the checkout
        (root / "install.sh").write_text(INSTALL_SH)
        (root / "install.sh").chmod(0o755)
        (root / "INSTALL.md").write_text(install_notes(datasets, wheels))
        sums = [f"{sha256(path)}  {path.relative_to(root).as_posix()}"
                for path in sorted(root.rglob("*")) if path.is_file()]
        (root / "SHA256SUMS").write_text("\n".join(sums) + "\n")
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w") as archive:
            archive.add(root, arcname=PACK_NAME)
        os.replace(partial, output)
    return output


def main(argv: list[str] | None = None) -> Path:
    """Command line: ``python -m recsys_utils data-pack [--output PATH] [--no-wheels] [--dataset NAME ...]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m recsys_utils data-pack", description=__doc__.split("\n")[0])
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT))
    parser.add_argument("--dataset", action="append", choices=sorted(SOURCES),
                        help="a dataset to include (repeatable; default: lastfm-2k)")
    parser.add_argument("--no-wheels", action="store_true", help="leave the wheels out (project and data only)")
    args = parser.parse_args(argv)
    path = data_pack(args.output, datasets=tuple(args.dataset or ("lastfm-2k",)), wheels=not args.no_wheels)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB)")
    return path

"""Check one laptop for a workshop: Python, every package, numba's compiler, the data, a browser, Java.

Only the standard library is imported at the top, so that the check runs,
and says what is missing, on a machine where half the packages are.
``python -m recsys_utils check-setup`` (``make check-setup``) prints one line
per item and exits with status 1 when something required is missing.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MIN_PYTHON = (3, 10)
#: Imported for the notebooks; pip names where they differ from the import name.
REQUIRED = {
    "numpy": "numpy", "scipy": "scipy", "pandas": "pandas", "numba": "numba", "annoy": "annoy",
    "pynndescent": "pynndescent", "matplotlib": "matplotlib", "altair": "altair", "vl_convert": "vl-convert-python",
    "tqdm": "tqdm", "pooch": "pooch", "threadpoolctl": "threadpoolctl", "xxhash": "xxhash",
    "rapidfuzz": "rapidfuzz", "ipywidgets": "ipywidgets", "jupyterlab": "jupyterlab", "pyarrow": "pyarrow",
}
#: Only the tests and benchmarks need these.
OPTIONAL = {"pytest": "pytest", "nbval": "nbval", "implicit": "implicit", "playwright": "playwright",
            "pyspark": "pyspark"}
#: The Java release pyspark 4 (notebook 05) needs.
MIN_JAVA = 17
HETREC_FILES = ("hetrec2011-lastfm-2k/user_artists.dat", "hetrec2011-lastfm-2k/artists.dat")


@dataclass
class Item:
    """One line of the report."""

    name: str
    ok: bool
    detail: str
    required: bool = True

    def line(self) -> str:
        mark = "ok     " if self.ok else ("MISSING" if self.required else "missing")
        return f"{mark}  {self.name:<22} {self.detail}"


def check_python() -> Item:
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info[:2] >= MIN_PYTHON
    hint = "" if ok else f" (need {'.'.join(map(str, MIN_PYTHON))} or newer)"
    return Item("python", ok, f"{version} at {sys.executable}{hint}")


def check_package(module: str, pip_name: str, required: bool = True) -> Item:
    try:
        importlib.import_module(module)
    except Exception as error:  # an installed but broken package is as missing as an absent one
        return Item(pip_name, False, f"cannot import {module}: {type(error).__name__}: {error}; "
                                     f"install it: pip install {pip_name}", required)
    try:
        version = importlib.metadata.version(pip_name)
    except importlib.metadata.PackageNotFoundError:
        version = "(version unknown)"
    return Item(pip_name, True, version, required)


def check_numba() -> Item:
    """numba can compile and run a function (it needs llvmlite, and a writable cache is not required)."""
    try:
        from numba import njit

        @njit(cache=False)
        def add(a, b):
            return a + b

        ok = add(2, 3) == 5
        return Item("numba compiler", ok, "compiles and runs a function" if ok else "compiled a wrong result")
    except Exception as error:
        return Item("numba compiler", False, f"{type(error).__name__}: {error}")


def data_folders() -> list[Path]:
    """Where the notebooks look for data (``recsys_utils.datasets.data_dirs``), without importing pooch."""
    folders = []
    if os.environ.get("RECSYS_DATA_DIR"):
        folders.append(Path(os.environ["RECSYS_DATA_DIR"]).expanduser())
    try:
        import pooch

        folders.append(Path(pooch.os_cache("similar-music")))
    except ImportError:
        pass
    return folders


def check_data() -> Item:
    folders = data_folders()
    for folder in folders:
        if all((folder / name).is_file() for name in HETREC_FILES):
            return Item("Last.fm 2K data", True, str(folder / "hetrec2011-lastfm-2k"))
    where = ", ".join(map(str, folders)) or "RECSYS_DATA_DIR is not set"
    return Item("Last.fm 2K data", False, f"not in {where}: run `python -m recsys_utils fetch lastfm-2k`, "
                                          "or set RECSYS_DATA_DIR to the data folder of the workshop pack")


def check_chromium() -> Item:
    path = os.environ.get("CHROMIUM_PATH") or next(
        (found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))), None)
    if path:
        return Item("chromium", True, f"{path} (for the explorer page's browser tests)", required=False)
    return Item("chromium", False, "only the explorer page's browser tests need it "
                                   "(Debian: apt-get install chromium)", required=False)


def java_version() -> int | None:
    """The major version of the ``java`` Spark would start (``$JAVA_HOME/bin/java``, else ``java`` on PATH).

    Returns None where there is no Java to run.
    """
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home, "bin", "java")) if home else shutil.which("java")
    if not java or not Path(java).exists():
        return None
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major  # "1.8" is Java 8


def check_java() -> Item:
    version = java_version()
    if version is not None and version >= MIN_JAVA:
        return Item("java", True, f"Java {version} (for Spark, notebook 05)", required=False)
    found = "not found" if version is None else f"Java {version} is too old"
    return Item("java", False, f"{found}: only notebook 05 (Spark) needs Java {MIN_JAVA}+ "
                               "(Debian: apt-get install openjdk-17-jre-headless; conda: openjdk=17)", required=False)


def check_disk(path: Path | None = None, needed_gb: float = 2.0) -> Item:
    """Free space for the environment (1.2 GB installed from the workshop pack) and the notebooks' outputs."""
    path = path or Path.cwd()
    free = shutil.disk_usage(path).free / 1e9
    return Item("disk space", free >= needed_gb, f"{free:.1f} GB free in {path} (need about {needed_gb:.0f} GB)")


def run_checks() -> list[Item]:
    """Every check, in the order printed."""
    items = [check_python()]
    items += [check_package(module, pip_name) for module, pip_name in REQUIRED.items()]
    if all(item.ok for item in items if item.name == "numba"):
        items.append(check_numba())
    items += [check_package(module, pip_name, required=False) for module, pip_name in OPTIONAL.items()]
    items += [check_data(), check_chromium(), check_java(), check_disk()]
    return items


def main() -> int:
    """Print the report; 0 when everything required is there, else 1."""
    items = run_checks()
    print("similar-music setup check\n")
    for item in items:
        print(item.line())
    missing = [item for item in items if item.required and not item.ok]
    if missing:
        print(f"\n{len(missing)} required item(s) missing: {', '.join(item.name for item in missing)}. "
              "See WORKSHOP.md, 'Common errors and their fixes'.")
        return 1
    print("\nEverything the notebooks need is here.")
    return 0


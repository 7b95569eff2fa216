"""environment.yml (conda-forge) and pyproject.toml (pip) list the same packages."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONDA_TO_PIP = {"python-annoy": "annoy", "python-xxhash": "xxhash"}
#: conda-forge packages pip has no counterpart for.
CONDA_ONLY = {"openjdk"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_names = {_name(r) for r in project["dependencies"]}
    pip_names |= {_name(r) for extra in project["optional-dependencies"].values() for r in extra}
    conda_names = set()
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("\ndependencies:", 1)[1].splitlines():
        match = re.match(r"^  - ([A-Za-z0-9_.-]+)", line)  # top-level conda packages only
        if match and match.group(1) not in ("python", "pip", *CONDA_ONLY):
            conda_names.add(CONDA_TO_PIP.get(match.group(1), match.group(1)).lower())
    assert conda_names == pip_names


def _package_imports() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (relative imports, at any depth in the file)."""
    import ast

    graph = {}
    for path in (ROOT / "recsys_utils").glob("*.py"):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                imported |= {node.module} if node.module else {alias.name for alias in node.names}
        graph[path.stem] = imported - {path.stem}
    return graph


def test_the_package_has_no_import_cycle_and_utils_is_a_leaf():
    graph = _package_imports()
    assert graph["utils"] == set()
    state = {}

    def visit(module, trail):
        if state.get(module) == "open":
            raise AssertionError(f"import cycle: {' -> '.join(trail + [module])}")
        if state.get(module) != "done":
            state[module] = "open"
            for other in graph.get(module, ()):
                visit(other, trail + [module])
            state[module] = "done"

    for module in graph:
        visit(module, [])


def test_notebooks_call_only_public_names():
    import json

    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for i, cell in enumerate(json.loads(path.read_text())["cells"]):
            if cell["cell_type"] == "code":
                private = re.findall(r"\.(_[a-z]\w*)\b", "".join(cell["source"]))
                assert not private, f"{path.name} cell {i} uses {private}"

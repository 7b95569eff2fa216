"""Workshop mode: exercises in the notebooks, student copies without solutions, and the teacher's guide.

An exercise in a notebook is three consecutive cells:

1. a markdown cell tagged ``exercise`` whose first line is
   ``### Exercise N.K: Title`` and whose last line is ``*About M minutes.*``;
2. a code cell tagged ``solution`` (collapsed in JupyterLab by the cell
   metadata ``jupyter.source_hidden``);
3. a code cell tagged ``check``, exactly :data:`CHECK_CELL` with its number: the
   check itself lives in :mod:`recsys_utils.exercise_checks`, so that the
   student copy does not show the answer.

:func:`student_copy` replaces each solution by a stub that raises
``NotImplementedError("Exercise N.K: Title")`` and clears every output;
:func:`build_workshop` writes the student and teacher copies and
``WORKSHOP.md`` (``make workshop``).
"""

from __future__ import annotations

import re
import shutil
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path

import nbformat

HEADING = re.compile(r"^### Exercise (\d+)\.(\d+): (.+?)\s*$")
MINUTES = re.compile(r"^\*About (\d+) minutes\.\*\s*$")
RUNTIME = re.compile(r"this notebook ran in ([\d.]+) s")
NOTEBOOK_NUMBERS = {"01_load": 1, "02_lsa": 2, "03_als": 3, "04_ann": 4, "05_spark": 5, "06_lmf_bpr": 6,
                    "explorer": 7}
#: Time to walk a room through a notebook before its exercises (a suggestion for the schedule).
TEACHING_MINUTES = {"01_load": 20, "02_lsa": 30, "03_als": 40, "04_ann": 30, "05_spark": 30, "06_lmf_bpr": 30,
                    "explorer": 10}


#: The source of every check cell.
CHECK_CELL = 'from recsys_utils.exercise_checks import check\ncheck("{number}", globals())'


class ExerciseFormatError(ValueError):
    """A notebook's exercise cells do not follow the format of the module docstring."""


@dataclass
class Exercise:
    """One exercise: its number, title, minutes and cell positions (markdown, solution, check)."""

    notebook: str
    number: str
    title: str
    minutes: int
    cells: tuple[int, int, int]

    @property
    def stub(self) -> str:
        """The code a student finds in place of the solution."""
        return (f"# Exercise {self.number}: your code here (the task is in the cell above).\n"
                f"raise NotImplementedError({f'Exercise {self.number}: {self.title}'!r})")


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def exercises(notebook, name: str) -> list[Exercise]:
    """The exercises of ``notebook`` (a NotebookNode) called ``name``, checked against the format.

    Raises
    ------
    ExerciseFormatError
        A cell out of place, a heading or minutes line missing, numbers out of order.
    """
    if name not in NOTEBOOK_NUMBERS:
        raise ExerciseFormatError(f"notebook {name!r} has no exercise number: add it to NOTEBOOK_NUMBERS "
                                  "and TEACHING_MINUTES in recsys_utils/workshop.py")
    found = []
    cells = notebook.cells
    expected_n = NOTEBOOK_NUMBERS[name]
    for i, cell in enumerate(cells):
        if "exercise" not in tags(cell):
            if "solution" in tags(cell) and not (i and "exercise" in tags(cells[i - 1])):
                raise ExerciseFormatError(f"{name} cell {i}: a solution that does not follow an exercise")
            if "check" in tags(cell) and not (i and "solution" in tags(cells[i - 1])):
                raise ExerciseFormatError(f"{name} cell {i}: a check that does not follow a solution")
            continue
        lines = cell.source.strip().splitlines()
        heading = HEADING.match(lines[0]) if lines else None
        minutes = MINUTES.match(lines[-1]) if lines else None
        if cell.cell_type != "markdown" or not heading or not minutes:
            raise ExerciseFormatError(f"{name} cell {i}: an exercise is a markdown cell from "
                                      "'### Exercise N.K: Title' to '*About M minutes.*'")
        if i + 2 >= len(cells) or "solution" not in tags(cells[i + 1]) or "check" not in tags(cells[i + 2]) \
                or cells[i + 1].cell_type != "code" or cells[i + 2].cell_type != "code":
            raise ExerciseFormatError(f"{name} cell {i}: an exercise is followed by a solution and a check cell")
        n, k = int(heading.group(1)), int(heading.group(2))
        if n != expected_n or k != len(found) + 1:
            raise ExerciseFormatError(f"{name} cell {i}: exercise {n}.{k} out of order "
                                      f"(expected {expected_n}.{len(found) + 1})")
        if cells[i + 2].source.strip() != CHECK_CELL.format(number=f"{n}.{k}"):
            raise ExerciseFormatError(f"{name} cell {i + 2}: a check cell is exactly "
                                      f"{CHECK_CELL.format(number=f'{n}.{k}')!r}")
        found.append(Exercise(name, f"{n}.{k}", heading.group(3), int(minutes.group(1)), (i, i + 1, i + 2)))
    return found


def student_copy(notebook, name: str):
    """A copy of ``notebook`` for students: solutions replaced by stubs, no outputs, no run metadata."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor, ClearOutputPreprocessor

    copy = deepcopy(notebook)
    for exercise in exercises(copy, name):
        solution = copy.cells[exercise.cells[1]]
        solution.source = exercise.stub
        solution.metadata.pop("jupyter", None)  # the stub is meant to be seen
    copy, _ = ClearOutputPreprocessor().preprocess(copy, {})
    copy, _ = ClearMetadataPreprocessor(preserve_cell_metadata_mask={"tags"},
                                        preserve_nb_metadata_mask={"kernelspec", "language_info"}).preprocess(copy, {})
    return copy


def teacher_copy(notebook, name: str):
    """The full notebook, with every solution collapsed (``jupyter.source_hidden``)."""
    copy = deepcopy(notebook)
    for exercise in exercises(copy, name):
        copy.cells[exercise.cells[1]].metadata.setdefault("jupyter", {})["source_hidden"] = True
    return copy


def learning_goals(notebook) -> list[str]:
    """The bullets under "**What you will learn**" in the notebook's first cell."""
    text = notebook.cells[0].source
    if "**What you will learn**" not in text:
        return []
    section = text.split("**What you will learn**", 1)[1].split("**", 1)[0]
    goals, current = [], None
    for line in section.splitlines():
        if line.startswith("* "):
            current = line[2:].strip()
            goals.append(current)
        elif line.startswith("  ") and goals:
            goals[-1] += " " + line.strip()
    return goals


def runtime_seconds(notebook) -> float | None:
    """The runtime the notebook printed when its outputs were committed, if it did."""
    for cell in reversed(notebook.cells):
        for output in cell.get("outputs", []):
            match = RUNTIME.search(output.get("text", ""))
            if match:
                return float(match.group(1))
    return None


def build_workshop(notebooks_dir: str | Path = "notebooks", out_dir: str | Path = "out/workshop") -> Path:
    """Write ``out_dir/student/``, ``out_dir/teacher/`` and ``out_dir/WORKSHOP.md``; return ``out_dir``.

    The folder is written next to ``out_dir`` and then moved into place, so
    an interrupted build never leaves a half-written workshop.
    """
    notebooks_dir, out_dir = Path(notebooks_dir), Path(out_dir)
    paths = sorted(notebooks_dir.glob("*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"no notebooks in {notebooks_dir}")
    partial = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    (partial / "student").mkdir(parents=True)
    (partial / "teacher").mkdir()
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        nbformat.write(student_copy(notebook, path.stem), partial / "student" / path.name)
        nbformat.write(teacher_copy(notebook, path.stem), partial / "teacher" / path.name)
    (partial / "WORKSHOP.md").write_text(notebook_guide(notebooks_dir), encoding="utf-8")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    partial.rename(out_dir)
    return out_dir


def guide(summaries: list[tuple[str, object, list[Exercise]]]) -> str:
    """The teacher's guide, WORKSHOP.md, from each notebook's goals, exercises and measured runtime."""
    rows, sections = [], []
    total = 0
    for name, notebook, found in summaries:
        runtime = runtime_seconds(notebook)
        exercise_minutes = sum(exercise.minutes for exercise in found)
        slot = TEACHING_MINUTES[name] + exercise_minutes
        total += slot
        rows.append(f"| `{name}` | {f'{runtime:.0f} s' if runtime is not None else 'n/a'} | {len(found)} "
                    f"| {exercise_minutes} min | {slot} min |")
        goals = "\n".join(f"- {goal}" for goal in learning_goals(notebook)) or "- (see the notebook's opening)"
        listed = "\n".join(f"- **{e.number}** {e.title} (about {e.minutes} minutes)" for e in found)
        sections.append(f"### `{name}`\n\nLearning goals:\n\n{goals}\n\nExercises:\n\n{listed or '- none'}\n")
    return GUIDE.format(schedule="\n".join(rows), total_hours=total / 60, notebooks="\n".join(sections))


GUIDE = """\
# Teaching with similar-music: the workshop guide

*Written by `make workshop` (recsys_utils.workshop) from the notebooks themselves: the goals are
each notebook's "What you will learn", the exercise times are the exercises' own estimates, and
the run times are what each notebook printed when its outputs were committed (Last.fm 2K, 2 cores).*

## What `make workshop` wrote

- `student/`: the notebooks for the room. Every solution is replaced by a stub that raises
  `NotImplementedError("Exercise N.K: ...")`, and every output is cleared. Run a student
  notebook from the top: it stops at the first exercise, which is where the class works. A
  check cell is one call, `check("N.K", globals())`: the expected answers live in the package
  (`recsys_utils.exercise_checks`), not in the notebook.
- `teacher/`: the full notebooks with their outputs. Solutions are collapsed (JupyterLab: click
  the bar beside a cell to open it). Each exercise is followed by a check cell that says
  whether the answer is right, and why not.

## Schedule

| notebook | run time on Last.fm 2K | exercises | exercise time | suggested slot (teaching + exercises) |
| --- | ---: | ---: | ---: | ---: |
{schedule}

In all about {total_hours:.1f} hours, plus breaks; the teaching times are suggestions, the
exercise times the exercises' estimates. Run each notebook once on every laptop before the
session: the first run also compiles numba's kernels.

## Notebooks, goals and exercises

{notebooks}
## Setting up a room without reliable internet

Before the day, on one machine with internet and the same operating system, processor
architecture and Python version as the laptops:

1. `make data-pack` writes `out/similar-music-pack.tar`: the project, a wheel of every package
   it needs (`pip wheel`, so Annoy is compiled once, here) and the Last.fm 2K data. Copy it to
   USB sticks. (The data is licensed for non-commercial use only; so is the workshop copy.)
2. Try the pack on one laptop, as below, and run the notebooks once.

On each laptop, from the stick (no internet needed):

```bash
tar -xf similar-music-pack.tar && cd similar-music-pack
sh install.sh                 # project/.venv from wheels/ only: pip install --no-index --find-links wheels
export RECSYS_DATA_DIR="$PWD/data"   # in every shell that starts JupyterLab (install.sh prints it)
cd project && make check-setup && .venv/bin/jupyter lab
```

With internet, instead:
`make venv` and `.venv/bin/python -m recsys_utils fetch lastfm-2k` (downloads the data and
checks it).

**Check every laptop with one command**: `make check-setup` prints one line per item (Python,
every package, numba's compiler, the data, disk space, and optionally Chromium) and ends with
what is missing. Go round the room until every laptop says "Everything the notebooks need is
here."

## Common errors and their fixes

| what you see | why | fix |
| --- | --- | --- |
| `NotImplementedError: Exercise 2.1: ...` | the notebook reached an exercise: that is the student's cell to write | write the code, run the cell, then the check cell below it |
| an `AssertionError` in a check cell | the answer is not right yet; the message says what is wrong | read the message, change the solution cell, run both again |
| `DatasetUnavailableError` or a download error | no internet and no data | set `RECSYS_DATA_DIR` to the pack's `data` folder, or run `python -m recsys_utils fetch lastfm-2k` where there is internet |
| `make check-setup` says a package is MISSING | the install was interrupted or used another Python | run `sh install.sh` again from the pack (or `make venv` online) and start JupyterLab from `.venv/bin/jupyter lab` |
| `pip install annoy` fails with a compiler error | Annoy is built from source by pip | use the pack (its wheel is prebuilt), or conda: `conda env create -f environment.yml` |
| the first ALS or NN-descent cell is slow | numba compiles on first use (NN-descent: about 30 s, see the README's benchmarks) and caches the result | wait once; later runs are fast |
| the explorer widget shows text instead of a box | the notebook is viewed without a running kernel, or ipywidgets is missing | run the notebook in JupyterLab from the project's environment |
| a kernel dies on Last.fm 360K | the full data needs up to 1.6 GB per step (README) on top of the notebook | workshops use Last.fm 2K (the default); leave `RECSYS_DATASET` unset |
"""


def notebook_guide(notebooks_dir: str | Path = "notebooks") -> str:
    """WORKSHOP.md for the notebooks in ``notebooks_dir``, as :func:`build_workshop` writes it."""
    summaries = []
    for path in sorted(Path(notebooks_dir).glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        summaries.append((path.stem, notebook, exercises(notebook, path.stem)))
    return guide(summaries)


def main(argv: list[str] | None = None) -> Path:
    """Command line: ``python -m recsys_utils workshop [--notebooks DIR] [--output DIR] [--guide PATH]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m recsys_utils workshop",
                                     description="Write student and teacher copies of the notebooks and WORKSHOP.md.")
    parser.add_argument("--notebooks", default="notebooks")
    parser.add_argument("--output", default="out/workshop")
    parser.add_argument("--guide", help="also copy WORKSHOP.md here (make workshop: the repository's copy)")
    args = parser.parse_args(argv)
    out = build_workshop(args.notebooks, args.output)
    print(f"wrote {out}/student, {out}/teacher and {out}/WORKSHOP.md")
    if args.guide:
        shutil.copyfile(out / "WORKSHOP.md", args.guide)
        print(f"copied the guide to {args.guide}")
    return out

"""Workshop mode: exercise format, student and teacher copies, the guide, and student notebooks run to their first stub.

That every solution passes its check on Last.fm 2K is tested by nbval, which
runs every notebook, solutions and checks included (`make test`).
"""

import os
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from recsys_utils.workshop import (ExerciseFormatError, build_workshop, exercises, guide, learning_goals,
                                   runtime_seconds, student_copy, teacher_copy)

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def read(path):
    return nbformat.read(path, as_version=4)


@pytest.fixture(scope="module")
def workshop(tmp_path_factory):
    return build_workshop(NOTEBOOKS[0].parent, tmp_path_factory.mktemp("build") / "workshop")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_has_three_well_formed_exercises_with_collapsed_solutions(path):
    notebook = read(path)
    found = exercises(notebook, path.stem)
    assert len(found) >= 3, f"{path.name} has {len(found)} exercises; a workshop needs at least three"
    for exercise in found:
        _, solution, check = (notebook.cells[i] for i in exercise.cells)
        assert solution.metadata.get("jupyter", {}).get("source_hidden") is True, exercise.number
        assert 1 <= exercise.minutes <= 60  # the check cell's form is checked by exercises()
        assert "NBVAL_CHECK_OUTPUT" not in solution.source + check.source


def mini_notebook(cells):
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})


def exercise_cells(number="1.1", minutes_line="*About 5 minutes.*"):
    return [new_markdown_cell(f"### Exercise {number}: Add\n\nSet `total` to 1 + 1.\n\n{minutes_line}",
                              metadata={"tags": ["exercise"]}),
            new_code_cell("total = 1 + 1", metadata={"tags": ["solution"]}),
            new_code_cell(f'from recsys_utils.exercise_checks import check\ncheck("{number}", globals())',
                          metadata={"tags": ["check"]})]


@pytest.mark.parametrize("cells, match", [
    (exercise_cells(minutes_line="five minutes"), "About M minutes"),
    (exercise_cells("1.2"), "out of order"),
    (exercise_cells("2.1"), "out of order"),
    (exercise_cells()[:2], "followed by a solution and a check"),
    (exercise_cells()[:2] + [new_code_cell('assert total == 2', metadata={"tags": ["check"]})], "exactly"),
    ([new_code_cell("x = 1", metadata={"tags": ["solution"]})], "does not follow an exercise"),
    ([new_code_cell("assert True", metadata={"tags": ["check"]})], "does not follow a solution"),
])
def test_badly_formed_exercises_are_reported(cells, match):
    with pytest.raises(ExerciseFormatError, match=match):
        exercises(mini_notebook(cells), "01_load")


def test_a_notebook_without_an_exercise_number_is_reported():
    with pytest.raises(ExerciseFormatError, match="NOTEBOOK_NUMBERS"):
        exercises(mini_notebook(exercise_cells()), "06_new")


def test_student_copy_has_stubs_and_no_outputs_and_the_original_is_untouched():
    notebook = mini_notebook([new_code_cell("x = 1", outputs=[nbformat.v4.new_output("stream", text="hi")],
                                            execution_count=3)] + exercise_cells())
    notebook.cells[2].metadata["jupyter"] = {"source_hidden": True}
    student = student_copy(notebook, "01_load")
    assert student.cells[2].source.endswith("raise NotImplementedError('Exercise 1.1: Add')")
    assert "jupyter" not in student.cells[2].metadata and student.cells[2].metadata["tags"] == ["solution"]
    assert student.cells[0].outputs == [] and student.cells[0].execution_count is None
    assert notebook.cells[2].source == "total = 1 + 1" and notebook.cells[0].outputs  # a copy was changed
    teacher = teacher_copy(notebook, "01_load")
    assert teacher.cells[2].source == "total = 1 + 1" and teacher.cells[0].outputs


def test_workshop_build_writes_students_teachers_and_guide(workshop):
    assert sorted(p.name for p in (workshop / "student").iterdir()) == [p.name for p in NOTEBOOKS]
    assert sorted(p.name for p in (workshop / "teacher").iterdir()) == [p.name for p in NOTEBOOKS]
    for path in NOTEBOOKS:
        original, student = read(path), read(workshop / "student" / path.name)
        found = exercises(original, path.stem)
        for cell in student.cells:
            assert cell.get("outputs", []) == [] and cell.get("execution_count") is None, path.name
        solution_lines = {line.strip() for e in found for line in original.cells[e.cells[1]].source.splitlines()
                          if len(line.strip()) > 12 and not line.strip().startswith("#")}
        student_text = "\n".join(cell.source for cell in student.cells)
        leaked = {line for line in solution_lines if line in student_text}
        # A solution line may repeat a line the notebook already has elsewhere; nothing else may show.
        elsewhere = "\n".join(c.source for i, c in enumerate(original.cells)
                              if i not in {e.cells[1] for e in found})
        assert {line for line in leaked if line not in elsewhere} == set(), path.name
        for exercise in found:
            assert student.cells[exercise.cells[1]].source == exercise.stub
        teacher = read(workshop / "teacher" / path.name)
        assert [c.source for c in teacher.cells] == [c.source for c in original.cells]
    assert not (workshop.parent / "workshop.partial").exists()


def test_guide_has_schedule_goals_exercises_setup_and_errors(workshop):
    text = (workshop / "WORKSHOP.md").read_text()
    for path in NOTEBOOKS:
        notebook = read(path)
        assert f"| `{path.stem}` |" in text
        for exercise in exercises(notebook, path.stem):
            assert f"**{exercise.number}** {exercise.title}" in text
        for goal in learning_goals(notebook)[:1]:
            assert goal in text
    for needed in ("python -m recsys_utils fetch lastfm-2k", "make data-pack", "make check-setup",
                   "pip install --no-index", "Common errors and their fixes", "NotImplementedError"):
        assert needed in text, needed


def test_the_repository_guide_is_the_one_the_build_writes():
    from recsys_utils.workshop import notebook_guide

    committed = (NOTEBOOKS[0].parents[1] / "WORKSHOP.md").read_text(encoding="utf-8")
    assert committed == notebook_guide(NOTEBOOKS[0].parent), "WORKSHOP.md is stale: run `make workshop`"


def test_learning_goals_and_runtime_are_read_from_the_notebook():
    notebook = read(NOTEBOOKS[0])
    goals = learning_goals(notebook)
    assert len(goals) >= 2 and all(goal and not goal.startswith("*") for goal in goals)
    assert runtime_seconds(notebook) is not None
    empty = mini_notebook([new_markdown_cell("# Title")])
    assert learning_goals(empty) == [] and runtime_seconds(empty) is None
    assert "n/a" in guide([("01_load", empty, [])])


def test_workshop_command_line(tmp_path):
    from recsys_utils.__main__ import main

    assert main(["workshop", "--notebooks", str(NOTEBOOKS[0].parent), "--output", str(tmp_path / "w"),
                 "--guide", str(tmp_path / "guide.md")]) == 0
    assert (tmp_path / "w" / "WORKSHOP.md").read_text() == (tmp_path / "guide.md").read_text()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_student_notebook_runs_to_its_first_stub_and_fails_there_only(path, workshop, hetrec_2k, tmp_path):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    if path.stem == "05_spark":
        from recsys_utils.spark import spark_unavailable

        reason = spark_unavailable()
        if reason and os.environ.get("RECSYS_REQUIRE_SPARK"):
            pytest.fail(f"RECSYS_REQUIRE_SPARK is set but {reason}")
        if reason:
            pytest.skip(f"notebook 05 runs Spark: {reason}")
    student = read(workshop / "student" / path.name)
    first = exercises(read(path), path.stem)[0]
    # Only the cells up to the first stub: what a student runs before the first exercise.
    student.cells = student.cells[:first.cells[1] + 1]
    client = NotebookClient(student, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(workshop / "student")}})  # where students run it
    with pytest.raises(CellExecutionError) as error:
        client.execute()
    assert (error.value.ename, error.value.evalue) == ("NotImplementedError", f"Exercise {first.number}: {first.title}")
    failed = [i for i, cell in enumerate(student.cells)
              if any(output.get("output_type") == "error" for output in cell.get("outputs", []))]
    assert failed == [first.cells[1]], f"{path.name}: errors in cells {failed}"

"""The generated parts of the handout (points table, Colab badges) and of README.md."""
from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from autograder import KIT_ROOT, handout
from autograder.grading.manifest import TESTS, max_score
from autograder.release import GRADED_CELLS_FILE


def graded_cells() -> dict:
    return json.loads((KIT_ROOT / GRADED_CELLS_FILE).read_text())["notebooks"]


def test_committed_handout_and_readme_are_up_to_date():
    assert handout.differences(KIT_ROOT) == [], "run: python -m autograder release"


def test_the_table_adds_up_to_the_graders_points():
    table = handout.points_table(TESTS, graded_cells())
    rows = [line.split("|") for line in table.splitlines() if line.startswith("| `")]
    code = sum(float(row[5]) for row in rows if "written answer" not in row[2])
    written = sum(float(row[5]) for row in rows if "written answer" in row[2])
    assert code == max_score(TESTS)
    expected_written = sum(cell["points"] for cells in graded_cells().values() for cell in cells
                           if cell["kind"] == "written_answer")
    assert written == expected_written > 0
    assert f"**{code + written:g}**" in table
    for function in {spec.function for spec in TESTS}:
        assert f"`{function}`" in table


def test_notebook_runs_have_their_own_rows():
    from autograder.grading.manifest import NOTEBOOK_TESTS

    table = handout.points_table(TESTS, graded_cells(), NOTEBOOK_TESTS)
    rows = [line.split("|") for line in table.splitlines() if "your code cells run" in line]
    assert len(rows) == 3
    assert sum(float(row[5]) for row in rows) == sum(spec.points for spec in NOTEBOOK_TESTS) > 0
    assert f"notebooks: {sum(spec.points for spec in NOTEBOOK_TESTS):g} points" in table


def test_the_table_follows_the_manifest():
    cheaper = tuple(replace(spec, points=0) if spec.function == "predict_labels" else spec for spec in TESTS)
    table = handout.points_table(cheaper, graded_cells())
    assert re.search(r"`predict_labels` \| [^|]+ \| 4 \| 0 \|", table)
    with pytest.raises(ValueError, match="no part declares"):
        handout.points_table((*TESTS, replace(TESTS[0], id="x", function="new_function")), graded_cells())


def test_badges_follow_the_single_colab_path_setting():
    readme = (KIT_ROOT / "README.md").read_text()
    assert handout.colab_path(readme) == handout.PLACEHOLDER_PATH
    badges = handout.colab_badges("uni/ml-course/blob/2025")
    for name in ("knn", "svm", "softmax"):
        assert f"https://colab.research.google.com/github/uni/ml-course/blob/2025/notebooks/{name}.ipynb" in badges
        assert (KIT_ROOT / "notebooks" / f"{name}.ipynb").is_file()
    edited = readme.replace(handout.PLACEHOLDER_PATH, "uni/ml-course/blob/2025", 1)
    assert handout.colab_path(edited) == "uni/ml-course/blob/2025"


def test_a_missing_region_is_a_clear_error():
    with pytest.raises(ValueError, match="BEGIN GENERATED: points"):
        handout.replace_region("no markers here", "points", "table")

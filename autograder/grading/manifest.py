"""The hidden tests: what each is called, what it is worth, what a student reads when it fails.

Gathered from the parts (:data:`~.checks.PARTS`): each part's module declares its functions and
their tests (``PART_FUNCTIONS``, ``PART_TESTS``) beside the plans that run and judge them, keyed
by the same ids. Failure messages explain what to look at; they never quote inputs or expected
values. The notebooks' own tests are declared here.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from autograder import KIT_ROOT
from autograder.grading.checks import PARTS
from autograder.grading.checks.plans import GradedFunction
from autograder.grading.checks.plans import hidden_test as _t
from autograder.grading.results import TestSpec

#: Every graded student function, part by part (each is declared in its part's module, next to its
#: hidden tests and their plans: ``checks/knn.py``, ``checks/losses.py``, ``checks/linear_classifier.py``).
FUNCTIONS: tuple[GradedFunction, ...] = tuple(function for part in PARTS for function in part.PART_FUNCTIONS)
#: Every hidden code test, part by part, in the order of the assignment.
TESTS: tuple[TestSpec, ...] = tuple(test for part in PARTS for test in part.PART_TESTS)


#: Tests of a property of a function (no loops, no forbidden helper, speed and memory, inputs
#: left unchanged, no NaN),
#: not of its values. They count only when the function computes something close to the right
#: answer (one of its value tests passes or names a recognisable slip: see ``checks.judging.ATTEMPT``),
#: so a placeholder earns nothing, and a formula slip costs the value tests alone.
PROPERTY_SUFFIXES = (".inputs_unchanged", ".no_python_loops", ".speed", ".near_duplicates", ".no_helpers")


def is_property(spec: TestSpec) -> bool:
    return spec.id.endswith(PROPERTY_SUFFIXES)


def tests_by_id() -> dict[str, TestSpec]:
    return {spec.id: spec for spec in TESTS}


def max_score(tests: tuple[TestSpec, ...] = TESTS) -> float:
    return float(sum(spec.points for spec in tests))


#: Tests of the notebooks themselves (run by ``grade --notebooks``): the student's answer cells run
#: on a small synthetic CIFAR-10 in the sandbox, and the run writes a well-formed results file.
#: The submitted results are checked against the schema and, with real data, reproduced (0 points).
NOTEBOOK_TESTS: tuple[TestSpec, ...] = tuple(
    test
    for name, cells in (("knn", "cross-validation and choosing k"), ("svm", "hyperparameter search"),
                        ("softmax", "hyperparameter search"))
    for test in (
        _t(f"notebook.{name}.runs", f"{name}.ipynb", 1, f"{name}.ipynb: your cells ({cells}) run without error",
           f"The grader ran {name}.ipynb (your answer cells in the original notebook) on a small synthetic "
           "CIFAR-10; one of your cells raised an error, timed out, or the notebook could not be read."),
        _t(f"notebook.{name}.results", f"{name}.ipynb", 1,
           f"{name}.ipynb: the run writes notebooks/results/{name}.json",
           f"Running {name}.ipynb top to bottom must end by writing a complete notebooks/results/{name}.json "
           "(the last locked cell does it when your variables are set)."),
        _t(f"notebook.{name}.submitted_results", f"{name}.ipynb", 0,
           f"{name}.ipynb: submitted results file (informational)",
           f"notebooks/results/{name}.json is missing or malformed: run the whole notebook and submit again."),
    )
)


def graded_specs(notebooks: bool, tests: tuple[TestSpec, ...] = TESTS) -> tuple[TestSpec, ...]:
    """Every test a run scores: the code tests, plus the notebooks' unless the instructor opted out
    (``--no-notebooks``). A "could not grade" result uses the same list, so its maximum matches."""
    return (*tests, *NOTEBOOK_TESTS) if notebooks else tuple(tests)


#: The released fingerprints of the graded notebook cells, with the written answers' points; the
#: Gradescope bundle carries this file too.
GRADED_CELLS = KIT_ROOT / "cs_utils" / "_grading" / "graded_cells.json"


@cache
def written_answer_points(graded_cells: Path = GRADED_CELLS) -> float:
    """The points of the written answers, which the course staff grade by hand, not this grader.

    Read from ``graded_cells.json`` (written by the release from the notebooks' nbgrader
    metadata): the ``points`` of every cell of kind ``written_answer``.
    """
    notebooks = json.loads(Path(graded_cells).read_text(encoding="utf-8"))["notebooks"]
    return float(sum(cell["points"] or 0 for cells in notebooks.values() for cell in cells
                     if cell["kind"] == "written_answer"))


def assignment_points() -> float:
    """What the whole assignment is worth: the code, the notebook runs and the written answers."""
    return max_score(graded_specs(True)) + written_answer_points()


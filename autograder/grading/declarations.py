"""Do the hidden tests, their plans and the reference agree? Checked before anything is graded.

The manifest (:mod:`.manifest`) declares each hidden test by id; :func:`.checks.plan_builders`
maps ids to the code that builds and judges the test. An id in one and not the other is an
instructor's slip (a typo in a new test's id, a plan left behind by a removed test), and would
otherwise surface late: as a ``KeyError`` that makes every submission "could not grade", or as a
plan that runs for nothing. :func:`problems` lists every such slip in words an instructor can
act on. ``python -m autograder release --check`` prints them and the Gradescope bundle is not
built while there are any; ``grade``, ``grade-all`` and ``demo`` stop before grading anyone when a
declared test has no plan (:class:`~.runner.PlanSet`).
"""
from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from autograder import SOURCE_ROOT
from autograder.grading import manifest
from autograder.grading.results import TestSpec

#: The reference modules whose functions and methods the code tests may name.
CLASSIFIERS = SOURCE_ROOT / "cs_utils" / "classifiers"
NOTEBOOKS = SOURCE_ROOT / "notebooks"


class DeclarationError(Exception):
    """The hidden tests are declared inconsistently; the message lists every problem."""


def problems(code_tests: tuple[TestSpec, ...] | None = None, notebook_tests: tuple[TestSpec, ...] | None = None,
             builders: Iterable[str] | None = None) -> list[str]:
    """Every inconsistency between the declared tests, their plans and the reference.

    Parameters
    ----------
    code_tests, notebook_tests : tuple of TestSpec, optional
        The declarations (default: the manifest's, read when called).
    builders : iterable of str, optional
        The test ids that have a plan builder (default: those of :func:`.checks.plan_builders`
        for the reference).

    Returns
    -------
    list of str
        One sentence per problem, naming the test id and what to change; empty when consistent.
    """
    code_tests = manifest.TESTS if code_tests is None else code_tests
    notebook_tests = manifest.NOTEBOOK_TESTS if notebook_tests is None else notebook_tests
    if builders is None:
        builders = _builder_ids()
    planned = set(builders)
    found: list[str] = []
    counts = Counter(spec.id for spec in (*code_tests, *notebook_tests))
    found += [f"test id {test_id!r} is declared {count} times (the parts' PART_TESTS in autograder/grading/checks/, "
              "and manifest.NOTEBOOK_TESTS): ids must be unique"
              for test_id, count in sorted(counts.items()) if count > 1]
    declared = {spec.id for spec in code_tests}
    found += missing_plans(code_tests, planned)
    found += [f"plan {test_id!r} in autograder/grading/checks/ has no declaration in its part's PART_TESTS: it "
              "would never be run or scored (declare it, or remove the plan)" for test_id in sorted(planned - declared)]
    functions = reference_functions()
    found += [f"test {spec.id!r} is charged to {spec.function!r}, which the reference in "
              f"autograder/source/cs_utils/classifiers/ does not define" for spec in code_tests
              if spec.function not in functions]
    declared_functions = {function.name for function in manifest.FUNCTIONS}
    from autograder.handout import NOTEBOOKS as HANDOUT_NOTEBOOKS

    names = Counter(function.name for function in manifest.FUNCTIONS)
    found += [f"function {name!r} is declared {count} times in the parts' PART_FUNCTIONS: names must be unique"
              for name, count in sorted(names.items()) if count > 1]
    found += [f"function {function.name!r} is declared for notebook {function.notebook!r}, which is not one of "
              f"{', '.join(HANDOUT_NOTEBOOKS)}: the handout and the self-check would leave it out"
              for function in manifest.FUNCTIONS if function.notebook not in HANDOUT_NOTEBOOKS]
    found += [f"test {spec.id!r} is charged to {spec.function!r}, which no part declares in PART_FUNCTIONS "
              "(autograder/grading/checks/): the handout's points table and the self-check would leave it out"
              for spec in code_tests if spec.function in functions and spec.function not in declared_functions]
    notebooks = {f"{path.stem}.ipynb" for path in NOTEBOOKS.glob("*.py")}
    found += [f"notebook test {spec.id!r} is charged to {spec.function!r}, which is not one of the notebooks "
              f"({', '.join(sorted(notebooks))})" for spec in notebook_tests if spec.function not in notebooks]
    return found


def missing_plans(tests: Iterable[TestSpec], builders: Iterable[str]) -> list[str]:
    """One sentence per declared test that no plan builder makes (a typo in the id?)."""
    planned = set(builders)
    return [f"test {test_id!r} is declared but no plan builder in autograder/grading/checks/ makes it "
            "(a typo in the id?): every submission would be 'could not grade'"
            for test_id in sorted({spec.id for spec in tests} - planned)]


def require_consistent(found: list[str] | None = None) -> None:
    """Raise :class:`DeclarationError` listing ``found`` (default: every problem :func:`problems`
    finds), if there is any."""
    found = problems() if found is None else found
    if found:
        raise DeclarationError("the hidden tests are declared inconsistently, so nothing was graded:\n  "
                               + "\n  ".join(found)
                               + "\nFix the declarations or plans in autograder/grading/checks/, then run "
                                 "'python -m autograder release --check'.")


def reference_functions(folder: Path = CLASSIFIERS) -> set[str]:
    """The functions and methods the reference classifier modules define (``name`` and ``Class.name``)."""
    names: set[str] = set()
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                names.add(node.name)
            elif isinstance(node, ast.ClassDef):
                names |= {f"{node.name}.{item.name}" for item in node.body if isinstance(item, ast.FunctionDef)}
                names |= {item.name for item in node.body if isinstance(item, ast.FunctionDef)}
    return names


def _builder_ids() -> set[str]:
    from autograder.grading import checks
    from autograder.grading.reference import load_reference

    return set(checks.plan_builders(load_reference()))


def failures_on_the_reference(tests: tuple[TestSpec, ...] | None = None) -> list[str]:
    """One sentence per hidden code test that the reference solution itself fails.

    The solution release is built in a temporary folder and graded like a student's submission
    (the sandbox, code tests only). A plan whose judge rejects the reference would cost every
    student its points: a new test's expected values, tolerance or inputs are wrong.

    Raises
    ------
    RuntimeError
        When no sandbox can start here (say so; the check could not be made). A reference that
        the sandbox does grade, but not fully ("could not grade", a broken promise), is a problem
        in the returned list, not this error.
    """
    import tempfile

    from autograder.grading.runner import Grader
    from autograder.grading.submission import Submission
    from autograder.release import build_release

    tests = manifest.TESTS if tests is None else tests
    with tempfile.TemporaryDirectory(prefix="reference-check-") as folder:
        solution = Path(folder) / "solution"
        build_release(solution, solutions=True)
        try:
            grader = Grader(notebooks=False, tests=tests)
        except (OSError, RuntimeError) as error:
            raise RuntimeError(f"no grading sandbox starts here ({error})") from error
        with grader:
            result = grader.grade(Submission("reference", solution))
    if result.status != "graded":
        return [f"the reference solution could not be graded ({result.staff_log.strip()[-400:]})"]
    return [f"test {t.spec.id!r} fails on the reference solution ({t.outcome.detail or 'failed'}): its plan's "
            "expected values, tolerance or inputs disagree with autograder/source" for t in result.tests
            if not t.outcome.passed]

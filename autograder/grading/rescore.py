"""What decides a stored result, and rescoring it when only the points or the words changed.

A test's *outcome* (passed or not, and why) depends on the submission, the plans and judges, the
harness that ran the calls, the reference and the notebook templates. Its *score*, name and
hint come from the manifest. So ``grade-all`` keys a stored result by :func:`outcome_fingerprint`
(which covers the first list and, of the manifest, only which tests exist and whom they charge)
and, when it reuses the result, scores the stored outcomes again with today's manifest
(:func:`rescore`): changing a test's points or fixing a typo in a hint regrades nobody, yet every
output shows the new points and words. Anything that can change an outcome changes the
fingerprint, and the submission is graded again.
"""
from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from autograder import KIT_ROOT, SOURCE_ROOT
from autograder.grading import manifest, scoring
from autograder.grading.results import GRADED, SubmissionResult, TestSpec

GRADING = Path(__file__).resolve().parent
#: The grader's files that decide outcomes (a folder stands for every ``.py`` file in it). Not
#: here: manifest.py (read through the specs instead), rendering, scoring, the batch machinery.
OUTCOME_FILES = ("checks", "harness.py", "runner.py", "static.py", "sandbox.py", "cgroups.py", "reference.py",
                 "snapshot.py", "submission.py", "submission_time.py", "intake_limits.py", "integrity.py",
                 "safe_text.py",
                 "notebook_intake.py", "notebook_run.py", "notebook_runner.py", "synthetic_data.py")
#: The released files the notebooks are rebuilt on and judged against.
#: (Paths only: the Gradescope bundle ships neither the release builder nor nbgrader.)
TEMPLATES = ("notebooks/knn.ipynb", "notebooks/svm.ipynb", "notebooks/softmax.ipynb",
             manifest.GRADED_CELLS.relative_to(KIT_ROOT).as_posix())


def outcome_fingerprint(seed: int = 0, notebooks: bool = True, *, kit_root: Path = KIT_ROOT) -> str:
    """A short hash of everything that can change a test's outcome (see the module docstring).

    Parameters
    ----------
    seed : int
        The hidden inputs' seed.
    notebooks : bool
        Whether the notebooks are graded (``--no-notebooks`` gives other outcomes).
    kit_root : Path
        The kit whose released notebook templates are hashed.

    Returns
    -------
    str
        16 hexadecimal digits.
    """
    digest = hashlib.sha256(f"seed={seed};notebooks={notebooks}".encode())
    for spec in manifest.graded_specs(notebooks, manifest.TESTS):
        digest.update(f"{spec.id}\0{spec.function}\n".encode())
    for name in OUTCOME_FILES:
        for path in _python_files(GRADING / name if (GRADING / name).exists() else GRADING.parent / name):
            digest.update(path.name.encode() + b"\0" + _without_declared_tests(path.read_bytes()))
    for path in sorted((SOURCE_ROOT / "cs_utils").rglob("*.py")):
        digest.update(str(path.relative_to(SOURCE_ROOT)).encode() + b"\0" + path.read_bytes())
    for relative in TEMPLATES:
        template = kit_root / relative
        digest.update(relative.encode() + b"\0" + (template.read_bytes() if template.is_file() else b"missing"))
    return digest.hexdigest()[:16]


def rescore(stored: SubmissionResult, specs: tuple[TestSpec, ...]) -> SubmissionResult:
    """``stored`` with its outcomes scored by ``specs`` (today's points, names and hints).

    A graded result keeps everything else (answers, events, notices, staff log); a test whose
    outcome was not stored counts as not run, which cannot happen while the fingerprint covers
    the list of tests. A "could not grade" result is returned as it is (it is graded again anyway).
    """
    if stored.status != GRADED:
        return stored
    tests = scoring.score_tests(specs, tuple(test.outcome for test in stored.tests))
    return replace(stored, tests=tests, score=sum(test.score for test in tests),
                   max_score=float(sum(spec.points for spec in specs)))


#: The assignment in a part's module that declares its tests' points, titles and hints (read
#: through the specs above, like the manifest): not part of what decides an outcome.
DECLARED_TESTS = "PART_TESTS"


def _without_declared_tests(source: bytes) -> bytes:
    """``source`` without the lines of its top-level ``PART_TESTS = ...`` statement, if it has one
    (a file that does not parse is hashed whole)."""
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return source
    lines = source.splitlines(keepends=True)
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == DECLARED_TESTS and node.end_lineno is not None):
            del lines[node.lineno - 1:node.end_lineno]
            break
    return b"".join(lines)


def _python_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(path.rglob("*.py"))
    return [path] if path.is_file() else []


def graded_notebooks(result: SubmissionResult) -> bool:
    """Whether ``result`` scored the notebooks (it was not graded with ``--no-notebooks``)."""
    return any(test.spec.id.startswith("notebook.") for test in result.tests)


def regraded(stored: SubmissionResult, partial: SubmissionResult, digest: str) -> SubmissionResult:
    """``stored`` with the outcomes of ``partial`` (a run of some tests only) in place of its own.

    What ``grade-all --test`` writes: the tests ``partial`` ran replace the stored outcomes of the
    same ids, every other stored outcome stands, and the whole is scored with today's manifest
    (with the notebook tests when ``stored`` had them). ``digest`` becomes the result's resume
    key. A ``partial`` that could not grade makes the result "could not grade", with every test
    of ``stored``, so the next run grades the submission in full.
    """
    specs = manifest.graded_specs(graded_notebooks(stored), manifest.TESTS)
    if partial.status != GRADED:
        reason = partial.notices[0] if partial.notices else "Could not grade."
        return replace(scoring.could_not_grade(stored.student, specs, reason, staff_log=partial.staff_log,
                                               content_hash=digest), isolation=partial.isolation)
    outcomes = {test.spec.id: test.outcome for test in stored.tests}
    outcomes.update({test.spec.id: test.outcome for test in partial.tests})
    tests = scoring.score_tests(specs, tuple(outcomes.values()))
    ran = ", ".join(test.spec.id for test in partial.tests)
    return replace(stored, tests=tests, score=sum(test.score for test in tests),
                   max_score=float(sum(spec.points for spec in specs)), content_hash=digest,
                   seconds=round(stored.seconds + partial.seconds, 3), isolation=partial.isolation,
                   events=(*stored.events, *partial.events),
                   staff_log=f"{stored.staff_log}\nregraded: {ran}\n{partial.staff_log}".strip())

"""The release builder: marker handling, the student and solution releases, --check."""
import doctest
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograder import release
from autograder.release import MarkerError, build_release, find_solution_regions, keep_solutions, strip_solutions

KIT_ROOT = Path(__file__).resolve().parent.parent
SOURCE_ROOT = KIT_ROOT / "autograder" / "source"

STUB_CALLS = {
    "KNearestNeighbor.compute_distances_two_loops": "knn().compute_distances_two_loops(X)",
    "KNearestNeighbor.compute_distances_one_loop": "knn().compute_distances_one_loop(X)",
    "KNearestNeighbor.compute_distances_no_loops": "knn().compute_distances_no_loops(X)",
    "KNearestNeighbor.predict_labels": "knn().predict_labels(np.zeros((2, 4)), k=1)",
    "svm_loss_naive": "c.svm_loss_naive(W, X, y, 0.1)",
    "svm_loss_vectorized": "c.svm_loss_vectorized(W, X, y, 0.1)",
    "softmax_loss_naive": "c.softmax_loss_naive(W, X, y, 0.1)",
    "softmax_loss_vectorized": "c.softmax_loss_vectorized(W, X, y, 0.1)",
    "LinearClassifier.train": "c.LinearSVM().train(X, y, num_iters=1, batch_size=2)",
    "LinearClassifier.predict": "trained().predict(X)",
}

STUB_SCRIPT = """
import json, sys
import numpy as np
import cs_utils.classifiers as c

X, W, y = np.ones((4, 3)), np.zeros((3, 2)), np.array([0, 1, 0, 1])

def knn():
    model = c.KNearestNeighbor()
    model.train(X, y)
    return model

def trained():
    model = c.LinearSVM()
    model.W = W.copy()
    return model

outcome = {}
for name, call in json.loads(sys.argv[1]).items():
    try:
        eval(call)
        outcome[name] = "returned"
    except NotImplementedError as error:
        outcome[name] = "NotImplementedError: " + str(error)
    except Exception as error:
        outcome[name] = type(error).__name__ + ": " + str(error)
print(json.dumps(outcome))
"""


def run_with_package(package_root: Path, calls: dict) -> dict:
    import json

    environment = {**os.environ, "PYTHONPATH": str(package_root)}
    result = subprocess.run(
        [sys.executable, "-c", STUB_SCRIPT, json.dumps(calls)],
        capture_output=True, text=True, env=environment, cwd=package_root, check=True,
    )
    return json.loads(result.stdout)


def test_region_becomes_a_named_stub_at_its_indentation():
    source = textwrap.dedent(
        """\
        class Model:
            def fit(self, X):
                total = 0
                for row in X:
                    ### BEGIN SOLUTION
                    total += row
                    ### END SOLUTION
                return total
        """
    )
    student = strip_solutions(source)
    assert "total += row" not in student
    assert '            raise NotImplementedError("Model.fit is not implemented yet")\n' in student
    assert "            # TODO: write your code here" in student
    solution = keep_solutions(source)
    assert "### BEGIN SOLUTION" not in solution and "### END SOLUTION" not in solution
    assert "            total += row\n" in solution


@pytest.mark.parametrize(
    "body, message",
    [
        (
            "### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    x = 1\n    ### END SOLUTION\n    ### END SOLUTION",
            "cannot be nested",
        ),
        ("### BEGIN SOLUTION\n    x = 1", "never closed"),
        ("x = 1\n    ### END SOLUTION", "without a matching"),
    ],
)
def test_bad_markers_are_loud_errors(body, message):
    with pytest.raises(MarkerError, match=message):
        strip_solutions(f"def f():\n    {body}\n", "bad.py")


def test_region_outside_a_function_is_refused():
    with pytest.raises(MarkerError, match=r"mod.py:1: a solution region must sit inside a function"):
        find_solution_regions("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "mod.py")


def test_region_that_breaks_the_code_is_refused():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    if x:\n        y = 1\n    ### END SOLUTION\n        return y\n"
    with pytest.raises(MarkerError, match="does not compile"):
        strip_solutions(source, "half.py")


def test_student_release_has_no_solution_text(tmp_path):
    build_release(tmp_path)
    for source_file in (SOURCE_ROOT / "cs_utils").rglob("*.py"):
        text = source_file.read_text()
        student_lines = {
            line.strip() for line in (tmp_path / source_file.relative_to(SOURCE_ROOT)).read_text().splitlines()
        }
        lines = text.splitlines()
        scaffold = set()
        solution = set()
        inside = False
        for line in lines:
            stripped = line.strip()
            if stripped.startswith(release.SOLUTION_BEGIN):
                inside = True
            elif stripped.startswith(release.SOLUTION_END):
                inside = False
            elif stripped and not stripped.startswith("#"):
                (solution if inside else scaffold).add(stripped)
        leaked = (solution - scaffold) & student_lines
        assert not leaked, f"{source_file.name} leaks solution lines: {sorted(leaked)}"
    released = "\n".join(p.read_text() for p in tmp_path.rglob("*") if p.is_file())
    assert "BEGIN SOLUTION" not in released and "END SOLUTION" not in released


def test_every_student_stub_raises_not_implemented(tmp_path):
    build_release(tmp_path)
    outcome = run_with_package(tmp_path, STUB_CALLS)
    for name, result in outcome.items():
        assert result.startswith("NotImplementedError"), f"{name}: {result}"
        assert name in result


def test_every_stub_is_listed():
    regions = {
        region.function
        for path in (SOURCE_ROOT / "cs_utils").rglob("*.py")
        for region in find_solution_regions(path.read_text(), str(path))
    }
    assert regions == set(STUB_CALLS)


def test_solution_release_runs_the_reference(tmp_path):
    build_release(tmp_path, solutions=True)
    outcome = run_with_package(tmp_path, STUB_CALLS)
    assert set(outcome.values()) == {"returned"}
    assert not list(tmp_path.rglob("*BEGIN SOLUTION*"))


def test_committed_release_is_up_to_date():
    result = subprocess.run(
        [sys.executable, "-m", "autograder", "release", "--check"], cwd=KIT_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_check_lists_stale_missing_and_extra_files(tmp_path):
    build_release(tmp_path)
    (tmp_path / "cs_utils" / "data_utils.py").write_text("# edited by hand\n")
    (tmp_path / "cs_utils" / "classifiers" / "softmax.py").unlink()
    (tmp_path / "cs_utils" / "notes.py").write_text("")
    problems = release.release_differences(tmp_path)
    assert problems == [
        "cs_utils/classifiers/softmax.py: missing",
        "cs_utils/data_utils.py: changed",
        "cs_utils/notes.py: extra (not generated from the source)",
    ]


def test_marker_error_keeps_the_previous_release(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(SOURCE_ROOT / "cs_utils", source / "cs_utils")
    build_release(tmp_path / "out", source_root=source)
    before = (tmp_path / "out" / "cs_utils" / "data_utils.py").read_text()
    broken = source / "cs_utils" / "classifiers" / "softmax.py"
    broken.write_text(broken.read_text().replace("### END SOLUTION", "", 1))
    with pytest.raises(MarkerError):
        build_release(tmp_path / "out", source_root=source)
    assert (tmp_path / "out" / "cs_utils" / "data_utils.py").read_text() == before
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["cs_utils"]


def test_cli_usage_errors():
    result = subprocess.run(
        [sys.executable, "-m", "autograder", "release", "--solutions"], cwd=KIT_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "--solutions needs --out DIR" in result.stderr


def test_docstring_examples():
    import cs_utils.classifiers.k_nearest_neighbor as knn_module

    for module in (release, knn_module):
        failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert failures == 0, module.__name__

"""``python -m cs_utils.check``: the public tests, run in a fresh process, on released packages.

Each test builds a release into a temporary folder and runs the check there in a subprocess, as
a student would; bugs are planted in the solution release by replacing one line. The check must
also run where the grader's sandbox cannot: with ``fcntl``, Unix ``SOCK_SEQPACKET`` sockets,
``os.fork``, process groups and ``resource`` taken away (as on Windows), and on every Python from
3.10 to 3.13 that this machine has, with nothing but NumPy installed.
"""
from __future__ import annotations

import filecmp
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from autograder import SOURCE_ROOT, release
from autograder.release import build_release

pytestmark = pytest.mark.e2e  # the self-check command in a subprocess

KIT_ROOT = Path(__file__).resolve().parent.parent
CHECK_SCRIPT = """
import json, sys
from cs_utils.check import run_checks
report = run_checks(sys.argv[1:])
print(json.dumps([[o.function, o.name, o.passed, o.hint] for o in report.outcomes]))
"""


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    """The solution and the student release, built once for this module (cs_utils only is needed)."""
    source = tmp_path_factory.mktemp("source")
    shutil.copytree(SOURCE_ROOT / "cs_utils", source / "cs_utils")  # no notebooks: faster, not needed here
    built = {}
    for kind, solutions in (("solution", True), ("starter", False)):
        root = tmp_path_factory.mktemp(kind)
        build_release(root, solutions=solutions, source_root=source)
        built[kind] = root
    return built


def run_check(root: Path, *names: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cs_utils.check", *names], cwd=root, capture_output=True,
                          text=True, timeout=240)


def outcomes(root: Path, *names: str) -> list[tuple[str, str, bool, str]]:
    result = subprocess.run([sys.executable, "-c", CHECK_SCRIPT, *names], cwd=root, capture_output=True, text=True,
                            timeout=240)
    assert result.returncode == 0, result.stderr
    return [tuple(item) for item in json.loads(result.stdout)]


def planted(releases, tmp_path: Path, relative: str, old: str, new: str) -> Path:
    """A copy of the solution release with one piece of ``relative`` replaced."""
    root = tmp_path / "buggy"
    shutil.copytree(releases["solution"] / "cs_utils", root / "cs_utils")
    path = root / relative
    text = path.read_text()
    assert old in text, f"{old!r} is not in {relative}"
    path.write_text(text.replace(old, new, 1))
    return root


def test_the_solution_passes_every_public_test(releases):
    result = run_check(releases["solution"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout
    assert re.search(r"\b(\d+) of \1 public tests passed", result.stdout), result.stdout[-300:]


def test_the_starter_fails_every_test_with_the_not_implemented_hint(releases):
    found = outcomes(releases["starter"])
    assert found and not any(passed for _, _, passed, _ in found)
    for function, name, _, hint in found:
        assert "not implemented yet" in hint, (function, name, hint)
    result = run_check(releases["starter"], "svm_loss_naive")
    assert result.returncode == 1
    assert (
        "svm_loss_naive is not implemented yet: write its body in cs_utils/classifiers/linear_svm.py" in result.stdout
    )


def test_an_unknown_name_is_a_usage_error(releases):
    result = run_check(releases["starter"], "svm_loss_fast")
    assert result.returncode == 2
    assert "no public tests for 'svm_loss_fast'" in result.stderr and "svm_loss_vectorized" in result.stderr


def test_names_groups_and_aliases_select_functions(releases):
    names = {function for function, *_ in outcomes(releases["solution"], "knn", "train")}
    assert names == {
        "compute_distances_two_loops",
        "compute_distances_one_loop",
        "compute_distances_no_loops",
        "predict_labels",
        "LinearClassifier.train",
    }


SVM = "cs_utils/classifiers/linear_svm.py"
SOFTMAX = "cs_utils/classifiers/softmax.py"
KNN = "cs_utils/classifiers/k_nearest_neighbor.py"
LINEAR = "cs_utils/classifiers/linear_classifier.py"
BUGS = {
    "gradient not divided by N": (
        SVM,
        "dW = X.T @ coefficients / num_train",
        "dW = X.T @ coefficients",
        "svm_loss_vectorized",
        "dW matches a numerical gradient of the loss",
        "dW is 6 times too large",
    ),
    "penalty with a factor 1/2": (
        SVM,
        "margins.sum() / num_train + reg * np.sum(W * W)",
        "margins.sum() / num_train + 0.5 * reg * np.sum(W * W)",
        "svm_loss_vectorized",
        "regularization adds reg * sum(W**2) to the loss and 2 * reg * W to dW",
        "without a factor 1/2",
    ),
    "a loop in the vectorized loss": (
        SVM,
        "    rows = np.arange(num_train)\n",
        "    rows = np.array([i for i in range(num_train)])\n",
        "svm_loss_vectorized",
        "contains no Python loops",
        "a list comprehension on line",
    ),
    "no stability shift": (
        SOFTMAX,
        "    scores -= scores.max(axis=1, keepdims=True)  # stability shift, row by row\n",
        "",
        "softmax_loss_vectorized",
        "the loss and dW stay finite for scores in the thousands",
        "subtract each row's largest score before np.exp",
    ),
    "transposed distances": (
        KNN,
        "        return np.sqrt(sq_dists, out=sq_dists)\n",
        "        return np.sqrt(sq_dists, out=sq_dists).T\n",
        "compute_distances_no_loops",
        "computes the distances of a small worked example",
        "(rows and columns swapped?)",
    ),
    "no clipping before the square root": (
        KNN,
        "        np.maximum(sq_dists, 0.0, out=sq_dists)  # rounding can go just below zero\n",
        "        sq_dists -= 1e-9  # a rounding error made certain\n",
        "compute_distances_no_loops",
        "identical points give distance 0, not NaN",
        "clip them at 0",
    ),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_a_planted_bug_fails_the_right_test_with_the_right_hint(releases, tmp_path, bug):
    relative, old, new, function, test_name, hint = BUGS[bug]
    root = planted(releases, tmp_path, relative, old, new)
    found = outcomes(root, function)
    failed = {name: message for _, name, passed, message in found if not passed}
    assert test_name in failed, (bug, found)
    assert hint in failed[test_name], (bug, failed[test_name])


def test_an_infinite_loop_costs_one_function_only(releases, tmp_path):
    root = planted(
        releases,
        tmp_path,
        SVM,
        "    rows = np.arange(num_train)\n",
        "    while True:\n        pass\n    rows = np.arange(num_train)\n",
    )
    script = CHECK_SCRIPT.replace(
        "run_checks(sys.argv[1:])", "run_checks(sys.argv[1:], limits=Limits(call_seconds=1.0))"
    )
    script = "from cs_utils._grading.runner import Limits\n" + script
    result = subprocess.run(
        [sys.executable, "-c", script, "svm"], cwd=root, capture_output=True, text=True, timeout=120
    )
    found = json.loads(result.stdout)
    vectorized = [hint for function, _, passed, hint in found if function == "svm_loss_vectorized" and not passed]
    assert vectorized and all("did not finish within the time limit" in hint for hint in vectorized)
    assert all(passed for function, _, passed, _ in found if function == "svm_loss_naive")


def test_a_module_that_does_not_import_costs_only_its_own_functions(releases, tmp_path):
    """As in grading: linear_classifier imports softmax, yet a syntax error in softmax.py fails
    the softmax tests alone (a stand-in module takes its place for the others)."""
    root = planted(releases, tmp_path, "cs_utils/classifiers/softmax.py", "def softmax_loss_naive(",
                   "def softmax_loss_naive(:\n    pass\n\ndef _unused(")
    found = outcomes(root, "softmax", "linear")
    linear = [passed for function, _, passed, _ in found if function.startswith("LinearClassifier")]
    softmax = [hint for function, _, passed, hint in found if function.startswith("softmax") and not passed]
    assert linear and all(linear)
    assert softmax and all("SyntaxError" in hint for hint in softmax)


def test_the_check_runs_the_saved_files_in_a_separate_process(releases, tmp_path):
    """A crash in student code (os._exit) is reported; the checking process lives on."""
    root = planted(
        releases,
        tmp_path,
        SOFTMAX,
        "    rows = np.arange(num_train)\n",
        "    import os; os._exit(3)\n    rows = np.arange(num_train)\n",
    )
    found = outcomes(root, "softmax_loss_vectorized", "softmax_loss_naive")
    vectorized = [hint for function, _, passed, hint in found if function == "softmax_loss_vectorized" and not passed]
    assert vectorized and all("stopped" in hint or "failed first" not in hint for hint in vectorized)
    assert all(passed for function, _, passed, _ in found if function == "softmax_loss_naive")


def test_the_student_package_ships_the_graders_static_checks_and_no_sandbox():
    shipped = KIT_ROOT / release.SHIPPED_GRADER_FOLDER
    for name in release.SHIPPED_GRADER_MODULES:
        assert filecmp.cmp(shipped / name, KIT_ROOT / "autograder" / "grading" / name, shallow=False), name
    names = {path.name for path in shipped.iterdir() if path.name != "__pycache__"}
    assert names == {"child.py", "runner.py", "static.py", "graded_cells.json", "functions.json"}, (
        "only the runner, the static checks and the generated data files")


def test_the_notebook_one_liner_prints_and_returns_the_report(releases):
    script = "from cs_utils.check import check\nreport = check('predict_labels')\nprint(repr(report), report.ok)\n"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=releases["solution"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "predict_labels\n  PASS  k = 1 picks the label" in result.stdout
    assert "<check report: 4 of 4 passed> True" in result.stdout


#: Hidden-test categories and the fairness-suite bug that each one catches: the self-check must
#: fail the same bug on its own inputs, so no category is a surprise after the deadline.
PREVIEWS = {
    "SVM vectorized that calls the naive version": ("svm_loss_vectorized", "contains no Python loops"),
    "no loops with a (num_test, num_train, D) array": ("compute_distances_no_loops", "would not fit in memory"),
    "SVM vectorized with an (N, D, C) gradient": ("svm_loss_vectorized", "would not fit in memory"),
    "no loops that loops over the test rows": ("compute_distances_no_loops", "times faster than your"),
    "two loops with np.linalg.norm": ("compute_distances_two_loops", "uses no distance helper"),
    "no loops without the clip": ("compute_distances_no_loops", "identical points give distance 0"),
    "softmax vectorized without the shift": ("softmax_loss_vectorized", "stay finite for scores in the thousands"),
    "train ignoring its seed": ("LinearClassifier.train", "uses its seed"),
}


@pytest.mark.parametrize("bug", sorted(PREVIEWS))
def test_the_self_check_previews_every_hidden_category(releases, tmp_path, bug):
    sys.path.insert(0, str(Path(__file__).parent / "autograder"))
    from fairness_variants import BUGS

    variant = next(v for v in BUGS if v.name == bug)
    root = tmp_path / "buggy"
    shutil.copytree(releases["solution"] / "cs_utils", root / "cs_utils")
    (root / variant.file).write_text(variant.apply((SOURCE_ROOT / variant.file).read_text()))
    function, public_test = PREVIEWS[bug]
    failed = {(f, name) for f, name, passed, _ in outcomes(root, function) if not passed}
    assert any(f == function and public_test in name for f, name in failed), failed


def constants(relative: str) -> dict[str, object]:
    """The module-level constants of a public-test file (read, not imported: it needs the release)."""
    import ast

    found = {}
    for node in ast.parse((SOURCE_ROOT / relative).read_text()).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Tuple | ast.Name):
            names = node.targets[0].elts if isinstance(node.targets[0], ast.Tuple) else [node.targets[0]]
            try:
                values = ast.literal_eval(node.value)
            except ValueError:
                continue
            values = values if isinstance(node.targets[0], ast.Tuple) else (values,)
            found.update({name.id: value for name, value in zip(names, values, strict=True)})
    return found


def test_the_self_check_uses_the_graders_sizes_and_limits(releases, monkeypatch):
    from autograder.grading.checks import plans
    from autograder.grading.sandbox import Limits as GraderLimits

    limits = released_runner(releases, monkeypatch).Limits()
    assert (limits.call_seconds, limits.memory_bytes) == (GraderLimits().call_seconds,
                                                          GraderLimits().address_space_bytes)

    compare = constants("cs_utils/public_tests/compare.py")
    knn, losses = constants("cs_utils/public_tests/knn.py"), constants("cs_utils/public_tests/losses.py")
    assert (compare["RACE_FACTOR"], compare["RACE_ROUNDS"], compare["RACE_SETTLED"]) == (
        plans.RACE_FACTOR, plans.RACE_ROUNDS, plans.RACE_SETTLED)
    assert (knn["RACE_SIZE"], knn["MEMORY_SIZE"]) == (plans.KNN_SPEED_SIZE, plans.KNN_MEMORY_SIZE)
    assert (losses["RACE_SIZE"], losses["MEMORY_SIZE"]) == (plans.LOSS_SPEED_SIZE, plans.LOSS_MEMORY_SIZE)
    assert compare["MEMORY_HEADROOM"] == plans.MEMORY_HEADROOM_BYTES


# --------------------------------------------------------------- wherever students work

#: What each flavour of restricted interpreter lacks: issue 13's three (what the grader's sandbox
#: needs), and all that native Windows lacks of what a POSIX runner might use.
RESTRICTIONS = {
    "no fcntl, SOCK_SEQPACKET or fork": (("fcntl",), ("fork", "forkpty"), ()),
    "as on Windows": (("fcntl", "resource", "termios"), ("fork", "forkpty", "killpg", "setsid", "getpgid"),
                      ("setitimer", "SIGALRM")),  # (POSIX Popen.kill needs SIGKILL; Windows has its own)
}
RESTRICT = """
import os, signal, socket, _socket, sys
for name in {modules!r}:
    sys.modules[name] = None  # `import fcntl` now raises ImportError
for module, names in ((socket, ["SOCK_SEQPACKET"]), (_socket, ["SOCK_SEQPACKET"]), (os, {functions!r}),
                      (signal, {signals!r})):
    for name in names:
        if hasattr(module, name):
            delattr(module, name)
"""


def restricted_python(folder: Path, flavour: str) -> Path:
    """A virtual environment whose every process lacks what ``flavour`` names, children included.

    Its site-packages hold a ``.pth`` file that runs the restriction at start-up: the ``site``
    module reads it even under ``python -I`` (which skips ``PYTHONPATH`` and the user's
    site-packages), so the self-check's test processes are restricted too. A second ``.pth``
    file points at this environment's packages (NumPy).
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    python = folder / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    modules, functions, signals = RESTRICTIONS[flavour]
    site_packages = Path(purelib)
    (site_packages / "_restrict.py").write_text(RESTRICT.format(modules=modules, functions=functions,
                                                                signals=signals))
    (site_packages / "_restrict.pth").write_text("import _restrict\n")
    numpy_home = Path(__import__("numpy").__file__).resolve().parent.parent
    (site_packages / "kit_packages.pth").write_text(f"{numpy_home}\n")
    return python


@pytest.mark.parametrize("flavour", sorted(RESTRICTIONS))
def test_the_restricted_interpreter_really_lacks_them_in_its_children_too(tmp_path, flavour):
    python = restricted_python(tmp_path / "venv", flavour)
    probe = ("import os, socket\n"
             "try:\n    import fcntl\n    fcntl_found = True\nexcept ImportError:\n    fcntl_found = False\n"
             "print(fcntl_found, hasattr(socket, 'SOCK_SEQPACKET'), hasattr(os, 'fork'), hasattr(os, 'killpg'))\n")
    outer = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True)
    inner = subprocess.run([str(python), "-c", f"import subprocess, sys; subprocess.run([sys.executable, '-I', '-c', "
                                               f"{probe!r}])"], capture_output=True, text=True, check=True)
    windows = flavour == "as on Windows"
    assert outer.stdout.split() == inner.stdout.split() == ["False", "False", "False", str(not windows)]


#: Hostile student code, one kind per function: (file, the line it goes before, the code, hint words).
HOSTILE = {
    "svm_loss_vectorized": (SVM, "    rows = np.arange(num_train)\n", "    while True:\n        pass\n",
                            "did not finish within the time limit"),
    "softmax_loss_vectorized": (SOFTMAX, "    rows = np.arange(num_train)\n", "    import os; os._exit(3)\n",
                                "stopped"),
    "compute_distances_one_loop": (KNN, "        for i in range(num_test):\n            differences",
                                   "        import ctypes; ctypes.string_at(0)  # a segmentation fault\n",
                                   "stopped"),
    "predict_labels": (KNN, "        y_pred = np.zeros(num_test, dtype=np.int64)\n",
                       "        hog = [np.ones(1 << 24) for _ in range(1000)]  # 128 MiB at a time, 128 GiB in all\n",
                       "MemoryError"),
    "LinearClassifier.predict": (LINEAR, "        y_pred = np.argmax(X @ self.W, axis=1)  # (N,)\n",
                                 "        return np.zeros((3000, 3000))  # 72 MB: more than a reply may carry\n",
                                 "far more data than the check reads back"),
}
#: Their neighbours, which must keep every point; svm_loss_naive also prints a megabyte per call.
HONEST = ("compute_distances_two_loops", "svm_loss_naive", "softmax_loss_naive", "LinearClassifier.train")
NOISE = (SVM, "    num_train = X.shape[0]\n", "    print('.' * (1 << 20))  # a megabyte of output per call\n")


def hostile_release(releases, folder: Path, functions) -> Path:
    root = folder / "hostile"
    shutil.copytree(releases["solution"] / "cs_utils", root / "cs_utils")
    for relative, anchor, code in [HOSTILE[name][:3] for name in functions] + [NOISE]:
        path = root / relative
        text = path.read_text()
        assert anchor in text, (relative, anchor)
        path.write_text(text.replace(anchor, code + anchor, 1))
    return root


def processes_mentioning(text: str) -> list[str]:
    """Command lines of the running processes that mention ``text`` (Linux's /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if entry.name.isdigit() and text in command:
            found.append(command)
    return found


@pytest.mark.parametrize("flavour", [None, *sorted(RESTRICTIONS)])
def test_hostile_code_costs_only_its_own_function_wherever_the_check_runs(releases, tmp_path, flavour):
    python = Path(sys.executable) if flavour is None else restricted_python(tmp_path / "venv", flavour)
    # Without resource there is no memory cap, so no memory hog there; elsewhere a lower cap than the
    # grader's gets to the MemoryError sooner (filling memory is slow on a busy machine).
    capped = flavour != "as on Windows"
    planted_here = [name for name in HOSTILE if capped or name != "predict_labels"]
    root = hostile_release(releases, tmp_path, planted_here)
    script = ("import json, sys\nfrom cs_utils._grading.runner import Limits\nfrom cs_utils.check import run_checks\n"
              "report = run_checks(sys.argv[1:], limits=Limits(memory_bytes=480 << 20))\n"
              "print(json.dumps([[o.function, o.passed, o.hint] for o in report.outcomes] + [report.notes]))\n")
    result = subprocess.run([str(python), "-c", script, *planted_here, *HONEST], cwd=root, capture_output=True,
                            text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-2000:]
    *found, notes = json.loads(result.stdout)
    for name in planted_here:
        hints = [hint for function, passed, hint in found if function == name and not passed]
        assert hints and len(hints) == len([f for f, *_ in found if f == name]), (name, found)
        assert HOSTILE[name][3] in hints[0], (name, hints[0])
    for name in HONEST:
        assert all(passed for function, passed, _ in found if function == name), (name, found)
    assert any(("memory capped" if capped else "no memory cap") in note for note in notes), notes
    assert not processes_mentioning(str(root)), "a test process outlived the check"


def test_exit_code_3_says_why_the_test_process_cannot_start(releases, tmp_path):
    """NumPy visible to the notebook's Python but not to ``python -I`` (a ``pip install --user``, say)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True, timeout=120)
    python = tmp_path / "venv" / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    numpy_home = Path(__import__("numpy").__file__).resolve().parent.parent
    environment = {**os.environ, "PYTHONPATH": str(numpy_home)}
    result = subprocess.run([str(python), "-m", "cs_utils.check", "predict_labels"], cwd=releases["solution"],
                            capture_output=True, text=True, timeout=240, env=environment)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "could not start the test process: ModuleNotFoundError: No module named 'numpy'" in result.stderr
    assert "pip install --user" in result.stderr


# ------------------------------------------------------------------ every supported Python

SUPPORTED = ("3.10", "3.11", "3.12", "3.13")


def find_python(version: str) -> str | None:
    """An interpreter of ``version`` on this machine (on the PATH, or installed by pyenv), or None."""
    installed = [*Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"),
                 *Path(sys.base_prefix).parent.glob(f"{version}.*/bin/python{version}")]  # pyenv's siblings
    candidates = [shutil.which(f"python{version}"), *map(str, sorted(installed))]
    for candidate in filter(None, candidates):
        try:
            found = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                   capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if found.returncode == 0 and found.stdout.strip() == version:
            return candidate
    return None


@pytest.mark.slow  # a virtual environment and a NumPy download per interpreter
@pytest.mark.parametrize("version", SUPPORTED)
def test_the_check_runs_on_every_supported_python_with_only_numpy(releases, tmp_path, version):
    interpreter = find_python(version)
    if interpreter is None:
        pytest.skip(f"no Python {version} on this machine")
    venv = tmp_path / "venv"
    subprocess.run([interpreter, "-m", "venv", str(venv)], check=True, timeout=300)
    python = str(venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python"))
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "numpy"], check=True,
                   timeout=900)
    lacking = subprocess.run([python, "-c", "import matplotlib"], capture_output=True, timeout=60)
    assert lacking.returncode != 0, "the environment must hold NumPy and nothing the kit imports besides"

    solution = subprocess.run([python, "-m", "cs_utils.check", "-v"], cwd=releases["solution"], capture_output=True,
                              text=True, timeout=600)
    assert solution.returncode == 0, solution.stdout[-2000:] + solution.stderr[-2000:]
    assert re.search(r"\b(\d+) of \1 public tests passed", solution.stdout), solution.stdout[-300:]
    assert "note: memory capped at" in solution.stdout

    starter = subprocess.run([python, "-c", CHECK_SCRIPT], cwd=releases["starter"], capture_output=True, text=True,
                             timeout=600)
    assert starter.returncode == 0, starter.stderr[-2000:]
    found = json.loads(starter.stdout)
    assert found and all(not passed and "not implemented yet" in hint for _, _, passed, hint in found)


# ------------------------------------------------------------------ one protocol with the grader

#: One request of each call kind the public tests send (a race answers with times: only their
#: names and kinds can agree).
SAME_CALLS = [
    ({"kind": "race", "name": "race", "rounds": 3, "settled_ratio": 12.0, "contenders": [
        {"kind": "function", "module": "cs_utils.classifiers.linear_svm",
         "name": name, "args": [{"array": "W"}, {"array": "X"}, {"array": "y"}, {"value": 1e-3}]}
        for name in ("svm_loss_vectorized", "svm_loss_naive")]},
     {"W": np.full((20, 4), 0.01), "X": np.linspace(-1, 1, 2000).reshape(100, 20), "y": np.arange(100) % 4}),
    ({"kind": "function", "module": "cs_utils.classifiers.softmax", "name": "softmax_loss_vectorized",
      "return_inputs": True, "args": [{"array": "W"}, {"array": "X"}, {"array": "y"}, {"value": 0.1}]},
     {"W": np.linspace(-1, 1, 15).reshape(5, 3), "X": np.linspace(0, 2, 20).reshape(4, 5),
      "y": np.array([0, 2, 1, 2])}),
    ({"kind": "knn", "method": "predict_labels", "args": [{"array": "arg"}], "kwargs": {"k": {"value": 2}}},
     {"X_train": np.zeros((5, 1)), "y_train": np.array([4, 1, 1, 7, 2]),
      "arg": np.array([[0.1, 0.2, 9.0, 9.0, 9.0], [9.0, 9.0, 9.0, 0.1, 0.2]])}),
    ({"kind": "predict"}, {"W": np.eye(3), "X": np.array([[0.0, 2.0, 1.0], [3.0, 1.0, 0.0]])}),
    ({"kind": "train", "learning_rate": 0.05, "reg": 1e-3, "num_iters": 5, "batch_size": 4, "seed": 3},
     {"X": np.linspace(-1, 1, 60).reshape(12, 5), "y": np.arange(12) % 3}),
    ({"kind": "function", "module": "cs_utils.classifiers.linear_svm", "name": "svm_loss_naive",
      "args": [{"array": "W"}, {"array": "X"}, {"array": "y"}, {"value": 0.0}]},
     {"W": np.zeros((2, 2)), "X": np.zeros((3, 5)), "y": np.zeros(3, dtype=np.int64)}),  # a ValueError
]


def released_runner(releases, monkeypatch):
    """The solution release's ``cs_utils/_grading/runner.py``, loaded by path (not the reference package)."""
    spec = importlib.util.spec_from_file_location("released_runner",
                                                  releases["solution"] / "cs_utils" / "_grading" / "runner.py")
    assert spec is not None and spec.loader is not None
    runner = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, runner)  # dataclasses look their module up
    spec.loader.exec_module(runner)
    return runner


def test_the_self_check_and_the_grader_answer_the_same_request_alike(releases, tmp_path, monkeypatch):
    """The same request, in the grader's message format, to the grader's confined child and to the
    self-check's plain one: the same status, and every output the self-check reads back the same."""
    from autograder.grading.sandbox import Isolation, Sandbox
    from autograder.grading.sandbox import Limits as GraderLimits

    runner = released_runner(releases, monkeypatch)
    folders = {}
    for side in ("grader", "check"):
        folders[side] = tmp_path / side / "work"
        shutil.copytree(releases["solution"] / "cs_utils", folders[side] / "cs_utils")
        (tmp_path / side).chmod(0o711)
    with Sandbox(Isolation.detect(slot=12), GraderLimits()) as sandbox:
        sandbox.prepare_folder(folders["grader"])
        child, notes = sandbox.spawn(folders["grader"])
        assert child is not None, notes
        batch = [(request, 1, [(name, array.dtype.str, list(array.shape), np.ascontiguousarray(array).tobytes())
                               for name, array in arrays.items()]) for request, arrays in SAME_CALLS]
        theirs = child.call_batch(batch, 10.0, time.monotonic() + 60)
        sandbox.kill(child)
    ours = runner.Child(folders["check"], runner.Limits())
    try:
        for (request, arrays), their_reply in zip(SAME_CALLS, theirs, strict=True):
            state, header, returned = ours.call(request, arrays, 10.0)
            assert state == their_reply.state == "done", (request, state, their_reply.state)
            assert header["status"] == their_reply.header["status"], request
            if request["kind"] == "race":
                kinds = {name: described["kind"] for name, described in header["outputs"].items()}
                assert kinds == {"result": "tuple", "result.0": "number", "result.1": "number"}
                assert all(their_reply.header["outputs"][name]["kind"] == kind for name, kind in kinds.items())
                continue
            for name, described in header["outputs"].items():
                assert their_reply.header["outputs"][name] == described, (request, name)
                if name in returned:
                    assert returned[name].tobytes() == their_reply.blobs[name], (request, name)
            assert header["outputs"] or not header["status"]["ok"], request
    finally:
        ours.kill()


#: Functions of a scratch module ``cs_utils/probe.py``: each ends its call in one way.
PROBE_MODULE = """
import os, time
import numpy as np

def fine():
    return np.arange(3.0)

def spin():
    while True:
        pass

def leave():
    os._exit(7)

def flood():
    return np.zeros((3000, 3000))  # 72 MB

def forge():
    for fd in range(3, 64):  # the message channel is one of them: garbage on it
        try:
            os.write(fd, b"not a reply\\n")
        except OSError:
            pass
    time.sleep(30)
"""


@pytest.mark.parametrize(("name", "state"), [("spin", "timeout"), ("leave", "died"), ("flood", "too much"),
                                             ("forge", "unreadable")])
def test_the_runner_kills_and_reaps_the_process_whatever_went_wrong(releases, tmp_path, monkeypatch, name, state):
    runner = released_runner(releases, monkeypatch)
    work = tmp_path / "work"
    shutil.copytree(releases["solution"] / "cs_utils", work / "cs_utils")
    (work / "cs_utils" / "probe.py").write_text(PROBE_MODULE)
    request = {"kind": "function", "module": "cs_utils.probe", "args": []}
    child = runner.Child(work, runner.Limits())
    try:
        assert child.call({**request, "name": "fine"}, {}, 10.0)[0] == "done"
        found, _, _ = child.call({**request, "name": name}, {}, 2.0)
        assert found == state
        assert child.process.returncode is not None and not child.alive  # killed and reaped (waited for)
    finally:
        child.kill()
    again = runner.Child(work, runner.Limits())  # and the next process serves calls as the first did
    try:
        found, _, arrays = again.call({**request, "name": "fine"}, {}, 10.0)
        assert found == "done" and arrays["result"].tolist() == [0.0, 1.0, 2.0]
    finally:
        again.kill()


@pytest.mark.parametrize("damage", ["", "not json", '{"functions": [1, 2]}'])
def test_the_registry_survives_a_missing_or_damaged_functions_file(releases, tmp_path, damage):
    root = tmp_path / "kit"
    shutil.copytree(releases["solution"] / "cs_utils", root / "cs_utils")
    listed = root / "cs_utils" / "_grading" / "functions.json"
    listed.unlink() if not damage else listed.write_text(damage)
    script = "import json\nfrom cs_utils import check\nprint(json.dumps([list(check.TESTS), check.GROUPS]))"
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    names, groups = json.loads(done.stdout)
    assert len(names) == 10 and set(groups) == {"knn", "svm", "softmax", "linear"}
    assert groups["svm"] == ["svm_loss_naive", "svm_loss_vectorized"] and len(groups["knn"]) == 4

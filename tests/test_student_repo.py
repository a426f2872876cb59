"""``python -m autograder release --student-repo DIR``: the public student repository.

It is built once per module into a temporary folder and scanned: an explicit allow-list of files,
no solution line (the text inside ``### BEGIN SOLUTION`` regions of ``autograder/source`` and the
reference notebooks' answer cells), no hidden-test string (every test id of the manifest, the
names the hidden checks define). The end-to-end test works in a clone of it as a student would:
answers filled in, notebooks run on a synthetic CIFAR-10, ``python -m cs_utils.submit``, graded.
"""
from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import KIT_ROOT, SOURCE_ROOT, exit_codes, handout, nbgrader_bridge
from autograder.release import SHIPPED_GRADER_MODULES, SOLUTION_BEGIN, SOLUTION_END, build_release
from autograder.student_repo import ALLOWED, StudentRepoError, allowed, build_student_repo

COLAB_PATH = "uni/a1-student/blob/main"
URL = "https://github.com/uni/a1-student"
NOTEBOOKS = ("knn", "svm", "softmax")
#: Names the hidden tests use that must never reach students, beyond the ones found by reading the checks.
HIDDEN_STRINGS = ("rng_for", "SPEED_FACTOR", "AT_THE_KINK", "autograder.grading", "BEGIN SOLUTION", "END SOLUTION")
#: What the student code imports, by the name pip installs it under; and what requirements.txt
#: may add without an import of its own (pooch needs tqdm for the progress bar it is asked for).
IMPORT_TO_REQUIREMENT = {"numpy": "numpy", "matplotlib": "matplotlib", "pooch": "pooch", "requests": "requests"}
INDIRECT_REQUIREMENTS = {"tqdm"}
#: Imported only on Colab, where it is built in.
COLAB_ONLY = {"google"}


@pytest.fixture(scope="module")
def student_repo(tmp_path_factory):
    return build_student_repo(tmp_path_factory.mktemp("student") / "a1-student", COLAB_PATH)


def repository_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts)


def git(root: Path, *arguments: str) -> str:
    return subprocess.run(["git", *arguments], cwd=root, capture_output=True, text=True, check=True).stdout


# ------------------------------------------------------------------------------------ the scan


def _split_regions(text: str) -> tuple[set[str], set[str]]:
    """(lines inside solution regions, lines outside), stripped, blank lines and markers left out."""
    solution, public, inside = set(), set(), False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(SOLUTION_BEGIN):
            inside = True
        elif stripped.startswith(SOLUTION_END):
            inside = False
        elif stripped:
            (solution if inside else public).add(stripped)
    return solution, public


def solution_lines() -> set[str]:
    """Every line of a solution region or answer cell that the public scaffold does not also hold."""
    solution, public = set(), set()
    for path in (SOURCE_ROOT / "cs_utils").rglob("*.py"):
        inside, outside = _split_regions(path.read_text(encoding="utf-8"))
        solution |= inside
        public |= outside
    for path in (SOURCE_ROOT / "notebooks").glob("*.py"):
        for cell in nbgrader_bridge.read_source_notebook(path).cells:
            if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("solution"):
                solution |= {line.strip() for line in cell.source.splitlines() if line.strip()}
            else:
                inside, outside = _split_regions(cell.source)
                solution |= inside
                public |= outside
    return solution - public


def hidden_strings() -> set[str]:
    """Test ids, and every name the hidden checks define that no module shipped to students defines."""
    from autograder.grading.manifest import NOTEBOOK_TESTS, TESTS

    def defined(paths) -> set[str]:
        names = set()
        for path in paths:
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    names.add(node.name)
                elif isinstance(node, ast.Assign):  # a = ..., and a, b = ... alike
                    names |= {name.id for target in node.targets for name in ast.walk(target)
                              if isinstance(name, ast.Name)}
                elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    names.add(node.target.id)
        return names

    grading = KIT_ROOT / "autograder" / "grading"
    hidden = defined(sorted((grading / "checks").glob("*.py")))
    shipped = defined([*(SOURCE_ROOT / "cs_utils").rglob("*.py"),
                       *(grading / name for name in SHIPPED_GRADER_MODULES)])
    names = {name for name in hidden - shipped if len(name) >= 6 and not name.startswith("__")}
    return names | {spec.id for spec in (*TESTS, *NOTEBOOK_TESTS)} | set(HIDDEN_STRINGS)


def file_lines(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    lines = {line.strip() for line in text.splitlines()}
    if path.suffix == ".ipynb":  # the cells' text, as a student sees it
        for cell in json.loads(text)["cells"]:
            lines |= {line.strip() for line in "".join(cell["source"]).splitlines()}
    return lines


def leaks(root: Path) -> dict[str, list[str]]:
    """{file: solution lines and hidden strings it holds} over every file under ``root`` but .git."""
    solution, hidden = solution_lines(), hidden_strings()
    found = {}
    for path in repository_files(root):
        text = path.read_text(encoding="utf-8")
        hits = sorted(solution & file_lines(path)) + sorted(
            name for name in hidden if re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", text))
        if hits:
            found[path.relative_to(root).as_posix()] = hits
    return found


def test_no_solution_line_and_no_hidden_test_string_reaches_the_student_repository(student_repo):
    assert len(solution_lines()) > 100 and len(hidden_strings()) > 60  # the scan has something to find
    assert leaks(student_repo.folder) == {}


def test_the_scan_finds_solutions_and_hidden_strings(tmp_path):
    build_release(tmp_path, solutions=True)
    found = leaks(tmp_path)
    assert "cs_utils/classifiers/softmax.py" in found and "notebooks/knn.ipynb" in found
    (tmp_path / "cs_utils" / "notes.py").write_text("# ids: knn.no_loops.speed\nfrom x import rng_for\n")
    assert set(leaks(tmp_path)["cs_utils/notes.py"]) == {"knn.no_loops.speed", "rng_for"}


# ------------------------------------------------------------------------------------ contents


def test_the_student_repository_holds_exactly_the_allowed_files(student_repo):
    root = student_repo.folder
    files = [p.relative_to(root).as_posix() for p in repository_files(root)]
    assert files == list(student_repo.files)
    assert [name for name in files if not allowed(name)] == []
    for pattern in ALLOWED:  # and every entry of the list is there
        assert any(allowed(name) and re.fullmatch(pattern.replace(".", r"\.").replace("*", r"[^/]*"), name)
                   for name in files), pattern
    assert not any(name.startswith(("autograder/", "tests/", "bench/", "docs/", "tools/", ".ci/")) for name in files)
    assert not any(name.startswith("datasets/") and name not in ("datasets/README.md", "datasets/.gitignore")
                   for name in files)
    released = sorted(p.relative_to(KIT_ROOT).as_posix() for p in (KIT_ROOT / "cs_utils").rglob("*")
                      if p.is_file() and "__pycache__" not in p.parts)
    assert [name for name in files if name.startswith("cs_utils/")] == released


def test_it_is_a_committed_git_repository_ready_to_push(student_repo):
    root = student_repo.folder
    assert git(root, "status", "--porcelain") == ""
    assert sorted(git(root, "ls-files").split("\n")[:-1]) == sorted(student_repo.files)
    assert git(root, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert git(root, "rev-parse", "HEAD").strip() == student_repo.commit
    assert os.access(root / "get_datasets.sh", os.X_OK)


def test_the_student_files_are_the_kits_release(student_repo):
    root = student_repo.folder
    for relative in ("cs_utils/_grading/graded_cells.json", "cs_utils/classifiers/softmax.py", "LICENSE",
                     "get_datasets.sh", "requirements.txt", "datasets/README.md"):
        assert (root / relative).read_bytes() == (KIT_ROOT / relative).read_bytes(), relative
    for name in NOTEBOOKS:  # the same notebook, except where Colab copies the kit from
        ours = (root / "notebooks" / f"{name}.ipynb").read_text()
        kit = (KIT_ROOT / "notebooks" / f"{name}.ipynb").read_text()
        assert f'KIT_SOURCE = \\"{URL}\\"' in ours and 'KIT_SOURCE = \\"\\"' in kit
        assert ours.replace(URL, "") == kit


def test_badges_point_at_the_student_repository(student_repo):
    for relative in ("README.md", "assignment/README.md"):
        text = (student_repo.folder / relative).read_text()
        for name in NOTEBOOKS:
            assert f"https://colab.research.google.com/github/{COLAB_PATH}/notebooks/{name}.ipynb" in text
        assert handout.PLACEHOLDER_PATH not in text
    readme = (student_repo.folder / "README.md").read_text()
    assert "assignment/README.md" in readme and "pip install -r requirements.txt" in readme


def test_the_student_requirements_cover_every_import_and_nothing_else(student_repo):
    root = student_repo.folder
    sources = [p.read_text() for p in (root / "cs_utils").rglob("*.py")]
    for name in NOTEBOOKS:
        cells = json.loads((root / "notebooks" / f"{name}.ipynb").read_text())["cells"]
        sources += ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
    imported = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"cs_utils", "__future__"} - COLAB_ONLY
    assert third_party == set(IMPORT_TO_REQUIREMENT)
    lines = [line.split("#")[0].strip() for line in (root / "requirements.txt").read_text().splitlines()]
    listed = {re.split(r"[<>=!~\[ ]", line)[0].lower() for line in lines if line}
    assert listed == set(IMPORT_TO_REQUIREMENT.values()) | INDIRECT_REQUIREMENTS


# ------------------------------------------------------------------------------------ rebuilds and refusals


def test_a_rebuild_commits_only_what_changed(tmp_path):
    repo = tmp_path / "repo"
    first = build_student_repo(repo, COLAB_PATH)
    assert first.commit and build_student_repo(repo, COLAB_PATH).commit == ""
    (repo / "notes.txt").write_text("left by hand\n")
    (repo / "cs_utils" / "check.py").write_text("# edited by hand\n")
    assert build_student_repo(repo, COLAB_PATH).commit == ""  # the hand edits are undone: nothing to commit
    assert not (repo / "notes.txt").exists()
    assert (repo / "cs_utils" / "check.py").read_bytes() == (KIT_ROOT / "cs_utils" / "check.py").read_bytes()
    moved = build_student_repo(repo, "uni/a1-student-2027/blob/main", message="Publish for 2027")
    assert moved.commit and moved.commit != first.commit
    assert git(repo, "log", "--format=%s").splitlines() == ["Publish for 2027", first_message()]
    assert "https://github.com/uni/a1-student-2027" in (repo / "notebooks" / "knn.ipynb").read_text()


def first_message() -> str:
    import inspect

    return inspect.signature(build_student_repo).parameters["message"].default


def test_the_placeholder_path_leaves_kit_source_empty(tmp_path):
    repo = build_student_repo(tmp_path / "repo", handout.PLACEHOLDER_PATH)
    assert repo.kit_source == ""
    assert 'KIT_SOURCE = \\"\\"' in (tmp_path / "repo" / "notebooks" / "knn.ipynb").read_text()


@pytest.mark.parametrize("where", ["kit", "parent of the kit", "foreign folder", "bad path"])
def test_it_refuses_the_kit_a_foreign_folder_and_a_bad_colab_path(tmp_path, where):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("mine\n")
    destination = {"kit": KIT_ROOT, "parent of the kit": KIT_ROOT.parent, "foreign folder": foreign,
                   "bad path": tmp_path / "new"}[where]
    message = {"kit": "is the kit or holds it", "parent of the kit": "is the kit or holds it",
               "foreign folder": "not empty and not a student repository", "bad path": "owner/repo/blob/branch"}[where]
    with pytest.raises(StudentRepoError, match=message):
        build_student_repo(destination, "not-a-path" if where == "bad path" else COLAB_PATH)
    assert (foreign / "thesis.tex").read_text() == "mine\n"


@pytest.mark.e2e  # the command line in a subprocess
def test_the_command_line_writes_it_and_says_where_to_push(tmp_path):
    command = [sys.executable, "-m", "autograder", "release", "--student-repo", str(tmp_path / "repo"),
               "--colab-path", COLAB_PATH]
    done = subprocess.run(command, cwd=KIT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == exit_codes.OK, done.stderr
    assert f"git remote add origin {URL}.git && git push -u origin main" in done.stderr
    assert "never the kit" in done.stderr
    again = subprocess.run([*command[:-2], "--colab-path", "nope"], cwd=KIT_ROOT, capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == exit_codes.BAD_INPUT and "owner/repo/blob/branch" in again.stderr
    usage = subprocess.run([*command, "--out", str(tmp_path / "x")], cwd=KIT_ROOT, capture_output=True, text=True)
    assert usage.returncode == exit_codes.USAGE and "leave out --out" in usage.stderr


# ------------------------------------------------------------------------------------ a student's clone


def fill_in_answers(clone: Path, solution: Path) -> None:
    """What a student hands in: the reference code in the classifiers, the reference answer cells."""
    for path in (solution / "cs_utils" / "classifiers").glob("*.py"):
        shutil.copyfile(path, clone / "cs_utils" / "classifiers" / path.name)
    for name in NOTEBOOKS:
        answers = {cell["id"]: cell["source"] for cell in json.loads(
            (solution / "notebooks" / f"{name}.ipynb").read_text())["cells"]
            if cell["metadata"].get("nbgrader", {}).get("solution")}
        path = clone / "notebooks" / f"{name}.ipynb"
        notebook = json.loads(path.read_text())
        for cell in notebook["cells"]:
            if cell["id"] in answers:
                cell["source"] = answers[cell["id"]]
        path.write_text(json.dumps(notebook, indent=1))


@pytest.mark.e2e  # three notebook kernels, the packager and the grader in subprocesses
def test_a_student_clone_runs_packages_and_grades_full_marks(student_repo, tmp_path, synthetic_cifar10_dir):
    import nbformat
    from nbclient import NotebookClient

    from autograder.grading.manifest import NOTEBOOK_TESTS, TESTS

    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(student_repo.folder), str(clone))
    build_release(tmp_path / "solution", solutions=True)
    fill_in_answers(clone, tmp_path / "solution")
    settings = {"CIFAR10_DIR": str(synthetic_cifar10_dir), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    previous = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)  # inherited by the kernels
    try:
        for name in NOTEBOOKS:
            path = clone / "notebooks" / f"{name}.ipynb"
            notebook = nbformat.read(path, as_version=4)
            NotebookClient(notebook, timeout=120, kernel_name="python3",
                           resources={"metadata": {"path": str(path.parent)}}).execute()
            nbformat.write(notebook, path)
    finally:
        for key, value in previous.items():
            os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)
    packed = subprocess.run([sys.executable, "-m", "cs_utils.submit"], cwd=clone, capture_output=True, text=True,
                            timeout=300)
    assert packed.returncode == 0, packed.stderr
    assert "warning" not in packed.stderr, packed.stderr
    results = tmp_path / "results.json"
    graded = subprocess.run([sys.executable, "-m", "autograder", "grade", str(clone / "submission.zip"), "--out",
                             str(results)], cwd=KIT_ROOT, capture_output=True, text=True, timeout=600)
    assert graded.returncode == exit_codes.OK, graded.stderr
    document = json.loads(results.read_text())
    full = sum(spec.points for spec in (*TESTS, *NOTEBOOK_TESTS))
    failed = [test["name"] for test in document["tests"] if test.get("status") == "failed"]
    assert document["score"] == full, failed

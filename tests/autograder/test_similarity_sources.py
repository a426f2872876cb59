"""What is compared of a submission: the student's own lines, read through the grader's intake, and
never more than the intake allows (a zip bomb, a symlink, a huge or unparsable module, a FIFO)."""
from __future__ import annotations

import ast
import os
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from autograder.grading.intake_limits import MAX_TOTAL_BYTES
from autograder.similarity import sources
from autograder.similarity.run import run_similarity

SVM = Path("cs_utils") / "classifiers" / "linear_svm.py"
STARTER_SVM = '''def svm_loss_naive(W, X, y, reg):
    """The loss.

    Parameters: many.
    """
    W, X, y, reg = check_loss_inputs(W, X, y, reg)
    dW = np.zeros_like(W)
    # TODO: write your code here, then delete the raise below.
    raise NotImplementedError("svm_loss_naive is not implemented yet")
    return float(loss), dW
'''


def test_renamed_reindented_or_commented_starter_lines_are_not_the_students():
    student = '''def svm_loss_naive(weights, X, y, reg):
    """My own docstring, rewritten entirely
    over two lines."""
    weights, X, y, reg = check_loss_inputs(weights, X, y, reg)  # checks
    grad = np.zeros_like(weights)
        # my plan: loop over the examples
    scores = X @ weights
    return float(loss), grad
'''
    assert sources.own_code(student, STARTER_SVM, "linear_svm.py") == "# linear_svm.py, line 7\nscores = X @ weights\n"


def test_the_untouched_starter_has_no_own_code():
    assert sources.own_code(STARTER_SVM, STARTER_SVM, "linear_svm.py") == ""


def test_code_that_does_not_parse_is_still_compared():
    student = STARTER_SVM.replace("    raise NotImplementedError", "    loss = (1 +\n    raise NotImplementedError")
    assert "loss = (1 +" in sources.own_code(student, STARTER_SVM, "linear_svm.py")


def test_the_graded_modules_are_those_holding_solution_regions():
    assert sources.graded_modules() == tuple(f"cs_utils/classifiers/{name}.py" for name in (
        "k_nearest_neighbor", "linear_classifier", "linear_svm", "softmax"))


@pytest.fixture
def hostile_class(releases, tmp_path) -> Path:
    """alice and bob (the solution), and one submission per way to hurt a reader."""
    batch = tmp_path / "submissions"
    for name in ("alice", "bob"):
        shutil.copytree(releases["solution"], batch / name, ignore=shutil.ignore_patterns("__pycache__"))
    with zipfile.ZipFile(batch / "bomb.zip", "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(SVM.as_posix(), b"\0" * (MAX_TOTAL_BYTES + (1 << 20)))  # zeros: about 20 kB zipped
    secret = tmp_path / "secret.py"
    secret.write_text("SECRET_OUTSIDE_THE_SUBMISSION = 1\n", encoding="utf-8")
    shutil.copytree(releases["starter"], batch / "linker", ignore=shutil.ignore_patterns("__pycache__"))
    (batch / "linker" / SVM).unlink()
    (batch / "linker" / SVM).symlink_to(secret)
    shutil.copytree(releases["starter"], batch / "huge", ignore=shutil.ignore_patterns("__pycache__"))
    (batch / "huge" / SVM).write_text("x = 1\n" * (sources.MAX_MODULE_BYTES // 6 + 1), encoding="utf-8")
    shutil.copytree(releases["starter"], batch / "deep", ignore=shutil.ignore_patterns("__pycache__"))
    (batch / "deep" / SVM).write_text("x = " + "[" * 100 + "]" * 100 + "\ny = x" + "[0]" * 10_000 + "\n",
                                      encoding="utf-8")
    shutil.copytree(releases["starter"], batch / "fifo", ignore=shutil.ignore_patterns("__pycache__"))
    (batch / "fifo" / SVM).unlink()
    os.mkfifo(batch / "fifo" / SVM)
    return batch


def test_hostile_submissions_cost_only_themselves(hostile_class, releases, tmp_path):
    run = run_similarity(hostile_class, tmp_path / "report", starter=releases["starter"] / "cs_utils")
    documents = {document.name: document for document in run.documents}
    assert set(documents) == {"alice", "bob", "bomb", "linker", "huge", "deep", "fifo"}
    assert any("larger than" in note for note in documents["bomb"].notes) and not documents["bomb"].text
    assert any(f"larger than {sources.MAX_MODULE_BYTES >> 10} kB" in note for note in documents["huge"].notes)
    assert all("SECRET_OUTSIDE" not in document.text for document in documents.values())
    assert "[0][0]" in documents["deep"].text  # read as text although the parser gives up on it
    assert documents["fifo"].text == "" and documents["linker"].text == ""
    best = run.pairs[0]
    assert {best.a.name, best.b.name} == {"alice", "bob"} and best.score >= 0.99
    html = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert "Not compared" in html and "bomb" in html


def test_loose_files_and_a_folder_holding_one_zip_are_read_as_grade_all_reads_them(releases, tmp_path):
    batch = tmp_path / "submissions"
    shutil.copytree(releases["solution"], batch / "alice", ignore=shutil.ignore_patterns("__pycache__"))
    (batch / "loose").mkdir()  # two modules uploaded without their folders
    for name in ("linear_svm.py", "softmax.py"):
        shutil.copyfile(releases["solution"] / "cs_utils" / "classifiers" / name, batch / "loose" / name)
    (batch / "zipped").mkdir()
    with zipfile.ZipFile(batch / "zipped" / "upload.zip", "w") as bundle:
        for module in (releases["solution"] / "cs_utils" / "classifiers").glob("*.py"):
            bundle.write(module, f"a1/cs_utils/classifiers/{module.name}")
    run = run_similarity(batch, tmp_path / "report", starter=releases["starter"] / "cs_utils")
    documents = {document.name: document for document in run.documents}
    assert "# linear_svm.py" in documents["loose"].text and "# softmax.py" in documents["loose"].text
    assert "# k_nearest_neighbor.py" not in documents["loose"].text  # the starter's, laid under the upload
    assert documents["zipped"].text == documents["alice"].text
    pairs = {frozenset((pair.a.name, pair.b.name)): pair for pair in run.pairs}
    loose = pairs[frozenset(("alice", "loose"))]
    assert (loose.share_a if loose.a.name == "loose" else loose.share_b) >= 0.99
    assert pairs[frozenset(("alice", "zipped"))].score >= 0.99


def test_a_failure_of_the_check_on_one_submission_is_reported_and_the_class_goes_on(releases, tmp_path,
                                                                                   monkeypatch):
    batch = tmp_path / "submissions"
    for name in ("alice", "bob", "carol"):
        shutil.copytree(releases["solution"], batch / name, ignore=shutil.ignore_patterns("__pycache__"))
    real = sources.layout_document

    def failing_for_bob(name, *args):
        if name == "bob":
            raise RuntimeError("a bug of ours")
        return real(name, *args)

    monkeypatch.setattr(sources, "layout_document", failing_for_bob)
    run = run_similarity(batch, tmp_path / "report", starter=releases["starter"] / "cs_utils")
    documents = {document.name: document for document in run.documents}
    assert documents["bob"].notes == ("not compared: the similarity check failed on it (RuntimeError: a bug of ours)",)
    assert {run.pairs[0].a.name, run.pairs[0].b.name} == {"alice", "carol"} and run.pairs[0].score >= 0.99
    assert "a bug of ours" in (tmp_path / "report" / "index.html").read_text(encoding="utf-8")


def test_docstring_examples():
    import doctest

    from autograder.similarity import report

    for module in (sources, report):
        failures, tried = doctest.testmod(module)
        assert failures == 0 and tried > 0, module.__name__


def reformat(text: str) -> str:
    """What an auto-formatter (black) does to a module: long calls split over lines with a trailing
    comma, conditions wrapped in parentheses over lines. Only for the tests' own known inputs."""
    out = []
    for line in text.splitlines():
        indent = line[: len(line) - len(line.lstrip())]
        call = re.fullmatch(r"(\s*)(\S.*?\w)\((.+)\)", line)
        condition = re.fullmatch(r"(\s*)(if|elif|while) (.+):", line)
        if "#" in line or '"""' in line:
            out.append(line)  # a comment or a docstring's quotes: left as they are
        elif call and len(line) > 40 and call[3].count("(") == call[3].count(")") and " for " not in call[3]:
            comma = "," if "," in call[3] else ""
            out += [f"{indent}{call[2]}(", f"{indent}    {call[3]}{comma}", f"{indent})"]
        elif condition and len(line) > 30:
            out += [f"{indent}{condition[2]} (", f"{indent}    {condition[3]}", f"{indent}):"]
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def test_a_reformatted_starter_is_still_nobodys_code_and_a_reformatted_copy_is_still_found(releases, tmp_path):
    batch = tmp_path / "submissions"
    for name in ("formatted1", "formatted2"):
        shutil.copytree(releases["starter"], batch / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("alice", "alice_formatted"):
        shutil.copytree(releases["solution"], batch / name, ignore=shutil.ignore_patterns("__pycache__"))
    changed = 0
    for name in ("formatted1", "formatted2", "alice_formatted"):
        for module in sources.graded_modules():
            path = batch / name / module
            text = path.read_text(encoding="utf-8")
            path.write_text(reformat(text), encoding="utf-8")
            ast.parse(reformat(text))  # still Python
            changed += reformat(text) != text
    assert changed >= 9  # every module of the three submissions was reformatted
    run = run_similarity(batch, tmp_path / "report", starter=releases["starter"] / "cs_utils")
    documents = {document.name: document for document in run.documents}
    assert documents["formatted1"].text == "" and documents["formatted2"].text == ""
    pairs = {frozenset((pair.a.name, pair.b.name)): pair.score for pair in run.pairs}
    assert pairs[frozenset(("formatted1", "formatted2"))] == 0
    assert pairs[frozenset(("alice", "alice_formatted"))] >= 0.9

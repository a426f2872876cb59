"""The generated parts of the student handout (``assignment/README.md``) and of ``README.md``.

Both files are written by hand except between marker comments::

    <!-- BEGIN GENERATED: points -->
    ...
    <!-- END GENERATED: points -->

``python -m autograder release`` rewrites these regions and ``release --check`` fails when they
are stale, so the points table always matches the grader's manifest
(:data:`autograder.grading.manifest.TESTS`) and the written questions' points in the released
notebooks, and the Colab badges always point where ``COLAB_GITHUB_PATH`` says.
"""
from __future__ import annotations

import json
import re
from collections import OrderedDict
from pathlib import Path

from autograder import KIT_ROOT
from autograder.grading import manifest
from autograder.release import GRADED_CELLS_FILE

HANDOUT = Path("assignment") / "README.md"
README = Path("README.md")
#: The placeholder an instructor replaces (once, at the top of README's "For students" section).
PLACEHOLDER_PATH = "YOUR-GITHUB-ORG/YOUR-REPO/blob/main"
PATH_LINE = re.compile(r"<!-- COLAB_GITHUB_PATH: (?P<path>\S+) -->")
NOTEBOOKS = ("knn", "svm", "softmax")
#: Which notebook and file each graded student function belongs to, notebook by notebook (from the
#: declarations: :data:`autograder.grading.manifest.FUNCTIONS`).
FUNCTIONS = OrderedDict(
    (function.name, (function.notebook, Path(function.file).name))
    for notebook in NOTEBOOKS for function in manifest.FUNCTIONS if function.notebook == notebook
)


def _number(value: float) -> str:
    return f"{value:g}"


def points_table(tests, graded_cells: dict, notebook_tests=()) -> str:
    """The Markdown points table: code points per function (from ``tests``), notebook runs (from
    ``notebook_tests``), written answers per question.

    Parameters
    ----------
    tests : sequence of TestSpec
        The grader's manifest of code tests.
    graded_cells : dict
        The ``notebooks`` part of ``graded_cells.json`` (written-answer cells and their points).
    notebook_tests : sequence of TestSpec
        The grader's tests that run each notebook (``function`` is ``"<name>.ipynb"``).
    """
    unknown = {spec.function for spec in tests} - set(FUNCTIONS)
    if unknown:
        raise ValueError(f"the manifest grades functions no part declares: {sorted(unknown)}; "
                         "add them to their part's PART_FUNCTIONS in autograder/grading/checks/")
    code = {name: sum(spec.points for spec in tests if spec.function == name) for name in FUNCTIONS}
    counts = {name: sum(spec.function == name for spec in tests) for name in FUNCTIONS}
    written = {name: [(cell["grade_id"], cell["points"]) for cell in graded_cells.get(name, [])
                      if cell["kind"] == "written_answer"] for name in NOTEBOOKS}
    lines = ["| notebook | what is graded | where | tests | points |", "| --- | --- | --- | ---: | ---: |"]
    total_code = total_written = total_runs = 0.0
    graded_runs = [spec for spec in notebook_tests if spec.points]
    for notebook in NOTEBOOKS:
        for name, (owner, file) in FUNCTIONS.items():
            if owner == notebook and counts[name]:
                lines.append(f"| `{notebook}.ipynb` | `{name}` | `cs_utils/classifiers/{file}` | {counts[name]} | "
                             f"{_number(code[name])} |")
                total_code += code[name]
        runs = [spec for spec in notebook_tests if spec.function == f"{notebook}.ipynb" and spec.points]
        if runs:
            run_points = sum(spec.points for spec in runs)
            lines.append(f"| `{notebook}.ipynb` | your code cells run and write `notebooks/results/{notebook}.json` | "
                         f"the notebook | {len(runs)} | {_number(run_points)} |")
            total_runs += run_points
        for grade_id, points in written[notebook]:
            question = grade_id.rsplit("-", 2)[-2].upper()  # "knn-q1-answer" -> "Q1"
            lines.append(f"| `{notebook}.ipynb` | written answer, question {question[1:]} | the notebook | "
                         f"read by staff | {_number(points or 0)} |")
            total_written += points or 0
    lines.append(f"| | **total** | | | **{_number(total_code + total_runs + total_written)}** |")
    lines.append("")
    summary = f"Code: {_number(total_code)} points from {len(tests)} automatic tests, each all or nothing; "
    if graded_runs:
        summary += (f"notebooks: {_number(total_runs)} points from {len(graded_runs)} automatic checks (the grader "
                    "runs each notebook on a small synthetic data set); ")
    summary += f"written answers: {_number(total_written)} points, graded by the course staff."
    if total_written:
        summary += (f" The autograder's feedback shows the automatic points only (out of "
                    f"{_number(total_code + total_runs)}); the staff's points for the written answers come on top, "
                    f"{_number(total_code + total_runs + total_written)} in all.")
    lines.append(summary)
    return "\n".join(lines)


def colab_path(readme_text: str) -> str:
    match = PATH_LINE.search(readme_text)
    return match["path"] if match else PLACEHOLDER_PATH


def colab_badges(path: str, *, prefix: str = "notebooks/") -> str:
    """One "Open in Colab" badge per notebook, for the GitHub location ``owner/repo/blob/branch``."""
    titles = {"knn": "k-nearest neighbours", "svm": "multiclass SVM", "softmax": "softmax"}
    lines = []
    for name in NOTEBOOKS:
        url = f"https://colab.research.google.com/github/{path}/{prefix}{name}.ipynb"
        lines.append(f"- [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url}) "
                     f"`{name}.ipynb`: {titles[name]}")
    return "\n".join(lines)


def replace_region(text: str, name: str, content: str) -> str:
    begin, end = f"<!-- BEGIN GENERATED: {name} -->", f"<!-- END GENERATED: {name} -->"
    if text.count(begin) != 1 or text.count(end) != 1 or text.index(begin) > text.index(end):
        raise ValueError(f"expected one '{begin}' ... '{end}' region")
    head, rest = text.split(begin)
    _, tail = rest.split(end)
    return f"{head}{begin}\n{content}\n{end}{tail}"


def rendered(kit_root: Path = KIT_ROOT) -> dict[Path, str]:
    """What the handout and README must contain now, keyed by path relative to ``kit_root``."""
    from autograder.grading.manifest import NOTEBOOK_TESTS, TESTS

    graded = json.loads((kit_root / GRADED_CELLS_FILE).read_text(encoding="utf-8"))["notebooks"]
    readme = (kit_root / README).read_text(encoding="utf-8")
    badges = colab_badges(colab_path(readme))
    handout = (kit_root / HANDOUT).read_text(encoding="utf-8")
    handout = replace_region(handout, "points", points_table(TESTS, graded, NOTEBOOK_TESTS))
    handout = replace_region(handout, "colab badges", badges)
    return {HANDOUT: handout, README: replace_region(readme, "colab badges", badges)}


def update(kit_root: Path = KIT_ROOT) -> list[Path]:
    """Rewrite the generated regions; return the files that changed."""
    changed = []
    for relative, text in rendered(kit_root).items():
        path = kit_root / relative
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(relative)
    return changed


def differences(kit_root: Path = KIT_ROOT) -> list[str]:
    """The files whose generated regions are stale, as ``release --check`` lines."""
    return [
        f"{relative}: generated region changed"
        for relative, text in rendered(kit_root).items()
        if (kit_root / relative).read_text(encoding="utf-8") != text
    ]

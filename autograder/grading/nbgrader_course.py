"""A plain nbgrader course for this kit, with a configuration that avoids nbgrader's known traps.

``python -m autograder nbgrader-course --out DIR`` writes ``DIR/nbgrader_config.py`` and
``DIR/source/<assignment>/`` (the instructor notebooks, or a release's notebooks, plus the
student ``cs_utils/``, never the reference), ready for
``nbgrader generate_assignment``, ``autograde``, ``generate_feedback`` and ``export``. The kit's
own grader (``grade``/``grade-all``) does not need any of this; it is for courses that keep
nbgrader's formgrader workflow. ``source/<assignment>/`` has nbgrader's flat layout (the
notebooks beside ``cs_utils/``); ``python -m autograder nbgrader-stage`` puts the students'
submissions, in the kit's layout, into ``submitted/`` the same way (:mod:`.nbgrader_stage`), and
``grade-all --gradebook`` adds the kit's code grades (:mod:`.gradebook`).

This module writes files and runs ``nbgrader`` in a subprocess; it imports neither nbgrader nor
traitlets (the config file does, when nbgrader reads it).

What the configuration fixes (see ``config_text``):

* per-cell timeouts under the trait nbgrader reads (``Execute.timeout``; the
  ``ExecutePreprocessor.timeout`` spelling is ignored once ``Execute.timeout`` is set), with
  interrupt on timeout and no silent retries;
* every student ``.py`` file listed in ``Autograde.exclude_overwriting``: otherwise autograde
  replaces the students' modules with the instructor's copies before running the notebooks;
* ``ClearHiddenTests`` in ``GenerateFeedback.preprocessors``: nbgrader's default feedback shows
  the hidden tests; and a step before it that cuts the tracebacks of cells with hidden tests
  (IPython quotes the lines around a failing assert, hidden ones included);
* the ``skip-execution`` cell tag neutralized (a student could tag a test cell to skip it);
* output capped (lines and tracebacks), file sizes capped, warnings on stderr not counted as
  failures (``IgnorePattern``).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

#: A tag no notebook uses: nbclient skips cells carrying ``Execute.skip_cells_with_tag``.
NEUTRAL_SKIP_TAG = "kit-never-skip-7c1d0e"
DEFAULT_ASSIGNMENT = "ps1"


def student_python_files(package_root: Path) -> list[str]:
    """Every ``.py`` under ``package_root/cs_utils``, relative to ``package_root``, sorted."""
    return sorted(str(path.relative_to(package_root)) for path in (package_root / "cs_utils").rglob("*.py")
                  if "__pycache__" not in path.parts)


def config_text(course_id: str, assignment: str, student_files: list[str], *, cell_timeout: int = 60) -> str:
    """The text of ``nbgrader_config.py`` for one assignment whose students edit ``student_files``."""
    return f'''"""nbgrader configuration written by `python -m autograder nbgrader-course`; edit freely."""
import os

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades, NbGraderPreprocessor

c = get_config()  # noqa: F821 (provided by nbgrader when it reads this file)


class HideHiddenTestTracebacks(NbGraderPreprocessor):
    """Feedback: a test cell with hidden tests shows only the error's name. IPython's traceback
    quotes the lines around the failing one, hidden asserts included, and ClearHiddenTests only
    clears the cell's source."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and "BEGIN HIDDEN TESTS" in cell.source:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["evalue"] = "(details hidden: this test cell has hidden tests)"
                    output["traceback"] = [output.get("ename", "Error") + ": " + output["evalue"]]
        return cell, resources


c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".git", ".pytest_cache"]
c.CourseDirectory.max_file_size = 10000  # KB per file copied into a submission

# Execution: nbgrader's Execute reads its own traits; the ExecutePreprocessor spelling from the
# FAQ is ignored once Execute.* is set, so both carry the same values.
c.Execute.timeout = {cell_timeout}  # seconds per cell; there is no per-notebook limit in nbgrader
c.ExecutePreprocessor.timeout = {cell_timeout}
c.Execute.interrupt_on_timeout = True  # an endless cell fails alone instead of aborting the notebook
c.Execute.raise_on_iopub_timeout = True
c.Execute.startup_timeout = 120
c.Execute.execute_retries = 0  # a retry would hide a flaky or hostile notebook
c.Execute.skip_cells_with_tag = {NEUTRAL_SKIP_TAG!r}  # the "skip-execution" tag must not skip tests

# Output kept in autograded notebooks and feedback.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 40

# A warning on stderr must not turn a passing test cell into a failure.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"(Warning|warn\\(|DeprecationWarning|FutureWarning|RuntimeWarning)"

# The students' modules: nbgrader copies source/ over the submission unless they are listed here.
c.Autograde.exclude_overwriting = {{{assignment!r}: {json.dumps(student_files)}}}

# Feedback without the hidden tests (nbgrader's default feedback shows them).
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTestTracebacks, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
'''


def write_course(out: Path, notebooks: list[Path], package_root: Path, *, assignment: str = DEFAULT_ASSIGNMENT,
                 course_id: str = "cs231n-kit", cell_timeout: int = 60) -> Path:
    """Write ``out/nbgrader_config.py`` and ``out/source/<assignment>/`` (notebooks + ``cs_utils/``).

    ``package_root`` holds the student ``cs_utils/`` (the release, never the reference).
    """
    out = Path(out)
    source = out / "source" / assignment
    if source.exists():
        shutil.rmtree(source)
    source.mkdir(parents=True)
    for notebook in notebooks:
        shutil.copyfile(notebook, source / Path(notebook).name)
    shutil.copytree(Path(package_root) / "cs_utils", source / "cs_utils",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))
    files = student_python_files(source)
    (out / "nbgrader_config.py").write_text(config_text(course_id, assignment, files, cell_timeout=cell_timeout),
                                            encoding="utf-8")
    return out


def instructor_notebooks(scripts: list[Path], folder: Path) -> list[Path]:
    """Write the instructor notebooks (solutions and hidden tests still marked) of the kit's jupytext
    sources into ``folder``: what nbgrader's ``source/`` expects, so ``generate_assignment`` strips
    them. Reading the scripts goes through :mod:`autograder.nbgrader_bridge`, the notebooks' owner."""
    import nbformat

    from autograder.nbgrader_bridge import read_source_notebook

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for script in scripts:
        target = folder / (Path(script).stem + ".ipynb")
        nbformat.write(read_source_notebook(Path(script)), target)
        written.append(target)
    return written


def run_nbgrader(course: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in ``course`` (this interpreter's nbgrader), output captured."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                          text=True, timeout=timeout)

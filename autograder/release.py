"""Build the student release (and the solution release) from the reference source.

The reference source under ``autograder/source/`` is the only place where a student function is
written. Its solution parts sit between nbgrader's markers::

    def svm_loss_naive(W, X, y, reg):
        ...scaffold the student keeps...
        ### BEGIN SOLUTION
        ...reference code...
        ### END SOLUTION
        return loss, dW

nbgrader strips these markers from notebooks but copies ``.py`` files verbatim
(jupyter/nbgrader#1237), so this module does the ``.py`` part itself:

* student release: each region becomes a ``# TODO`` line and a ``raise NotImplementedError``
  naming the function, at the region's indentation;
* solution release: the marker lines are dropped and the reference code stays.

Everything else (docstrings, hints, validation scaffold, helper modules) is copied unchanged,
so stubs, solutions and docstrings cannot drift apart.

The notebooks are the second half of the release: each jupytext script
``autograder/source/notebooks/<name>.py`` becomes ``notebooks/<name>.ipynb`` through nbgrader's
own preprocessors (see :mod:`autograder.nbgrader_bridge`, the only module that imports
nbgrader). The release owns the ``*.ipynb`` files directly in ``notebooks/``; anything else there
(``notebooks/results/``, the student's saved choices) is left alone.
"""
from __future__ import annotations

import ast
import filecmp
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder import KIT_ROOT, SOURCE_ROOT

SOLUTION_BEGIN = "### BEGIN SOLUTION"
SOLUTION_END = "### END SOLUTION"
#: Top-level folders of the student layout that the release owns (generated, never hand-edited).
RELEASED_FOLDERS = ("cs_utils",)
#: Where the released notebooks go, and where their jupytext sources are (relative to the roots).
NOTEBOOK_FOLDER = "notebooks"
#: Names that are build litter, never part of a release.
IGNORED_NAMES = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".DS_Store"}
#: Grader modules the student package carries byte for byte: the loop and helper checks that the
#: public tests share with the grader (pure ``ast``, any system). Never the tests, never the
#: sandbox: the self-check's own runner is ``cs_utils/_grading/runner.py`` in the source.
SHIPPED_GRADER_MODULES = ("static.py",)
SHIPPED_GRADER_FOLDER = Path("cs_utils") / "_grading"
#: Written after the notebooks, from them: the graded cells' fingerprints, for ``cs_utils.submit``.
GRADED_CELLS_FILE = SHIPPED_GRADER_FOLDER / "graded_cells.json"
#: Written from the declarations: the graded functions in the assignment's order, for ``cs_utils.check``.
FUNCTIONS_FILE = SHIPPED_GRADER_FOLDER / "functions.json"
#: The line of each notebook's settings cell that says where Colab copies the kit from.
KIT_SOURCE_LINE = re.compile(r'^KIT_SOURCE = ""', re.MULTILINE)


class StaleRelease(Exception):
    """The committed student release (or the handout's generated parts) no longer matches the source."""


class MarkerError(ValueError):
    """A solution marker is unbalanced, nested or misplaced in a source file."""


@dataclass(frozen=True)
class SolutionRegion:
    """One ``### BEGIN SOLUTION`` … ``### END SOLUTION`` block of a Python source file.

    Attributes
    ----------
    begin, end : int
        0-based line numbers of the two marker lines.
    indent : str
        Leading whitespace of the ``BEGIN`` marker; the stub is written at this indentation.
    function : str
        Qualified name of the innermost function holding the region, e.g.
        ``"KNearestNeighbor.predict_labels"``.
    """

    begin: int
    end: int
    indent: str
    function: str


def find_solution_regions(text: str, path: str = "<source>") -> list[SolutionRegion]:
    """Locate every solution region of a Python source file.

    Parameters
    ----------
    text : str
        The file's contents.
    path : str
        Name used in error messages.

    Returns
    -------
    list of SolutionRegion
        In file order.

    Raises
    ------
    MarkerError
        If a marker is unbalanced or nested, or a region is not inside a function.
    """
    lines = text.splitlines()
    owners = _function_spans(text, path)
    regions: list[SolutionRegion] = []
    open_at: int | None = None
    for number, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(SOLUTION_BEGIN):
            if open_at is not None:
                raise MarkerError(
                    f"{path}:{number + 1}: '{SOLUTION_BEGIN}' inside the region opened on line "
                    f"{open_at + 1}; solution regions cannot be nested"
                )
            open_at = number
        elif stripped.startswith(SOLUTION_END):
            if open_at is None:
                raise MarkerError(f"{path}:{number + 1}: '{SOLUTION_END}' without a matching '{SOLUTION_BEGIN}'")
            indent = lines[open_at][: len(lines[open_at]) - len(lines[open_at].lstrip())]
            regions.append(SolutionRegion(open_at, number, indent, _owner(owners, open_at + 1, path)))
            open_at = None
    if open_at is not None:
        raise MarkerError(f"{path}:{open_at + 1}: '{SOLUTION_BEGIN}' is never closed by '{SOLUTION_END}'")
    return regions


def strip_solutions(text: str, path: str = "<source>") -> str:
    """Return the student version of a Python source file.

    Each solution region is replaced by a ``# TODO`` comment and a ``raise NotImplementedError``
    that names the enclosing function. The result is checked to compile.

    Examples
    --------
    >>> source = '''def double(x):
    ...     ### BEGIN SOLUTION
    ...     return 2 * x
    ...     ### END SOLUTION
    ... '''
    >>> print(strip_solutions(source), end="")
    def double(x):
        # TODO: write your code here, then delete the raise below.
        raise NotImplementedError("double is not implemented yet")
    """
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    position = 0
    for region in find_solution_regions(text, path):
        out.extend(lines[position : region.begin])
        out.append(f"{region.indent}# TODO: write your code here, then delete the raise below.\n")
        out.append(f'{region.indent}raise NotImplementedError("{region.function} is not implemented yet")\n')
        position = region.end + 1
    out.extend(lines[position:])
    student = "".join(out)
    _assert_compiles(student, f"{path} (student version)")
    return student


def keep_solutions(text: str, path: str = "<source>") -> str:
    """Return the solution version of a Python source file: the marker lines removed."""
    regions = find_solution_regions(text, path)
    marker_lines = {r.begin for r in regions} | {r.end for r in regions}
    lines = text.splitlines(keepends=True)
    return "".join(line for number, line in enumerate(lines) if number not in marker_lines)


def build_release(
    destination: Path, *, solutions: bool = False, source_root: Path = SOURCE_ROOT, kit_source: str = ""
) -> list[Path]:
    """Write the student (or solution) layout into ``destination``.

    Parameters
    ----------
    destination : Path
        Folder that receives ``cs_utils/`` and ``notebooks/*.ipynb``. ``cs_utils/`` is replaced
        whole; in ``notebooks/`` only the ``.ipynb`` files are (re)written, and released
        notebooks whose source is gone are removed; nothing else in ``destination`` is touched.
    solutions : bool
        Keep the reference code (instructor solution release) instead of writing stubs.
    source_root : Path
        The reference source tree.
    kit_source : str
        Where the notebooks' setup cell copies the kit from on Colab without Drive (a git URL,
        the student repository's): the default of ``KIT_SOURCE`` in each settings cell. Empty
        leaves it for the student to fill in.

    Returns
    -------
    list of Path
        The files written, relative to ``destination``.
    """
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for folder in RELEASED_FOLDERS:
        # Render into a scratch folder next to the target first, so a marker error leaves the
        # previous release untouched.
        with tempfile.TemporaryDirectory(dir=destination, prefix=f".{folder}-") as scratch:
            staged = Path(scratch) / folder
            for source_file in _released_files(source_root / folder):
                relative = source_file.relative_to(source_root)
                target = Path(scratch) / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                _render_file(source_file, target, solutions=solutions, label=str(relative))
                written.append(relative)
            if folder == SHIPPED_GRADER_FOLDER.parts[0]:
                written.extend(_copy_grader_modules(Path(scratch)))
            final = destination / folder
            if final.exists():
                shutil.rmtree(final)
            staged.rename(final)
    written.extend(_build_notebooks(destination, solutions=solutions, source_root=source_root, kit_source=kit_source))
    written.extend(_write_graded_cells(destination, source_root))
    written.extend(_write_functions(destination))
    return written


def _write_functions(destination: Path) -> list[Path]:
    """The graded functions (name, part, notebook, file), notebook by notebook, as the handout lists
    them: the self-check's registry follows the declarations (``autograder/grading/checks/``)."""
    if not (destination / SHIPPED_GRADER_FOLDER).is_dir():
        return []
    from autograder.grading.manifest import FUNCTIONS
    from autograder.handout import FUNCTIONS as IN_ORDER

    by_name = {function.name: function for function in FUNCTIONS}
    listed = [{"name": name, "part": by_name[name].part, "notebook": by_name[name].notebook,
               "file": by_name[name].file} for name in IN_ORDER]
    text = json.dumps({"functions": listed}, indent=1) + "\n"
    (destination / FUNCTIONS_FILE).write_text(text, encoding="utf-8")
    return [FUNCTIONS_FILE]


def _copy_grader_modules(staging: Path) -> list[Path]:
    grading = Path(__file__).resolve().parent / "grading"
    (staging / SHIPPED_GRADER_FOLDER).mkdir(parents=True, exist_ok=True)
    for name in SHIPPED_GRADER_MODULES:
        shutil.copyfile(grading / name, staging / SHIPPED_GRADER_FOLDER / name)
    return [SHIPPED_GRADER_FOLDER / name for name in SHIPPED_GRADER_MODULES]


def _write_graded_cells(destination: Path, source_root: Path) -> list[Path]:
    """Fingerprint the released notebooks' graded cells with ``cs_utils.submit`` (loaded by path)."""
    submit_source = source_root / "cs_utils" / "submit.py"
    notebooks = _released_notebooks(destination)
    if not notebooks or not submit_source.is_file() or not (destination / SHIPPED_GRADER_FOLDER).is_dir():
        return []
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("_release_submit", submit_source)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {submit_source}")
    submit = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = submit  # dataclasses look their module up while the file runs
    try:
        spec.loader.exec_module(submit)
    finally:
        del sys.modules[spec.name]
    text = submit.graded_cells_manifest({path.stem: destination / path for path in notebooks})
    (destination / GRADED_CELLS_FILE).write_text(text, encoding="utf-8")
    return [GRADED_CELLS_FILE]


def notebook_sources(source_root: Path = SOURCE_ROOT) -> list[Path]:
    """The jupytext scripts that become notebooks, sorted by name."""
    folder = source_root / NOTEBOOK_FOLDER
    return sorted(folder.glob("*.py")) if folder.is_dir() else []


def _build_notebooks(destination: Path, *, solutions: bool, source_root: Path, kit_source: str = "") -> list[Path]:
    sources = notebook_sources(source_root)
    if not sources:
        return []
    from autograder import nbgrader_bridge  # nbgrader takes seconds to import: only when needed

    # Render everything first, so a bad source leaves the previous notebooks untouched.
    rendered = {
        Path(NOTEBOOK_FOLDER) / f"{source.stem}.ipynb": nbgrader_bridge.render_notebook(source, solutions=solutions)
        for source in sources
    }
    if kit_source:
        rendered = {relative: with_kit_source(text, kit_source, str(relative)) for relative, text in rendered.items()}
    folder = destination / NOTEBOOK_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for stale in _released_notebooks(destination):
        if stale not in rendered:
            (destination / stale).unlink()
    for relative, text in rendered.items():
        (destination / relative).write_text(text, encoding="utf-8")
    return list(rendered)


def with_kit_source(notebook_text: str, kit_source: str, label: str = "<notebook>") -> str:
    """The notebook with ``KIT_SOURCE = "<kit_source>"`` in its settings cell (no other change).

    The settings cell is the one ungraded code cell that sets ``KIT_SOURCE``; it carries no
    nbgrader metadata, so the graded cells, their checksums and fingerprints stay as they are.
    """
    import nbformat

    notebook = nbformat.reads(notebook_text, as_version=4)
    settings = [
        cell for cell in notebook.cells
        if cell.cell_type == "code" and "nbgrader" not in cell.metadata and KIT_SOURCE_LINE.search(cell.source)
    ]
    if len(settings) != 1:
        raise MarkerError(f"{label}: expected one settings cell with the line 'KIT_SOURCE = \"\"', "
                          f"found {len(settings)}")
    settings[0].source = KIT_SOURCE_LINE.sub(lambda _: f"KIT_SOURCE = {json.dumps(kit_source)}",
                                             settings[0].source, count=1)
    return nbformat.writes(notebook) + "\n"


def _released_notebooks(root: Path) -> list[Path]:
    folder = root / NOTEBOOK_FOLDER
    return sorted(path.relative_to(root) for path in folder.glob("*.ipynb")) if folder.is_dir() else []


def require_current(kit_root: Path = KIT_ROOT) -> None:
    """Raise :class:`StaleRelease` when the release in ``kit_root`` is not what the source generates.

    What grades submissions elsewhere (the Gradescope bundle) must carry the notebooks and
    ``cs_utils`` the students got from this source, never an older or hand-edited copy.
    """
    from autograder import handout

    problems = release_differences(kit_root) + handout.differences(kit_root)
    if problems:
        shown = "\n  ".join(problems[:10]) + ("\n  ..." if len(problems) > 10 else "")
        raise StaleRelease(f"the student release in {kit_root} is out of date with autograder/source:\n  {shown}\n"
                           "Run 'python -m autograder release', check the student files it changed, and commit "
                           "them first.")


def release_differences(kit_root: Path = KIT_ROOT, *, source_root: Path = SOURCE_ROOT) -> list[str]:
    """List the released files whose committed copy differs from what the source generates.

    Returns
    -------
    list of str
        Paths relative to ``kit_root``, each followed by what is wrong (``changed``,
        ``missing`` from the committed release, or ``extra``, i.e. not generated). Empty when the
        committed release is up to date.
    """
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        expected_root = Path(scratch)
        build_release(expected_root, solutions=False, source_root=source_root)
        for folder in RELEASED_FOLDERS:
            expected = {p.relative_to(expected_root) for p in _released_files(expected_root / folder)}
            actual = {p.relative_to(kit_root) for p in _released_files(kit_root / folder)}
            for relative in sorted(expected | actual):
                if relative not in actual:
                    problems.append(f"{relative}: missing")
                elif relative not in expected:
                    problems.append(f"{relative}: extra (not generated from the source)")
                elif not filecmp.cmp(expected_root / relative, kit_root / relative, shallow=False):
                    problems.append(f"{relative}: changed")
        expected_notebooks = set(_released_notebooks(expected_root))
        actual_notebooks = set(_released_notebooks(kit_root))
        for relative in sorted(expected_notebooks | actual_notebooks):
            if relative not in actual_notebooks:
                problems.append(f"{relative}: missing")
            elif relative not in expected_notebooks:
                problems.append(f"{relative}: extra (not generated from the source)")
            elif not filecmp.cmp(expected_root / relative, kit_root / relative, shallow=False):
                problems.append(f"{relative}: changed")
    return problems


def _render_file(source: Path, target: Path, *, solutions: bool, label: str) -> None:
    if source.suffix != ".py":
        shutil.copyfile(source, target)
        return
    text = source.read_text(encoding="utf-8")
    rendered = keep_solutions(text, label) if solutions else strip_solutions(text, label)
    target.write_text(rendered, encoding="utf-8")


def _released_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and not IGNORED_NAMES.intersection(path.relative_to(folder).parts)
    )


def _function_spans(text: str, path: str) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function, 1-based, outermost first."""
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as error:
        raise MarkerError(f"{path}:{error.lineno}: the reference source does not parse: {error.msg}") from error
    spans: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    spans.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, f"{name}.")

    visit(tree, "")
    return spans


def _owner(spans: list[tuple[int, int, str]], line: int, path: str) -> str:
    holders = [name for first, last, name in spans if first <= line <= last]
    if not holders:
        raise MarkerError(f"{path}:{line}: a solution region must sit inside a function body")
    return holders[-1]


def _assert_compiles(text: str, label: str) -> None:
    try:
        compile(text, label, "exec")
    except SyntaxError as error:
        raise MarkerError(
            f"{label}:{error.lineno}: stripping the solution left code that does not compile "
            f"({error.msg}); a region must hold whole statements"
        ) from error

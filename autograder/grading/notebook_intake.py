"""Read a submitted notebook and rebuild it on the release template, cell by ``grade_id``.

For each assignment notebook (``knn``, ``svm``, ``softmax``) the intake

1. finds ``notebooks/<name>.ipynb`` in the student's copy, or a renamed copy such as
   ``knn (1).ipynb`` or ``Copy of knn.ipynb`` (reported);
2. reads it as JSON, nbformat 4 (an nbformat 3 file is converted; anything else is reported);
3. locates every graded cell by its nbgrader ``grade_id``, or by content when Colab dropped the
   metadata (the same fingerprints ``cs_utils.submit`` uses: :func:`locate_graded_cells`);
4. rebuilds the notebook from the *template* (the released student notebook): every cell is the
   template's, except the answer cells, which carry the student's text. Locked cells that were
   edited or deleted are restored; a split answer (the same ``grade_id`` on neighbouring cells, or
   cells the student added right after an answer cell) is joined; a duplicated answer keeps the
   last edited copy; a retyped answer keeps its text in the template's cell type;
5. keeps the PNG figures the student's notebook saved, checked and capped
   (:mod:`.saved_figures`), under the id of the template cell they belong to (a graded cell by
   its ``grade_id``, any other code cell by its unchanged source), for the graders of the
   written answers.

Nothing here runs student code and nothing raises for a bad notebook: every problem becomes a
sentence in :attr:`Intake.problems`, written for the student; a file name in it goes through
:func:`~.safe_text.file_label` (no control characters, bounded length).
"""
from __future__ import annotations

import importlib.util
import json
import re
import sys
import tempfile
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from pathlib import Path

from autograder import KIT_ROOT, SOURCE_ROOT
from autograder.grading.safe_text import file_label
from autograder.grading.saved_figures import png_outputs, within_budget

NOTEBOOK_NAMES = ("knn", "svm", "softmax")
MAX_NOTEBOOK_BYTES = 12 << 20
#: How a renamed copy may look: "knn (1).ipynb", "knn-Copy1.ipynb", "Copy of knn.ipynb", "knn_v2.ipynb".
RENAMED = r"^(copy of )?{name}([ _.-].*)?\.ipynb$"


@lru_cache(maxsize=1)
def _submit_module():
    """The reference ``cs_utils/submit.py`` (standard library only), loaded under a private name.

    The grader's parent may already hold the reference ``cs_utils`` in ``sys.modules``; loading the
    file by path avoids any question of which ``cs_utils`` answers.
    """
    path = SOURCE_ROOT / "cs_utils" / "submit.py"
    spec = importlib.util.spec_from_file_location("_kit_submit", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Template:
    """One released student notebook and the fingerprints of its graded cells."""

    name: str
    notebook: dict  # nbformat 4 JSON
    entries: tuple[dict, ...]  # graded_cells_manifest entries, in notebook order

    def entry(self, grade_id: str) -> dict:
        return next(e for e in self.entries if e["grade_id"] == grade_id)

    @cached_property
    def json_text(self) -> str:
        """The notebook as JSON text: a fresh copy is ``json.loads`` of it, far quicker than deepcopy."""
        return json.dumps(self.notebook)

    @cached_property
    def cell_lines(self) -> list[list[str]]:
        """Each cell's stripped non-blank lines, in notebook order."""
        return [_lines(_text(cell.get("source", ""))) for cell in self.notebook["cells"]]

    @cached_property
    def cell_by_grade_id(self) -> dict[str, int]:
        """The index of each graded cell."""
        return {cell["metadata"]["nbgrader"]["grade_id"]: index for index, cell in enumerate(self.notebook["cells"])
                if "grade_id" in cell.get("metadata", {}).get("nbgrader", {})}


@cache
def load_template(name: str, folder: Path | None = None) -> Template:
    """The released notebook ``name`` from ``folder`` (default: the kit's ``notebooks/``).

    Without a released copy (a Gradescope bundle carries only the source), it is rendered from
    ``autograder/source/notebooks/<name>.py`` with nbgrader's preprocessors.
    """
    path = Path(folder or KIT_ROOT / "notebooks") / f"{name}.ipynb"
    if path.is_file():
        text = path.read_text(encoding="utf-8")
    else:
        from autograder import nbgrader_bridge

        text = nbgrader_bridge.render_notebook(SOURCE_ROOT / "notebooks" / f"{name}.py", solutions=False)
    notebook = json.loads(text)
    with tempfile.TemporaryDirectory() as scratch:  # the fingerprints are computed from a file
        copy_path = Path(scratch) / f"{name}.ipynb"
        copy_path.write_text(text, encoding="utf-8")
        manifest = json.loads(_submit_module().graded_cells_manifest({name: copy_path}))
    return Template(name, notebook, tuple(manifest["notebooks"][name]))


@dataclass(frozen=True)
class Intake:
    """What the grader made of one submitted notebook."""

    name: str
    found: str | None  # the file used, relative to the submission ("notebooks/knn (1).ipynb")
    notebook: dict | None  # the rebuilt notebook (nbformat 4 JSON), None when nothing was usable
    answers: dict[str, str] = field(default_factory=dict)  # grade_id -> the student's text
    problems: tuple[str, ...] = ()  # for the student's feedback
    figures: dict[str, list[str]] = field(default_factory=dict)  # template cell id -> saved PNGs (base64)

    @property
    def usable(self) -> bool:
        return self.notebook is not None


def find_notebook(root: Path, name: str) -> tuple[Path | None, list[str]]:
    """``notebooks/<name>.ipynb`` under ``root``, or the one renamed copy that fits; and notes."""
    folder = Path(root) / "notebooks"
    exact = folder / f"{name}.ipynb"
    if exact.is_file() and not exact.is_symlink():
        return exact, []
    pattern = re.compile(RENAMED.format(name=re.escape(name)), re.IGNORECASE)
    candidates = []
    for where in (folder, Path(root)):
        if where.is_dir():
            candidates += sorted(p for p in where.iterdir()
                                 if pattern.match(p.name) and p.is_file() and not p.is_symlink())
    if not candidates:
        return None, [f"notebooks/{name}.ipynb is missing: its written answers and notebook code earn no points"]
    chosen = candidates[0]
    label = file_label(chosen.relative_to(root).as_posix())
    note = f"notebooks/{name}.ipynb was not found; graded {label} instead (keep the original file name)"
    if len(candidates) > 1:
        note += f"; {len(candidates) - 1} other renamed copies were ignored"
    return chosen, [note]


def read_cells(path: Path) -> tuple[list[dict] | None, list[str]]:
    """The cells of a notebook file as nbformat-4 dicts, or None and why not."""
    label = f"notebooks/{file_label(path.name)}"
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            return None, [f"{label} is {size / 2**20:.1f} MB (at most {MAX_NOTEBOOK_BYTES >> 20} MB): "
                          f"clear large outputs and submit again"]
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None, [f"{label} is not a readable notebook (not valid JSON): download it again from "
                      f"Jupyter or Colab (File > Download > .ipynb)"]
    if not isinstance(data, dict):
        return None, [f"{label} is not a notebook (the file holds no notebook object)"]
    version = data.get("nbformat")
    notes: list[str] = []
    if version == 3:
        data, notes = _from_v3(data, label)
        if data is None:
            return None, notes
    elif version != 4:
        shown = version if isinstance(version, int) and not isinstance(version, bool) else "(not a number)"
        return None, [f"{label} has notebook format {shown}; the grader reads format 4 (save it from a "
                      f"current Jupyter or Colab)"]
    cells = data.get("cells")
    if not isinstance(cells, list):
        return None, [f"{label} has no list of cells"]
    clean = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            continue
        source = cell.get("source", "")
        source = "".join(str(s) for s in source) if isinstance(source, list) else str(source)
        metadata = cell.get("metadata")
        if not isinstance(metadata, dict):
            metadata = {}
        nbgrader = metadata.get("nbgrader") if isinstance(metadata.get("nbgrader"), dict) else None
        clean.append({"cell_type": cell["cell_type"], "source": source,
                      "metadata": {"nbgrader": nbgrader} if nbgrader else {}})
        figures = png_outputs(cell)
        if figures:
            clean[-1]["figures"] = figures
    if len(clean) < len(cells):
        notes.append(f"{label}: {len(cells) - len(clean)} cells could not be read and were skipped")
    return clean, notes


def _from_v3(data: dict, label: str) -> tuple[dict | None, list[str]]:
    try:
        import nbformat

        converted = nbformat.v4.upgrade(nbformat.from_dict(data))
        return json.loads(nbformat.writes(converted, version=4)), [f"{label} is in the old notebook format 3; "
                                                                   f"it was converted"]
    except Exception:  # noqa: BLE001 (a broken old notebook is reported, never raised)
        return None, [f"{label} is in the old notebook format 3 and could not be converted"]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _is_stub(text: str) -> bool:
    return set(_lines(text)) <= _submit_module().PLACEHOLDER_LINES


def rebuild(template: Template, cells: list[dict], label: str,
            located: dict[str, list[int]] | None = None) -> tuple[dict, dict[str, str], list[str]]:
    """The template notebook with the student's answers; the answers by grade_id; problems.

    ``located`` is where the graded cells are among ``cells`` (``locate_graded_cells``), if known.
    """
    entries = list(template.entries)
    if located is None:
        located = _submit_module().locate_graded_cells(cells, entries)
    template_lines = [set(lines) for lines in template.cell_lines]
    known = {i for indices in located.values() for i in indices}
    problems: list[str] = []
    answers: dict[str, str] = {}
    for entry in entries:
        grade_id, where = entry["grade_id"], located[entry["grade_id"]]
        what = _describe(entry)
        if entry["kind"] == "locked":
            if not where:
                problems.append(f"{label}: {what} was deleted; the original was restored")
            elif any(_lines(cells[i]["source"]) != template.cell_lines[template.cell_by_grade_id[grade_id]]
                     for i in where):
                problems.append(f"{label}: {what} is read-only but was edited; the original was used")
            elif len(where) > 1:
                problems.append(f"{label}: {what} appears {len(where)} times; it is used once")
            continue
        if not where:
            problems.append(f"{label}: {what} is missing (deleted, or changed beyond recognition); it was "
                            f"graded as unanswered")
            answers[grade_id] = ""
            continue
        groups = _contiguous(where)
        if entry["kind"] == "code_answer":  # cells the student added right after the answer are part of it
            last = groups[-1]
            following = last[-1] + 1
            while (following < len(cells) and following not in known and cells[following]["cell_type"] == "code"
                   and not cells[following]["metadata"] and not _is_template_cell(cells[following], template_lines)):
                last.append(following)
                following += 1
        if len(groups) > 1:
            edited = [g for g in groups if not _is_stub("\n".join(cells[i]["source"] for i in g))]
            chosen = (edited or groups)[-1]
            problems.append(f"{label}: {what} appears {len(groups)} times; the last edited copy was graded")
        else:
            chosen = groups[0]
        if len(chosen) > 1:
            problems.append(f"{label}: {what} was split into {len(chosen)} cells; they were joined and graded as one")
        retyped = {cells[i]["cell_type"] for i in chosen} - {entry["cell_type"]}
        if retyped:
            problems.append(f"{label}: {what} was changed to a {'/'.join(sorted(retyped))} cell; it was graded as "
                            f"a {entry['cell_type']} cell")
        answers[grade_id] = "\n".join(cells[i]["source"].rstrip("\n") for i in chosen)
    notebook = json.loads(template.json_text)
    for cell in notebook["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        cell["source"] = answers[grade_id] if grade_id in answers else _text(cell["source"])
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return notebook, answers, problems


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def _is_template_cell(cell: dict, template_lines: list[set[str]]) -> bool:
    lines = set(_lines(cell["source"]))
    return bool(lines) and any(len(lines & known) >= 0.5 * len(known) for known in template_lines if known)


def _contiguous(indices: list[int]) -> list[list[int]]:
    groups: list[list[int]] = []
    for index in sorted(indices):
        if groups and index == groups[-1][-1] + 1:
            groups[-1].append(index)
        else:
            groups.append([index])
    return groups


def _describe(entry: dict) -> str:
    return _submit_module()._describe(entry)


def take_in(root: Path, name: str, template: Template | None = None) -> Intake:
    """Find, read and rebuild notebook ``name`` of the student's copy at ``root``; never raises."""
    template = template or load_template(name)
    path, problems = find_notebook(Path(root), name)
    if path is None:
        return Intake(name, None, None, {}, tuple(problems))
    label = file_label(path.relative_to(root).as_posix())
    cells, notes = read_cells(path)
    problems += notes
    if cells is None:
        return Intake(name, label, None, {}, tuple(problems))
    located = _submit_module().locate_graded_cells(cells, list(template.entries))
    notebook, answers, found = rebuild(template, cells, label, located)
    return Intake(name, label, notebook, answers, tuple(problems + found), saved_figures(template, cells, located))


def saved_figures(template: Template, cells: list[dict],
                  located: dict[str, list[int]] | None = None) -> dict[str, list[str]]:
    """Template code cell id -> the checked PNGs the student's matching cells saved (see step 5)."""
    if located is None:
        located = _submit_module().locate_graded_cells(cells, list(template.entries))
    if not any(cell.get("figures") for cell in cells):
        return {}
    taken = {index for indices in located.values() for index in indices}
    first_with_lines: dict[tuple[str, ...], int] = {}  # an ungraded code cell's lines -> its first index
    for index, cell in enumerate(cells):
        if index not in taken and cell["cell_type"] == "code":
            first_with_lines.setdefault(tuple(_lines(cell["source"])), index)
    found: dict[str, list[str]] = {}
    for cell, lines in zip(template.notebook["cells"], template.cell_lines, strict=True):
        if cell["cell_type"] != "code" or "id" not in cell:
            continue
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        indices = located[grade_id] if grade_id in located else [first_with_lines.get(tuple(lines), -1)]
        images = [image for index in indices if index >= 0 for image in cells[index].get("figures", ())]
        if images:
            found[cell["id"]] = images
    return within_budget(found)


def take_in_all(root: Path, names: tuple[str, ...] = NOTEBOOK_NAMES) -> dict[str, Intake]:
    return {name: take_in(root, name) for name in names}

"""Check your work is complete, then pack exactly the graded files into one zip.

From a terminal in the kit folder (the one holding ``cs_utils/`` and ``notebooks/``)::

    python -m cs_utils.submit                   # writes submission.zip in the kit folder
    python -m cs_utils.submit --out ~/a1.zip

``python -m`` looks for ``cs_utils`` in the current folder only, so inside ``notebooks/`` it
answers ``No module named 'cs_utils'``. From there (or from any other folder) give the path to
this file instead; it finds the kit by itself::

    python ../cs_utils/submit.py

In a notebook (on Colab, this is the way), in a cell after the setup cell::

    from cs_utils.submit import submit
    submit()

It refuses (exit code 1, no zip) when something would cost you points for sure: a notebook
missing, never run, or not saved after running; two different copies of one notebook (``knn.ipynb``
and ``knn (1).ipynb``) where the copy is newer; a graded cell deleted or duplicated; an output so
large the grader cannot take it; a results file the last cells write missing; a syntax error in
``cs_utils`` (with the file and line) or ``cs_utils`` not importing. It warns, and still packs,
when a function still raises ``NotImplementedError``, a written answer is still empty, or a graded
cell was saved showing an error: partial work earns partial credit.

The zip holds ``cs_utils/**/*.py``, the three notebooks as ``notebooks/<name>.ipynb``,
``notebooks/results/*.json`` and a ``MANIFEST.json`` (every file with its size and SHA-256);
nothing else (no data sets, caches, checkpoints or other notebooks). A notebook found only under
a renamed copy's name (``knn (1).ipynb``, ``Copy of knn.ipynb``: the names the grader also
accepts, :data:`RENAMED_COPY`) is packed under its own name, ``notebooks/knn.ipynb``, unchanged:
the grader reads it exactly as it would have read the copy.

Graded cells are found by their nbgrader ``grade_id``. Colab drops cell metadata, so each graded
cell is also recognised by content: ``cs_utils/_grading/graded_cells.json``, written by the
release, lists the lines of every graded cell as it was handed out (:func:`graded_cells_manifest`).

Standard library only: this module must run wherever the notebooks run, also as a plain script.
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
KIT_ROOT = PACKAGE_ROOT.parent
GRADED_CELLS = PACKAGE_ROOT / "_grading" / "graded_cells.json"
#: Where students hand in; instructors: change this sentence to your course's place.
UPLOAD_TO = 'Gradescope, assignment "Assignment 1: kNN, SVM and softmax" (drag the zip onto the upload box)'
#: Caps, below the grader's own limit of 20 MiB for a whole submission.
MAX_TOTAL_BYTES = 15 << 20
MAX_NOTEBOOK_BYTES = 8 << 20
MAX_OUTPUT_BYTES = 2 << 20
#: Lines that the release put in place of answers; they say nothing about which cell this is.
PLACEHOLDER_LINES = {"# YOUR CODE HERE", "raise NotImplementedError()", "YOUR ANSWER HERE"}
STUB_MESSAGE = "is not implemented yet"
#: Fraction of a graded cell's lines that a cell without metadata must contain to count as it.
MATCH_FRACTION = 0.5
SKIPPED = {"__pycache__", ".ipynb_checkpoints"}
#: The assignment's notebooks.
NOTEBOOK_NAMES = ("knn", "svm", "softmax")
#: The names under which the grader also accepts notebook ``{name}``: what browsers, Jupyter and
#: Colab call a copy ("knn (1).ipynb", "knn-Copy1.ipynb", "Copy of knn.ipynb", "knn_v2.ipynb").
#: Keep it equal to the grader's ``notebook_intake.RENAMED`` (a test checks).
RENAMED_COPY = r"^(copy of )?{name}([ _.-].*)?\.ipynb$"


# ---------------------------------------------------------------------------------- fingerprints


def _lines(source) -> list[str]:
    text = "".join(source) if isinstance(source, list) else str(source)
    return [line.strip() for line in text.splitlines() if line.strip()]


def _key_lines(source) -> list[str]:
    return [line for line in _lines(source) if line not in PLACEHOLDER_LINES]


def graded_cells_manifest(notebooks: dict[str, Path]) -> str:
    """The fingerprints of every graded cell of the released notebooks, as JSON text.

    Parameters
    ----------
    notebooks : dict of str to Path
        Notebook name (``"knn"``) to the released ``.ipynb``.

    Returns
    -------
    str
        ``{"notebooks": {name: [cell, ...]}}`` where each cell has ``grade_id``, ``cell_type``,
        ``kind`` (``locked``, ``code_answer`` or ``written_answer``), ``points``, ``key_lines``
        (its lines minus placeholders) and ``follows`` (the graded cell just before it, if any).
    """
    described: dict[str, list[dict]] = {}
    for name, path in sorted(notebooks.items()):
        cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
        entries, previous = [], None
        for cell in cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            if not meta or "grade_id" not in meta:
                previous = None
                continue
            kind = "locked" if not meta.get("solution") else (
                "code_answer" if cell["cell_type"] == "code" else "written_answer")
            entries.append({
                "grade_id": meta["grade_id"], "cell_type": cell["cell_type"], "kind": kind,
                "points": meta.get("points") if meta.get("grade") else None,
                "key_lines": _key_lines(cell["source"]), "follows": previous,
            })
            previous = meta["grade_id"]
        described[name] = entries
    return json.dumps({"schema_version": 1, "notebooks": described}, indent=1, sort_keys=True) + "\n"


def _fingerprint_matches(cell_type: str, present: set[str], entry: dict) -> bool:
    """Whether a cell of ``cell_type`` whose stripped lines are ``present`` is ``entry``'s cell."""
    keys = entry["key_lines"]
    if cell_type != entry["cell_type"] or not keys:
        return False
    found = sum(line in present for line in keys)
    return found == len(keys) if len(keys) == 1 else found / len(keys) >= MATCH_FRACTION


def locate_graded_cells(cells: list[dict], entries: list[dict]) -> dict[str, list[int]]:
    """Where each graded cell is: by nbgrader ``grade_id``, or by content in a cell without one.

    A written answer without metadata is the markdown cell right after its question.
    """
    found: dict[str, list[int]] = {entry["grade_id"]: [] for entry in entries}
    for index, cell in enumerate(cells):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in found:
            found[grade_id].append(index)
        elif grade_id is None:
            present = set(_lines(cell.get("source", "")))
            for entry in entries:
                if _fingerprint_matches(cell.get("cell_type", ""), present, entry):
                    found[entry["grade_id"]].append(index)
    taken = {index for indices in found.values() for index in indices}
    for entry in entries:
        if entry["kind"] == "written_answer" and not found[entry["grade_id"]] and entry["follows"]:
            for question in found.get(entry["follows"], []):
                following = question + 1
                if following < len(cells) and following not in taken and cells[following].get("cell_type") == \
                        "markdown" and "nbgrader" not in cells[following].get("metadata", {}):
                    found[entry["grade_id"]].append(following)
    return found


# ---------------------------------------------------------------------------------- validation


@dataclass
class Findings:
    """What validation found: errors stop the packing, warnings do not."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: The file packed as ``notebooks/<name>.ipynb``, for each notebook found.
    notebooks: dict[str, Path] = field(default_factory=dict)


# ---------------------------------------------------------------------------------- which notebook


def _label(kit: Path, path: Path) -> str:
    relative = path.relative_to(kit).as_posix()
    return relative if "/" in relative else f"{relative} (in the kit folder, not in notebooks/)"


def _saved(path: Path) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(path.stat().st_mtime))


def notebook_copies(kit: Path, name: str) -> list[Path]:
    """``notebooks/<name>.ipynb`` first, then every renamed copy the grader would also accept.

    Copies are looked for in ``notebooks/`` and in the kit folder itself, by :data:`RENAMED_COPY`,
    case-insensitively, in name order; symbolic links are not files the grader reads.
    """
    pattern = re.compile(RENAMED_COPY.format(name=re.escape(name)), re.IGNORECASE)
    exact = kit / "notebooks" / f"{name}.ipynb"
    has_exact = exact.is_file() and not exact.is_symlink()
    found = [exact] if has_exact else []
    for folder in (kit / "notebooks", kit):
        if folder.is_dir():  # samefile: on a case-insensitive disk "KNN.ipynb" is knn.ipynb itself
            found += sorted(path for path in folder.iterdir() if pattern.match(path.name) and path.is_file()
                            and not path.is_symlink() and not (has_exact and path.samefile(exact)))
    return found


def choose_notebook(kit: Path, name: str, findings: Findings) -> Path | None:
    """The one file to pack as ``notebooks/<name>.ipynb``, or None (with an error) when unsure.

    * only ``notebooks/<name>.ipynb``: that one;
    * only one renamed copy (``notebooks/knn (1).ipynb``): that one, with a warning saying so;
    * ``notebooks/<name>.ipynb`` and copies that are older or identical: ``<name>.ipynb``, with a
      warning naming the copies left out;
    * anything else (a copy saved later than ``<name>.ipynb``, or several copies and no
      ``<name>.ipynb``): an error listing every copy with the time it was saved. Which one holds
      the student's work is theirs to say; the grader would read only one of them.
    """
    proper = f"notebooks/{name}.ipynb"
    copies = notebook_copies(kit, name)
    if not copies:
        findings.errors.append(f"{proper} is missing: it must be in the notebooks folder, with this name")
        return None
    exact = kit / proper
    if copies == [exact]:
        return exact
    if len(copies) == 1:
        why = (" (a browser adds ' (1)' to a download when a file of that name exists)"
               if re.search(r" \(\d+\)\.ipynb$", copies[0].name) else "")
        findings.warnings.append(
            f"{proper} is not there, but {_label(kit, copies[0])} is: it goes into the zip as {proper}, "
            f"unchanged, and is graded as your {name} notebook{why}. Name it {name}.ipynb, in notebooks/, and this "
            f"warning goes away"
        )
        return copies[0]
    if copies[0] == exact:
        data = exact.read_bytes()
        others = copies[1:]
        newer = [path for path in others
                 if path.stat().st_mtime > exact.stat().st_mtime and path.read_bytes() != data]
        if not newer:
            findings.warnings.append(
                f"{proper} (saved {_saved(exact)}) goes into the zip; left out: "
                f"{', '.join(_label(kit, p) for p in others)}, older or identical copies of it. The grader reads "
                f"one notebook per name; delete the copies, or move them out of the kit folder, if you no longer "
                f"need them"
            )
            return exact
        shown = newer[0].name
        findings.errors.append(
            f"{_label(kit, newer[0])} (saved {_saved(newer[0])}) is newer than {proper} (saved {_saved(exact)}), "
            f"and the two differ. The grader reads only one of them. If your work is in '{shown}': delete "
            f"{name}.ipynb and rename '{shown}' to {name}.ipynb. If not: delete '{shown}'. Then package again"
        )
        return None
    listed = "; ".join(f"{_label(kit, path)} (saved {_saved(path)})" for path in copies)
    findings.errors.append(
        f"{proper} is not there, and there are {len(copies)} copies of it: {listed}. The grader reads only one. "
        f"Rename the one that holds your work to notebooks/{name}.ipynb, delete the others (or move them out of "
        f"the kit folder), then package again"
    )
    return None


def _describe(entry: dict) -> str:
    first = entry["key_lines"][0] if entry["key_lines"] else ""
    if entry["kind"] == "written_answer":
        return f"the answer cell of {entry['follows'] or entry['grade_id']}"
    if first.startswith("###"):
        return f"the cell '{first.lstrip('#').strip()}'"
    return f"the cell starting '{first[:60]}'" if first else f"cell {entry['grade_id']}"


def _executed(cell: dict) -> bool:
    return cell.get("execution_count") is not None or bool(cell.get("outputs"))


def _output_bytes(output: dict) -> int:
    return len(json.dumps(output))


def check_notebook(name: str, path: Path, entries: list[dict], findings: Findings, label: str | None = None) -> None:
    """Validate one notebook against its graded-cell fingerprints; ``label`` names it in messages."""
    label = label or f"notebooks/{path.name}"
    if not path.is_file():
        findings.errors.append(f"{label} is missing: it must be in the notebooks folder, with this name")
        return
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        findings.errors.append(f"{label} is {path.stat().st_size / 2**20:.1f} MB (at most "
                               f"{MAX_NOTEBOOK_BYTES >> 20} MB): clear large outputs and run again")
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        if not isinstance(cells, list):
            raise TypeError
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        findings.errors.append(f"{label} is not a readable notebook: download it again from Colab or Jupyter")
        return
    code = [cell for cell in cells if cell.get("cell_type") == "code"]
    if code and not any(_executed(cell) for cell in code):
        findings.errors.append(f"{label} has no outputs: run it from top to bottom, save it, then package")
        return
    for number, cell in enumerate(cells, start=1):
        for output in cell.get("outputs", []) or []:
            size = _output_bytes(output)
            if size > MAX_OUTPUT_BYTES:
                findings.errors.append(f"{label}: cell {number} has an output of {size / 2**20:.1f} MB (at most "
                                       f"{MAX_OUTPUT_BYTES >> 20} MB): print less, then run the cell again")
    located = locate_graded_cells(cells, entries)
    for entry in entries:
        where = located[entry["grade_id"]]
        if not where:
            findings.errors.append(f"{label}: {_describe(entry)} is missing (deleted?); copy it back from a fresh "
                                   f"copy of the notebook")
            continue
        if len(where) > 1:
            findings.errors.append(f"{label}: {_describe(entry)} appears {len(where)} times (cells "
                                   f"{', '.join(str(i + 1) for i in where)}); keep exactly one")
            continue
        cell = cells[where[0]]
        if entry["cell_type"] == "code" and not _executed(cell):
            findings.errors.append(f"{label}: {_describe(entry)} (cell {where[0] + 1}) has not been run; run the "
                                   f"notebook and save it")
        if entry["kind"] == "written_answer" and _lines(cell.get("source", "")) in ([], ["YOUR ANSWER HERE"]):
            findings.warnings.append(f"{label}: {_describe(entry)} is still empty")
        if entry["kind"] == "code_answer" and "raise NotImplementedError()" in _lines(cell.get("source", "")):
            findings.warnings.append(f"{label}: {_describe(entry)} still has 'raise NotImplementedError()'")
        elif entry["cell_type"] == "code" and _saved_error(cell):
            findings.warnings.append(
                f"{label}: {_describe(entry)} (cell {where[0] + 1}) was saved showing an error ({_saved_error(cell)}). "
                f"The grader runs your cells again: fix the error, run the notebook from the top, save it and "
                f"package again"
            )


def _saved_error(cell: dict) -> str:
    """``"ValueError: ..."`` when a cell's saved outputs hold an error traceback, else ``""``."""
    for output in cell.get("outputs", []) or []:
        if isinstance(output, dict) and output.get("output_type") == "error":
            value = str(output.get("evalue", "")).strip().splitlines()
            shown = f"{output.get('ename', 'Error')}: {value[0][:100]}" if value else str(output.get("ename", "Error"))
            return shown
    return ""


def check_results(kit: Path, names: list[str], findings: Findings) -> None:
    """Each notebook's results file exists, is a JSON object, and is not newer than the notebook."""
    for name in names:
        path = kit / "notebooks" / "results" / f"{name}.json"
        label = f"notebooks/results/{name}.json"
        if not path.is_file():
            findings.errors.append(f"{label} is missing: run the last cells of notebooks/{name}.ipynb, which write it")
            continue
        try:
            if not isinstance(json.loads(path.read_text(encoding="utf-8")), dict):
                raise ValueError
        except (ValueError, UnicodeDecodeError):
            findings.errors.append(f"{label} is not a JSON object: run the last cells of {name}.ipynb again")
            continue
        notebook = findings.notebooks.get(name, kit / "notebooks" / f"{name}.ipynb")
        if notebook.is_file() and path.stat().st_mtime > notebook.stat().st_mtime + 120:
            findings.warnings.append(f"{label} is newer than {notebook.name}: save the notebook (File > Save) so "
                                     f"its outputs match the results")


def unfinished_functions(package: Path) -> list[str]:
    """Functions whose body still raises the release's ``NotImplementedError`` (read with ``ast``)."""
    unfinished = []
    for path in sorted((package / "classifiers").glob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, ValueError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
                message = node.exc.args[0]
                if isinstance(message, ast.Constant) and isinstance(message.value, str) \
                        and message.value.endswith(STUB_MESSAGE):
                    name = message.value[: -len(STUB_MESSAGE)].strip()
                    if name not in unfinished:  # a function may hold several stubbed regions
                        unfinished.append(name)
    return unfinished


def syntax_errors(kit: Path) -> list[str]:
    """One message per file of ``cs_utils`` that Python cannot read: file, line, the line itself."""
    messages = []
    for path in sorted((kit / "cs_utils").rglob("*.py")):
        relative = path.relative_to(kit).as_posix()
        if SKIPPED.intersection(path.relative_to(kit).parts):
            continue
        try:
            source = path.read_bytes()
            ast.parse(source, filename=relative)
        except SyntaxError as error:  # also IndentationError and TabError
            lines = source.decode("utf-8", "replace").splitlines()
            number = error.lineno or 0
            shown = lines[number - 1].rstrip() if 0 < number <= len(lines) else ""
            message = f"{relative}, line {number}: {error.msg}"
            if shown.strip():
                caret = " " * (max(error.offset or 1, 1) - 1 - (len(shown) - len(shown.lstrip())))
                message += f"\n        {shown.strip()}\n        {caret}^"
            messages.append(f"{message}\n    fix this line (or the one above it), save the file and run this again")
        except ValueError:  # a NUL byte
            messages.append(f"{relative} holds a NUL byte, so it is not a Python file: copy it again from your work")
    return messages


def _import_error(stderr: str, kit: Path) -> str:
    """The last line of a traceback, and where in ``cs_utils`` it happened when it did."""
    lines = stderr.strip().splitlines() or ["unknown error"]
    where = ""
    for line in lines:
        match = re.match(r'\s*File "(.+)", line (\d+)', line)
        if match and Path(match.group(1)).is_relative_to(kit / "cs_utils"):
            where = f" ({Path(match.group(1)).relative_to(kit).as_posix()}, line {match.group(2)})"
    return f"{lines[-1]}{where}"


def check_package(kit: Path, findings: Findings) -> None:
    """``cs_utils`` parses and imports; list the functions that are still stubs."""
    package = kit / "cs_utils"
    if not (package / "classifiers").is_dir():
        findings.errors.append("cs_utils/classifiers is missing: package from the kit folder")
        return
    broken = syntax_errors(kit)
    findings.errors.extend(broken)
    script = "import sys; sys.path.insert(0, sys.argv[1]); import cs_utils.classifiers"
    try:
        result = subprocess.run([sys.executable, "-c", script, str(kit)], cwd=kit, capture_output=True, text=True,
                                timeout=120)
        if result.returncode != 0 and not broken:  # a syntax error was reported above, with its line
            findings.errors.append(f"cs_utils does not import: {_import_error(result.stderr, kit.resolve())}")
    except subprocess.TimeoutExpired:
        findings.errors.append("importing cs_utils did not finish within 2 minutes (code at module level?)")
    for function in unfinished_functions(package):
        findings.warnings.append(f"{function} still raises NotImplementedError (no points for its tests)")


def validate(kit: Path = KIT_ROOT, manifest_path: Path | None = None) -> Findings:
    """Everything :func:`main` checks before packing, as data."""
    findings = Findings()
    manifest_path = manifest_path or kit / "cs_utils" / "_grading" / "graded_cells.json"
    try:
        graded = json.loads(manifest_path.read_text(encoding="utf-8"))["notebooks"]
    except (OSError, ValueError, KeyError):
        findings.errors.append(f"{manifest_path} is missing or damaged: get a fresh copy of cs_utils/_grading "
                               "from the assignment kit")
        return findings
    for name, entries in sorted(graded.items()):
        path = choose_notebook(kit, name, findings)
        if path is not None:
            findings.notebooks[name] = path
            check_notebook(name, path, entries, findings, label=path.relative_to(kit).as_posix())
    check_results(kit, sorted(graded), findings)
    check_package(kit, findings)
    return findings


# ---------------------------------------------------------------------------------- packing


def graded_files(kit: Path, notebooks: dict[str, Path] | None = None) -> dict[str, Path]:
    """The files that go into the zip: name in the zip -> file, sorted by name.

    ``notebooks`` maps each notebook to the file chosen for it (:attr:`Findings.notebooks`);
    default: ``notebooks/<name>.ipynb`` where it exists. No other notebook is packed.
    """
    if notebooks is None:
        notebooks = {name: kit / "notebooks" / f"{name}.ipynb" for name in NOTEBOOK_NAMES
                     if (kit / "notebooks" / f"{name}.ipynb").is_file()}
    chosen = {f"notebooks/{name}.ipynb": path for name, path in notebooks.items()}
    for folder, pattern in (("cs_utils", "**/*.py"), ("notebooks/results", "*.json")):
        for path in (kit / folder).glob(pattern):
            relative = path.relative_to(kit)
            if path.is_file() and not path.is_symlink() and not SKIPPED.intersection(relative.parts):
                chosen[relative.as_posix()] = path
    return dict(sorted(chosen.items()))


def write_zip(out: Path, files: dict[str, Path]) -> int:
    """Write the zip with ``MANIFEST.json``; return its size. ValueError when over the cap.

    ``files`` maps each name in the zip to the file it holds (:func:`graded_files`).
    """
    total = sum(path.stat().st_size for path in files.values())
    if total > MAX_TOTAL_BYTES:
        largest = sorted(files, key=lambda name: files[name].stat().st_size, reverse=True)[:3]
        raise ValueError(f"the graded files add up to {total / 2**20:.1f} MB, more than "
                         f"{MAX_TOTAL_BYTES >> 20} MB; largest: {', '.join(largest)}")
    entries = []
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in files.items():
            data = path.read_bytes()
            archive.writestr(name, data)
            digest = hashlib.sha256(data).hexdigest()
            entries.append({"path": name, "bytes": len(data), "sha256": digest})
        manifest = {"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "files": entries}
        archive.writestr("MANIFEST.json", json.dumps(manifest, indent=1) + "\n")
    os.replace(partial, out)
    return out.stat().st_size


def find_kit(start: Path) -> Path | None:
    """The kit folder: ``start`` or the nearest folder above it holding ``cs_utils/`` and ``notebooks/``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "cs_utils" / "__init__.py").is_file() and (folder / "notebooks").is_dir():
            return folder
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (0: zip written, 1: not)."""
    parser = argparse.ArgumentParser(
        prog="python -m cs_utils.submit",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Validate your notebooks and cs_utils, then write the zip to hand in.",
        epilog="examples:\n  python -m cs_utils.submit\n  python -m cs_utils.submit --out ~/submission.zip\n",
    )
    parser.add_argument("--kit", default=str(KIT_ROOT), help="the kit folder, or any folder inside it (default: the "
                        "one holding this cs_utils)")
    parser.add_argument("--out", help="where to write the zip (default: KIT/submission.zip)")
    args = parser.parse_args(argv)
    kit = find_kit(Path(args.kit).expanduser())
    if kit is None:
        print(f"error: {args.kit} is not inside a kit folder (one holding cs_utils/ and notebooks/). Give --kit the "
              f"kit folder, or run this file from the kit: python path/to/kit/cs_utils/submit.py", file=sys.stderr)
        return 1
    out = Path(args.out).expanduser().resolve() if args.out else kit / "submission.zip"
    findings = validate(kit)
    for warning in findings.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if findings.errors:
        for error in findings.errors:
            print(f"error: {error}", file=sys.stderr)
        print(f"\nNo zip written: fix the {len(findings.errors)} error(s) above and run this again.", file=sys.stderr)
        return 1
    files = graded_files(kit, findings.notebooks)
    try:
        size = write_zip(out, files)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Wrote {out} ({len(files)} files, {size / 1024:.0f} KB).")
    if "google.colab" in sys.modules or os.environ.get("COLAB_RELEASE_TAG"):
        print("On Colab: find it in the Files panel (left), right-click it and choose Download.")
    print(f"Upload this one file to {UPLOAD_TO}.")
    if findings.warnings:
        print(f"({len(findings.warnings)} warning(s) above: you may fix them and package again before the deadline.)")
    return 0


def submit(out: str | Path | None = None) -> Path | None:
    """Notebook helper: the same as ``python -m cs_utils.submit``, from any working folder.

    Returns the zip's path, or None when validation failed (the errors are printed).

    Examples
    --------
    In a cell after the setup cell: ``from cs_utils.submit import submit; submit()``.
    """
    target = Path(out).expanduser().resolve() if out is not None else KIT_ROOT / "submission.zip"
    print("Packing your notebooks as they were last saved: save this one first (File > Save).")
    code = main(["--kit", str(KIT_ROOT), "--out", str(target)])
    return target if code == 0 else None


if __name__ == "__main__":
    sys.exit(main())

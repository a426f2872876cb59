"""The Gradescope bundle: ``python -m autograder gradescope --out autograder.zip``.

The zip holds, at its root, ``setup.sh`` (installs the Python packages of ``requirements.txt``,
notebook execution included), ``run_autograder`` and the grader itself: ``autograder/grading``,
``autograder/synthetic_data.py`` (the notebooks' data), the reference ``cs_utils``, the manifest,
the released ``notebooks/*.ipynb`` (the templates the intake rebuilds a submitted notebook on)
and the released ``cs_utils/`` (the starter that loose uploads are laid over, so their notebooks
find ``data_utils`` and the rest). It never reaches students. On Gradescope, ``run_autograder``
runs::

    python3 -m autograder.grading.gradescope /autograder

which grades ``/autograder/submission`` like ``grade`` does by default, notebooks included, and
writes ``/autograder/results/results.json``. A submission without notebooks is still graded: its
notebook tests score 0 and the feedback says which notebook is missing. The root is
``$AUTOGRADER_ROOT`` when set (tests run the real script on a layout in a temporary folder) and
the interpreter ``$AUTOGRADER_PYTHON``.

Students upload either the kit's folder layout (``cs_utils/...`` and ``notebooks/...``, possibly
zipped, possibly one folder deeper) or loose files (``linear_svm.py``, ``softmax.py``,
``knn.ipynb``, ...): :func:`stage` turns both into the layout the grader expects.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path, PurePosixPath

from autograder import KIT_ROOT, SOURCE_ROOT
from autograder.grading import preflight
from autograder.grading.notebook_intake import MAX_NOTEBOOK_BYTES, NOTEBOOK_NAMES

#: What the grader needs at run time: NumPy for the code tests; jsonschema for the results files;
#: nbclient, nbformat, jupyter_client and ipykernel to run the notebooks; matplotlib, which they import.
REQUIREMENTS = """\
numpy>=1.24
jsonschema>=4.18
tqdm>=4.65
matplotlib>=3.7
nbformat>=5.9
nbclient>=0.10
jupyter_client>=8.0
ipykernel>=6.0
"""
#: Loose files larger than this are ignored (the folder layout has its own caps in ``submission``).
MAX_LOOSE_BYTES = 1 << 20

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when the autograder image is built.
set -euo pipefail
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive
if ! command -v python3 >/dev/null || ! python3 -m pip --version >/dev/null 2>&1; then
    apt-get update
    apt-get install -y --no-install-recommends python3 python3-pip
fi
python3 -m pip install --no-cache-dir -r requirements.txt \\
    || python3 -m pip install --no-cache-dir --break-system-packages -r requirements.txt
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission. It grades ROOT/submission into
# ROOT/results/results.json; ROOT is $AUTOGRADER_ROOT, or /autograder.
set -u
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${AUTOGRADER_PYTHON:-python3}"
cd "$ROOT/source"
mkdir -p "$ROOT/results"
PYTHONPATH="$ROOT/source" "$PYTHON" -m autograder.grading.gradescope "$ROOT"
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
    # Python itself failed: still give Gradescope a valid file that says so.
    cat > "$ROOT/results/results.json" <<'JSON'
{"score": 0,
 "output": "The autograder could not run; your instructors have been told. Resubmitting will not help.",
 "tests": [{"name": "Could not grade", "score": 0, "max_score": 0, "status": "failed",
            "output": "The autograder failed to start.", "visibility": "visible"}]}
JSON
fi
exit $status
"""


# ------------------------------------------------------------------------------- the bundle


def bundle_members(kit_root: Path = KIT_ROOT) -> list[tuple[str, Path]]:
    """(name in the zip, file on disk) for the grader: package, grading code, reference ``cs_utils``,
    released notebooks and released ``cs_utils``, each where the kit has it.

    Raises
    ------
    FileNotFoundError
        If a released notebook or the released ``cs_utils/`` is missing.
    """
    members = []
    package = kit_root / "autograder"
    for name in ("__init__.py", "exit_codes.py", "synthetic_data.py"):
        members.append((f"autograder/{name}", package / name))
    for name in NOTEBOOK_NAMES:
        template = kit_root / "notebooks" / f"{name}.ipynb"
        if not template.is_file():
            raise FileNotFoundError(
                f"{template} is missing: the bundle carries the released notebooks; run "
                f"`python -m autograder release` first"
            )
        members.append((f"notebooks/{name}.ipynb", template))
    if not (kit_root / "cs_utils" / "__init__.py").is_file():
        raise FileNotFoundError(
            f"{kit_root / 'cs_utils'} is missing: the bundle carries the released cs_utils/; "
            f"run `python -m autograder release` first"
        )
    for folder in (package / "grading", package / "source" / "cs_utils", kit_root / "cs_utils"):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                members.append((str(path.relative_to(kit_root)), path))
    return members


#: In the bundle: the weaker isolation modes the instructor accepted (``--accept-isolation``).
ACCEPTED_ISOLATION_FILE = "accept-isolation.txt"


def build_bundle(out: Path, kit_root: Path = KIT_ROOT, accept: str = "") -> Path:
    """Write the Gradescope zip to ``out``; return its path.

    ``accept`` (``no-uid-drop+no-cgroups``, say) is stored in the bundle: on Gradescope the grader
    probes its sandbox before grading and grades only if every promise that fails was accepted.
    """
    preflight.parse_accepted(accept)  # a typo fails here, not on Gradescope
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        _add_text(bundle, "setup.sh", SETUP_SH, executable=True)
        _add_text(bundle, "run_autograder", RUN_AUTOGRADER, executable=True)
        _add_text(bundle, "requirements.txt", REQUIREMENTS)
        _add_text(bundle, ACCEPTED_ISOLATION_FILE, accept + "\n")
        for name, path in bundle_members(kit_root):
            _add_text(bundle, name, path.read_bytes())
    os.replace(temporary, out)
    return out


def _add_text(bundle: zipfile.ZipFile, name: str, data: str | bytes, *, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # fixed: the same tree gives the same zip
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    bundle.writestr(info, data)


# ------------------------------------------------------------------------------- at grading time


def known_files(source_root: Path = SOURCE_ROOT) -> dict[str, str]:
    """Basename -> place in the layout, for the reference package's modules and the notebooks
    (loose uploads)."""
    places: dict[str, str] = {}
    for path in sorted((source_root / "cs_utils").rglob("*.py")):
        relative = path.relative_to(source_root)
        if "__pycache__" not in relative.parts and path.name != "__init__.py":
            places.setdefault(path.name, str(relative))
    places.update(
        {
            path.name: str(path.relative_to(source_root))
            for path in (source_root / "cs_utils" / "classifiers").glob("*.py")
            if path.name != "__init__.py"
        }
    )
    places.update({f"{name}.ipynb": f"notebooks/{name}.ipynb" for name in NOTEBOOK_NAMES})
    return places


def _loose_cap(name: str) -> int:
    return MAX_NOTEBOOK_BYTES if name.endswith(".ipynb") else MAX_LOOSE_BYTES


def stage(submission: Path, staging: Path, starter: Path = KIT_ROOT / "cs_utils") -> Path:
    """What to grade for a Gradescope submission folder: the folder, a zip in it, or a layout built
    in ``staging`` from loose files laid over the released ``starter`` package."""
    entries = [entry for entry in submission.iterdir() if not entry.name.startswith(".")] if submission.is_dir() else []
    if any(
        path.name == "cs_utils" and path.is_dir() and not path.is_symlink() for path in _shallow(submission, depth=3)
    ):
        return submission
    archives = [
        entry for entry in entries if entry.suffix.lower() == ".zip" and entry.is_file() and not entry.is_symlink()
    ]
    if len(archives) == 1 and _zip_has_layout(archives[0]):
        return archives[0]
    places = known_files()
    wanted: dict[str, bytes] = {}
    for entry in entries:
        if (
            entry.is_file()
            and not entry.is_symlink()
            and entry.name in places
            and entry.stat().st_size <= _loose_cap(entry.name)
        ):
            wanted[places[entry.name]] = entry.read_bytes()
    for archive in archives:
        wanted.update(
            {places[name]: data for name, data in _loose_members(archive, places).items() if places[name] not in wanted}
        )
    if not wanted:
        return submission  # the grader explains that no cs_utils/ folder was found
    if starter.is_dir():  # the files a student never edits (data_utils, notebook_setup, ...) come from the release
        shutil.copytree(starter, staging / "cs_utils", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for relative, data in wanted.items():
        target = staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return staging


def _shallow(folder: Path, depth: int) -> list[Path]:
    found, level = [], [folder]
    for _ in range(depth):
        following = []
        for directory in level:
            try:
                children = [child for child in directory.iterdir() if not child.is_symlink()]
            except OSError:
                continue
            found += children
            following += [child for child in children if child.is_dir()][:50]
        level = following
    return found


def _zip_has_layout(archive: Path) -> bool:
    try:
        with zipfile.ZipFile(archive) as bundle:
            return any("cs_utils" in PurePosixPath(name).parts[:-1] for name in bundle.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def _loose_members(archive: Path, places: dict[str, str]) -> dict[str, bytes]:
    """Known module and notebook files anywhere in a zip, by basename (first one wins), size-capped."""
    found: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(archive) as bundle:
            for member in bundle.infolist():
                name = PurePosixPath(member.filename.replace("\\", "/")).name
                if member.is_dir() or name not in places or name in found or member.file_size > _loose_cap(name):
                    continue
                with bundle.open(member) as handle:
                    data = handle.read(_loose_cap(name) + 1)
                if len(data) <= _loose_cap(name):
                    found[name] = data
    except (zipfile.BadZipFile, OSError, RuntimeError):
        return {}
    return found


def run(root: Path) -> int:
    """Grade ``root/submission`` into ``root/results/results.json``; 0 whenever the file was written."""
    from autograder.grading import render
    from autograder.grading.batch import grade_one
    from autograder.grading.manifest import TESTS
    from autograder.grading.runner import INTERNAL_ERROR
    from autograder.grading.scoring import could_not_grade

    start = time.monotonic()
    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)
    for private in (root / "source", results):
        os.chmod(private, 0o700)  # the grading uid must not read the reference even without namespaces
    with tempfile.TemporaryDirectory(prefix="gradescope-stage-") as scratch:
        try:
            target = stage(root / "submission", Path(scratch) / "submission")
            accepted = root / "source" / ACCEPTED_ISOLATION_FILE
            accept = preflight.parse_accepted(accepted.read_text().strip() if accepted.is_file() else "")
            result = grade_one(target, hide=(root,), notebooks=True, accept=accept)
        except Exception:
            result = could_not_grade(
                "submission", TESTS, INTERNAL_ERROR, staff_log=traceback.format_exc(), seconds=time.monotonic() - start
            )
    document = render.gradescope_results(result)
    render.validate_gradescope(document)
    temporary = results / "results.json.tmp"
    temporary.write_text(json.dumps(document, indent=2), encoding="utf-8")
    os.replace(temporary, results / "results.json")
    print(f"{result.score:g} / {result.max_score:g} ({result.status}) in {time.monotonic() - start:.1f} s")
    if result.staff_log:
        print(result.staff_log[-20000:])  # Gradescope shows stdout to instructors only
    return 0


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))))

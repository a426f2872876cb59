"""The Gradescope bundle: ``python -m autograder gradescope --out autograder.zip``.

The zip holds, at its root, ``setup.sh`` (installs the grading environment pinned by
``requirements-grading.lock``, the file ``make`` installs), ``settings.json`` (the instructor's
``--no-notebooks`` and ``--accept-isolation`` choices), ``run_autograder`` and the grader
itself: ``autograder/grading``, ``autograder/synthetic_data.py`` (the notebooks' data), the
reference ``cs_utils``, the manifest, the released ``notebooks/*.ipynb`` (the templates the
intake rebuilds a submitted notebook on) and the released ``cs_utils/`` (the starter that loose
uploads are laid over, so their notebooks find ``data_utils`` and the rest). It never reaches
students. On Gradescope, ``run_autograder`` runs::

    python3 -m autograder.grading.gradescope /autograder

which grades ``/autograder/submission`` exactly as ``grade`` and ``grade-all`` do (notebooks
included unless the bundle was built with ``--no-notebooks``) and writes
``/autograder/results/results.json``. A submission without notebooks is still graded: its notebook
tests score 0 and the feedback says which notebook is missing. The root is ``$AUTOGRADER_ROOT`` when
set (tests run the real script on a layout in a temporary folder) and the interpreter
``$AUTOGRADER_PYTHON``.

Students upload either the kit's folder layout (``cs_utils/...`` and ``notebooks/...``, possibly
zipped, possibly one folder deeper) or loose files (``linear_svm.py``, ``softmax.py``,
``knn.ipynb``, ...): the one intake of every command (:func:`~.submission.materialize`) reads both.
"""
from __future__ import annotations

import json
import os
import sys
import time
import traceback
import zipfile
from pathlib import Path

from autograder import KIT_ROOT
from autograder.grading import preflight
from autograder.grading.notebook_intake import NOTEBOOK_NAMES

#: The grading environment, pinned: the same file ``make`` installs (see requirements-grading.in).
LOCK_FILE = "requirements-grading.lock"

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when the autograder image is built.
set -euo pipefail
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive
if ! command -v python3 >/dev/null || ! python3 -m pip --version >/dev/null 2>&1; then
    apt-get update
    apt-get install -y --no-install-recommends python3 python3-pip
fi
# The lock pins every package per Python version: the grades here come from the versions the
# instructor graded with locally.
python3 -m pip install --no-cache-dir -r requirements-grading.lock \\
    || python3 -m pip install --no-cache-dir --break-system-packages -r requirements-grading.lock
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
        If a released notebook, the released ``cs_utils/`` or the lock file is missing.
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
    if not (kit_root / LOCK_FILE).is_file():
        raise FileNotFoundError(f"{kit_root / LOCK_FILE} is missing: the bundle installs the locked grading "
                                f"environment; run `make lock`")
    members.append((LOCK_FILE, kit_root / LOCK_FILE))
    for folder in (package / "grading", package / "source" / "cs_utils", kit_root / "cs_utils"):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                members.append((str(path.relative_to(kit_root)), path))
    return members


#: In the bundle: the instructor's choices, ``{"accept_isolation": "...", "notebooks": true}``.
SETTINGS_FILE = "settings.json"


def build_bundle(out: Path, kit_root: Path = KIT_ROOT, accept: str = "", notebooks: bool = True) -> Path:
    """Write the Gradescope zip to ``out``; return its path.

    ``accept`` (``no-uid-drop+no-cgroups``, say) is stored in the bundle: on Gradescope the grader
    probes its sandbox before grading and grades only if every promise that fails was accepted.
    ``notebooks=False`` (``--no-notebooks``) grades the code only, and every result says so.

    Raises
    ------
    FileNotFoundError
        If a released file the bundle carries is missing.
    StaleRelease
        If the release in ``kit_root`` is not what ``autograder/source`` generates.
    DeclarationError
        If the hidden tests and their plans disagree (:mod:`.declarations`).
    """
    from autograder.grading import declarations
    from autograder.release import require_current

    preflight.parse_accepted(accept)  # a typo fails here, not on Gradescope
    members = bundle_members(kit_root)
    require_current(kit_root)  # never a bundle from a stale or hand-edited release
    declarations.require_consistent()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        _add_text(bundle, "setup.sh", SETUP_SH, executable=True)
        _add_text(bundle, "run_autograder", RUN_AUTOGRADER, executable=True)
        _add_text(bundle, SETTINGS_FILE, json.dumps({"accept_isolation": accept, "notebooks": notebooks}) + "\n")
        for name, path in members:
            _add_text(bundle, name, path.read_bytes())
    os.replace(temporary, out)
    return out


def _add_text(bundle: zipfile.ZipFile, name: str, data: str | bytes, *, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # fixed: the same tree gives the same zip
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    bundle.writestr(info, data)


# ------------------------------------------------------------------------------- at grading time


def read_settings(source: Path) -> dict:
    """The instructor's choices stored in the bundle (:data:`SETTINGS_FILE`); defaults if absent."""
    path = source / SETTINGS_FILE
    settings = {"accept_isolation": "", "notebooks": True}
    if path.is_file():
        settings.update(json.loads(path.read_text(encoding="utf-8")))
    return settings


def run(root: Path) -> int:
    """Grade ``root/submission`` into ``root/results/results.json``; 0 whenever the file was written.

    The submission goes through the same intake and :func:`~.batch.grade_one` as the ``grade``
    command, with the notebooks and accepted isolation modes stored in the bundle, so a
    submission gets here the ``results.json`` that ``grade`` and ``grade-all`` give it.
    """
    from autograder.grading import render
    from autograder.grading.batch import grade_one
    from autograder.grading.manifest import graded_specs
    from autograder.grading.runner import INTERNAL_ERROR
    from autograder.grading.scoring import could_not_grade

    start = time.monotonic()
    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)
    for private in (root / "source", results):
        os.chmod(private, 0o700)  # the grading uid must not read the reference even without namespaces
    notebooks = True  # the bundle's default, until its settings say otherwise
    try:
        settings = read_settings(root / "source")
        notebooks = bool(settings["notebooks"])
        accept = preflight.parse_accepted(settings["accept_isolation"])
        result = grade_one(root / "submission", hide=(root,), notebooks=notebooks, accept=accept)
    except Exception:  # the maximum stays that of a graded result (the notebooks' tests included)
        result = could_not_grade("submission", graded_specs(notebooks), INTERNAL_ERROR,
                                 staff_log=traceback.format_exc(), seconds=time.monotonic() - start)
    render.write_results_json(results / "results.json", result)
    print(f"{result.score:g} / {result.max_score:g} ({result.status}) in {time.monotonic() - start:.1f} s")
    if result.staff_log:
        print(result.staff_log[-20000:])  # Gradescope shows stdout to instructors only
    return 0


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))))

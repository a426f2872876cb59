"""A simulated Gradescope ``/autograder`` in a temporary folder, and the real ``run_autograder`` on it."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

from autograder.grading.render import validate_gradescope


def autograder_root(bundle: Path, where: Path) -> Path:
    """A fresh /autograder layout: source/ (the unzipped bundle), submission/, results/."""
    root = where / "autograder"
    for folder in ("source", "submission", "results"):
        (root / folder).mkdir(parents=True)
    with zipfile.ZipFile(bundle) as archive:
        for member in archive.infolist():
            archive.extract(member, root / "source")
            mode = member.external_attr >> 16
            if mode:
                os.chmod(root / "source" / member.filename, stat.S_IMODE(mode))
    return root


def run_autograder(root: Path) -> dict:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "AUTOGRADER_ROOT": str(root),
           "AUTOGRADER_PYTHON": sys.executable}
    done = subprocess.run(
        [str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    document = json.loads((root / "results" / "results.json").read_text())
    validate_gradescope(document)
    return document

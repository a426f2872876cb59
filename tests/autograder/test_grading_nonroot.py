"""The grader without root, for real: parts of this suite run again as the unprivileged ``nobody``.

A laptop running ``python -m cs_utils.check`` and an instructor grading from a normal account
both get the degraded mode of ``THREAT_MODEL.md``. These tests start as root, give the test run a
private mount namespace in which the interpreter is reachable (it may live under a folder only
root may enter, such as ``/root``), and re-run the sandbox, red-team and demo tests as ``nobody``
with ``setpriv``: the non-root branches of those tests run instead of skipping.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from autograder import KIT_ROOT

NOBODY = 65534
TOOLS = ("unshare", "setpriv", "mount")

pytestmark = [
    pytest.mark.e2e,  # the sandbox, demo and red-team tests rerun as an unprivileged user
    pytest.mark.skipif(
        os.geteuid() != 0 or not all(shutil.which(tool) for tool in TOOLS),
        reason="starts as root and needs unshare, setpriv and mount",
    ),
]

#: Run as root inside ``unshare --mount``: make each needed path reachable, then become nobody.
#: A folder that nobody may not enter (mode without o+x) is covered by a 0755 tmpfs and the
#: needed paths inside it are bind-mounted back.
LAUNCHER = r"""
import json, os, subprocess, sys, tempfile
spec = json.loads(sys.argv[1])
for blocked, children in spec["reopen"].items():
    staged = []
    for child in children:
        stage = tempfile.mkdtemp(prefix="reopen-")
        subprocess.run(["mount", "--bind", child, stage], check=True)
        staged.append((child, stage))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", blocked], check=True)
    for child, stage in staged:
        os.makedirs(child, exist_ok=True)
        subprocess.run(["mount", "--move", stage, child], check=True)
os.chdir(spec["cwd"])
os.execvp("setpriv", ["setpriv", "--reuid", str(spec["uid"]), "--regid", str(spec["uid"]), "--clear-groups",
                      "env", "-i", *[f"{k}={v}" for k, v in spec["env"].items()], *spec["argv"]])
"""


def closed_folders(path: Path) -> list[Path]:
    """The folders above ``path`` that others may not enter (mode without o+x), outermost first."""
    parts = path.resolve().parts
    return [Path(*parts[:depth]) for depth in range(1, len(parts)) if not os.stat(Path(*parts[:depth])).st_mode & 0o001]


def run_as_nobody(argv: list[str], scratch: Path, timeout: float) -> subprocess.CompletedProcess:
    """Run ``argv`` as nobody in a private mount namespace where the interpreter, the kit and
    ``scratch`` are reachable."""
    for path in (Path(sys.prefix), KIT_ROOT, KIT_ROOT / "tests", KIT_ROOT / "autograder"):
        if os.stat(path).st_mode & 0o005 != 0o005:
            pytest.skip(f"{path} is not readable by others (a umask of 077?)")
    reopen: dict[str, list[str]] = {}
    for path in (Path(sys.base_prefix), Path(sys.prefix), KIT_ROOT, scratch):
        closed = closed_folders(path)
        if len(closed) > 1:
            pytest.skip(f"{path} lies below more than one folder that nobody may not enter")
        if closed:
            child = str(Path(*path.resolve().parts[: len(closed[0].parts) + 1]))
            children = reopen.setdefault(str(closed[0]), [])
            if child not in children:
                children.append(child)
    spec = {"reopen": reopen, "cwd": str(KIT_ROOT), "uid": NOBODY, "argv": argv,
            "env": {"PATH": "/usr/bin:/bin", "HOME": str(scratch), "TMPDIR": str(scratch),
                    "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg"}}
    return subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable, "-c", LAUNCHER,
                           json.dumps(spec)], capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def scratch():
    folder = Path(tempfile.mkdtemp(prefix="nonroot-"))
    folder.chmod(0o1777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def pytest_as_nobody(scratch: Path, *selection: str, timeout: float = 600) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", f"--basetemp={scratch / 'basetemp'}",
            "-o", "addopts=--strict-markers", *selection]
    return run_as_nobody(argv, scratch, timeout)


def test_as_nobody_the_sandbox_covers_folders_and_the_demo_cheater_gains_nothing(scratch):
    result = pytest_as_nobody(scratch, "tests/autograder/test_grading_sandbox.py",
                              "tests/autograder/test_grading_cli.py::test_demo_runs_offline_and_reports_the_four_scores")
    if "allows no user namespaces" in result.stdout:  # then the old degraded mode applies, as documented
        pytest.skip("this machine allows no unprivileged user namespaces")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    # The non-root tests ran (as root they skip with these reasons) and passed:
    assert "checks the non-root mode" not in result.stdout and "checks the degraded non-root mode" not in result.stdout
    assert " passed" in result.stdout and " failed" not in result.stdout


@pytest.mark.slow
def test_as_nobody_every_red_team_attack_gains_nothing_and_the_student_check_works(scratch):
    result = pytest_as_nobody(scratch, "tests/autograder/test_grading_redteam.py", "tests/test_check.py")
    if "allows no user namespaces" in result.stdout:  # then the old degraded mode applies, as documented
        pytest.skip("this machine allows no unprivileged user namespaces")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    skipped = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    # All else ran: only what needs root is skipped, each with its documented reason.
    reasons = ("per-uid process sweep needs root", "control groups are written as root")
    assert len(skipped) == len(reasons) and all(any(r in line for line in skipped) for r in reasons), skipped

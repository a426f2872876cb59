"""Before grading anyone, check that the sandbox keeps its promises on this machine.

The threat model's promises depend on what the machine allows: root (an unprivileged uid of its
own for student code), namespaces (no network, no other folder, private IPC), a private scratch
folder, control groups, and, to grade notebooks, a Jupyter kernel that starts inside the sandbox.
A container without ``CAP_SYS_ADMIN``, a machine without user namespaces or a kit whose Python
is unreachable from inside the sandbox silently loses some of them. So :func:`probe` runs a real
confined child, lets it try what a hostile submission would (read a world-readable file outside
its folder, connect to a listener on 127.0.0.1, look at its own mounts, IPC namespace and control
group) and, with notebooks, runs a one-cell notebook. :func:`require` then refuses to grade when
a promise does not hold, unless the instructor accepted that weaker mode by name; the mode is
printed in the batch summary and recorded in every result (``SubmissionResult.isolation``).

A broken kernel is not a mode anyone can accept: grading notebooks there would cost every
student the notebook points for the grader's own failure.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from autograder.grading import notebook_run
from autograder.grading.sandbox import Isolation, Limits, Sandbox

#: What each promise means, by the name a weaker mode uses for its absence ("no-<name>").
PROMISES = {
    "uid-drop": "student code runs as an unprivileged uid of its own (needs root)",
    "namespaces": "student code has no network, sees no folder but its own and has private IPC",
    "scratch": "student code writes only into a private, capped copy (a tmpfs)",
    "cgroups": "CPU, memory and process caps hold for everything a submission starts",
}
#: Every weaker mode an instructor may accept (the kernel is not one of them).
WEAKER = frozenset(PROMISES)
FULL = "full"

#: Runs in a confined child through the harness's ``program`` call; reports on the parent's pipe.
PROBE_SOURCE = r'''
import json, os, socket, sys
canary, port, parent_ipc, report_fd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
found = {"uid": os.getuid()}
try:
    with open(canary) as handle:
        handle.read()
    found["canary"] = "read"
except OSError as error:
    found["canary"] = type(error).__name__
try:
    socket.create_connection(("127.0.0.1", port), timeout=2).close()
    found["network"] = "connected"
except OSError as error:
    found["network"] = type(error).__name__
found["ipc_private"] = os.stat("/proc/self/ns/ipc").st_ino != parent_ipc
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
found["unshare"] = "ok" if libc.unshare(0x10000000) == 0 else "refused"  # a user namespace of its own
cwd = os.path.realpath(os.getcwd())
with open("/proc/self/mountinfo") as handle:
    mounts = [line.split() for line in handle]
found["scratch"] = next((m[m.index("-") + 1] for m in reversed(mounts) if m[4] == cwd and "-" in m), "")
with open("/proc/self/cgroup") as handle:
    found["cgroup"] = handle.read()
with os.fdopen(report_fd, "w") as report:
    report.write(json.dumps(found) + "\n")
'''

PROBE_NOTEBOOK = {
    "cells": [{"cell_type": "code", "execution_count": None, "id": "probe", "metadata": {}, "outputs": [],
               "source": "print('the kernel runs')"}],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
    "nbformat": 4, "nbformat_minor": 5,
}


class IsolationRefused(RuntimeError):
    """A promise does not hold here and the instructor did not accept the weaker mode."""

    def __init__(self, report: Report, accepted: Collection[str]):
        self.report = report
        lines = [f"The grader will not grade on this machine: {report.mode}."]
        lines += [f"  - {detail}" for detail in report.details]
        if report.kernel_problem:
            lines.append("Notebooks cannot be graded here (a grader problem, not the students'): fix the "
                         "environment, or grade without notebooks.")
        missing = set(report.missing) - set(accepted)
        if missing:
            lines.append("To grade anyway, accept the weaker mode by name: --accept-isolation "
                         + "+".join(f"no-{name}" for name in sorted(report.missing)))
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Report:
    """What the probe found: the promises that do not hold, why, and whether a kernel starts."""

    missing: tuple[str, ...]
    details: tuple[str, ...]
    kernel_problem: str = ""  # empty when notebooks were not probed or a kernel ran

    @property
    def mode(self) -> str:
        """``full``, or the weaker mode's name, such as ``no-uid-drop+no-cgroups``."""
        return "+".join(f"no-{name}" for name in self.missing) or FULL


def parse_accepted(text: str | None) -> frozenset[str]:
    """``--accept-isolation no-uid-drop+no-cgroups`` -> {"uid-drop", "cgroups"}; ValueError for unknown names."""
    if not text:
        return frozenset()
    names = {part.strip().removeprefix("no-") for part in text.replace(",", "+").split("+") if part.strip()}
    unknown = names - WEAKER
    if unknown:
        raise ValueError(f"unknown isolation promise(s) {', '.join(sorted(unknown))}; "
                         f"known: {', '.join('no-' + name for name in sorted(WEAKER))}")
    return frozenset(names)


def probe(limits: Limits | None = None, *, notebooks: bool = False, slot: int = 0) -> Report:
    """Start a confined child like the grader's and see which promises hold."""
    limits = limits or Limits()
    missing: dict[str, str] = {}
    outside = Path(tempfile.mkdtemp(prefix="preflight-canary-"))
    frame = Path(tempfile.mkdtemp(prefix="preflight-"))
    listener = socket.create_server(("127.0.0.1", 0))
    isolation = Isolation.detect(slot)
    try:
        outside.chmod(0o755)
        canary = outside / "canary.txt"
        canary.write_text("anyone may read this file\n")
        canary.chmod(0o644)
        frame.chmod(0o711)
        (frame / "work").mkdir()
        with Sandbox(isolation, limits) as sandbox:
            sandbox.prepare_folder(frame / "work")
            log: list[str] = []
            report = notebook_run.run_program(
                sandbox, frame / "work", PROBE_SOURCE,
                [str(canary), str(listener.getsockname()[1]), str(os.stat("/proc/self/ns/ipc").st_ino)],
                30.0, log, "preflight")
            found = next(iter(notebook_run.report_lines(report or b"")), None)
            if found is None:
                problem = "; ".join(log)[-400:] or "no report"
                missing.update({name: f"the probe child did not run ({problem})" for name in PROMISES})
            else:
                _judge(found, isolation, sandbox, missing)
            kernel_problem = _kernel_problem(sandbox, frame) if notebooks else ""
    finally:
        listener.close()
        shutil.rmtree(outside, ignore_errors=True)
        shutil.rmtree(frame, ignore_errors=True)
    names = tuple(name for name in PROMISES if name in missing)
    details = tuple(f"no-{name}: {PROMISES[name]} does not hold ({missing[name]})" for name in names)
    if kernel_problem:
        details += (f"kernel: {kernel_problem}",)
    return Report(names, details, kernel_problem)


def _judge(found: dict, isolation: Isolation, sandbox: Sandbox, missing: dict[str, str]) -> None:
    if isolation.uid is None or found.get("uid") in (0, os.getuid()):
        missing["uid-drop"] = "not root" if isolation.uid is None else f"the child ran as uid {found.get('uid')}"
    broken = []
    if found.get("canary") == "read":
        broken.append("it read a world-readable file outside its folder")
    if found.get("network") == "connected":
        broken.append("it reached a listener on 127.0.0.1")
    if not found.get("ipc_private"):
        broken.append("it shares the grader's IPC namespace")
    if found.get("unshare") == "ok":
        broken.append("it could make a user namespace of its own (no seccomp filter)")
    if broken:
        missing["namespaces"] = "; ".join(broken)
    if found.get("scratch") != "tmpfs":
        missing["scratch"] = f"its working folder is on {found.get('scratch') or 'an unknown file system'}"
    if not sandbox.cgroups.available:
        missing["cgroups"] = sandbox.cgroups.reason
    elif not _in_grader_groups(str(found.get("cgroup", "")), sandbox.cgroups.version):
        missing["cgroups"] = "the child was not in the grader's control group of every controller"


def _in_grader_groups(proc_cgroup: str, version: int) -> bool:
    """Whether ``/proc/self/cgroup`` puts the process in the grader's groups: the one v2 group, or
    the cpu, memory and pids groups of v1."""
    lines = [line.split(":", 2) for line in proc_cgroup.splitlines() if line.count(":") >= 2]
    if version == 2:
        return any(hierarchy == "0" and "/autograder/" in path for hierarchy, _, path in lines)
    placed = {controller for _, controllers, path in lines if "/autograder/" in path
              for controller in controllers.split(",")}
    return {"cpu", "memory", "pids"} <= placed


def _kernel_problem(sandbox: Sandbox, frame: Path) -> str:
    """Empty if a one-cell notebook runs in the sandbox, else what went wrong."""
    work = frame / "kernel"
    (work / "notebooks").mkdir(parents=True)
    (work / "notebooks" / "probe.ipynb").write_text(json.dumps(PROBE_NOTEBOOK))
    sandbox.prepare_folder(work)
    log: list[str] = []
    run = notebook_run.run_notebooks(sandbox, work, work, ["probe"], budget=60.0, log=log)["probe"]
    if run.ran and run.cells.get("cell-0") == "ok":
        return ""
    why = run.stopped or (f"the cell ended with {run.cells.get('cell-0')}" if run.cells else "no cell ran")
    return f"a one-cell notebook did not run inside the sandbox ({why}); {' '.join(log)[-300:]}"


def require(report: Report, accepted: Collection[str]) -> str:
    """The mode to grade under; IsolationRefused if a promise fails that was not accepted."""
    if report.kernel_problem or set(report.missing) - set(accepted):
        raise IsolationRefused(report, accepted)
    return report.mode

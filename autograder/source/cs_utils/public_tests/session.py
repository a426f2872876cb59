"""Your saved package, copied to a scratch folder and called one function at a time in a fresh process.

The test process gets plain arrays and sends back plain numbers and arrays (never pickles), with
the grader's time limit per call and, where the system allows it, the grader's memory cap (see
:mod:`cs_utils._grading.runner`). A timeout, a crash or too large a reply marks the function
broken, so its remaining tests fail fast instead of hanging.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .._grading.runner import Child, Limits
from .results import Failed

#: The ``cs_utils`` folder whose saved files are tested.
PACKAGE_ROOT = Path(__file__).resolve().parent.parent
IGNORED = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc")


@dataclass
class Returned:
    """What came back from one call: plain numbers and arrays, or why there is nothing."""

    ok: bool
    error: str = ""
    message: str = ""
    numbers: dict = field(default_factory=dict)
    arrays: dict = field(default_factory=dict)


class Session:
    """The student's package copied into a scratch folder, and one test process calling it."""

    def __init__(self, package: Path = PACKAGE_ROOT, limits: Limits = Limits()):
        self.limits = limits
        self.root = Path(tempfile.mkdtemp(prefix="cs_utils-check-"))
        self.work = self.root / "work"
        shutil.copytree(package, self.work / "cs_utils", ignore=IGNORED)
        self.notes = [f"the tests ran in a separate Python process (python -I), {limits.call_seconds:g} s per call"]
        self.child: Child | None = None
        self.broken: dict[str, str] = {}

    def close(self) -> None:
        self._stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def source(self, relative: str) -> str:
        return (self.work / relative).read_text(encoding="utf-8", errors="replace")

    def call(self, function: str, request: dict, arrays: dict) -> Returned:
        """Run one call; a timeout, crash or oversized reply marks ``function`` broken for the rest."""
        if function in self.broken:
            return Returned(False, self.broken[function])
        if self.child is None or not self.child.alive:
            self._stop()
            self.child = Child(self.work, self.limits)  # RuntimeError when Python cannot start here
            self.notes += [note for note in self.child.notes if note not in self.notes]
        state, reply, returned_arrays = self.child.call(request, arrays, self.limits.call_seconds)
        if state != "done":
            self._stop()
            self.broken[function] = state
            return Returned(False, state)
        status, outputs = reply.get("status", {}), reply.get("outputs", {})
        if not status.get("ok"):
            return Returned(False, str(status.get("error")), str(status.get("message", "")))
        numbers = {name: float(described["value"]) for name, described in outputs.items()
                   if described.get("kind") == "number"}
        return Returned(True, numbers=numbers, arrays=returned_arrays)

    def _stop(self) -> None:
        if self.child is not None:
            self.child.kill()
            self.child = None


def explain(returned: Returned, function: str, where: str) -> str:
    if returned.error == "NotImplementedError":
        return f"{function} is not implemented yet: write its body in {where} and delete the raise"
    if returned.error == "timeout":
        return f"{function} did not finish within the time limit: an infinite loop, or far too slow?"
    if returned.error == "died":
        return f"the process running {function} stopped: a crash, or it used too much memory"
    if returned.error == "too much":
        return f"{function} returned far more data than the check reads back: return only the result asked for"
    if returned.error == "unreadable":
        return f"what {function} returned could not be read back"
    message = f": {returned.message}" if returned.message else ""
    return f"{function} raised {returned.error}{message}"


def value_of(returned: Returned, function: str, where: str, name: str = "result"):
    if not returned.ok:
        raise Failed(explain(returned, function, where))
    if name in returned.arrays:
        return returned.arrays[name]
    if name in returned.numbers:
        return returned.numbers[name]
    raise Failed(f"{function} returned nothing usable (missing return?)")

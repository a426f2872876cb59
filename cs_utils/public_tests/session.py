"""Your saved package, copied to a scratch folder and called one function at a time in the grader's sandbox.

The sandboxed process gets plain arrays in ``.npy`` files and writes plain numbers and arrays
back (never pickles), under the same time and memory limits as in grading. A timeout or crash
marks the function broken, so its remaining tests fail fast instead of hanging.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cs_utils._grading import sandbox as _sandbox
from cs_utils.public_tests.results import Failed

#: The ``cs_utils`` folder whose saved files are tested.
PACKAGE_ROOT = Path(__file__).resolve().parent.parent
#: Files larger than this are not read back from the sandboxed process.
MAX_OUTPUT_BYTES = 64 << 20
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
    """The student's package copied into a scratch folder, and one sandboxed process calling it."""

    def __init__(self, package: Path = PACKAGE_ROOT, limits: _sandbox.Limits = _sandbox.Limits()):
        self.limits = limits
        # As root the sandboxed process runs as a dedicated uid that is swept after each stop; the
        # grader uses uid_base + worker slot, so a check takes a slot of its own (1000 up).
        self.isolation = _sandbox.Isolation.detect(slot=1000 + os.getpid() % 1000)
        self.sandbox = _sandbox.Sandbox(self.isolation, limits)
        self.root = Path(tempfile.mkdtemp(prefix="cs_utils-check-"))
        os.chmod(self.root, 0o711)  # the sandboxed uid (as root) may pass, not list
        self.work, self.io = self.root / "work", self.root / "io"
        shutil.copytree(package, self.work / "cs_utils", ignore=IGNORED)
        self.io.mkdir(mode=0o711)
        self.sandbox.prepare_folder(self.work)
        self.notes = list(self.isolation.notes)
        self.child: _sandbox.Child | None = None
        self.broken: dict[str, str] = {}
        self.calls = 0

    def close(self) -> None:
        self._stop()
        self.sandbox.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def source(self, relative: str) -> str:
        return (self.work / relative).read_text(encoding="utf-8", errors="replace")

    def call(self, function: str, request: dict, arrays: dict) -> Returned:
        """Run one call in the sandbox; a timeout or crash marks ``function`` broken for the rest."""
        if function in self.broken:
            return Returned(False, self.broken[function])
        if self.child is None or not self.child.alive:
            self.child, notes = self.sandbox.spawn(self.work)
            self.notes += [note for note in notes if note not in self.notes]
            if self.child is None:
                raise RuntimeError("could not start the test process: " + "; ".join(notes))
        self.calls += 1
        folder = self.io / str(self.calls)
        folder.mkdir(mode=0o700)
        for name, array in arrays.items():
            np.save(folder / f"{name}.npy", np.asarray(array), allow_pickle=False)
        self.sandbox.prepare_folder(folder)
        reply = self.child.call({"dir": str(folder), "call": request, "repeat": 1}, self.limits.call_seconds)
        if reply.state != "done":
            self._stop()
            self.broken[function] = reply.state
            return Returned(False, reply.state)
        try:
            return self._read(folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _read(self, folder: Path) -> Returned:
        directory = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            raw = _sandbox.read_plain_file(directory, "outputs.json", 1 << 20)
            if raw is None:
                return Returned(False, "unreadable")
            report = json.loads(raw)
            status, outputs = report["status"], report["outputs"]
            if not status.get("ok"):
                return Returned(False, str(status.get("error")), str(status.get("message", "")))
            numbers, arrays = {}, {}
            for name, described in outputs.items():
                if described.get("kind") == "number":
                    numbers[name] = float(described["value"])
                elif described.get("kind") == "array":
                    data = _sandbox.read_plain_file(directory, f"{name}.npy", MAX_OUTPUT_BYTES)
                    if data is not None:
                        arrays[name] = np.load(io.BytesIO(data), allow_pickle=False)
            return Returned(True, numbers=numbers, arrays=arrays)
        finally:
            os.close(directory)

    def _stop(self) -> None:
        if self.child is not None:
            self.sandbox.kill(self.child)
            self.child = None


def explain(returned: Returned, function: str, where: str) -> str:
    if returned.error == "NotImplementedError":
        return f"{function} is not implemented yet: write its body in {where} and delete the raise"
    if returned.error == "timeout":
        return f"{function} did not finish within the time limit: an infinite loop, or far too slow?"
    if returned.error == "died":
        return f"the process running {function} stopped: a crash, or it used too much memory or CPU"
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

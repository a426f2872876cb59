"""Start the self-check's test process and call it, with a time limit per call, on any system.

:class:`Child` runs ``python -I child.py`` (isolated mode: no user site-packages, no ``PYTHON*``
variables, no current folder on the path) in a scratch copy of the student's package, and talks
to it over its standard input and output in the grader's message format (see
:mod:`cs_utils._grading.child`): JSON lines, and arrays as raw bytes with their dtype and shape,
never pickles. A reader thread collects the replies, so a call's time limit works the same on
Linux, macOS and Windows. A call that runs out of time, a process that dies, a reply larger than
``Limits.reply_bytes`` and garbage where a reply should be all end the process: it is killed (with
every process it started, where the system has process groups) and reaped, and the next call
starts a fresh one.
"""
from __future__ import annotations

import json
import math
import os
import queue
import re
import secrets
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CHILD = Path(__file__).with_name("child.py")
#: The dtype strings an array may come back with: byte order, numeric kind, item size.
PLAIN_DTYPE = re.compile(r"^[<>|=][biuf](1|2|4|8)$")


@dataclass(frozen=True)
class Limits:
    """Limits of the test process; the memory cap needs ``resource`` (Linux, not Windows or macOS)."""

    call_seconds: float = 10.0  # wall clock, one call (as in grading)
    startup_seconds: float = 60.0  # start Python and import NumPy, on a slow laptop too
    memory_bytes: int = 1536 << 20  # address space (as in grading)
    reply_bytes: int = 64 << 20  # what one call may send back


class Child:
    """One test process serving calls in ``folder``; RuntimeError if it does not start."""

    def __init__(self, folder: Path, limits: Limits = Limits()):
        threads = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", str(CHILD), str(folder), str(limits.memory_bytes)],
                cwd=folder, env={**os.environ, **threads}, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, start_new_session=hasattr(os, "killpg"),
            )
        except OSError as error:
            raise RuntimeError(f"could not start the test process: {error}") from error
        if self.process.stdin is None or self.process.stdout is None:  # never: both are pipes
            raise RuntimeError("could not start the test process: no pipes")
        self.stdin = self.process.stdin
        self.replies: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, args=(self.process.stdout, limits.reply_bytes), daemon=True).start()
        ready = self._next(limits.startup_seconds)
        if isinstance(ready, str) or not ready[0].get("ready"):
            self.kill()
            raise RuntimeError(f"could not start the test process: {why_python_fails()}")
        self.notes: list[str] = [str(note) for note in ready[0].get("notes", [])]

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def call(self, request: dict, arrays: dict, seconds: float) -> tuple[str, dict, dict[str, np.ndarray]]:
        """Run one call within ``seconds``: (state, the reply's JSON, the arrays it returned).

        The state is ``"done"``, or why there is no reply: ``"timeout"``, ``"died"``,
        ``"unreadable"`` or ``"too much"``; the process is then killed.
        """
        nonce = secrets.token_hex(8)
        inputs = {name: np.ascontiguousarray(array) for name, array in arrays.items()}
        described = [[name, array.dtype.str, list(array.shape), array.nbytes] for name, array in inputs.items()]
        line = json.dumps({"nonce": nonce, "calls": [{"call": request, "repeat": 1, "arrays": described}]})
        try:
            self.stdin.write(line.encode() + b"\n" + b"".join(array.tobytes() for array in inputs.values()))
            self.stdin.flush()
        except OSError:
            self.kill()
            return "died", {}, {}
        reply = self._next(seconds)
        if isinstance(reply, tuple) and not answers(reply[0], nonce):
            reply = "unreadable"
        if isinstance(reply, str):
            self.kill()
            return reply, {}, {}
        header, blobs = reply
        arrays_back = {}
        for name, described_array in header["outputs"].items():
            if described_array.get("kind") == "array":
                array = plain_array(described_array.get("dtype"), described_array.get("shape"), blobs.get(name))
                if array is not None:
                    arrays_back[name] = array
        return "done", header, arrays_back

    def kill(self) -> None:
        """Kill the process (and its process group, where there is one) and reap it."""
        try:
            if hasattr(os, "killpg"):
                os.killpg(self.process.pid, signal.SIGKILL)  # its own session: everything it started
        except OSError:  # already gone
            pass
        self.process.kill()  # Windows: TerminateProcess; nothing when it has already ended
        self.process.wait()
        try:
            self.stdin.close()
        except OSError:
            pass

    def _next(self, seconds: float) -> tuple[dict, dict[str, bytes]] | str:
        try:
            return self.replies.get(timeout=seconds)
        except queue.Empty:
            return "timeout"

    def _read(self, stream, cap: int) -> None:
        """Queue each reply (its JSON, its raw arrays by name); stop with a word saying why."""
        with stream:
            while True:
                line = stream.readline(1 << 20)
                if not line:
                    self.replies.put("died")
                    return
                try:
                    header = json.loads(line)
                    sizes = [(str(name), int(size)) for name, size in header.get("blobs", [])]
                except (ValueError, TypeError, AttributeError):
                    self.replies.put("unreadable")
                    return
                if sum(size for _, size in sizes) > cap:
                    self.replies.put("too much")
                    return
                blobs = {name: stream.read(size) for name, size in sizes}
                if sum(len(data) for data in blobs.values()) != sum(size for _, size in sizes):
                    self.replies.put("died")
                    return
                self.replies.put((header, blobs))


def answers(header: dict, nonce: str) -> bool:
    """Whether ``header`` is the reply to the call sent with ``nonce``, in the shape this module reads."""
    outputs = header.get("outputs")
    return (header.get("done") == nonce and header.get("index") == 0 and isinstance(header.get("status"), dict)
            and isinstance(outputs, dict) and all(isinstance(value, dict) for value in outputs.values()))


def plain_array(dtype, shape, data) -> np.ndarray | None:
    """A numeric array from (dtype string, shape, raw bytes), or None when they do not fit together."""
    if not isinstance(dtype, str) or not PLAIN_DTYPE.match(dtype) or not isinstance(data, bytes):
        return None
    if not isinstance(shape, list) or not all(isinstance(n, int) and n >= 0 for n in shape):
        return None
    if math.prod(shape) * np.dtype(dtype).itemsize != len(data):
        return None
    return np.frombuffer(data, dtype=np.dtype(dtype)).reshape(shape)


def why_python_fails() -> str:
    """Why ``python -I`` cannot import NumPy here, in a few words (the last line of its error)."""
    try:
        probe = subprocess.run([sys.executable, "-I", "-c", "import numpy"], capture_output=True, text=True,
                               timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    lines = probe.stderr.strip().splitlines()
    return lines[-1] if probe.returncode and lines else "it stopped before it was ready"

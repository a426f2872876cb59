"""Run student code in confined child processes and get plain data back.

One :class:`Sandbox` per grading worker. It starts a *zygote* (``python -I -c harness.py``, a
scrubbed environment, NumPy imported, no student code and no grader code) and asks it to fork
a child per submission. The child confines itself before importing anything of the student's:

* its own session and process group (a timeout kills the whole group; as root, every process of
  the worker's dedicated uid is killed too, so nothing outlives a call);
* as root: new network and mount namespaces (no network; the autograder, the batch folder and
  the output folder covered by empty tmpfs mounts) and a dedicated unprivileged uid/gid;
* resource limits: CPU seconds, address space, processes, file size, open files, no core dumps;
* a fresh scratch copy of the submission as cwd, a minimal environment, stdout/stderr on a pipe
  whose first ``output_bytes`` the parent keeps (the rest is read and dropped).

The parent talks to a child over a socket (:meth:`Child.call_batch`): one request carries several
calls and their input arrays as raw bytes (dtype and shape in the JSON line); the child answers
each call with a JSON line and the raw bytes of what it returned. The parent measures the time of
each call, enforces the wall-clock limits, caps every frame, and rebuilds arrays only from an
allowed numeric dtype and a shape that matches the byte count (``runner.plain_array``). The
older file-based :meth:`Child.call` reads the child's files with :func:`read_plain_file` (no
symlinks, regular files, size-capped).
"""
from __future__ import annotations

import fcntl
import json
import math
import os
import secrets
import selectors
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Literal

from . import cgroups

HARNESS_SOURCE = (Path(__file__).with_name("harness.py")).read_text(encoding="utf-8")
#: First uid/gid of the dedicated grading accounts; worker slot ``s`` runs as ``base + s``.
DEFAULT_UID_BASE = 61000
PATH = "/usr/local/bin:/usr/bin:/bin"
#: How many uids past its own a grader may try when another grader holds its uid.
UID_SLOTS = 512


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission's child processes."""

    call_seconds: float = 10.0  # wall clock, one call of a student function
    submission_seconds: float = 90.0  # wall clock, all calls of one submission
    startup_seconds: float = 10.0  # fork, confine and report ready
    cpu_seconds: int = 60  # RLIMIT_CPU of a child (cumulative over its calls)
    address_space_bytes: int = 1536 << 20  # RLIMIT_AS
    file_size_bytes: int = 32 << 20  # RLIMIT_FSIZE
    open_files: int = 64  # RLIMIT_NOFILE
    processes: int = 48  # RLIMIT_NPROC, as root only (it counts every process of the uid)
    output_bytes: int = 16 << 10  # stdout+stderr kept for the staff log
    scratch_bytes: int = 64 << 20  # the child's private tmpfs copy of the submission (with namespaces)
    scratch_inodes: int = 4096  # files and folders in that tmpfs
    report_bytes: int = 512 << 10  # what a ``program`` may report on its pipe; the rest is dropped
    reply_bytes: int = 32 << 20  # all replies for one student function (the whole solution needs < 1 MiB)
    # Totals for the child and every process it starts (control groups, as root; see cgroups.py).
    group_cpus: float = 1.0  # cores' worth of CPU time
    group_memory_bytes: int = 3 << 30  # resident memory
    group_processes: int = 128  # processes and threads (a Jupyter kernel alone runs a dozen threads)

    def with_overrides(self, assignments: Iterable[str]) -> Limits:
        """A copy with ``name=value`` assignments applied (``call_seconds=20``); the value is read as
        the field's type. ValueError names an unknown field or a value that is not a number."""
        changes: dict[str, float | int] = {}
        kinds = {item.name: item.type for item in fields(self)}
        for assignment in assignments:
            name, _, text = assignment.partition("=")
            name = name.strip().replace("-", "_")
            if name not in kinds or not text:
                raise ValueError(f"unknown limit {assignment!r}: write NAME=VALUE with NAME one of "
                                 f"{', '.join(sorted(kinds))}")
            whole = kinds[name] not in (float, "float")
            try:
                value = int(text) if whole else float(text)
            except ValueError:
                wanted = "a whole number" if whole else "a number"
                raise ValueError(f"limit {name} needs {wanted}, not {text!r}") from None
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"limit {name} must be a positive, finite number, not {text!r}")
            changes[name] = value
        return replace(self, **changes)  # type: ignore[arg-type]

    def differences(self) -> str:
        """``name=value`` for each field that differs from the defaults, ``;``-separated (empty when none)."""
        default = Limits()
        return ";".join(f"{item.name}={getattr(self, item.name)!r}" for item in fields(self)
                        if getattr(self, item.name) != getattr(default, item.name))


@dataclass(frozen=True)
class Isolation:
    """What confinement this machine allows; decided once per worker."""

    uid: int | None  # None: children keep the grader's uid
    gid: int | None
    namespaces: bool
    notes: tuple[str, ...] = ()
    held: list = field(default_factory=list, compare=False, repr=False)  # the uid's lock file descriptor

    @staticmethod
    def detect(slot: int = 0, uid_base: int = DEFAULT_UID_BASE) -> Isolation:
        if os.geteuid() == 0:
            uid, lock = claim_uid(uid_base + slot)
            return Isolation(uid=uid, gid=uid, namespaces=True, held=[lock])
        return Isolation(
            uid=None,
            gid=None,
            namespaces=True,  # tried through a user namespace; the child reports if it failed
            notes=(
                "not running as root: student code runs as the grader's own user (no privilege "
                "drop, no per-uid process sweep, RLIMIT_NPROC not set); where user namespaces are "
                "allowed it still sees only its own folder and the Python installation, otherwise "
                "whatever that user can read",
            ),
        )

    def release(self) -> None:
        """Give the uid back (another grader on this machine may then take it)."""
        while self.held:
            os.close(self.held.pop())


def claim_uid(first: int, tries: int = UID_SLOTS) -> tuple[int, int]:
    """The first grading uid from ``first`` on that no other grader on this machine holds.

    Each uid is locked (``flock`` on a root-only file in the temp folder) for as long as its
    sandbox lives: the per-uid sweep kills every process of the uid, so two graders running at
    the same time (two batches, a test run next to a batch) must never share one.
    """
    folder = Path(tempfile.gettempdir())
    for uid in range(first, first + tries):
        fd = os.open(folder / f".grading-uid-{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return uid, fd
    raise RuntimeError(f"every grading uid from {first} to {first + tries - 1} is in use on this machine")


@dataclass
class CallReply:
    """What happened to one call, as seen by the parent."""

    state: str  # "done", "timeout", "died", "unreadable", "too much", "stale" (see Child.call_batch)
    seconds: float
    header: dict = field(default_factory=dict)  # batch calls: status and outputs, as the child described them
    blobs: dict = field(default_factory=dict)  # batch calls: name -> raw array bytes


def _read_into(fd: int, buffer: bytearray, cap: int) -> tuple[bool, int]:
    """Append what ``fd`` has now to ``buffer``, keeping at most ``cap`` bytes in it.

    Returns (still open, bytes read and dropped past the cap); a pipe with nothing to read yet
    is still open.
    """
    try:
        chunk = os.read(fd, 1 << 16)
    except BlockingIOError:
        return True, 0
    except OSError:
        return False, 0
    if not chunk:
        return False, 0
    room = max(cap - len(buffer), 0)
    buffer += chunk[:room]
    return True, max(len(chunk) - room, 0)


#: Longest control line the parent accepts, and most bytes of arrays in one reply.
MAX_HEADER_BYTES = 1 << 20
MAX_REPLY_BYTES = 16 << 20


@dataclass
class Child:
    """A confined child serving calls for one submission."""

    pid: int
    control: socket.socket
    output_fd: int
    output_cap: int
    output: bytearray = field(default_factory=bytearray)
    dropped: int = 0
    alive: bool = True
    garbled: bool = False  # the control stream broke its framing: nothing more can be read from it
    group: cgroups.Group | None = None  # its control group, when the machine allows one
    byte_budget: int = MAX_REPLY_BYTES  # how many more reply bytes the parent accepts from it
    over_budget: bool = False  # it sent more than that: the stream was cut
    report_fd: int | None = None  # read end of the report pipe (``spawn(report=True)``)
    report_cap: int = 0
    report: bytearray = field(default_factory=bytearray)
    last_nonce: str = ""  # the previous batch's, while the next one runs
    _buffer: bytearray = field(default_factory=bytearray)

    def _drain_report(self) -> bool:
        """Read what the program reported so far; False at end of file. Past the cap it is dropped."""
        return self.report_fd is not None and _read_into(self.report_fd, self.report, self.report_cap)[0]

    def finish_report(self, seconds: float = 2.0) -> bytes:
        """Everything reported, once the program and its descendants are gone (bounded wait)."""
        deadline = time.monotonic() + seconds
        if self.report_fd is not None:
            selector = selectors.DefaultSelector()
            selector.register(self.report_fd, selectors.EVENT_READ)
            try:
                while time.monotonic() < deadline and selector.select(max(deadline - time.monotonic(), 0)):
                    if not self._drain_report():
                        break
            finally:
                selector.close()
        return bytes(self.report)

    def _drain(self) -> bool:
        still_open, dropped = _read_into(self.output_fd, self.output, self.output_cap)
        self.dropped += dropped
        return still_open

    def _frame(self) -> tuple[dict, dict[str, bytes]] | None | Literal[False]:
        """Cut one frame (a JSON line, then the bytes it announces) off the buffer.

        None: more bytes are needed. False: the stream is garbled.
        """
        end = self._buffer.find(b"\n")
        if end < 0:
            return False if len(self._buffer) > MAX_HEADER_BYTES else None
        try:
            header = json.loads(bytes(self._buffer[:end]))
        except ValueError:
            return False
        if not isinstance(header, dict):
            return False
        sizes = header.get("blobs", [])
        if (not isinstance(sizes, list)
                or not all(isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
                           and isinstance(item[1], int) and not isinstance(item[1], bool) and item[1] >= 0
                           for item in sizes)
                or sum(size for _, size in sizes) > MAX_REPLY_BYTES):
            return False
        total = end + 1 + sum(size for _, size in sizes)
        if total > self.byte_budget:
            self.over_budget = True  # more than the parent accepts for this call: ends the child
            return False
        if len(self._buffer) < total:
            return None
        blobs, offset = {}, end + 1
        for name, size in sizes:
            blobs[name] = bytes(self._buffer[offset:offset + size])
            offset += size
        del self._buffer[:total]
        self.byte_budget -= total
        return header, blobs

    def receive_frame(self, deadline: float) -> tuple[dict, dict[str, bytes]] | None:
        """The next control frame, or None on timeout, EOF or garbage (``alive``/``garbled`` tell which)."""
        selector = selectors.DefaultSelector()
        selector.register(self.control, selectors.EVENT_READ, "control")
        output_open = True
        selector.register(self.output_fd, selectors.EVENT_READ, "output")
        if self.report_fd is not None:
            selector.register(self.report_fd, selectors.EVENT_READ, "report")
        try:
            while True:
                frame = self._frame()
                if frame is False:
                    self.garbled, self.alive = True, False
                    return None
                if frame is not None:
                    return frame
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                for key, _ in selector.select(remaining):
                    if key.data == "report":
                        if not self._drain_report():
                            selector.unregister(key.fileobj)
                        continue
                    if key.data == "output":
                        if not self._drain():
                            selector.unregister(self.output_fd)
                            output_open = False
                        continue
                    try:
                        chunk = self.control.recv(1 << 20)
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        chunk = b""
                    if not chunk:
                        self.alive = False
                        return None
                    self._buffer += chunk
        finally:
            if output_open:
                for _ in range(64):  # bounded: an output bomb keeps the pipe full forever
                    if not self._drain_ready():
                        break
            selector.close()

    def receive(self, deadline: float) -> dict | None:
        """The next control message (its header; a garbled stream reads as None)."""
        frame = self.receive_frame(deadline)
        return frame[0] if frame is not None else None

    def _drain_ready(self) -> bool:
        selector = selectors.DefaultSelector()
        selector.register(self.output_fd, selectors.EVENT_READ)
        try:
            return bool(selector.select(0)) and self._drain()
        finally:
            selector.close()

    def call(self, request: dict, timeout: float) -> CallReply:
        """A file-based call: the child reads and writes ``.npy`` files in ``request["dir"]``."""
        nonce = secrets.token_hex(8)
        start = time.monotonic()
        try:
            self.control.sendall(json.dumps({**request, "nonce": nonce}).encode() + b"\n")
        except OSError:
            self.alive = False
            return CallReply("died", 0.0)
        while True:
            message = self.receive(start + timeout)
            elapsed = time.monotonic() - start
            if message is None:
                return CallReply("died" if not self.alive else "timeout", elapsed)
            if message.get("done") == nonce:
                return CallReply("done", elapsed)

    def call_batch(self, calls: list[tuple[dict, int, list[tuple[str, str, list[int], bytes]]]], call_seconds: float,
                   deadline: float, budgets: tuple[list[str], dict[str, int]] | None = None) -> list[CallReply]:
        """Run several calls with one request; inputs and outputs travel on the socket, no files.

        ``calls`` holds (call description, repeat, [(array name, dtype string, shape, raw bytes)]). Each call has its
        own ``call_seconds`` from the moment the previous one was answered (the first from the
        moment the request is sent), and none goes past ``deadline``. The replies come back in
        order and stop at the first call that timed out, died, garbled the stream or sent more
        than its budget allows (the child is then useless); the caller runs the calls after it
        again, in a fresh child.

        ``budgets`` is (one key per call, key -> bytes the parent still accepts): every byte the
        child sends while a call is running counts against that call's key (a function, say),
        and the dictionary is updated in place.

        A reply ``"stale"`` means the previous batch left something behind (bytes waiting or the
        stream closed before this request is sent, or a frame carrying that batch's nonce): code
        that ran in the previous batch did it, and this batch is not to blame. Whatever of this
        batch ran does not count.
        """
        if self.last_nonce and self._leftover():
            self.garbled, self.alive = True, False
            return [CallReply("stale", 0.0)]
        nonce = secrets.token_hex(8)
        header = {
            "nonce": nonce,
            "calls": [
                {
                    "call": call,
                    "repeat": repeat,
                    "arrays": [[name, dtype, shape, len(data)] for name, dtype, shape, data in arrays],
                }
                for call, repeat, arrays in calls
            ],
        }
        start = time.monotonic()
        try:
            self.control.settimeout(max(min(call_seconds, deadline - start), 0.01))
            self.control.sendall(
                b"".join([json.dumps(header).encode(), b"\n", *(item[-1] for _, _, arrays in calls for item in arrays)])
            )
        except TimeoutError:
            return [CallReply("timeout", time.monotonic() - start)]  # the child stopped reading
        except OSError:
            self.alive = False
            return [CallReply("died", time.monotonic() - start)]
        finally:
            try:
                self.control.setblocking(True)
            except OSError:
                pass
        replies = []
        for index in range(len(calls)):
            while True:
                if budgets is not None:
                    self.byte_budget = budgets[1][budgets[0][index]]
                frame = self.receive_frame(min(start + call_seconds, deadline))
                if budgets is not None:
                    budgets[1][budgets[0][index]] = self.byte_budget
                now = time.monotonic()
                if frame is None:
                    state = ("too much" if self.over_budget else "unreadable" if self.garbled
                             else "died" if not self.alive else "timeout")
                    replies.append(CallReply(state, now - start))
                    return replies
                message, blobs = frame
                if self.last_nonce and message.get("done") == self.last_nonce:
                    self.garbled, self.alive = True, False
                    return [CallReply("stale", now - start)]
                if message.get("done") != nonce or message.get("index") != index:
                    # The harness answers each call once, in order: anything else was forged by
                    # the student's code. End the child rather than parse a flood of them.
                    self.garbled, self.alive = True, False
                    replies.append(CallReply("unreadable", now - start))
                    return replies
                replies.append(CallReply("done", now - start, message, blobs))
                start = now
                break
        self.last_nonce = nonce
        return replies

    def _leftover(self) -> bool:
        """Whether the child wrote anything since its last reply: bytes waiting, or the end of the
        stream (it closed it, or died). Between batches the harness writes nothing and lives on."""
        if self._buffer:
            return True
        try:
            self.control.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return False  # nothing waiting, the expected state
        except OSError:
            return True
        return True  # a byte waiting, or b"" at the end of the stream


class Sandbox:
    """A zygote plus the bookkeeping to spawn, call and kill confined children."""

    def __init__(
        self,
        isolation: Isolation,
        limits: Limits = Limits(),
        hide: tuple[Path, ...] = (),
        visible: tuple[Path, ...] = (),
    ):
        self.isolation = isolation
        self.limits = limits
        #: Folders the child may read besides its frame and Python (a data set, say); in the child's
        #: mount namespace every other non-system folder is covered.
        self.visible = tuple(Path(p).resolve() for p in visible if Path(p).is_dir())
        extra = (Path("/var/tmp"), Path("/dev/shm")) if isolation.namespaces else ()
        self.hide = tuple(str(Path(p).resolve()) for p in (*hide, *extra) if _safe_to_hide(Path(p)))
        self._zygote: subprocess.Popen | None = None
        self._socket: socket.socket | None = None
        self._home = tempfile.mkdtemp(prefix="autograder-zygote-")
        #: Aggregate caps (CPU, memory, processes) and a kill that reaches every descendant.
        self.cgroups = cgroups.detect() if isolation.uid is not None else cgroups.Support(0, "not root")
        cgroups.remove_stale(self.cgroups)
        self._groups = 0
        #: Promises (preflight names) some child could not keep since the last reset: a submission
        #: graded while one broke is not graded under the mode preflight found.
        self.broken_promises: set[str] = set()
        #: What this sandbox cannot do here, for every staff log.
        self.notes: tuple[str, ...] = isolation.notes + (
            () if self.cgroups.available else (f"no control groups ({self.cgroups.reason}): CPU, memory and "
                                               "process caps are per process only",))

    # -- zygote ------------------------------------------------------------------------------
    def _ensure_zygote(self) -> None:
        if self._zygote is not None and self._zygote.poll() is None:
            return
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._zygote = subprocess.Popen(
            [sys.executable, "-I", "-c", HARNESS_SOURCE, str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            env=base_environment(),
            cwd=self._home,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        theirs.close()
        self._socket = ours

    def _request(self, message: dict, fds: Sequence[int] = ()) -> dict:
        for _attempt in (1, 2):
            self._ensure_zygote()
            zygote = self._socket
            if zygote is None:  # _ensure_zygote always leaves a socket behind
                raise RuntimeError("the grading zygote has no socket")
            try:
                socket.send_fds(zygote, [json.dumps(message).encode()], list(fds))
                zygote.settimeout(30)
                reply = zygote.recv(1 << 16)
            except OSError:
                reply = b""
            if reply:
                return json.loads(reply)
            self._restart_zygote()  # it died (it should not): start a fresh one and retry once
        raise RuntimeError("the grading zygote stopped unexpectedly twice")

    def _restart_zygote(self) -> None:
        if self._socket is not None:
            self._socket.close()
        if self._zygote is not None:
            _kill_group(self._zygote.pid)
            self._zygote.wait()
        self._zygote = self._socket = None

    def close(self) -> None:
        self._restart_zygote()
        shutil.rmtree(self._home, ignore_errors=True)
        self.isolation.release()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- children ----------------------------------------------------------------------------
    def spawn(self, cwd: Path, limits: Limits | None = None, report: bool = False) -> tuple[Child | None, list[str]]:
        """Fork a confined child serving calls with ``cwd`` (the student's copy) as its folder.

        ``limits`` replaces the sandbox's own for this child (a larger memory cap, say). With
        ``report``, the child gets the write end of a pipe that only its ``program`` call may
        use (:attr:`Child.report` collects what arrives): results that must not travel through
        a file the student's code could rewrite.
        """
        limits = limits or self.limits
        spec = {
            "cwd": str(cwd),
            "namespaces": self.isolation.namespaces,
            "hide": list(self.hide) + (top_level_files() if self.isolation.namespaces else []),
            "expose": self._exposed(cwd),
            "uid": self.isolation.uid,
            "gid": self.isolation.gid,
            "env": {**base_environment(), "HOME": str(cwd), "TMPDIR": str(cwd)},
            "scratch": {"bytes": limits.scratch_bytes, "inodes": limits.scratch_inodes},
            "limits": {
                "cpu_seconds": limits.cpu_seconds,
                "address_space_bytes": limits.address_space_bytes,
                "file_size_bytes": limits.file_size_bytes,
                "open_files": limits.open_files,
                "processes": limits.processes if self.isolation.uid is not None else None,
            },
        }
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        read_end, write_end = os.pipe()
        report_read, report_write = os.pipe() if report else (None, None)
        passed = [theirs.fileno(), write_end, *([report_write] if report_write is not None else [])]
        try:
            reply = self._request({"op": "spawn", "spec": spec}, passed)
        finally:
            theirs.close()
            os.close(write_end)
            if report_write is not None:
                os.close(report_write)
        os.set_blocking(read_end, False)
        if report_read is not None:
            os.set_blocking(report_read, False)
        child = Child(pid=int(reply["pid"]), control=ours, output_fd=read_end, output_cap=limits.output_bytes,
                      report_fd=report_read, report_cap=limits.report_bytes)
        notes: list[str] = []
        if self.cgroups.available:
            # Before the child reports ready, hence before any of the student's code runs: every
            # process it starts later is born in the group.
            self._groups += 1
            group_limits = cgroups.GroupLimits(limits.group_cpus, limits.group_memory_bytes, limits.group_processes)
            try:
                child.group = cgroups.Group.create(self.cgroups, f"{os.getpid()}-{self.isolation.uid}-{self._groups}",
                                                   group_limits)
                child.group.add(child.pid)
            except OSError as error:
                notes.append(f"could not put the child in a control group ({error})")
        ready = child.receive(time.monotonic() + limits.startup_seconds)
        if not ready or not ready.get("ready"):
            self.kill(child)
            return None, [*notes, "the sandboxed process did not start: "
                          + bytes(child.output[:400]).decode(errors="replace")]
        notes = [*notes, *ready.get("notes", [])]
        self.broken_promises.update(broken_promises(notes))
        return child, notes

    def _exposed(self, cwd: Path) -> list[tuple[str, str]]:
        """(covered folder, path kept visible in it) pairs for the child's mount namespace.

        Every top-level folder except the system ones (:data:`SYSTEM_FOLDERS`) is covered with
        an empty tmpfs, so no copy of the kit, no other user's files and no other submission is
        reachable, wherever they live. Inside the covered folders only this submission's scratch
        frame, the Python installation (the virtual environment and its base) and the folders
        given as ``visible`` stay visible.
        A pair with an empty path covers the folder and keeps nothing.
        """
        if not self.isolation.namespaces:
            return []
        keep = [Path(cwd).resolve().parent, *python_prefixes(), *self.visible]
        pairs: list[tuple[str, str]] = []
        for top in sorted(Path("/").iterdir()):
            if top.name in SYSTEM_FOLDERS or top.is_symlink() or not top.is_dir():
                continue
            inside = sorted({str(path) for path in keep if top in path.parents or path == top})
            if any(path == str(top) for path in inside):
                continue  # the whole folder is needed (an installation at /opt, say): leave it
            pairs.extend((str(top), path) for path in inside) if inside else pairs.append((str(top), ""))
        return pairs

    def kill(self, child: Child) -> None:
        """Kill the child's process group and every process of its control group; as root, when the
        child had no group or it did not empty, every process of the grading uid.

        Every process the child starts is born in its group and cannot leave it (the group's files
        belong to root), so an emptied group leaves nothing of the child's behind: the uid sweep,
        a fork of the zygote, is for children without one.
        """
        _kill_group(child.pid)
        emptied = False
        if child.group is not None:
            emptied = child.group.kill()
            child.group.remove()
            child.group = None
        if self.isolation.uid is not None and not emptied:
            try:
                self._request({"op": "sweep", "uid": self.isolation.uid})
            except (OSError, RuntimeError, ValueError):
                pass
        child.alive = False
        try:
            child.control.close()
        finally:
            os.close(child.output_fd)
            if child.report_fd is not None:
                child.finish_report()
                os.close(child.report_fd)
                child.report_fd = None

    def prepare_folder(self, folder: Path) -> None:
        """Hand a folder (recursively) to the grading uid; a no-op when not root."""
        uid, gid = self.isolation.uid, self.isolation.gid
        if uid is None:
            return
        if gid is None:  # Isolation.detect gives a gid with every uid
            raise RuntimeError("the grading isolation has a uid but no gid")
        for path in [folder, *folder.rglob("*")]:
            os.lchown(path, uid, gid)


#: How a child's setup note names the promise it breaks (see ``preflight.PROMISES``).
PROMISE_OF_NOTE = (
    ("no network/mount/IPC namespace", "namespaces"),
    ("could not expose", "namespaces"),
    ("could not hide", "namespaces"),
    ("could not drop the user namespace", "namespaces"),
    ("no seccomp filter", "namespaces"),
    ("no private scratch folder", "scratch"),
    ("could not put the child in a control group", "cgroups"),
)


def broken_promises(notes: list[str]) -> set[str]:
    """The promises a child's setup notes say it could not keep."""
    return {promise for note in notes for start, promise in PROMISE_OF_NOTE if note.startswith(start)}


def base_environment() -> dict[str, str]:
    """The whole environment of the zygote and its children: nothing inherited, nothing that says "grading"."""
    return {
        "PATH": PATH,
        "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


#: Top-level folders the child keeps: the operating system, never user data.
SYSTEM_FOLDERS = frozenset({"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "sbin", "sys", "usr"})


def top_level_files() -> list[str]:
    """Plain files directly under ``/`` (machine descriptions and the like): covered as root."""
    return [str(path) for path in Path("/").iterdir() if path.is_file() and not path.is_symlink()]


def python_prefixes() -> list[Path]:
    """The folders of this interpreter's installation: the virtual environment and its base."""
    return sorted({Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()})


def read_plain_file(dir_fd: int, name: str, max_bytes: int) -> bytes | None:
    """Read a regular file written by a child: no symlink, no FIFO, at most ``max_bytes``."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            return None
        chunks, total = [], 0
        while total <= max_bytes:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        return b"".join(chunks) if total <= max_bytes else None
    finally:
        os.close(fd)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _safe_to_hide(path: Path) -> bool:
    """Never cover the interpreter's own installation or the temp folder the children use."""
    path = path.resolve()
    keep = [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(tempfile.gettempdir()).resolve()]
    return path.exists() and not any(k == path or path in k.parents for k in keep) and path != Path("/")

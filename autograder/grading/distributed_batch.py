"""``grade-all --scheduler ADDRESS``: the same batch, graded by the workers of a Dask cluster.

The client (the ``grade-all`` process) does what :func:`.batch.grade_all` does around the
grading: it finds the submissions, skips those whose stored result has the same resume key
(:func:`.batch.pending`), shows the progress bar, writes every student's files as their results
come back (:func:`.batch.write_outputs`) and ``grades.csv`` at the end (:func:`.batch.finish`).
Only the grading moves: each submission is packed into a :class:`Parcel` (its bytes: workers do
not share the client's disk), handed to one worker and graded there by a :class:`~.runner.Grader`
exactly as a local worker process grades it (a sandbox with its own zygote and grading uid, the
plans built and the reference timed once per worker process); the worker writes the parcel into a
private temporary folder of its own and returns the :class:`~.results.SubmissionResult`.

Before a worker gets a submission it is asked (a handshake task) for its kit fingerprint
(:func:`kit_fingerprint`: every file of the grader, the released starter and notebooks), its
Python and NumPy versions and a sandbox probe (:func:`.preflight.probe`) run there. A worker whose
kit or environment differs from the client's is refused, with a message, so results never mix two
grader versions; so is one whose isolation mode was not accepted (``--accept-isolation``), and one
without namespaces whatever was accepted (student code there could reach the scheduler, which runs
whatever it is sent on every worker). The summary reports the weakest mode among the workers used.
Every task carries the fingerprint again, so a worker process restarted from a changed kit
refuses its first submission instead of grading it. Workers that join while the batch runs are
asked too and then used.

The client hands out at most one submission per worker thread, so nothing waits in a worker's
queue: a worker that leaves or dies takes only its own submissions with it; each of them is
graded once more elsewhere, and a second loss makes it "could not grade" (graded again by the next
run), as a dead local worker process does. Ctrl-C stops handing out submissions at once; the
running ones get :data:`.batch.INTERRUPT_GRACE_SECONDS`, then they are abandoned: the client
forgets them and the worker kills the sandboxed processes of each (as root: every process of its
grading uid, until the grader gives up on the submission) and discards the result.

``distributed`` is imported only when a batch runs, so the kit works without it.
"""
from __future__ import annotations

import hashlib
import multiprocessing.util
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from autograder import KIT_ROOT
from autograder.grading import batch as local
from autograder.grading import manifest, preflight, scoring
from autograder.grading.intake_limits import MAX_FILES, MAX_TOTAL_BYTES, SubmissionError, walk
from autograder.grading.results import SubmissionResult
from autograder.grading.runner import INTERNAL_ERROR, Grader, PlanSet
from autograder.grading.sandbox import Limits
from autograder.grading.submission import IGNORED, Submission, _only_zip, _placements, stamp

#: The biggest zip a client sends to a worker. Locally a zip is read member by member, so a larger
#: one (data sets included by mistake) could still be graded there; on a cluster it is refused.
MAX_PARCEL_ZIP_BYTES = 256 << 20
#: The most entries (files, folders, links) of a submission folder sent to a worker; locally only
#: the folders are capped (:data:`.intake_limits.MAX_FOLDERS`).
MAX_PARCEL_ENTRIES = 100_000
ZIP_TOO_LARGE = (f"the zip is larger than {MAX_PARCEL_ZIP_BYTES >> 20} MB: submit only cs_utils/ and notebooks/ "
                 "(python -m cs_utils.submit makes that zip)")
TOO_MANY_ENTRIES = (f"the submission has more than {MAX_PARCEL_ENTRIES} files and folders: submit only cs_utils/ "
                    "and notebooks/ (python -m cs_utils.submit makes that zip)")
#: Where a symbolic link of a submission folder points on a worker: nothing reads it (the intake
#: skips links), only its place counts.
LINK_TARGET = "link-not-followed"
#: How often the client asks the scheduler which workers are there.
POLL_SECONDS = 1.0
#: How long the client waits for a first worker, and for any usable worker while submissions wait
#: (then it stops, keeping what is done). Connecting to the scheduler itself takes at most Dask's
#: ``distributed.comm.timeouts.connect`` (30 s unless configured).
FIRST_WORKER_SECONDS = 60.0
WORKERLESS_SECONDS = 300.0
#: How long fetching a finished submission's result from its worker may take.
RESULT_SECONDS = 120.0
#: The kit's files that decide a grade or how it reads, for :func:`kit_fingerprint`: (a glob pattern
#: under the kit's root, recursive when it has ``**``). The grader and its schemas, the reference
#: source, the modules the grader imports from the package around it, the released starter
#: package (loose uploads are laid over it) and the released notebooks (the templates).
KIT_FILES = ("autograder/grading/**/*.py", "autograder/grading/**/*.json", "autograder/source/**/*.py",
             "autograder/__init__.py", "autograder/synthetic_data.py", "autograder/nbgrader_bridge.py",
             "cs_utils/**/*.py", "notebooks/*.ipynb")


class ClusterError(RuntimeError):
    """The cluster cannot grade: no scheduler at the address, no usable worker, or ``distributed``
    is not installed. The message says what to do."""


# -- what travels ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ParcelEntry:
    """One entry of a submission folder: its place, its kind, and for a file the intake reads, its
    bytes (or, past the intake's byte cap, only its size)."""

    relative: str  # a POSIX path inside the submission
    kind: str  # "folder", "file", "symlink" or "other", as :func:`.intake_limits.walk` says
    data: bytes = b""
    size: int = 0  # a file the intake refuses by its size: made sparse on the worker


@dataclass(frozen=True)
class Parcel:
    """A submission on its way to a worker.

    ``zip``: the archive's bytes (also for a folder holding just one zip, which is graded as that
    zip). ``folder``: every entry the intake lists, with the bytes of the files it would copy (the
    others travel empty: only their names matter to where files go). ``refused``: the intake's
    message, when the client's own reading already stops it (too many folders, too deep, too big).
    """

    kind: str
    data: bytes = b""
    entries: tuple[ParcelEntry, ...] = ()
    message: str = ""


def pack(submission: Submission) -> Parcel:
    """The parcel of ``submission``, read under the intake's limits (:mod:`.intake_limits`).

    Raises
    ------
    OSError
        If the submission cannot be read (the caller records "could not grade", ours).
    """
    path = Path(submission.path)
    if path.is_dir():
        inner = _only_zip(path)
        return _pack_folder(path) if inner is None else _pack_zip(inner)
    return _pack_zip(path)


def _pack_zip(path: Path) -> Parcel:
    with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb") as handle:
        data = handle.read(MAX_PARCEL_ZIP_BYTES + 1)
    if len(data) > MAX_PARCEL_ZIP_BYTES:
        return Parcel("refused", message=ZIP_TOO_LARGE)
    return Parcel("zip", data=data)


def _pack_folder(folder: Path) -> Parcel:
    """The listing of :func:`.submission.materialize`'s folder copy, with the bytes it would copy.

    The worker rebuilds the folder from it and runs the very same intake: the same files are
    placed, the same notes written and the same limits broken at the same file (a file past the
    byte cap travels as its size and is made sparse there).
    """
    try:
        listing = list(walk(folder, prune=IGNORED))
    except SubmissionError as error:
        return Parcel("refused", message=str(error))
    if len(listing) > MAX_PARCEL_ENTRIES:
        return Parcel("refused", message=TOO_MANY_ENTRIES)
    try:
        placed = _placements([entry.relative for entry in listing if entry.kind == "file"])[0]
    except SubmissionError:
        placed = {}  # nothing to copy: the worker's intake reads the same names and says the same
    # Folders the walk prunes still count at the top, where a folder decides whether a lone zip
    # stands for the submission (:func:`.submission._only_zip`).
    entries = [ParcelEntry(entry.name, "folder") for entry in sorted(os.scandir(folder), key=lambda e: e.name)
               if entry.name in IGNORED and entry.is_dir(follow_symlinks=False)]
    count, total = 0, 0
    for entry in listing:
        name = entry.relative.as_posix()
        if entry.kind != "file" or entry.relative not in placed:
            entries.append(ParcelEntry(name, entry.kind))
            continue
        count += 1
        if count > MAX_FILES or total > MAX_TOTAL_BYTES:  # the worker's intake stops before this file
            entries.append(ParcelEntry(name, "file"))
            continue
        source = folder.joinpath(*entry.relative.parts)
        size = source.stat().st_size
        total += size
        if total > MAX_TOTAL_BYTES:  # refused by its size, never read
            entries.append(ParcelEntry(name, "file", size=min(size, MAX_TOTAL_BYTES + 1)))
            continue
        with os.fdopen(os.open(source, os.O_RDONLY | os.O_NOFOLLOW), "rb") as reader:
            entries.append(ParcelEntry(name, "file", data=reader.read(MAX_TOTAL_BYTES + 1)))
    return Parcel("folder", entries=tuple(entries))


@dataclass(frozen=True)
class _Refused(Submission):
    """A submission the client's intake already refused: graded as "could not grade" with its message."""

    message: str = ""


def unpack(parcel: Parcel, student: str, folder: Path) -> Submission:
    """Write ``parcel`` into ``folder`` (a private, empty folder); return the submission to grade.

    Raises
    ------
    ValueError
        If the parcel breaks the limits it was packed under or names a place outside ``folder``
        (a client bug: the caller records "could not grade", ours).
    """
    if parcel.kind == "refused":
        return _Refused(student, folder, message=parcel.message)
    if parcel.kind == "zip":
        if len(parcel.data) > MAX_PARCEL_ZIP_BYTES:
            raise ValueError("the parcel's zip is over the limit")
        path = folder / "submission.zip"
        path.write_bytes(parcel.data)
        return Submission(student, path)
    if parcel.kind != "folder" or len(parcel.entries) > MAX_PARCEL_ENTRIES + len(IGNORED):
        raise ValueError(f"unusable parcel ({parcel.kind}, {len(parcel.entries)} entries)")
    places = [PurePosixPath(entry.relative) for entry in parcel.entries]
    for entry, relative in zip(parcel.entries, places, strict=True):
        if relative.is_absolute() or not relative.parts or ".." in relative.parts or "\0" in entry.relative:
            raise ValueError(f"the parcel names an unsafe place: {entry.relative!r}")
    root = folder / "submission"
    root.mkdir()
    written = 0
    for entry, relative in zip(parcel.entries, places, strict=True):
        target = root.joinpath(*relative.parts)
        if entry.kind == "folder":
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if entry.kind == "file":
            written += len(entry.data)
            if written > 2 * MAX_TOTAL_BYTES + 1 or entry.size > MAX_TOTAL_BYTES + 1:
                raise ValueError("the parcel's files are over the limit")
            with open(target, "xb") as sink:
                sink.write(entry.data)
            if entry.size > len(entry.data):
                os.truncate(target, entry.size)  # sparse: costs no disk
        elif entry.kind == "symlink":
            os.symlink(LINK_TARGET, target)
        else:
            os.mkfifo(target, 0o600)
    return Submission(student, root)


# -- who may grade -----------------------------------------------------------------------------
def kit_fingerprint() -> str:
    """A digest of every file of this kit that decides a grade or its rendering (:data:`KIT_FILES`):
    differs between two commits that differ there."""
    digest = hashlib.sha256(b"kit-fingerprint-v1")
    paths = {path for pattern in KIT_FILES for path in KIT_ROOT.glob(pattern)}
    for path in sorted(paths):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        name, data = path.relative_to(KIT_ROOT).as_posix().encode(), path.read_bytes()
        digest.update(len(name).to_bytes(8, "big") + name + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()[:16]


def environment() -> str:
    """The versions that decide the numbers: Python's and NumPy's (requirements-grading.lock pins
    one NumPy per Python)."""
    import numpy

    return f"Python {sys.version_info.major}.{sys.version_info.minor}, NumPy {numpy.__version__}"


@dataclass(frozen=True)
class WorkerFacts:
    """What a worker says about itself in the handshake."""

    kit: str
    environment: str
    report: preflight.Report
    host: str


@dataclass(frozen=True)
class WorkerRefused:
    """A task's answer from a worker whose kit or environment is not the one the client expects."""

    reason: str


@dataclass(frozen=True)
class _Config:
    """What a worker needs to grade for this batch (a grader per distinct configuration)."""

    kit: str
    environment: str
    limits: Limits
    seed: int
    notebooks: bool
    mode: str  # this worker's isolation mode, as its probe found it


_IDENTITY: dict[str, str] = {}


def _identity() -> tuple[str, str]:
    """This process's kit fingerprint and environment, computed once (the code it runs is loaded)."""
    if not _IDENTITY:
        _IDENTITY.update(kit=kit_fingerprint(), environment=environment())
    return _IDENTITY["kit"], _IDENTITY["environment"]


def _mismatch(kit: str, environment_: str) -> str:
    """Why a worker with ``kit`` and ``environment_`` may not grade for this process; "" if it may."""
    mine, here = _identity()
    if kit != mine:
        return (f"its kit differs from the client's (fingerprint {kit}, the client's {mine}): install the same commit "
                "of the kit there (make), then restart the worker")
    if environment_ != here:
        return (f"its environment differs from the client's ({environment_}; the client has {here}): install "
                "requirements-grading.lock there with the same Python (make), then restart the worker")
    return ""


# -- on a worker -------------------------------------------------------------------------------
def _handshake(limits: Limits, notebooks: bool) -> WorkerFacts:
    """Runs on a worker: its identity and a sandbox probe, as a local batch probes first."""
    kit, here = _identity()
    return WorkerFacts(kit, here, preflight.probe(limits, notebooks=notebooks), socket.gethostname())


class _WorkerGrader(Grader):
    """A grader that also takes submissions the client's intake already refused."""

    def prepare(self, submission: Submission):
        if isinstance(submission, _Refused):
            raise SubmissionError(submission.message)  # graded exactly as the intake's own refusal
        return super().prepare(submission)


_LOCK = threading.Lock()
_FREE: dict[_Config, list[_WorkerGrader]] = {}  # idle graders; one per task running at a time
_ALL: list[_WorkerGrader] = []
_PLANS: dict[tuple[int, Limits], PlanSet] = {}  # built and timed once per worker process
_BUSY: dict[str, _WorkerGrader] = {}  # token of the running task -> its grader
_PLACE: list[Path] = []  # this process's private folder for parcels


def _parcels_folder() -> Path:
    if not _PLACE:
        _PLACE.append(Path(tempfile.mkdtemp(prefix="autograder-parcels-")))  # 0700, this process's own
        multiprocessing.util.Finalize(None, _close_all, exitpriority=10)  # when the worker process exits
        try:
            from distributed import get_worker

            worker = get_worker()
            worker.loop.add_callback(worker.plugin_add, plugin=_stop_graders_on_close(),
                                     name="autograder-stop-graders")
        except (ImportError, ValueError):  # not in a Dask worker (a test calling the task directly)
            pass
    return _PLACE[0]


def _stop_graders_on_close():
    """A worker plugin: when the worker closes (SIGTERM to ``dask worker``, say) Dask calls its
    ``teardown``, which abandons the submissions being graded, so their threads return, the process
    exits and its finalizer closes the graders. Without it a sleeping child would hold its thread
    until the nanny kills the process, and outlive it."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class StopGradersOnClose(WorkerPlugin):
        def teardown(self, worker) -> None:
            with _LOCK:
                running = list(_BUSY.items())
            threads = [threading.Thread(target=_stop_while_busy, args=(token, grader, 6.0), daemon=True)
                       for token, grader in running]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

    return StopGradersOnClose()


def _hidden() -> tuple[Path, ...]:
    """Folders covered in every sandboxed child besides the usual ones: this process's parcels
    and the Dask worker's own folder (data it spilled, other tasks' files)."""
    hidden = [_parcels_folder()]
    try:
        from distributed import get_worker

        hidden.append(Path(get_worker().local_directory))
    except (ImportError, ValueError):
        pass
    return tuple(hidden)


def _acquire(config: _Config) -> _WorkerGrader:
    with _LOCK:
        free = _FREE.setdefault(config, [])
        if free:
            return free.pop()
        # Created under the lock: the first grader of a process builds the plans and times the
        # reference while nothing else is set up, and every later one shares them.
        plans = _PLANS.get((config.seed, config.limits))
        grader = _WorkerGrader(limits=config.limits, seed=config.seed, hide=_hidden(), plans=plans,
                               notebooks=config.notebooks, isolation_mode=config.mode)
        try:
            grader.warm_up()
        except BaseException:
            grader.close()
            raise
        _PLANS.setdefault((config.seed, config.limits), grader.plans)
        _ALL.append(grader)
        return grader


def _grade_task(token: str, parcel: Parcel, student: str, digest: str, config: _Config):
    """Runs on a worker: grade one parcel; a :class:`~.results.SubmissionResult`, or
    :class:`WorkerRefused` when this process's kit is not the one the client runs."""
    reason = _mismatch(config.kit, config.environment)
    if reason:
        return WorkerRefused(reason)
    grader = _acquire(config)
    with _LOCK:
        _BUSY[token] = grader
    try:
        with tempfile.TemporaryDirectory(dir=_parcels_folder()) as folder:
            return grader.grade(unpack(parcel, student, Path(folder)), digest)
    finally:
        with _LOCK:
            _BUSY.pop(token, None)
            _FREE.setdefault(config, []).append(grader)


def _abandon(tokens: list[str]) -> int:
    """Runs on a worker (``Client.run``): stop grading these tasks; how many were still running.

    As root, every process of the task's grading uid is killed until the grader has given up on
    the submission (a child that cannot start ends it as "could not grade", which nobody reads).
    Without root, the submission ends within its own limits.
    """
    with _LOCK:
        running = [(token, _BUSY[token]) for token in tokens if token in _BUSY]
    for token, grader in running:
        threading.Thread(target=_stop_while_busy, args=(token, grader), daemon=True).start()
    return len(running)


def _stop_while_busy(token: str, grader: Grader, seconds: float = 600.0) -> None:
    uid = grader.isolation.uid
    if uid is None:
        return
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with _LOCK:  # the grader cannot move on to another submission while its uid is swept
            if _BUSY.get(token) is not grader:
                return
            _kill_uid(uid)
        time.sleep(0.05)


def _kill_uid(uid: int) -> None:
    """Kill every process of a grading uid (this grader's alone: it holds the uid's lock), as the
    sandbox's own sweep does, from here: as root, any process whose real, effective or saved uid it is."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status", encoding="ascii", errors="replace") as handle:
                uids = next((line.split()[1:4] for line in handle if line.startswith("Uid:")), [])
            if str(uid) in uids:
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ValueError):
            pass  # gone already, or not ours to read


def _close_all() -> None:
    """When the worker process exits: stop every grader's children, close the graders."""
    with _LOCK:
        graders = list(_ALL)
        _ALL.clear()
        _FREE.clear()
    for grader in graders:
        try:
            if grader.isolation.uid is not None:
                _kill_uid(grader.isolation.uid)
            grader.close()
        except Exception:
            pass
    for folder in _PLACE:
        shutil.rmtree(folder, ignore_errors=True)


# -- on the client -----------------------------------------------------------------------------
@dataclass
class _Worker:
    address: str
    id: str  # the worker process's own id: a restarted worker has a new one
    host: str
    slots: int  # threads: submissions it grades at a time
    mode: str
    busy: int = 0


@dataclass
class _Job:
    submission: Submission
    digest: str
    attempt: int = 1
    token: str = ""
    worker: _Worker | None = None


@dataclass
class _Cluster:
    """The client's view of the workers: which were asked, which grade for this batch, which not."""

    client: Any
    limits: Limits
    notebooks: bool
    accept: Collection[str]
    say: Callable[[str], None]
    kit: str = ""
    environment: str = ""
    workers: dict[str, _Worker] = field(default_factory=dict)  # accepted, by address
    asked: dict[tuple[str, str], Any] = field(default_factory=dict)  # (address, id) -> handshake future
    pending: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)  # -> (host, threads)
    refused: dict[tuple[str, str], str] = field(default_factory=dict)
    isolation_refusals: list[preflight.IsolationRefused] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)  # promises missing on some accepted worker

    @property
    def mode(self) -> str:
        """The weakest mode among the workers accepted: every promise some of them lacks."""
        if not self.workers and not self.missing:
            return ""
        return "+".join(f"no-{name}" for name in preflight.PROMISES if name in self.missing) or preflight.FULL

    def poll(self) -> list[_Worker]:
        """Ask the scheduler which workers are there: ask the new ones, take in the answers;
        return the accepted workers that are gone (or were restarted)."""
        try:
            info = self.client.scheduler_info(n_workers=-1)  # every worker, not the first five
        except TypeError:  # a distributed from before that argument: it lists every worker anyway
            info = self.client.scheduler_info()
        present = {address: (str(facts.get("id", "")), str(facts.get("host", address)), int(facts.get("nthreads", 1)))
                   for address, facts in info["workers"].items()}
        gone = [worker for address, worker in self.workers.items() if present.get(address, ("",))[0] != worker.id]
        for worker in gone:
            del self.workers[worker.address]
        for key in [key for key in self.asked if present.get(key[0], ("",))[0] != key[1]]:
            self.client.cancel(self.asked.pop(key))  # left before it answered
            self.pending.pop(key, None)
        for address, (worker_id, host, threads) in present.items():
            key = (address, worker_id)
            if address in self.workers or key in self.asked or key in self.refused:
                continue
            self.pending[key] = (host, threads)
            self.asked[key] = self.client.submit(_handshake, self.limits, self.notebooks, workers=[address],
                                                 allow_other_workers=False,
                                                 key=f"autograder-handshake-{uuid.uuid4().hex}")
        for key, future in list(self.asked.items()):
            if future.done():
                del self.asked[key]
                self._judge(key, future)
        return gone

    def _judge(self, key: tuple[str, str], future) -> None:
        address, worker_id = key
        host, threads = self.pending.pop(key)
        try:
            facts = future.result()
        except Exception as error:
            self.refuse(key, host, f"its handshake failed ({type(error).__name__}: {error}); can the scheduler and "
                                   "the worker import the kit? (start both with PYTHONPATH=the kit's folder, see "
                                   "docs/CLUSTER.md)")
            return
        reason = _mismatch(facts.kit, facts.environment)
        if not reason and "namespaces" in facts.report.missing:
            reason = ("student code there would not be confined to its own network and folders, so it could reach "
                      "the scheduler and every worker (a cluster never accepts no-namespaces): "
                      + "; ".join(facts.report.details))
        if reason:
            self.refuse(key, facts.host, reason)
            return
        try:
            mode = preflight.require(facts.report, self.accept)
        except preflight.IsolationRefused as error:
            self.isolation_refusals.append(error)
            self.refuse(key, facts.host, str(error))
            return
        self.missing.update(facts.report.missing)
        self.workers[address] = _Worker(address, worker_id, facts.host, max(1, threads), mode)

    def refuse(self, key: tuple[str, str], host: str, reason: str) -> None:
        self.refused[key] = reason
        self.workers.pop(key[0], None)
        self.say(f"worker {key[0]} ({host}) refused: {reason}")

    def config(self, worker: _Worker, seed: int) -> _Config:
        return _Config(self.kit, self.environment, self.limits, seed, self.notebooks, worker.mode)


def _default_say(bar_holder: list) -> Callable[[str], None]:
    def say(message: str) -> None:
        bar = bar_holder[0] if bar_holder else None
        if bar is not None and hasattr(bar, "write"):
            bar.write(message, file=sys.stderr)
        else:
            print(message, file=sys.stderr, flush=True)

    return say


def _connect(scheduler: str, seconds: float | None):
    """A Dask client of ``scheduler`` (TLS and other settings from Dask's own configuration)."""
    try:
        from distributed import Client
    except ImportError as error:
        raise ClusterError(f"grade-all --scheduler needs the 'distributed' package ({error}): "
                           "pip install -r requirements-instructor.txt (make installs it)") from error
    try:
        return Client(scheduler, set_as_default=False, **({} if seconds is None else {"timeout": seconds}))
    except (OSError, TimeoutError, ValueError) as error:
        raise ClusterError(f"could not reach the Dask scheduler at {scheduler}: {error}") from error


def grade_all(batch: Path, out: Path, *, scheduler: str, limits: Limits = Limits(), seed: int = 0,
              progress: bool = True, notebooks: bool = True, gradebook: Path | None = None,
              accept: Collection[str] = (), interrupt: local.Interrupt | None = None,
              say: Callable[[str], None] | None = None, connect_seconds: float | None = None,
              first_worker_seconds: float = FIRST_WORKER_SECONDS, name_by: str = "sid",
              workerless_seconds: float = WORKERLESS_SECONDS, only: Collection[str] = ()) -> local.BatchSummary:
    """Grade every submission of ``batch`` into ``out`` on the Dask cluster at ``scheduler``.

    The same results, files, resume, progress bar and Ctrl-C as :func:`.batch.grade_all` (see the
    module docstring for what differs). ``say`` receives a line for each refused worker (default:
    stderr); ``name_by`` is :func:`.batch.grade_all`'s.

    Raises
    ------
    ClusterError
        No scheduler at ``scheduler`` within ``connect_seconds`` (default: Dask's configuration),
        no worker within ``first_worker_seconds``, every worker refused for its kit, or no usable
        worker for ``workerless_seconds`` while submissions waited (then after writing
        ``grades.csv`` for what was done).
    preflight.IsolationRefused
        Every worker was refused and some for an isolation mode that ``accept`` does not name.
    """
    batch, out = Path(batch).resolve(), Path(out).resolve()
    bar_holder: list = []
    say = say or _default_say(bar_holder)
    interrupt = interrupt or local.Interrupt()
    client = _connect(scheduler, connect_seconds)
    try:
        with interrupt.installed(), _quiet_about_parcels():
            cluster = _Cluster(client, limits, notebooks, frozenset(accept), say)
            cluster.kit, cluster.environment = _identity()
            _wait_for_workers(cluster, interrupt, scheduler, first_worker_seconds)
            out.mkdir(parents=True, exist_ok=True)
            fingerprint = local.grader_fingerprint(seed, notebooks, limits)
            results, todo = local.pending(batch, out, fingerprint, name_by, notebooks=notebooks, only=only)
            reused = len(results)
            bar = local._progress_bar(len(todo), progress)
            bar_holder.append(bar)
            try:
                left, stopped = _dispatch(cluster, todo, out, results, bar, interrupt, seed, workerless_seconds)
            finally:
                bar.close()
                bar_holder.clear()
    finally:
        client.close()
    summary = local.finish(out, results, reused, cluster.mode, interrupt.requested.is_set() or bool(stopped),
                           len(left), gradebook)
    if stopped:
        raise ClusterError(f"{stopped}: {summary.graded} graded in this run, {summary.not_graded} left for the next "
                           f"one; grades so far in {summary.csv_path}; run the same command again to resume")
    return summary


def _quiet_about_parcels():
    """A zip of a few tens of MB is one task's argument, not a task graph worth a warning."""
    import dask

    return dask.config.set({"distributed.admin.large-graph-warning-threshold": f"{2 * MAX_PARCEL_ZIP_BYTES}B"})


def _wait_for_workers(cluster: _Cluster, interrupt: local.Interrupt, scheduler: str, seconds: float) -> None:
    """Until every worker there has answered and one was accepted; raise if none was."""
    deadline = time.monotonic() + seconds
    while not interrupt.requested.is_set():
        try:
            cluster.poll()
        except (OSError, TimeoutError) as error:
            raise ClusterError(f"lost the Dask scheduler at {scheduler} ({type(error).__name__}: {error})") from error
        if not cluster.asked and cluster.workers:
            return
        if not cluster.asked and cluster.refused:
            break
        if not cluster.asked and time.monotonic() > deadline:
            raise ClusterError(f"no worker joined the Dask scheduler at {scheduler} within {seconds:g} s: start "
                               "workers (docs/CLUSTER.md)")
        time.sleep(0.1 if cluster.asked else 0.5)
    if interrupt.requested.is_set():
        return
    if cluster.isolation_refusals:
        raise cluster.isolation_refusals[0]
    raise ClusterError("every worker of the Dask scheduler at " + scheduler + " was refused:\n"
                       + "\n".join(f"  {address}: {reason}" for (address, _), reason in cluster.refused.items()))


def _dispatch(cluster: _Cluster, todo, out: Path, results: dict[str, SubmissionResult], bar,
              interrupt: local.Interrupt, seed: int, workerless_seconds: float) -> tuple[list[_Job], str]:
    """Hand out ``todo``, one submission per free worker thread, until all have results; return the
    jobs left for the next run (after Ctrl-C, or when the cluster failed) and why the cluster
    failed ("" when it did not)."""
    from distributed.scheduler import KilledWorker

    waiting = deque(_Job(submission, digest) for submission, digest in todo)
    running: dict[Any, _Job] = {}
    news = threading.Event()  # set by the client's thread whenever a submission's task ends
    client = cluster.client
    last_poll = time.monotonic()
    workerless_since: float | None = None

    def lost(job: _Job, why: str) -> None:
        """The worker grading ``job`` went away: once more elsewhere, then "could not grade"."""
        if job.attempt == 1:
            waiting.appendleft(replace(job, attempt=2, token="", worker=None))
            return
        record(job, _internal_error(job, f"the worker grading this submission was lost twice; the last time: {why}",
                                    cluster.mode, cluster.notebooks))

    def record(job: _Job, result: SubmissionResult) -> None:
        result = stamp(result, job.submission)  # the worker's copy has no submission time or submitters
        local.write_outputs(out, result)
        results[job.submission.student] = result
        bar.update(1)

    def collect(future, job: _Job) -> None:
        if job.worker is not None:
            job.worker.busy -= 1
        if future.status == "finished":
            try:
                answer = future.result(timeout=RESULT_SECONDS)
            except Exception as error:  # the worker holding it went away in the meantime
                lost(job, f"its result could not be fetched ({type(error).__name__}: {error})")
                return
            if isinstance(answer, WorkerRefused) and job.worker is not None:  # restarted from another kit
                cluster.refuse((job.worker.address, job.worker.id), job.worker.host, answer.reason)
                waiting.appendleft(replace(job, token="", worker=None))
                return
            record(job, _checked(job, answer, cluster.mode, cluster.notebooks))
        elif future.status == "error":
            failure = future.exception()
            if isinstance(failure, KilledWorker):
                lost(job, f"{type(failure).__name__}: {failure}")
                return
            remote = "".join(traceback.format_exception(type(failure), failure, future.traceback()))
            mode = job.worker.mode if job.worker else cluster.mode
            record(job, _internal_error(job, remote, mode, cluster.notebooks))
        else:  # cancelled or lost by the scheduler (a worker or the scheduler restarted)
            lost(job, f"the task was {future.status}")

    def hand_out() -> None:
        for worker in list(cluster.workers.values()):
            while waiting and worker.busy < worker.slots and not interrupt.requested.is_set():
                job = waiting.popleft()
                try:
                    parcel = pack(job.submission)
                except OSError:
                    record(job, _internal_error(job, traceback.format_exc(), worker.mode, cluster.notebooks))
                    continue
                job = replace(job, token=uuid.uuid4().hex, worker=worker)
                future = client.submit(_grade_task, job.token, parcel, job.submission.student, job.digest,
                                       cluster.config(worker, seed), workers=[worker.address],
                                       allow_other_workers=False, key=f"autograder-grade-{job.token}")
                worker.busy += 1
                running[future] = job
                future.add_done_callback(lambda _future: news.set())

    stopped = ""
    while waiting or running:
        if interrupt.requested.is_set():
            _wind_down(client, running, collect, interrupt, news)
            break
        now = time.monotonic()
        if now - last_poll >= POLL_SECONDS:
            last_poll = now
            try:
                gone = {id(worker) for worker in cluster.poll()}
            except (OSError, TimeoutError) as error:
                stopped = f"lost the Dask scheduler ({type(error).__name__}: {error})"
                break
            for future, job in list(running.items()):
                if job.worker is not None and id(job.worker) in gone:
                    del running[future]
                    client.cancel(future)
                    lost(job, f"worker {job.worker.address} ({job.worker.host}) left the cluster")
        hand_out()
        if waiting and not cluster.workers and not running:
            workerless_since = workerless_since or now
            if now - workerless_since > workerless_seconds:
                stopped = f"no usable worker for {workerless_seconds:g} s (start workers)"
                break
        else:
            workerless_since = None
        for future in _ended(running, news):
            collect(future, running.pop(future))
    left = list(running.values()) + list(waiting)
    return left, stopped


def _ended(running: dict, news: threading.Event, seconds: float = 0.2) -> list:
    """The futures of ``running`` that have ended, after waiting up to ``seconds`` for one."""
    news.wait(seconds)
    news.clear()  # a task ending from here on sets it again; one that ended before is done() below
    return [future for future in running if future.done()]


def _wind_down(client, running: dict, collect, interrupt: local.Interrupt, news: threading.Event) -> None:
    """After Ctrl-C: the running submissions may finish for a grace period; the rest are abandoned
    (the client forgets them; their workers stop their sandboxed children)."""
    deadline = time.monotonic() + local.INTERRUPT_GRACE_SECONDS
    while running and time.monotonic() < deadline and interrupt.count < 2:
        for future in _ended(running, news):
            collect(future, running.pop(future))
    if not running:
        return
    by_worker: dict[str, list[str]] = {}
    for job in running.values():
        if job.worker is not None:
            by_worker.setdefault(job.worker.address, []).append(job.token)
    client.cancel(list(running))
    for address, tokens in by_worker.items():
        try:
            client.run(_abandon, tokens, workers=[address], on_error="ignore")
        except Exception:  # a worker that is gone has nothing to stop
            pass


def _checked(job: _Job, answer, mode: str, notebooks: bool) -> SubmissionResult:
    """The worker's result, if it is this submission's: a student's files hold their own result only."""
    if (isinstance(answer, SubmissionResult) and answer.student == job.submission.student
            and answer.content_hash == job.digest):
        return answer
    return _internal_error(job, f"the worker returned something else than this submission's result: "
                                f"{type(answer).__name__} for {getattr(answer, 'student', '?')!r}", mode, notebooks)


def _internal_error(job: _Job, staff_log: str, mode: str, notebooks: bool) -> SubmissionResult:
    """"Could not grade" (ours), as a local batch records a worker that failed: graded again next run."""
    return replace(scoring.could_not_grade(job.submission.student, manifest.graded_specs(notebooks), INTERNAL_ERROR,
                                           staff_log=staff_log, content_hash=job.digest), isolation=mode)

"""Grade one submission: the pipeline, step by step.

``prepare`` (copy the student layout into a fresh scratch folder) → ``run`` (each student
function's calls in a confined child; a crash or timeout kills that child and costs that
function's remaining tests only) → ``judge`` (the parent's checks on plain returned data) →
``score`` (points from the manifest). :meth:`Grader.grade` never raises: an internal failure
becomes a "could not grade" result with the traceback in the staff log.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from autograder import KIT_ROOT
from autograder.grading import checks, manifest, scoring
from autograder.grading.checks import Call, Plan, Returned, SourceView
from autograder.grading.reference import load_reference
from autograder.grading.results import SubmissionResult, TestOutcome, TestSpec
from autograder.grading.sandbox import Child, Isolation, Limits, Sandbox, read_plain_file
from autograder.grading.submission import Submission, SubmissionError, content_hash, materialize

MAX_OUTPUTS_JSON = 1 << 20
MAX_ARRAY_BYTES = 64 << 20
INTERNAL_ERROR = ("The autograder could not grade this submission because of a problem on our side, "
                  "not in your code. Your instructors have the details.")


@dataclass
class Workspace:
    """The scratch folders of one submission (root-owned frame, student-owned inside)."""

    root: Path
    work: Path  # the student's copy, the child's cwd
    io: Path  # one subfolder per call
    calls: int = 0


@dataclass
class RunState:
    """What the run step knows while it goes through one submission."""

    workspace: Workspace
    deadline: float
    child: Child | None = None
    cache: dict[str, Returned] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)  # function -> "timeout"/"died"
    log: list[str] = field(default_factory=list)


class Grader:
    """Grades submissions one after another with one sandbox; reuse it for a batch."""

    def __init__(self, *, slot: int = 0, limits: Limits = Limits(), hide: tuple[Path, ...] = (),
                 seed: int = 0, tests: tuple[TestSpec, ...] = manifest.TESTS):
        self.tests = tests
        self.limits = limits
        self.isolation = Isolation.detect(slot)
        hidden = (KIT_ROOT / "autograder", KIT_ROOT / ".git", *hide)
        self.sandbox = Sandbox(self.isolation, limits, hide=hidden)
        self._builders = checks.plan_builders(load_reference(), seed)
        self._plans: dict[str, Plan] = {}
        self._scratch = Path(tempfile.mkdtemp(prefix="autograder-scratch-"))
        os.chmod(self._scratch, 0o711)
        self._count = 0

    def close(self) -> None:
        self.sandbox.close()
        shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> "Grader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def plan(self, test_id: str) -> Plan:
        if test_id not in self._plans:
            self._plans[test_id] = self._builders[test_id]()
        return self._plans[test_id]

    def warm_up(self) -> None:
        """Build every plan (expected values, reference timings) before the first submission."""
        for spec in self.tests:
            self.plan(spec.id)

    # -- the pipeline ------------------------------------------------------------------------
    def grade(self, submission: Submission, digest: str | None = None) -> SubmissionResult:
        start = time.monotonic()
        digest = digest if digest is not None else _safe_hash(submission.path)
        workspace = None
        try:
            workspace, notes = self.prepare(submission)
            outcomes, log = self.run(workspace)
            log = [*self.isolation.notes, *log]
            return scoring.build_result(submission.student, self.tests, outcomes, content_hash=digest,
                                        seconds=time.monotonic() - start, notices=tuple(notes),
                                        staff_log="\n".join(log))
        except SubmissionError as error:
            return scoring.could_not_grade(submission.student, self.tests, f"Could not grade: {error}.",
                                           content_hash=digest, seconds=time.monotonic() - start)
        except Exception:
            return scoring.could_not_grade(submission.student, self.tests, INTERNAL_ERROR,
                                           staff_log=traceback.format_exc(), content_hash=digest,
                                           seconds=time.monotonic() - start)
        finally:
            if workspace is not None:
                shutil.rmtree(workspace.root, ignore_errors=True)

    def prepare(self, submission: Submission) -> tuple[Workspace, list[str]]:
        self._count += 1
        root = self._scratch / str(self._count)
        root.mkdir(mode=0o711)
        os.chmod(root, 0o711)
        workspace = Workspace(root=root, work=root / "work", io=root / "io")
        workspace.io.mkdir(mode=0o711)
        os.chmod(workspace.io, 0o711)
        try:
            notes = materialize(submission, workspace.work)
        except SubmissionError:
            shutil.rmtree(root, ignore_errors=True)
            raise
        self.sandbox.prepare_folder(workspace.work)
        return workspace, notes

    def run(self, workspace: Workspace) -> tuple[tuple[TestOutcome, ...], list[str]]:
        """Run every test's calls, function by function; judge each test in the parent."""
        state = RunState(workspace, time.monotonic() + self.limits.submission_seconds)
        source = SourceView(workspace.work)
        outcomes = []
        try:
            for spec in self.tests:
                plan = self.plan(spec.id)
                returned = tuple(self._call(state, call) for call in plan.calls)
                try:
                    verdict = plan.judge(returned, source)
                except Exception:
                    state.log.append(f"judge of {spec.id} failed:\n{traceback.format_exc()}")
                    verdict = checks.Verdict(False, "the grader could not check this result")
                seconds = sum(r.seconds for r in returned) or None
                outcomes.append(TestOutcome(spec.id, verdict.passed, verdict.detail, seconds))
        finally:
            self._stop(state)
        return tuple(outcomes), state.log

    # -- one call ------------------------------------------------------------------------------
    def _call(self, state: RunState, call: Call) -> Returned:
        function = called_function(call)
        if call.key in state.cache:
            return state.cache[call.key]
        if function in state.broken:
            return Returned(False, state.broken[function])
        remaining = state.deadline - time.monotonic()
        if remaining <= 0:
            state.log.append(f"{call.key}: not run, the submission's time budget is used up")
            return Returned(False, "timeout")
        if state.child is None or not state.child.alive:
            state.child, notes = self.sandbox.spawn(state.workspace.work)
            state.log += notes
            if state.child is None:
                raise RuntimeError("could not start a sandboxed process: " + "; ".join(notes))
        folder = self._write_inputs(state.workspace, call)
        reply = state.child.call({"dir": str(folder), "call": call.request, "repeat": call.repeat},
                                 min(self.limits.call_seconds, remaining))
        if reply.state != "done":
            state.log.append(f"{call.key}: {reply.state} after {reply.seconds:.2f} s; process killed")
            self._stop(state)
            state.broken[function] = reply.state
            returned = Returned(False, reply.state, seconds=reply.seconds)
        else:
            returned = self._read_outputs(folder, reply.seconds, state.log, call.key)
        # the call folders go with the whole frame at the end of the submission
        state.cache[call.key] = returned
        return returned

    def _write_inputs(self, workspace: Workspace, call: Call) -> Path:
        workspace.calls += 1
        folder = workspace.io / str(workspace.calls)
        folder.mkdir(mode=0o700)  # created by the parent in a folder the child cannot write
        for name, array in call.arrays.items():
            with open(folder / f"{name}.npy", "xb") as handle:
                np.save(handle, array, allow_pickle=False)
            os.chmod(folder / f"{name}.npy", 0o644)
        self.sandbox.prepare_folder(folder)
        return folder

    def _read_outputs(self, folder: Path, seconds: float, log: list[str], key: str) -> Returned:
        directory = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            raw = read_plain_file(directory, "outputs.json", MAX_OUTPUTS_JSON)
            try:
                report = json.loads(raw) if raw is not None else None
                status, outputs = report["status"], report["outputs"]
                if not isinstance(status, dict) or not isinstance(outputs, dict):
                    raise TypeError
            except (ValueError, TypeError, KeyError):
                log.append(f"{key}: the outputs file is missing or malformed")
                return Returned(False, "unreadable", seconds=seconds)
            if not status.get("ok"):
                error = str(status.get("error", "an exception"))[:80]
                log.append(f"{key}: {error}: {str(status.get('message', ''))[:300]}")
                return Returned(False, error if error.isidentifier() else "an exception", seconds=seconds)
            numbers, arrays = {}, {}
            for name, described in list(outputs.items())[:64]:
                if not isinstance(described, dict):
                    continue
                if described.get("kind") == "number":
                    value = described.get("value")
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        numbers[name] = float(value)
                    elif value in ("nan", "inf", "-inf"):
                        numbers[name] = float(value)
                elif described.get("kind") == "array":
                    data = read_plain_file(directory, f"{name}.npy", MAX_ARRAY_BYTES)
                    if data is None:
                        continue
                    try:
                        array = np.load(io.BytesIO(data), allow_pickle=False)
                    except (ValueError, OSError, EOFError):
                        log.append(f"{key}: {name} is not a readable array")
                        continue
                    if isinstance(array, np.ndarray) and array.dtype.kind in "biuf":
                        arrays[name] = array
            return Returned(True, numbers=numbers, arrays=arrays, seconds=seconds)
        finally:
            os.close(directory)

    def _stop(self, state: RunState) -> None:
        if state.child is not None:
            output = bytes(state.child.output).decode(errors="replace")
            if output.strip():
                dropped = f" ({state.child.dropped} more bytes dropped)" if state.child.dropped else ""
                state.log.append(f"student output{dropped}:\n{output}")
            self.sandbox.kill(state.child)
            state.child = None


def called_function(call: Call) -> str:
    """The student function a call runs: a timeout or crash marks it broken for later calls."""
    request = call.request
    return str(request.get("name") or request.get("method") or request.get("kind"))


def _safe_hash(path: Path) -> str:
    try:
        return content_hash(path)
    except OSError:
        return ""

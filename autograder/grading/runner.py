"""Grade one submission: the pipeline, step by step.

:data:`STEPS` lists them, each a method of :class:`Grader` taking the submission's
:class:`Graded` item and adding its facts to it: ``prepare`` (copy the student layout into a
fresh scratch folder and read from it everything later steps need) → ``run`` (each student
function's calls in a confined child; a crash or timeout kills that child and costs that
function's remaining tests only) → ``judge`` (the parent's checks on plain returned data) →
``notebooks`` (the rebuilt notebooks run on synthetic data, unless ``--no-notebooks``) →
``score`` (points from the manifest). Discovering submissions comes before (:mod:`.submission`)
and rendering after (:func:`.render.write_results_json`), in the commands. :meth:`Grader.grade`
never raises: an internal failure becomes a "could not grade" result with the traceback in the
staff log.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from autograder import KIT_ROOT, SOURCE_ROOT
from autograder.grading import checks, declarations, manifest, notebook_intake, notebook_run, results_check, scoring
from autograder.grading.checks import Call, Plan, Returned, SourceView
from autograder.grading.integrity import patch_events
from autograder.grading.reference import load_reference
from autograder.grading.results import (
    COULD_NOT_GRADE,
    DIED,
    FORGED_CHANNEL,
    REPLY_FLOOD,
    TIMEOUT,
    GradingEvent,
    SubmissionResult,
    TestOutcome,
    TestSpec,
)
from autograder.grading.sandbox import CallReply, Child, Isolation, Limits, Sandbox
from autograder.grading.snapshot import SubmissionFiles
from autograder.grading.submission import Submission, SubmissionError, content_hash, materialize, stamp

MAX_ARRAY_BYTES = 64 << 20
#: Most bytes of input arrays sent in one batch request.
MAX_BATCH_BYTES = 16 << 20
INTERNAL_ERROR = ("The autograder could not grade this submission because of a problem on our side, "
                  "not in your code. Your instructors have the details.")


@dataclass
class Workspace:
    """The scratch folders of one submission (a root-owned frame, the student's copy inside)."""

    root: Path
    work: Path  # the student's copy, the child's cwd


@dataclass(frozen=True)
class Prepared:
    """One submission, read by the parent before any of its code runs (see :mod:`.snapshot`).

    The code tests run in ``workspace``; each later phase gets a fresh copy written from
    ``files``. After a child has run in a copy the parent never reads it again.
    """

    workspace: Workspace
    notes: tuple[str, ...]  # intake notes for the student
    files: SubmissionFiles
    intakes: dict[str, notebook_intake.Intake] = field(default_factory=dict)  # answers, always taken in
    submitted: dict[str, object] = field(default_factory=dict)  # name -> submitted results (or None)
    #: what the grader saw while grading it (time-outs, forged replies, patched modules), in order
    events: list[GradingEvent] = field(default_factory=list)


@dataclass
class RunState:
    """What the run step knows while it goes through one submission."""

    workspace: Workspace
    deadline: float
    child: Child | None = None
    cache: dict[str, Returned] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)  # function -> "timeout"/"died"/"unreadable"
    #: function -> reply bytes the parent still accepts for it (``Limits.reply_bytes`` each)
    reply_budget: dict[str, int] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    events: list[GradingEvent] = field(default_factory=list)
    last_batch: list[Call] = field(default_factory=list)  # the calls the current child answered last
    #: A call that failed in a child which had answered ``batch`` before it, run again alone:
    #: call key -> (that batch, how the call failed the first time)
    retried: dict[str, tuple[list[Call], str]] = field(default_factory=dict)


@dataclass
class Graded:
    """One submission on its way through :data:`STEPS`: each step reads what the earlier ones put
    here and adds its own facts."""

    submission: Submission
    digest: str
    start: float
    prepared: Prepared | None = None  # prepare
    returned: dict[str, Returned] = field(default_factory=dict)  # run: what each call gave back, by key
    outcomes: list[TestOutcome] = field(default_factory=list)  # judge, notebooks
    notes: list[str] = field(default_factory=list)  # prepare, notebooks: for the student
    log: list[str] = field(default_factory=list)  # every step: for the staff
    result: SubmissionResult | None = None  # score


#: The event a call's reply state stands for (``CallReply.state``). "unreadable" is a control
#: stream the harness did not write: only the student's code in the child can garble it.
REPLY_EVENTS = {"timeout": TIMEOUT, "died": DIED, "unreadable": FORGED_CHANNEL, "too much": REPLY_FLOOD}


class PlanSet:
    """Every test's plan, built once (expected values, reference timings, serialized inputs).

    Build it before forking the workers of a batch and every worker shares it: the inputs are the
    same for every student, so they are drawn, solved and turned into ``.npy`` bytes once.
    """

    def __init__(self, tests: tuple[TestSpec, ...] = manifest.TESTS, seed: int = 0,
                 timing: Callable[[Call], float] | None = None):
        self.tests = tests
        self._builders = checks.plan_builders(load_reference(), seed, timing=timing)
        declarations.require_consistent(declarations.missing_plans(tests, self._builders))
        self._plans: dict[str, Plan] = {}
        self._payloads: dict[str, list[tuple[str, str, list[int], bytes]]] = {}

    def plan(self, test_id: str) -> Plan:
        if test_id not in self._plans:
            self._plans[test_id] = self._builders[test_id]()
        return self._plans[test_id]

    def calls(self) -> list[Call]:
        """Every distinct call of every test, in manifest order (tests may share calls by key)."""
        unique: dict[str, Call] = {}
        for spec in self.tests:
            for call in self.plan(spec.id).calls:
                unique.setdefault(call.key, call)
        return list(unique.values())

    def payload(self, call: Call) -> list[tuple[str, str, list[int], bytes]]:
        if call.key not in self._payloads:
            self._payloads[call.key] = [_raw(name, array) for name, array in call.arrays.items()]
        return self._payloads[call.key]

    def warm_up(self) -> PlanSet:
        for call in self.calls():
            self.payload(call)
        return self


class Grader:
    """Grades submissions one after another with one sandbox; reuse it for a batch."""

    def __init__(self, *, slot: int = 0, limits: Limits = Limits(), hide: tuple[Path, ...] = (),
                 seed: int = 0, tests: tuple[TestSpec, ...] = manifest.TESTS, plans: PlanSet | None = None,
                 notebooks: bool = False, notebook_seconds: float = 120.0, isolation_mode: str = ""):
        self.tests = tests
        self.specs = manifest.graded_specs(notebooks, tests)  # what a result of this grader scores
        self.isolation_mode = isolation_mode  # what preflight found, recorded in every result
        self.notebooks = notebooks  # also run the notebooks (slow: a kernel per notebook)
        self.notebook_seconds = notebook_seconds
        self._data: Path | None = None
        self.limits = limits
        self.isolation = Isolation.detect(slot)
        hidden = (KIT_ROOT / "autograder", KIT_ROOT / ".git", *hide)
        # With notebooks on, the student's code is retrained on the real data when the grader has it.
        real_data = results_check.real_data_dir() if notebooks else None
        self.sandbox = Sandbox(self.isolation, limits, hide=hidden, visible=(real_data,) if real_data else ())
        self._scratch = Path(tempfile.mkdtemp())  # a neutral name: the child's cwd must not say "grader"
        os.chmod(self._scratch, 0o711)
        self._count = 0
        self._cleaner = ThreadPoolExecutor(1)  # removes finished workspaces while the next one is graded
        self.plans = plans if plans is not None else PlanSet(tests, seed, timing=self.reference_seconds)

    def close(self) -> None:
        self.sandbox.close()
        self._cleaner.shutdown(wait=True)
        shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def plan(self, test_id: str) -> Plan:
        return self.plans.plan(test_id)

    def warm_up(self) -> None:
        """Build every plan (expected values, reference timings, inputs) before the first submission."""
        self.plans.warm_up()

    def reference_seconds(self, solo: Call) -> float:
        """The reference's fastest time in ``solo`` (a race of one contender), in a sandboxed child.

        Timed exactly the way a student's function is (same limits, same single-threaded BLAS, the
        race's clock, fastest of the rounds), once per batch; the speed test compares against
        it when the student's naive version cannot serve as the yardstick.
        """
        workspace = self._frame()
        try:
            shutil.copytree(SOURCE_ROOT / "cs_utils", workspace.work / "cs_utils",
                            ignore=shutil.ignore_patterns("__pycache__"))
            self.sandbox.prepare_folder(workspace.work)
            state = RunState(workspace, time.monotonic() + self.limits.submission_seconds)
            try:
                state.child, notes = self.sandbox.spawn(workspace.work)
                if state.child is None:
                    raise RuntimeError("; ".join(notes))
                payload = [_raw(name, array) for name, array in solo.arrays.items()]
                reply = state.child.call_batch([(solo.request, 1, payload)], self.limits.call_seconds,
                                               state.deadline)[-1]
                seconds = self._returned(reply, state.log, solo.key).numbers.get("result.0") \
                    if reply.state == "done" else None
                if seconds is None or not np.isfinite(seconds):
                    raise RuntimeError(f"the reference could not be timed in {solo.key}: {reply.state}")
                return seconds
            finally:
                self._stop(state)
        finally:
            shutil.rmtree(workspace.root, ignore_errors=True)

    # -- the pipeline ------------------------------------------------------------------------
    def grade(self, submission: Submission, digest: str | None = None) -> SubmissionResult:
        """Grade one submission; never raises (a failure of ours is a "could not grade" result).

        If a child could not keep a promise while this submission was graded (a control group
        refused, a cover that failed) and the mode preflight found did not already lack it, the
        grade is not trustworthy: the result is "could not grade" (ours), graded again next run.
        The result carries the submission's time and submitters (:func:`.submission.stamp`).
        """
        self.sandbox.broken_promises.clear()
        result = self._grade(submission, digest)
        original_events = result.events  # kept when the result becomes "could not grade" below
        expected = set() if self.isolation_mode in ("", "full") else {
            part.removeprefix("no-") for part in self.isolation_mode.split("+")}
        surprise = self.sandbox.broken_promises - expected
        if surprise and result.status != COULD_NOT_GRADE:
            result = scoring.could_not_grade(
                submission.student, self.specs, INTERNAL_ERROR, content_hash=result.content_hash,
                seconds=result.seconds, staff_log=f"promises broken while grading: {', '.join(sorted(surprise))}\n"
                + result.staff_log)
        log = result.staff_log if result.staff_log.startswith("isolation:") else (
            f"isolation: {self.isolation_mode or 'not probed'}\n{result.staff_log}")
        return stamp(replace(result, isolation=self.isolation_mode, staff_log=log,
                             events=result.events or original_events), submission)

    def _grade(self, submission: Submission, digest: str | None) -> SubmissionResult:
        start = time.monotonic()
        digest = digest if digest is not None else _safe_hash(submission.path)
        item = Graded(submission, digest, start)
        try:
            for _, step in STEPS:
                step(self, item)
            if item.result is None:  # never: the score step always sets it
                raise RuntimeError("the pipeline ended without a result")
            return item.result
        except SubmissionError as error:
            return scoring.could_not_grade(
                submission.student,
                self.specs,
                f"Could not grade: {error}.",
                content_hash=digest,
                seconds=time.monotonic() - start,
            )
        except Exception:
            return scoring.could_not_grade(
                submission.student,
                self.specs,
                INTERNAL_ERROR,
                staff_log=traceback.format_exc(),
                content_hash=digest,
                seconds=time.monotonic() - start,
            )
        finally:
            if item.prepared is not None:
                self._cleaner.submit(shutil.rmtree, item.prepared.workspace.root, ignore_errors=True)

    # -- the steps -------------------------------------------------------------------------
    def prepare_step(self, item: Graded) -> None:
        """Copy the submission and read it (:meth:`prepare`); its intake notes go to the student."""
        item.prepared = self.prepare(item.submission)
        item.notes += item.prepared.notes

    def run_step(self, item: Graded) -> None:
        """Every distinct call, in batches, in confined children: ``item.returned``."""
        prepared = _required(item.prepared)
        state = RunState(prepared.workspace, time.monotonic() + self.limits.submission_seconds)
        try:
            self._run_calls(state, self.plans.calls())
        finally:
            self._stop(state)
            prepared.events.extend(state.events)
        item.returned, item.log = state.cache, item.log + state.log

    def judge_step(self, item: Graded) -> None:
        """Each code test's verdict from what came back, in the parent: ``item.outcomes``."""
        outcomes, log = self.judge(item.returned, _required(item.prepared).files)
        item.outcomes += outcomes
        item.log += log

    def notebooks_step(self, item: Graded) -> None:
        """The notebooks' tests (unless the grader was made with ``notebooks=False``)."""
        if self.notebooks:
            extra, problems = self.run_notebooks(_required(item.prepared), item.log)
            item.outcomes += extra
            item.notes += problems

    def score_step(self, item: Graded) -> None:
        """Points from the manifest, and everything the result carries: ``item.result``."""
        prepared = _required(item.prepared)
        result = scoring.build_result(
            item.submission.student,
            self.specs,
            tuple(item.outcomes),
            content_hash=item.digest,
            seconds=time.monotonic() - item.start,
            notices=tuple(item.notes),
            staff_log="\n".join([*self.sandbox.notes, *item.log]),
        )
        # The written answers reach the gradebook whether or not the notebooks are run.
        answers = {name: dict(intake.answers) for name, intake in prepared.intakes.items()}
        figures = {name: intake.figures for name, intake in prepared.intakes.items() if intake.figures}
        item.result = replace(result, notebook_answers=answers, notebook_figures=figures,
                              events=tuple(prepared.events))

    def _frame(self) -> Workspace:
        self._count += 1
        root = self._scratch / str(self._count)
        root.mkdir(mode=0o711)
        os.chmod(root, 0o711)
        return Workspace(root=root, work=root / "work")

    def prepare(self, submission: Submission) -> Prepared:
        """Copy the submission into a fresh frame and read from that copy, before any of the
        student's code runs, everything the later steps need."""
        workspace = self._frame()
        try:
            notes = materialize(submission, workspace.work)
        except SubmissionError:
            shutil.rmtree(workspace.root, ignore_errors=True)
            raise
        files = SubmissionFiles.read(workspace.work)
        intakes = notebook_intake.take_in_all(workspace.work)  # the answers, even when not run
        submitted = {name: results_check.read_submitted(files, name) for name in intakes} if self.notebooks else {}
        self.sandbox.prepare_folder(workspace.work)
        return Prepared(workspace, tuple(notes), files, intakes, submitted, events=patch_events(files))

    def fresh_copy(self, files: SubmissionFiles, changes: dict[str, bytes | None] | None = None) -> Workspace:
        """A new frame holding ``files`` (with ``changes``), for a phase that runs more student code."""
        workspace = self._frame()
        files.write_into(workspace.work, changes)
        self.sandbox.prepare_folder(workspace.work)
        return workspace

    def judge(self, returned: dict[str, Returned], files: SubmissionFiles) -> tuple[list[TestOutcome], list[str]]:
        """Judge each code test in the parent (:func:`judge_tests`)."""
        return judge_tests(self.tests, self.plans, returned, files)

    # -- the notebooks ------------------------------------------------------------------------
    def run_notebooks(self, prepared: Prepared, log: list[str]) -> tuple[list[TestOutcome], list[str]]:
        """Submitted results, then each rebuilt notebook run on synthetic data, each in a fresh copy.

        Returns the notebook tests' outcomes and the problems to show the student. Never raises
        for a student's notebook.
        """
        intakes = prepared.intakes
        problems = [p for intake in intakes.values() for p in intake.problems]
        outcomes = []
        real = results_check.real_data_dir()
        for name, data in prepared.submitted.items():
            verdict = results_check.check_submitted(name, data)
            detail = verdict.detail
            if verdict.passed:
                if real is None:
                    detail += "; " + results_check.reproduce(self.sandbox, Path(), name, data, None, log)
                else:
                    try:
                        with self._copy_for_phase(prepared.files) as copy:
                            detail += "; " + results_check.reproduce(self.sandbox, copy.work, name, data, real, log)
                    except Exception:
                        log.append(f"reproducing {name} failed:\n{traceback.format_exc()}")
                        detail += "; not verified: the grader could not retrain it"
            outcomes.append(TestOutcome(f"notebook.{name}.submitted_results", verdict.passed, detail))
        if self._data is None:
            self._data = notebook_run.write_synthetic_data(self._scratch / "cifar")
        usable = [name for name, intake in intakes.items() if intake.notebook is not None]
        changes: dict[str, bytes | None] = {}
        for name in usable:
            changes[f"notebooks/{name}.ipynb"] = json.dumps(intakes[name].notebook).encode()
            changes[f"notebooks/results/{name}.json"] = None  # the run must write its own
        try:
            with self._copy_for_phase(prepared.files, changes) as copy:
                data = notebook_run.link_data(self._data, copy.root)
                runs = notebook_run.run_notebooks(self.sandbox, copy.work, data, usable,
                                                  budget=self.notebook_seconds, log=log)
        except Exception:  # the notebooks' tests fail; the code tests stand
            log.append(f"the notebooks could not be run:\n{traceback.format_exc()}")
            runs = {name: notebook_run.NotebookRun(name, False, stopped="the grader could not run this notebook "
                                                                        "(your instructors have the details)")
                    for name in usable}
        for name, intake in intakes.items():
            outcomes += _judge_notebook(name, intake, runs.get(name))
        for name, run in runs.items():
            if run.stopped in NOTEBOOK_EVENTS:
                prepared.events.append(GradingEvent(NOTEBOOK_EVENTS[run.stopped], f"notebook {name}",
                                                    f"the notebook run stopped: {run.stopped}"))
        return outcomes, problems

    @contextmanager
    def _copy_for_phase(self, files: SubmissionFiles, changes: dict[str, bytes | None] | None = None):
        """A fresh copy for one phase, removed (in the background) when the phase is over."""
        workspace = self.fresh_copy(files, changes)
        try:
            yield workspace
        finally:
            self._cleaner.submit(shutil.rmtree, workspace.root, ignore_errors=True)

    # -- the calls -----------------------------------------------------------------------------
    def _run_calls(self, state: RunState, calls: list[Call]) -> None:
        """Run ``calls`` in batches; a timeout or crash breaks its function, the rest go on."""
        pending = list(calls)
        while pending:
            batch = _next_batch(pending, self.plans)
            pending = pending[len(batch) :]
            runnable = []
            for call in batch:
                function = called_function(call)
                if function in state.broken:
                    state.cache[call.key] = Returned(False, state.broken[function])
                else:
                    runnable.append(call)
            if not runnable:
                continue
            if time.monotonic() >= state.deadline:
                for call in [*runnable, *pending]:
                    state.log.append(f"{call.key}: not run, the submission's time budget is used up")
                    state.cache[call.key] = Returned(False, "timeout")
                state.events.append(GradingEvent(TIMEOUT, "", "the submission's time budget was used up"))
                return
            if state.child is None or not state.child.alive:
                state.last_batch = []
                state.child, notes = self.sandbox.spawn(state.workspace.work)
                state.log += notes
                if state.child is None:
                    raise RuntimeError("could not start a sandboxed process: " + "; ".join(notes))
            keys = [called_function(call) for call in runnable]
            for key in keys:
                state.reply_budget.setdefault(key, self.limits.reply_bytes)
            replies = state.child.call_batch(
                [(call.request, call.repeat, self.plans.payload(call)) for call in runnable],
                self.limits.call_seconds,
                state.deadline,
                budgets=(keys, state.reply_budget),
            )
            if replies and replies[-1].state == "stale":
                self._charge_last_batch(state)
                pending = runnable + pending  # nothing of this batch counts: again, in a fresh child
                continue
            earlier, state.last_batch = state.last_batch, runnable
            for position, (call, reply) in enumerate(zip(runnable, replies, strict=False)):  # stop at a failure
                if reply.state == "done":
                    state.cache[call.key] = self._returned(reply, state.log, call.key, state.events,
                                                           called_function(call))
                    self._acquit(state, call)
                    continue
                if earlier and call.key not in state.retried:
                    # Code from an earlier batch may still run in this child (a thread, a timer, a
                    # reply it answered early): the call runs again, alone in a fresh child, before
                    # its function is blamed.
                    state.retried[call.key] = (earlier, reply.state)
                    state.log.append(f"{call.key}: {reply.state} in a process that had served "
                                     f"{called_function(earlier[0])}; run again in a fresh one")
                    self._stop(state)
                    pending = runnable[position:] + pending
                    break
                if reply.state == "too much":
                    state.log.append(f"{call.key}: the replies for {called_function(call)} passed "
                                     f"{self.limits.reply_bytes >> 20} MiB; the rest was refused")
                state.log.append(f"{call.key}: {reply.state} after {reply.seconds:.2f} s; process killed")
                if reply.state in REPLY_EVENTS:
                    state.events.append(GradingEvent(REPLY_EVENTS[reply.state], called_function(call),
                                                     f"call {call.key}: {reply.state}"))
                self._stop(state)
                state.broken[called_function(call)] = reply.state
                state.cache[call.key] = Returned(False, reply.state, seconds=reply.seconds)
            else:
                pending = runnable[len(replies) :] + pending  # the calls after a failure, in a fresh child

    def _acquit(self, state: RunState, call: Call) -> None:
        """``call`` failed in a child that had served an earlier batch and passed alone: that batch's
        code broke the child. It loses that batch's results (a forged channel), unless the first
        failure was a time-out, which a busy machine can cause too (then only the staff log says so)."""
        if call.key not in state.retried:
            return
        earlier, first = state.retried.pop(call.key)
        function = called_function(earlier[0])
        state.log.append(f"{call.key} passed alone after {first}: the calls of {function} broke the process")
        if first == "timeout":
            return
        _discredit(state, earlier, f"broke the process for {call.key}")

    def _charge_last_batch(self, state: RunState) -> None:
        """The last batch's code left forged frames for the next batch: its function loses that
        batch's results and later calls (a forged channel), and the child is stopped."""
        function = called_function(state.last_batch[0]) if state.last_batch else "the harness"
        state.log.append(f"frames were left behind after the calls of {function}; process killed")
        _discredit(state, state.last_batch, "frames left for the next batch")
        state.last_batch = []
        self._stop(state)

    def _returned(self, reply: CallReply, log: list[str], key: str,
                  events: list[GradingEvent] | None = None, function: str = "") -> Returned:
        """Turn a child's reply into plain numbers and arrays (never unpickled, numeric only)."""
        from autograder.grading.safe_text import exception_label

        status, outputs = reply.header.get("status"), reply.header.get("outputs")
        if not isinstance(status, dict) or not isinstance(outputs, dict):
            log.append(f"{key}: the reply is malformed")
            if events is not None:  # the harness always writes both: something else wrote this reply
                events.append(GradingEvent(FORGED_CHANNEL, function, f"call {key}: a malformed reply"))
            return Returned(False, "unreadable", seconds=reply.seconds)
        if not status.get("ok"):
            error = str(status.get("error", "an exception"))[:80]
            log.append(f"{key}: {error}: {str(status.get('message', ''))[:300]}")
            # The student reads a builtin exception's name at most: the name of a class of their
            # own could carry out what the code read (the hidden inputs). Staff have it above.
            # CallError is the harness's own: the function returned something that is not numeric.
            shown = "unreadable" if error == "CallError" else exception_label(error)
            return Returned(False, shown, seconds=reply.seconds)
        numbers, arrays = {}, {}
        for name, described in list(outputs.items())[:64]:
            if not isinstance(described, dict):
                continue
            if described.get("kind") == "number":
                value = described.get("value")
                if isinstance(value, (int, float)) and not isinstance(value, bool) or value in ("nan", "inf", "-inf"):
                    numbers[name] = float(value)
            elif described.get("kind") == "array":
                array = plain_array(described.get("dtype"), described.get("shape"), reply.blobs.get(name))
                if array is None:
                    log.append(f"{key}: {name} is not a readable array")
                    continue
                arrays[name] = array
        return Returned(True, numbers=numbers, arrays=arrays, seconds=reply.seconds)

    def _stop(self, state: RunState) -> None:
        if state.child is not None:
            output = bytes(state.child.output).decode(errors="replace")
            if output.strip():
                dropped = f" ({state.child.dropped} more bytes dropped)" if state.child.dropped else ""
                state.log.append(f"student output{dropped}:\n{output}")
            self.sandbox.kill(state.child)
            state.child = None


#: The events a notebook run's own ending stands for (``NotebookRun.stopped``).
NOTEBOOK_EVENTS = {"budget": TIMEOUT, "kernel died": DIED}


def _judge_notebook(
    name: str, intake: notebook_intake.Intake, run: notebook_run.NotebookRun | None
) -> list[TestOutcome]:
    """The ``runs`` and ``results`` tests of one notebook, from the parent's view of the run."""
    runs, results = f"notebook.{name}.runs", f"notebook.{name}.results"
    if run is None:
        why = "the notebook could not be read" if intake.found else "the notebook is missing"
        return [TestOutcome(runs, False, why), TestOutcome(results, False, why)]
    if not run.ran:
        return [TestOutcome(runs, False, run.stopped), TestOutcome(results, False, run.stopped)]
    template = notebook_intake.load_template(name)
    failed = []
    for entry in template.entries:
        if entry["kind"] == "code_answer" or entry["kind"] == "locked" and entry["cell_type"] == "code":
            state = run.cells.get(entry["grade_id"], "not run")
            if state != "ok":
                failed.append(f"{entry['grade_id']}: {_cell_failure(state)}")
    # The runner's own reasons; anything else it reported (its exception text) is for staff only.
    reason = run.stopped if run.stopped in ("budget", "kernel died") else "the notebook runner stopped"
    stopped = f" (stopped: {reason})" if run.stopped else ""
    ran = TestOutcome(runs, not failed, ("; ".join(failed[:4]) + stopped) if failed else "", run.seconds)
    problems = results_check.schema_problems(name, run.results) if run.results is not None else ["not written"]
    wrote = TestOutcome(results, not problems, "; ".join(problems) if problems else "")
    return [ran, wrote]



#: The pipeline of :meth:`Grader.grade`, in order: (name, step). Every step has one job and one
#: signature, ``step(grader, item)``; the facts travel on the :class:`Graded` item.
STEPS: tuple[tuple[str, Callable[[Grader, Graded], None]], ...] = (
    ("prepare", Grader.prepare_step),
    ("run", Grader.run_step),
    ("judge", Grader.judge_step),
    ("notebooks", Grader.notebooks_step),
    ("score", Grader.score_step),
)


def _required(prepared: Prepared | None) -> Prepared:
    """The prepared submission a step after ``prepare`` needs."""
    if prepared is None:
        raise RuntimeError("a grading step ran before 'prepare'")
    return prepared

def judge_tests(tests: tuple[TestSpec, ...], plans: PlanSet, returned: dict[str, Returned],
                files: SubmissionFiles) -> tuple[list[TestOutcome], list[str]]:
    """Each test's outcome from what its calls returned (a call that never ran counts as timed
    out), property tests gated (:func:`gate_properties`); and the staff log's lines. Pure: no
    student code runs here."""
    source = SourceView(files.files)
    log: list[str] = []
    verdicts: dict[str, checks.Verdict] = {}
    seconds: dict[str, float | None] = {}
    for spec in tests:
        plan = plans.plan(spec.id)
        got = tuple(returned.get(call.key, Returned(False, "timeout")) for call in plan.calls)
        try:
            verdicts[spec.id] = plan.judge(got, source)
        except Exception:
            log.append(f"judge of {spec.id} failed:\n{traceback.format_exc()}")
            verdicts[spec.id] = checks.Verdict(False, "the grader could not check this result")
        seconds[spec.id] = sum(r.seconds for r in got) or None
    verdicts = gate_properties(tests, verdicts)
    outcomes = [TestOutcome(spec.id, verdicts[spec.id].passed, verdicts[spec.id].detail, seconds[spec.id])
                for spec in tests]
    return outcomes, log


def gate_properties(tests: tuple[TestSpec, ...], verdicts: dict[str, checks.Verdict]) -> dict[str, checks.Verdict]:
    """Property tests count only for a function that computes something close to the right answer.

    A function "attempts" its task when one of its value tests passes or fails with a recognised
    slip (``Verdict.extra["attempt"]``); otherwise its passing property tests are failed with a
    sentence that says why, so a placeholder returning zeros earns nothing.
    """
    attempted = {spec.function for spec in tests if not manifest.is_property(spec)
                 and (verdicts[spec.id].passed or verdicts[spec.id].extra.get("attempt"))}
    gated = dict(verdicts)
    for spec in tests:
        if manifest.is_property(spec) and verdicts[spec.id].passed and spec.function not in attempted:
            gated[spec.id] = checks.Verdict(False, f"this counts once {spec.function} computes something close "
                                                   "to the right values (see its other tests)")
    return gated


def _cell_failure(state: str) -> str:
    """How a failed cell reads for the student: the runner's words, or a builtin exception's name.

    The name of an exception class the student's cell defined is their code's choice (see
    ``safe_text.exception_label``); the staff log has the run's own account.
    """
    from autograder.grading.safe_text import exception_label

    return state if state in ("timeout", "died", "not run", "error") else exception_label(state)


def _discredit(state: RunState, batch: list[Call], detail: str) -> None:
    """``batch``'s code tampered with the channel: its results no longer count, its function's later
    calls are not run, and the staff see a forged-channel event."""
    if not batch:
        return
    function = called_function(batch[0])
    state.events.append(GradingEvent(FORGED_CHANNEL, function, detail))
    for call in batch:
        state.cache[call.key] = Returned(False, "unreadable")
    state.broken[function] = "unreadable"


def _next_batch(pending: list[Call], plans: PlanSet) -> list[Call]:
    """The calls to send together: the next calls of one student function (at least one call),
    within MAX_BATCH_BYTES of inputs.

    Code running in a call can write well-formed replies for the calls after it in its batch (it
    shares the process with the harness), so a batch never holds another function's calls: a
    forgery costs only the function that made it. A race runs two functions and is a batch alone.
    """
    batch: list[Call] = []
    size = 0
    function = called_function(pending[0])
    for call in pending:
        size += sum(len(item[-1]) for item in plans.payload(call))
        if batch and (size > MAX_BATCH_BYTES or called_function(call) != function):
            break
        batch.append(call)
    return batch


def _raw(name: str, array: np.ndarray) -> tuple[str, str, list[int], bytes]:
    array = np.ascontiguousarray(array)
    return name, array.dtype.str, list(array.shape), array.tobytes()


#: The dtype strings a child may describe: byte order, numeric kind, item size (no objects, no
#: strings, no structured types).
PLAIN_DTYPE = re.compile(r"^[<>|=][biuf](1|2|4|8)$")


def plain_array(dtype, shape, data) -> np.ndarray | None:
    """A read-only numeric array from a child's (dtype string, shape, bytes), or None if they do not fit."""
    if not isinstance(dtype, str) or not PLAIN_DTYPE.match(dtype) or not isinstance(data, bytes):
        return None
    if (
        not isinstance(shape, list)
        or len(shape) > 32
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
    ):
        return None
    kind = np.dtype(dtype)
    if kind.kind not in "biuf" or len(data) > MAX_ARRAY_BYTES or math.prod(shape) * kind.itemsize != len(data):
        return None
    return np.frombuffer(data, dtype=kind).reshape(shape)


def called_function(call: Call) -> str:
    """The student function a call runs: a timeout or crash marks it broken for later calls."""
    request = call.request
    return str(request.get("name") or request.get("method") or request.get("kind"))


def _safe_hash(path: Path) -> str:
    try:
        return content_hash(path)
    except OSError:
        return ""

"""Grade one submission or a whole folder of them, in parallel and resumably.

``grade_all`` hashes every submission (plus a fingerprint of the grader itself), skips those
whose stored result was graded from the same hash, grades the rest (and every stored "could not
grade") in worker processes (each with its own sandbox, zygote and grading uid) and writes, per
student, ``results.json`` (Gradescope), ``feedback.md`` and ``grading.json`` (the full result,
staff log included), then ``grades.csv`` for everyone. Every submission ends with a result, even
when a worker dies. Two entries of the batch that would share a student name stop the run
before anything is graded (:class:`~.submission.NameCollision`).

Ctrl-C stops starting submissions at once: at most one submission per worker is ever handed out,
so nothing queued starts after it. The ones being graded get :data:`INTERRUPT_GRACE_SECONDS` to
finish (a second Ctrl-C ends the wait); the rest are abandoned (their workers stop their sandboxed
children and exit), ``grades.csv`` is written for every finished submission, and the summary says
the run was interrupted. Abandoned submissions have no files, so the next run grades them.
"""
from __future__ import annotations

import csv
import hashlib
import multiprocessing
import multiprocessing.util
import os
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Collection, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from autograder.grading import manifest, preflight, render, rescore, scoring, submission_time
from autograder.grading.results import GRADED, SubmissionResult, TestSpec
from autograder.grading.runner import INTERNAL_ERROR, Grader, PlanSet
from autograder.grading.sandbox import Limits
from autograder.grading.submission import Submission, content_hash, discover, stamp, student_name

#: The per-function columns of grades.csv: the code's, then the notebooks' (empty when not graded).
FUNCTIONS = tuple(dict.fromkeys(spec.function for spec in manifest.graded_specs(notebooks=True)))


def grader_fingerprint(seed: int = 0, notebooks: bool = True, limits: Limits | None = None) -> str:
    """The grader's part of a resume key: changes whenever a test's outcome could
    (:func:`.rescore.outcome_fingerprint`, and limits other than the defaults), not when only
    points, names or hints change."""
    fingerprint = rescore.outcome_fingerprint(seed, notebooks)
    changed = (limits or Limits()).differences()
    return f"{fingerprint}+{hashlib.sha256(changed.encode()).hexdigest()[:8]}" if changed else fingerprint


def submission_digest(path: Path, fingerprint: str) -> str:
    """The resume key of a submission for this grader, or ``""`` when it cannot be read: such a
    submission is graded on every run."""
    try:
        return f"{content_hash(path)}:{fingerprint}"
    except OSError:
        return ""


def write_outputs(out: Path, result: SubmissionResult) -> Path:
    """Write one student's files atomically; return their folder."""
    folder = out / result.student
    render.write_results_json(folder / "results.json", result)
    _atomic_write(folder / "feedback.md", render.feedback_markdown(result))
    _atomic_write(folder / "grading.json", result.to_json())  # last: marks the student as done
    return folder


def write_grades_csv(out: Path, results: list[SubmissionResult], gradebook: Path | None = None) -> Path:
    """Write ``out/grades.csv``: a row per student (per member of a Gradescope group), with the
    written answers' points given so far in the nbgrader course ``gradebook`` when there is one."""
    path = out / "grades.csv"
    written = {}
    if gradebook is not None:
        from autograder.grading import gradebook as course

        written = course.written_points(gradebook, results)
    with open(path.with_suffix(".csv.tmp"), "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=render.csv_header(FUNCTIONS))
        writer.writeheader()
        for result in sorted(results, key=lambda r: r.student):
            writer.writerows(render.csv_rows(result, FUNCTIONS, written.get(result.student)))
    os.replace(path.with_suffix(".csv.tmp"), path)
    return path


def grade_one(path: Path, *, limits: Limits = Limits(), seed: int = 0, hide: tuple[Path, ...] = (),
              notebooks: bool = True, accept: Collection[str] = ()) -> SubmissionResult:
    """Grade a single folder or zip in this process (its sandbox children do the running).

    The sandbox is probed first (:mod:`.preflight`); ``accept`` names the weaker isolation modes
    the instructor accepts. Raises :class:`~.preflight.IsolationRefused` before grading otherwise.
    """
    path = Path(path)
    mode = preflight.require(preflight.probe(limits, notebooks=notebooks), accept)
    submission = Submission(student_name(path), path, *submission_time.submitted_at(path))
    digest = submission_digest(path, grader_fingerprint(seed, notebooks, limits))
    with Grader(limits=limits, seed=seed, hide=(path.resolve().parent, *hide), notebooks=notebooks,
                isolation_mode=mode) as grader:
        return grader.grade(submission, digest)


@dataclass(frozen=True)
class BatchSummary:
    results: tuple[SubmissionResult, ...]
    graded: int  # graded in this run
    reused: int  # unchanged since the last run
    csv_path: Path
    isolation: str = ""  # the mode this run graded under ("full" or a weaker mode's name)
    interrupted: bool = False  # Ctrl-C: ``results`` holds what was done; the rest waits for the next run
    not_graded: int = 0  # submissions left for the next run (never started or abandoned)
    skipped: tuple[str, ...] = ()  # ``--test``: students with no stored result of their submission to regrade


#: After Ctrl-C, how long the submissions being graded may take to finish before they are abandoned.
INTERRUPT_GRACE_SECONDS = 5.0


class Interrupt:
    """Ctrl-C during a batch: the first stops new work, a second ends the wait for the running work.

    Installed as the SIGINT handler while a batch runs (main thread only); tests call
    :meth:`request` instead of sending a signal.
    """

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.count = 0

    def request(self, *_signal_args) -> None:
        self.count += 1
        self.requested.set()

    @contextmanager
    def installed(self) -> Iterator[Interrupt]:
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = signal.signal(signal.SIGINT, self.request)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)


def stored_result(out: Path, student: str, digest: str | None) -> SubmissionResult | None:
    """The result of an earlier run to reuse, or None to grade again.

    Reused only when it was graded from the same content by the same grader (``digest``) and
    its files are complete. A "could not grade" result is never final: an internal error or a
    full disk last time says nothing about this run, so it is graded again. ``digest=None``
    reads whatever complete result is stored (``--only`` leaves the other students alone).
    """
    path = out / student / "grading.json"
    try:
        result = SubmissionResult.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if digest is None:
        return result if (out / student / "results.json").is_file() else None
    if not digest or result.content_hash != digest or result.status != GRADED:
        return None
    return result if (out / student / "results.json").is_file() else None


def grade_all(batch: Path, out: Path, *, workers: int = 2, limits: Limits = Limits(), seed: int = 0,
              progress: bool = True, notebooks: bool = True, gradebook: Path | None = None,
              accept: Collection[str] = (), interrupt: Interrupt | None = None,
              scheduler: str | None = None, name_by: str = "sid", only: Collection[str] = (),
              tests: Collection[str] = ()) -> BatchSummary:
    """Grade every submission of ``batch`` into ``out`` (see the module docstring).

    The sandbox is probed before anything is graded (:mod:`.preflight`): a promise that does not
    hold here stops the batch with :class:`~.preflight.IsolationRefused`, unless ``accept`` names
    it. The mode is in the summary and in every result. Ctrl-C (or ``interrupt.request()``) ends
    the batch early with ``summary.interrupted`` set. With ``scheduler`` (a Dask scheduler's
    address) the submissions are graded by that cluster's workers instead of local worker
    processes (:mod:`.distributed_batch`; ``workers`` is then the cluster's business).
    A Gradescope export names each student by sid or e-mail (``name_by``, :func:`.submission.discover`).
    ``only`` grades those students again and leaves everyone else's stored result as it is.
    ``tests`` (``--test``) runs only those code tests (with the other tests of their functions)
    again, for every student with a stored result of the same content (or those of ``only``), and
    keeps every other stored outcome (:func:`regrade_pending`, :func:`.rescore.regraded`);
    ``summary.skipped`` names the students it could not regrade so.
    """
    subset = regrade_tests(tests) if tests else None
    if subset is not None and scheduler is not None:
        raise RegradeError("--test runs on this machine's workers only: leave out --scheduler")
    if scheduler is not None:
        from autograder.grading import distributed_batch

        return distributed_batch.grade_all(batch, out, scheduler=scheduler, limits=limits, seed=seed,
                                           progress=progress, notebooks=notebooks, gradebook=gradebook,
                                           accept=accept, interrupt=interrupt, name_by=name_by, only=only)
    batch, out = Path(batch).resolve(), Path(out).resolve()
    if subset is not None:
        notebooks = False  # the tests of some functions; the stored notebook outcomes stand
    mode = preflight.require(preflight.probe(limits, notebooks=notebooks), accept)
    out.mkdir(parents=True, exist_ok=True)
    skipped: list[str] = []
    if subset is not None:
        results, todo, skipped = regrade_pending(batch, out, seed, name_by, only, limits)
        reused = len(results) - len(todo)  # the students to regrade hold their stored result until then
    else:
        results, todo = pending(batch, out, grader_fingerprint(seed, notebooks, limits), name_by, notebooks=notebooks,
                                only=only)
        reused = len(results)
    hide = (batch, out)
    interrupt = interrupt or Interrupt()
    with interrupt.installed():
        plans = _shared_plans(todo, workers, limits, seed, hide, subset) if not interrupt.requested.is_set() else None
        bar = _progress_bar(len(todo), progress)
        for attempt in (1, 2):  # a second pool only if a worker process died
            if not todo or interrupt.requested.is_set():
                break
            todo = _run_pool(todo, out, results, workers, limits, seed, hide, bar, plans,
                             last_attempt=attempt == 2, notebooks=notebooks, mode=mode, interrupt=interrupt,
                             tests=subset)
        bar.close()
    summary = finish(out, results, reused, mode, interrupt.requested.is_set(), len(todo), gradebook)
    return replace(summary, skipped=tuple(skipped))


class UnknownStudent(ValueError):
    """``--only`` names a student the batch does not hold."""


class RegradeError(ValueError):
    """``--test`` names no code test of the manifest, or cannot be honoured in this run."""


def regrade_tests(test_ids: Collection[str]) -> tuple[TestSpec, ...]:
    """The code tests ``grade-all --test`` runs again: each named test and the other tests of its
    function (a property test counts only when its function's values are right, so a function's
    tests are judged together).

    Raises
    ------
    RegradeError
        If an id is not a code test of the manifest (the notebooks can only be graded whole).
    """
    by_id = {spec.id: spec for spec in manifest.TESTS}
    unknown = sorted(set(test_ids) - set(by_id))
    if unknown:
        raise RegradeError(f"--test names {', '.join(unknown)}, which is not a code test id (the parts' PART_TESTS) "
                           "(the notebooks are graded whole: leave out --test)")
    functions = {by_id[test_id].function for test_id in test_ids}
    return tuple(spec for spec in manifest.TESTS if spec.function in functions)


def _discover_checked(batch: Path, name_by: str, only: Collection[str]) -> list[Submission]:
    """The batch's submissions; :class:`UnknownStudent` if ``only`` names someone it does not hold."""
    submissions = discover(batch, name_by)
    unknown = sorted(set(only) - {submission.student for submission in submissions})
    if unknown:
        raise UnknownStudent(f"--only names {', '.join(unknown)}, not in {batch} (students are named as in "
                             "grades.csv)")
    return submissions


def regrade_pending(batch: Path, out: Path, seed: int, name_by: str = "sid", only: Collection[str] = (),
                    limits: Limits | None = None,
                    ) -> tuple[dict[str, SubmissionResult], list[tuple[Submission, str]], list[str]]:
    """For ``--test``: the stored results, the students to regrade and those that cannot be.

    A student is regraded when ``only`` is empty or names them, and ``out`` holds a graded result
    of the same submission content; a student without one is listed (graded in full by a run
    without ``--test``). Everyone else keeps the stored result as it is. Each regraded student's
    resume key is the current grader's, with notebooks as the stored result had them.
    """
    results: dict[str, SubmissionResult] = {}
    todo: list[tuple[Submission, str]] = []
    skipped: list[str] = []
    submissions = _discover_checked(batch, name_by, only)
    fingerprints = {notebooks: grader_fingerprint(seed, notebooks, limits) for notebooks in (False, True)}
    for submission in submissions:
        stored = stored_result(out, submission.student, None)
        if stored is not None:
            results[submission.student] = stored  # a regraded student's is replaced when it comes
        if only and submission.student not in only:
            continue
        content = submission_digest(submission.path, "").split(":")[0]
        if stored is None or stored.status != GRADED or not content or stored.content_hash.split(":")[0] != content:
            skipped.append(submission.student)
            continue
        todo.append((submission, f"{content}:{fingerprints[rescore.graded_notebooks(stored)]}"))
    return results, todo, skipped


def pending(batch: Path, out: Path, fingerprint: str, name_by: str = "sid", *, notebooks: bool = True,
            only: Collection[str] = ()) -> tuple[dict[str, SubmissionResult], list[tuple[Submission, str]]]:
    """The stored results of ``out`` to reuse, by student, and the submissions of ``batch`` to
    grade, each with its resume key (``fingerprint`` names the grader; ``name_by`` as in
    :func:`.submission.discover`).

    A reused result is scored again with today's manifest (:func:`.rescore.rescore`): when only
    points, test names or hints changed, nobody is graded again, and the student's files are
    rewritten with the new ones. With ``only`` (a regrade request), those students are graded
    again whatever is stored, and everyone else keeps the result stored in ``out``, as it is.

    Raises
    ------
    UnknownStudent
        If ``only`` names a student the batch does not hold.
    """
    results: dict[str, SubmissionResult] = {}
    todo: list[tuple[Submission, str]] = []
    specs = manifest.graded_specs(notebooks, manifest.TESTS)
    submissions = _discover_checked(batch, name_by, only)
    for submission in submissions:
        digest = submission_digest(submission.path, fingerprint)
        if only and submission.student not in only:
            kept = stored_result(out, submission.student, None)
            if kept is not None:
                results[submission.student] = kept
            continue
        previous = None if only else stored_result(out, submission.student, digest)
        if previous is None:
            todo.append((submission, digest))
            continue
        current = stamp(rescore.rescore(previous, specs), submission)  # the export may say more now
        if current != previous:
            write_outputs(out, current)
        results[submission.student] = current
    return results, todo


def finish(out: Path, results: dict[str, SubmissionResult], reused: int, mode: str, interrupted: bool, left: int,
           gradebook: Path | None) -> BatchSummary:
    """Write ``grades.csv`` (and the gradebook) for every result of the run; return its summary.

    ``left`` counts the submissions not graded; they matter only when the run was interrupted.
    """
    if gradebook is not None:  # one writer: the parent, after the workers
        from autograder.grading import gradebook as course

        course.record(gradebook, sorted(results.values(), key=lambda r: r.student))
    csv_path = write_grades_csv(out, list(results.values()), gradebook)
    ordered = tuple(sorted(results.values(), key=lambda r: r.student))
    return BatchSummary(ordered, len(results) - reused, reused, csv_path, mode, interrupted,
                        left if interrupted else 0)


def _shared_plans(todo, workers: int, limits: Limits, seed: int, hide: tuple[Path, ...],
                  tests: tuple[TestSpec, ...] | None = None) -> PlanSet | None:
    """Build every plan once, before the workers fork: they inherit it (copy-on-write memory).

    The reference timings are measured here, in a sandbox of their own (the slot after the
    workers'), so every worker judges speed against the same numbers.
    """
    if not todo:
        return None
    with Grader(slot=max(1, workers), limits=limits, seed=seed, hide=hide,
                tests=tests or manifest.TESTS) as calibrator:
        return calibrator.plans.warm_up()


def _run_pool(todo, out, results, workers, limits, seed, hide, bar, plans, *, last_attempt, notebooks=False, mode="",
              interrupt: Interrupt, tests: tuple[TestSpec, ...] | None = None):
    """Grade ``todo`` in a pool; return what is left: the submissions of a worker that died (for a
    fresh pool), or, after an interrupt, everything not finished."""
    context = multiprocessing.get_context("fork")  # the workers inherit ``plans`` without pickling
    slots = context.Queue()
    for slot in range(max(1, workers)):
        slots.put(slot)
    waiting = deque(todo)
    running: dict[Future, tuple[Submission, str]] = {}
    left: list[tuple[Submission, str]] = []

    def collect(future: Future) -> None:
        submission, digest = running.pop(future)
        try:
            result = future.result()  # the worker has written the student's files
        except Exception as error:
            if interrupt.requested.is_set():
                left.append((submission, digest))  # abandoned: graded by the next run
                return
            if isinstance(error, BrokenProcessPool) and not last_attempt:
                left.append((submission, digest))  # a worker died: once more, in a fresh pool
                return
            result = stamp(replace(scoring.could_not_grade(
                submission.student,
                manifest.graded_specs(notebooks),
                INTERNAL_ERROR,
                staff_log=traceback.format_exc(),
                content_hash=digest,
            ), isolation=mode), submission)
            write_outputs(out, result)
        results[submission.student] = result
        bar.update(1)

    pool = ProcessPoolExecutor(
        max(1, workers),
        mp_context=context,
        initializer=_init_worker,
        initargs=(slots, limits, seed, hide, plans, notebooks, mode, tests),
    )
    try:
        while waiting or running:
            # One submission per worker at a time: nothing sits in the pool's queue, so after
            # Ctrl-C no further submission starts.
            while waiting and len(running) < max(1, workers) and not interrupt.requested.is_set():
                submission, digest = waiting.popleft()
                stored = results.get(submission.student) if tests is not None else None
                running[pool.submit(_grade_in_worker, submission, digest, out, stored)] = (submission, digest)
            if interrupt.requested.is_set():
                _wind_down(pool, running, collect, interrupt)
                left += list(waiting)
                break
            done, _ = wait(list(running), timeout=0.2, return_when=FIRST_COMPLETED)
            for future in done:
                collect(future)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return left


def _wind_down(pool: ProcessPoolExecutor, running: dict, collect, interrupt: Interrupt) -> None:
    """After Ctrl-C: let the running submissions finish for a grace period, then abandon the rest."""
    deadline = time.monotonic() + INTERRUPT_GRACE_SECONDS
    while running and time.monotonic() < deadline and interrupt.count < 2:
        done, _ = wait(list(running), timeout=0.2, return_when=FIRST_COMPLETED)
        for future in done:
            collect(future)
    if running:
        for process in list(getattr(pool, "_processes", {}).values()):  # the stdlib has no public handle
            process.terminate()  # SIGTERM: the worker stops its sandboxed children and exits
        _, stuck = wait(list(running), timeout=INTERRUPT_GRACE_SECONDS)  # BrokenProcessPool once a worker is gone
        if stuck:  # a worker that did not stop: killed (its sandboxed children end with their own limits)
            for process in list(getattr(pool, "_processes", {}).values()):
                process.kill()
            wait(list(running))
        for future in list(running):
            collect(future)


_WORKER: dict = {}  # the worker process's own grader; one per process, created by the initializer


class _Abandoned(BaseException):
    """Raised in a worker by SIGTERM (Ctrl-C in the parent, grace period over): ``finally`` blocks
    on the way out stop the sandboxed children; then the worker exits."""


def _abandon(*_signal_args) -> None:
    if _WORKER.get("busy"):
        raise _Abandoned
    _exit_worker()


def _exit_worker() -> None:
    grader = _WORKER.get("grader")
    if grader is not None:
        grader.close()
    os._exit(0)


def _init_worker(
    slots, limits: Limits, seed: int, hide: tuple[Path, ...], plans: PlanSet | None, notebooks: bool = False,
    mode: str = "", tests: tuple[TestSpec, ...] | None = None,
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, _abandon)
    slot = slots.get()
    grader = Grader(slot=slot, limits=limits, seed=seed, hide=hide, plans=plans, notebooks=notebooks,
                    isolation_mode=mode, tests=tests or manifest.TESTS)
    grader.warm_up()
    _WORKER["grader"] = grader
    multiprocessing.util.Finalize(None, grader.close, exitpriority=10)  # runs when the worker exits


def _grade_in_worker(submission: Submission, digest: str, out: Path,
                     stored: SubmissionResult | None = None) -> SubmissionResult:
    """Grade and write the student's files here, in parallel; the main process only collects.
    With a ``stored`` result (``--test``), the run's outcomes replace those of the same tests in it."""
    _WORKER["busy"] = True
    try:
        result = _WORKER["grader"].grade(submission, digest)
        if stored is not None:
            result = rescore.regraded(stored, result, digest)
        write_outputs(out, result)
    except _Abandoned:
        _exit_worker()
    finally:
        _WORKER["busy"] = False
    return result


def _atomic_write(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(total: int, enabled: bool):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="submission", desc="grading", dynamic_ncols=True)

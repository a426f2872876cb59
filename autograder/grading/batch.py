"""Grade one submission or a whole folder of them, in parallel and resumably.

``grade_all`` hashes every submission (plus a fingerprint of the grader itself), skips those
whose stored result was graded from the same hash, grades the rest (and every stored "could not
grade") in worker processes (each with its own sandbox, zygote and grading uid) and writes, per
student, ``results.json`` (Gradescope), ``feedback.md`` and ``grading.json`` (the full result,
staff log included), then ``grades.csv`` for everyone. Every submission ends with a result, even
when a worker dies. Two entries of the batch that would share a student name stop the run
before anything is graded (:class:`~.submission.NameCollision`).
"""
from __future__ import annotations

import csv
import hashlib
import json
import multiprocessing
import multiprocessing.util
import os
import traceback
from collections.abc import Collection
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path

from autograder import SOURCE_ROOT
from autograder.grading import manifest, preflight, render, scoring
from autograder.grading.results import GRADED, SubmissionResult
from autograder.grading.runner import INTERNAL_ERROR, Grader, PlanSet
from autograder.grading.sandbox import Limits
from autograder.grading.submission import Submission, content_hash, discover, student_name

#: The grader's own files (a folder stands for every ``.py`` file in it) that decide the scores.
GRADER_FILES = ("manifest.py", "checks", "harness.py", "runner.py", "static.py", "safe_text.py")
FUNCTIONS = tuple(dict.fromkeys(spec.function for spec in manifest.TESTS))


def grader_fingerprint(seed: int = 0) -> str:
    """Changes whenever the tests, the harness or the reference change: results are then stale."""
    digest = hashlib.sha256(f"seed={seed}".encode())
    here = Path(__file__).parent
    for name in GRADER_FILES:
        paths = sorted((here / name).rglob("*.py")) if (here / name).is_dir() else [here / name]
        for path in paths:
            digest.update(path.read_bytes())
    for path in sorted((SOURCE_ROOT / "cs_utils").rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


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
    folder.mkdir(parents=True, exist_ok=True)
    document = render.gradescope_results(result)
    render.validate_gradescope(document)
    _atomic_write(folder / "results.json", json.dumps(document, indent=2))
    _atomic_write(folder / "feedback.md", render.feedback_markdown(result))
    _atomic_write(folder / "grading.json", result.to_json())  # last: marks the student as done
    return folder


def write_grades_csv(out: Path, results: list[SubmissionResult]) -> Path:
    path = out / "grades.csv"
    with open(path.with_suffix(".csv.tmp"), "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=render.csv_header(FUNCTIONS))
        writer.writeheader()
        for result in sorted(results, key=lambda r: r.student):
            writer.writerow(render.csv_row(result, FUNCTIONS))
    os.replace(path.with_suffix(".csv.tmp"), path)
    return path


def grade_one(path: Path, *, limits: Limits = Limits(), seed: int = 0, hide: tuple[Path, ...] = (),
              notebooks: bool = False, accept: Collection[str] = ()) -> SubmissionResult:
    """Grade a single folder or zip in this process (its sandbox children do the running).

    The sandbox is probed first (:mod:`.preflight`); ``accept`` names the weaker isolation modes
    the instructor accepts. Raises :class:`~.preflight.IsolationRefused` before grading otherwise.
    """
    path = Path(path)
    mode = preflight.require(preflight.probe(limits, notebooks=notebooks), accept)
    submission = Submission(student_name(path), path)
    digest = submission_digest(path, grader_fingerprint(seed) + (":notebooks" if notebooks else ""))
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


def stored_result(out: Path, student: str, digest: str) -> SubmissionResult | None:
    """The result of an earlier run to reuse, or None to grade again.

    Reused only when it was graded from the same content by the same grader (``digest``) and
    its files are complete. A "could not grade" result is never final: an internal error or a
    full disk last time says nothing about this run, so it is graded again.
    """
    path = out / student / "grading.json"
    try:
        result = SubmissionResult.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if not digest or result.content_hash != digest or result.status != GRADED:
        return None
    return result if (out / student / "results.json").is_file() else None


def grade_all(batch: Path, out: Path, *, workers: int = 2, limits: Limits = Limits(), seed: int = 0,
              progress: bool = True, notebooks: bool = False, gradebook: Path | None = None,
              accept: Collection[str] = ()) -> BatchSummary:
    """Grade every submission of ``batch`` into ``out`` (see the module docstring).

    The sandbox is probed before anything is graded (:mod:`.preflight`): a promise that does not
    hold here stops the batch with :class:`~.preflight.IsolationRefused`, unless ``accept`` names
    it. The mode is in the summary and in every result.
    """
    batch, out = Path(batch).resolve(), Path(out).resolve()
    mode = preflight.require(preflight.probe(limits, notebooks=notebooks), accept)
    out.mkdir(parents=True, exist_ok=True)
    fingerprint = grader_fingerprint(seed) + (":notebooks" if notebooks else "")
    results: dict[str, SubmissionResult] = {}
    todo: list[tuple[Submission, str]] = []
    for submission in discover(batch):
        digest = submission_digest(submission.path, fingerprint)
        previous = stored_result(out, submission.student, digest)
        if previous is not None:
            results[submission.student] = previous
        else:
            todo.append((submission, digest))
    reused = len(results)
    hide = (batch, out)
    plans = _shared_plans(todo, workers, limits, seed, hide)
    bar = _progress_bar(len(todo), progress)
    for attempt in (1, 2):  # a second pool only if a worker process died
        if not todo:
            break
        todo = _run_pool(todo, out, results, workers, limits, seed, hide, bar, plans, last_attempt=attempt == 2,
                         notebooks=notebooks, mode=mode)
    bar.close()
    csv_path = write_grades_csv(out, list(results.values()))
    if gradebook is not None:  # one writer: the parent, after the workers
        from autograder.grading import gradebook as course

        course.record(gradebook, sorted(results.values(), key=lambda r: r.student))
    ordered = tuple(sorted(results.values(), key=lambda r: r.student))
    return BatchSummary(ordered, len(results) - reused, reused, csv_path, mode)


def _shared_plans(todo, workers: int, limits: Limits, seed: int, hide: tuple[Path, ...]) -> PlanSet | None:
    """Build every plan once, before the workers fork: they inherit it (copy-on-write memory).

    The reference timings are measured here, in a sandbox of their own (the slot after the
    workers'), so every worker judges speed against the same numbers.
    """
    if not todo:
        return None
    with Grader(slot=max(1, workers), limits=limits, seed=seed, hide=hide) as calibrator:
        return calibrator.plans.warm_up()


def _run_pool(todo, out, results, workers, limits, seed, hide, bar, plans, *, last_attempt, notebooks=False, mode=""):
    context = multiprocessing.get_context("fork")  # the workers inherit ``plans`` without pickling
    slots = context.Queue()
    for slot in range(max(1, workers)):
        slots.put(slot)
    left = []
    with ProcessPoolExecutor(
        max(1, workers),
        mp_context=context,
        initializer=_init_worker,
        initargs=(slots, limits, seed, hide, plans, notebooks, mode),
    ) as pool:
        futures = {
            pool.submit(_grade_in_worker, submission, digest, out): (submission, digest) for submission, digest in todo
        }
        for future in as_completed(futures):
            submission, digest = futures[future]
            try:
                result = future.result()  # the worker has written the student's files
            except Exception as error:
                if isinstance(error, BrokenProcessPool) and not last_attempt:
                    left.append((submission, digest))  # a worker died: once more, in a fresh pool
                    continue
                result = replace(scoring.could_not_grade(
                    submission.student,
                    manifest.TESTS,
                    INTERNAL_ERROR,
                    staff_log=traceback.format_exc(),
                    content_hash=digest,
                ), isolation=mode)
                write_outputs(out, result)
            results[submission.student] = result
            bar.update(1)
    return left


_WORKER: dict = {}  # the worker process's own grader; one per process, created by the initializer


def _init_worker(
    slots, limits: Limits, seed: int, hide: tuple[Path, ...], plans: PlanSet | None, notebooks: bool = False,
    mode: str = "",
) -> None:
    slot = slots.get()
    grader = Grader(slot=slot, limits=limits, seed=seed, hide=hide, plans=plans, notebooks=notebooks,
                    isolation_mode=mode)
    grader.warm_up()
    _WORKER["grader"] = grader
    multiprocessing.util.Finalize(None, grader.close, exitpriority=10)  # runs when the worker exits


def _grade_in_worker(submission: Submission, digest: str, out: Path) -> SubmissionResult:
    """Grade and write the student's files here, in parallel; the main process only collects."""
    result = _WORKER["grader"].grade(submission, digest)
    write_outputs(out, result)
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

"""The class report's numbers, read from a ``grade-all`` output folder.

One pure pass over the stored results (``OUT/<student>/grading.json``, the full
:class:`~autograder.grading.results.SubmissionResult`): the distribution of the automatic points,
each test's share of students with full, partial and no points, the hints that fired most, the
time-outs and crashes, the "could not grade" results, the integrity events, whether the notebooks
were graded and the isolation the batch ran under. A folder whose ``grading.json`` is missing or
unreadable becomes a :class:`Problem`, never an exception.

Shares count only the students who were graded: a "could not grade" result says nothing about
the student's code and is listed on its own.
"""
from __future__ import annotations

import json
import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading import manifest
from autograder.grading.render import notebooks_graded
from autograder.grading.results import COULD_NOT_GRADE, DIED, INTEGRITY_KINDS, TIMEOUT, SubmissionResult, TestSpec

#: The file of the full result in each student's folder (``batch.write_outputs``).
RESULT_FILE = "grading.json"
#: Width of a histogram bin, in points.
BIN_POINTS = 10.0
#: How many of the most frequent hints the report lists.
TOP_HINTS = 15


@dataclass(frozen=True)
class Problem:
    """A student folder the report could not use, and why (the folder name as found on disk)."""

    folder: str
    reason: str


@dataclass(frozen=True)
class TestRate:
    """How the graded students did on one test."""

    __test__ = False  # not a pytest class

    test_id: str
    function: str
    name: str
    points: float
    students: int  # graded students whose result holds this test
    full: int
    partial: int
    zero: int

    def share(self, count: int) -> float:
        return count / self.students if self.students else 0.0

    @property
    def share_full(self) -> float:
        return self.share(self.full)

    @property
    def share_partial(self) -> float:
        return self.share(self.partial)

    @property
    def share_zero(self) -> float:
        return self.share(self.zero)


@dataclass(frozen=True)
class Hint:
    """One hint of the feedback (a failed test's message and the grader's detail) and how many
    graded students got it."""

    test_id: str
    function: str
    message: str  # the test author's failure message
    detail: str  # the grader's fixed sentence (never a hidden value, THREAT_MODEL P19)
    students: int


@dataclass(frozen=True)
class StudentEvent:
    """One event of one student's result (a time-out, a crash, an integrity event)."""

    student: str
    kind: str
    where: str
    detail: str


@dataclass(frozen=True)
class NotGraded:
    """A "could not grade" result: who, and the reason the student was shown."""

    student: str
    reason: str


@dataclass(frozen=True)
class ClassReport:
    """Everything the class report shows; :mod:`.page` and :mod:`.exports` only render it."""

    folder: str
    students: int  # results read, graded or not
    scores: dict[str, float]  # graded students' automatic points
    max_scores: tuple[float, ...]  # the distinct maxima of the graded results (one, normally)
    histogram: tuple[tuple[float, float, int], ...]  # (from, to, students), the last bin closed
    tests: tuple[TestRate, ...]  # hardest first
    hints: tuple[Hint, ...]  # most frequent first
    timeouts: tuple[StudentEvent, ...]
    crashes: tuple[StudentEvent, ...]
    not_graded: tuple[NotGraded, ...]
    integrity: tuple[StudentEvent, ...]
    notebooks: str  # "graded", "not graded" or "graded for N of M students"
    isolation: dict[str, int]  # mode -> results graded under it
    problems: tuple[Problem, ...] = field(default_factory=tuple)
    #: the written answers' points, graded by hand and not part of any number here (None: unknown)
    written_points: float | None = None

    @property
    def graded(self) -> int:
        return len(self.scores)

    @property
    def score_summary(self) -> dict[str, float]:
        """Mean, median, lowest and highest automatic points of the graded students (empty if none)."""
        values = list(self.scores.values())
        if not values:
            return {}
        return {"mean": statistics.fmean(values), "median": statistics.median(values), "min": min(values),
                "max": max(values)}


def read_results(out: Path) -> tuple[list[SubmissionResult], list[Problem]]:
    """Every readable result in ``out`` (one folder per student) and a problem per folder that is not.

    Folders whose name starts with a dot are skipped, as ``grade-all`` skips such entries.
    """
    results, problems = [], []
    for folder in sorted(path for path in Path(out).iterdir() if path.is_dir() and not path.name.startswith(".")):
        path = folder / RESULT_FILE
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            problems.append(Problem(folder.name, f"no {RESULT_FILE}: not graded yet, or the run was interrupted"))
            continue
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(folder.name, f"{RESULT_FILE} could not be read ({type(error).__name__})"))
            continue
        try:
            result = SubmissionResult.from_json(text)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            reason = str(error) if isinstance(error, ValueError) and "schema version" in str(error) else (
                f"{RESULT_FILE} is not a result this grader wrote ({type(error).__name__})")
            problems.append(Problem(folder.name, reason))
            continue
        results.append(result)
    return results, problems


def build_report(out: Path) -> ClassReport:
    """The class report of the ``grade-all`` output folder ``out``."""
    results, problems = read_results(out)
    graded = [r for r in results if r.status != COULD_NOT_GRADE]
    scores = {r.student: r.score for r in graded}
    maxima = tuple(sorted({r.max_score for r in graded}))
    events = [StudentEvent(r.student, e.kind, e.where, e.detail) for r in results for e in r.events]
    with_notebooks = sum(notebooks_graded(r) for r in results)
    notebooks = ("graded" if results and with_notebooks == len(results) else "not graded" if not with_notebooks
                 else f"graded for {with_notebooks} of {len(results)} students")
    return ClassReport(
        folder=str(out),
        students=len(results),
        scores=scores,
        max_scores=maxima,
        histogram=histogram(list(scores.values()), max(maxima, default=0.0)),
        tests=test_rates(graded),
        hints=hints(graded),
        timeouts=tuple(e for e in events if e.kind == TIMEOUT),
        crashes=tuple(e for e in events if e.kind == DIED),
        not_graded=tuple(NotGraded(r.student, r.notices[0] if r.notices else "") for r in results
                         if r.status == COULD_NOT_GRADE),
        integrity=tuple(e for e in events if e.kind in INTEGRITY_KINDS),
        notebooks=notebooks,
        isolation=dict(Counter(r.isolation or "not recorded" for r in results)),
        problems=tuple(problems),
        written_points=_written_points(),
    )


def _written_points() -> float | None:
    """What the hand-graded written answers are worth, from the release's ``graded_cells.json``."""
    try:
        return manifest.written_answer_points()
    except (OSError, ValueError, KeyError, TypeError):
        return None


def histogram(scores: list[float], top: float, width: float = BIN_POINTS) -> tuple[tuple[float, float, int], ...]:
    """Students per bin of ``width`` points from 0 to ``top``; the last bin holds ``top`` itself.

    >>> histogram([0, 10, 95, 100], 100, 50)
    ((0.0, 50.0, 2), (50.0, 100.0, 2))
    """
    width, top = float(width), float(top)
    bins = max(1, math.ceil(top / width)) if top > 0 else 1
    counts = [0] * bins
    for score in scores:
        counts[min(bins - 1, max(0, int(score // width)))] += 1
    return tuple((i * width, min((i + 1) * width, top) if top > 0 else width, n) for i, n in enumerate(counts))


def test_rates(graded: list[SubmissionResult]) -> tuple[TestRate, ...]:
    """Each test's full, partial and zero counts, hardest first (fewest full marks, then the most
    points, then the manifest's order); tests worth no points (informational) come last."""
    order: dict[str, int] = {}
    specs: dict[str, TestSpec] = {}
    counts: dict[str, tuple[int, int, int]] = {}
    for result in graded:
        for item in result.tests:
            spec = item.spec
            order.setdefault(spec.id, len(order))
            specs.setdefault(spec.id, spec)
            full, partial, zero = counts.get(spec.id, (0, 0, 0))
            if spec.points > 0 and item.score >= spec.points or spec.points == 0 and item.outcome.passed:
                full += 1
            elif item.score > 0:
                partial += 1
            else:
                zero += 1
            counts[spec.id] = (full, partial, zero)
    rates = [TestRate(test_id, specs[test_id].function, specs[test_id].name, float(specs[test_id].points),
                      sum(counts[test_id]), *counts[test_id]) for test_id in order]
    return tuple(sorted(rates, key=lambda r: (r.points == 0, r.share_full, -r.points, order[r.test_id])))


def hints(graded: list[SubmissionResult], top: int = TOP_HINTS) -> tuple[Hint, ...]:
    """The ``top`` hints the most graded students got, most frequent first.

    A hint is what the feedback shows for a failed test: the author's message and the grader's
    detail; two students get the same hint when both are the same.
    """
    counter: Counter[tuple[str, str, str, str]] = Counter()
    order: dict[tuple[str, str, str, str], int] = {}
    for result in graded:
        seen = set()
        for item in result.tests:
            if item.outcome.passed:
                continue
            key = (item.spec.id, item.spec.function, item.spec.failure_message, item.outcome.detail)
            if key not in seen:
                seen.add(key)
                counter[key] += 1
                order.setdefault(key, len(order))
    ranked = sorted(counter, key=lambda key: (-counter[key], order[key]))[:top]
    return tuple(Hint(*key, students=counter[key]) for key in ranked)


def to_json(report: ClassReport) -> dict:
    """The report's numbers as plain JSON data (``report.json``)."""
    return {
        "folder": report.folder,
        "students": report.students,
        "graded": report.graded,
        "could_not_grade": [{"student": n.student, "reason": n.reason} for n in report.not_graded],
        "scores": report.scores,
        "score_summary": report.score_summary,
        "max_score": list(report.max_scores),
        "manual_points_included": False,
        "written_answer_points": report.written_points,
        "histogram": [{"from": low, "to": high, "students": n} for low, high, n in report.histogram],
        "tests": [{"test_id": t.test_id, "function": t.function, "name": t.name, "points": t.points,
                   "students": t.students, "full": t.full, "partial": t.partial, "zero": t.zero,
                   "share_full": t.share_full, "share_partial": t.share_partial, "share_zero": t.share_zero}
                  for t in report.tests],
        "hints": [{"test_id": h.test_id, "function": h.function, "message": h.message, "detail": h.detail,
                   "students": h.students} for h in report.hints],
        "timeouts": [_event(e) for e in report.timeouts],
        "crashes": [_event(e) for e in report.crashes],
        "integrity": [_event(e) for e in report.integrity],
        "notebooks": report.notebooks,
        "isolation": report.isolation,
        "problems": [{"folder": p.folder, "reason": p.reason} for p in report.problems],
    }


def _event(event: StudentEvent) -> dict:
    return {"student": event.student, "kind": event.kind, "where": event.where, "detail": event.detail}


def dumps(report: ClassReport) -> str:
    return json.dumps(to_json(report), indent=2, sort_keys=True)

"""The grader's data: what a test is worth, what happened, what a submission scored.

Three separate frozen types, serialized as JSON with :data:`SCHEMA_VERSION`:

* :class:`TestSpec` (from the manifest): id, student function, points, display name, the
  author's failure message, visibility;
* :class:`TestOutcome` (from the parent's checks): passed or not, a student-safe detail, time;
* :class:`SubmissionResult`: the scored tests of one submission plus staff-only notes.

Scoring and rendering live in :mod:`.scoring` and :mod:`.render`.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

SCHEMA_VERSION = 2
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
#: ``SubmissionResult.status`` values.
GRADED, COULD_NOT_GRADE = "graded", "could_not_grade"


@dataclass(frozen=True)
class TestSpec:
    """One hidden test, as the instructor declared it."""

    __test__ = False  # not a pytest class

    id: str
    function: str  # the student function under test, e.g. "svm_loss_naive"
    points: float
    name: str
    failure_message: str
    visibility: str = "visible"

    def __post_init__(self) -> None:
        if self.visibility not in VISIBILITIES:
            raise ValueError(f"visibility of {self.id} must be one of {VISIBILITIES}; got {self.visibility!r}")
        if self.points < 0:
            raise ValueError(f"points of {self.id} must be non-negative; got {self.points}")


@dataclass(frozen=True)
class TestOutcome:
    """What the parent concluded about one test of one submission."""

    __test__ = False

    test_id: str
    passed: bool
    detail: str = ""  # written by the grader, safe to show: never inputs or expected values
    seconds: float | None = None


@dataclass(frozen=True)
class ScoredTest:
    """A spec joined with its outcome and the points it earned."""

    spec: TestSpec
    outcome: TestOutcome
    score: float


@dataclass(frozen=True)
class SubmissionResult:
    """Everything the grader knows about one submission."""

    student: str
    status: str  # GRADED or COULD_NOT_GRADE
    tests: tuple[ScoredTest, ...]
    score: float
    max_score: float
    content_hash: str = ""
    seconds: float = 0.0
    notices: tuple[str, ...] = ()  # shown to the student ("could not grade: ...")
    staff_log: str = ""  # instructors only: tracebacks, captured output, isolation notes
    schema_version: int = SCHEMA_VERSION
    #: notebook name -> {grade_id: the student's text} for answer cells, for manual grading
    notebook_answers: dict = field(default_factory=dict)
    #: the isolation the grader ran under (``preflight``): "full" or the weaker mode's name
    isolation: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> SubmissionResult:
        data = json.loads(text)
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"result schema version {data.get('schema_version')!r} is not {SCHEMA_VERSION}")
        tests = tuple(
            ScoredTest(TestSpec(**t["spec"]), TestOutcome(**t["outcome"]), t["score"]) for t in data.pop("tests")
        )
        data["notices"] = tuple(data.get("notices", ()))
        return SubmissionResult(tests=tests, **data)


@dataclass(frozen=True)
class Verdict:
    """A check's conclusion before it is attached to a test id."""

    passed: bool
    detail: str = ""
    extra: dict = field(default_factory=dict)

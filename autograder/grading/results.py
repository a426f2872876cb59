"""The grader's data: what a test is worth, what happened, what a submission scored.

Three separate frozen types, serialized as JSON with :data:`SCHEMA_VERSION`:

* :class:`TestSpec` (from the manifest): id, student function, points, display name, the
  author's failure message, visibility;
* :class:`TestOutcome` (from the parent's checks): passed or not, a student-safe detail, time;
* :class:`SubmissionResult`: the scored tests of one submission plus staff-only notes;
* :class:`GradingEvent`: something the grader saw while grading (a time-out, a forged reply, a
  patched module), for the staff and the class report only;
* :class:`Submitter`: a person a submission belongs to, as Gradescope's export names them.

Scoring and rendering live in :mod:`.scoring` and :mod:`.render`.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

SCHEMA_VERSION = 2
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
#: ``SubmissionResult.status`` values.
GRADED, COULD_NOT_GRADE = "graded", "could_not_grade"
#: ``GradingEvent.kind`` values. A call that ran out of time, or whose process ended (a crash,
#: ``os._exit``, a resource limit):
TIMEOUT, DIED = "timeout", "died"
#: The integrity events: the submission's source assigns to an attribute of a module it did not
#: write (NumPy's comparisons, builtins); its source names a file outside the submission (an
#: absolute or parent path) and calls a file function; a reply on the control channel the harness
#: did not write; more reply bytes than a function may send.
PATCHED_MODULE, OUTSIDE_PATH = "patched_module", "outside_path"
FORGED_CHANNEL, REPLY_FLOOD = "forged_channel", "reply_flood"
INTEGRITY_KINDS = (PATCHED_MODULE, OUTSIDE_PATH, FORGED_CHANNEL, REPLY_FLOOD)
EVENT_KINDS = (TIMEOUT, DIED, *INTEGRITY_KINDS)


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
class GradingEvent:
    """Something the grader saw one submission do, recorded for the staff (never in ``results.json``).

    ``where`` names the student function, notebook or file concerned; ``detail`` is written by the
    grader, except that a patched attribute is named as the source spells it.
    """

    kind: str  # one of EVENT_KINDS
    where: str = ""
    detail: str = ""

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"event kind must be one of {EVENT_KINDS}; got {self.kind!r}")


#: ``SubmissionResult.time_source`` values: where ``submitted_at`` came from. Gradescope's export
#: metadata; the newest member of the zip (its own time zone when the zip recorded one, else the
#: zipping computer's clock, written without an offset); the newest file of the folder.
FROM_GRADESCOPE, FROM_ZIP, FROM_FILES = "gradescope", "zip", "files"


@dataclass(frozen=True)
class Submitter:
    """One person a submission belongs to (a group submission has several). Untrusted text: every
    sink escapes it."""

    name: str = ""
    sid: str = ""
    email: str = ""


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
    #: notebook name -> {template cell id: [PNG as base64]}: the figures the student's notebook
    #: saved, checked and capped (``saved_figures``), for the graders of the written answers
    notebook_figures: dict = field(default_factory=dict)
    #: the isolation the grader ran under (``preflight``): "full" or the weaker mode's name
    isolation: str = ""
    #: time-outs, crashes and integrity events, in the order the grader saw them (staff only)
    events: tuple[GradingEvent, ...] = ()
    #: when the student submitted (ISO 8601), never when it was graded; "" if nothing says
    submitted_at: str = ""
    #: where ``submitted_at`` came from: FROM_GRADESCOPE, FROM_ZIP, FROM_FILES or ""
    time_source: str = ""
    #: who submitted it, from Gradescope's export (empty otherwise: the folder name is the student)
    submitters: tuple[Submitter, ...] = ()

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
        data["events"] = tuple(GradingEvent(**event) for event in data.get("events", ()))
        data["submitters"] = tuple(Submitter(**person) for person in data.get("submitters", ()))
        return SubmissionResult(tests=tests, **data)


@dataclass(frozen=True)
class Verdict:
    """A check's conclusion before it is attached to a test id."""

    passed: bool
    detail: str = ""
    extra: dict = field(default_factory=dict)

"""A grade CSV that Canvas's gradebook imports (Grades → Import).

Canvas's own gradebook export has the layout its import reads back: the columns ``Student``,
``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``, then one column per assignment (named
``Assignment 1`` or, to update an existing assignment, ``Assignment 1 (12345)`` with its Canvas
id), and a second row ``    Points Possible`` that gives each assignment's maximum. Canvas finds a
student by any of the three ids.

With a roster (the CSV Canvas exports from the course's gradebook) every enrolled student gets
their row with Canvas's own ids, and each graded student is matched to it by their student name,
sid, e-mail address or the e-mail's user part against ``ID``, ``SIS User ID`` and ``SIS Login ID``
(case folded). Without a roster the rows carry what the grader knows: the sid (or the student
name) as ``SIS User ID`` and the e-mail as ``SIS Login ID``. A graded student no roster row
matches, a result the grader could not grade, and a student whose written answers still wait for
a grader are never left out silently: :attr:`CanvasExport.notes` lists each one.

Every text cell goes through :func:`~autograder.grading.safe_text.spreadsheet_cell`.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from autograder.grading.render import submitter_key
from autograder.grading.results import GRADED, SubmissionResult
from autograder.grading.safe_text import printable, spreadsheet_cell

#: Canvas's identity columns, in its order.
IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
#: The first cell of the row Canvas writes (and reads) under the header: each column's maximum.
POINTS_POSSIBLE = "    Points Possible"


class RosterError(ValueError):
    """The roster cannot be used; the message says why."""


@dataclass(frozen=True)
class Person:
    """A student as Canvas names them (a roster row, or what the grader knows)."""

    student: str  # the display name
    canvas_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""

    def keys(self) -> set[str]:
        return {key.strip().casefold() for key in (self.canvas_id, self.sis_user_id, self.sis_login_id)} - {""}


@dataclass(frozen=True)
class Graded:
    """One graded person: a result, or one member of a Gradescope group's result."""

    key: str  # the student name in the grader's output
    name: str
    sid: str
    email: str
    result: SubmissionResult

    def keys(self) -> set[str]:
        user = self.email.split("@", 1)[0] if "@" in self.email else ""
        return {key.strip().casefold() for key in (self.key, self.sid, self.email, user)} - {""}


@dataclass(frozen=True)
class CanvasExport:
    """The rows to write (a person and their points, None when there are none to give), the
    assignment's maximum, and a sentence per student who needs a look."""

    rows: tuple[tuple[Person, float | None], ...]
    points_possible: float
    notes: tuple[str, ...]


def graded_people(results: list[SubmissionResult]) -> list[Graded]:
    """A :class:`Graded` per result, or per member of a group submission."""
    people = []
    for result in sorted(results, key=lambda r: r.student):
        if not result.submitters:
            people.append(Graded(result.student, "", "", "", result))
        for person in result.submitters:
            people.append(Graded(submitter_key(result, person), person.name, person.sid, person.email, result))
    return people


def read_roster(path: Path) -> list[Person]:
    """The students of a Canvas gradebook export (or any CSV with ``Student`` and at least one of
    ``ID``, ``SIS User ID``, ``SIS Login ID``); the ``Points Possible`` row is skipped.

    Raises
    ------
    RosterError
        If the file has none of the id columns.
    """
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or ())
        if "Student" not in columns or not columns & set(IDENTITY[1:4]):
            raise RosterError(f"{path} needs a Student column and one of ID, SIS User ID, SIS Login ID "
                              f"(export the course's gradebook from Canvas); it has {sorted(columns)}")
        people = []
        for row in reader:
            name = (row.get("Student") or "").strip()
            if name == POINTS_POSSIBLE.strip():
                continue
            person = Person(name, *((row.get(column) or "").strip() for column in IDENTITY[1:]))
            if person.keys():
                people.append(person)
    return people


def build(results: list[SubmissionResult], roster: list[Person] | None = None,
          written: dict[str, tuple[float, int]] | None = None, written_max: float = 0.0) -> CanvasExport:
    """The Canvas rows for ``results`` (see the module docstring).

    ``written`` maps a student name to the written answers' (points given so far, answers still to
    grade), from the nbgrader gradebook; with it each row adds those points and the maximum adds
    ``written_max``.
    """
    notes: list[str] = []
    people = graded_people(results)
    top = max((r.max_score for r in results), default=0.0) + (written_max if written is not None else 0.0)
    points = {id(person): _points(person, written, notes) for person in people}
    if roster is None:
        rows = [(Person(person.name or person.key, "", person.sid or person.key, person.email), points[id(person)])
                for person in people]
        return CanvasExport(tuple(rows), top, tuple(notes))
    chosen: dict[int, Graded] = {}  # roster index -> the graded person matched to it
    for person in people:
        matches = [index for index, entry in enumerate(roster) if entry.keys() & person.keys()]
        label = _label(person)
        if not matches:
            notes.append(f"{label}: not in the roster, not exported (points {_shown(points[id(person)])})")
        elif len(matches) > 1:
            notes.append(f"{label}: matches {len(matches)} roster rows "
                         f"({', '.join(printable(roster[i].student) for i in matches)}), not exported")
        elif matches[0] in chosen:
            notes.append(f"{label}: the roster row of {printable(roster[matches[0]].student)} is already "
                         f"{_label(chosen[matches[0]])}'s, not exported")
        else:
            chosen[matches[0]] = person
    rows = []
    for index, entry in enumerate(roster):
        person_at = chosen.get(index)
        if person_at is None:
            notes.append(f"{printable(entry.student)} ({entry.sis_user_id or entry.sis_login_id or entry.canvas_id}): "
                         "in the roster, no graded submission; left empty")
        rows.append((entry, points[id(person_at)] if person_at is not None else None))
    return CanvasExport(tuple(rows), top, tuple(notes))


def write_csv(export: CanvasExport, path: Path, assignment: str) -> Path:
    """Write ``export`` as a Canvas gradebook CSV with one assignment column named ``assignment``."""
    path = Path(path)
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*IDENTITY, spreadsheet_cell(assignment)])
        writer.writerow([POINTS_POSSIBLE, "", "", "", "", spreadsheet_cell(export.points_possible)])
        for person, points in export.rows:
            cells = (person.student, person.canvas_id, person.sis_user_id, person.sis_login_id, person.section)
            writer.writerow([*(spreadsheet_cell(cell) for cell in cells),
                             "" if points is None else spreadsheet_cell(points)])
    temporary.replace(path)
    return path


def _points(person: Graded, written: dict[str, tuple[float, int]] | None, notes: list[str]) -> float | None:
    result = person.result
    if result.status != GRADED:
        notes.append(f"{_label(person)}: could not be graded ({result.status}); left empty, see "
                     f"{result.student}/feedback.md and grade it again")
        return None
    if written is None:
        return result.score
    given, waiting = written.get(result.student, (0.0, 0))
    if waiting or result.student not in written:
        notes.append(f"{_label(person)}: {waiting or 'the'} written answers not graded yet in the gradebook; "
                     f"exported with the points given so far")
    return result.score + given


def _label(person: Graded) -> str:
    name = f" ({printable(person.name)})" if person.name else ""
    return f"{printable(person.key)}{name}"


def _shown(points: float | None) -> str:
    return "none" if points is None else f"{points:g}"

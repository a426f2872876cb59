"""What one run of the public tests reports, and the exception a failing test raises."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outcome:
    """One public test: which function, what it checks, and a hint when it failed."""

    function: str
    name: str
    passed: bool
    hint: str = ""


@dataclass
class Report:
    """Every outcome of one run, in order; ``notes`` says how isolated the run was."""

    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if not outcome.passed]

    @property
    def ok(self) -> bool:
        return not self.failed

    def text(self, *, verbose: bool = False) -> str:
        lines, current, previous = [], None, ""
        for outcome in self.outcomes:
            if outcome.function != current:
                current, previous = outcome.function, ""
                lines.append(current)
            lines.append(f"  {'PASS' if outcome.passed else 'FAIL'}  {outcome.name}")
            if outcome.hint:
                lines.append(f"        hint: {'the same' if outcome.hint == previous else outcome.hint}")
                previous = outcome.hint
        total, passed = len(self.outcomes), len(self.outcomes) - len(self.failed)
        lines.append("")
        lines.append(f"{passed} of {total} public tests passed."
                     + ("" if self.failed else " The grader also runs hidden tests on other inputs."))
        if verbose:
            lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<check report: {len(self.outcomes) - len(self.failed)} of {len(self.outcomes)} passed>"


class Failed(Exception):
    """Raised inside a test: the message is the hint the student reads."""

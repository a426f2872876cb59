"""The judge-mutation tool's own helpers: which mutants are skipped, and where a survivor sits."""
from __future__ import annotations

import sys

from autograder import KIT_ROOT

sys.path.insert(0, str(KIT_ROOT / "tools"))
from judge_mutation import _enclosing_functions, annotation_spans  # noqa: E402

POSTPONED = '''from __future__ import annotations
LIMIT: int | None = 3


def judge(got: float | None, *, scale: float = 2 | 1) -> str | None:
    return None if got is None else str(got * scale)


class Plan:
    seconds: float | None = None

    def verdict(self, extra=1 | 2):
        return extra
'''


def test_only_the_annotations_of_a_postponed_module_are_skipped():
    spans = annotation_spans(POSTPONED)
    inside = lambda line, column: any(start <= (line, column) < end for start, end in spans)  # noqa: E731
    assert inside(2, 11)  # int | None
    assert inside(5, 16) and inside(5, 42) and inside(5, 61)  # the arguments' and the return's
    assert inside(10, 19)  # a class field's annotation
    assert not inside(2, 20)  # the value 3
    assert not inside(5, 49)  # the default 2 | 1: evaluated, so mutated and judged
    assert not inside(12, 30)  # an unannotated default
    assert annotation_spans(POSTPONED.replace("from __future__ import annotations\n", "")) == []


def test_a_survivor_is_placed_in_its_innermost_function():
    spans = _enclosing_functions(POSTPONED)
    names = {name: (first, last) for first, last, name in spans}
    assert names == {"judge": (5, 6), "Plan": (9, 13), "Plan.verdict": (12, 13)}
    assert [name for first, last, name in spans if first <= 13 <= last][-1] == "Plan.verdict"

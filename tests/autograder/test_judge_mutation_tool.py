"""The judge-mutation tool's own helpers: which mutants are skipped, where a survivor sits, and how a
finished run judges its survivors again."""
from __future__ import annotations

import shutil
import sqlite3
import sys

import pytest

from autograder import KIT_ROOT

sys.path.insert(0, str(KIT_ROOT / "tools"))
from judge_mutation import JUDGES, _enclosing_functions, annotation_spans, refresh  # noqa: E402

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


def test_a_finished_shard_judges_its_survivors_again_only_while_the_judges_are_unchanged(tmp_path):
    kit = tmp_path / "kit"
    for relative in JUDGES:
        (kit / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(KIT_ROOT / relative, kit / relative)
    (kit / "tools").mkdir()
    with sqlite3.connect(tmp_path / "session.sqlite") as db:
        db.execute("CREATE TABLE work_results (job_id TEXT, test_outcome TEXT)")
        db.executemany("INSERT INTO work_results VALUES (?, ?)", [("a", "SURVIVED"), ("b", "KILLED"), ("c", None)])
    assert refresh(tmp_path) == 1
    with sqlite3.connect(tmp_path / "session.sqlite") as db:
        assert sorted(row[0] for row in db.execute("SELECT job_id FROM work_results")) == ["b", "c"]
    assert (kit / "tests" / "autograder" / "test_judge_mutation_tool.py").is_file()
    assert (kit / "tools" / "judge_mutation.py").read_bytes() == (KIT_ROOT / "tools" / "judge_mutation.py").read_bytes()
    judge = kit / JUDGES[0]
    judge.write_text(judge.read_text() + "\n# changed\n")
    with pytest.raises(SystemExit, match="the judges changed since this run"):
        refresh(tmp_path)

"""Mutation testing of the grader's judges: every mutant of ``checks/`` must break the fairness suite
or the judges' unit tests.

The fairness suite (``tests/autograder/fairness_variants.py``) says what the judges must do: every
correct variant earns every point, every bug variant loses points on exactly the tests it names,
with the hint it names. A mutant of the judges (``autograder/grading/checks/*.py``, mutated by
cosmic-ray) is *killed* when one of those expectations fails or, when none does, when one of the
judges' unit tests (``UNIT_TESTS``: words, boundaries and branches no variant reaches) fails; it
*survives* when all still hold.

Grading the suite's submissions (91) in the sandbox for every mutant would take about 20 s each, so the
student code runs once: ``record`` grades every variant in the sandbox and keeps what each call
returned, the submitted files and the reference's timings. ``check`` then builds today's plans
(expected values from the reference, in this process) and judges the kept returns, in about 2 s.
A mutant that changes the calls themselves (their keys, requests or inputs) cannot be judged from
the kept returns: ``check`` says "calls changed" and counts it killed (grading would send other
calls); the report names those apart. ``report`` counts a finished run per file and places every
survivor in its function.

    python tools/judge_mutation.py record build/judges/cache.pickle   # once, about a minute (sandbox)
    python tools/judge_mutation.py check build/judges/cache.pickle    # exit 0: every expectation holds
    python tools/judge_mutation.py prepare build/judges               # a kit copy to mutate, cosmic-ray's config
    python tools/judge_mutation.py prepare build/judges/a --cache build/judges/cache.pickle --modules judging
    python tools/judge_mutation.py refresh build/judges/a   # after new tests: its survivors run again

The cache is this tool's own file, written and read by the instructor (pickle: never a student's).
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import json
import pickle
import shutil
import sys
import tempfile
import time
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(KIT_ROOT), str(KIT_ROOT / "tests" / "autograder")]

from fairness_variants import keyed, without_naive_yardstick, write_submission  # type: ignore[import-not-found]  # noqa: E402

from autograder.grading import manifest  # noqa: E402
from autograder.grading.checks import Call  # noqa: E402

#: The judges' files that cosmic-ray mutates (relative to the kit).
JUDGES = tuple(f"autograder/grading/checks/{name}.py" for name in ("judging", "plans", "knn", "losses",
                                                                    "linear_classifier"))
FAMILY = {"k_nearest_neighbor": "knn.", "linear_svm": "svm.", "softmax": "softmax.", "linear_classifier": "linear."}


def _signature(call: Call) -> str:
    """What the child is asked to do in ``call``: its request and the bytes of its inputs."""
    digest = hashlib.sha256(json.dumps([call.key, call.request, call.repeat], sort_keys=True,
                                       default=str).encode())
    for name in sorted(call.arrays):
        array = call.arrays[name]
        digest.update(f"{name}{array.dtype.str}{array.shape}".encode() + array.tobytes())
    return digest.hexdigest()


def record(cache: Path) -> None:
    """Grade the solution and every fairness variant once, in the sandbox; keep what came back."""
    from autograder.grading.runner import Graded, Grader, PlanSet
    from autograder.grading.sandbox import Limits
    from autograder.grading.submission import Submission
    from autograder.release import build_release

    variants = {**keyed(), **without_naive_yardstick()}
    with tempfile.TemporaryDirectory(prefix="judge-mutation-") as scratch:
        solution = Path(scratch) / "solution"
        build_release(solution, solutions=True)
        folders = {"solution": solution}
        for name, variant in variants.items():
            folders[name] = write_submission(variant, solution, Path(scratch) / name)
        timings: dict[str, float] = {}
        limits = Limits(call_seconds=10.0, submission_seconds=90.0)
        with Grader(limits=limits, notebooks=False, hide=(Path(scratch),)) as grader:

            def timed(call: Call) -> float:
                timings[call.key] = grader.reference_seconds(call)
                return timings[call.key]

            grader.plans = PlanSet(manifest.TESTS, 0, timing=timed).warm_up()
            kept = {}
            for name, folder in folders.items():
                item = Graded(Submission(name, folder), "", time.monotonic())
                grader.prepare_step(item)
                grader.run_step(item)
                assert item.prepared is not None
                kept[name] = (item.returned, dict(item.prepared.files.files))
                shutil.rmtree(item.prepared.workspace.root, ignore_errors=True)
            signatures = {call.key: _signature(call) for call in grader.plans.calls()}
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps({"kept": kept, "timings": timings, "signatures": signatures}))
    print(f"kept the returns of {len(kept)} submissions in {cache}")


def check(cache: Path) -> int:
    """Judge the kept returns with this tree's checks; 0 when every expectation holds (survived)."""
    from autograder.grading.runner import PlanSet, judge_tests
    from autograder.grading.snapshot import SubmissionFiles

    data = pickle.loads(cache.read_bytes())  # noqa: S301  (this tool's own file)
    timings = data["timings"]

    def timing(call: Call) -> float:
        if call.key not in timings:
            raise LookupError(call.key)
        return timings[call.key]

    try:
        plans = PlanSet(manifest.TESTS, 0, timing=timing).warm_up()
        changed = [call.key for call in plans.calls() if data["signatures"].get(call.key) != _signature(call)]
    except Exception as error:  # the mutant broke plan building itself
        print(f"killed: the plans could not be built ({type(error).__name__}: {error})")
        return 1
    if changed or set(data["signatures"]) - {call.key for call in plans.calls()}:
        print(f"killed (calls changed): {', '.join(changed[:5]) or 'a call went away'}")
        return 1
    variants, without_naive = keyed(), without_naive_yardstick()
    hints = {spec.id: spec.failure_message for spec in manifest.TESTS}
    function_of = {spec.id: spec.function for spec in manifest.TESTS}
    broken = []
    for name, (returned, files) in data["kept"].items():
        outcomes, _ = judge_tests(manifest.TESTS, plans, returned, SubmissionFiles(files))
        failed = {o.test_id: f"{o.detail} | {hints[o.test_id]}" for o in outcomes if not o.passed}
        if name in without_naive:  # test_grading_fairness's no-yardstick expectations
            variant = without_naive[name]
            own = {test for test in failed if function_of[test] in (variant.function, variant.function.split(".")[-1])}
            if not variant.fails and own:
                broken.append(f"{name}: failed {sorted(own)} without a naive yardstick")
            elif variant.fails and not any(test.endswith(".speed") for test in own):
                broken.append(f"{name}: the loop passed the speed test without a naive yardstick")
            continue
        variant = variants.get(name)
        fails = set(getattr(variant, "fails", ()))
        if set(failed) != fails:
            broken.append(f"{name}: failed {sorted(failed)}, expected {sorted(fails)}")
        elif variant is not None and fails:
            if not all(test.startswith(FAMILY[Path(variant.file).stem]) for test in failed):
                broken.append(f"{name}: a function of another module lost points")
            hint = variant.hint.lower()
            if hint and not any(hint in text.lower() for text in failed.values()):
                broken.append(f"{name}: no failing test says {variant.hint!r}")
    if broken:
        print("killed: " + "; ".join(broken[:3]))
        return 1
    return _unit_tests()


#: The judges' unit tests, run for a mutant the fairness suite did not notice: they pin what a
#: student reads for each kind of slip, and the boundaries, on inputs no fairness variant produces.
UNIT_TESTS = ("tests/autograder/test_grading_checks.py", "tests/autograder/test_judging_units.py",
              "tests/autograder/test_judging_train.py", "tests/autograder/test_judging_plans.py",
              "tests/autograder/test_grading_declarations.py::test_the_kits_own_declarations_agree",
              "tests/test_handout.py::test_committed_handout_and_readme_are_up_to_date")


def _unit_tests() -> int:
    """Run UNIT_TESTS in this process (the mutated judges are the ones imported); 0 when they pass."""
    import pytest

    code = pytest.main(["-q", "-x", "-p", "no:cacheprovider", "--no-header", "-W", "ignore::pytest.PytestWarning",
                        *(str(KIT_ROOT / path) for path in UNIT_TESTS)])
    if code != 0:
        print("killed: a unit test of the judges failed")
        return 1
    print("survived: every expectation of the fairness suite and the judges' unit tests holds")
    return 0


def prepare(out: Path, cache: Path, modules: tuple[str, ...] = JUDGES) -> Path:
    """A copy of the kit in ``out/kit`` whose judges (``modules``, all by default) cosmic-ray
    mutates, and its config. Copies with disjoint ``modules`` can run side by side (cosmic-ray's
    local distributor runs one mutant at a time, in place)."""
    shutil.rmtree(out / "kit", ignore_errors=True)
    shutil.copytree(KIT_ROOT, out / "kit", ignore=shutil.ignore_patterns(".venv*", ".git", "build", "__pycache__",
                                                                           ".pytest_cache"))
    kit = (out / "kit").resolve()
    paths = ", ".join(f'"{(kit / relative).as_posix()}"' for relative in modules)
    config = out / "cosmic-ray.toml"
    config.write_text(
        "[cosmic-ray]\n"
        f"module-path = [{paths}]\n"
        "timeout = 120.0\n"
        "excluded-modules = []\n"
        f'test-command = "{sys.executable} {(kit / "tools" / "judge_mutation.py").as_posix()} check '
        f'{cache.resolve().as_posix()}"\n\n'
        "[cosmic-ray.distributor]\n"
        'name = "local"\n',
        encoding="utf-8",
    )
    return config


def annotation_spans(text: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The (start, end) positions (line from 1, column from 0) of every annotation in ``text``,
    when the module postpones their evaluation (``from __future__ import annotations``); else none."""
    tree = ast.parse(text)
    postponed = any(isinstance(node, ast.ImportFrom) and node.module == "__future__"
                    and any(alias.name == "annotations" for alias in node.names) for node in tree.body)
    if not postponed:
        return []
    annotations = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            annotations.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is not None:
            annotations.append(node.returns)
    return [((node.lineno, node.col_offset), (node.end_lineno or node.lineno, node.end_col_offset or 0))
            for node in annotations]


def skip_annotations(session: Path) -> int:
    """Mark every mutant inside an annotation as skipped (like ``cr-filter-pragma``): with
    ``from __future__ import annotations`` an annotation is a string nobody evaluates, so changing
    it changes no behaviour. Returns how many were marked."""
    from cosmic_ray.work_db import use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    spans: dict[Path, list] = {}
    skipped = 0
    with use_db(str(session)) as db:
        for item in list(db.work_items):
            inside = True
            for mutation in item.mutations:
                path = Path(mutation.module_path)
                if path not in spans:
                    spans[path] = annotation_spans(path.read_text(encoding="utf-8"))
                position = tuple(mutation.start_pos)
                inside &= any(start <= position < end for start, end in spans[path])
            if inside and item.mutations:
                db.set_result(item.job_id, WorkResult(output="inside an annotation, never evaluated",
                                                      worker_outcome=WorkerOutcome.SKIPPED))
                skipped += 1
    return skipped


def _enclosing_functions(text: str) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function and class in ``text``, outermost first."""
    spans = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                spans.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    try:
        visit(ast.parse(text), "")
    except SyntaxError:  # a file that a running session has mutated right now: no names, still counts
        return []
    return spans


#: The columns of ``report``'s table, per judges' file.
COLUMNS = ("mutants", "skipped", "killed", "survived", "pending", "calls changed")


def report(sessions: list[Path]) -> str:
    """Counts per judges' file, then every survivor with its function and its changed line."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    counts: dict[str, dict[str, int]] = {}
    survivors: list[tuple[str, int, str]] = []
    functions: dict[Path, list[tuple[int, int, str]]] = {}
    for session in sessions:
        with use_db(str(session), WorkDB.Mode.open) as db:
            done = dict(db.results)
            for item in db.work_items:
                mutation = item.mutations[0]
                path = Path(mutation.module_path)
                row = counts.setdefault(path.name, dict.fromkeys(COLUMNS, 0))
                row["mutants"] += 1
                result = done.get(item.job_id)
                if result is None:
                    row["pending"] += 1
                elif result.worker_outcome == WorkerOutcome.SKIPPED:
                    row["skipped"] += 1
                elif result.test_outcome == TestOutcome.SURVIVED:
                    row["survived"] += 1
                    if path not in functions:
                        functions[path] = _enclosing_functions(path.read_text(encoding="utf-8"))
                    line = mutation.start_pos[0]
                    inside = [name for first, last, name in functions[path] if first <= line <= last]
                    changed = [text[1:].strip() for text in (result.diff or "").splitlines()
                               if text.startswith("+") and not text.startswith("+++")]
                    survivors.append((path.name, line, f"{inside[-1] if inside else '(module)'} "
                                      f"[{mutation.operator_name.split('/')[-1]}] {' | '.join(changed)[:160]}"))
                else:
                    row["killed"] += 1
                    row["calls changed"] += "calls changed" in (result.output or "")
    totals = {column: sum(row[column] for row in counts.values()) for column in COLUMNS}
    lines = [f"{'file':<24}" + "".join(f"{column:>15}" for column in COLUMNS)]
    lines += [f"{name:<24}" + "".join(f"{value:>15}" for value in row.values())
              for name, row in [*sorted(counts.items()), ("all", totals)]]
    listed = [f"{name}:{line} {text}" for name, line, text in sorted(survivors)]
    return "\n".join([*lines, "", f"survivors ({len(survivors)}):", *listed])


def forget_survivors(session: Path) -> int:
    """Drop the survivors' results so that ``cosmic-ray exec`` runs them again (after new tests were
    copied into the kit copy); the killed and skipped keep theirs. Returns how many were dropped."""
    import sqlite3

    with sqlite3.connect(session) as db:
        return db.execute("DELETE FROM work_results WHERE test_outcome = 'SURVIVED'").rowcount


def refresh(shard: Path) -> int:
    """Make a finished shard (``prepare``'s OUT) judge its survivors again with today's tests: its
    kit copy gets this tree's ``tests/`` and this tool, and its survivors become pending again.
    Refused when the judges themselves changed since the run: then every mutant must run again."""
    kit = shard / "kit"
    changed = [relative for relative in JUDGES if (kit / relative).read_bytes() != (KIT_ROOT / relative).read_bytes()]
    if changed:
        raise SystemExit(f"the judges changed since this run ({', '.join(changed)}): run make mutation-judges again")
    shutil.copytree(KIT_ROOT / "tests", kit / "tests", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    shutil.copy2(KIT_ROOT / "tools" / "judge_mutation.py", kit / "tools" / "judge_mutation.py")
    return forget_survivors(shard / "session.sqlite")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("record", "grade the fairness variants once and keep what came back"),
                       ("check", "judge the kept returns with this tree's checks; exit 0 if all expectations hold")):
        command = commands.add_parser(name, help=text)
        command.add_argument("cache", type=Path)
    reporting = commands.add_parser("report", help="counts per file and every survivor, over sessions")
    reporting.add_argument("sessions", type=Path, nargs="+")
    refreshing = commands.add_parser("refresh", help="a finished shard judges its survivors again with today's tests")
    refreshing.add_argument("shard", type=Path)
    skipping = commands.add_parser("skip-annotations", help="mark the mutants inside annotations as skipped")
    skipping.add_argument("session", type=Path)
    prepared = commands.add_parser("prepare", help="a kit copy to mutate and cosmic-ray's config")
    prepared.add_argument("out", type=Path)
    prepared.add_argument("--cache", type=Path, help="the recorded returns (default: OUT/cache.pickle)")
    prepared.add_argument("--modules", nargs="+", choices=[Path(path).stem for path in JUDGES],
                          help="mutate only these judges' files (default: all)")
    arguments = parser.parse_args(argv)
    if arguments.command == "record":
        record(arguments.cache)
        return 0
    if arguments.command == "check":
        return check(arguments.cache)
    if arguments.command == "report":
        print(report(arguments.sessions))
        return 0
    if arguments.command == "refresh":
        print(f"{refresh(arguments.shard)} survivors of {arguments.shard} will run again")
        return 0
    if arguments.command == "skip-annotations":
        print(f"{skip_annotations(arguments.session)} mutants inside annotations skipped")
        return 0
    modules = tuple(path for path in JUDGES if not arguments.modules or Path(path).stem in arguments.modules)
    print(prepare(arguments.out, arguments.cache or arguments.out / "cache.pickle", modules))
    return 0


if __name__ == "__main__":
    sys.exit(main())

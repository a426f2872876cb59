"""``python -m autograder``: the instructor's command line.

A thin layer: each subcommand parses its arguments, calls one library function and maps the
outcome to an exit code from :mod:`autograder.exit_codes`. Humans read stderr; files are the
machine-readable output.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from autograder import KIT_ROOT, exit_codes
from autograder.grading.declarations import DeclarationError
from autograder.release import MarkerError, StaleRelease, build_release, release_differences

DEFAULT_DEMO_OUT = "demo-output"


def _release(args: argparse.Namespace) -> int:
    from autograder import handout

    if args.check:
        from autograder.grading import declarations

        declared = declarations.problems()
        if not declared:
            try:
                declared = declarations.failures_on_the_reference()
            except RuntimeError as error:  # no sandbox on this machine: say that this part was not checked
                print(f"warning: {error}; the hidden tests were not run on the reference", file=sys.stderr)
        if declared:
            print("The hidden tests are declared inconsistently, or fail on the reference:", file=sys.stderr)
            for problem in declared:
                print(f"  {problem}", file=sys.stderr)
            return exit_codes.CHECK_FAILED
        problems = release_differences(KIT_ROOT) + handout.differences(KIT_ROOT)
        if problems:
            print("The committed student release is out of date with autograder/source:", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
            print("Run 'python -m autograder release' and commit the result.", file=sys.stderr)
            return exit_codes.CHECK_FAILED
        print("Student release is up to date with autograder/source.", file=sys.stderr)
        return exit_codes.OK
    if args.student_repo:
        return _student_repo(args)
    if args.colab_path:
        print("--colab-path goes with --student-repo DIR (the kit's own badges follow COLAB_GITHUB_PATH in "
              "README.md)", file=sys.stderr)
        return exit_codes.USAGE
    if args.solutions and args.out is None:
        print("--solutions needs --out DIR: the solution release never overwrites the student one.", file=sys.stderr)
        return exit_codes.USAGE
    destination = Path(args.out) if args.out else KIT_ROOT
    written = build_release(destination, solutions=args.solutions)
    if destination == KIT_ROOT:  # the handout's points table and the Colab badges follow the release
        written += handout.update(KIT_ROOT)
    kind = "solution" if args.solutions else "student"
    print(f"Wrote the {kind} release ({len(written)} files) to {destination}", file=sys.stderr)
    return exit_codes.OK


def _student_repo(args: argparse.Namespace) -> int:
    from autograder import handout, student_repo

    if args.out:
        print("--student-repo DIR is where the student repository goes; leave out --out", file=sys.stderr)
        return exit_codes.USAGE
    colab_path = args.colab_path or handout.colab_path((KIT_ROOT / handout.README).read_text(encoding="utf-8"))
    try:
        repo = student_repo.build_student_repo(Path(args.student_repo), colab_path)
    except student_repo.StudentRepoError as error:
        print(f"error: {error}", file=sys.stderr)
        return exit_codes.BAD_INPUT
    done = f"committed {repo.commit[:12]}" if repo.commit else "nothing changed since the last build, no new commit"
    print(f"Wrote the student repository ({len(repo.files)} files) to {repo.folder}: {done}.", file=sys.stderr)
    if repo.kit_source:
        print(f"Its Colab badges and the notebooks' KIT_SOURCE point at {repo.kit_source} (branch {repo.branch}). "
              f"Publish it there:\n  cd {repo.folder} && git remote add origin {repo.kit_source}.git "
              f"&& git push -u origin {repo.branch}", file=sys.stderr)
    else:
        print(f"warning: the Colab badges point at the placeholder {colab_path} and KIT_SOURCE is empty; pass "
              "--colab-path owner/repo/blob/branch (where you will publish it) or set COLAB_GITHUB_PATH in "
              "README.md", file=sys.stderr)
    print("Publish this repository, never the kit: the kit holds the reference solutions and the hidden tests.",
          file=sys.stderr)
    return exit_codes.OK


def _accepted(text: str | None) -> frozenset[str] | None:
    """The weaker isolation modes named by ``--accept-isolation``; None (and a message) if unknown."""
    from autograder.grading import preflight

    try:
        return preflight.parse_accepted(text)
    except ValueError as error:
        print(f"error: --accept-isolation: {error}", file=sys.stderr)
        return None


def _grade(args: argparse.Namespace) -> int:

    from autograder.grading import batch, preflight, render

    submission = Path(args.submission)
    if not submission.exists():
        print(f"error: {submission} does not exist; give a submission folder or .zip", file=sys.stderr)
        return exit_codes.BAD_INPUT
    accepted, limits = _accepted(args.accept_isolation), _limits(args.limit)
    if accepted is None or limits is None:
        return exit_codes.USAGE
    try:
        result = batch.grade_one(submission, seed=args.seed, notebooks=args.notebooks, accept=accepted,
                                 limits=limits)
    except preflight.IsolationRefused as error:
        print(error, file=sys.stderr)
        return exit_codes.ISOLATION
    out = render.write_results_json(Path(args.out), result)
    if args.feedback:
        Path(args.feedback).write_text(render.feedback_markdown(result), encoding="utf-8")
    print(f"{result.student}: {result.score:g} / {result.max_score:g} ({result.status}); wrote {out}", file=sys.stderr)
    if result.staff_log and args.staff_log:
        print(result.staff_log, file=sys.stderr)
    return exit_codes.OK


def _limits(assignments: list[str] | None):
    """The grader's limits with the command line's ``--limit NAME=VALUE`` applied; None (after
    saying why on stderr) for a bad one."""
    from autograder.grading.sandbox import Limits

    try:
        return Limits().with_overrides(assignments or ())
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return None


def _limit_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--limit", metavar="NAME=VALUE", action="append",
        help="change one of the sandbox's limits (repeat for several), e.g. call_seconds=20 or "
             "submission_seconds=180; the names and defaults are Limits in autograder/grading/sandbox.py",
    )


def _grade_all(args: argparse.Namespace) -> int:
    from autograder.grading import batch, preflight
    from autograder.grading.distributed_batch import ClusterError
    from autograder.grading.gradescope_export import ExportError
    from autograder.grading.results import GRADED
    from autograder.grading.submission import NameCollision

    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"error: {folder} is not a folder of submissions{_unzip_hint(folder)}", file=sys.stderr)
        return exit_codes.BAD_INPUT
    accepted, limits = _accepted(args.accept_isolation), _limits(args.limit)
    if accepted is None or limits is None:
        return exit_codes.USAGE
    try:
        summary = batch.grade_all(folder, Path(args.out), workers=args.workers, seed=args.seed, limits=limits,
                                  progress=not args.quiet, notebooks=args.notebooks,
                                  gradebook=Path(args.gradebook) if args.gradebook else None, accept=accepted,
                                  scheduler=args.scheduler,
                                  name_by=args.name_by, only=tuple(args.only or ()), tests=tuple(args.test or ()))
    except preflight.IsolationRefused as error:
        print(error, file=sys.stderr)
        return exit_codes.ISOLATION
    except ClusterError as error:
        print(f"error: {error}", file=sys.stderr)
        return exit_codes.CLUSTER
    except (NameCollision, batch.UnknownStudent, batch.RegradeError) as error:
        print(f"error: {error}; nothing was graded", file=sys.stderr)
        return exit_codes.BAD_INPUT
    except ExportError as error:
        print(f"error: Gradescope export: {error}; nothing was graded", file=sys.stderr)
        return exit_codes.BAD_INPUT
    if summary.interrupted:
        print(f"interrupted: {summary.graded} graded in this run, {summary.not_graded} left for the next one; "
              f"grades so far in {summary.csv_path}; run the same command again to resume", file=sys.stderr)
        return exit_codes.INTERRUPTED
    print(f"{len(summary.results)} submissions: {summary.graded} graded, {summary.reused} unchanged since the "
          f"last run; grades in {summary.csv_path}; isolation: {summary.isolation}", file=sys.stderr)
    if summary.skipped:
        print(f"--test: not regraded, no stored result of their submission: {', '.join(summary.skipped)} "
              "(grade them in full with a run without --test)", file=sys.stderr)
    not_graded = [result.student for result in summary.results if result.status != GRADED]
    if not_graded:
        shown = ", ".join(not_graded[:10]) + (", ..." if len(not_graded) > 10 else "")
        print(f"{len(not_graded)} could not be graded ({shown}): see their feedback.md and grading.json; the next "
              "run grades them again", file=sys.stderr)
        return exit_codes.NOT_ALL_GRADED
    return exit_codes.OK


def _demo(args: argparse.Namespace) -> int:
    from autograder.grading import demo

    run = demo.run_demo(Path(args.out), workers=args.workers, progress=not args.quiet, notebooks=args.notebooks)
    print(demo.score_table(run.summary))
    print(f"\nEverything is in {run.folder}:", file=sys.stderr)
    print("  releases/     the student release and the solution release", file=sys.stderr)
    print("  submissions/  the four sample submissions (solution, starter, buggy, cheater.zip)", file=sys.stderr)
    print(
        "  results/      per student results.json (Gradescope), feedback.md, grading.json; grades.csv", file=sys.stderr
    )
    return exit_codes.OK


def _report(args: argparse.Namespace) -> int:
    from autograder.report import write_report

    out = Path(args.folder)
    if not out.is_dir():
        print(f"error: {out} is not a folder: give the --out folder of grade-all", file=sys.stderr)
        return exit_codes.BAD_INPUT
    files = write_report(out)
    report = files.report
    print(f"{report.students} results: {report.graded} graded, {len(report.not_graded)} could not be graded, "
          f"{len(report.integrity)} integrity events, {len(report.problems)} folders not read", file=sys.stderr)
    print(f"wrote {files.html}, {files.json.name} and {files.csv.name}", file=sys.stderr)
    return exit_codes.OK


def _gradescope(args: argparse.Namespace) -> int:
    from autograder.grading import gradescope

    try:
        out = gradescope.build_bundle(Path(args.out), accept=args.accept_isolation or "", notebooks=args.notebooks)
    except ValueError as error:
        print(f"error: --accept-isolation: {error}", file=sys.stderr)
        return exit_codes.USAGE
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return exit_codes.BAD_INPUT
    print(
        f"Wrote the Gradescope autograder bundle to {out} (setup.sh, run_autograder, the grader and the "
        f"reference solutions: keep it away from students)",
        file=sys.stderr,
    )
    return exit_codes.OK


def _nbgrader_course(args: argparse.Namespace) -> int:
    import tempfile

    from autograder import SOURCE_ROOT
    from autograder.grading import nbgrader_course

    release = Path(args.release)
    if not (release / "cs_utils").is_dir():
        print(f"error: {release} has no cs_utils/ folder; give the student release (the kit root)", file=sys.stderr)
        return exit_codes.BAD_INPUT
    scripts = sorted((SOURCE_ROOT / "notebooks").glob("*.py"))
    with tempfile.TemporaryDirectory() as scratch:
        if args.released_notebooks or not scripts:
            notebooks, kind = sorted(release.glob("notebooks/*.ipynb")), "released"
        else:
            notebooks, kind = nbgrader_course.instructor_notebooks(scripts, Path(scratch)), "instructor"
        course = nbgrader_course.write_course(
            Path(args.out), notebooks, release, assignment=args.assignment, cell_timeout=args.timeout
        )
    print(
        f"Wrote an nbgrader course to {course} ({len(notebooks)} {kind} notebooks and cs_utils/ in "
        f"source/{args.assignment}/). Next:\n  cd {course} && nbgrader generate_assignment {args.assignment}\n"
        f"  python -m autograder nbgrader-stage SUBMISSIONS {course} --assignment {args.assignment}",
        file=sys.stderr,
    )
    return exit_codes.OK


def _nbgrader_stage(args: argparse.Namespace) -> int:
    from autograder.grading.gradescope_export import ExportError
    from autograder.grading.nbgrader_stage import stage_all
    from autograder.grading.submission import NameCollision

    folder, course = Path(args.folder), Path(args.course)
    if not folder.is_dir():
        print(f"error: {folder} is not a folder of submissions{_unzip_hint(folder)}", file=sys.stderr)
        return exit_codes.BAD_INPUT
    if not (course / "nbgrader_config.py").is_file():
        print(f"error: {course} has no nbgrader_config.py; write the course first: python -m autograder "
              f"nbgrader-course --out {course}", file=sys.stderr)
        return exit_codes.BAD_INPUT
    try:
        staged = stage_all(folder, course, args.assignment, args.name_by)
    except NameCollision as error:
        print(f"error: {error}; nothing was staged", file=sys.stderr)
        return exit_codes.BAD_INPUT
    except ExportError as error:
        print(f"error: Gradescope export: {error}; nothing was staged", file=sys.stderr)
        return exit_codes.BAD_INPUT
    for item in staged:
        if item.problem:
            print(f"warning: {item.student}: not staged: {item.problem}", file=sys.stderr)
        elif not item.submitted_at:
            print(f"warning: {item.student}: nothing says when it was submitted; no timestamp.txt", file=sys.stderr)
    done = [item for item in staged if item.folder is not None]
    print(f"staged {len(done)} of {len(staged)} submissions into {course / 'submitted'}/<student>/{args.assignment}/. "
          f"Next:\n  cd {course} && nbgrader autograde {args.assignment}\n  python -m autograder grade-all {folder} "
          f"--out graded/ --gradebook {course}   (the kit's code grades; run it after nbgrader autograde)",
          file=sys.stderr)
    return exit_codes.OK if done or not staged else exit_codes.BAD_INPUT


def _similarity(args: argparse.Namespace) -> int:
    from autograder.grading.submission import NameCollision
    from autograder.similarity import run_similarity

    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"error: {folder} is not a folder of submissions", file=sys.stderr)
        return exit_codes.BAD_INPUT
    known = Path(args.known) if args.known else None
    if known is not None and not known.is_dir():
        print(f"error: --known {known} is not a folder (one folder, .zip or .py file per known solution)",
              file=sys.stderr)
        return exit_codes.BAD_INPUT
    if not 0.0 < args.threshold <= 1.0:
        print("error: --threshold is a score between 0 (exclusive) and 1", file=sys.stderr)
        return exit_codes.USAGE
    if args.ignore_common is not None and args.ignore_common < 1:
        print("error: --ignore-common is a number of students, 1 or more", file=sys.stderr)
        return exit_codes.USAGE
    try:
        run = run_similarity(folder, Path(args.out), known, threshold=args.threshold,
                             ignore_common=args.ignore_common, progress=not args.quiet)
    except NameCollision as error:
        print(f"error: {error}; nothing was compared", file=sys.stderr)
        return exit_codes.BAD_INPUT
    print(f"{len(run.documents)} students, {len(run.pairs)} pairs compared; {run.flagged} scored "
          f"{args.threshold:g} or more. Open {run.index} (every pair is in {run.csv}). A high score is a reason "
          f"to look, not proof.", file=sys.stderr)
    return exit_codes.OK


def _export_canvas(args: argparse.Namespace) -> int:
    from autograder.exports import canvas
    from autograder.grading import gradebook, manifest
    from autograder.report.data import read_results

    out = Path(args.folder)
    if not out.is_dir():
        print(f"error: {out} is not a folder: give the --out folder of grade-all", file=sys.stderr)
        return exit_codes.BAD_INPUT
    if args.gradebook and not (Path(args.gradebook) / "gradebook.db").is_file():
        print(f"error: {args.gradebook} has no gradebook.db (grade-all --gradebook writes it)", file=sys.stderr)
        return exit_codes.BAD_INPUT
    results, problems = read_results(out)
    for problem in problems:
        print(f"warning: {problem.folder}: {problem.reason}; not exported", file=sys.stderr)
    try:
        roster = canvas.read_roster(Path(args.roster)) if args.roster else None
    except (OSError, UnicodeDecodeError, canvas.RosterError) as error:
        print(f"error: --roster: {error}", file=sys.stderr)
        return exit_codes.BAD_INPUT
    written = gradebook.written_points(Path(args.gradebook), results) if args.gradebook else None
    export = canvas.build(results, roster, written, manifest.written_answer_points())
    path = canvas.write_csv(export, Path(args.out), args.assignment)
    given = sum(points is not None for _, points in export.rows)
    print(f"wrote {path}: {len(export.rows)} rows, {given} with points (out of {export.points_possible:g})",
          file=sys.stderr)
    if export.notes:
        print(f"{len(export.notes)} students need a look:", file=sys.stderr)
        for note in export.notes:
            print(f"  {note}", file=sys.stderr)
    return exit_codes.OK


def _answers(args: argparse.Namespace) -> int:
    from autograder.exports import answers
    from autograder.grading.gradescope_export import ExportError
    from autograder.grading.submission import NameCollision

    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"error: {folder} is not a folder of submissions{_unzip_hint(folder)}", file=sys.stderr)
        return exit_codes.BAD_INPUT
    try:
        written = answers.write_all(folder, Path(args.out), name_by=args.name_by, pdf=args.pdf)
    except (NameCollision, ExportError) as error:
        print(f"error: {error}; nothing was written", file=sys.stderr)
        return exit_codes.BAD_INPUT
    except answers.PdfUnavailable as error:
        print(f"error: --pdf: {error}", file=sys.stderr)
        return exit_codes.USAGE
    except answers.PdfFailed as error:
        print(f"error: --pdf: {error}; the HTML pages are in {args.out}", file=sys.stderr)
        return exit_codes.INTERNAL_ERROR
    expected = 1 + len(answers.questions())
    for page in written:
        for problem in page.problems:
            print(f"  {page.student}: {problem}", file=sys.stderr)
        if page.pdf_pages > expected:
            print(f"  {page.student}: the PDF has {page.pdf_pages} pages, not {expected}: a long answer moved the "
                  f"later questions down", file=sys.stderr)
    kinds = "HTML and PDF" if args.pdf else "HTML"
    print(f"wrote {len(written)} students' written answers ({kinds}) to {args.out}; index.html lists them",
          file=sys.stderr)
    return exit_codes.OK


def _unzip_hint(path: Path) -> str:
    """For a zip given where a folder of submissions belongs (Gradescope's export downloads as one)."""
    if path.is_file() and path.suffix.lower() == ".zip":
        return f"; unzip it first (unzip {path} -d {path.stem}/) and give that folder"
    return ""


def _name_by_option(command: argparse.ArgumentParser) -> None:
    """``--name-by``: how a Gradescope export's students are named (their output folders, rows)."""
    command.add_argument(
        "--name-by", choices=("sid", "email"), default="sid",
        help="for a Gradescope export (submission_metadata.yml): name each student by their student id "
             "(default) or e-mail address",
    )


def _notebooks_option(command: argparse.ArgumentParser) -> None:
    """``--no-notebooks``: the one opt-out from the default (every command grades the notebooks)."""
    command.add_argument(
        "--notebooks",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the notebooks on synthetic data and score them too (default on, in every command; "
             "--no-notebooks scores the code only and every output says so)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder",
        description="Instructor tools: build the student release, grade submissions.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    release = commands.add_parser(
        "release",
        help="generate the student release (cs_utils/, notebooks/, handout tables) from autograder/source",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Generate the student release from the reference source.",
        epilog=(
            "examples:\n"
            "  python -m autograder release                         # regenerate cs_utils/, notebooks, handout tables\n"
            "  python -m autograder release --check                 # fail if the committed release is stale\n"
            "  python -m autograder release --solutions --out build/solutions\n"
            "  python -m autograder release --student-repo ../a1-student --colab-path uni/a1-student/blob/main\n"
        ),
    )
    mode = release.add_mutually_exclusive_group()
    mode.add_argument(
        "--check", action="store_true", help="compare the committed release with the source; change nothing"
    )
    mode.add_argument("--solutions", action="store_true", help="keep the reference code (needs --out)")
    mode.add_argument(
        "--student-repo", metavar="DIR",
        help="write the public student repository (a git repository, committed, ready to push): the student "
             "release, handout, data script and student requirements; no solution, hidden test or grader",
    )
    release.add_argument("--out", metavar="DIR", help="write the release here instead of the kit root")
    release.add_argument(
        "--colab-path", metavar="OWNER/REPO/blob/BRANCH",
        help="with --student-repo: where the student repository will be published on GitHub, for its Colab "
             "badges and the notebooks' KIT_SOURCE (default: COLAB_GITHUB_PATH in README.md)",
    )
    release.set_defaults(handler=_release)

    grade = commands.add_parser(
        "grade",
        help="grade one submission (folder or .zip) into a Gradescope results.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Grade one submission in the student layout (cs_utils/, notebooks/). Student code runs\n"
            "only in confined child processes. Exit code 0 whenever a result was written, whatever the score."
        ),
        epilog=(
            "examples:\n"
            "  python -m autograder grade submissions/alice --out results/alice.json\n"
            "  python -m autograder grade alice.zip --out results.json --feedback feedback.md\n"
        ),
    )
    grade.add_argument("submission", metavar="SUBMISSION", help="a folder or .zip in the student layout")
    grade.add_argument("--out", required=True, metavar="FILE", help="where to write the Gradescope results.json")
    grade.add_argument("--feedback", metavar="FILE", help="also write Markdown feedback for the student")
    grade.add_argument(
        "--staff-log", action="store_true", help="print the staff log (student output, errors) to stderr"
    )
    grade.add_argument("--seed", type=int, default=0, help="seed of the hidden inputs (default 0)")
    grade.add_argument(
        "--accept-isolation", metavar="MODE",
        help="grade even though these promises do not hold here, e.g. no-uid-drop+no-cgroups (the "
             "grader names the mode when it refuses; see autograder/THREAT_MODEL.md)",
    )
    _notebooks_option(grade)
    _limit_option(grade)
    grade.set_defaults(handler=_grade)

    grade_all = commands.add_parser(
        "grade-all",
        help="grade every subfolder or .zip of a folder, in parallel and resumably",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Grade each subfolder or .zip of FOLDER as one student. Writes OUT/<student>/results.json,\n"
            "OUT/<student>/feedback.md, OUT/<student>/grading.json and OUT/grades.csv. Unchanged submissions\n"
            "(same content hash, same grader) are not graded again, so an interrupted run resumes.\n"
            "A Gradescope export (its submission_metadata.yml) names students by sid or e-mail, keeps\n"
            "their names and submission times, and gives each member of a group a row of grades.csv."
        ),
        epilog=(
            "examples:\n"
            "  python -m autograder grade-all submissions/ --out graded/\n"
            "  python -m autograder grade-all submissions/ --out graded/ --workers 4 --quiet\n"
            "  python -m autograder grade-all gradescope-export/ --out graded/ --name-by email\n"
            "  python -m autograder grade-all submissions/ --out graded/ --scheduler tcp://grader0:8786\n"
        ),
    )
    grade_all.add_argument("folder", metavar="FOLDER", help="one subfolder or .zip per student")
    grade_all.add_argument("--out", required=True, metavar="OUT", help="output folder")
    grade_all.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="parallel workers (default: CPU count)"
    )
    grade_all.add_argument("--seed", type=int, default=0, help="seed of the hidden inputs (default 0)")
    grade_all.add_argument(
        "--accept-isolation", metavar="MODE",
        help="grade even though these promises do not hold here, e.g. no-uid-drop+no-cgroups (the "
             "grader names the mode when it refuses; see autograder/THREAT_MODEL.md)",
    )
    grade_all.add_argument("--quiet", action="store_true", help="no progress bar")
    grade_all.add_argument(
        "--only", metavar="STUDENT", action="append",
        help="grade this student again (repeat for several; a regrade request) and leave every other stored "
             "result in OUT as it is",
    )
    grade_all.add_argument(
        "--test", metavar="TEST_ID", action="append",
        help="run only this code test again (repeat for several; the other tests of its function run with it) "
             "for every student with a stored result, or those of --only, and keep every other stored outcome",
    )
    grade_all.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="grade on the workers of this Dask scheduler (tcp://host:8786) instead of local processes "
             "(--workers is then ignored; see docs/CLUSTER.md)",
    )
    _notebooks_option(grade_all)
    _limit_option(grade_all)
    grade_all.add_argument(
        "--gradebook", metavar="COURSE", help="record the written answers in this nbgrader course for formgrader"
    )
    _name_by_option(grade_all)
    grade_all.set_defaults(handler=_grade_all)

    demo = commands.add_parser(
        "demo",
        help="build the release, grade four sample submissions offline, print the scores",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "The whole instructor pipeline offline: student and solution releases, four sample submissions\n"
            "(solution, untouched starter, a buggy one, a cheating one), graded in parallel."
        ),
        epilog=("examples:\n  python -m autograder demo\n  python -m autograder demo --out /tmp/demo --workers 1\n"),
    )
    demo.add_argument(
        "--out", default=DEFAULT_DEMO_OUT, metavar="DIR", help=f"output folder (default {DEFAULT_DEMO_OUT}/)"
    )
    demo.add_argument("--workers", type=int, default=2, help="parallel workers (default 2)")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    _notebooks_option(demo)
    demo.set_defaults(handler=_demo)

    report = commands.add_parser(
        "report",
        help="the class report of a grade-all output folder: report.html, report.json, report.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Read every OUT/<student>/grading.json that grade-all wrote and write OUT/report.html (one\n"
            "self-contained page: grade histogram, per-test pass rates, frequent hints, time-outs, could-not-grade\n"
            "results, integrity events, notebooks and isolation), OUT/report.json (the same numbers) and\n"
            "OUT/report.csv (a row per test). Automatic points only: hand-graded answers are not included.\n"
            "A student folder that cannot be read is listed in the report."
        ),
        epilog=(
            "examples:\n"
            "  python -m autograder report graded/\n"
            "  python -m autograder report demo-output/results/\n"
        ),
    )
    report.add_argument("folder", metavar="OUT", help="the --out folder of grade-all")
    report.set_defaults(handler=_report)

    gradescope = commands.add_parser(
        "gradescope",
        help="write the Gradescope autograder zip (setup.sh, run_autograder, the grader)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Write a Gradescope autograder bundle. run_autograder grades /autograder/submission (the kit's\n"
            "folder layout, zipped or not, or loose .py and .ipynb files) exactly like grade does, notebooks\n"
            "included, and writes /autograder/results/results.json. The zip holds the\n"
            "reference solutions and the released notebooks."
        ),
        epilog=(
            "examples:\n"
            "  python -m autograder gradescope --out autograder.zip\n"
            "  AUTOGRADER_ROOT=/tmp/fake-autograder /tmp/fake-autograder/source/run_autograder\n"
        ),
    )
    gradescope.add_argument("--out", default="autograder.zip", metavar="ZIP", help="where to write the zip")
    gradescope.add_argument(
        "--accept-isolation", metavar="MODE",
        help="let the bundle grade even though these promises do not hold in Gradescope's container, e.g. "
             "no-cgroups (it refuses otherwise: every result then says the autograder could not run)",
    )
    _notebooks_option(gradescope)
    gradescope.set_defaults(handler=_gradescope)

    course = commands.add_parser(
        "nbgrader-course",
        help="write a plain nbgrader course (robust nbgrader_config.py, source/<assignment>/)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Write an nbgrader course for the released notebooks and cs_utils/: nbgrader_config.py with\n"
            "timeouts, students' .py files never overwritten, hidden tests cleared from feedback and the\n"
            "skip-execution tag neutralized; source/<assignment>/ holds the notebooks and cs_utils/."
        ),
        epilog=(
            "examples:\n"
            "  python -m autograder nbgrader-course --out course/\n"
            "  python -m autograder nbgrader-course --out course/ --assignment ps1 --timeout 120\n"
        ),
    )
    course.add_argument("--out", required=True, metavar="DIR", help="the course folder to write")
    course.add_argument("--assignment", default="ps1", help="assignment name (default ps1)")
    course.add_argument(
        "--release",
        default=str(KIT_ROOT),
        metavar="DIR",
        help="the student release: notebooks/ and cs_utils/ (default: this kit)",
    )
    course.add_argument("--timeout", type=int, default=60, help="seconds per notebook cell (default 60)")
    course.add_argument(
        "--released-notebooks",
        action="store_true",
        help="use the release's notebooks/*.ipynb instead of the instructor notebooks "
        "(then nbgrader has no solutions or hidden tests to strip)",
    )
    course.set_defaults(handler=_nbgrader_course)

    stage = commands.add_parser(
        "nbgrader-stage",
        help="put submissions in the kit's layout into an nbgrader course's submitted/ folder",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Read every submission as grade-all does (folders, zips, loose files, Gradescope's export) and write\n"
            "COURSE/submitted/<student>/<assignment>/ in nbgrader's layout: the notebooks beside cs_utils/, and\n"
            "timestamp.txt with the time the student submitted (Gradescope's metadata, the zip or the files), so\n"
            "nbgrader's late policy works. A student's folder is replaced when staged again."
        ),
        epilog=(
            "examples:\n"
            "  python -m autograder nbgrader-stage submissions/ course/\n"
            "  python -m autograder nbgrader-stage gradescope-export/ course/ --name-by email --assignment ps1\n"
        ),
    )
    stage.add_argument("folder", metavar="SUBMISSIONS", help="one subfolder or .zip per student")
    stage.add_argument("course", metavar="COURSE", help="the nbgrader course (python -m autograder nbgrader-course)")
    stage.add_argument("--assignment", default="ps1", help="assignment name (default ps1)")
    _name_by_option(stage)
    stage.set_defaults(handler=_nbgrader_stage)

    similarity = commands.add_parser(
        "similarity",
        help="compare the students' own code with each other and with known public solutions",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Compare what each student wrote in the graded modules (the starter's lines left out) with\n"
            "every classmate and every known solution, using copydetect's fingerprints. Student code is\n"
            "only read, never run. Writes REPORT/index.html (ranked pairs, flagged pairs side by side)\n"
            "and REPORT/pairs.csv (highest score first). A high score is a reason to look, not proof."
        ),
        epilog=(
            "examples:\n"
            "  python -m autograder similarity submissions/ --out similarity/\n"
            "  python -m autograder similarity submissions/ --out similarity/ --known public-solutions/\n"
            "  python -m autograder similarity submissions/ --out similarity/ --ignore-common 20 --quiet\n"
        ),
    )
    similarity.add_argument("folder", metavar="SUBMISSIONS", help="one subfolder or .zip per student, as grade-all")
    similarity.add_argument("--out", required=True, metavar="REPORT", help="output folder")
    similarity.add_argument(
        "--known", metavar="DIR", help="known public solutions: one folder, .zip or .py file each"
    )
    similarity.add_argument(
        "--threshold", type=float, default=0.5,
        help="pairs scoring at least this get a side-by-side page (default 0.5)",
    )
    similarity.add_argument(
        "--ignore-common", type=int, metavar="N",
        help="in classmate pairs, ignore code found in more than N students' (like MOSS's -m; for large "
             "classes, where everyone writes the same canonical lines); known solutions still see it",
    )
    similarity.add_argument("--quiet", action="store_true", help="no progress bars")
    similarity.set_defaults(handler=_similarity)

    export = commands.add_parser(
        "export",
        help="the grades of a grade-all output folder for other systems (Canvas)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Write the grades of a grade-all output folder in another system's import format.",
    )
    formats = export.add_subparsers(dest="format", required=True, metavar="FORMAT")
    canvas = formats.add_parser(
        "canvas",
        help="a CSV for Canvas's gradebook import",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Write a CSV that Canvas's gradebook imports (Grades > Import): Student, ID, SIS User ID,\n"
            "SIS Login ID, Section, then the assignment's points, under a Points Possible row. With --roster\n"
            "(the course's gradebook exported from Canvas) every enrolled student gets a row with Canvas's ids;\n"
            "students the roster does not match, results that could not be graded and written answers still\n"
            "to grade are listed on stderr, never dropped silently. Automatic points only, unless --gradebook\n"
            "adds the written answers' points the TAs gave in nbgrader."
        ),
        epilog=(
            "examples:\n"
            "  python -m autograder export canvas graded/ --out canvas.csv --assignment \"Assignment 1\"\n"
            "  python -m autograder export canvas graded/ --out canvas.csv --assignment \"Assignment 1 (4711)\" "
            "--roster gradebook-export.csv --gradebook course/\n"
        ),
    )
    canvas.add_argument("folder", metavar="OUT", help="the --out folder of grade-all")
    canvas.add_argument("--out", required=True, metavar="CSV", help="where to write the Canvas CSV")
    canvas.add_argument("--assignment", required=True, metavar="NAME",
                        help="the assignment column: its name in Canvas, with its id in parentheses to update an "
                             "existing assignment (as Canvas's own export names it)")
    canvas.add_argument("--roster", metavar="CSV", help="the course's gradebook exported from Canvas")
    canvas.add_argument("--gradebook", metavar="COURSE",
                        help="add the written answers' points from this nbgrader course (grade-all --gradebook)")
    canvas.set_defaults(handler=_export_canvas)

    answers = commands.add_parser(
        "answers",
        help="each student's written answers as a page to grade by hand (Gradescope, print to PDF)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Read the written answers of every submission the way the grader does (the notebooks rebuilt on\n"
            "the release, cell by cell; student code is never run) and write DIR/<student>.html: one\n"
            "self-contained page per student with each question and the answer shown as plain text (no HTML,\n"
            "script or link of the answer is ever rendered). --pdf also prints each page to DIR/<student>.pdf\n"
            "with headless Chromium, for a Gradescope assignment graded by hand."
        ),
        epilog=(
            "examples:\n"
            "  python -m autograder answers submissions/ --out answers/\n"
            "  python -m autograder answers gradescope-export/ --out answers/ --pdf\n"
        ),
    )
    answers.add_argument("folder", metavar="SUBMISSIONS", help="one subfolder or .zip per student, as grade-all")
    answers.add_argument("--out", required=True, metavar="DIR", help="output folder")
    answers.add_argument("--pdf", action="store_true",
                         help="also print each page to PDF with headless Chromium (chromium on PATH, or $CHROMIUM)")
    _name_by_option(answers)
    answers.set_defaults(handler=_answers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except MarkerError as error:
        print(f"error: {error}", file=sys.stderr)
        return exit_codes.BAD_INPUT
    except (DeclarationError, StaleRelease) as error:  # the instructor's tree, before anyone is graded
        print(f"error: {error}", file=sys.stderr)
        return exit_codes.CHECK_FAILED
    except KeyboardInterrupt:
        print("interrupted; run the same command again to resume", file=sys.stderr)
        return exit_codes.INTERRUPTED
    except Exception as error:  # a grader bug: say so plainly, with the traceback for the report
        import traceback

        traceback.print_exc()
        print(f"internal error: {type(error).__name__}: {error}", file=sys.stderr)
        return exit_codes.INTERNAL_ERROR

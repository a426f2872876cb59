"""The class report (``python -m autograder report OUT/``): numbers, files, escaping, and the page in Chromium.

The unit tests write small result folders with the grader's own writer (``batch.write_outputs``);
the end-to-end tests grade the demo's sample class (solution, starter, buggy, cheater.zip) with
``grade_all`` and check the report against the per-student results, then open the page in
headless Chromium.
"""
from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from points import CODE_POINTS
from tolerances import close_to

from autograder import KIT_ROOT
from autograder.grading import manifest, preflight, scoring
from autograder.grading.batch import grade_all, write_outputs
from autograder.grading.demo import write_samples
from autograder.grading.results import (
    FORGED_CHANNEL,
    OUTSIDE_PATH,
    PATCHED_MODULE,
    TIMEOUT,
    GradingEvent,
    SubmissionResult,
    TestOutcome,
)
from autograder.grading.runner import INTERNAL_ERROR
from autograder.report import write_report
from autograder.report.data import build_report, histogram

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: A student folder name that would run script if it reached the page as markup.
HOSTILE = "<img src=x onerror=\"window.__pwned='name'; document.title='pwned'\">"
#: A folder with no usable result, named to run script too.
HOSTILE_FOLDER = "<svg onload=\"window.__pwned='folder'\">"
#: A student name (inside grading.json) with a script tag, which no folder name can hold.
HOSTILE_STUDENT = "mallory</td><script>window.__pwned='student'</script>"
SPECS = manifest.graded_specs(notebooks=False)


def result_for(student: str, failed: set[str], *, events=(), detail: str = "wrong") -> SubmissionResult:
    outcomes = tuple(TestOutcome(spec.id, spec.id not in failed, detail if spec.id in failed else "")
                     for spec in SPECS)
    result = scoring.build_result(student, SPECS, outcomes, content_hash="h" * 16)
    return replace(result, isolation="full", events=tuple(events))


@pytest.fixture
def small_class(tmp_path) -> Path:
    """Four readable results (one could not be graded) and three folders the report cannot use."""
    out = tmp_path / "out"
    first, second = SPECS[0].id, SPECS[1].id
    write_outputs(out, result_for("ann", set()))
    write_outputs(out, result_for("bob", {first}))
    write_outputs(out, result_for("cat", {first, second}, events=[
        GradingEvent(TIMEOUT, SPECS[1].function, "call x: timeout"),
        GradingEvent(PATCHED_MODULE, "cs_utils/classifiers/linear_svm.py", "numpy.allclose on line 3"),
        GradingEvent(FORGED_CHANNEL, SPECS[1].function, "call x: unreadable")]))
    write_outputs(out, replace(scoring.could_not_grade("dan", SPECS, INTERNAL_ERROR, staff_log="Traceback: secret"),
                               isolation="full"))
    (out / "eve").mkdir()  # results.json only, as if interrupted before grading.json
    (out / "eve" / "results.json").write_text("{}")
    (out / "fay").mkdir()
    (out / "fay" / "grading.json").write_text("{not json")
    (out / "gus").mkdir()
    (out / "gus" / "grading.json").write_text(json.dumps({"schema_version": 1, "student": "gus"}))
    (out / "grades.csv").write_text("student\n")  # files beside the folders are not students
    return out


def test_the_numbers_match_the_results(small_class):
    report = build_report(small_class)
    total = sum(spec.points for spec in SPECS)
    first, second = SPECS[0], SPECS[1]
    assert report.students == 4 and report.graded == 3
    assert report.scores == {"ann": total, "bob": total - first.points, "cat": total - first.points - second.points}
    assert [n.student for n in report.not_graded] == ["dan"] and report.not_graded[0].reason == INTERNAL_ERROR
    rates = {rate.test_id: rate for rate in report.tests}
    assert (rates[first.id].full, rates[first.id].partial, rates[first.id].zero) == (1, 0, 2)
    assert (rates[second.id].full, rates[second.id].zero) == (2, 1)
    assert all(rate.students == 3 for rate in report.tests)  # the could-not-grade result is not counted
    assert report.tests[0].test_id == first.id and report.tests[1].test_id == second.id  # hardest first
    assert rates[first.id].share_full == close_to(1 / 3, 1e-12)
    assert [(h.test_id, h.students) for h in report.hints] == [(first.id, 2), (second.id, 1)]
    assert [(e.student, e.kind) for e in report.timeouts] == [("cat", TIMEOUT)]
    assert {(e.student, e.kind) for e in report.integrity} == {("cat", PATCHED_MODULE), ("cat", FORGED_CHANNEL)}
    assert report.notebooks == "not graded" and report.isolation == {"full": 4}
    assert sum(n for _, _, n in report.histogram) == 3


def test_unreadable_folders_become_lines_not_crashes(small_class):
    problems = {p.folder: p.reason for p in build_report(small_class).problems}
    assert set(problems) == {"eve", "fay", "gus"}
    assert "no grading.json" in problems["eve"]
    assert "not a result this grader wrote" in problems["fay"]
    assert "schema version" in problems["gus"]
    html = write_report(small_class).html.read_text()
    for folder in ("eve", "fay", "gus"):
        assert f"<td>{folder}</td>" in html


def test_the_three_files_hold_the_same_numbers(small_class):
    files = write_report(small_class)
    document = json.loads(files.json.read_text())
    report = files.report
    assert document["scores"] == report.scores and document["manual_points_included"] is False
    assert document["written_answer_points"] == manifest.written_answer_points() > 0
    assert [t["test_id"] for t in document["tests"]] == [t.test_id for t in report.tests]
    rows = list(csv.DictReader(io.StringIO(files.csv.read_text())))
    assert [row["test_id"] for row in rows] == [t.test_id for t in report.tests]
    for row, rate in zip(rows, report.tests, strict=True):
        assert (int(row["full"]), int(row["partial"]), int(row["zero"])) == (rate.full, rate.partial, rate.zero)
        assert float(row["share_full"]) == close_to(rate.share_full, 1e-3)
    assert document["integrity"][0]["student"] == "cat"
    assert document["problems"] and document["could_not_grade"][0]["student"] == "dan"


def test_the_page_is_self_contained_and_holds_no_staff_log(small_class):
    html = write_report(small_class).html.read_text()
    assert "<script" not in html.lower()
    assert re.findall(r'src="([^"]*)"', html) and all(src.startswith("data:image/png;base64,")
                                                      for src in re.findall(r'src="([^"]*)"', html))
    assert "href=" not in html and "@import" not in html and "url(" not in html
    assert "Traceback: secret" not in html  # the staff log never reaches the page
    written = manifest.written_answer_points()
    assert f"hand-graded written answers ({written:g} points) are <strong>not included</strong>" in html


def test_student_names_and_messages_are_escaped(small_class):
    hostile = result_for(HOSTILE_STUDENT, {SPECS[0].id}, detail="<b>bold</b> & more",
                         events=[GradingEvent(PATCHED_MODULE, "<i>x</i>", "<script>y</script>")])
    (small_class / "mallory").mkdir()  # a name with "/" cannot be a folder: it comes from grading.json
    (small_class / "mallory" / "grading.json").write_text(hostile.to_json())
    (small_class / HOSTILE).mkdir()
    html = write_report(small_class).html.read_text()
    assert "<script>window.__pwned" not in html and "<img src=x" not in html and "<b>bold" not in html
    assert "&lt;script&gt;window.__pwned=&#39;student&#39;&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=" in html and "&lt;b&gt;bold&lt;/b&gt; &amp; more" in html


def test_an_empty_folder_gives_an_empty_report(tmp_path):
    files = write_report(tmp_path)
    assert files.report.students == 0 and "No graded results" in files.html.read_text()
    assert json.loads(files.json.read_text())["tests"] == []


def test_histogram_bins_include_the_maximum():
    assert histogram([0, 9.5, 10, 100], 100) == (
        (0.0, 10.0, 2), (10.0, 20.0, 1), *((10.0 * i, 10.0 * (i + 1), 0) for i in range(2, 9)), (90.0, 100.0, 1))
    assert histogram([], 0) == ((0.0, 10.0, 0),)


# -- the demo's sample class, graded for real ----------------------------------------------------


@pytest.fixture(scope="module")
def demo_class(releases, tmp_path_factory) -> Path:
    """grade-all's output for the demo's four samples (code only), plus two hostile folders: a copy of the
    cheater's result under a hostile name, and one with a broken ``grading.json``."""
    root = tmp_path_factory.mktemp("report")
    submissions = write_samples(releases["starter"], releases["solution"], root / "submissions")
    out = root / "graded"
    grade_all(submissions, out, workers=2, progress=False, notebooks=False, accept=preflight.WEAKER)
    (out / HOSTILE).mkdir()
    stored = json.loads((out / "cheater" / "grading.json").read_text())
    stored["student"] = HOSTILE  # a result under a hostile name, as a renamed or forged folder would be
    (out / HOSTILE / "grading.json").write_text(json.dumps(stored))
    (out / HOSTILE_FOLDER).mkdir()
    (out / HOSTILE_FOLDER / "grading.json").write_text("[1, 2")
    return out


def stored_results(out: Path) -> dict[str, SubmissionResult]:
    return {name: SubmissionResult.from_json((out / name / "grading.json").read_text())
            for name in ("solution", "starter", "buggy", "cheater")}


@pytest.mark.e2e  # a batch graded in sandboxes, then the command line in a subprocess
def test_the_report_of_the_demo_class_matches_its_results(demo_class):
    completed = subprocess.run([sys.executable, "-m", "autograder", "report", str(demo_class)], cwd=KIT_ROOT,
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert "1 folders not read" in completed.stderr
    document = json.loads((demo_class / "report.json").read_text())
    results = stored_results(demo_class)
    for name, result in results.items():
        assert document["scores"][name] == close_to(result.score, 1e-9, 100)
    assert document["students"] == 5 and document["graded"] == 5  # the four samples and the hostile copy
    assert document["score_summary"]["max"] == results["solution"].score == CODE_POINTS
    assert [p["folder"] for p in document["problems"]] == [HOSTILE_FOLDER]
    for row in document["tests"]:
        items = [next(t for t in r.tests if t.spec.id == row["test_id"]) for r in results.values()]
        items.append(next(t for t in results["cheater"].tests if t.spec.id == row["test_id"]))  # the hostile copy
        assert row["full"] == sum(t.score == t.spec.points for t in items)
        assert row["zero"] == sum(t.score == 0 for t in items)
        assert row["students"] == 5
    assert document["notebooks"] == "not graded"
    assert set(document["isolation"]) == {results["solution"].isolation}
    cheats = {(e["student"], e["kind"]) for e in document["integrity"]}
    assert cheats == {(student, kind) for student in ("cheater", HOSTILE) for kind in (PATCHED_MODULE, OUTSIDE_PATH)}
    cheater = [e for e in document["integrity"] if e["student"] == "cheater"]
    assert {e["detail"].split(" on line")[0] for e in cheater if e["kind"] == PATCHED_MODULE} == {
        "numpy.allclose", "numpy.testing.assert_allclose", "numpy.array_equal"}  # NumPy's comparisons
    assert "'/autograder/results/results.json'" in {e["detail"].split(" on line")[0] for e in cheater}
    html = (demo_class / "report.html").read_text()
    assert "lambda" not in html and "_steal" not in html  # no student code
    assert "random/0" not in html  # no call keys from the staff log


@pytest.mark.e2e
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium "
                    "(apt-get install -y chromium); .ci/run installs it")
def test_the_page_renders_its_figures_and_runs_nothing_in_chromium(demo_class):
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (requirements-dev.txt)")
    page_file = write_report(demo_class).html
    requests: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.goto(page_file.as_uri())
            page.wait_for_load_state("load")
            images = page.evaluate("Array.from(document.images).map(i => [i.id, i.complete, i.naturalWidth])")
            assert sorted(images) == [["histogram", True, 700], ["pass-rates", True, 800]]
            assert page.evaluate("window.__pwned") is None and page.title() == "Class report"
            assert HOSTILE in page.inner_text("#integrity-table")  # shown as text
            assert HOSTILE_FOLDER in page.inner_text("#problem-table")
            assert page.locator("#integrity-table img, #problem-table svg").count() == 0
            assert page.inner_text("#students") == "5" and page.inner_text("#notebooks") == "not graded"
        finally:
            browser.close()
    assert [url for url in requests if not url.startswith(("file:", "data:"))] == []

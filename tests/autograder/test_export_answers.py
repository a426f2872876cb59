"""``python -m autograder answers``: each student's written answers on one page for manual grading,
read through the grader's own intake, shown as text in headless Chromium, printed to PDF by it."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from notebook_edits import set_answer

from autograder import KIT_ROOT, exit_codes
from autograder.exports import answers
from autograder.grading import gradescope_export, manifest

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium "
                                    "(apt-get install -y chromium); .ci/run installs it")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
FIXTURE = Path(__file__).with_name("exports") / "gradescope_export"
#: Answers that would run script, load a resource or navigate if any of them were rendered.
HOSTILE = {
    ("knn", "knn-q1-answer"): "Rows are bright when <script>window.__pwned = 1</script> the image is far.",
    ("knn", "knn-q2-answer"): '<img src=x onerror="window.__pwned = 2"> and **bold** $x$',
    ("knn", "knn-q3-answer"): "[see here](javascript:window.__pwned=3) <a href=\"javascript:window.__pwned=4\">x</a>",
    ("svm", "svm-q1-answer"): "</pre></section><script>window.__pwned = 5</script><iframe src=\"https://example.com\">",
}


@pytest.fixture
def export(releases, tmp_path) -> Path:
    """The Gradescope export fixture with a starter release in each submission folder; Ada's has the
    hostile answers, Alan's a renamed notebook ("Copy of knn.ipynb") with one plain answer."""
    root = tmp_path / "export"
    root.mkdir()
    shutil.copy(FIXTURE / gradescope_export.METADATA, root)
    for folder in ("submission_231456789", "submission_231456790", "submission_231456791"):
        for part in ("cs_utils", "notebooks"):
            shutil.copytree(releases["starter"] / part, root / folder / part)
    for (notebook, grade_id), text in HOSTILE.items():
        set_answer(root / "submission_231456789", notebook, grade_id, text)
    alan = root / "submission_231456791" / "notebooks"
    set_answer(alan.parent, "knn", "knn-q1-answer", "Far from every training image.\nSecond line.")
    (alan / "knn.ipynb").rename(alan / "Copy of knn.ipynb")
    return root


def test_the_questions_are_the_releases_written_answers():
    asked = answers.questions()
    assert len(asked) == 8 and sum(q.points for q in asked) == manifest.written_answer_points()
    first = asked[0]
    assert (first.notebook, first.grade_id, first.title) == ("knn", "knn-q1-answer", "Question 1 (2 points)")
    assert "distance matrix" in first.text


@pytest.mark.e2e
def test_pages_are_written_per_student_with_the_answers_escaped(export, tmp_path):
    out = tmp_path / "answers"
    pages = {page.student: page for page in answers.write_all(export, out)}
    assert set(pages) == {"3034567", "3034568", "alan.turing@uni.example.edu"}
    html = (out / "3034567.html").read_text()
    assert "<script>window" not in html and "<img src=x" not in html and "<iframe" not in html
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html
    alan = (out / "alan.turing@uni.example.edu.html").read_text()
    assert "Far from every training image.\nSecond line." in alan  # found under its renamed file, as the grader does
    assert any("Copy of knn.ipynb" in problem for problem in pages["alan.turing@uni.example.edu"].problems)
    group = (out / "3034568.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Lin" in group and group.count("(no answer)") == 8
    assert 'href="3034568.html"' in (out / "index.html").read_text()


@pytest.mark.e2e
@needs_chromium
def test_hostile_answers_show_as_text_and_nothing_runs_in_chromium(export, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (requirements-dev.txt)")
    out = tmp_path / "answers"
    answers.write_all(export, out)
    requests: list[str] = []
    dialogs: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for student in ("3034567", "3034568"):
                page = browser.new_page()
                page.on("request", lambda request: requests.append(request.url))
                page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
                page.goto((out / f"{student}.html").as_uri())
                page.wait_for_load_state("load")
                assert page.evaluate("window.__pwned") is None
                assert page.locator("script, img, iframe, a").count() == 0
                if student == "3034567":
                    for (_, grade_id), text in HOSTILE.items():
                        assert page.inner_text(f"#{grade_id} .answer") == text  # exactly what was typed
                    page.click("#knn-q3-answer .answer")
                    assert page.evaluate("window.__pwned") is None and page.url.startswith("file:")
                else:
                    assert "<script>alert(1)</script> Lin" in page.inner_text("#submitters")
                page.close()
        finally:
            browser.close()
    assert dialogs == []
    assert [url for url in requests if not url.startswith("file:")] == []


@pytest.mark.e2e
@needs_chromium
def test_the_command_prints_each_page_to_pdf_with_chromium(export, tmp_path):
    out = tmp_path / "answers"
    long_answer = "\n".join(f"line {number} of a very long answer" for number in range(200))
    set_answer(export / "submission_231456790", "svm", "svm-q2-answer", long_answer)
    done = subprocess.run([sys.executable, "-m", "autograder", "answers", str(export), "--out", str(out), "--pdf",
                           "--name-by", "email"], cwd=KIT_ROOT, capture_output=True, text=True, timeout=600,
                          env={**_environment(), "CHROMIUM": str(CHROMIUM)})
    assert done.returncode == exit_codes.OK, done.stderr
    pdf = (out / "ada.lovelace@uni.example.edu.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert answers.pdf_page_count(pdf) == 1 + len(answers.questions())  # a page per question
    assert "Copy of knn.ipynb" in done.stderr  # what the intake noticed, per student
    expected = 1 + len(answers.questions())
    assert "grace.hopper@uni.example.edu: the PDF has" in done.stderr and f"not {expected}" in done.stderr
    assert answers.pdf_page_count((out / "grace.hopper@uni.example.edu.pdf").read_bytes()) > expected


def test_without_chromium_the_pdf_option_says_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.setenv("CHROMIUM", str(tmp_path / "no-such-browser"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(answers.PdfUnavailable, match="apt-get install chromium"):
        answers.find_chromium()


def test_a_browser_that_exits_without_a_pdf_is_an_error_not_a_silent_gap(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<p>x</p>")
    with pytest.raises(answers.PdfFailed, match="wrote no PDF"):
        answers.print_pdf(page, tmp_path / "page.pdf", chromium=Path(shutil.which("true") or "/bin/true"))


def _environment() -> dict[str, str]:
    import os

    return dict(os.environ)

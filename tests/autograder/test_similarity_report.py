"""The similarity report: CSV cells never read as formulas, pages escape everything a student or
a known solution's file name carries, and in headless Chromium nothing runs and the pairs render."""
from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path
from urllib.parse import urlparse

import pytest

from autograder.similarity import run_similarity
from autograder.similarity.report import segments

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: Written by eve into a graded function; it would mark the page if it ran.
PAYLOAD = "</pre><script>window.__pwned = 'code'; document.title = 'pwned'</script><pre>"
#: A known solution's file name (the instructor's folder may hold anything downloaded).
HOSTILE_KNOWN = "=1+2 <img src=x onerror=\"window.__pwned='name'\">.py"
#: A student folder whose grade-all name starts with a spreadsheet formula character.
FORMULA_STUDENT = "@SUM(1+1)"


@pytest.fixture(scope="module")
def report(releases, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("similarity-report")
    submissions, known = root / "submissions", root / "known"
    svm = Path("cs_utils") / "classifiers" / "linear_svm.py"
    shutil.copytree(releases["solution"], submissions / "alice", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(submissions / "alice", submissions / "eve")
    text = (submissions / "eve" / svm).read_text(encoding="utf-8")
    marker = "    num_train = X.shape[0]\n"
    assert marker in text
    (submissions / "eve" / svm).write_text(text.replace(marker, f"{marker}    note = {PAYLOAD!r}\n", 1),
                                          encoding="utf-8")
    shutil.copytree(releases["starter"], submissions / FORMULA_STUDENT, ignore=shutil.ignore_patterns("__pycache__"))
    known.mkdir()
    shutil.copyfile(submissions / "alice" / svm, known / HOSTILE_KNOWN)
    with zipfile.ZipFile(known / "public-repo.zip", "w") as bundle:  # alice's code in a CS231n-style layout
        for module in (submissions / "alice" / "cs_utils" / "classifiers").glob("*.py"):
            bundle.write(module, f"assignment1/cs231n/classifiers/{module.name}")
    run_similarity(submissions, root / "report", known, starter=releases["starter"] / "cs_utils")
    return root / "report"


def rows(report: Path) -> list[dict[str, str]]:
    with open(report / "pairs.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_pairs_csv_is_ranked_and_no_cell_reads_as_a_formula(report):
    table = rows(report)
    assert list(table[0]) == ["rank", "student_a", "student_b", "source", "score", "share_a", "share_b", "matched"]
    scores = [float(row["score"]) for row in table]
    assert scores == sorted(scores, reverse=True)
    classmates = {(row["student_a"], row["student_b"]): float(row["score"]) for row in table
                  if row["source"] == "classmate"}
    assert classmates[("alice", "eve")] >= 0.95
    names = {row["student_a"] for row in table} | {row["student_b"] for row in table}
    assert "'@SUM_1+1_" in names and f"'{HOSTILE_KNOWN}" in names
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in table for cell in row.values())
    known = {(row["student_a"], row["student_b"]): float(row["score"]) for row in table
             if row["source"] == "known solution"}
    assert known[("alice", "public-repo.zip")] >= 0.95 and known[("eve", "public-repo.zip")] >= 0.95
    assert known[("'@SUM_1+1_", "public-repo.zip")] == 0


def test_every_name_and_line_of_code_is_escaped(report):
    pages = [report / "index.html", *sorted((report / "pairs").glob("*.html"))]
    assert len(pages) >= 3  # alice and eve, and each of them with the known solution
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<script" not in html and "onerror=\"" not in html
        assert html.count("<img") == html.count('<img id="histogram" src="data:image/png;base64,')  # ours only
        assert "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'" in html
    assert any("&lt;/pre&gt;&lt;script&gt;window.__pwned" in page.read_text(encoding="utf-8") for page in pages[1:])
    assert "&lt;img src=x onerror=" in (report / "index.html").read_text(encoding="utf-8")


def test_segments_cover_the_text_once_and_clip_stray_spans():
    pieces = segments("abcdef", ((4, 99), (1, 3), (2, 5)))
    assert "".join(text for text, _ in pieces) == "abcdef"
    assert pieces == [("a", False), ("bc", True), ("de", True), ("f", True)]


@pytest.mark.e2e  # a browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium "
                    "(apt-get install -y chromium); .ci/run installs it")
def test_in_chromium_nothing_runs_and_the_pairs_render(report):
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (requirements-dev.txt)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            dialogs: list[str] = []
            requests: list[str] = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.route("**/*", lambda route: (requests.append(route.request.url), route.continue_()
                                              if urlparse(route.request.url).scheme == "file" else route.abort()))
            page.goto((report / "index.html").as_uri())
            assert page.evaluate("window.__pwned") is None and page.title() == "Similarity report"
            table = page.locator("tbody tr")
            assert table.count() == len(rows(report))
            assert "reason to look, not proof" in page.inner_text("body")
            assert HOSTILE_KNOWN in page.inner_text("tbody")  # the name, shown as text
            assert page.evaluate("document.getElementById('histogram').naturalWidth") > 0  # the figure
            links = page.locator("a", has_text="side by side")
            assert links.count() >= 3
            shown = []
            for index in range(links.count()):
                page.goto((report / "index.html").as_uri())
                page.locator("a", has_text="side by side").nth(index).click()
                page.wait_for_load_state()
                assert page.evaluate("window.__pwned") is None and page.title() != "pwned"
                assert page.locator("mark").count() > 0
                assert page.locator(".side-by-side pre").count() == 2
                shown.append(page.inner_text("body"))
            assert any(PAYLOAD in text for text in shown)  # eve's line, verbatim
            assert dialogs == []
            assert all(urlparse(url).scheme == "file" for url in requests), requests
        finally:
            browser.close()

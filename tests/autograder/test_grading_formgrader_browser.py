"""Stored HTML never runs in a TA's browser: a hostile submission recorded into the gradebook, then
opened in formgrader (served on 127.0.0.1) with headless Chromium.

The submission goes through the real intake: a notebook whose file name carries markup lies beside
``cs_utils/`` (its name is quoted in the notes shown on the ``autograder`` page), and its written
answer carries a ``<script>``, an ``<img onerror>``, a mermaid block and a ``javascript:`` link;
an answer cell saved a figure (shown) and HTML, SVG, JavaScript and Markdown outputs (dropped).
Every payload would set ``window.__pwned`` or the page title; none may, and the answer must still
be readable.
"""
from __future__ import annotations

import base64
import copy
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from autograder import nbgrader_bridge
from autograder.grading import gradebook, manifest, notebook_intake, scoring
from autograder.grading.results import TestOutcome
from autograder.grading.submission import Submission, materialize

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.e2e,  # a Jupyter server with formgrader, and a browser
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium "
                       "(apt-get install -y chromium); .ci/run installs it"),
]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TOKEN = "kit-browser-test"
#: Each payload marks the page when it runs.
SCRIPT = "<script>window.__pwned = 'script'; document.title = 'pwned'</script>"
IMAGE = "<img src=x onerror=\"window.__pwned = 'img'; document.title = 'pwned'\">"
MERMAID = "```mermaid\n<img src=y onerror=\"window.__pwned = 'mermaid'\">\n```"
LINK = "[see my plot](javascript:window.__pwned='link')"
ANSWER = f"Bright rows are test images far from every training image.\n\n{SCRIPT}\n{IMAGE}\n\n{MERMAID}\n\n{LINK}\n"
HOSTILE_NAME = "knn <img src=z onerror=\"window.__pwned='name'\">.ipynb"


def saved_outputs() -> list[dict]:
    """A real figure, and saved outputs that would run if formgrader rendered them."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(2, 2), dpi=30)
    figure.add_subplot().plot([0, 1], [1, 0])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    image = base64.b64encode(buffer.getvalue()).decode()
    return [{"output_type": "display_data", "metadata": {}, "data": {"image/png": image, "text/plain": "<Figure>"}},
            {"output_type": "display_data", "metadata": {}, "data": {"text/html": SCRIPT}},
            {"output_type": "display_data", "metadata": {},
             "data": {"image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg' onload=\"window.__pwned='svg'\"/>"}},
            {"output_type": "execute_result", "metadata": {}, "execution_count": 1,
             "data": {"application/javascript": "window.__pwned = 'js'", "text/markdown": IMAGE}}]


def hostile_submission(releases, root: Path) -> Path:
    """cs_utils/ from the solution, and the knn notebook (hostile answer, a figure and hostile saved
    outputs in the cross-validation cell) beside it under a hostile name."""
    folder = root / "eve"
    shutil.copytree(releases["solution"] / "cs_utils", folder / "cs_utils")
    notebook = copy.deepcopy(notebook_intake.load_template("knn").notebook)  # the template is cached
    for cell in notebook["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "knn-q1-answer":
            cell["source"] = ANSWER
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "knn-cross-validation":
            cell["outputs"] = saved_outputs()
    (folder / HOSTILE_NAME).write_text(json.dumps(notebook), encoding="utf-8")
    return folder


def record(releases, tmp_path) -> Path:
    """Intake the hostile submission as the grader does, and record it in a new course."""
    work = tmp_path / "work"
    notes = materialize(Submission("eve", hostile_submission(releases, tmp_path)), work)
    intakes = notebook_intake.take_in_all(work)
    problems = [problem for intake in intakes.values() for problem in intake.problems]
    assert intakes["knn"].answers["knn-q1-answer"].startswith("Bright rows")
    assert any("onerror" in note for note in [*notes, *problems])  # the name is quoted to the student
    outcomes = tuple(TestOutcome(spec.id, True) for spec in manifest.TESTS)
    result = scoring.build_result("eve", manifest.TESTS, outcomes, notices=(*notes, *problems))
    result = type(result)(**{**result.__dict__,
                             "notebook_answers": {name: intake.answers for name, intake in intakes.items()},
                             "notebook_figures": {name: intake.figures for name, intake in intakes.items()}})
    course = tmp_path / "course"
    gradebook.record(course, [result])
    return course


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def formgrader(releases, tmp_path):
    """formgrader on 127.0.0.1 over a course holding the hostile submission; yields (base URL, ids)."""
    course = record(releases, tmp_path)
    port = free_port()
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
                   "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"), "HOME": str(tmp_path)}
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 (closed in the finally clause below)
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={course}"],
        cwd=course, env=environment, stdout=subprocess.DEVNULL, stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):  # until the server answers (or quits); the test asserts no time
            if server.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2):
                    break
            except OSError:
                time.sleep(0.25)
        assert server.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
        yield base, nbgrader_bridge.submitted_notebook_ids(course, gradebook.ASSIGNMENT, "eve")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_no_stored_payload_runs_in_formgrader_and_the_answer_stays_readable(formgrader):
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (requirements-dev.txt)")
    base, ids = formgrader
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            # Nothing leaves loopback (formgrader's page asks a CDN for MathJax).
            page.route("**/*", lambda route: route.continue_() if urlparse(route.request.url).hostname == "127.0.0.1"
                       else route.abort())
            for notebook in ("knn", "autograder"):
                response = page.goto(f"{base}/formgrader/submissions/{ids[notebook]}/?token={TOKEN}")
                assert response is not None and response.status == 200, notebook
                page.wait_for_load_state("networkidle")
                assert page.evaluate("window.__pwned") is None, notebook
                assert page.title() != "pwned" and dialogs == []
                assert page.locator("a[href^='javascript:' i]").count() == 0
                text = page.inner_text("#notebook-container")
                if notebook == "knn":  # the answer is shown verbatim, markup included, as text
                    assert "Bright rows are test images far from every training image." in text
                    assert SCRIPT in text and LINK in text
                    assert page.get_by_text("Bright rows are test images", exact=False).first.is_visible()
                    # the saved figure is shown, and nothing else the notebook saved
                    assert page.locator("#notebook-container img[src^='data:image/png;base64,']").count() == 1
                    dropped = "#notebook-container svg[onload], #notebook-container img[src='x']"
                    assert page.locator(dropped).count() == 0
                else:  # the notes quote the file name as text
                    assert HOSTILE_NAME in text
            # formgrader's own totals count the kit's code points as code, and the submission as one
            # (the assignments page first: opened first, the gradebook page's API request went to the login page)
            page.goto(f"{base}/formgrader/manage_assignments?token={TOKEN}")
            page.wait_for_load_state("networkidle")
            row = page.locator("tr", has_text=gradebook.ASSIGNMENT).first.inner_text().split("\t")
            assert "1" in [cell.strip() for cell in row], row  # "# Submissions"
            page.goto(f"{base}/formgrader/gradebook/{gradebook.ASSIGNMENT}?token={TOKEN}")
            page.wait_for_load_state("networkidle")
            row = page.locator("tr", has_text="autograder").first.inner_text().split("\t")
            code = f"{manifest.max_score():g} / {manifest.max_score():g}"
            assert row[:3] == ["autograder", code, code], row  # all of eve's tests passed
            knn = page.locator("tr", has_text="knn").first.inner_text().split("\t")
            assert knn[3] == "0 / 8", knn  # her answers wait for a grader
        finally:
            browser.close()

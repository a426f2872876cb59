"""Untrusted text made safe for each sink: file labels, Markdown prose, inert blocks, CSV cells, exception names."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest

from autograder.grading.safe_text import (
    MAX_LABEL_CHARS,
    OWN_EXCEPTION,
    exception_label,
    file_label,
    inert_markdown,
    markdown_text,
    spreadsheet_cell,
)

#: Markup a student can type into an answer or a file name; every one renders something in nbconvert.
PAYLOADS = (
    "<script>window.__pwned = 1</script>",
    "<img src=x onerror=\"window.__pwned = 2\">",
    "[click me](javascript:window.__pwned=3)",
    "<javascript:window.__pwned=4>",
    "[a]: javascript:alert(5)\n\n[b][a]",
    "```mermaid\n<img src=x onerror=alert(6)>\n```",
    "````\n```\n<script>alert(7)</script>\n````\n```",
    "~~~\n<b>bold</b>\n~~~",
    "text\r```\r<script>alert(8)</script>",
    "    <iframe src=javascript:alert(9)>",
    "$\\href{javascript:alert(10)}{x}$ and $$<svg onload=alert(11)>$$",
    "&lt;script&gt; &#106;avascript: \\<b\\>",
    "# heading\n- item\n1. first\n===",
)


class _Page(HTMLParser):
    """The tags (with attributes) and the visible text of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list]] = []
        self.text = ""

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text += data


def render(markdown: str) -> _Page:
    """What nbconvert's ``markdown2html`` (formgrader's renderer: raw HTML passes) makes of ``markdown``."""
    from nbconvert.filters.markdown import markdown2html

    page = _Page()
    page.feed(markdown2html(markdown))
    page.close()
    return page


@pytest.mark.parametrize("payload", PAYLOADS)
def test_an_inert_block_renders_verbatim_and_nothing_else(payload):
    page = render(inert_markdown(payload))
    assert [tag for tag, _ in page.tags] == ["pre", "code"] and all(not attrs for _, attrs in page.tags)
    assert page.text.rstrip("\n") == payload.replace("\r", "\n")  # the student's exact text, readable


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_text_renders_as_one_plain_paragraph(payload):
    page = render(markdown_text(payload))
    assert [tag for tag, _ in page.tags] == ["p"] and page.tags[0][1] == []
    assert page.text.strip() == " ".join(payload.split())  # the words as typed, on one line
    assert "\n" not in markdown_text(payload)


def test_markdown_text_keeps_plain_words_as_they_are():
    assert markdown_text("dW has the wrong sign") == "dW has the wrong sign"
    assert markdown_text("svm_loss_naive raised ValueError") == "svm_loss_naive raised ValueError"
    assert render(markdown_text("reg * sum(W**2) < 1 & x_i")).text.strip() == "reg * sum(W**2) < 1 & x_i"


def test_inert_markdown_of_nothing_is_nothing():
    assert inert_markdown("") == "" and inert_markdown(" \n\t") == ""


@pytest.mark.parametrize("name", ["knn\n<img src=x onerror=alert(1)>.ipynb", "knn \r\x1b[2J.ipynb",
                                  "evil\u202egnp.ipynb", "a\x00b"])
def test_file_labels_have_no_control_characters(name):
    label = file_label(name)
    assert label.isprintable() and len(label) == len(name)


def test_long_file_labels_keep_their_start_and_end():
    label = file_label("a" * 500 + ".ipynb")
    assert len(label) == MAX_LABEL_CHARS and label.startswith("aaa") and label.endswith("a.ipynb")


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx"])
def test_spreadsheet_text_cells_never_start_a_formula(text):
    assert spreadsheet_cell(text) == "'" + text


def test_spreadsheet_numbers_stay_numbers():
    assert [spreadsheet_cell(v) for v in (-3.0, 2.5, 100.0, 0)] == ["-3", "2.5", "100", "0"]
    assert spreadsheet_cell("alice") == "alice"


def test_only_builtin_exception_names_reach_the_student():
    for name in ("ValueError", "IndexError", "MemoryError", "NotImplementedError", "ZeroDivisionError"):
        assert exception_label(name) == name
    for name in ("Leak_3_1_4", "CallError", "print", "object", "int", "x" * 80, ""):
        assert exception_label(name) == OWN_EXCEPTION

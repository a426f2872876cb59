"""The figures a notebook saved: only checked PNGs are kept, under the template cell they belong to."""
from __future__ import annotations

import base64
import copy
import io
import json
import struct
import zlib

import pytest

from autograder.grading import notebook_intake, saved_figures


def png(width: int = 40, height: int = 30) -> bytes:
    """A real PNG drawn by Matplotlib (Agg), ``width`` x ``height`` pixels."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width / 10, height / 10), dpi=10)
    figure.add_subplot().plot([0, 1], [1, 0])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def declared(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height`` pixels (a pixel flood)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + header
    return saved_figures.PNG_SIGNATURE + struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))


def encoded(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def output(data: dict, kind: str = "display_data") -> dict:
    return {"output_type": kind, "data": data, "metadata": {}}


def test_only_checked_pngs_are_kept_and_they_are_re_encoded():
    image = png()
    cell = {"cell_type": "code", "outputs": [
        output({"image/png": encoded(image)[:40] + "\n" + encoded(image)[40:], "text/plain": "<Figure>"}),
        output({"text/html": "<script>window.__pwned = 1</script>"}),
        output({"image/svg+xml": "<svg onload='alert(1)'/>"}),
        output({"application/javascript": "alert(1)"}, "execute_result"),
        {"output_type": "stream", "name": "stdout", "text": "<b>printed</b>"},
        output({"image/png": "not base64 at all!"}),
        output({"image/png": encoded(b"GIF89a" + bytes(40))}),  # not a PNG
        output({"image/png": encoded(declared(100_000, 100_000))}),  # 10^10 pixels in a few bytes
        output({"image/png": encoded(saved_figures.PNG_SIGNATURE + bytes(saved_figures.MAX_PNG_BYTES))}),  # too big
        output({"image/png": encoded(image)}, "execute_result"),
    ]}
    assert saved_figures.png_outputs(cell) == [encoded(image), encoded(image)]
    assert saved_figures.png_outputs({"cell_type": "markdown", "outputs": cell["outputs"]}) == []
    assert saved_figures.checked_png(encoded(declared(4000, 4000))) is not None  # the largest kept


def test_the_budget_keeps_the_first_cells_images():
    image = encoded(png())
    size = len(base64.b64decode(image))
    kept = saved_figures.within_budget({"a": [image, image], "b": [image]}, budget=2 * size + 1)
    assert kept == {"a": [image, image]}


def test_the_intake_keeps_the_saved_figures_under_the_template_cells_ids(tmp_path):
    template = notebook_intake.load_template("knn")
    notebook = copy.deepcopy(template.notebook)
    image = encoded(png())
    anonymous = next(c for c in notebook["cells"] if c["cell_type"] == "code" and "nbgrader" not in c["metadata"])
    graded = next(c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id")
                  == "knn-cross-validation")
    anonymous["outputs"] = [output({"image/png": image}), output({"text/html": "<i>x</i>"})]
    graded["outputs"] = [output({"image/png": image})]
    graded["metadata"] = {}  # Colab dropped the metadata: the cell is found by its content
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "knn.ipynb").write_text(json.dumps(notebook))
    intake = notebook_intake.take_in(tmp_path, "knn")
    assert intake.figures == {anonymous["id"]: [image], "knn-cross-validation": [image]}

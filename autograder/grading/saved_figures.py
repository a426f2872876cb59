"""The figures a student's notebook saved, kept for the graders of its written answers.

A written answer often discusses a plot (the distance matrix, the cross-validation curve), and
the plot that answer is about is the one the student saved, made on the real CIFAR-10. The
gradebook's copy of each notebook is rebuilt from the release, so without this step a grader
sees no figure at all. Only PNG images are kept: every other output (HTML, JavaScript, SVG,
Markdown, LaTeX, text) is dropped, because formgrader renders a notebook's outputs as they are.

A kept image is checked, not trusted: valid base64, the PNG signature, an ``IHDR`` header first
with at most :data:`MAX_PIXELS` pixels (a tiny file can declare a huge image and stall the
grader's browser), at most :data:`MAX_PNG_BYTES` bytes; and at most :data:`MAX_NOTEBOOK_BYTES`
bytes of images per notebook. The image is re-encoded from its decoded bytes, so the stored text
is plain base64 and nothing else. Pure functions; nothing here knows about students or tests.
"""
from __future__ import annotations

import base64
import binascii
import struct

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Largest image kept (decoded bytes) and the images of one notebook together.
MAX_PNG_BYTES = 512 << 10
MAX_NOTEBOOK_BYTES = 2 << 20
#: Largest image kept, in pixels (width times height): 4000 x 4000.
MAX_PIXELS = 16_000_000
#: Output types that may carry an image.
IMAGE_OUTPUTS = ("display_data", "execute_result")


def checked_png(data: object) -> bytes | None:
    """The decoded PNG of an ``image/png`` output's data, or None when it is not one to keep."""
    if isinstance(data, list):
        data = "".join(str(part) for part in data)
    if not isinstance(data, str) or len(data) > 2 * MAX_PNG_BYTES:
        return None
    try:
        raw = base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) > MAX_PNG_BYTES or len(raw) < 24 or not raw.startswith(PNG_SIGNATURE) or raw[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", raw[16:24])
    if width == 0 or height == 0 or width * height > MAX_PIXELS:
        return None
    return raw


def png_outputs(cell: dict) -> list[str]:
    """The checked PNG images of one code cell's saved outputs, as base64 text, in order."""
    outputs = cell.get("outputs")
    if cell.get("cell_type") != "code" or not isinstance(outputs, list):
        return []
    kept = []
    for output in outputs:
        if not isinstance(output, dict) or output.get("output_type") not in IMAGE_OUTPUTS:
            continue
        data = output.get("data")
        raw = checked_png(data.get("image/png")) if isinstance(data, dict) else None
        if raw is not None:
            kept.append(base64.b64encode(raw).decode("ascii"))
    return kept


def within_budget(figures: dict[str, list[str]], budget: int = MAX_NOTEBOOK_BYTES) -> dict[str, list[str]]:
    """``figures`` (cell id -> images) cut to ``budget`` decoded bytes, first cells first."""
    kept: dict[str, list[str]] = {}
    used = 0
    for cell_id, images in figures.items():
        for image in images:
            size = len(image) * 3 // 4
            if used + size > budget:
                return kept
            used += size
            kept.setdefault(cell_id, []).append(image)
    return kept

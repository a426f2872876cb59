"""The reference implementation, loaded in the grading parent (never in a child).

The reference ``cs_utils`` lives in ``autograder/source``; the student stubs at the kit root
have the same package name, so the reference is imported with ``autograder/source`` first on
``sys.path`` and checked to come from there.
"""
from __future__ import annotations

import sys
from types import ModuleType

from autograder import SOURCE_ROOT


class ReferenceError_(RuntimeError):
    """The reference package cannot be imported, or another ``cs_utils`` is already loaded."""


def load_reference() -> ModuleType:
    """Return ``cs_utils.classifiers`` of the reference solutions."""
    loaded = sys.modules.get("cs_utils")
    if loaded is None:
        sys.path.insert(0, str(SOURCE_ROOT))
        import cs_utils.classifiers  # noqa: F401  (the reference, by the path just inserted)
    module = sys.modules["cs_utils"]
    origin = getattr(module, "__file__", "") or ""
    if not origin.startswith(str(SOURCE_ROOT)):
        raise ReferenceError_(
            f"cs_utils is already imported from {origin}, not from the reference in {SOURCE_ROOT}; "
            "the grader must be started in a fresh interpreter"
        )
    import cs_utils.classifiers as classifiers

    return classifiers

"""The reference implementation, loaded in the grading parent (never in a child).

The reference ``cs_utils`` lives in ``autograder/source``; the student stubs at the kit root have
the same package name. The package imports itself with relative imports only, so the grader
loads it under a private name of its own (:data:`PRIVATE_NAME`): ``sys.path`` is not touched, and
whatever ``cs_utils`` the process may also import (a test's, a student's) is a different package.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType

from autograder import SOURCE_ROOT

#: The name the reference package is imported under in the grader's process.
PRIVATE_NAME = "_reference_cs_utils"


def load_reference() -> ModuleType:
    """Return the reference's ``classifiers`` package (``_reference_cs_utils.classifiers``)."""
    if PRIVATE_NAME not in sys.modules:
        folder = SOURCE_ROOT / "cs_utils"
        spec = importlib.util.spec_from_file_location(PRIVATE_NAME, folder / "__init__.py",
                                                      submodule_search_locations=[str(folder)])
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load the reference package from {folder}")
        package = importlib.util.module_from_spec(spec)
        sys.modules[PRIVATE_NAME] = package
        try:
            spec.loader.exec_module(package)
        except BaseException:
            del sys.modules[PRIVATE_NAME]
            raise
    return importlib.import_module(f"{PRIVATE_NAME}.classifiers")

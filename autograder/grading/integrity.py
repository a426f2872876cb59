"""Integrity events found in the submission's source, read by the parent (never imported).

A submission that assigns to NumPy's comparisons, replaces a builtin or swaps an entry of
``sys.modules`` gains nothing (the parent judges plain numbers, THREAT_MODEL P1, P15b), and one
that opens the reference solution, a classmate's folder or ``/autograder/results`` finds those
covered (P10, P11); but the instructors want to know who tried. Each patched attribute becomes a
:class:`~.results.GradingEvent` of kind ``patched_module``, each path outside the submission in a
file that calls a file function one of kind ``outside_path``, in the staff's ``grading.json`` and
the class report, never in the student's feedback. The checks are static, on the snapshot the
parent read before any of the student's code ran, so the code cannot hide what it wrote plainly;
a patch or a path built at run time (``getattr`` games, ``exec``, joined strings) is not seen.

This module is the grader's own: unlike :mod:`.static`, it is not shipped with the student's
self-check.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from autograder.grading.results import OUTSIDE_PATH, PATCHED_MODULE, GradingEvent
from autograder.grading.safe_text import file_label
from autograder.grading.snapshot import SubmissionFiles
from autograder.grading.static import _dotted, _remembered, parse_source, walk  # one reading for all checks
from autograder.grading.submission import STARTER

#: The student's own package: theirs to change.
OWN_PACKAGE = "cs_utils"


#: The kit's runtime shipped inside the student package (the self-check's harness, which sets
#: ``sys.stdout`` and ``sys.modules`` entries by design); the grader never imports it from a submission.
KIT_RUNTIME = f"{OWN_PACKAGE}/_grading/"


#: Calls (by their last name) that read, write or list files: ``open``, ``glob.glob``,
#: ``os.listdir``, ``Path(...).read_text``, ``np.load`` and their kin.
FILE_CALLS = frozenset({"open", "glob", "iglob", "listdir", "scandir", "walk", "Path", "read_text", "read_bytes",
                        "write_text", "write_bytes", "load", "loadtxt", "genfromtxt", "fromfile", "copy",
                        "copyfile", "copytree", "makedirs", "mkdir", "remove", "unlink", "rename", "replace",
                        "symlink", "exists", "isfile", "isdir", "stat"})
#: Longest path quoted in an event.
MAX_PATH_CHARS = 80


#: The node types the checks read, grouped as they read them.
_WANTED = {ast.Import: "imports", ast.ImportFrom: "imports", ast.Assign: "assignments",
           ast.AugAssign: "assignments", ast.AnnAssign: "assignments", ast.Delete: "assignments",
           ast.Call: "calls", ast.Constant: "constants", ast.Module: "scopes", ast.ClassDef: "scopes",
           ast.FunctionDef: "scopes", ast.AsyncFunctionDef: "scopes"}


def _nodes(tree: ast.Module) -> dict[str, tuple[Any, ...]]:
    """The nodes of ``tree`` (a cached, read-only parse) the checks read, by group, in the order
    of ``ast.walk`` (:func:`.static.walk`); kept on the tree with the static checks' findings, so
    the two checks of a file group them once."""
    def grouped() -> dict[str, tuple[Any, ...]]:
        groups: dict[str, list[ast.AST]] = {group: [] for group in set(_WANTED.values())}
        for node in walk(tree):
            group = _WANTED.get(type(node))
            if group:
                groups[group].append(node)
        return {group: tuple(nodes) for group, nodes in groups.items()}

    return _remembered(tree, ("integrity groups",), grouped)


def patch_events(files: SubmissionFiles, starter: Path = STARTER) -> list[GradingEvent]:
    """The integrity events of the submission's Python files, file by file: patched module
    attributes, then paths outside the submission.

    Files the student did not write are skipped: the kit's runtime (:data:`KIT_RUNTIME`) and any
    file identical to the released starter's file of the same name (``starter`` is the released
    ``cs_utils/`` folder).
    """
    events = []
    for relative in sorted(files.files):
        if not relative.endswith(".py") or relative.startswith(KIT_RUNTIME) or _as_released(files, relative, starter):
            continue
        source = files.text(relative) or ""
        for patch in patched_modules(source):
            events.append(GradingEvent(PATCHED_MODULE, relative, patch))
        for path in outside_paths(source):
            events.append(GradingEvent(OUTSIDE_PATH, relative, path))
    return events


def outside_paths(source: str) -> list[str]:
    """Paths outside the submission that ``source`` spells out, when it also calls a file function.

    A string is such a path when it is absolute with at least two parts
    (``/autograder/results/results.json``, ``/tmp/*/work``; not a key such as ``"/race"``), starts
    at the home folder (``~/``) or climbs out (``../results.json``); docstrings do not count. Each
    gives ``"'/tmp/x' on line 4"``, the path cut to :data:`MAX_PATH_CHARS` characters. Empty when
    the source does not parse or calls no file function.

    >>> outside_paths("for p in ('../r.json', '/tmp/r.json'):\\n    open(p, 'w')\\n")
    ["'../r.json' on line 1", "'/tmp/r.json' on line 1"]
    >>> outside_paths("x = '/not/a/file/use'\\n")
    []
    """
    try:
        tree = parse_source(source)
    except (SyntaxError, ValueError):
        return []
    nodes = _nodes(tree)
    if not any(_last_name(node.func) in FILE_CALLS for node in nodes["calls"]):
        return []
    docstrings = {id(node.body[0].value) for node in nodes["scopes"]
                  if node.body and isinstance(node.body[0], ast.Expr)}
    found = []
    for node in nodes["constants"]:
        if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                and _outside(node.value)):
            found.append((node.lineno, node.col_offset, f"'{file_label(node.value, MAX_PATH_CHARS)}'"))
    return [f"{text} on line {line}" for line, _, text in sorted(found)]


def _outside(text: str) -> bool:
    """Whether ``text`` reads as a path outside the working folder (one line, no spaces at the ends)."""
    if not text or "\n" in text or text != text.strip() or len(text) < 2:
        return False
    absolute = text.startswith("/") and text[1] not in "/ " and "/" in text[1:].rstrip("/")
    return absolute or text.startswith(("~/", "../")) or "/../" in text


def _last_name(node: ast.AST) -> str:
    """``glob`` for ``glob.glob`` or ``glob``; empty for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _as_released(files: SubmissionFiles, relative: str, starter: Path) -> bool:
    """Whether ``relative`` holds exactly the released starter's bytes."""
    if not relative.startswith(f"{OWN_PACKAGE}/"):
        return False
    try:
        return (starter / relative.removeprefix(f"{OWN_PACKAGE}/")).read_bytes() == files.files[relative]
    except OSError:
        return False


def patched_modules(source: str) -> list[str]:
    """Attributes of modules the student did not write that ``source`` assigns, deletes or sets.

    ``np.allclose = ...``, ``setattr(numpy.testing, "assert_allclose", f)``, ``del np.isclose``,
    ``sys.modules["numpy"] = ...`` and ``builtins.float = ...`` each give one entry such as
    ``"numpy.allclose on line 12"``. The student's own package (``cs_utils``, relative imports) is
    theirs to change. Empty when the source does not parse.

    >>> patched_modules("import numpy as np\\nnp.allclose = lambda *a, **k: True\\n")
    ['numpy.allclose on line 2']
    >>> patched_modules("import numpy as np\\nx = np.zeros(3)\\nx.shape = (3, 1)\\n")
    []
    """
    try:
        tree = parse_source(source)
    except (SyntaxError, ValueError):
        return []
    nodes = _nodes(tree)
    modules = {"__builtins__": "builtins"}  # local name -> the module it stands for; reachable without an import
    for node in nodes["imports"]:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] != OWN_PACKAGE:
                    local = alias.asname or alias.name.split(".")[0]
                    modules[local] = alias.name if alias.asname else local
        elif (isinstance(node, ast.ImportFrom) and node.module and not node.level
              and node.module.split(".")[0] != OWN_PACKAGE):
            for alias in node.names:
                modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    found = []
    for node in (*nodes["assignments"], *nodes["calls"]):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = [leaf for target in node.targets for leaf in _leaves(target)]
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, ast.Delete):
            targets = [leaf for target in node.targets for leaf in _leaves(target)]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr")
              and node.args):
            owner = _module_path(node.args[0], modules)
            if owner:
                name = node.args[1].value if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) else "?"
                name = name if isinstance(name, str) else "?"
                found.append((node.lineno, f"{owner}.{name}"))
        for target in targets:
            if isinstance(target, ast.Attribute):
                owner = _module_path(target.value, modules)
                if owner:
                    found.append((target.lineno, f"{owner}.{target.attr}"))
            elif isinstance(target, ast.Subscript):
                owner = _module_path(target.value, modules)
                if owner in ("sys.modules", "builtins"):
                    found.append((target.lineno, f"{owner}[...]"))
    return [f"{name} on line {line}" for line, name in sorted(set(found))]


def _leaves(target: ast.expr) -> list[ast.expr]:
    """The single targets of an assignment target (``a, (b.c, d) = ...`` gives a, b.c and d)."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return [leaf for element in target.elts for leaf in _leaves(element)]
    if isinstance(target, ast.Starred):
        return _leaves(target.value)
    return [target]


def _module_path(node: ast.AST, modules: dict[str, str]) -> str:
    """``numpy.testing`` for ``npt`` or ``np.testing`` when those names are imported modules; else empty."""
    dotted = _dotted(node)
    if not dotted:
        return ""
    root, _, rest = dotted.partition(".")
    if root not in modules:
        return ""
    return f"{modules[root]}.{rest}" if rest else modules[root]

"""Checks on the student's source text, parsed with :mod:`ast` in the parent (never imported)."""
from __future__ import annotations

import ast
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

Remembered = TypeVar("Remembered")

#: Node types that are Python-level loops.
LOOP_NODES = {
    ast.For: "a for loop",
    ast.AsyncFor: "an async for loop",
    ast.While: "a while loop",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
}



@lru_cache(maxsize=64)
def parse_source(text: str) -> ast.Module:
    """``ast.parse(text)``, once per text: every check of a submission reads the same few files.

    Callers only read the tree. Raises what :func:`ast.parse` raises.
    """
    return ast.parse(text)

def find_function(tree: ast.AST, qualified: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The *last* definition of ``Class.method`` or ``function`` (a later one wins at import)."""
    *owners, name = qualified.split(".")
    scope: list[ast.stmt] = list(getattr(tree, "body", []))
    for owner in owners:
        classes = [node for node in scope if isinstance(node, ast.ClassDef) and node.name == owner]
        if not classes:
            return None
        scope = classes[-1].body
    functions = [
        node for node in scope if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name
    ]
    return functions[-1] if functions else None


def python_loops(source: str, qualified: str) -> list[str] | None:
    """Describe every loop in function ``qualified`` of ``source`` ("a for loop on line 12").

    Returns None when the source does not parse or the function is not defined at the top of the
    module (or of its class).
    """
    try:
        tree = parse_source(source)
    except (SyntaxError, ValueError):
        return None
    function = find_function(tree, qualified)
    if function is None:
        return None
    loops = sorted(
        (node.lineno, node.col_offset, LOOP_NODES[type(node)])
        for node in walk(function)
        # Every loop node is a statement or an expression; the isinstance check tells mypy
        # that it has a position (lineno, col_offset).
        if isinstance(node, (ast.stmt, ast.expr)) and type(node) in LOOP_NODES
    )
    return [f"{kind} on line {line}" for line, _, kind in loops]


#: How deep ``loops_in_calls`` follows calls into the student's own code.
MAX_CALL_DEPTH = 4


def loops_in_calls(read: Callable[[str], str | None], relative: str, qualified: str) -> list[str] | None:
    """Like :func:`python_loops`, and also the loops of the student's own functions it calls.

    A vectorized function that calls the naive one (or a helper with a loop) is not vectorized:
    ``read(relative_path)`` gives the text of any file of the student's package, and calls are
    followed to functions of the same module, methods of the same class (``self.m(...)``) and
    names imported from the package, by its name or relatively (``from cs_utils.classifiers.linear_svm
    import f``, ``from .linear_svm import f``, ``from . import linear_svm``), a few levels deep.
    Returns None when the function itself cannot be found.
    """

    def loops(tree: ast.Module, function: ast.AST, name: str, caller: str | None) -> list[str]:
        where = "" if caller is None else f" of {name} (called from {caller})"
        return [f"{kind} on line {line}{where}" for line, kind in _loops(function)]

    return _through_calls(read, relative, qualified, loops)


def _through_calls(read: Callable[[str], str | None], relative: str, qualified: str,
                   collect: Callable[[ast.Module, ast.AST, str, str | None], list[str]]) -> list[str] | None:
    """``collect(tree, function, name, caller)`` over ``qualified`` and the student's own functions
    it calls (see :func:`loops_in_calls`); None when ``qualified`` itself cannot be found."""
    found: list[str] = []
    seen: set[tuple[str, str]] = set()

    def visit(path: str, name: str, depth: int, caller: str | None) -> bool:
        if (path, name) in seen or depth > MAX_CALL_DEPTH:
            return True
        seen.add((path, name))
        text = read(path)
        try:
            tree = parse_source(text) if text is not None else None
        except (SyntaxError, ValueError):
            tree = None
        function = find_function(tree, name) if tree is not None else None
        if tree is None or function is None:
            return caller is not None  # an unknown callee is someone else's code: nothing to say
        found.extend(collect(tree, function, name, caller))
        for callee_path, callee in _callees(tree, function, path, name):
            visit(callee_path, callee, depth + 1, name)
        return True

    return found if visit(relative, qualified, 0, None) else None


def walk(node: ast.AST) -> tuple[ast.AST, ...]:
    """Every node under ``node``, itself included, in the order of ``ast.walk`` (breadth first),
    listed once per node and kept on it: a few times quicker than ``ast.walk``, which the checks
    of one submission would otherwise repeat over the same functions."""
    def listed() -> tuple[ast.AST, ...]:
        queue: list[ast.AST] = [node]
        position = 0
        while position < len(queue):
            current = queue[position]
            position += 1
            for name in current._fields:
                value = getattr(current, name, None)
                if isinstance(value, ast.AST):
                    queue.append(value)
                elif isinstance(value, list):
                    queue.extend(item for item in value if isinstance(item, ast.AST))
        return tuple(queue)

    return _remembered(node, ("walk",), listed)


def _remembered(node: ast.AST, key: tuple, compute: Callable[[], Remembered]) -> Remembered:
    """``compute()``, kept on ``node`` under ``key``: the judges of one submission ask about the same
    functions many times, and :func:`parse_source` hands every caller the same (read-only) tree."""
    memo = node.__dict__.setdefault("_grader_memo", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def _loops(function: ast.AST) -> tuple[tuple[int, str], ...]:
    return _remembered(function, ("loops",), lambda: tuple(sorted(
        (node.lineno, LOOP_NODES[type(node)])
        for node in walk(function)
        if isinstance(node, (ast.stmt, ast.expr)) and type(node) in LOOP_NODES
    )))


def _callees(tree: ast.Module, function: ast.AST, path: str, qualified: str) -> tuple[tuple[str, str], ...]:
    """(file, qualified name) of every call in ``function`` that lands in the student's package."""
    return _remembered(function, ("callees", path, qualified), lambda: tuple(_find_callees(tree, function, path,
                                                                                           qualified)))


def _find_callees(tree: ast.Module, function: ast.AST, path: str, qualified: str) -> list[tuple[str, str]]:
    owner = qualified.rsplit(".", 1)[0] if "." in qualified else None
    imported: dict[str, tuple[str, str]] = {}  # local name -> (file, function)
    modules: dict[str, str] = {}  # local alias -> file of an imported cs_utils module
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            source = _imported_module(node, path)
            for alias in node.names if source is not None else ():
                if node.module is None:  # from . import linear_svm: a module, by name
                    modules[alias.asname or alias.name] = f"{source}/{alias.name}.py"
                else:
                    imported[alias.asname or alias.name] = (f"{source}.py", alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "cs_utils" and alias.asname:
                    modules[alias.asname] = alias.name.replace(".", "/") + ".py"
    top_level = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    callees = []
    for call in walk(function):
        if not isinstance(call, ast.Call):
            continue
        target = call.func
        if isinstance(target, ast.Name):
            if target.id in top_level:
                callees.append((path, target.id))
            elif target.id in imported:
                callees.append(imported[target.id])
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            if target.value.id == "self" and owner is not None:
                callees.append((path, f"{owner}.{target.attr}"))
            elif target.value.id in modules:
                callees.append((modules[target.value.id], target.attr))
    return callees


def _imported_module(node: ast.ImportFrom, path: str) -> str | None:
    """The student-package path (no ``.py``) that ``node`` imports from, for an absolute
    ``from cs_utils... import`` or a relative one (``from .linear_svm import f`` in ``path``);
    None for anything outside the package."""
    if node.level == 0:
        if node.module and node.module.split(".")[0] == "cs_utils":
            return node.module.replace(".", "/")
        return None
    package = path.split("/")[:-1]  # cs_utils/classifiers/softmax.py -> [cs_utils, classifiers]
    if node.level - 1 >= len(package):
        return None
    base = package[:len(package) - (node.level - 1)]
    return "/".join([*base, *(node.module.split(".") if node.module else [])])


#: Libraries that compute distances for the student: using them in a distance function breaks the
#: assignment's rules (the handout says so; the grader and the self-check detect it the same way).
FORBIDDEN_MODULES = ("scipy", "sklearn")


def forbidden_helpers(read: Callable[[str], str | None], relative: str, qualified: str) -> list[str] | None:
    """Uses of ``np.linalg.norm``, SciPy or scikit-learn in ``qualified`` or the student's own
    functions it calls ("np.linalg.norm on line 12"); None when the function cannot be found."""
    def uses(tree: ast.Module, function: ast.AST, name: str, caller: str | None) -> list[str]:
        return _forbidden_uses(tree, function)

    found = _through_calls(read, relative, qualified, uses)
    return None if found is None else sorted(set(found))


def _forbidden_uses(tree: ast.Module, function: ast.AST) -> list[str]:
    """What ``function`` uses from the forbidden libraries or ``numpy.linalg.norm``."""
    return list(_remembered(function, ("forbidden",), lambda: tuple(_find_forbidden_uses(tree, function))))


def _find_forbidden_uses(tree: ast.Module, function: ast.AST) -> list[str]:
    bound: dict[str, str] = {}  # local name -> what it stands for ("scipy", "numpy.linalg", "norm")
    for node in [*tree.body, *walk(function)]:
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    uses = []
    for node in walk(function):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            uses += [f"an import of {m.split('.')[0]} on line {node.lineno}"
                     for m in modules if m.split(".")[0] in FORBIDDEN_MODULES]
        if isinstance(node, ast.Attribute) and node.attr == "norm" and _dotted(node.value).endswith("linalg"):
            uses.append(f"np.linalg.norm on line {node.lineno}")
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in bound:
            origin = bound[node.id]
            if origin.split(".")[0] in FORBIDDEN_MODULES:
                uses.append(f"{origin.split('.')[0]} ({node.id}) on line {node.lineno}")
            elif origin.endswith("linalg.norm"):
                uses.append(f"np.linalg.norm on line {node.lineno}")
    return uses


def _dotted(node: ast.AST) -> str:
    """``np.linalg`` for the expression ``np.linalg``; empty for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""

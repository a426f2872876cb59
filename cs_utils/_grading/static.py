"""Checks on the student's source text, parsed with :mod:`ast` in the parent (never imported)."""
from __future__ import annotations

import ast

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
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    function = find_function(tree, qualified)
    if function is None:
        return None
    loops = sorted(
        (node.lineno, node.col_offset, LOOP_NODES[type(node)])
        for node in ast.walk(function)
        # Every loop node is a statement or an expression; the isinstance check tells mypy
        # that it has a position (lineno, col_offset).
        if isinstance(node, (ast.stmt, ast.expr)) and type(node) in LOOP_NODES
    )
    return [f"{kind} on line {line}" for line, _, kind in loops]

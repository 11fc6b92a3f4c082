"""The shape docs/architecture.md describes, kept: an import inside a function is only for a
real cycle (or a reason as strong), and says so in a comment. Such imports hid the circles
between the apps once; the layers themselves are import-linter's (.importlinter, `make lint`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import kiemdich

SOURCES = Path(kiemdich.__file__).parent
# Comments that only speak to a tool explain nothing to a reader.
PRAGMAS = ("noqa", "type:", "pragma")


def _explains(line: str) -> bool:
    comment = line.partition("#")[2].strip()
    return bool(comment) and not comment.startswith(PRAGMAS)


def _is_ready(function: ast.AST, owner: ast.AST | None) -> bool:
    """`AppConfig.ready()`: the models are importable only from there on."""
    return (isinstance(function, ast.FunctionDef) and function.name == "ready"
            and isinstance(owner, ast.ClassDef)
            and any(ast.unparse(base).endswith("AppConfig") for base in owner.bases))


def _function_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The imports inside function bodies, but those of `AppConfig.ready()`."""
    found: list[ast.Import | ast.ImportFrom] = []

    def walk(node: ast.AST, function: ast.AST | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                exempt = _is_ready(child, node)
                walk(child, None if exempt else child)
            elif isinstance(child, ast.Import | ast.ImportFrom):
                if function is not None:
                    found.append(child)
            else:
                walk(child, function)

    walk(tree, None)
    return found


def unexplained(source: str) -> list[int]:
    """The lines of the imports inside functions without a comment on their line or on the
    line above; imports written one under the other (a blank line between their groups)
    share the comment above the first."""
    lines = [""] + source.splitlines()  # lines[n] is line n
    imports = _function_imports(ast.parse(source))
    import_lines = {n for node in imports for n in range(node.lineno, (node.end_lineno or 0) + 1)}
    found = []
    for node in imports:
        above = node.lineno - 1
        while above in import_lines or (not lines[above].strip() and above - 1 in import_lines):
            above -= 1
        own = lines[node.lineno:(node.end_lineno or node.lineno) + 1]
        if not (lines[above].lstrip().startswith("#") and _explains(lines[above])) \
                and not any(_explains(line) for line in own):
            found.append(node.lineno)
    return found


def test_every_import_inside_a_function_says_why() -> None:
    found = [f"{path.relative_to(SOURCES.parent)}:{line}"
             for path in sorted(SOURCES.rglob("*.py")) if "migrations" not in path.parts
             for line in unexplained(path.read_text("utf-8"))]
    assert found == []


def test_the_check_refuses_a_bare_import_and_accepts_an_explained_one() -> None:
    source = """from django.apps import AppConfig


class Config(AppConfig):
    def ready(self):
        from a import models


def bare():
    from b import c


def pragma_only():
    from b import d  # noqa: F401


def explained_above():
    # A cycle: b imports this module.
    from b import e

    from c import f


def explained_inline():
    from b import g  # a cycle: b imports this module


def nested():
    def inner():
        from b import h
"""
    assert unexplained(source) == [10, 14, 30]

"""The house rules, checked on the code's own imports (docs/architecture.md).

* Front ends (``workbench.gui``, ``workbench.cli``) use the engine only
  through its facade ``workbench.engine``, and every name they take from it
  is in the facade's ``_EXPORTS``.
* No two modules of ``workbench`` import each other, directly or around a
  loop (an import cycle makes the import order part of the behaviour).

``lint-imports`` (contracts in pyproject.toml) checks the layers inside the
engine and that the engine never imports Qt or a front end.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRONT_ENDS = ("workbench/gui", "workbench/cli", "packaging")  # packaging: the bundle's entry point


def _front_end_imports() -> list[tuple[str, int, str, list[str]]]:
    """(file, line, module, names) for every import statement of a front end,
    including those inside functions (most of them are lazy)."""
    found = []
    for folder in FRONT_ENDS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            rel = str(path.relative_to(ROOT))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    found.append((rel, node.lineno, node.module, [a.name for a in node.names]))
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        found.append((rel, node.lineno, alias.name, []))
    return found


def test_front_ends_import_only_the_engine_facade():
    offenders = [
        f"{path}:{line}: {module}"
        for path, line, module, _ in _front_end_imports()
        if module.startswith("workbench.engine.")
    ]
    assert offenders == [], (
        "front ends must import engine names from `workbench.engine` (add the name to "
        "_EXPORTS in workbench/engine/__init__.py):\n" + "\n".join(offenders)
    )


def test_every_name_front_ends_take_from_the_facade_is_exported():
    import workbench.engine as engine

    missing = [
        f"{path}:{line}: {name}"
        for path, line, module, names in _front_end_imports()
        if module == "workbench.engine"
        for name in names
        if name not in engine._EXPORTS
    ]
    assert missing == [], "names missing from workbench.engine._EXPORTS:\n" + "\n".join(missing)


def test_every_facade_name_resolves():
    import workbench.engine as engine

    broken = []
    for name in engine.__all__:
        try:
            getattr(engine, name)
        except (AttributeError, ImportError) as exc:
            broken.append(f"{name} -> {engine._EXPORTS[name]}: {exc}")
    assert broken == []


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.find_modules_directly_imported_by(v):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return components


def test_no_import_cycles():
    import grimp  # comes with import-linter (the `test` extra)

    graph = grimp.build_graph("workbench", cache_dir=None)
    assert _cycles(graph) == []


def test_every_package_is_in_pyproject_packages():
    """A package missing from the list is missing from the installed app."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "workbench").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert sorted(found - listed) == []


def test_no_module_imports_another_modules_private_names():
    """A helper used by another module is public API of its proper module
    (a private name imported elsewhere is a hidden interface)."""
    offenders = []
    for path in sorted((ROOT / "workbench").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("workbench"):
                offenders += [
                    f"{path.relative_to(ROOT)}:{node.lineno}: {node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and not alias.name.startswith("__")
                ]
    assert offenders == []

"""The shape of the code: no import cycles, and the kinds of record declared in one place."""

from __future__ import annotations

import ast
from pathlib import Path

import msgspec

from registry import models
from registry.store.kinds import KINDS

PACKAGE = Path(__file__).resolve().parent.parent / "registry"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of `registry` it imports, wherever the import statement is (at
    the top, inside a function, under `if TYPE_CHECKING`)."""
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                # `from registry import models` imports a module; `from registry.db import
                # Registry` a name of one.
                imported |= {f"{base}.{a.name}" if f"{base}.{a.name}" in paths else base
                             for a in node.names}
        graph[name] = {m for m in imported if m in paths and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while (w := stack.pop()) != v:
                group.append(w)
            if group:
                found.append(sorted([v, *group]))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_is_read_from_the_code():
    graph = import_graph()
    assert "registry.store.kinds" in graph["registry.db"]  # from registry.store.kinds import
    assert "registry.models" in graph["registry.store.kinds"]  # from registry import models
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles():
    assert cycles(import_graph()) == []


MAX_MODULE_LINES = 420
MAX_FUNCTION_LINES = 65
"""About 400 and 60: a module that says what it holds fits in a reader's head."""
DECLARATIONS = {"registry/migrations.py"}
"""A migration declares tables column by column and never changes once released."""


def test_no_module_over_about_400_lines_and_no_function_over_about_60():
    long_modules, long_functions = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        where = str(path.relative_to(PACKAGE.parent))
        if text.count("\n") > MAX_MODULE_LINES:
            long_modules.append(f"{where}: {text.count(chr(10))} lines")
        if where in DECLARATIONS:
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long_functions.append(f"{where}:{node.lineno} {node.name}: {length} lines")
    assert long_modules == []
    assert long_functions == []


def test_storage_import_and_export_do_not_branch_on_the_kind():
    """What differs between kinds is declared in `registry.store.kinds`, not tested for."""
    files = [*(PACKAGE / "store").glob("*.py"), PACKAGE / "db.py", PACKAGE / "importer.py",
             PACKAGE / "bundles.py", PACKAGE / "exporter.py", PACKAGE / "csvio.py"]
    branches = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                kinds = [n for n in sides if ast.unparse(n) in ("kind", "kind.name", "table")]
                named = [n for n in sides if isinstance(n, ast.Tuple | ast.List | ast.Set)
                         or isinstance(n, ast.Constant) and isinstance(n.value, str)]
                if kinds and named:  # kind == "agreements", kind in ("tools", ...)
                    branches.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert branches == []


def test_each_kind_is_declared_as_the_models_and_the_bundle_have_it():
    assert list(KINDS) == list(models.RECORD_TYPES)
    for name, kind in KINDS.items():
        assert (kind.input, kind.stored) == models.RECORD_TYPES[name]
        assert kind.singular == models.SINGULAR[name]
        assert name in models.Bundle.__struct_fields__
        assert "id" in kind.stored.__struct_fields__ and kind.table == name
        for ref in kind.references:
            assert ref.field in kind.input.__struct_fields__ and ref.target in KINDS
            assert list(KINDS).index(ref.target) < list(KINDS).index(name)  # dependency order
    assert [f.name for f in msgspec.structs.fields(models.Bundle)
            if f.name in KINDS] == list(KINDS)


# --- two wings that meet at the published file -------------------------------------------------

FLOOR = {"registry", "registry.csvsafe", "registry.domains", "registry.headers", "registry.kept",
         "registry.labels", "registry.labels.board_check", "registry.labels.board_list",
         "registry.labels.boards", "registry.labels.rollback", "registry.limits", "registry.pids", "registry.problem",
         "registry.published"}
"""What both wings use; it imports neither."""

READ_WING = """
import importlib, importlib.metadata, json, pkgutil, sys
import registry.whitelist
for module in pkgutil.walk_packages(registry.whitelist.__path__, "registry.whitelist."):
    importlib.import_module(module.name)
plugin, = [e for e in importlib.metadata.entry_points(group="datasette")
           if e.name == "school_whitelist"]
plugin.load()
import datasette.app  # loads every Datasette plugin of its entry point
from registry.whitelist.app import create_read_app
create_read_app(sys.argv[1])
print(json.dumps(sorted(m for m in sys.modules if m.partition(".")[0] == "registry")))
"""


def loaded_by(code: str, *args: str) -> set[str]:
    """The `registry` modules a fresh interpreter has loaded after running `code`, which prints
    them as a JSON list."""
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          check=True)
    return set(json.loads(done.stdout))


def test_the_read_side_loads_nothing_of_the_write_side(tmp_path):
    """Every module of the read wing, its Datasette plugin as the entry point loads it and the
    read app factory, in a fresh interpreter: only the wing and the floor are loaded."""
    loaded = loaded_by(READ_WING, str(tmp_path / "witte-lijst.db"))
    assert {"registry.whitelist.app", "registry.whitelist.datasette.queries",
            "registry.whitelist.api", "registry.labels"} <= loaded
    write_side = {m for m in loaded if m not in FLOOR and not m.startswith("registry.whitelist")}
    assert write_side == set()


def test_the_floor_loads_neither_wing():
    code = (f"import importlib, json, sys\nfor m in {sorted(FLOOR)!r}: importlib.import_module(m)"
            "\nprint(json.dumps(sorted(m for m in sys.modules if m.startswith('registry'))))")
    assert loaded_by(code) == FLOOR


# --- the tests: shared through fixtures, never imported ---------------------------------------

TESTS = Path(__file__).resolve().parent


def imports_of_tests(source: str) -> list[str]:
    """What a module imports of the `tests` package, wherever the statement is; relative
    imports are of it too."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.partition(".")[0] == "tests"]
        elif isinstance(node, ast.ImportFrom) and (
                node.level or (node.module or "").partition(".")[0] == "tests"):
            found.append("." * node.level + (node.module or ""))
    return found


def test_imports_of_tests_are_found_anywhere_in_a_module():
    for source, found in [
        ("from tests.conftest import demo_client", ["tests.conftest"]),
        ("import tests.browser", ["tests.browser"]),
        ("from .test_domains import CORPUS", [".test_domains"]),
        ("def f():\n    from tests import conftest", ["tests"]),
        ("from registry.tests import x\nimport testsuite", []),
    ]:
        assert imports_of_tests(source) == found, source


def test_no_test_module_imports_another_or_its_fixtures():
    """Fixtures come through conftest.py (and the plugin it names), data a module needs as it
    is collected from a file: a fixture imported by name is a second definition of it, and a
    module imported by another ties the two together."""
    offenders = {path.name: found for path in sorted(TESTS.glob("test_*.py"))
                 if (found := imports_of_tests(path.read_text(encoding="utf-8")))}
    assert offenders == {}

"""ChainMatch's architecture, checked over the source (AST, no import): the one-way data flow and the size rules
of docs/architecture.md.

Import rules (every import counts — at module level, inside functions, under `if TYPE_CHECKING:`; relative imports
are resolved against the file's package; `from pkg import name` counts as importing `pkg.name` when that is a
module):
  1. graph/ imports nothing from kernel/, api/ or any capability package.
  2. kernel/ imports only graph.schema and graph.snapshot of ChainMatch's code (and itself; third-party freely).
  3. A capability's read side (every module but commands, router, pages, cli) imports only graph.schema,
     graph.snapshot, graph.validation, graph.messages, graph.uscc, the file-parsing parts of graph.io (readers,
     columns, values, specs, report, export), kernel.*, and the read side of any capability (its own included).
  4. Only a capability's commands (commands.py or commands/) use graph.store, graph.writer, graph.service, the
     store backends or graph.io.importer.
  5. A capability's router/pages/cli import of api/ only api.deps, api.auth, api.cli_common, api.errors, and of
     another capability only its top-level package (`import targets`, `from targets import targets_for`).
  6. api/settings.py imports no ChainMatch code (pydantic, pydantic-settings and the standard library only).
Size rules (8): a file over 400 lines says why in its module docstring (a line starting "Over 400 lines:"); no
function over 80 lines (end_lineno - lineno + 1, decorators excluded). They cover seed_data/ and bench/ too, which
the import rules leave alone.

Each failure names the file, the line, the imported module and the rule, so the message alone says what to fix.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CAPABILITIES = ("chains", "dossier", "targets", "membership", "land", "incentives", "pipeline", "alerts", "search")
CHECKED = ("graph", "kernel", "api") + CAPABILITIES
OURS = set(CHECKED) | {"seed_data", "bench", "tools", "tests"}
SIZE_CHECKED = CHECKED + ("seed_data", "bench", "tests", "tools")  # the size rules hold for the seed generator, benchmarks, tests and tools too
EDGES = ("router", "pages", "cli")
WRITE_SIDE = ("graph.store", "graph.writer", "graph.service", "graph.sqlite_store", "graph.neo4j_store",
              "graph.io.importer")
READ_SIDE_GRAPH = ("graph.schema", "graph.snapshot", "graph.validation", "graph.messages", "graph.uscc",
                   "graph.io.readers", "graph.io.columns", "graph.io.values", "graph.io.specs", "graph.io.report", "graph.io.export")
EDGE_API = ("api.deps", "api.auth", "api.cli_common", "api.errors")
MAX_FILE_LINES, MAX_FUNCTION_LINES = 400, 80
WHY_LONG = "Over 400 lines:"


@dataclass(frozen=True)
class Violation:
    file: str
    line: int
    what: str  # the imported module, or the function
    rule: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.what} — {self.rule}"


def _within(module: str, prefixes: tuple[str, ...] | set[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(root: Path, dotted: str) -> bool:
    p = root.joinpath(*dotted.split("."))
    return p.with_suffix(".py").is_file() or (p / "__init__.py").is_file()


def imports(path: Path, root: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path, root)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join(p for p in (*parts, base) if p)
            for a in node.names:
                sub = f"{base}.{a.name}"
                out.append((node.lineno, sub if a.name != "*" and _is_module(root, sub) else base))
    return out


def role(path: Path, root: Path) -> tuple[str, str]:
    """(top package, role): role is 'graph', 'kernel', 'settings', 'api', 'commands', 'edge' or 'read'."""
    parts = path.relative_to(root).with_suffix("").parts
    top = parts[0]
    if top in ("graph", "kernel"):
        return top, top
    if top == "api":
        return top, "settings" if parts[1:] == ("settings",) else "api"
    if len(parts) > 1 and parts[1] == "commands":
        return top, "commands"
    return top, "edge" if len(parts) == 2 and parts[1] in EDGES else "read"


def _is_read_side(module: str) -> bool:
    parts = module.split(".")
    return parts[0] in CAPABILITIES and not (len(parts) > 1 and parts[1] in ("commands",) + EDGES)


def import_rule_broken(top: str, kind: str, module: str) -> str | None:
    """Why importing `module` from a module of package `top` with role `kind` breaks a rule (None if it does not)."""
    first = module.split(".")[0]
    if first not in OURS:
        return None  # standard library or third-party
    if kind == "graph":
        if first in ("kernel", "api") + CAPABILITIES:
            return "rule 1: graph/ imports nothing from kernel/, api/ or a capability package"
    elif kind == "kernel":
        if first != "kernel" and not _within(module, ("graph.schema", "graph.snapshot")):
            return "rule 2: kernel/ imports only graph.schema and graph.snapshot"
    elif kind == "settings":
        return "rule 6: api/settings.py imports no ChainMatch code (pydantic / pydantic-settings / stdlib only)"
    elif kind == "read":
        if _within(module, WRITE_SIDE):
            return f"rule 3/4: the read side of {top}/ never uses the store or the writer (only commands do)"
        if first == "graph" and not _within(module, READ_SIDE_GRAPH):
            return f"rule 3: the read side of {top}/ imports of graph/ only {', '.join(READ_SIDE_GRAPH)}"
        if first in ("api", "seed_data", "bench", "tools", "tests"):
            return f"rule 3: the read side of {top}/ imports nothing from {first}/"
        if first in CAPABILITIES and not _is_read_side(module):
            return f"rule 3: the read side of {top}/ imports only the read side of capabilities (not commands, router, pages, cli)"
    elif kind == "edge":
        if _within(module, WRITE_SIDE):
            return f"rule 4: only {top}/commands uses the store or the writer; the router/pages/cli call the commands"
        if first == "api" and not _within(module, EDGE_API):
            return f"rule 5: a router/pages/cli imports of api/ only {', '.join(EDGE_API)}"
        if first in CAPABILITIES and first != top and module != first:
            return f"rule 5: a router/pages/cli uses another capability only through its package (`from {first} import …`)"
    elif kind == "commands":
        if first == "api":
            return f"rule 4: {top}/commands is domain code and imports nothing from api/"
    return None


def import_violations(root: Path = ROOT) -> list[Violation]:
    out = []
    for pkg in CHECKED:
        for path in sorted((root / pkg).rglob("*.py")):
            top, kind = role(path, root)
            for line, module in sorted(set(imports(path, root))):
                why = import_rule_broken(top, kind, module)
                if why:
                    out.append(Violation(str(path.relative_to(root)), line, f"imports {module}", why))
    return out


def size_violations(root: Path = ROOT) -> list[Violation]:
    out = []
    for pkg in SIZE_CHECKED:
        for path in sorted((root / pkg).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            tree = ast.parse(text, filename=str(path))
            rel = str(path.relative_to(root))
            n = len(text.splitlines())
            doc = ast.get_docstring(tree) or ""
            if n > MAX_FILE_LINES and not any(ln.strip().startswith(WHY_LONG) for ln in doc.splitlines()):
                out.append(Violation(rel, 1, f"{n} lines",
                                     f"rule 8: over {MAX_FILE_LINES} lines; split by job, or say why in the module "
                                     f"docstring (a line starting {WHY_LONG!r})"))
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    length = node.end_lineno - node.lineno + 1
                    if length > MAX_FUNCTION_LINES:
                        out.append(Violation(rel, node.lineno, f"function {node.name} has {length} lines",
                                             f"rule 8: no function over {MAX_FUNCTION_LINES} lines"))
    return out


def _report(violations: list[Violation]) -> str:
    return f"{len(violations)} violation(s) (see docs/architecture.md):\n" + "\n".join(map(str, violations))


def test_imports_follow_the_one_way_data_flow():
    found = import_violations()
    assert not found, _report(found)


def test_files_and_functions_stay_small():
    found = size_violations()
    assert not found, _report(found)


# ------------------------------------------------------------------------------- the checker is not vacuous
BAD = {
    "graph/schema.py": "import api.app\n",
    "kernel/resolve.py": "def f():\n    from graph.store import GraphStore\n",
    "api/settings.py": "from graph.schema import Label\n",
    "land/__init__.py": "",
    "land/commands.py": "from api.deps import StoreDep\n",
    "land/matching.py": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from graph.writer import write_objects\n"
                         "from . import commands\nfrom graph.io import importer\nimport numpy\n"),
    "land/router.py": "from targets.ranker import rank\nfrom api.settings import get_settings\nimport targets\n",
    "targets/__init__.py": "",
    "targets/ranker.py": "from ..land.matching import x\n",
    "graph/io/__init__.py": "",
    "graph/io/importer.py": "",
    "graph/writer.py": "",
}


def _tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


def test_the_checker_names_file_line_and_module_of_each_broken_rule(tmp_path):
    _tree(tmp_path, BAD)
    found = {(v.file, v.line, v.what, v.rule.split(":")[0]) for v in import_violations(tmp_path)}
    assert found == {
        ("graph/schema.py", 1, "imports api.app", "rule 1"),
        ("kernel/resolve.py", 2, "imports graph.store", "rule 2"),
        ("api/settings.py", 1, "imports graph.schema", "rule 6"),
        ("land/commands.py", 1, "imports api.deps", "rule 4"),
        ("land/matching.py", 3, "imports graph.writer", "rule 3/4"),
        ("land/matching.py", 4, "imports land.commands", "rule 3"),
        ("land/matching.py", 5, "imports graph.io.importer", "rule 3/4"),
        ("land/router.py", 1, "imports targets.ranker", "rule 5"),
        ("land/router.py", 2, "imports api.settings", "rule 5"),
    }, sorted(found)


def test_the_size_rules_catch_a_long_file_and_a_long_function(tmp_path):
    long_function = "def f():\n" + "    x = 1\n" * 80
    _tree(tmp_path, {
        "kernel/long.py": long_function + "\n" * 330,
        "kernel/explained.py": '"""A table.\n\nOver 400 lines: one table of codes.\n"""\n' + "X = 1\n" * 420,
        "kernel/short.py": "def g():\n" + "    x = 1\n" * 79,
    })
    found = [str(v) for v in size_violations(tmp_path)]
    assert len(found) == 2, found
    assert any(s.startswith("kernel/long.py:1: 411 lines") for s in found), found
    assert any(s.startswith("kernel/long.py:1: function f has 81 lines") for s in found), found


def test_the_size_rules_cover_the_seed_generator_and_the_benchmarks(tmp_path):
    long_function = "def main():\n" + "    x = 1\n" * 80
    _tree(tmp_path, {"bench/bench_x.py": long_function, "seed_data/generator.py": long_function})
    found = sorted(str(v) for v in size_violations(tmp_path))
    assert [s.split(" —")[0] for s in found] == ["bench/bench_x.py:1: function main has 81 lines",
                                                 "seed_data/generator.py:1: function main has 81 lines"], found


def test_test_modules_have_unique_basenames():
    """pytest imports test modules by their basename (the test folders are not packages): two tests/*/test_cli.py
    break collection of the whole suite, which a run of one folder does not show."""
    seen: dict[str, Path] = {}
    clashes = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        if path.name in seen:
            clashes.append(f"{seen[path.name].relative_to(ROOT)} ↔ {path.relative_to(ROOT)}")
        seen.setdefault(path.name, path)
    assert not clashes, "测试模块同名（请改名）：" + "；".join(clashes)

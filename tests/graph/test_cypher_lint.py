"""Every Cypher statement the Neo4j backend can send passes the official Neo4j linter.

The linter is tools/cypher-lint (npm package @neo4j-cypher/language-support, `lintCypherQuery`); the Makefile
runs `npm ci` there before the tests. Errors AND warnings fail. A second test feeds the linter deliberately
broken statements, so the first cannot pass because the linter silently checks nothing.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from graph import neo4j_store
from graph.neo4j_store import statements
from graph.schema import RELATIONS, Label

REPO = Path(__file__).resolve().parents[2]
LINT_DIR = REPO / "tools" / "cypher-lint"
LINT = LINT_DIR / "lint.mjs"
FAILING = ("error", "warning")


def _linter_missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed: cannot run the Cypher linter (tools/cypher-lint)"
    if not (LINT_DIR / "node_modules" / "@neo4j-cypher" / "language-support").is_dir():
        return f"Cypher linter not installed: run `npm ci` in {LINT_DIR.relative_to(REPO)} (`make test` does)"
    return None


@pytest.fixture
def linter() -> None:
    """Skip, saying why, when node or the linter is missing — but fail under `make test`, which installs it
    and sets CHAINMATCH_REQUIRE_CYPHER_LINT=1, so CI cannot skip the lint by accident."""
    missing = _linter_missing()
    if missing:
        if os.environ.get("CHAINMATCH_REQUIRE_CYPHER_LINT") == "1":
            pytest.fail(missing + " (CHAINMATCH_REQUIRE_CYPHER_LINT=1)")
        pytest.skip(missing)


def run_lint(statements: list[str], tmp_path: Path, *, schema: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    args = ["node", str(LINT)]
    if schema is not None:
        schema_file = tmp_path / "cypher-schema.json"
        schema_file.write_text(json.dumps(schema), encoding="utf-8")
        args += ["--schema", str(schema_file)]
    proc = subprocess.run(
        args, input=json.dumps(statements), capture_output=True, text=True, cwd=REPO, timeout=900, check=False
    )
    assert proc.returncode == 0, f"lint.mjs failed (exit {proc.returncode}):\n{proc.stderr}"
    return json.loads(proc.stdout)


def _show(diags: list[dict[str, Any]], statements: list[str]) -> str:
    lines = []
    for d in diags:
        start = d["range"]["start"]
        lines.append(
            f"[{d['severity']}] statement {d['statement_index']} ({d['cypher_version']}) "
            f"line {start['line'] + 1} col {start['character'] + 1}: {d['message']}\n"
            f"    {statements[d['statement_index']]}"
        )
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ without node
def test_all_statements_cover_the_schema() -> None:
    every = statements.all_statements()
    assert len(every) > 50
    assert len(set(every)) == len(every), "duplicate statements"
    for label in Label:
        assert any(re.search(rf":{label.value}\b", s) for s in every), f"no statement for label {label.value}"
    for rel_type in RELATIONS:
        assert any(re.search(rf"\[r:{rel_type}\]", s) for s in every), f"no statement for relation {rel_type}"
    # Values are parameters: no statement carries a quoted literal except the fixed meta id and filter ops.
    literals = {m for s in every for m in re.findall(r"'([^']*)'", s)}
    assert literals <= {"meta", "eq", "in", "min", "max", "like"}, literals


def test_every_statement_declares_its_parameters() -> None:
    for name, text in statements.STATEMENTS.items():
        assert statements.STATEMENT_PARAMS[name] == set(re.findall(r"\$(\w+)", text)), name


def test_only_the_statement_catalogue_holds_cypher() -> None:
    """The backend is split into modules (graph/neo4j_store/): all Cypher lives in statements.py, so what the
    linter sees is all there is. No other module of the package has a string that reads like Cypher, and only
    statements.run (and the auto-commit wrapper that forwards its call) calls a driver's run()."""
    import ast

    package = REPO / "graph" / "neo4j_store"
    cypher = re.compile(r"\b(MATCH|MERGE|CREATE|UNWIND|RETURN|DETACH|CALL)\b[ (]")
    modules = sorted(package.glob("*.py"))
    assert {p.stem for p in modules} >= {"statements", "session", "reads", "writes", "changelog", "admin"}
    for path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef)) and n.body
                      and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        if path.stem != "statements":
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                    assert not cypher.search(node.value), f"{path.name}:{node.lineno}: Cypher outside the catalogue"
        callers = {f.name for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                   for c in ast.walk(f) if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
                   and c.func.attr == "run"}
        allowed = {"statements": {"run"}, "session": {"run"}}.get(path.stem, set())
        assert callers <= allowed, f"{path.name}: {sorted(callers - allowed)} call a driver's run() directly"


class _FakeResult(list):
    def single(self) -> Any:
        return self[0] if self else None

    def consume(self) -> None:
        return None


class _FakeTx:
    """Stands in for a driver transaction/session: records what would be sent, answers plausibly."""

    def __init__(self, sent: list[tuple[str, dict[str, Any]]]):
        self.sent = sent

    def run(self, query: str, parameters: dict[str, Any] | None = None) -> _FakeResult:
        params = parameters or {}
        self.sent.append((query, params))
        if "store_id" in query and "MERGE" in query:
            return _FakeResult([{"store_id": "s1", "version": 0}])
        if "m.version AS version" in query:
            return _FakeResult([{"version": 1}])
        if "AS changed" in query:
            rows = params.get("rows", [])
            return _FakeResult([{"changed": len(rows), "matched": len(rows)}])
        if "AS deleted" in query:
            return _FakeResult([{"deleted": 0}])
        if "AS total" in query:
            return _FakeResult([{"total": 0}])
        if query == statements.STATEMENTS["counts"]:
            names = re.findall(r"AS ([nr]_\w+) \}", query)
            return _FakeResult([dict.fromkeys(names, 0)])
        if re.search(r"AS n$", query):
            return _FakeResult([{"n": 0}])
        if "AS ok" in query:
            return _FakeResult([{"ok": 1}])
        return _FakeResult([])


class _FakeSession(_FakeTx):
    def __enter__(self) -> "_FakeSession":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def execute_read(self, fn: Any, *args: Any) -> Any:
        return fn(_FakeTx(self.sent), *args)

    execute_write = execute_read


class _FakeDriver:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def session(self, **config: Any) -> _FakeSession:
        return _FakeSession(self.sent)

    def close(self) -> None:
        pass


def test_store_only_sends_listed_statements_with_their_parameters() -> None:
    """Drive every store method against a recording fake driver (no Neo4j here): whatever it sends must be
    one of all_statements() — the set the linter checks — with exactly that statement's parameters."""
    from graph.store import ApiKeyRec, AuditEntry, Batch, NodeRec, RelRec

    drv = _FakeDriver()
    store = neo4j_store.Neo4jStore("bolt://fake", driver=drv)
    store.write(
        Batch(
            nodes=[NodeRec("Enterprise", "e1", {"name": "甲", "tags": ["专精特新"], "region": "r1"}),
                   NodeRec("Region", "r1", {"name": "乙", "level": "city"})],
            rels=[RelRec("LOCATED_IN", "Enterprise", "e1", "Region", "r1", {})],
            delete_nodes=[("Park", "p1")],
            delete_rels=[("SUPPLIES", "Enterprise", "e1", "Enterprise", "e2")],
        ),
        audit=AuditEntry("tester", "import", "batch", None, {"n": 2}),
    )
    store.get("Enterprise", "e1")
    store.get_many("Enterprise", ["e1", "e2"])
    store.existing_keys("Region", ["r1"])
    store.find("Enterprise", filters={"region": "r1", "tags": "专精特新", "name__like": "甲", "employees__min": 5,
                                      "size__in": ["小型"], "revenue_wan__max": 9.5}, order_by="revenue_wan",
               descending=True)
    store.find("LandParcel", filters={"area_mu__min": 10})
    store.neighbours("Enterprise", "e1")
    store.neighbours("Region", "r1", rel_type="LOCATED_IN", direction="in")
    store.counts()
    list(store.iter_nodes("Enterprise"))
    list(store.iter_relations())
    store.version()
    store.changes_since(0)
    store.ping()
    store.put_api_key(ApiKeyRec("k1", "n", "admin", None, "h", "2024-01-01T00:00:00+00:00"))
    store.get_api_key("k1")
    store.list_api_keys()
    store.revoke_api_key("k1", "2024-02-01T00:00:00+00:00")
    store.append_audit(AuditEntry("tester", "x", "y"))
    store.list_audit(actor="tester")
    store.wipe_for_tests()

    known = set(statements.all_statements())
    sent_names = set()
    by_text = {v: k for k, v in statements.STATEMENTS.items()}
    for query, params in drv.sent:
        assert query in known, f"sent a statement the linter never saw:\n{query}"
        name = by_text[query]
        assert set(params) == statements.STATEMENT_PARAMS[name], name
        sent_names.add(name)
    assert "find.page.Enterprise.desc.by.region" in sent_names  # indexed equality → index-seek variant
    assert {"meta.lock", "meta.bump.audit", "audit.append", "node.upsert.Enterprise",
            "rel.upsert.LOCATED_IN.Enterprise.Region"} <= sent_names


# ------------------------------------------------------------------------------------------ with node
def test_all_statements_pass_the_neo4j_linter(linter: None, tmp_path: Path) -> None:
    every = statements.all_statements()
    diags = run_lint(every, tmp_path, schema=statements.lint_schema())
    print(_show(diags, every))  # everything, informational ones included, shown with -s or on failure
    bad = [d for d in diags if d["severity"] in FAILING]
    assert not bad, f"{len(bad)} linter diagnostics in Neo4j backend statements:\n{_show(bad, every)}"


def test_linter_reports_broken_statements(linter: None, tmp_path: Path) -> None:
    broken = [
        "MATC (n) RETURN n",  # syntax error
        "MATCH (n) RETURN m",  # semantic error: undefined variable
        "MATCH (n:Entreprise) RETURN n.key AS key",  # label not in our schema
        "RETURN toLower(1, 2) AS x",  # wrong number of arguments
        "MATCH (n:Enterprise) RETURN nosuchfunction(n) AS x",  # unknown function
        statements.all_statements()[0],  # a good one, as control
    ]
    diags = run_lint(broken, tmp_path, schema=statements.lint_schema())
    by_index: dict[int, list[dict[str, Any]]] = {}
    for d in diags:
        by_index.setdefault(d["statement_index"], []).append(d)
    for i in range(len(broken) - 1):
        assert any(d["severity"] in FAILING for d in by_index.get(i, [])), (
            f"linter missed a broken statement: {broken[i]!r}\n{_show(diags, broken)}"
        )
    assert any(d["severity"] == "error" for d in by_index[0]), "syntax error not reported as error"
    assert any("`m`" in d["message"] and d["severity"] == "error" for d in by_index[1]), _show(by_index[1], broken)
    assert not [d for d in by_index.get(len(broken) - 1, []) if d["severity"] in FAILING], "good statement flagged"

# ChainMatch — the two commands of the README, and their helpers.
#   make run        create .venv, install, seed the embedded store if empty, serve on 127.0.0.1:8000
#   make test       install what the tests need (Python deps, the Neo4j Cypher linter, Chromium, the Neo4j jars),
#                   start a local Neo4j and run the whole suite on SQLite and Neo4j; Neo4j is stopped afterwards
#   make run-neo4j  the same service on a local Neo4j (data kept in var/neo4j, Bolt on 127.0.0.1:7687)
# Without Java 17+/Maven `make test` says so and runs on SQLite only; CHAINMATCH_REQUIRE_NEO4J=1 (CI) makes that
# a failure.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
LINT_DIR := tools/cypher-lint
LINT_STAMP := $(LINT_DIR)/node_modules/.ci-stamp

NEO4J := $(BIN)/python tools/neo4j/local.py

.PHONY: run run-neo4j test install lint-deps browser-deps neo4j-deps bench bench-neo4j clean help

help:
	@echo "make run        — 启动服务（嵌入式 SQLite + 种子数据）: http://127.0.0.1:8000/docs"
	@echo "make run-neo4j  — 在本地 Neo4j 上启动同一服务（数据在 var/neo4j）"
	@echo "make test       — 安装测试依赖，启动本地 Neo4j，在 SQLite 和 Neo4j 上运行全部测试"

$(BIN)/python:
	@$(PY) -c 'import sys; assert sys.version_info >= (3, 11), "ChainMatch needs Python >= 3.11"' \
	  || { echo "需要 Python 3.11 或更高版本"; exit 1; }
	@$(PY) -m venv $(VENV) || { echo "无法创建虚拟环境：在 Debian/Ubuntu 上请先 apt-get install python3-venv"; exit 1; }

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

$(LINT_STAMP): $(LINT_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "需要 node/npm 来安装 Neo4j Cypher linter"; exit 1; }
	cd $(LINT_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

lint-deps: $(LINT_STAMP)

# Headless Chromium + chromedriver + CJK fonts (Debian packages) for the page tests and PNG exports.
browser-deps:
	@tools/ensure-browser.sh

# The Neo4j Community jars (pinned in tools/neo4j/pom.xml) from Maven Central, once, into tools/neo4j/lib-<version>/.
# Missing Java/Maven is not an error here: `make test` then runs on SQLite only (and says so).
neo4j-deps: install
	-@$(NEO4J) fetch >/dev/null

run: install
	$(BIN)/chainmatch serve

run-neo4j: install
	$(NEO4J) run --require --home var/neo4j --port $${NEO4J_PORT:-7687} -- env CHAINMATCH_STORE_BACKEND=neo4j \
	  CHAINMATCH_SNAPSHOT_DIR=var/snapshots-neo4j $(BIN)/chainmatch serve

test: install lint-deps browser-deps neo4j-deps
	$(NEO4J) run -- env CHAINMATCH_REQUIRE_CYPHER_LINT=1 CHAINMATCH_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/bench_import.py --scale 1000000

# 1M synthetic firms into Neo4j beside SQLite and the raw driver UNWIND (a bigger heap and page cache)
bench-neo4j: install
	$(NEO4J) run --require --heap 6g --pagecache 6g -- $(BIN)/python bench/bench_neo4j.py --scale 1000000

clean:
	rm -rf $(VENV) $(LINT_DIR)/node_modules var .pytest_cache test-artifacts tools/neo4j/lib-*

# ChainMatch — the two commands of the README, and their helpers.
#   make run    create .venv, install, seed the embedded store if empty, serve on 127.0.0.1:8000
#   make test   install what the tests need (Python deps, the Neo4j Cypher linter) and run the whole suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
LINT_DIR := tools/cypher-lint
LINT_STAMP := $(LINT_DIR)/node_modules/.ci-stamp

.PHONY: run test install lint-deps browser-deps bench clean help

help:
	@echo "make run   — 启动服务（嵌入式 SQLite + 种子数据）: http://127.0.0.1:8000/docs"
	@echo "make test  — 安装测试依赖并运行全部测试"

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

run: install
	$(BIN)/chainmatch serve

test: install lint-deps browser-deps
	CHAINMATCH_REQUIRE_CYPHER_LINT=1 CHAINMATCH_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/bench_import.py --scale 1000000

clean:
	rm -rf $(VENV) $(LINT_DIR)/node_modules var .pytest_cache test-artifacts

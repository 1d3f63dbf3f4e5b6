# Two commands on a fresh machine: `make serve` and `make test`. Everything else is a step of theirs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export NO_MKDOCS_2_WARNING := 1

.PHONY: install serve test typecheck build lint check sandbox bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Bytecode for apidocs' own modules: pip compiles what it installs, but not an editable source
# tree, and with PYTHONDONTWRITEBYTECODE set (as on CI machines) every command compiled them anew,
# a quarter of a small build. Quick when nothing changed.
install: $(STAMP)
	@$(BIN)/python -m compileall -q generator

# `make serve PORT=8010` for another port (HOST=0.0.0.0 to reach it from another machine).
PORT ?= 8000
HOST ?= 127.0.0.1
serve: install
	$(BIN)/apidocs serve --host $(HOST) --port $(PORT)

build: install
	$(BIN)/apidocs build --strict

lint: install
	$(BIN)/apidocs lint

check: install
	$(BIN)/apidocs check --strict

sandbox: install
	$(BIN)/apidocs sandbox

# mypy reads the import name `apidocs` through a link to generator/ (see pyproject.toml).
typecheck: install
	@mkdir -p .apidocs/typecheck && ln -sfn ../../generator .apidocs/typecheck/apidocs
	$(BIN)/mypy -p apidocs
	$(BIN)/mypy tests bench
	$(BIN)/ruff check generator tests bench

# axe-core, injected into Chromium by the accessibility tests, at the version in the lock file.
tests/node_modules/.package-lock.json: tests/package.json tests/package-lock.json
	cd tests && npm ci --no-audit --no-fund

test: install typecheck tests/node_modules/.package-lock.json
	@command -v chromium >/dev/null 2>&1 || ./.ci/install-chromium
	@./.ci/install-postgresql
	$(BIN)/python -m pytest -n auto --dist loadgroup

bench: install
	$(BIN)/python bench/build.py
	$(BIN)/python bench/sandbox.py
	$(BIN)/python bench/check.py
	$(BIN)/python bench/explorer.py
	$(BIN)/python bench/openapi.py
	$(BIN)/python bench/serve.py

clean:
	rm -rf site .apidocs .pytest_cache

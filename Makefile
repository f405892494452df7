# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DB_URL ?= sqlite:///var/frontoffice.db
HOST   ?= 127.0.0.1
PORT   ?= 3978
WORKERS ?= 2

.PHONY: run test lint typecheck install migrate chat bench eval clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

var:
	mkdir -p var

migrate: install var
	FRONTOFFICE_DB_URL=$${FRONTOFFICE_DB_URL:-$(DB_URL)} $(BIN)/frontoffice migrate

run: migrate
	FRONTOFFICE_DB_URL=$${FRONTOFFICE_DB_URL:-$(DB_URL)} $(BIN)/frontoffice serve --host $(HOST) --port $(PORT)

# Several workers on one port (SO_REUSEPORT); needs PostgreSQL, e.g.
# make run-cluster DB_URL=postgresql://postgres@127.0.0.1/frontoffice WORKERS=2
.PHONY: run-cluster
run-cluster: install
	FRONTOFFICE_DB_URL=$${FRONTOFFICE_DB_URL:-$(DB_URL)} $(BIN)/frontoffice serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

chat: migrate
	FRONTOFFICE_DB_URL=$${FRONTOFFICE_DB_URL:-$(DB_URL)} $(BIN)/frontoffice chat

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

# The official Teams manifest schemas (npm @microsoft/app-manifest, pinned in
# manifest/package-lock.json) for tests/test_manifest.py: installed when missing or
# when the lock file is newer than the install.
manifest/node_modules: manifest/package-lock.json
	npm ci --prefix manifest --no-audit --no-fund
	touch $@

# Microsoft 365 Agents Playground, the Adaptive Cards library and playwright-core (pinned
# in e2e/package-lock.json) for tests/test_e2e_playground.py and tests/test_card_rendering.py.
e2e/node_modules: e2e/package-lock.json
	npm ci --prefix e2e --no-audit --no-fund
	touch $@

.PHONY: cards e2e fuzz

# The sample cards validated and drawn (build/cards/png/); `make test` runs the same checks.
cards: install e2e/node_modules
	$(BIN)/python -m pytest -q tests/test_card_rendering.py

# The end-to-end test alone: the bot and the playground as real processes.
e2e: install e2e/node_modules
	$(BIN)/python -m pytest -q tests/test_e2e_playground.py

# Chromium and PostgreSQL: tools/test-prereqs.sh installs them as root (apt-get), else it
# stops at once with the one command to run; it writes the PostgreSQL URL for the tests.
# FRONTOFFICE_TEST_PG=skip runs without PostgreSQL (its tests are skipped and counted).
.PHONY: test-prereqs
test-prereqs: install
	@mkdir -p build
	@PYTHON=$(BIN)/python bash tools/test-prereqs.sh > build/test-pg-url

test: test-prereqs migrate lint typecheck manifest/node_modules e2e/node_modules
	$(BIN)/frontoffice knowledge check
	FRONTOFFICE_TEST_PG_URL="$$(cat build/test-pg-url)" FRONTOFFICE_E2E=required $(BIN)/python -m pytest -q

# At least 100,000 hostile inputs against every entry point (tests/fuzz/, docs/TESTING.md):
# prints the inputs per target and every failure, saved under build/fuzz/ for replay.
fuzz: install
	$(BIN)/python -m tests.fuzz --inputs $${FUZZ_INPUTS:-100000} --jobs $${FUZZ_JOBS:-2}

eval: install
	$(BIN)/frontoffice eval

bench: install
	$(BIN)/python bench/bench_matcher.py
	$(BIN)/python bench/bench_understand.py
	$(BIN)/python bench/bench_turn.py
	$(BIN)/python bench/bench_notify.py
	$(BIN)/python bench/bench_load.py
	$(BIN)/python bench/bench_console.py

clean:
	rm -rf $(VENV) var build .pytest_cache .mypy_cache .ruff_cache manifest/node_modules

# The desk console in Chromium (tests/test_console_browser.py): screenshots in build/console/.
.PHONY: console
console: install e2e/node_modules
	$(BIN)/python -m pytest -q tests/test_console_browser.py

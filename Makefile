# CRM Server: `make run` serves the app with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
RUN_STAMP  = $(VENV)/.installed-run
DEV_STAMP  = $(VENV)/.installed-dev

.PHONY: run test test-db test-browser system-deps lint translations check-translations bench clean help

help:
	@echo "make run     - set up .venv, create the SQLite database with demo data, serve on http://127.0.0.1:8000"
	@echo "make test    - set up .venv with test tools (and, as root on Debian, chromium + a CJK font), run the suite"

$(RUN_STAMP): setup.cfg pyproject.toml
	@$(PYTHON) scripts/check_python.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

run: $(RUN_STAMP)
	$(BIN)/crm-server run --demo

system-deps:
	@bash scripts/install-system-deps.sh

test: $(DEV_STAMP) system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The suite against a server database, e.g.
#   make test-db CRM_TEST_DATABASE_URL=postgresql+psycopg://root@127.0.0.1:5432/test
test-db: $(DEV_STAMP) system-deps
	@test -n "$(CRM_TEST_DATABASE_URL)" || (echo "set CRM_TEST_DATABASE_URL" && exit 2)
	CRM_TEST_DATABASE_URL="$(CRM_TEST_DATABASE_URL)" $(BIN)/python -m pytest $(PYTEST_ARGS)

test-browser: $(DEV_STAMP) system-deps
	$(BIN)/python -m pytest -m browser $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/python -m flake8 crm_server tests

# Extract strings and update the catalogues after changing user-facing text, then translate the new entries.
translations: $(DEV_STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -o crm_server/translations/messages.pot .
	$(BIN)/pybabel update -i crm_server/translations/messages.pot -d crm_server/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d crm_server/translations

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache test-artifacts

# The benchmark: a large data set, then the pages users wait on (times and SQL statements per request).
bench: $(DEV_STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Two commands on a fresh clone: `make run` and `make test`. Each target sets up what it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The site's base URLs (settings) and the demo's site record (load_demo) follow the port it is served on.
export PORT
PYTEST_ARGS ?=
STAMP := $(VENV)/.installed-stamp
BENCH_STAMP := $(VENV)/.bench-stamp
MANAGE := $(BIN)/python manage.py

.PHONY: help install run serve test test-browser test-postgres lint format messages compilemessages check-migrations bench bench-quick bench-search bench-http loadtest clean

help:
	@echo "make run      set up, load the demo data and serve on http://127.0.0.1:$(PORT)/"
	@echo "make test     set up and run every test"
	@echo "make lint     ruff check and format check, and the apps' import layers"
	@echo "make bench    run the benchmarks (results in benchmarks/results/)"
	@echo "make loadtest Locust against gunicorn, PostgreSQL and Redis on loopback (benchmarks/results/loadtest.json)"
	@echo "make messages extract and compile translations (extracting needs GNU gettext)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	@touch $(BENCH_STAMP)

install: $(STAMP)

run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) credential_keys
	$(MANAGE) load_demo
	@echo "Serving on http://127.0.0.1:$(PORT)/ (English: http://127.0.0.1:$(PORT)/en/, admin: http://127.0.0.1:$(PORT)/admin/)"
	$(MANAGE) runserver 127.0.0.1:$(PORT)

serve: install
	$(MANAGE) runserver 127.0.0.1:$(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

# The browser journeys and accessibility checks alone (need Debian's chromium package).
test-browser: install
	$(BIN)/pytest tests/e2e $(PYTEST_ARGS)

test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONPATH=site:. $(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Benchmarks write benchmarks/results/*.json and print their tables (about 90 minutes: the first
# run seeds the PostgreSQL databases of the search and HTTP benchmarks, later ones reuse them).
bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/tokenizers.py
	$(BIN)/python benchmarks/search_bench.py
	$(BIN)/python benchmarks/relevance.py
	$(MAKE) --no-print-directory bench-search
	$(MAKE) --no-print-directory bench-http

# The site search at 2,000 to 100,000 questions on PostgreSQL through gunicorn: rebuild time,
# index size and disk, one client's p50/p95, ten clients, worker memory
# (benchmarks/results/search_scale.json). BENCH_SEARCH_ARGS="--sizes 2000" for a quick look.
BENCH_SEARCH_ARGS ?=
bench-search: $(BENCH_STAMP)
	$(BIN)/python benchmarks/search_scale.py $(BENCH_SEARCH_ARGS)

bench-quick: $(BENCH_STAMP)
	$(BIN)/python benchmarks/search_bench.py --quick

# Pages over HTTP through gunicorn on loopback, PostgreSQL (database "scale", built by seed_scale
# on the first run and reused while its sizes match) and Redis database 4, as ratios to a static
# file (benchmarks/results/http.json). The client is Debian's wrk, installed here when apt-get can;
# otherwise a Python client stands in. BENCH_HTTP_ARGS=--quick checks the harness on small data.
bench-http: $(BENCH_STAMP)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk) || echo "wrk could not be installed: the Python client stands in"
	$(BIN)/python benchmarks/http_bench.py $(BENCH_HTTP_ARGS)

# The load test: gunicorn, PostgreSQL (database "loadtest" on 127.0.0.1:5432, user postgres) and
# Redis (127.0.0.1:6379, database 3) under 100 Locust users for 3 minutes, plus about 5 minutes of
# set-up. Not part of CI. LOADTEST_ARGS="--smoke" for 20 users for 30 s.
LOADTEST_ARGS ?=
loadtest: $(BENCH_STAMP)
	$(BIN)/python benchmarks/loadtest/run.py $(LOADTEST_ARGS)

check-migrations: install
	$(MANAGE) makemigrations --check --dry-run

messages: install
	$(MANAGE) makemessages --locale ja --no-obsolete --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'site/static/*' --ignore 'benchmarks/*'
	$(MANAGE) compile_translations

compilemessages: install
	$(MANAGE) compile_translations

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

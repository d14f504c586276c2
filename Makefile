# Bangfu: `make demo`, `make test`, `make serve`. Needs only Python 3.11 and
# the package registries; everything else is installed into .venv.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
# The interpreter itself, not a pyenv shim in front of it: uv compares the path
# it is given with the one .venv was made from, and on a mismatch removes .venv
# and builds it again, so that `make test` and `make serve` undid each other.
PYTHON_EXE := $(shell $(PYTHON) -c 'import sys; print(sys.executable)' 2>/dev/null || echo $(PYTHON))
UV_VERSION := 0.13.9
BOOTSTRAP := .bootstrap
UV := $(BOOTSTRAP)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# uv must use this machine's Python 3.11, never download one.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install demo test soak bench serve worker beat lint format messages clean

$(UV):
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Bangfu needs Python 3.11, found " + sys.version'
	$(PYTHON_EXE) -m venv $(BOOTSTRAP)
	$(BOOTSTRAP)/bin/python -m pip install --quiet uv==$(UV_VERSION)

## install: the locked dependencies into .venv
install: $(UV)
	$(UV) sync --locked --python $(PYTHON_EXE)

## demo: install, migrate the embedded SQLite default, load demo data, run the term
demo: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py demo

## test: install and run the whole test suite, in TEST_PROCESSES processes (pytest-xdist)
TEST_PROCESSES ?= 2
test: install
	$(PY) -m pytest -n $(TEST_PROCESSES) --dist loadgroup

## soak: the long runs `make test` leaves out (pytest marker `soak`): the API fuzzed
## with many more examples per operation, fault and load tests
soak: install
	$(PY) -m pytest -m soak

## bench: every benchmark at full size (about ten minutes), their figures in bench/RESULTS.md;
## needs PostgreSQL and Redis (BENCH_DATABASE_URL, BENCH_REDIS_URL; local ones by default)
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/14
bench: install
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(PY) bench/run_all.py

## serve: the embedded default on 127.0.0.1:$(PORT)
serve: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

## worker / beat: Celery against REDIS_URL
worker: install
	$(VENV)/bin/celery -A config worker -l info

beat: install
	$(VENV)/bin/celery -A config beat -l info

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## messages: extract and compile the Simplified Chinese translation
messages: install
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=.bootstrap
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv --ignore=.bootstrap

clean:
	rm -rf $(VENV) $(BOOTSTRAP) var staticfiles .pytest_cache .ruff_cache

# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck practice migrate bench mutation clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m bot migrate
	$(PY) -m bot

practice: $(STAMP)
	$(PY) -m bot practice

migrate: $(STAMP)
	$(PY) -m bot migrate

lint: $(STAMP)
	$(PY) -m ruff check bot tests $(wildcard bench)
	$(PY) -m ruff format --check bot tests $(wildcard bench)

typecheck: $(STAMP)
	$(PY) -m mypy

test: lint typecheck
	$(PY) -m pytest

# Not part of `make test`: about 12 minutes on 2 cores; `$(PY) -m bench --quick` for a look.
bench: $(STAMP)
	$(PY) -m bench

# Mutation testing of bot/domain against the fast tests/domain (mutmut; not part of `make test`:
# minutes of both cores for the whole domain). One file, or a few:
#   make mutation FILES=bot/domain/streaks.py
#   make mutation FILES="bot/domain/daily.py bot/domain/timezones.py"
# Prints the score per file (raw, and without the equivalent mutants listed with a reason in
# tests/domain/equivalent_mutants.txt) and writes each survivor's diff to mutants/survivors.txt.
# `$(PY) -m tests.mutation --report FILES...` reprints the last run's report.
mutation: $(STAMP)
	$(PY) -m tests.mutation $(FILES)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache mutants

# coopstats — two commands for a fresh machine: `make build` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DATA ?= data/demo

.PHONY: build test env lint format demo clean help

help:
	@echo "make build   set up .venv if missing, then coopstats build: validate, run, audit, render"
	@echo "make test    set up .venv if missing, run the whole test suite"
	@echo "make lint    ruff check + ruff format --check + panache lint"
	@echo "make demo    regenerate the synthetic demo data in data/demo"
	@echo "make clean   remove _build/, _site/ and _site.utdatert/"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

env: $(STAMP)

build: env
	$(VENV)/bin/coopstats build --data $(DATA)

test: env
	$(VENV)/bin/pytest -n auto --dist loadfile

lint: env
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/panache lint index.qmd reports

format: env
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

demo: env
	$(PY) -m coopstats.demo $(DATA)

clean:
	rm -rf _build _site _site.utdatert

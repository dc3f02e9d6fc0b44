# Everyday commands; run `make dev` once to create .venv with the development tools.
PY ?= .venv/bin/python

.PHONY: dev format lint mypy test test-fast all

dev:
	python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]'

format:
	$(PY) -m ruff format .

lint:
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

mypy:
	$(PY) -m mypy

test:
	$(PY) -m pytest

test-fast:  # no worker subprocesses
	$(PY) -m pytest -m "not worker"

all: lint mypy test

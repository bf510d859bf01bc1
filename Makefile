# The two commands: `make demo` (the whole pipeline on sample feeds) and `make test` (the whole suite).
# Both install what they need first: Python packages into .venv, the Kafka jars through Maven.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BROKER := ops/kafka/broker
STAMP := $(VENV)/.installed-stamp

.PHONY: system-deps install check lint typecheck test unit integration demo broker-start broker-stop bench clean

install: $(STAMP) system-deps

system-deps:
	@ops/install-system-deps

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev]'
	@touch $(STAMP)

# Every Python file the project ships: the package, the scripts, the tests and the broker script.
PY_SOURCES := streams tests scripts $(BROKER)

lint: install
	$(VENV)/bin/ruff check $(PY_SOURCES)
	$(VENV)/bin/ruff format --check $(PY_SOURCES)

typecheck: install
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy scripts
	$(VENV)/bin/mypy --scripts-are-modules $(BROKER)

check: lint typecheck

# Starts the local broker when none answers at KAFKA_BOOTSTRAP, and stops it afterwards only if it started it.
test: install check
	$(BROKER) with $(PY) -m pytest $(PYTEST_ARGS)

unit: install
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

integration: install
	$(BROKER) with $(PY) -m pytest tests/integration $(PYTEST_ARGS)

demo: install
	$(PY) -m streams demo

bench: install
	$(PY) -m streams bench

broker-start:
	$(BROKER) start

broker-stop:
	$(BROKER) stop

clean:
	rm -rf .streams-data .demo .pytest_cache .mypy_cache .ruff_cache

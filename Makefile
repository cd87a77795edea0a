# Everything a newcomer needs: `make demo` and `make test`. Only Python 3.11+ and make required.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Two stamps: the demo needs only what the bot runs on; the checks add the dev tools.
RUNTIME := $(VENV)/.installed-runtime
STAMP := $(VENV)/.installed
# setuptools' notes about editable installs are for packagers, not for someone trying the demo.
PIP := PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet \
	--disable-pip-version-check

.PHONY: demo shell test lint typecheck architecture pytest format clean image-test

$(RUNTIME): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e .
	touch $(RUNTIME)

$(STAMP): $(RUNTIME)
	$(PIP) -e '.[dev]'
	touch $(STAMP)

demo: $(RUNTIME)
	$(BIN)/firefighter demo

# A shell where `firefighter` is the project's (the demo's "Look around" commands work as typed).
shell: $(RUNTIME)
	@echo "firefighter is on PATH in this shell; exit to leave."
	@PATH="$(abspath $(BIN)):$$PATH" VIRTUAL_ENV="$(abspath $(VENV))" $${SHELL:-/bin/sh}

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy firefighter

architecture: $(STAMP)
	$(BIN)/lint-imports

# Three processes, a module each at a time (module fixtures such as the demo run once).
pytest: $(STAMP)
	$(BIN)/pytest -n 3 --dist loadscope

test: lint typecheck architecture pytest

# Builds the image and runs it as Kubernetes would (needs docker); not part of `make test`.
image-test:
	bash deploy/image-test.sh

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache

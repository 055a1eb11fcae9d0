# Every target sets itself up: it installs uv if missing, then lets uv create
# the virtual environment from pyproject.toml / uv.lock.
PYTHON ?= python3
UV := $(PYTHON) -m uv
RUN := $(UV) run --all-extras --frozen
PYTEST_NET := --disable-socket --allow-hosts=127.0.0.1,localhost,::1

.PHONY: all uv sync test unit_tests integration_tests lint format demo serve bench clean

all: lint test

uv:
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || \
		$(PYTHON) -m pip install -q --disable-pip-version-check uv || \
		$(PYTHON) -m pip install -q --disable-pip-version-check --user uv

sync: uv
	@$(UV) sync --all-extras --frozen --quiet

test: sync
	$(RUN) pytest $(PYTEST_NET) tests/unit_tests tests/integration_tests

unit_tests: sync
	$(RUN) pytest $(PYTEST_NET) tests/unit_tests

integration_tests: sync
	$(RUN) pytest $(PYTEST_NET) tests/integration_tests

lint: sync
	$(RUN) ruff check langchain_sagemaker tests benchmarks
	$(RUN) ruff format --diff langchain_sagemaker tests benchmarks
	$(RUN) mypy

format: sync
	$(RUN) ruff format langchain_sagemaker tests benchmarks
	$(RUN) ruff check --fix langchain_sagemaker tests benchmarks

demo: sync
	$(RUN) python -m langchain_sagemaker.demo

serve: sync
	$(RUN) langchain-sagemaker serve

bench: uv
	@$(UV) sync --all-extras --frozen --quiet --group bench
	$(UV) run --all-extras --frozen --group bench python benchmarks/run_all.py

clean:
	rm -rf .venv .mypy_cache .pytest_cache .ruff_cache

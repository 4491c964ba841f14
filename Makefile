# Two commands are all the set-up anyone needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EMULATOR := tests/transports/telegram_emulator
BROWSER_TESTS := tests/bot/web/browser
CHROMIUM := /usr/bin/chromium
SHARED_SAFETY := ../shared/safety
# The exact versions CI tests with, for every supported Python (3.11 to 3.13): installs use it as constraints.
LOCK := constraints.txt
PIP_INSTALL := $(BIN)/pip install --quiet --disable-pip-version-check -c $(LOCK)
UV := uv==0.13.10

.PHONY: install dev run chat test test-pythons lint typecheck pytest bench eval-safety train-safety lock lock-upgrade clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP_INSTALL) -e .
	@touch $@

$(VENV)/.dev-installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP_INSTALL) -e '.[dev]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

run: install
	@$(BIN)/coachbot run

chat: install
	@$(BIN)/coachbot chat

# The Telegram emulator for the end-to-end tests, from the committed lock file (skipped without npm).
$(EMULATOR)/node_modules/.installed: $(EMULATOR)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd $(EMULATOR) && npm ci --silent --no-audit --no-fund && touch node_modules/.installed; \
	else echo "npm not found: the Telegram emulator tests will be skipped"; fi

# Headless Chromium for the coach web view's browser tests: Debian's package (Playwright drives it; it never
# downloads a browser of its own). Installed where we are root with apt-get; elsewhere it says why those tests skip.
$(CHROMIUM):
	@if [ "$$(id -u)" != 0 ]; then \
		echo "$(CHROMIUM) missing and not root: the browser tests will be skipped (apt-get install chromium)"; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
		echo "$(CHROMIUM) missing and no apt-get: the browser tests will be skipped (install Chromium there)"; \
	else echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
		|| echo "chromium could not be installed: the browser tests will be skipped"; fi

# axe-core, which the browser tests inject into each page for the accessibility check (skipped without npm).
$(BROWSER_TESTS)/node_modules/.installed: $(BROWSER_TESTS)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd $(BROWSER_TESTS) && npm ci --silent --no-audit --no-fund && touch node_modules/.installed; \
	else echo "npm not found: the browser tests will be skipped"; fi

lint: dev
	$(BIN)/ruff check bot flows safety tests benchmarks

typecheck: dev
	$(BIN)/mypy --strict bot flows safety

# On every core (pytest-xdist), test by test: each test has its own schema and free ports, so tests can run
# side by side. The slow tests are collected first (tests/conftest.py) and an idle worker takes tests queued for
# a busy one (worksteal), so the run never ends with one long test on one core.
pytest: dev $(EMULATOR)/node_modules/.installed $(BROWSER_TESTS)/node_modules/.installed $(CHROMIUM)
	$(BIN)/pytest -n auto --dist worksteal

test: lint typecheck pytest

# The other Pythons this machine has (3.12, 3.13): each in .venv-X.Y from the lock, on a subset of the suite
# (see the README); a Python that isn't here is named as skipped, never left out silently.
test-pythons: dev $(BIN)/uv
	@bash .ci/test-pythons

$(BIN)/uv: | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check '$(UV)'

# Refresh the lock after a change to pyproject.toml: keeps the pinned versions that still fit, adds what's new.
# `make lock-upgrade` moves every pin to the newest release allowed.
lock: dev $(BIN)/uv
	$(BIN)/uv pip compile pyproject.toml --quiet --extra dev --extra postgres --universal --python-version 3.11 \
		--custom-compile-command 'make lock' -o $(LOCK) $(LOCK_FLAGS)

lock-upgrade:
	$(MAKE) lock LOCK_FLAGS=--upgrade

bench: dev
	$(BIN)/python -m benchmarks

eval-safety: install
	$(PYTHON) $(SHARED_SAFETY)/evaluate.py --cmd "$(BIN)/coachbot screen"

# Retrain the learned layer's head on the labelled training split (reproducible; writes safety/model/).
train-safety: dev
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python -m safety.train

clean:
	rm -rf $(VENV) .venv-3.* $(EMULATOR)/node_modules $(BROWSER_TESTS)/node_modules build/screenshots .mypy_cache .pytest_cache .ruff_cache

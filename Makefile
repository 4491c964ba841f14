# Two commands are all the set-up anyone needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EMULATOR := tests/transports/telegram_emulator
SHARED_SAFETY := ../shared/safety

.PHONY: install dev run chat test lint typecheck pytest bench eval-safety train-safety clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
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

lint: dev
	$(BIN)/ruff check bot flows safety tests benchmarks

typecheck: dev
	$(BIN)/mypy --strict bot flows safety

pytest: dev $(EMULATOR)/node_modules/.installed
	$(BIN)/pytest

test: lint typecheck pytest

bench: dev
	$(BIN)/python -m benchmarks

eval-safety: install
	$(PYTHON) $(SHARED_SAFETY)/evaluate.py --cmd "$(BIN)/coachbot screen"

# Retrain the learned layer's head on the labelled training split (reproducible; writes safety/model/).
train-safety: dev
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python -m safety.train

clean:
	rm -rf $(VENV) $(EMULATOR)/node_modules .mypy_cache .pytest_cache .ruff_cache

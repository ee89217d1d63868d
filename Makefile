# Two commands do all set-up: `make run` (the benchmark) and `make test` (the tests).
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.avbench-installed
CONFIG  ?= benchmark.toml
# pytest arguments, e.g. make test PYTEST_ARGS="tests/core -x"
PYTEST_ARGS ?=

.PHONY: install run test leaderboard lock clean

# Every third-party package comes from requirements.lock: one version each, checked against its sha256
# (torch is this machine's CPU wheel, 2.13.0+cpu). avbench and its plugins are installed from this checkout.
$(STAMP): requirements.lock pyproject.toml plugins/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --require-hashes -r requirements.lock
	$(PY) -m pip install -q --no-deps -e . -e ./plugins
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/avbench run $(CONFIG)

leaderboard: $(STAMP)
	$(VENV)/bin/avbench leaderboard $(CONFIG)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# After changing a requirement in pyproject.toml or plugins/pyproject.toml: re-resolve and re-pin
# (LOCK_ARGS=--upgrade moves every pin to the newest allowed release), then `make install`.
LOCK_ARGS ?=
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip show -q pip-tools >/dev/null 2>&1 || $(PY) -m pip install -q "pip-tools>=7.4"
	$(PY) scripts/lock.py $(LOCK_ARGS)

clean:
	rm -rf .avbench-cache runs

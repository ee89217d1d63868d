# Two commands do all set-up: `make run` (the benchmark) and `make test` (the tests).
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.avbench-installed
CONFIG  ?= benchmark.toml
# pytest arguments, e.g. make test PYTEST_ARGS="tests/core -x"
PYTEST_ARGS ?=

.PHONY: install run test leaderboard clean

$(STAMP): pyproject.toml plugins/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# torch pinned: the CPU wheel here; an unpinned torch would pull several GB of CUDA packages
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[test]" -e ./plugins
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/avbench run $(CONFIG)

leaderboard: $(STAMP)
	$(VENV)/bin/avbench leaderboard $(CONFIG)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf .avbench-cache runs

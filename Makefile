# Fresh machine: `make demo` runs the scripted local demo, `make test` runs the whole test suite.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test run install clean

demo: $(STAMP)
	$(VENV)/bin/helploop demo

test: $(STAMP)
	$(VENV)/bin/python -m pytest

run: $(STAMP)
	$(VENV)/bin/helploop run

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache

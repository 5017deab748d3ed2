# The two commands: `make` (set up and build every organisation) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: all packets test lint bench system-deps clean

all: packets

# WeasyPrint needs Pango (present on this kind of machine) and HarfBuzz's subsetter for
# embedding font subsets; poppler-utils gives pdftotext for the copy-paste tests.
system-deps:
	@bash .ci/system-deps

$(STAMP): pyproject.toml | system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

packets: $(STAMP)
	$(BIN)/packets build

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check packets tests bench build.py
	$(BIN)/ruff format --check packets tests bench build.py

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf output $(VENV)

# The two commands: `make` (set up and build every organization) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: all packets test lint bench studio system-deps clean

all: packets

# WeasyPrint needs Pango (present on this kind of machine) and HarfBuzz's subsetter for
# embedding font subsets; poppler-utils gives pdftotext for the copy-paste tests; chromium and
# chromium-driver run the studio's browser tests; caddy is the team server's reverse proxy (deploy/, tested).
system-deps:
	@bash .ci/system-deps

# Quiet by default: one line per step and the build's own summary. `make V=1` shows every
# command and the package installer's notices.
ifeq ($(V),1)
Q :=
PIP_QUIET :=
else
Q := @
PIP_QUIET := -qq --disable-pip-version-check
endif

$(STAMP): pyproject.toml | system-deps
	@echo "Setting up $(VENV) (a minute or two the first time; make V=1 shows the details)"
	$(Q)$(PYTHON) -m venv $(VENV)
	$(Q)$(BIN)/pip install $(PIP_QUIET) --upgrade pip
	$(Q)$(BIN)/pip install $(PIP_QUIET) -e '.[test]'
	$(Q)touch $(STAMP)

# Compiled ahead, as an installed tool is: an editable install leaves the package to be
# compiled on every run when PYTHONDONTWRITEBYTECODE is set (a tenth of a second of `check`).
packets: $(STAMP)
	$(Q)$(BIN)/python -m compileall -q packets
	$(Q)$(BIN)/packets build

test: $(STAMP)
	$(Q)$(BIN)/python -m compileall -q packets
	$(Q)$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(Q)$(BIN)/ruff check packets tests bench build.py
	$(Q)$(BIN)/ruff format --check packets tests bench build.py

bench: $(STAMP)
	$(Q)$(BIN)/python bench/run.py
	$(Q)$(BIN)/python bench/studio.py
	$(Q)$(BIN)/python bench/serve_load.py --seconds 60

# The local web page (docs/studio.md): prints its address and opens a browser.
studio: $(STAMP)
	$(Q)$(BIN)/packets studio

clean:
	rm -rf output $(VENV)

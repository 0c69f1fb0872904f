# Shoplink: the two commands a new user needs (see README).
#   make demo   set everything up and run the demo (web :8000, simulator :8081)
#   make demo-reset   the same, starting afresh (wipes the demo's database and simulator)
#   make test   set everything up and run every test
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo demo-reset test lint browsers

# pip's output goes to a log (shown only if the install fails), so the demo's banner is
# not buried under it.
$(STAMP): pyproject.toml simulator/pyproject.toml
	@echo "Installing Shoplink into $(VENV) (a few minutes the first time; log in $(VENV)/install.log)"
	@python3 -m venv $(VENV)
	@{ $(PY) -m pip install -q --upgrade pip && \
	   $(PY) -m pip install -q -e ".[test]" -e simulator; } > $(VENV)/install.log 2>&1 \
	  || { cat $(VENV)/install.log; exit 1; }
	@touch $(STAMP)

setup: $(STAMP)

browsers:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for browser tests (apt-get)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	  || sudo sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium'; }

demo: setup
	@$(VENV)/bin/shoplink demo

demo-reset: setup
	@$(VENV)/bin/shoplink demo --reset

test: setup browsers
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-logo
	$(PY) -m pytest -q -n 2 --dist loadfile $(PYTEST_ARGS)

lint: setup
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-logo

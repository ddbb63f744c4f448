# The two commands a new user needs: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium

.PHONY: demo test install lint unit browser-deps serve clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@ldconfig -p | grep -q libpangoft2 || { echo "Installing Debian's pango for WeasyPrint (the PDF annex)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null) \
	  || echo "WARNING: could not install pango; the contests' PDF annex will fail"; }
	touch $(STAMP)

install: $(STAMP)

demo: install
	mkdir -p var
	DEBUG=true $(BIN)/minka migrate --noinput
	DEBUG=true $(BIN)/minka seed_demo
	@echo "Minka is serving on http://127.0.0.1:8000 (Ctrl+C to stop)"
	DEBUG=true $(BIN)/minka runserver 127.0.0.1:8000 --noreload

browser-deps:
	@test -x $(CHROMIUM) || { echo "Installing Debian's Chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "WARNING: could not install chromium; browser tests will be skipped"; }

lint: install
	$(BIN)/ruff check minka scripts
	MINKA_TESTING=1 $(BIN)/mypy minka

# The suite on SQLite, then again on PostgreSQL when DATABASE_URL points to one.
test: install browser-deps lint
	DATABASE_URL= $(BIN)/pytest -q -p no:cacheprovider
	@case "$$DATABASE_URL" in \
	  postgres://*|postgresql://*) echo "== again on PostgreSQL ($$DATABASE_URL)"; \
	    $(BIN)/pytest -q -p no:cacheprovider ;; \
	  *) echo "DATABASE_URL is not PostgreSQL: the PostgreSQL run is skipped" ;; \
	esac

clean:
	rm -rf $(VENV) var

# Analytics at national scale: engine vs pandas vs PostgreSQL (see bench/README.md).
.PHONY: bench-analytics
bench-analytics: install
	$(BIN)/python bench/analytics.py

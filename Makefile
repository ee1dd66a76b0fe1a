# The README's commands. Everything a fresh Debian machine needs is installed from here.
# Python 3.12 is the project's version (venv and Lambda runtime): pyodide-build needs >= 3.12
# and AWS Lambda runs python3.12.

SHELL := /bin/bash
export NO_MKDOCS_2_WARNING := 1
VENV := .venv
BIN := $(VENV)/bin
PYTHON_312 := $(shell command -v python3.12 2>/dev/null || ls /root/.pyenv/versions/3.12*/bin/python3.12 2>/dev/null | head -n1)
STAMP := $(VENV)/.installed

.PHONY: setup browsers serve site preview screenshots weather-tables test bench lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml package.json
	@test -n "$(PYTHON_312)" || { echo "Python 3.12 not found: install it (pyenv install 3.12) and retry"; exit 1; }
	test -x $(BIN)/python || $(PYTHON_312) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade 'pip<26.3'  # chalice 1.34 (packaging the Lambdas) requires pip<26.3
	$(BIN)/pip install --quiet -e '.[dev]'
	npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

# Debian's Chromium (Playwright's own browser download is not used), WebKitGTK's WebDriver and Xvfb.
browsers:
	@if ! command -v chromium >/dev/null || ! command -v WebKitWebDriver >/dev/null || ! command -v Xvfb >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium webkit2gtk-driver xvfb >/dev/null; \
	fi

serve: setup
	$(BIN)/mkdocs serve --livereload -a 127.0.0.1:8000

site: setup
	$(BIN)/mkdocs build

# The built site/ served like production (service worker included).
preview: site
	$(BIN)/python -m mplat.gallery.preview site --port 8000

# The README's and docs' pictures of the gallery and a notebook at the iPad viewport, from the built site.
screenshots: site browsers
	$(BIN)/python scripts/screenshots --site site --out docs/assets/screenshots

# The weather tables shipped beside the demos' weather files (rebuild after adding a weather file or changing
# mplat.energy.epw, solar or pv's sky terms; tests/energy/test_weather_tables.py says when).
weather-tables: setup
	$(BIN)/python -m mplat.energy.weather_tables data/examples/*.epw.gz

test: setup browsers
	$(BIN)/pytest -n 2 --dist loadgroup --durations=25  # the slowest tests, to keep the run under 15 minutes

bench: setup browsers
	$(BIN)/python -m bench

lint: setup
	$(BIN)/ruff check src infra chalice_app tests bench
	$(BIN)/mypy src infra chalice_app

clean:
	rm -rf site .cache

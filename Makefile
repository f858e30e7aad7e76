# IPS Fidelity: `make run` sets up and serves; `make test` sets up and runs every check.
# Both work on a fresh Debian machine with Python 3.11+ (and python3-venv), make and npm.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
VENDOR := app/static/vendor/.built
LOCALE := app/locale
COMPILED := $(patsubst %.po,%.mo,$(wildcard $(LOCALE)/*/LC_MESSAGES/messages.po))

.PHONY: run test install install-test assets messages messages-extract lint typecheck pytest clean

run: install assets messages
	$(BIN)/fidelity start --host $(HOST) --port $(PORT)

test: install-test assets messages lint typecheck pytest

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
assets: $(VENDOR)

$(BIN)/python:
	@$(PYTHON) -c "import ensurepip" 2>/dev/null || { \
	  echo "$(PYTHON) cannot create virtual environments: apt-get install python3-venv"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

# Third-party front-end code comes from the npm registry through the lockfile, and is
# copied into the git-ignored app/static/vendor by the same script the Dockerfile runs.
$(VENDOR): package.json package-lock.json scripts/copy-assets.mjs
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build
	touch $@

# The interface strings: app/locale/<language>/LC_MESSAGES/messages.po, compiled to the
# git-ignored messages.mo the app reads (README: Translations).
messages: $(COMPILED)

$(LOCALE)/%/LC_MESSAGES/messages.mo: $(LOCALE)/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel -q compile -l $* -i $< -o $@

# What the extractor looks for: in Python t(key), tn(key, n) (a plural entry, msgid_plural
# being the same key) and SomeError.of(key, ...); in templates, Jinja's i18n extension's
# _(key), gettext(key) and ngettext(key, key, n). tests/test_catalogues.py reads this line.
MESSAGE_KEYWORDS := t tn:1,1 of _ gettext ngettext:1,2

# Brings both catalogues up to date with the code: new keys arrive with an empty text to
# fill in (the tests fail until both languages have it). Nothing is lost: many keys reach
# t() in ways no extractor sees (an error's detail, a macro's argument, f-strings such as
# f"audit_action_{...}", the outbox's list), so scripts/messages.py first adds every key
# of the base file en.po to the template, and `pybabel update` never retires one; removing
# a string is an edit by hand in both files. No fuzzy matching: a new key must not borrow
# a similar key's text. No locations: the keys say what a string is, and the files do not
# change each time code moves. Then the script sorts the files by key, sets the
# python-brace-format flags and writes the English text above each Danish entry. (The
# extractor's warnings about f-strings point at keys built at run time: expected.)
messages-extract: | $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg --no-default-keywords \
	  $(addprefix -k ,$(MESSAGE_KEYWORDS)) --no-location --sort-output --no-wrap \
	  --project "IPS Fidelity" -o $(LOCALE)/messages.pot app templates
	$(BIN)/python scripts/messages.py template $(LOCALE)/messages.pot
	$(BIN)/pybabel -q update -i $(LOCALE)/messages.pot -d $(LOCALE) -D messages \
	  --no-fuzzy-matching --no-wrap --ignore-pot-creation-date
	$(BIN)/python scripts/messages.py sync
	$(MAKE) --no-print-directory messages

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy

pytest:
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) node_modules app/static/vendor .pytest_cache .mypy_cache .ruff_cache
	rm -f $(COMPILED) $(LOCALE)/messages.pot

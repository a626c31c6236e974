# Hub Scout. Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test lint setup setup-dev chromium postgresql bench screenshots snapshot messages clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

# The Spanish catalogue, compiled (git keeps the .po; lib/i18n.py compiles it in memory when this is missing).
MO := lib/locale/es/LC_MESSAGES/messages.mo
$(MO): lib/locale/es/LC_MESSAGES/messages.po $(VENV)/.installed
	$(PY) scripts/messages.py --compile

# Byte code for lib/ (a server's first page run imports ~100 modules: compiling them costs it ~0.1 s; Python
# still writes none where PYTHONDONTWRITEBYTECODE is set). compileall skips what is up to date.
setup: $(VENV)/.installed $(MO)
	@$(PY) -m compileall -q -j 0 lib >/dev/null
setup-dev: $(VENV)/.dev-installed chromium

# Browser tests drive Debian's Chromium (never `playwright install`: it cannot download here); the emoji font
# draws the badges in data grids (canvas text) in screenshots.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }
	@test -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q fonts-noto-color-emoji || \
	  echo "make: fonts-noto-color-emoji could not be installed: emoji badges draw as boxes in screenshots"; }

# Session tests start a throwaway PostgreSQL server from Debian's binaries (tests/support/postgres.py).
# Where it cannot be installed those tests are skipped, each saying why.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  { $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q postgresql; } || \
	  echo "make: postgresql could not be installed: the PostgreSQL tests will be skipped"; }

run: setup
	$(PY) -m streamlit run streamlit_app.py --server.port $(PORT)

# Import contracts (pyproject.toml [tool.importlinter]) and ruff, then the tests.
lint: setup-dev
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .

test: lint postgresql
	$(PY) -m pytest -q $(PYTEST_ARGS)

bench: setup-dev
	$(PY) bench/run_all.py

screenshots: setup-dev
	$(PY) scripts/screenshots.py

# Extract every marked text (_ / ngettext / N_), update lib/locale/es/LC_MESSAGES/messages.po, compile it.
messages: setup
	$(PY) scripts/messages.py

# Rebuild the embedded catalog snapshot from ../shared/data/hub (only needed to refresh it).
snapshot: setup
	$(PY) scripts/build_snapshot.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .import_linter_cache

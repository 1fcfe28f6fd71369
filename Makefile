# factcards: `make run` serves the demo site, `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
VPY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The development default; a real server sets DJANGO_SECRET_KEY and leaves DEBUG off.
export DJANGO_DEBUG ?= true
# Links in the workflow's emails point at the server make run starts.
export FACTCARDS_SITE_URL ?= http://$(HOST):$(PORT)

# A working Python >= 3.12: PYTHON= if given, then python3.13, python3.12, python3, then pyenv's
# installed versions (pyenv's shims exist even where they refuse to run, so each is tried).
PYTHON ?= $(shell \
  for c in python3.13 python3.12 python3 $$(ls -d $$(pyenv root 2>/dev/null)/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
    if "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
      "$$c" -c 'import sys; print(sys.executable)'; break; fi; \
  done)

.PHONY: help run test lint admin demo migrate bench bench-pages bench-intake bench-load clean check-python serve backup restore messages

help:
	@echo "make run    set up .venv, the SQLite database and the demo data; serve http://$(HOST):$(PORT)"
	@echo "            (and run the task worker beside it)"
	@echo "make test   ruff and the whole test suite (browser tests need Debian's chromium)"
	@echo "make serve  production: migrate, collectstatic, gunicorn with DEBUG off (needs DJANGO_SECRET_KEY)"
	@echo "make backup  back the database up while the site runs (BACKUP=file to name the file)"
	@echo "make restore BACKUP=file: into a fresh database (a new SQLite file, or after createdb)"
	@echo "make admin  create an admin login (superuser) for http://$(HOST):$(PORT)/admin/"
	@echo "make bench  requests per second over HTTP (gunicorn + wrk) against a few thousand cards"
	@echo "make bench-intake  candidate facts read from a source's text, ms per 1,000 words"
	@echo "make bench-load  the same readers while an editor publishes a card every second"
	@echo "make messages  gather the strings to translate into locale/*/django.po, compile them"
	@echo "make clean  remove .venv and the SQLite database"

check-python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "No Python 3.12 or newer found (tried python3.13, python3.12, python3 and pyenv's versions)."; \
	  echo "Install Python 3.12+ or name one: make run PYTHON=/path/to/python3.12"; exit 1; fi
	@"$(PYTHON)" -c 'import sys; sys.exit(sys.version_info < (3, 12))' || { \
	  echo "$(PYTHON) is older than Python 3.12; name another: make run PYTHON=/path/to/python3.12"; exit 1; }

$(VENV)/.created: | check-python
	"$(PYTHON)" -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.created
	$(VPY) -m pip install --quiet -e ".[dev]"
	touch $@

migrate: $(VENV)/.installed
	$(VPY) manage.py migrate --no-input

demo: migrate
	$(VPY) manage.py load_demo

run: demo
	@echo
	@echo "  The site:  http://$(HOST):$(PORT)/"
	@echo "  The admin: http://$(HOST):$(PORT)/admin/  (no login yet? stop with Ctrl-C, run 'make admin', then 'make run')"
	@echo "  The task worker runs beside it; Ctrl-C stops both."
	@echo
	HOST=$(HOST) $(VENV)/bin/honcho start --port $(PORT)

# --- production: make serve ----------------------------------------------------------------
# The settings come from the environment (README.md, "Running in production"); DEBUG is off
# whatever the environment says. The scheme of a request comes from Django's
# DJANGO_PROXY_SSL_HEADER alone: gunicorn is told to trust no proxy headers itself, so one
# switch decides, wherever the proxy runs.
WORKERS ?= 3
serve: export DJANGO_DEBUG := false
serve: $(VENV)/.installed
	@if [ -z "$$DJANGO_SECRET_KEY" ]; then \
	  echo "make serve runs the production settings (DEBUG off) and needs DJANGO_SECRET_KEY:"; \
	  echo "a long random string, kept secret, the same on every app server. For example:"; \
	  echo '  export DJANGO_SECRET_KEY="$$(python3 -c "import secrets; print(secrets.token_urlsafe(50))")"'; \
	  echo "The rest of a server's environment is in README.md, \"Running in production\"."; \
	  echo "(On a development machine, use make run.)"; \
	  exit 1; fi
	@# Two servers started at once from one checkout take turns: collectstatic (and migrate)
	@# running twice at the same time over the same files fails.
	flock .serve-setup.lock sh -c '$(VPY) manage.py migrate --no-input && \
	  $(VPY) manage.py collectstatic --no-input --verbosity 0'
	exec $(VENV)/bin/gunicorn newsroom.wsgi --bind $(HOST):$(PORT) --workers $(WORKERS) \
	  --forwarded-allow-ips "" --no-control-socket --access-logfile - $(GUNICORN_ARGS)

# --- backups: SQLite's online backup or pg_dump; restore into a fresh database ---------------
backup: $(VENV)/.installed
	$(VPY) manage.py backup $(if $(BACKUP),--output $(BACKUP))

restore: $(VENV)/.installed
	@if [ -z "$(BACKUP)" ]; then echo "Name the backup: make restore BACKUP=backup-….sqlite3"; exit 1; fi
	$(VPY) manage.py restore $(BACKUP)

admin: migrate
	$(VPY) manage.py createsuperuser

# axe-core, injected into pages by the accessibility tests.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the browser tests' accessibility checks (axe-core) will fail."; fi

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint node_modules/.installed
	$(VPY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The translation catalogues (needs GNU gettext: apt-get install gettext). Translate what
# makemessages adds to locale/ru and locale/fr, then run it again to compile them.
MESSAGES_IGNORE = -i ".venv/*" -i "node_modules/*" -i "staticfiles/*" -i "tests/*" -i "bench/*"
messages: $(VENV)/.installed
	$(VPY) manage.py makemessages -l ru -l fr --no-location $(MESSAGES_IGNORE)
	$(VPY) manage.py compilemessages -i .venv -i node_modules

# Over HTTP with gunicorn and wrk (apt-get install wrk); bench-pages: in-process, cold and warm.
bench: $(VENV)/.installed
	$(VPY) bench/serve.py $(BENCH_ARGS)

bench-pages: $(VENV)/.installed
	$(VPY) bench/pages.py $(BENCH_ARGS)

# Candidate facts read from a source's text, per 1,000 words (no database).
bench-intake: $(VENV)/.installed
	$(VPY) bench/intake.py $(BENCH_ARGS)

# Readers on the list and an embed while an editor publishes a card every second.
bench-load: $(VENV)/.installed
	$(VPY) bench/load.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules db.sqlite3 db.sqlite3-wal db.sqlite3-shm staticfiles

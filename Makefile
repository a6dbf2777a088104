# The two commands a newcomer needs:
#   make serve   build the site and serve it with live reload on 127.0.0.1:8000
#   make test    run every test (CI runs exactly this through .ci/run)
# Both set up what they need on first use: system packages, the virtualenv,
# and (for tests) the pinned npm packages. The virtualenv gets only what the
# site needs (requirements/site.txt) for serve and build, and the test set
# (requirements/test.txt, which holds the site set too) for test. Both files
# pin every package with its hashes, and pip installs them with
# --require-hashes: a changed or substituted package file stops the install.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV    ?= .venv
PY      := $(VENV)/bin/python
SITE    ?= site
PORT    ?= 8080
# .installed: the test set is in; .installed-site: the site set is.
STAMP   := $(VENV)/.installed
SITE_STAMP := $(VENV)/.installed-site
PIP_INSTALL := $(PY) -m pip install --disable-pip-version-check --require-hashes
# make lock: the lock files from the direct pins in requirements/*.in.
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --generate-hashes \
	--allow-unsafe --strip-extras --no-emit-index-url --no-emit-trusted-host --no-emit-find-links

# Material for MkDocs prints a six-line notice on every mkdocs run: its own
# end of life (2027-05-05) and Zensical as its successor. The variable that
# silences it is Material's, named after MkDocs 2.0. The plan for that date is
# in docs/contributing.md (#platform); the notice on every build is noise.
# mkdocs-redirects (which depends on ProperDocs) also prints ProperDocs' notice
# urging a switch to ProperDocs (our fallback, already built by the tests);
# DISABLE_MKDOCS_2_WARNING is that notice's own switch.
export NO_MKDOCS_2_WARNING := 1
export DISABLE_MKDOCS_2_WARNING := true

.PHONY: help serve build preview test bench lock clean system-site system-preview system-test node

help:
	@echo "make serve  - build and serve the site at http://127.0.0.1:8000 (live reload)"
	@echo "make test   - run every test (strict build, links, hooks, migration, fleet, browser)"
	@echo "make build  - write the site to $(SITE)/ (replaced only if the build succeeds)"
	@echo "make preview - build, then serve $(SITE)/ with nginx and deploy/nginx on http://127.0.0.1:$(PORT)"
	@echo "make bench  - print the benchmark figures"

system-site:
	@bash scripts/dev/install-system-packages.sh site

system-preview:
	@bash scripts/dev/install-system-packages.sh preview

system-test:
	@bash scripts/dev/install-system-packages.sh test

$(PY):
	@echo "==> Creating virtualenv $(VENV)"
	@python3 -m venv $(VENV)

$(SITE_STAMP): requirements/site.txt | $(PY)
	@echo "==> Installing what the site needs (requirements/site.txt, hash-checked)"
	@$(PIP_INSTALL) -r requirements/site.txt
	@touch $@

# The test set includes the site set, so it satisfies both stamps.
$(STAMP): requirements/test.txt | $(PY)
	@echo "==> Installing what the tests need (requirements/test.txt, hash-checked)"
	@$(PIP_INSTALL) -r requirements/test.txt
	@touch $@ $(SITE_STAMP)

# --ignore-scripts: no package's install script runs on this machine.
node_modules/.installed: package.json package-lock.json
	@echo "==> Installing pinned npm packages (package-lock.json)"
	@npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

node: node_modules/.installed

serve: system-site $(SITE_STAMP)
	@echo "==> Serving on http://127.0.0.1:8000 (Ctrl-C to stop)"
	@$(VENV)/bin/mkdocs serve --strict --dev-addr 127.0.0.1:8000

# Build into a staging directory and swap it in only on success, so a failed
# build (bad data, broken link in strict mode) never leaves a half-written site.
build: system-site $(SITE_STAMP)
	@rm -rf $(SITE).new
	@$(VENV)/bin/mkdocs build --strict --site-dir $(SITE).new || { rm -rf $(SITE).new; echo "Build failed; $(SITE)/ left as it was." >&2; exit 1; }
	@rm -rf $(SITE).old
	@if [ -d $(SITE) ]; then mv $(SITE) $(SITE).old; fi
	@mv $(SITE).new $(SITE)
	@rm -rf $(SITE).old
	@echo "==> Site written to $(SITE)/"

# The deployment's nginx configuration on a local port, in the foreground
# (Ctrl-C stops it); installs nginx first if it is missing.
preview: system-preview build
	@$(PY) deploy/nginx/preview.py $(SITE) --port $(PORT)

# One pytest worker per core (pytest-xdist); a test file stays on one worker,
# so its module fixtures (a fleet lab, a built site) are made once.
test: system-test $(STAMP) node
	@echo "==> Running every test on $$(nproc) core(s)"
	@$(PY) -m pytest -n auto --dist loadfile

bench: system-test $(STAMP) node
	@for b in tests/bench/bench_*.py; do echo "==> $$b"; $(PY) "$$b"; done

# Keeps the versions already locked unless requirements/*.in asks for others
# (pip-compile --upgrade-package NAME for one upgrade); asks the package index.
lock: $(STAMP)
	@echo "==> Locking requirements/site.in into requirements/site.txt"
	@$(PIP_COMPILE) --output-file requirements/site.txt requirements/site.in
	@echo "==> Locking requirements/test.in into requirements/test.txt"
	@$(PIP_COMPILE) --output-file requirements/test.txt requirements/test.in

clean:
	rm -rf $(SITE) $(SITE).new $(SITE).old .pytest_cache

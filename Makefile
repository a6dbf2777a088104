# The two commands a newcomer needs:
#   make serve   build the site and serve it with live reload on 127.0.0.1:8000
#   make test    run every test (CI runs exactly this through .ci/run)
# Both set up what they need on first use: system packages, the virtualenv
# from requirements.txt, and (for tests) the pinned npm packages.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV    ?= .venv
PY      := $(VENV)/bin/python
SITE    ?= site
PORT    ?= 8080
STAMP   := $(VENV)/.installed

# Material prints a banner about MkDocs 2.0 on every build; the pins above
# already keep us on MkDocs 1.x, so the banner is noise here.
export NO_MKDOCS_2_WARNING := 1

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

$(STAMP): requirements.txt
	@echo "==> Creating virtualenv $(VENV) from requirements.txt"
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	@echo "==> Installing pinned npm packages (package-lock.json)"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

node: node_modules/.installed

serve: system-site $(STAMP)
	@echo "==> Serving on http://127.0.0.1:8000 (Ctrl-C to stop)"
	@$(VENV)/bin/mkdocs serve --strict --dev-addr 127.0.0.1:8000

# Build into a staging directory and swap it in only on success, so a failed
# build (bad data, broken link in strict mode) never leaves a half-written site.
build: system-site $(STAMP)
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

test: system-test $(STAMP) node
	@echo "==> Running every test"
	@$(PY) -m pytest

bench: system-test $(STAMP) node
	@for b in tests/bench/bench_*.py; do echo "==> $$b"; $(PY) "$$b"; done

lock: $(STAMP)
	@$(PY) -m pip freeze --disable-pip-version-check | grep -v '^pip==' > requirements.lock.tmp
	@{ sed -n '/^#/p' requirements.txt; cat requirements.lock.tmp; } > requirements.txt
	@rm -f requirements.lock.tmp
	@touch $(STAMP)

clean:
	rm -rf $(SITE) $(SITE).new $(SITE).old .pytest_cache

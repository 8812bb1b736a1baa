# Hazard Susceptibility Toolkit: set-up, tests, demo, packaging.
#   make demo    set everything up, build the sample study area and run the plugin on it
#   make test    set everything up and run every test
#   make gallery picture every demo output and report, and QGIS desktop (docs/gallery.md)
#   make package the plugin zip (dist/); make check-package checks it as plugins.qgis.org would
SHELL := /bin/bash
PLUGIN := hazard_susceptibility
SYS_PYTHON := /usr/bin/python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LOCKS := $(wildcard constraints/*.txt)
LINK := .build/plugins/$(PLUGIN)
QP := scripts/qgis_process
SEED ?= 42
export QT_QPA_PLATFORM ?= offscreen
# root installs with apt-get directly; anyone else through sudo
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup system-deps lock test test-core test-other-debian demo gallery bench package \
	check-package deploy clean

setup: system-deps $(STAMP) $(LINK)

# QGIS and its Python bindings, and Xvfb, from Debian, installed only when missing
system-deps:
	@if ! $(SYS_PYTHON) -c "import qgis.core, osgeo.gdal, numpy, matplotlib, ensurepip" >/dev/null 2>&1 \
	   || ! { [ -x /usr/bin/qgis_process.bin ] || [ -x /usr/bin/qgis_process ]; }; then \
	  echo "Installing QGIS from Debian's packages..."; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends \
	    qgis python3-qgis qgis-providers python3-matplotlib python3-venv python3-pip; \
	fi
	@# Xvfb, for the desktop test (tests/qgis/test_desktop.py runs /usr/bin/qgis in it)
	@if ! command -v xvfb-run >/dev/null || ! command -v xauth >/dev/null; then \
	  echo "Installing Xvfb from Debian's packages..."; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends \
	    xvfb xauth; \
	fi

# the venv, from the lock of this platform (Python x numpy of Debian: constraints/<tag>.txt)
$(STAMP): requirements.txt requirements-dev.txt $(LOCKS) core/util/locks.py scripts/setup_venv.sh
	@SYS_PYTHON=$(SYS_PYTHON) bash scripts/setup_venv.sh $(VENV)
	@touch $@

# maintainers: resolve requirements*.txt afresh on this platform and rewrite its lock
lock: system-deps
	@SYS_PYTHON=$(SYS_PYTHON) bash scripts/setup_venv.sh --lock $(VENV)

# the repository root is the plugin folder; QGIS finds it under the name $(PLUGIN)
$(LINK):
	@mkdir -p $(dir $@)
	@ln -sfn "$(CURDIR)" $@

test: setup
	$(PY) -m pytest tests
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory check-package; \
	else echo "check-package: skipped: not a git checkout (make package is git archive)"; fi

# make test on a clean clone inside a chroot of the other Debian release (root; see .ci/run)
test-other-debian:
	@bash .ci/other-debian test

test-core: setup
	$(PY) -m pytest tests/core

demo: setup
	@bash scripts/demo.sh $(SEED)

# every demo output pictured with its saved style, every report screenshot: docs/gallery.md
gallery: setup
	@[ -f demo_output/multihazard/bivariate.tif ] || bash scripts/demo.sh $(SEED)
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends chromium; }
	@[ -f docs/gallery/desktop/index.json ] || $(PY) -m pytest -q tests/qgis/test_desktop.py || true
	@$(PY) scripts/gallery.py demo_output docs

bench: setup
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done
	@echo "== bench/bench_region.py parallel"; $(PY) bench/bench_region.py parallel

# a zip that QGIS's "Install from ZIP" accepts: tests and dev files excluded (.gitattributes)
package:
	@mkdir -p dist
	git archive --format=zip --prefix=$(PLUGIN)/ -o dist/$(PLUGIN).zip HEAD
	@echo "wrote dist/$(PLUGIN).zip"

# that zip checked as the plugin repository (plugins.qgis.org) checks an upload: structure,
# metadata, file modes, Bandit, detect-secrets, flake8 (scripts/check_package.py says what)
check-package: setup package
	@$(PY) scripts/check_package.py dist/$(PLUGIN).zip

# link the working tree into the user's default QGIS profile
deploy:
	@d="$${QGIS_PROFILE_DIR:-$$HOME/.local/share/QGIS/QGIS3/profiles/default}/python/plugins"; \
	mkdir -p "$$d" && ln -sfn "$(CURDIR)" "$$d/$(PLUGIN)" && echo "linked $$d/$(PLUGIN)"

clean:
	rm -rf .build demo_output dist .pytest_cache

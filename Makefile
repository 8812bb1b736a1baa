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

.PHONY: setup system-deps lock test test-core test-other-debian test-322 test-344 check-qt6 \
	demo gallery bench package check-package deploy clean

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

# TESTS: what pytest runs (default: everything), e.g. make test TESTS=tests/qgis/test_compat.py
TESTS ?= tests
test: setup
	$(PY) -m pytest $(TESTS)
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory check-package; \
	else echo "check-package: skipped: not a git checkout (make package is git archive)"; fi

# make test on a clean clone inside a chroot of the QGIS this machine does not have (root; see
# .ci/run): 3.44 LTR (trixie-backports) from Debian 12, 3.22 (bookworm) from Debian 13
test-other-debian:
	@bash .ci/other-debian test TESTS="$(TESTS)"

# the current LTR alone, QGIS 3.44 in a trixie-backports chroot, on the committed state
# (HAZARD_CI_WORKTREE=1: on the working tree, uncommitted changes included); and the oldest, 3.22
test-344:
	@bash .ci/other-debian --qgis 3.44 $${HAZARD_CI_WORKTREE:+--worktree} test TESTS="$(TESTS)"

test-322:
	@bash .ci/other-debian --qgis 3.22 $${HAZARD_CI_WORKTREE:+--worktree} test TESTS="$(TESTS)"

# the static Qt 6 / QGIS 4 gate alone (make test runs it too: tests/qgis/test_qt6_gate.py)
check-qt6: setup
	$(PY) scripts/qt6_gate.py

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

# every benchmark, each script's wall time and the total after it (target: under 45 min on 2
# cores; bench/README.md has each script's share)
bench: setup
	@t0=$$(date +%s); \
	for b in bench/bench_*.py "bench/bench_region.py parallel"; do \
	  t=$$(date +%s); echo "== $$b (load $$(cut -d' ' -f1 /proc/loadavg))"; \
	  $(PY) $$b || exit 1; \
	  echo "== $$b: $$(( $$(date +%s) - t )) s"; \
	done; \
	echo "== make bench: $$(( ($$(date +%s) - t0) / 60 )) min on $$(nproc) cores (target: under 45)"

# a zip that QGIS's "Install from ZIP" accepts: tests and dev files excluded (.gitattributes)
package:
	@mkdir -p dist
	git archive --format=zip --prefix=$(PLUGIN)/ -o dist/$(PLUGIN).zip HEAD
	@echo "wrote dist/$(PLUGIN).zip"

# that zip checked as the plugin repository (plugins.qgis.org) checks an upload: structure,
# metadata, file modes, Bandit, detect-secrets, flake8 (scripts/check_package.py says what)
check-package: setup package
	@$(PY) scripts/check_package.py dist/$(PLUGIN).zip

# link the working tree into the user's default QGIS profile: QGIS 3's (QGIS/QGIS3) and QGIS 4's
# (QGIS/QGIS4), each one that exists; QGIS 3's when neither does (a QGIS4 folder made here would
# stop QGIS 4 from migrating the QGIS 3 profiles on its first start); or $QGIS_PROFILE_DIR alone
deploy:
	@if [ -n "$${QGIS_PROFILE_DIR:-}" ]; then profiles="$$QGIS_PROFILE_DIR"; else \
	  base="$${XDG_DATA_HOME:-$$HOME/.local/share}/QGIS"; profiles=""; \
	  for v in 3 4; do [ -d "$$base/QGIS$$v" ] && profiles="$$profiles $$base/QGIS$$v/profiles/default"; done; \
	  [ -n "$$profiles" ] || profiles="$$base/QGIS3/profiles/default"; \
	fi; \
	for p in $$profiles; do d="$$p/python/plugins"; \
	  mkdir -p "$$d" && ln -sfn "$(CURDIR)" "$$d/$(PLUGIN)" && echo "linked $$d/$(PLUGIN)" || exit 1; \
	done

clean:
	rm -rf .build demo_output dist .pytest_cache

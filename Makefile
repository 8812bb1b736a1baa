# Hazard Susceptibility Toolkit: set-up, tests, demo, packaging.
#   make demo    set everything up, build the sample study area and run the plugin on it
#   make test    set everything up and run every test
SHELL := /bin/bash
PLUGIN := hazard_susceptibility
SYS_PYTHON := /usr/bin/python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LINK := .build/plugins/$(PLUGIN)
QP := scripts/qgis_process
SEED ?= 42
export QT_QPA_PLATFORM ?= offscreen
# root installs with apt-get directly; anyone else through sudo
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup system-deps test test-core demo bench package deploy clean

setup: system-deps $(STAMP) $(LINK)

# QGIS and its Python bindings from Debian, installed only when missing
system-deps:
	@if ! $(SYS_PYTHON) -c "import qgis.core, osgeo.gdal, ensurepip" >/dev/null 2>&1 \
	   || ! { [ -x /usr/bin/qgis_process.bin ] || [ -x /usr/bin/qgis_process ]; }; then \
	  echo "Installing QGIS from Debian's packages..."; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends \
	    qgis python3-qgis qgis-providers python3-venv python3-pip; \
	fi

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	@[ -x $(PY) ] || $(SYS_PYTHON) -m venv --system-site-packages $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -r requirements-dev.txt -c constraints.txt
	$(PY) -c "import numpy; assert numpy.__version__ < '2', numpy.__version__; from osgeo import gdal; import qgis.core"
	@touch $@

# the repository root is the plugin folder; QGIS finds it under the name $(PLUGIN)
$(LINK):
	@mkdir -p $(dir $@)
	@ln -sfn "$(CURDIR)" $@

test: setup
	$(PY) -m pytest tests

test-core: setup
	$(PY) -m pytest tests/core

demo: setup
	@bash scripts/demo.sh $(SEED)

bench: setup
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# a zip that QGIS's "Install from ZIP" accepts: tests and dev files excluded (.gitattributes)
package:
	@mkdir -p dist
	git archive --format=zip --prefix=$(PLUGIN)/ -o dist/$(PLUGIN).zip HEAD
	@echo "wrote dist/$(PLUGIN).zip"

# link the working tree into the user's default QGIS profile
deploy:
	@d="$${QGIS_PROFILE_DIR:-$$HOME/.local/share/QGIS/QGIS3/profiles/default}/python/plugins"; \
	mkdir -p "$$d" && ln -sfn "$(CURDIR)" "$$d/$(PLUGIN)" && echo "linked $$d/$(PLUGIN)"

clean:
	rm -rf .build demo_output dist .pytest_cache

# Two entry points for people: `make demo` and `make test`. Everything they need is
# installed here (apt packages, then a venv), so both work on a fresh Debian machine.
# Daemons the packages ship (postgresql, rsyslog, clamav's freshclam) are not started on
# this machine: the tests start their own on 127.0.0.1 and stop them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := debootstrap systemd-container iproute2 openssh-client procps psmisc python3-venv chromium chromium-driver apt-utils gpg \
  clamav clamav-testfiles minisign sleuthkit postgresql rsyslog rsyslog-gnutls age
LAB_NAME ?= demo
DEMO_INVENTORY := inventories/lab/$(LAB_NAME).yml
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: deps venv scanner lint unit test demo demo-advisory demo-down ee-context clean completion

deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "apt-get install$$missing"; \
	  policy=/usr/sbin/policy-rc.d; made=""; \
	  if [ ! -e $$policy ]; then printf '#!/bin/sh\nexit 101\n' > $$policy; chmod 755 $$policy; made=1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; rc=$$?; \
	  [ -z "$$made" ] || rm -f $$policy; \
	  [ $$rc -eq 0 ]; \
	fi

$(BIN)/assessor: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

venv: $(BIN)/assessor

# OpenSCAP newer than this machine's (trixie's scanner, forky's SSG content 0.1.82, pinned,
# with Debian 12 and 13 data streams), unpacked from Debian's archive into
# /var/cache/assessor/oscap once (rebuilt when the tree holds other content; kept .debs
# first): the OpenSCAP agreement tests scan with it and never download.
scanner: venv
	$(BIN)/python -m assessor.lab.scanner

lint: venv
	@# ansible-lint (the longest) runs beside the others: two cores, one wall clock
	$(BIN)/ansible-lint -q roles playbooks & ansible_lint=$$!; \
	  $(BIN)/ruff check assessor tests roles bench && $(BIN)/mypy && $(BIN)/lint-imports; rc=$$?; \
	  wait $$ansible_lint || rc=1; exit $$rc

unit: venv
	$(BIN)/pytest -q tests/unit

test: deps venv lint scanner
	$(BIN)/pytest -q -n 2 --dist loadgroup --durations=15 tests

# Idempotent: a second `make demo` reuses the running lab (or restarts it when its hosts
# are gone) and assesses again, so the fleet page's trend chart gains a point.
demo: deps venv completion
	$(BIN)/assessor lab up --reuse --name $(LAB_NAME) --hosts 3 --flavours weak,partial,hardened
	$(BIN)/assessor assess -i $(DEMO_INVENTORY) --out reports; \
	  rc=$$?; echo "assess exit code $$rc (1 = some control failed, as a demo should show)"; \
	  [ $$rc -le 1 ]
	@echo "Stop the lab with: $(BIN)/assessor lab down --name $(LAB_NAME)"

# An advisory, from exposed to patched to clean, on a 2-host lab with its own signed
# repository: exposure (exit 1: exposed), patch --check (nothing changes), patch, exposure
# again (exit 0). Each step prints where its reports are.
ADVISORY_LAB := advdemo
ADVISORY := inventories/example/cert-demo-bulletin.yaml
demo-advisory: deps venv
	$(BIN)/assessor lab down --name $(ADVISORY_LAB)
	$(BIN)/assessor lab up --name $(ADVISORY_LAB) --hosts 2 --flavours weak
	$(BIN)/assessor lab demo-repo --name $(ADVISORY_LAB)
	$(BIN)/assessor exposure -i inventories/lab/$(ADVISORY_LAB).yml --advisories $(ADVISORY) \
	  --out reports; [ $$? -eq 1 ]
	$(BIN)/assessor patch -i inventories/lab/$(ADVISORY_LAB).yml --advisories $(ADVISORY) \
	  --check --out reports; [ $$? -le 1 ]
	$(BIN)/assessor patch -i inventories/lab/$(ADVISORY_LAB).yml --advisories $(ADVISORY) \
	  --out reports
	$(BIN)/assessor exposure -i inventories/lab/$(ADVISORY_LAB).yml --advisories $(ADVISORY) \
	  --out reports
	@echo "Stop the lab with: $(BIN)/assessor lab down --name $(ADVISORY_LAB)"

# The execution environment's build context (offline); building the image needs podman.
ee-context: venv
	$(BIN)/assessor collection build --out ee/dist
	cp ee/dist/assessor-baseline-*.tar.gz ee/assessor-baseline.tar.gz
	$(BIN)/ansible-builder create -f execution-environment.yml -c ee/context --output-filename Containerfile
	@echo "Build context: ee/context (ansible-builder build -f execution-environment.yml)"
# bash and zsh completion from the real parser (argcomplete), kept inside the venv.
COMPLETIONS := $(VENV)/share/bash-completion/completions/assessor $(VENV)/share/zsh/site-functions/_assessor
completion: venv
	@mkdir -p $(VENV)/share/bash-completion/completions $(VENV)/share/zsh/site-functions
	$(BIN)/register-python-argcomplete --shell bash assessor > $(VENV)/share/bash-completion/completions/assessor
	$(BIN)/register-python-argcomplete --shell zsh assessor > $(VENV)/share/zsh/site-functions/_assessor
	@echo "completion: bash: source $(CURDIR)/$(VENV)/share/bash-completion/completions/assessor"
	@echo "            zsh:  fpath=($(CURDIR)/$(VENV)/share/zsh/site-functions \$$fpath); autoload -Uz compinit && compinit"

demo-down: venv
	$(BIN)/assessor lab down --name $(LAB_NAME)

clean:
	rm -rf $(VENV) reports .pytest_cache .mypy_cache .ruff_cache

# Two entry points for people: `make demo` and `make test`. Everything they need is
# installed here (apt packages, then a venv), so both work on a fresh Debian machine.
# Daemons the packages ship (postgresql, rsyslog, clamav's freshclam) are not started on
# this machine: the tests start their own on 127.0.0.1 and stop them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := debootstrap systemd-container iproute2 openssh-client procps psmisc python3-venv chromium chromium-driver apt-utils gpg \
  clamav clamav-testfiles minisign sleuthkit postgresql rsyslog age
LAB_NAME ?= demo
DEMO_INVENTORY := inventories/lab/$(LAB_NAME).yml
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: deps venv lint unit test demo demo-advisory demo-down clean

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

lint: venv
	$(BIN)/ruff check assessor tests roles bench
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: venv
	$(BIN)/pytest -q tests/unit

test: deps venv lint
	$(BIN)/pytest -q --durations=10 tests

demo: deps venv
	$(BIN)/assessor lab down --name $(LAB_NAME)  # a second `make demo` starts afresh
	$(BIN)/assessor lab up --name $(LAB_NAME) --hosts 3 --flavours weak,partial,hardened
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

demo-down: venv
	$(BIN)/assessor lab down --name $(LAB_NAME)

clean:
	rm -rf $(VENV) reports .pytest_cache .mypy_cache .ruff_cache

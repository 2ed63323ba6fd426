# Two commands a newcomer needs: `make run` (the helpline on this machine) and `make test`.
VENV ?= .venv
# The suite runs in this many processes (pytest-xdist): most of a test's time is waiting, so more than
# the cores. Not 6 yet, though it is 15% faster on 2 cores: the tests that measure seconds of a call on
# a sped-up clock miss their bounds on a machine that busy (1 run in 3); see docs/plans/issue-18.md.
TEST_WORKERS ?= 4
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: install run serve test check bench

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# Development: professionals are rung through the simulated Twilio that `ivr call --url` serves on 5001.
DEV_TWILIO := TWILIO_ACCOUNT_SID=$${TWILIO_ACCOUNT_SID:-AC00000000000000000000000000000000} IVR_TWILIO_API_URL=$${IVR_TWILIO_API_URL:-http://127.0.0.1:5001}

run: install
	$(VENV)/bin/ivr check flows
	@echo "Helpline on http://127.0.0.1:5000 - try a call in another terminal: .venv/bin/ivr call --url http://127.0.0.1:5000"
	$(DEV_TWILIO) $(PY) app.py

serve: install
	$(VENV)/bin/gunicorn -w 2 -b 127.0.0.1:5000 app:app

# Bytecode is written even where PYTHONDONTWRITEBYTECODE is set: each test process (and each helpline
# process a test starts) would otherwise compile the package and the tests again, 3-4 s of CPU each.
test: install
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup

check: install
	$(VENV)/bin/ivr check flows

bench: install
	$(PY) scripts/bench_flows.py
	$(PY) scripts/bench_webhook.py

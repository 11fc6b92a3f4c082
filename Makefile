# Kiểm Dịch QR — `make run` (everything, then serve) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Read by the settings too: unless PUBLIC_BASE_URL is set, QR codes, posters and SMS point to
# the port being served.
export PORT
WORKERS ?= 1
THREADS ?= 4
LIVE_PORT ?= 8001
PG_URL ?= postgres://postgres@127.0.0.1:5432/kiemdich_test
export KIEMDICH_DATA_DIR ?= $(CURDIR)/var
# Dependencies are installed from hashed locks (`make lock` writes them from pyproject.toml):
# requirements/dev.txt with the test tools, or requirements/prod.txt on a server, without them
# (`make setup DEPS=prod`).
DEPS ?= dev
LOCK := requirements/$(DEPS).txt

.PHONY: run setup serve serve-api serve-live worker test test-sqlite test-postgres browsers lint bench demo screenshots lock check-installed cluster cluster-down cluster-status test-cluster

# The server and a job worker beside it (the statistics, schedules and long jobs): Ctrl-C
# stops both.
run: export DEBUG ?= 1
# The demo data's province (Đồng Nai): the forms and the public progress page start there.
run: export HOME_AREA ?= 75
run: setup demo
	@$(PY) manage.py run_worker & trap 'kill -TERM $$! 2>/dev/null; wait' EXIT; \
		$(MAKE) --no-print-directory serve

# pip refuses any file whose hash is not in the lock, and any dependency the lock lacks. The
# development install also makes the checkout importable (editable, with the pinned build
# backend); a server runs from its checkout directory and needs no install of the project.
$(VENV)/.installed: $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(if $(filter dev,$(DEPS)),$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .)
	touch $@

# After a change to the dependencies in pyproject.toml: the locks again, keeping every pin the
# change allows (UPGRADE=1: the newest versions allowed). The development lock is constrained
# by the production one, so both install the same version of a package.
UV_COMPILE = $(VENV)/bin/uv pip compile pyproject.toml --quiet --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade)
lock: $(VENV)/.installed
	$(UV_COMPILE) -o requirements/prod.txt
	$(UV_COMPILE) --extra dev -c requirements/prod.txt -o requirements/dev.txt

setup: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_areas
	$(PY) manage.py compilemessages --ignore=.venv >/dev/null 2>&1 || true

demo: export DEBUG ?= 1
demo: $(VENV)/.installed
	$(PY) manage.py seed_demo

# Serving never installs, whatever changed: a server starts without reaching a registry.
# `make setup` installs; serving only checks that it did.
check-installed:
	@test -f $(VENV)/.installed || { echo "Not installed: run 'make setup' first." >&2; exit 1; }

# Production-style serving: uvicorn (ASGI, for the live feed), static files by WhiteNoise.
# The metrics of a server's worker processes (kiemdich/core/metrics.py), emptied when it starts.
METRICS_DIR = $(KIEMDICH_DATA_DIR)/metrics/$(1)-$(2)
fresh_metrics = rm -rf $(call METRICS_DIR,$(1),$(2)) && mkdir -p $(call METRICS_DIR,$(1),$(2))

serve: check-installed
	$(PY) manage.py collectstatic --noinput >/dev/null
	$(call fresh_metrics,serve,$(PORT))
	PROMETHEUS_MULTIPROC_DIR=$(call METRICS_DIR,serve,$(PORT)) $(VENV)/bin/uvicorn kiemdich.asgi:application --host $(HOST) --port $(PORT) \
		--workers $(WORKERS) --no-access-log --timeout-graceful-shutdown 5

# Production, two servers behind the proxy (docs/operations.md): every request but the live
# feed on granian's WSGI workers (threads, keep-alive, no per-request thread hop; a dead worker
# is replaced, SIGHUP reloads without refusing a request: deploy/serve-api), and the live
# feed's endless streams on uvicorn (ASGI).
serve-api: check-installed
	$(PY) manage.py collectstatic --noinput >/dev/null
	HOST=$(HOST) PORT=$(PORT) WORKERS=$(WORKERS) THREADS=$(THREADS) PYTHON=$(PY) deploy/serve-api

serve-live: check-installed
	$(call fresh_metrics,live,$(LIVE_PORT))
	PROMETHEUS_MULTIPROC_DIR=$(call METRICS_DIR,live,$(LIVE_PORT)) $(VENV)/bin/uvicorn kiemdich.asgi:application --host $(HOST) --port $(LIVE_PORT) \
		--workers $(WORKERS) --no-access-log --timeout-graceful-shutdown 5

# The job worker and scheduler alone (production: as many as wanted, on any machine; the
# systemd unit deploy/kiemdich-worker.service runs the same command). JOB_WORKERS processes.
# Its metrics on JOB_METRICS_PORT (kiemdich/jobs/worker.py; 0, the default: none).
JOB_METRICS_PORT ?= 0
worker: check-installed
	$(call fresh_metrics,worker,$(JOB_METRICS_PORT))
	PROMETHEUS_MULTIPROC_DIR=$(call METRICS_DIR,worker,$(JOB_METRICS_PORT)) \
		JOB_METRICS_PORT=$(JOB_METRICS_PORT) $(PY) manage.py run_worker

# The production topology of deploy/cluster/ on one machine (tools/cluster.py): etcd, three
# PostgreSQL members under Patroni, HAProxy, two API servers, two live servers, two job
# workers, Redis, Prometheus and the PostgreSQL and Redis exporters, on
# ports 17000–17099 (CLUSTER_PORT_BASE), data under var/cluster/; var/cluster/topology.json
# says who is where. `make cluster-down` stops it and keeps the data (`rm -rf var/cluster`
# for a fresh one).
CLUSTER_PORT_BASE ?= 17000
CLUSTER = $(PY) tools/cluster.py --port-base $(CLUSTER_PORT_BASE)
cluster: check-installed
	$(CLUSTER) up
cluster-down: check-installed
	$(CLUSTER) down
cluster-status: check-installed
	$(CLUSTER) status

# The whole suite, on SQLite and on a throwaway PostgreSQL database, the two passes at once
# (tools/test_passes.py: a line a minute, then each pass's log whole; logs in var/test-logs/).
test: $(VENV)/.installed browsers
	$(PY) tools/test_passes.py

TEST_ENV = DEBUG=0 SECRET_KEY=test-secret-key-not-for-production-0123456789 \
	KEY_ENCRYPTION_KEY=test-key-encryption-key-not-for-production-0123 \
	AUDIT_KEY=test-audit-key-not-for-production-0123456789 SMS_BACKEND=file

test-sqlite: $(VENV)/.installed
	$(TEST_ENV) KIEMDICH_DATA_DIR=$(CURDIR)/var/test-sqlite DATABASE_URL=sqlite:///$(CURDIR)/var/test-sqlite/db.sqlite3 \
		$(PY) -m pytest -n 2 $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed
	$(TEST_ENV) KIEMDICH_DATA_DIR=$(CURDIR)/var/test-pg DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} \
		$(PY) -m pytest -n 2 $(PYTEST_ARGS)

# The cluster through its failures (tests/cluster/): one cluster of its own on the first free
# hundred ports from 17100, under var/cluster-test/, killed and brought back in turn; one line per
# scenario (acknowledged, lost, duplicated, seconds without service).
test-cluster: $(VENV)/.installed
	CLUSTER_TESTS=1 LOG_LEVEL=WARNING $(TEST_ENV) KIEMDICH_DATA_DIR=$(CURDIR)/var/test-cluster \
		DATABASE_URL=sqlite:///$(CURDIR)/var/test-cluster/db.sqlite3 \
		$(PY) -m pytest -s tests/cluster $(PYTEST_ARGS)

browsers:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium fonts-dejavu-core)

# The style (ruff), the types (mypy with Django's stubs, configured in pyproject.toml; the
# settings need DEBUG or real keys to import) and the layers (import-linter's contracts in
# .importlinter, drawn in docs/architecture.md).
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check kiemdich tests bench tools
	DEBUG=1 $(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-logo --no-cache

# Every page of the journeys at phone and desktop sizes, from a throwaway demo database.
screenshots: $(VENV)/.installed browsers
	$(PY) tools/screenshots.py

# The benchmark suite (by hand, not in CI): PostgreSQL database kiemdich_bench, generated data
# (SCALE=1M by default, SCALE=30M for the big run), serve-api as deployed, the load driver,
# tracing, the dashboard and the pgbench ceiling; prints a table, writes bench/results/*.json.
SCALE ?= 1M
bench: $(VENV)/.installed
	$(PY) bench/run.py --scale $(SCALE)

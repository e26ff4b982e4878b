# Scout: one entry point for every local workflow. Targets are idempotent: a second run only redoes what
# changed (stamps depend on the files that describe each environment).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
DBT_VENV := .venv-dbt
STATE := .scout
DBT_PROJECT := include/dbt_project
UV := $(VENV)/bin/uv
PY := $(VENV)/bin/python

export PYTHONPATH := $(CURDIR)
export SCOUT_HOME ?= $(CURDIR)/$(STATE)

step = @printf '\n\033[1m==> %s\033[0m\n' "$(1)"

.PHONY: help
help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.stamp: requirements.txt requirements-dev.txt edge/pyproject.toml
	$(call step,Airflow environment ($(VENV)))
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==0.13.9
	$(UV) pip install --python $(PY) -r requirements.txt -r requirements-dev.txt -e "./edge[device,stt-base,blob]"
	touch $@

$(DBT_VENV)/.stamp: dbt-requirements.txt | $(VENV)/.stamp
	$(call step,dbt environment ($(DBT_VENV)))
	test -x $(DBT_VENV)/bin/python || $(UV) venv --quiet --python $(PYTHON) $(DBT_VENV)
	$(UV) pip install --python $(DBT_VENV)/bin/python -r dbt-requirements.txt
	touch $@

$(STATE)/jars/.stamp: include/jars/pom.xml | $(VENV)/.stamp
	$(call step,Spark jars from Maven Central ($(STATE)/jars))
	rm -rf $(STATE)/jars && mkdir -p $(STATE)/jars
	mvn --batch-mode --no-transfer-progress --file include/jars/pom.xml \
	    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=$(CURDIR)/$(STATE)/jars
	$(PY) -m include.spark_jobs.session $(STATE)/jars
	touch $@

$(STATE)/kafka/libs/.stamp: tools/kafka/pom.xml
	$(call step,Kafka broker jars from Maven Central ($(STATE)/kafka/libs))
	rm -rf $(STATE)/kafka/libs && mkdir -p $(STATE)/kafka/libs
	mvn --batch-mode --no-transfer-progress --file tools/kafka/pom.xml \
	    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=$(CURDIR)/$(STATE)/kafka/libs
	touch $@

# Cosmos renders the dbt DAG from this manifest (LoadMode.DBT_MANIFEST keeps DAG parsing fast).
$(DBT_PROJECT)/target/manifest.json: $(DBT_VENV)/.stamp $(shell find $(DBT_PROJECT) \( -name '*.sql' -o -name '*.yml' \) | grep -v -e /target/ -e /logs/)
	$(call step,dbt parse (manifest for Cosmos))
	$(DBT_VENV)/bin/dbt parse --quiet --project-dir $(DBT_PROJECT) --profiles-dir $(DBT_PROJECT) \
	    --target-path target --log-path $(CURDIR)/$(STATE)/dbt-logs

.PHONY: install
install: $(VENV)/.stamp $(DBT_VENV)/.stamp $(STATE)/jars/.stamp $(STATE)/kafka/libs/.stamp $(DBT_PROJECT)/target/manifest.json  ## create/update the environments and fetch the jars

.PHONY: demo
demo: install  ## run the edge-to-dashboard slice through Airflow on the embedded default
	$(call step,Slice DAG through Airflow (dag.test on SQLite))
	$(PY) -m include.local demo

# Azurite, Microsoft's Azure Storage emulator (npm), for the edge client's Blob clip store tests.
AZURITE_VERSION := 3.37.0
$(STATE)/azurite/.stamp-$(AZURITE_VERSION):
	$(call step,Azurite $(AZURITE_VERSION) from npm ($(STATE)/azurite))
	npm install --prefix $(STATE)/azurite --no-audit --no-fund --loglevel=error azurite@$(AZURITE_VERSION)
	touch $@

.PHONY: test
test: install $(STATE)/azurite/.stamp-$(AZURITE_VERSION)  ## lint, then run the whole test suite
	$(call step,Lint (ruff, import contracts))
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(call step,Tests)
	$(PY) -m pytest

.PHONY: lint
lint: $(VENV)/.stamp  ## ruff, and the import direction (import-linter contracts in pyproject.toml)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

.PHONY: up
up: install  ## Airflow (API server, scheduler, dag-processor, triggerer) on 127.0.0.1:8080 with this project's DAGs
	$(PY) -m include.local up

.PHONY: medallion medallion-continuous
medallion: install  ## bronze -> silver -> gold once over the landing zone (SCOUT_SOURCE=kafka: the topics)
	$(PY) -m include.spark_jobs medallion --trigger available-now

medallion-continuous: install  ## keep the medallion running, a micro-batch every 10 s (Ctrl-C stops)
	$(PY) -m include.spark_jobs medallion --trigger continuous --interval "10 seconds"

.PHONY: stream-status
stream-status: $(VENV)/.stamp  ## the streaming job's state as its runner sees it (ENGINE=local|spark-submit)
	$(PY) -m include.orchestration.streaming $(ENGINE)

.PHONY: bench bench-latency bench-batch bench-edge
bench: install  ## medallion throughput vs the JSON->Delta floor (EVENTS=1000000)
	$(PY) -m tools.benchmarks.throughput --events $(or $(EVENTS),1000000)

bench-latency: install  ## continuous mode: Kafka -> gold latency p50/p95 at RATE events/s (default 1000; JOB=bronze: the least)
	$(PY) -m tools.benchmarks.latency --rate $(or $(RATE),1000) --seconds $(or $(SECONDS),60) --job $(or $(JOB),medallion)

bench-batch: install  ## what one medallion micro-batch of EVENTS (default 1000) costs, over BATCHES (default 10)
	$(PY) -m tools.benchmarks.batch --events $(or $(EVENTS),1000) --batches $(or $(BATCHES),10)

bench-edge: $(VENV)/.stamp  ## the edge client: speech-to-text RTF, vision fps, simulator events/s
	$(VENV)/bin/scout-edge bench

.PHONY: jars kafka-jars kafka kafka-stop
jars: $(STATE)/jars/.stamp  ## fetch the Spark jars (Delta, the Kafka source) from Maven Central

kafka-jars: $(STATE)/kafka/libs/.stamp

kafka: $(VENV)/.stamp kafka-jars  ## start a local Kafka broker (KRaft) on 127.0.0.1:9092 with the hubs' topics
	$(PY) -m tools.kafka_broker start

kafka-stop: $(VENV)/.stamp  ## stop the local Kafka broker
	$(PY) -m tools.kafka_broker stop

.PHONY: clean
clean:  ## remove local state (lake, checkpoints, Airflow home, broker data); keeps the environments and jars
	find $(STATE) -mindepth 1 -maxdepth 1 ! -name jars ! -name kafka -exec rm -rf {} +
	rm -rf $(STATE)/kafka/broker

# ---- RetailAdvisorDB (Alembic). The database: SCOUT_RETAIL_DB_URL, else SQLite under SCOUT_HOME. ----
.PHONY: db-upgrade db-downgrade db-current db-adopt db-seed db-sql
db-upgrade: $(VENV)/.stamp  ## migrate RetailAdvisorDB to head (or REV=<revision>)
	$(PY) -m include.retail_db upgrade $(or $(REV),head)

db-downgrade: $(VENV)/.stamp  ## migrate RetailAdvisorDB down to REV=<revision|base|-1>
	@test -n "$(REV)" || { echo "usage: make db-downgrade REV=<revision|base|-1>" >&2; exit 2; }
	$(PY) -m include.retail_db downgrade $(REV)

db-current: $(VENV)/.stamp  ## print RetailAdvisorDB's revision
	$(PY) -m include.retail_db current

db-adopt: $(VENV)/.stamp  ## stamp an unmanaged (legacy) RetailAdvisorDB at the revision it matches
	$(PY) -m include.retail_db adopt

db-seed: $(VENV)/.stamp  ## load the reference stores, products and devices (idempotent)
	$(PY) -m include.retail_db seed

db-sql: $(VENV)/.stamp  ## offline SQL: make db-sql FROM=base TO=head DIALECT=mssql|postgresql|sqlite
	@test -n "$(DIALECT)" || { echo "usage: make db-sql FROM=<rev|base> TO=<rev|head> DIALECT=mssql|postgresql|sqlite" >&2; exit 2; }
	@$(PY) -m include.retail_db sql $(or $(FROM),base) $(or $(TO),head) $(DIALECT)

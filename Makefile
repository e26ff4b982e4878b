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
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(VENV)/.stamp: requirements-airflow.txt requirements.txt requirements-dev.txt edge/pyproject.toml
	$(call step,Airflow environment ($(VENV)))
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==0.13.9
	$(UV) pip install --python $(PY) -r requirements-airflow.txt -r requirements.txt -r requirements-dev.txt -e "./edge[device,stt-base,blob]"
	touch $@

$(DBT_VENV)/.stamp: dbt-requirements.txt | $(VENV)/.stamp
	$(call step,dbt environment ($(DBT_VENV)))
	test -x $(DBT_VENV)/bin/python || $(UV) venv --quiet --python $(PYTHON) $(DBT_VENV)
	$(UV) pip install --python $(DBT_VENV)/bin/python -r dbt-requirements.txt
	touch $@

# checkov (Terraform security scan) in a virtualenv of its own: its pins clash with Airflow's.
CHECKOV_VENV := .venv-checkov
$(CHECKOV_VENV)/.stamp: | $(VENV)/.stamp
	$(call step,checkov ($(CHECKOV_VENV)))
	test -x $(CHECKOV_VENV)/bin/python || $(UV) venv --quiet --python $(PYTHON) $(CHECKOV_VENV)
	$(UV) pip install --quiet --python $(CHECKOV_VENV)/bin/python checkov==3.3.30
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

# Debian packages, installed when running as root, else named in one line (tools/system_packages.sh).
# make demo also fetches the dashboard's Chart.js from npm.
DEMO_PACKAGES := python3.11:python3.11 python3.11:python3.11-venv java:openjdk-17-jre-headless mvn:maven \
    node:nodejs npm:npm
# The tests also start PostgreSQL from its binaries, synthesize speech (espeak-ng) for Whisper, and run
# Azurite (npm, above) for the Blob clip store, and drive the dashboard page in a headless Chromium.
TEST_PACKAGES := $(DEMO_PACKAGES) /usr/lib/postgresql/*/bin/initdb:postgresql runuser:util-linux \
    espeak-ng:espeak-ng chromium:chromium chromedriver:chromium-driver

.PHONY: system-packages system-packages-test
system-packages:  ## install the Debian packages make demo needs (as root), or name them
	@tools/system_packages.sh $(DEMO_PACKAGES)
system-packages-test:
	@tools/system_packages.sh $(TEST_PACKAGES)

.PHONY: install
install: system-packages $(VENV)/.stamp $(DBT_VENV)/.stamp $(STATE)/jars/.stamp $(STATE)/kafka/libs/.stamp $(DBT_PROJECT)/target/manifest.json  ## create/update the environments and fetch the jars

.PHONY: demo
demo: install dashboard-vendor  ## run the edge-to-dashboard slice through Airflow on the embedded default
	$(call step,Slice DAG through Airflow (dag.test on SQLite))
	$(PY) -m include.local demo

# Azurite, Microsoft's Azure Storage emulator (npm), for the edge client's Blob clip store tests.
# Chart.js from npm for the dashboard page (no CDN is reachable, and the page must work offline): only its
# UMD build is kept, in $(STATE)/dashboard-vendor, which the page's server serves as /vendor/.
CHARTJS_VERSION := 4.5.1
$(STATE)/dashboard-vendor/.stamp-$(CHARTJS_VERSION):
	$(call step,Chart.js $(CHARTJS_VERSION) from npm ($(STATE)/dashboard-vendor))
	rm -rf $(STATE)/dashboard-vendor $(STATE)/dashboard-npm
	npm install --prefix $(STATE)/dashboard-npm --no-audit --no-fund --loglevel=error chart.js@$(CHARTJS_VERSION)
	mkdir -p $(STATE)/dashboard-vendor
	cp $(STATE)/dashboard-npm/node_modules/chart.js/dist/chart.umd.js $(STATE)/dashboard-npm/node_modules/chart.js/LICENSE.md \
	    $(STATE)/dashboard-vendor/
	rm -rf $(STATE)/dashboard-npm
	touch $@

.PHONY: dashboard-vendor dashboard
dashboard-vendor: $(STATE)/dashboard-vendor/.stamp-$(CHARTJS_VERSION)  ## fetch the dashboard's charting library (Chart.js) from npm
dashboard: install dashboard-vendor  ## serve the Retail Advisor page over the exports on http://127.0.0.1:8050 (DASHBOARD_PORT)
	$(PY) -m include.dashboard --port $${DASHBOARD_PORT:-8050}

AZURITE_VERSION := 3.37.0
$(STATE)/azurite/.stamp-$(AZURITE_VERSION):
	$(call step,Azurite $(AZURITE_VERSION) from npm ($(STATE)/azurite))
	npm install --prefix $(STATE)/azurite --no-audit --no-fund --loglevel=error azurite@$(AZURITE_VERSION)
	touch $@

.PHONY: test
test: system-packages-test install $(STATE)/azurite/.stamp-$(AZURITE_VERSION) $(STATE)/dashboard-vendor/.stamp-$(CHARTJS_VERSION) \
    $(CHECKOV_VENV)/.stamp  ## lint, then run the whole test suite
	$(call step,Lint (ruff, import contracts, DAG parse budget, checkov on infra/terraform, sqlfluff on the dbt models))
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m tools.dag_parse_budget
	$(CHECKOV_VENV)/bin/checkov --directory infra/terraform --framework terraform --skip-download --compact --quiet
	cd $(DBT_PROJECT) && $(CURDIR)/$(VENV)/bin/sqlfluff lint models --disable-progress-bar
	$(call step,Tests)
	$(PY) -m pytest

# The inner loop: lint, then the tests that need no JVM, broker or scheduler (unit tests, DAG integrity and
# params, migrations on SQLite, the edge client). `make test` (and CI) still runs everything.
FAST_TESTS := tests/unit tests/dags tests/migrations edge/tests
.PHONY: test-fast
test-fast: lint  ## lint + the tests without Spark, Kafka or a running Airflow (a few minutes); make test runs all
	$(call step,Fast tests ($(FAST_TESTS), not marked spark/kafka/e2e))
	$(PY) -m pytest $(FAST_TESTS) -m "not spark and not kafka and not e2e"

.PHONY: lint
lint: $(VENV)/.stamp $(CHECKOV_VENV)/.stamp  ## ruff, the import direction (import-linter contracts), the DAG parse budget, checkov on infra/terraform, sqlfluff on the dbt models
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m tools.dag_parse_budget
	$(CHECKOV_VENV)/bin/checkov --directory infra/terraform --framework terraform --skip-download --compact --quiet
	cd $(DBT_PROJECT) && $(CURDIR)/$(VENV)/bin/sqlfluff lint models --disable-progress-bar

# The AudioURL rollback DAG once, with dag.test() on the embedded default (on a deployment: trigger
# scout_audio_url_rollback from the UI). A dry run unless APPLY=1; docs/rollback.md is the guide.
.PHONY: rollback rollback-demo rollback-repair
rollback: install  ## the AudioURL rollback: DIRECTION=restore|deprecate, APPLY=1 to change things, STORES=a,b DEVICES=x,y
	@test -n "$(DIRECTION)" || { echo "usage: make rollback DIRECTION=restore|deprecate [APPLY=1] [STORES=a,b] [DEVICES=x,y] [NO_SAMPLE=1]" >&2; exit 2; }
	$(PY) -m include.local rollback --direction $(DIRECTION) $(if $(APPLY),--apply) \
	    $(if $(STORES),--stores $(STORES)) $(if $(DEVICES),--devices $(DEVICES)) $(if $(NO_SAMPLE),--no-sample)

rollback-demo: install dashboard-vendor  ## deprecate AudioURL (the dashboard loses its clip links), then restore it: each layer before/after
	$(PY) -m include.local rollback-demo

rollback-repair: install  ## the rollback sample an older validation left in production: counted per table; APPLY=1 removes it
	$(PY) -m include.local rollback-repair $(if $(APPLY),--apply)

.PHONY: up
up: install  ## Airflow (API server, scheduler, dag-processor, triggerer) on 127.0.0.1:8080 with this project's DAGs
	$(PY) -m include.local up

.PHONY: medallion medallion-continuous
medallion: install  ## bronze -> silver -> gold once over the landing zone (SCOUT_SOURCE=kafka: the topics)
	$(PY) -m include.spark_jobs medallion --trigger available-now

medallion-continuous: install  ## keep the medallion running, a micro-batch every 10 s (Ctrl-C stops)
	$(PY) -m include.spark_jobs medallion --trigger continuous --interval "10 seconds"

.PHONY: wheels
wheels: $(VENV)/.stamp  ## the Databricks jobs' wheels (scout-pipeline from include/, scout-edge) into .scout/dist
	$(PY) -c 'from include.deploy.pipeline import build_wheels; from include.settings import load_settings; [print(w) for w in build_wheels(load_settings().home / "dist")]'

# Deploys (include/deploy): DRY_RUN=1 prints what each would do, with no tool or credential needed.
DEPLOY_FLAGS = $(if $(DRY_RUN),--dry-run) $(if $(CONFIRM),--confirm)
.PHONY: deploy deploy-infra deploy-pipeline deploy-airflow
deploy: $(VENV)/.stamp  ## deploy-infra, deploy-pipeline, deploy-airflow in order (DRY_RUN=1: print the plans)
	$(PY) -m include.deploy all $(DEPLOY_FLAGS)

deploy-infra: $(VENV)/.stamp  ## Event Hubs with Terraform: plan; CONFIRM=1 applies it (DRY_RUN=1: print the commands)
	$(PY) -m include.deploy infra $(DEPLOY_FLAGS)

deploy-pipeline: $(VENV)/.stamp  ## the wheels and the dbt project to Databricks, scout-medallion and scout-marts created or reset
	$(PY) -m include.deploy pipeline $(DEPLOY_FLAGS)

deploy-airflow: $(VENV)/.stamp  ## the Airflow project to Astronomer (astro deploy), checked here first
	$(PY) -m include.deploy airflow $(DEPLOY_FLAGS)

.PHONY: stream-status
stream-status: $(VENV)/.stamp  ## the streaming job's state as its runner sees it (ENGINE=local|spark-submit|databricks)
	$(PY) -m include.orchestration.streaming $(ENGINE)

.PHONY: bench bench-latency bench-batch bench-dashboard bench-recovery bench-edge
bench: install  ## medallion throughput vs the JSON->Delta floor (EVENTS=1000000)
	$(PY) -m tools.benchmarks.throughput --events $(or $(EVENTS),1000000)

bench-latency: install  ## continuous mode at RATE events/s (default 1000) for SECONDS: the bronze floor, then Kafka -> silver/gold, p95 ratios (JOB=bronze|medallion: one leg)
	$(PY) -m tools.benchmarks.latency --rate $(or $(RATE),1000) --seconds $(or $(SECONDS),60) --job $(or $(JOB),both)

bench-batch: install  ## what one medallion micro-batch of EVENTS (default 1000) costs, over BATCHES (default 10), on a lake of PREFILL events; an idle trigger
	$(PY) -m tools.benchmarks.batch --events $(or $(EVENTS),1000) --batches $(or $(BATCHES),10) --prefill $(or $(PREFILL),0)

bench-dashboard: install  ## under make up (stream running, marts on gold's Asset events): an event landing -> the dashboard's export, per leg
	$(PY) -m tools.benchmarks.dashboard

bench-recovery: install  ## streaming ops: health check time, kill -9 -> gold rows again, over ROUNDS (default 3)
	$(PY) -m tools.benchmarks.recovery --rounds $(or $(ROUNDS),3)

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

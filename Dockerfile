# Scout on Astronomer. Astro Runtime 3.3-8 ships Airflow 3.3.2 (requirements-airflow.txt pins the same for the local
# venv; include/deploy/runtime.py checks they agree). Runtime 3.3 is published for Python 3.12-3.14, not 3.11:
# python-3.12 is the nearest to the local venvs' 3.11 (the requirements resolve for both; tests/unit/test_deploy.py).
# The Runtime image's ONBUILD steps install packages.txt (apt) and requirements.txt (pip), then copy this
# project to /usr/local/airflow; the steps below run after that.
FROM astrocrpublic.azurecr.io/runtime:3.3-8-python-3.12

ENV PYTHONPATH=/usr/local/airflow \
    SCOUT_HOME=/usr/local/airflow/.scout \
    SCOUT_DBT_EXECUTABLE=/usr/local/airflow/dbt_venv/bin/dbt \
    AIRFLOW__COSMOS__ENABLE_TELEMETRY=False

# The event contract shared by the devices and the Spark jobs.
RUN pip install --no-cache-dir --no-deps ./edge

# dbt in its own virtualenv, as Astronomer recommends for Cosmos (dbt's pins clash with Airflow's).
RUN python -m venv dbt_venv && \
    dbt_venv/bin/pip install --no-cache-dir -r dbt-requirements.txt

# The manifest Cosmos renders the dbt task groups from (LoadMode.DBT_MANIFEST: no dbt run at DAG parse).
RUN dbt_venv/bin/dbt parse --project-dir include/dbt_project --profiles-dir include/dbt_project \
        --target-path target --log-path /tmp/dbt-logs

# Jars for the embedded engine (SCOUT_ENGINE=local, e.g. under `astro dev start`); Databricks brings its own.
RUN mvn --batch-mode --no-transfer-progress --file include/jars/pom.xml dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory=/usr/local/airflow/.scout/jars && \
    python -m include.spark_jobs.session /usr/local/airflow/.scout/jars && \
    touch /usr/local/airflow/.scout/jars/.stamp && \
    rm -rf ~/.m2

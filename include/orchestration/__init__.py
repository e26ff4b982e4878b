"""The only Airflow glue: DAG defaults, Cosmos configs and the task bodies of each DAG. DAG files import
from here and nothing heavier; the modules import Airflow, Spark and the rest inside their functions.

- ``defaults``: owner, retries and start date of every DAG
- ``dbt``: Cosmos project, profile, execution and render configs
- ``slice``: the scout_slice DAG's task bodies (the embedded default's demo)
- ``migrations``: the scout_migrations DAG's task body
"""

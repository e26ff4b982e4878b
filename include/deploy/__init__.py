"""Deploy commands: from this repository to a running deployment, one target at a time or all in order.

| target   | what it deploys                                                         | module     | make              |
|----------|-------------------------------------------------------------------------|------------|-------------------|
| infra    | the Event Hubs backbone (infra/terraform): plan; apply with --confirm   | `infra`    | deploy-infra      |
| pipeline | the streaming job's code + the edge wheel, the Databricks job           | `pipeline` | deploy-pipeline   |
| airflow  | the Airflow project to Astronomer (`astro deploy`), checked here first  | `airflow`  | deploy-airflow    |
| all      | the three in that order                                                 |            | deploy            |

Each has a dry run (``--dry-run``, ``make deploy DRY_RUN=1``) that prints what it would do and needs no
tool or credential, and stops with one line (exit 2) naming what is missing. No secret is printed.
"""

"""RetailAdvisorDB, the operational database: Alembic migrations (include/migrations) and their tooling.

    python -m include.retail_db upgrade [REV]     # default head; REV may be relative, e.g. -1
    python -m include.retail_db downgrade REV
    python -m include.retail_db current
    python -m include.retail_db adopt             # stamp an unmanaged (legacy) database, report findings
    python -m include.retail_db sql FROM TO DIALECT   # offline SQL for a DBA (mssql | postgresql | sqlite)
    python -m include.retail_db seed              # deterministic reference data

The database URL comes from SCOUT_RETAIL_DB_URL, else the Airflow connection `retail_advisor_db`, else
the embedded default (SQLite at SCOUT_HOME/retail_advisor.db). Never from a file.
"""

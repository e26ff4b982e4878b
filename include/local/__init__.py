"""Embedded-default extras (one machine, no cloud): the synthetic day, Airflow's local bootstrap
(`make demo`, `make up`) and the demo's summary. Production code never imports this package (an
import-linter contract in pyproject.toml); the slice DAG, the embedded default's demo, is the one
exception, and only for the synthetic day.
"""

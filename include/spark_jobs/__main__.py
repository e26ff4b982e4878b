"""``python -m include.spark_jobs <job> ...``: see include/spark_jobs/cli.py."""

from include.spark_jobs.cli import main

main()

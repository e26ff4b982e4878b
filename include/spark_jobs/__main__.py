"""``python -m include.spark_jobs <job> ...``: see include/spark_jobs/cli.py.

Also run as a file (spark-submit's application): the project root, two folders up, then goes on
``sys.path`` so ``include`` imports wherever the code was put. (On Databricks the job runs the
``scout-jobs`` entry point of the scout-pipeline wheel instead.)
"""

import sys
from pathlib import Path

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from include.spark_jobs.cli import main

main()

"""The three layer jobs (bronze, silver, gold) as three streaming queries of one driver, until stopped:

    python -m tests.layer_jobs --home HOME [the job command line's options]

Production runs each as its own task (include/spark_jobs/cli.py); a test runs them here in one JVM, not
three on 2 cores. Each query keeps its own checkpoint and batch ids as it would alone; a kill -9 of this
process stops all three wherever each one is. SIGTERM stops them cleanly (exit 0).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading

from include.spark_jobs import jobs
from include.spark_jobs.cli import parse_args
from include.spark_jobs.session import session_for


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _, settings, trigger = parse_args(["bronze", *argv])
    spark = session_for(settings, "scout-layers")
    # In jobs.LAYERS's order: each creates the tables the next one streams.
    queries = [jobs.start(job.name, spark, settings, trigger) for job in jobs.LAYERS]
    stopping = threading.Event()

    def stop(signum, frame) -> None:
        stopping.set()
        threading.Thread(target=lambda: [q.stop() for q in queries], daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    while not stopping.is_set():
        spark.streams.awaitAnyTermination()  # one ended: unless we are stopping, that is a failure
        if not stopping.is_set():
            failed = [f"{q.name}: {q.exception()}" for q in queries if not q.isActive]
            print("FAILED: " + "; ".join(failed), file=sys.stderr)
            return 1
    for query in queries:
        query.awaitTermination()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

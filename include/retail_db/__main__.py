"""python -m include.retail_db COMMAND: see include/retail_db/__init__.py."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from include.arguments import ArgumentParser, run_command
from include.retail_db import migrate
from include.retail_db.config import database_url
from include.settings import load_settings


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m include.retail_db")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade").add_argument("target", nargs="?", default="head")
    sub.add_parser("downgrade").add_argument("target")
    sub.add_parser("current")
    sub.add_parser("adopt")
    sub.add_parser("seed")
    sql = sub.add_parser("sql", help="offline SQL for a DBA")
    sql.add_argument("start", help="revision the database is at (base for an empty one)")
    sql.add_argument("end", help="revision to reach")
    sql.add_argument("dialect", choices=sorted(migrate.DIALECT_URLS))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    return run_command(parser.prog, lambda: _run(args))


def _run(args: argparse.Namespace) -> None:
    # The Airflow connection lookup must not create ~/airflow: use the project's local Airflow home.
    os.environ.setdefault("AIRFLOW_HOME", str(load_settings().airflow_home))
    if args.command == "sql":
        sys.stdout.write(migrate.render_sql(args.dialect, args.start, args.end))
        return
    url = database_url()
    if args.command == "upgrade":
        before, after = migrate.upgrade(url, args.target)
        print(f"RetailAdvisorDB: {before or 'empty'} -> {after}")
    elif args.command == "downgrade":
        before, after = migrate.downgrade(url, args.target)
        print(f"RetailAdvisorDB: {before} -> {after or 'base (empty)'}")
    elif args.command == "current":
        print(migrate.current(url) or "none (not managed, or empty)")
    elif args.command == "adopt":
        print(migrate.adopt(url).describe())
    elif args.command == "seed":
        from include.retail_db.seed import seed

        print(f"seeded: {seed(url)}")


if __name__ == "__main__":
    sys.exit(main())

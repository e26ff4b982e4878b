"""python -m include.deploy {infra,pipeline,airflow,all} [--dry-run] [--confirm]: see include/deploy/__init__.py."""

from __future__ import annotations

import os
import sys
from dataclasses import replace

from include.arguments import ArgumentParser, run_command
from include.settings import DATABRICKS_CATALOG, Engine, Settings, load_settings

TARGETS = ("infra", "pipeline", "airflow")


def _plan(target: str, settings: Settings, confirm: bool) -> list[str]:
    from include.deploy import airflow, infra, pipeline

    if target == "infra":
        return infra.plan(settings, confirm=confirm)
    if target == "pipeline":
        return pipeline.plan(settings)
    return airflow.plan()


def _run(target: str, settings: Settings, confirm: bool) -> None:
    from include.deploy import airflow, infra, pipeline

    if target == "infra":
        infra.run(settings, confirm=confirm)
    elif target == "pipeline":
        print(pipeline.PipelineDeploy(settings).run(settings.home / "dist"))
    else:
        airflow.run()


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m include.deploy")
    parser.add_argument("target", choices=[*TARGETS, "all"], help="all: infra, pipeline, airflow in order")
    parser.add_argument("--dry-run", action="store_true", help="print what it would do; needs no credentials")
    parser.add_argument("--confirm", action="store_true", help="infra: apply the plan (without it: plan only)")
    args = parser.parse_args(argv)
    targets = TARGETS if args.target == "all" else (args.target,)

    def deploy() -> None:
        settings = load_settings()
        # What is deployed runs on Databricks, whatever this machine's own engine.
        settings = replace(settings, engine=Engine.DATABRICKS, catalog=settings.catalog or DATABRICKS_CATALOG)
        os.environ.setdefault("AIRFLOW_HOME", str(settings.airflow_home))  # connection lookups: not ~/airflow
        for target in targets:
            if args.dry_run:
                print(f"deploy {target} (dry run: nothing is built, uploaded or changed):")
                for step in _plan(target, settings, args.confirm):
                    print(f"  - {step}")
            else:
                print(f"==> deploy {target}")
                _run(target, settings, args.confirm)

    return run_command(parser.prog, deploy)


if __name__ == "__main__":
    sys.exit(main())

"""The job command line: arguments, and which kind of job may write a lake."""

from __future__ import annotations

import pytest

from include.errors import SettingsError
from include.settings import Settings
from include.spark_jobs import jobs
from include.spark_jobs.cli import JOB_NAMES, parse_args
from include.spark_jobs.jobs import check_lake_owner


def test_a_lake_built_by_the_layer_jobs_refuses_the_medallion_and_back(tmp_path):
    settings = Settings(home=tmp_path)
    for name in ("medallion", "bronze", "silver", "gold"):
        check_lake_owner(settings, name)  # a new lake: anyone may start it

    (settings.checkpoint_dir / "silver").mkdir(parents=True)
    check_lake_owner(settings, "bronze")  # the layer jobs share a lake
    with pytest.raises(SettingsError, match=r"built by the silver job .*the medallion job would read the hubs"):
        check_lake_owner(settings, "medallion")

    (settings.checkpoint_dir / "silver").rmdir()
    (settings.checkpoint_dir / "medallion").mkdir()
    check_lake_owner(settings, "medallion")  # its own lake: a restart resumes
    with pytest.raises(SettingsError, match=r"built by the medallion job .*Keep running the medallion job"):
        check_lake_owner(settings, "gold")


def test_the_command_line_rejects_a_batch_bound_below_one(capsys):
    with pytest.raises(SystemExit) as exit_:
        parse_args(["medallion", "--max-files-per-trigger", "0"])
    assert exit_.value.code == 2
    assert "--max-files-per-trigger must be at least 1" in capsys.readouterr().err


def test_the_batch_bounds_reach_the_trigger():
    _, _, default = parse_args(["medallion"])
    assert (default.max_files, default.max_offsets) == (100, 100_000)
    _, _, bounded = parse_args(["bronze", "--max-files-per-trigger", "7", "--max-offsets-per-trigger", "40"])
    assert (bounded.max_files, bounded.max_offsets) == (7, 40)


def test_the_command_line_names_every_job_and_only_those():
    # cli.py lists the names without importing pyspark (a wrong argument fails before a JVM starts)
    assert tuple(jobs.JOBS) == JOB_NAMES


def test_an_unknown_job_or_trigger_is_one_line_and_exit_2(capsys):
    for argv in (["platinum"], ["medallion", "--trigger", "sometimes"]):
        with pytest.raises(SystemExit) as exit_:
            parse_args(argv)
        assert exit_.value.code == 2
        assert "invalid choice" in capsys.readouterr().err.splitlines()[-1]


def test_the_entry_point_runs_as_a_file_from_anywhere(tmp_path):
    """As spark-submit runs it: a file path, another cwd, no PYTHONPATH."""
    import os
    import subprocess
    import sys

    from include.settings import PROJECT_ROOT

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    entry = PROJECT_ROOT / "include" / "spark_jobs" / "__main__.py"
    done = subprocess.run([sys.executable, str(entry), "nope"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "python -m include.spark_jobs: error: argument job: invalid choice: 'nope'"
        " (choose from 'medallion', 'bronze', 'silver', 'gold') (see --help)"
    ]

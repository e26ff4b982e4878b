"""The AudioURL switch's ordering with the stream: the flags' version, and the wait for a batch that
applied it (or an idle trigger after the switch). With the continuous stream running:
tests/spark/test_rollback_with_stream.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from include.errors import PipelineStepFailed
from include.rollback.pipeline import wait_until_applied
from include.settings import Settings
from include.spark_jobs import flags

SWITCH = datetime(2026, 12, 7, 10, 0, 0, 500000, tzinfo=UTC)


def test_every_write_of_the_flags_is_a_new_version(tmp_path):
    settings = Settings(home=tmp_path)
    assert flags.version(settings) == 0
    assert flags.write(settings, audio_url=False) == 1
    assert flags.write(settings, audio_url=False) == 2  # the same value again: still a new version
    assert (flags.version(settings), flags.read(settings)) == (2, {"audio_url": False})


@pytest.mark.parametrize(
    ("record", "says"),
    [
        ({"batch_id": 7, "flags_version": 3}, "batch 7 applied flags version 3"),
        ({"batch_id": 8, "flags_version": 4}, "batch 8 applied flags version 4"),  # a newer one also
        ({"batch_id": 6, "flags_version": 2, "idle_at": "2026-12-07T10:00:01.000+00:00"}, "the stream was idle"),
    ],
)
def test_the_switch_goes_on_once_no_batch_can_apply_the_old_flags(record, says):
    assert says in wait_until_applied(lambda: record, 3, SWITCH, timeout_s=5)


@pytest.mark.parametrize(
    "record",
    [
        None,  # the job never recorded anything
        {"batch_id": 6, "flags_version": 2},  # its last batch started before the switch
        {"batch_id": 6, "flags_version": 2, "idle_at": "2026-12-07T10:00:00.400+00:00"},  # idle before it
    ],
)
def test_otherwise_it_waits_and_then_fails_naming_the_setting(record):
    with pytest.raises(PipelineStepFailed, match="SCOUT_ROLLBACK_WAIT"):
        wait_until_applied(lambda: record, 3, SWITCH, timeout_s=0)


def test_it_sees_the_batch_that_commits_while_it_waits():
    records = iter([{"batch_id": 6, "flags_version": 2}, {"batch_id": 7, "flags_version": 3}])
    assert wait_until_applied(lambda: next(records), 3, SWITCH - timedelta(seconds=1), timeout_s=10).startswith(
        "batch 7"
    )

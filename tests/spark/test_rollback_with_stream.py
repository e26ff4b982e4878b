"""The AudioURL rollback's pipeline step while the continuous medallion runs and transcripts keep
arriving, as in production: the switch waits for a committed batch that applied the new flag before it
touches silver (a batch that read the old flag could otherwise write AudioURLs after silver was cleared),
and its UPDATE/MERGE survives the stream committing to silver at the same time. Both ways, every
transcript in silver then has the AudioURL state the switch asked for, and none is lost or doubled."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime

import pytest
from pyspark.sql import functions as F

from include.atomic import write_atomic
from include.rollback.pipeline import apply_to_silver, sample, wait_until_applied
from include.spark_jobs import flags, jobs, sinks
from include.spark_jobs.progress import read_progress
from include.spark_jobs.tables import GOLD_STORE_INTERACTION_METRICS, SILVER_TRANSCRIPTS, locate
from include.spark_jobs.trigger import Trigger, TriggerMode
from scout_edge.contract import Transcript

pytestmark = pytest.mark.spark

FILE_EVERY_S = 1.0  # a device file of a few transcripts every second, the whole test long


class Devices(threading.Thread):
    """Transcripts landing as device files until stopped; ``sent``: event id -> its AudioURL."""

    def __init__(self, settings) -> None:
        super().__init__(daemon=True)
        self.folder = settings.landing_dir / Transcript.hub
        self.sent: dict[str, str] = {}
        self.halt = threading.Event()

    def run(self) -> None:
        template = sample()[0]
        n = 0
        while not self.halt.is_set():
            rows = []
            for _ in range(3):
                event_id = str(uuid.uuid4())
                url = f"https://clips.scout.example/store-001-pi-01/{event_id}.wav"
                ts = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
                rows.append({**template, "event_id": event_id, "session_id": f"s-{n}", "ts": ts, "audio_url": url})
                self.sent[event_id] = url
            write_atomic(self.folder / f"device-{n:05d}.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
            n += 1
            self.halt.wait(FILE_EVERY_S)


def progress(settings) -> dict:
    return read_progress(settings.ops_dir, "medallion") or {}


def wait_for_batches(settings, more: int, timeout_s: float = 240) -> None:
    """Until ``more`` batches after the last recorded one have committed."""
    target = progress(settings).get("batch_id", -1) + more
    deadline = time.monotonic() + timeout_s
    while progress(settings).get("batch_id", -1) < target:
        assert time.monotonic() < deadline, f"the stream did not commit {more} batches in {timeout_s} s"
        time.sleep(0.5)


def silver_urls(spark, settings) -> dict[str, str | None]:
    rows = sinks.read_table(spark, locate(settings, SILVER_TRANSCRIPTS)).select("event_id", "audio_url").collect()
    return {r.event_id: r.audio_url for r in rows}


def switch(spark, settings, restore: bool) -> int:
    """The rollback's pipeline step: the flag, the wait for the stream, silver."""
    since = datetime.now(UTC)
    version = flags.write(settings, audio_url=restore)
    wait_until_applied(lambda: progress(settings), version, since, timeout_s=240)
    return apply_to_silver(spark, settings, restore)


def test_the_switch_both_ways_with_the_stream_running(spark, lake):
    query = jobs.start("medallion", spark, lake, Trigger(TriggerMode.CONTINUOUS, "1 second"))
    devices = Devices(lake)
    devices.start()
    try:
        wait_for_batches(lake, 1)
        assert switch(spark, lake, restore=False) > 0  # values to clear, while new ones keep coming
        assert set(silver_urls(spark, lake).values()) == {None}
        wait_for_batches(lake, 1)  # a batch after the switch, its rows without AudioURL too
        urls = silver_urls(spark, lake)
        assert set(urls.values()) == {None}, "a transcript taken in after the deprecation kept its AudioURL"

        switch(spark, lake, restore=True)
        wait_for_batches(lake, 1)
        urls = silver_urls(spark, lake)
        assert urls == {event_id: devices.sent[event_id] for event_id in urls}  # every one filled back
    finally:
        devices.halt.set()
        devices.join()
    try:
        deadline = time.monotonic() + 240
        while len(silver_urls(spark, lake)) < len(devices.sent) and time.monotonic() < deadline:
            time.sleep(1)
        query.processAllAvailable()
    finally:
        query.stop()
    # Nothing lost or doubled, in silver or in gold; every AudioURL as sent.
    silver = sinks.read_table(spark, locate(lake, SILVER_TRANSCRIPTS))
    assert silver.count() == silver.select("event_id").distinct().count() == len(devices.sent)
    assert silver_urls(spark, lake) == devices.sent
    gold = sinks.read_table(spark, locate(lake, GOLD_STORE_INTERACTION_METRICS))
    assert gold.agg(F.sum("transcripts")).first()[0] == len(devices.sent)

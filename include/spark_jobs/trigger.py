"""How a streaming job is triggered: drain what is there and stop, or keep running on an interval."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql.streaming import DataStreamWriter


class TriggerMode(StrEnum):
    AVAILABLE_NOW = "available-now"  # one run over what the source has, then the query stops
    CONTINUOUS = "continuous"  # a micro-batch every ``interval`` until stopped


@dataclass(frozen=True)
class Trigger:
    mode: TriggerMode = TriggerMode.AVAILABLE_NOW
    interval: str = "30 seconds"
    max_files: int = 100  # landing files per micro-batch: bounds a batch's size and a replay's cost
    max_offsets: int = 100_000  # the same bound for Kafka / Event Hubs: records per micro-batch, all topics

    def apply(self, writer: DataStreamWriter) -> DataStreamWriter:
        if self.mode == TriggerMode.AVAILABLE_NOW:
            return writer.trigger(availableNow=True)
        return writer.trigger(processingTime=self.interval)

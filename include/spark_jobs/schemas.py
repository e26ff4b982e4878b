"""Spark schemas derived from the edge package's event contract (scout_edge.contract).

The contract's dataclasses are the source of truth; this module only translates their type hints, so a
field added on the device shows up in the jobs' parsing schema without a second edit.
"""

from __future__ import annotations

import dataclasses
import types
import typing

from pyspark.sql import types as T

from scout_edge.contract import HUBS, Event, UtcTimestamp

_SCALARS: dict[object, T.DataType] = {
    str: T.StringType(),
    int: T.LongType(),
    float: T.DoubleType(),
    bool: T.BooleanType(),
    UtcTimestamp: T.TimestampType(),
}


def _spark_type(hint: object) -> tuple[T.DataType, bool]:
    """(Spark type, nullable) for one contract type hint."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"only `X | None` unions are supported, got {hint}")
        return _spark_type(args[0])[0], True
    if origin is list:
        (item,) = typing.get_args(hint)
        return T.ArrayType(_spark_type(item)[0], containsNull=True), True
    if hint in _SCALARS:
        return _SCALARS[hint], False
    raise TypeError(f"no Spark type for contract type {hint!r}")


def event_schema(event_cls: type[Event]) -> T.StructType:
    """The JSON schema of one event type, in the contract's field order, plus event_type."""
    hints = typing.get_type_hints(event_cls)
    fields = [T.StructField("event_type", T.StringType(), True)]
    for f in dataclasses.fields(event_cls):
        spark_type, _ = _spark_type(hints[f.name])
        # Everything is nullable when parsing: missing fields are expectation failures, not parse errors.
        fields.append(T.StructField(f.name, spark_type, True))
    return T.StructType(fields)


def hub_schema(hub: str) -> T.StructType:
    return event_schema(HUBS[hub])


BRONZE_SCHEMA = T.StructType(
    [
        T.StructField("payload", T.StringType(), True),
        T.StructField("hub", T.StringType(), True),
        T.StructField("source_file", T.StringType(), True),
        T.StructField("kafka_partition", T.IntegerType(), True),
        T.StructField("kafka_offset", T.LongType(), True),
        T.StructField("ingest_time", T.TimestampType(), True),
    ]
)

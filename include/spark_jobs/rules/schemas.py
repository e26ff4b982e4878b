"""Spark schemas derived from the edge package's event contract (scout_edge.contract).

The contract's dataclasses are the source of truth; this module only translates their type hints, so a
field added on the device shows up in the jobs' parsing schema without a second edit.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

from scout_edge.contract import HUBS, SCHEMA_VERSION, Event, UtcTimestamp

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


# Older payload versions the jobs still read: per (event type, version), the JSON schema of that version
# and the function lifting its parsed struct to the current contract's struct (same field order). Today
# every device sends version 1, the current one; a contract change adds the previous version here.
Upgrade = tuple[T.StructType, Callable[[Column], Column]]
UPGRADES: dict[tuple[str, int], Upgrade] = {}


def known_versions(event_cls: type[Event]) -> list[int]:
    return sorted({SCHEMA_VERSION, *(v for (kind, v) in UPGRADES if kind == event_cls.event_type)})


def parse_payload(payload: Column, event_cls: type[Event], corrupt: str) -> Column:
    """The payload parsed with the schema of its own schema_version, as a struct of the current contract
    (plus the corrupt-record column). Unknown versions are parsed as the current one, so their ids and
    times survive for quarantine; the silver expectation ``known_schema_version`` rejects them by name."""
    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": corrupt}
    current = event_schema(event_cls).add(T.StructField(corrupt, T.StringType(), True))
    parsed = F.from_json(payload, current, options)
    version = F.get_json_object(payload, "$.schema_version").cast("int")
    for (kind, number), (schema, upgrade) in UPGRADES.items():
        if kind == event_cls.event_type:
            with_corrupt = T.StructType([*schema.fields, T.StructField(corrupt, T.StringType(), True)])
            old = F.from_json(payload, with_corrupt, options)
            parsed = F.when(version == number, upgrade(old)).otherwise(parsed)
    return parsed

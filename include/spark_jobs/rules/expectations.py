"""DLT-style data-quality expectations: declared next to each table, applied per micro-batch.

An expectation is a SQL condition a row must satisfy and what to do when it does not:
- ``warn``: keep the row, count the failure;
- ``drop``: move the row to quarantine with the expectation's name as its reason, count it;
- ``fail``: stop the update before anything is written (raises ExpectationFailed naming the rule and
  the first offending rows' event ids). Judged on the rows that pass every ``drop`` expectation: a row
  already on its way to quarantine (malformed, or held back by an operator) cannot corrupt the table.
A condition that evaluates to NULL counts as failed, as in DLT.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import reduce
from typing import Any, Literal

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from include.errors import ExpectationFailed

Action = Literal["warn", "drop", "fail"]
MAX_NAMED = 5  # offending rows a fail names (their event ids)


@dataclass(frozen=True)
class Expectation:
    name: str
    condition: str
    action: Action = "drop"


@dataclass(frozen=True)
class Outcome:
    valid: DataFrame  # rows to write (warn failures included)
    quarantine: DataFrame  # rows that failed a drop expectation, with a `reasons` array
    metrics: list[dict[str, object]]  # one row per expectation: passed / failed / dropped
    total_rows: int = 0
    valid_rows: int = 0  # rows that passed every drop expectation
    extra: dict[str, Any] = field(default_factory=dict)  # the caller's own aggregates, by name


def _ok(expectation: Expectation) -> Column:
    return F.coalesce(F.expr(expectation.condition), F.lit(False))


def apply_expectations(
    df: DataFrame, expectations: list[Expectation], extra: Mapping[str, Callable[[Column], Column]] | None = None
) -> Outcome:
    """Evaluate every expectation once; split the rows; count per expectation. ``extra`` adds the caller's
    own aggregates to the same pass: name -> a function of the "row is kept" condition returning an
    aggregate, e.g. ``lambda kept: F.max(F.when(kept, F.col("ts")))``.

    The caller should cache ``df``: it is scanned for the counts and again for each output.
    """
    checked = df.select("*", *[_ok(e).alias(f"_ok_{i}") for i, e in enumerate(expectations)])
    drop_idx = [i for i, e in enumerate(expectations) if e.action == "drop"]
    kept = F.lit(True)
    for i in drop_idx:
        kept = kept & F.col(f"_ok_{i}")
    extra = dict(extra or {})
    judged = [kept if e.action == "fail" else F.lit(True) for e in expectations]  # fail: the rows to be written
    counts = checked.agg(
        F.count(F.lit(1)).alias("_rows"),
        F.count(F.when(kept, 1)).alias("_valid"),
        *[F.count(F.when(judged[i] & ~F.col(f"_ok_{i}"), 1)).alias(f"_failed_{i}") for i in range(len(expectations))],
        *[aggregate(kept).alias(f"_extra_{n}") for n, aggregate in enumerate(extra.values())],
    ).first()
    total = int(counts["_rows"])
    metrics = []
    for i, e in enumerate(expectations):
        failed = int(counts[f"_failed_{i}"] or 0)
        metrics.append(
            {
                "expectation": e.name,
                "action": e.action,
                "passed": total - failed,
                "failed": failed,
                "dropped": failed if e.action == "drop" else 0,
            }
        )
    fatal = [i for i, m in enumerate(metrics) if m["action"] == "fail" and m["failed"]]
    if fatal:
        names = ", ".join(f"{expectations[i].name} ({metrics[i]['failed']} rows)" for i in fatal)
        offending: list[str] = []
        if "event_id" in df.columns:
            tripped = reduce(lambda a, b: a | b, [~F.col(f"_ok_{i}") for i in fatal])
            rows = checked.where(kept & tripped).select("event_id").limit(MAX_NAMED).collect()
            offending = [r.event_id for r in rows]
        raise ExpectationFailed(
            f"expectations with action 'fail' were violated: {names}; nothing was written", offending
        )

    reasons = (
        F.filter(
            F.array(*[F.when(~F.col(f"_ok_{i}"), F.lit(expectations[i].name)) for i in drop_idx]),
            lambda r: r.isNotNull(),
        )
        if drop_idx
        else F.array().cast("array<string>")
    )
    ok_cols = [f"_ok_{i}" for i in range(len(expectations))]
    with_reasons = checked.withColumn("reasons", reasons).drop(*ok_cols)
    return Outcome(
        valid=with_reasons.where(F.size("reasons") == 0).drop("reasons"),
        quarantine=with_reasons.where(F.size("reasons") > 0),
        metrics=metrics,
        total_rows=total,
        valid_rows=int(counts["_valid"]),
        extra={name: counts[f"_extra_{n}"] for n, name in enumerate(extra)},
    )

"""The stream health check behind the scout_stream_health DAG: is the job alive (restart it if it died,
a bounded number of times), how fresh is gold, how big is the backlog, which gold tables advanced.

Freshness is how long ago a gold table last received rows (wall clock, from the job's progress record):
a stream that stopped, stalled or lost its source shows up as gold growing old. A breach is alerted once,
when it starts, and once more when the table recovers; what was alerted is kept in
``SCOUT_HOME/ops/<job>.health.json`` with the restarts of the last hour.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from include.atomic import write_atomic
from include.errors import ExpectationFailed
from include.orchestration.runners import Runner, RunState
from include.settings import Settings

# The tables the freshness SLA covers (and the Assets downstream DAGs are scheduled on).
GOLD_TABLES = (
    "gold_store_interaction_metrics",
    "gold_transcript_sentiment_analysis",
    "gold_device_health_summary",
    "gold_insight_feedback",
)


@dataclass(frozen=True)
class Freshness:
    table: str
    last_rows_at: str | None
    age_s: float | None  # None: the table never received rows while the job was watched
    breached: bool

    def describe(self) -> str:
        if self.age_s is None:
            return f"{self.table}: no rows yet"
        return f"{self.table}: last rows {self.age_s / 60:.1f} min ago ({self.last_rows_at})"


@dataclass
class HealthReport:
    state: RunState
    freshness: list[Freshness]
    backlog: dict[str, int]
    action: str  # what the check did about the job: "none", "restarted", "restart limit reached", ...
    new_breaches: list[Freshness] = field(default_factory=list)
    recoveries: list[Freshness] = field(default_factory=list)
    advanced: list[str] = field(default_factory=list)  # gold tables with new rows since the last check

    @property
    def breached(self) -> list[Freshness]:
        return [f for f in self.freshness if f.breached]

    def summary(self) -> dict[str, Any]:
        return {
            "state": self.state.describe(),
            "action": self.action,
            "backlog": self.backlog,
            "freshness": {f.table: f.age_s for f in self.freshness},
            "breached": [f.table for f in self.breached],
            "advanced": self.advanced,
        }


def _parse(ts: str | None) -> datetime | None:
    return datetime.fromisoformat(ts) if ts else None


class HealthCheck:
    def __init__(self, settings: Settings, runner: Runner, now: datetime | None = None) -> None:
        self.settings = settings
        self.runner = runner
        self.now = now or datetime.now(UTC)
        self.path = settings.ops_dir / f"{runner.job}.health.json"
        self.memory: dict[str, Any] = {"breached": {}, "restarts": [], "rows_seen": {}}
        if self.path.exists():
            self.memory |= json.loads(self.path.read_text())

    def run(self) -> HealthReport:
        state = self.runner.status()
        action = "none"
        if not state.running:
            state, action = self._revive(state)
        progress = state.progress or {}
        freshness = [self._freshness(t, progress) for t in GOLD_TABLES]
        report = HealthReport(state, freshness, dict(progress.get("backlog") or {}), action)
        was = set(self.memory["breached"])
        report.new_breaches = [f for f in freshness if f.breached and f.table not in was]
        report.recoveries = [f for f in freshness if not f.breached and f.table in was]
        self.memory["breached"] = {
            f.table: self.memory["breached"].get(f.table, f.last_rows_at) for f in report.breached
        }
        tables = progress.get("tables") or {}
        rows = {t: (tables.get(t) or {}).get("rows_total", 0) for t in GOLD_TABLES}
        report.advanced = [t for t in GOLD_TABLES if rows[t] > self.memory["rows_seen"].get(t, 0)]
        self.memory["rows_seen"] = rows
        write_atomic(self.path, json.dumps(self.memory, indent=1) + "\n")
        return report

    def _revive(self, state: RunState) -> tuple[RunState, str]:
        if state.stopped_by_operator:
            return state, "left stopped (an operator stopped it)"
        if failed := ExpectationFailed.found_in((state.progress or {}).get("error") or ""):
            return state, (
                "left stopped: a `fail` expectation stopped it, and a restart would replay the same batch into"
                " it; hold the rows it names (python -m include.spark_jobs.holds), then start it with the"
                f" scout_streaming DAG. {failed}"
            )
        if not state.started_before:
            return state, "never started here: start it with the scout_streaming DAG"
        hour_ago = self.now - timedelta(hours=1)
        restarts = [r for r in self.memory["restarts"] if _parse(r) > hour_ago]
        limit = self.settings.max_restarts_per_hour
        if len(restarts) >= limit:
            self.memory["restarts"] = restarts
            return state, f"restart limit reached: {len(restarts)} restarts in the last hour, not trying again"
        self.memory["restarts"] = [*restarts, self.now.isoformat(timespec="seconds")]
        return self.runner.start(), f"restarted ({len(restarts) + 1} of {limit} this hour)"

    def _freshness(self, table: str, progress: dict[str, Any]) -> Freshness:
        last = (progress.get("tables", {}).get(table) or {}).get("last_rows_at")
        # A table that never got rows is judged from when the job started: a new lake is not stale at once.
        since = _parse(last) or _parse(progress.get("started_at"))
        age = (self.now - since).total_seconds() if since else None
        breached = age is not None and age > self.settings.freshness_sla_s
        return Freshness(table, last, age if last else None, breached)

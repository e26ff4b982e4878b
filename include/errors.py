"""Scout's exception hierarchy, one tree for the whole project. Every error raised at a boundary says
what happened and what to do.

ScoutError
├── SettingsError        a SCOUT_* setting or a command-line value is missing or outside the allowed ones
├── EnvironmentNotReady  a local prerequisite (jars, dbt environment, manifest) is not installed
├── ExpectationFailed    a `fail` data-quality expectation was violated: the update wrote nothing (it names
│                        the rule, the table and the rows; include/spark_jobs/holds.py is the way on)
├── PipelineStepFailed   a step of a local run (e.g. a DAG task under `make demo`) did not succeed
├── BrokerFailed         the local Kafka broker (tools/kafka_broker.py) did not start or stop
├── FreshnessSLAMissed   a gold table got no new rows for longer than SCOUT_FRESHNESS_SLA
├── ExportInvalid        a dashboard export does not match its JSON Schema: it was not published
├── MigrationError       RetailAdvisorDB could not be migrated (unknown revision, not at head, ...)
│   └── MigrationLocked  another run holds the migration lock and did not release it in time
├── SyncIncomplete       the RetailAdvisorDB sync left rows out (e.g. a store the database does not know)
└── RollbackValidationFailed  after the AudioURL rollback, a sample value is wrong at a layer (named)
"""

from __future__ import annotations


class ScoutError(Exception):
    """Base class of every error Scout raises on purpose."""


class SettingsError(ScoutError, ValueError):
    pass


class EnvironmentNotReady(ScoutError):
    pass


class ExpectationFailed(ScoutError):
    """``event_ids``: the first offending rows' (when the rows have one), for the operator's hold."""

    def __init__(self, message: str, event_ids: list[str] | None = None):
        super().__init__(message)
        self.event_ids = list(event_ids or [])

    @classmethod
    def found_in(cls, text: str) -> str | None:
        """The message of one raised inside a streaming batch, from the text of what the query ended with
        (Spark wraps it in exceptions of its own); None when the text holds none."""
        marker = f"{cls.__name__}: "
        if marker not in text:
            return None
        return text[text.rindex(marker) + len(marker) :].splitlines()[0]


class PipelineStepFailed(ScoutError):
    pass


class BrokerFailed(ScoutError):
    pass


class FreshnessSLAMissed(ScoutError):
    pass


class ExportInvalid(ScoutError):
    pass


class MigrationError(ScoutError):
    pass


class MigrationLocked(MigrationError):
    pass


class SyncIncomplete(ScoutError):
    pass


class RollbackValidationFailed(ScoutError):
    pass

"""Scout's exception hierarchy, one tree for the whole project. Every error raised at a boundary says
what happened and what to do.

ScoutError
├── SettingsError        a SCOUT_* setting or a command-line value is missing or outside the allowed ones
├── EnvironmentNotReady  a local prerequisite (jars, dbt environment, manifest) is not installed
├── ExpectationFailed    a `fail` data-quality expectation was violated: the update wrote nothing
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
    pass


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

"""Scout's exception hierarchy. Every error raised at a boundary says what happened and what to do.

ScoutError
├── SettingsError        a SCOUT_* setting is missing or has a value outside the allowed ones
├── EnvironmentNotReady  a local prerequisite (jars, dbt environment, manifest) is not installed
├── ExpectationFailed    a `fail` data-quality expectation was violated: the update wrote nothing
└── PipelineStepFailed   a step of a local run (e.g. a DAG task under `make demo`) did not succeed
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

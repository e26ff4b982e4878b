"""Errors of the edge client. Every one is a user-facing message; the CLI prints it without a traceback.

EdgeError
├── ConfigError        the device file is missing, unreadable or invalid (names the key)
├── InputError         an audio / image / video file that cannot be read
├── EngineUnavailable  an optional part (engine, model, extra) is not installed
└── TransportError     the transport refused or could not reach its target (the spool keeps the events)
"""

from __future__ import annotations


class EdgeError(Exception):
    """Base class: something the operator can fix, with a message saying what."""


class ConfigError(EdgeError):
    pass


class InputError(EdgeError):
    pass


class EngineUnavailable(EdgeError):
    pass


class TransportError(EdgeError):
    pass


def missing_extra(module: str, extra: str) -> EngineUnavailable:
    return EngineUnavailable(f"{module} is not installed; install it with: pip install 'scout-edge[{extra}]'")

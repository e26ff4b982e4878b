"""Pipeline flags: switches the running stream reads at the start of every micro-batch, so flipping one
needs no restart. They live in SCOUT_HOME/ops/pipeline_flags.json (on Databricks the job's volume), e.g.
``{"audio_url": false}``; a missing file or key means the flag's default.

| flag        | default | off means                                                                  |
|-------------|---------|----------------------------------------------------------------------------|
| audio_url   | on      | silver stores transcripts without their AudioURL (the AudioURL deprecation) |

The AudioURL rollback DAG writes them (include/rollback); nothing else does. Each write bumps the file's
``version``; every micro-batch records the version it started from (progress.py), so the rollback can wait
until no batch in flight still applies an older one.
"""

from __future__ import annotations

import json

from include.atomic import write_atomic
from include.errors import SettingsError
from include.settings import Settings

DEFAULTS = {"audio_url": True}
FILE = "pipeline_flags.json"


def read(settings: Settings) -> dict[str, bool]:
    """Every flag's current value."""
    path = settings.ops_dir / FILE
    try:
        stored = json.loads(path.read_text())
    except FileNotFoundError:
        stored = {}
    except json.JSONDecodeError as error:
        raise SettingsError(f"{path}: not valid JSON ({error}); fix or delete it (defaults: {DEFAULTS})") from None
    return {name: bool(stored.get(name, default)) for name, default in DEFAULTS.items()}


def version(settings: Settings) -> int:
    """How many times the flags were written (0: never)."""
    try:
        return int(json.loads((settings.ops_dir / FILE).read_text()).get("version", 0))
    except (FileNotFoundError, json.JSONDecodeError):
        return 0


def write(settings: Settings, **values: bool) -> int:
    """Set flags (published whole, with the next version: a batch reads the old file or the new one); the
    new version."""
    if unknown := sorted(set(values) - set(DEFAULTS)):
        raise SettingsError(f"unknown pipeline flag(s) {', '.join(unknown)}; known: {', '.join(DEFAULTS)}")
    flags = read(settings) | values
    new = version(settings) + 1
    write_atomic(settings.ops_dir / FILE, json.dumps({**flags, "version": new}, indent=1, sort_keys=True) + "\n")
    return new

"""Pipeline flags: switches the running stream reads at the start of every micro-batch, so flipping one
needs no restart. They live in SCOUT_HOME/ops/pipeline_flags.json (on Databricks the job's volume), e.g.
``{"audio_url": false}``; a missing file or key means the flag's default.

| flag        | default | off means                                                                  |
|-------------|---------|----------------------------------------------------------------------------|
| audio_url   | on      | silver stores transcripts without their AudioURL (the AudioURL deprecation) |

The AudioURL rollback DAG writes them (include/rollback); nothing else does.
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


def write(settings: Settings, **values: bool) -> dict[str, bool]:
    """Set flags (published whole: a batch reads the old file or the new one); every flag's new value."""
    if unknown := sorted(set(values) - set(DEFAULTS)):
        raise SettingsError(f"unknown pipeline flag(s) {', '.join(unknown)}; known: {', '.join(DEFAULTS)}")
    flags = read(settings) | values
    write_atomic(settings.ops_dir / FILE, json.dumps(flags, indent=1, sort_keys=True) + "\n")
    return flags

"""Publishing a file whole: a reader sees the previous version or the new one, never half of one.

Used for the landing files of the synthetic day and for the dashboard exports. The temporary name starts
with a dot, which Spark's file source and web servers' listings skip.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Published files are read by other processes, possibly as another user (a web server, Spark on a cluster).
PUBLISHED_MODE = 0o644


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to a temporary file beside ``path``, fsync it, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, PUBLISHED_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path

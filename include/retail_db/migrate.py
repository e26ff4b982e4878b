"""Migration commands for RetailAdvisorDB, as functions (the CLI, the Makefile and the DAG call these)."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field

import sqlalchemy as sa
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError

from include.errors import MigrationError
from include.retail_db.config import alembic_config, sqlite_path

log = logging.getLogger(__name__)

DIALECT_URLS = {"mssql": "mssql://", "postgresql": "postgresql://", "sqlite": "sqlite://"}


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def revisions() -> list[Script]:
    """Every revision, base first."""
    return list(reversed(list(script_directory().walk_revisions())))


def resolve(target: str) -> str:
    """Check a target revision exists (head, base, an id, or relative like -1) before touching anything."""
    if target in ("head", "base") or (target.lstrip("+-").isdigit() and target[0] in "+-"):
        return target
    try:
        script_directory().get_revision(target)
    except CommandError as error:
        known = ", ".join(s.revision for s in revisions())
        raise MigrationError(f"unknown revision {target!r}; known: head, base, {known}") from error
    return target


def engine_for(url: str) -> sa.Engine:
    if path := sqlite_path(url):
        path.parent.mkdir(parents=True, exist_ok=True)  # the embedded default's folder may not exist yet
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def heads(url: str) -> tuple[str, ...]:
    """The revisions the database is at: one, or two while AudioURL is deprecated (0009 and 0011: the
    history branches after 0008 and merges at 0012)."""
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))
    finally:
        engine.dispose()


def applied(url: str) -> set[str]:
    """Every revision the database has, its heads' and all before them."""
    found = heads(url)
    if not found:
        return set()
    return {s.revision for s in script_directory().iterate_revisions(found, "base")}


def current(url: str) -> str | None:
    """The database's revision; several heads joined by "+" (e.g. "0009+0011"); None when unmanaged."""
    return "+".join(heads(url)) or None


def upgrade(url: str, target: str = "head") -> tuple[str | None, str | None]:
    before = current(url)
    command.upgrade(alembic_config(url), resolve(target))
    after = current(url)
    log.info("RetailAdvisorDB %s -> %s", before or "empty", after)
    return before, after


def downgrade(url: str, target: str) -> tuple[str | None, str | None]:
    before = current(url)
    command.downgrade(alembic_config(url), resolve(target))
    return before, current(url)


def position(target: str | None) -> int:
    """Index of a revision in the history (base first): -1 for an empty database (None or base); for
    several heads ("0009+0011"), the furthest one's."""
    ordered = [s.revision for s in revisions()]
    special = {None: -1, "base": -1, "head": len(ordered) - 1}
    if target in special:
        return special[target]
    return max(ordered.index(resolve(part)) for part in target.split("+"))


def migrate_to(url: str, target: str) -> tuple[str | None, str | None]:
    """Upgrade or downgrade, whichever direction ``target`` lies in."""
    if position(target) < position(current(url)):
        return downgrade(url, target)
    return upgrade(url, target)


def render_sql(dialect: str, start: str | None, end: str) -> str:
    """Offline SQL from ``start`` (None or base = empty database) to ``end``, for a DBA (sqlcmd, psql)."""
    if dialect not in DIALECT_URLS:
        raise MigrationError(f"dialect {dialect!r} not supported; expected one of: {', '.join(DIALECT_URLS)}")
    if "+" in (start or "") or "+" in end:
        raise MigrationError(
            f"offline SQL needs one revision at each end; {start or end!r} is two lines of the history"
            " (AudioURL deprecated): render from 0009 or 0011 on their own"
        )
    buffer = io.StringIO()
    config = alembic_config(DIALECT_URLS[dialect])
    config.output_buffer = buffer
    if position(end) >= position(start):
        command.upgrade(config, end if position(start) < 0 else f"{start}:{end}", sql=True)
    else:
        command.downgrade(config, f"{start}:{end}", sql=True)
    return buffer.getvalue()


@dataclass
class Adoption:
    stamped: str | None
    found: dict[str, list[str]] = field(default_factory=dict)  # revision -> parts present
    missing: dict[str, list[str]] = field(default_factory=dict)  # revision -> parts absent
    already_managed: bool = False

    def describe(self) -> str:
        if self.already_managed:
            return f"database is already managed by Alembic at {self.stamped}; nothing to adopt"
        if self.stamped is None:
            return "database holds none of the baseline tables: nothing to adopt, run upgrade"
        lines = [f"stamped revision {self.stamped}: every part of it and of the revisions before is present"]
        for rev, parts in self.missing.items():
            present = self.found.get(rev, [])
            lines.append(
                f"  {rev}: has {len(present)} of {len(present) + len(parts)} parts; missing {', '.join(parts)}"
            )
        lines.append("upgrade adds the missing parts and skips the ones already there")
        return "\n".join(lines)


def _present(inspector: sa.Inspector, part: tuple[str, ...]) -> bool:
    table, *rest = part
    if not inspector.has_table(table):
        return False
    if not rest:
        return True
    (item,) = rest
    if item.startswith("ix:"):
        return item[3:] in {i["name"] for i in inspector.get_indexes(table)}
    return item in {c["name"] for c in inspector.get_columns(table)}


def adopt(url: str, *, stamp: bool = True) -> Adoption:
    """Stamp an unmanaged database at the last revision whose parts (and all before) are all present.

    With ``stamp=False`` only report what it would stamp (a dry run).
    """
    existing = current(url)
    if existing is not None:
        return Adoption(stamped=existing, already_managed=True)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    adoption = Adoption(stamped=None)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            complete = True
            for script in revisions():
                fingerprint = script.module.FINGERPRINT
                present = [p for p in fingerprint if _present(inspector, p)]
                name = lambda part: ".".join(part).replace(".ix:", " index ")  # noqa: E731
                if present:
                    adoption.found[script.revision] = [name(p) for p in present]
                if complete and len(present) == len(fingerprint):
                    adoption.stamped = script.revision
                    continue
                complete = False
                absent = [name(p) for p in fingerprint if p not in present]
                if present and absent:
                    adoption.missing[script.revision] = absent
    finally:
        engine.dispose()
    if adoption.stamped and stamp:
        command.stamp(alembic_config(url), adoption.stamped)
    log.info("%s", adoption.describe())
    return adoption

"""RetailAdvisorDB migrations on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa
import sqlglot
from sqlglot.errors import ErrorLevel

from include.retail_db import migrate
from include.retail_db.lock import PG_LOCK_KEY
from include.settings import PROJECT_ROOT
from tests.migrations import legacy
from tests.migrations.expected_schema import HEAD
from tests.migrations.schema import describe
from tests.sql import rows


def test_one_head_and_one_branch_for_the_audio_url_pair():
    """Linear to 0008; then the AudioURL pair (0009, 0010) and 0011 side by side, merged by 0012: so the
    database can go back to 0009 (AudioURL deprecated) and keep 0011."""
    script = migrate.script_directory()
    assert script.get_heads() == ["0012"]
    down = {s.revision: s.down_revision for s in migrate.revisions()}
    assert down == {
        **{f"{n:04d}": (f"{n - 1:04d}" if n > 1 else None) for n in range(1, 11)},
        "0011": "0008",
        "0012": ("0010", "0011"),
    }
    for s in migrate.revisions():
        assert callable(s.module.upgrade) and callable(s.module.downgrade), s.revision
        merge = isinstance(s.down_revision, tuple)
        assert s.module.FINGERPRINT or merge, f"{s.revision} declares no fingerprint for `adopt`"


def test_upgrade_from_empty_gives_the_expected_schema_exactly(db_url):
    assert migrate.upgrade(db_url) == (None, "0012")
    assert describe(db_url) == HEAD


def test_down_to_base_and_up_again(db_url):
    migrate.upgrade(db_url)
    assert migrate.downgrade(db_url, "base") == ("0012", None)
    assert describe(db_url) == {}
    migrate.upgrade(db_url)
    assert describe(db_url) == HEAD


def test_every_step_down_and_up_round_trips(sqlite_url):
    migrate.upgrade(sqlite_url)
    # Past the merge "-1" is ambiguous (two heads): each step names its target; each revision's
    # downgrade runs once on the way.
    steps = {"0010": "0010+0011", "0009": "0009+0011", "0008": "0008"}
    steps |= {f"{n:04d}": f"{n:04d}" for n in range(7, 0, -1)} | {"base": None}
    for target, reached in steps.items():
        migrate.downgrade(sqlite_url, target)
        assert migrate.current(sqlite_url) == reached
    migrate.upgrade(sqlite_url)
    assert describe(sqlite_url) == HEAD


def test_the_audio_url_line_goes_back_and_forth_without_the_other(db_url):
    """The rollback's database step: 0009 undoes the merge and the restore only, head brings them back."""
    migrate.upgrade(db_url)
    assert migrate.migrate_to(db_url, "0009") == ("0012", "0009+0011")
    schema = describe(db_url)
    assert "AudioURL" not in schema["SalesInteractionTranscripts"]["columns"]
    assert "EventID" in schema["SalesInteractionTranscripts"]["columns"] and "ScoutSyncState" in schema
    assert migrate.migrate_to(db_url, "head") == ("0009+0011", "0012")
    assert describe(db_url) == HEAD


def test_upgrading_twice_is_a_no_op(db_url):
    migrate.upgrade(db_url)
    before = describe(db_url)
    assert migrate.upgrade(db_url) == ("0012", "0012")
    assert describe(db_url) == before


def test_a_legacy_database_is_adopted_and_upgraded_to_the_clean_schema(db_url):
    legacy.build(db_url)
    adoption = migrate.adopt(db_url)
    assert adoption.stamped == "0001"
    # 0005 is complete but comes after incomplete ones; 0010 (AudioURL) looks half there: the column
    # exists because it was never deprecated, the archive does not.
    assert adoption.missing.keys() == legacy.PARTIAL.keys() - {"0005"} | {"0010"}
    assert adoption.missing["0010"] == ["SalesInteractionTranscripts_AudioURLArchive"]
    assert {rev: adoption.found[rev] for rev in legacy.PARTIAL} == legacy.PARTIAL
    assert "stamped revision 0001" in adoption.describe()
    assert migrate.current(db_url) == "0001"

    assert migrate.upgrade(db_url) == ("0001", "0012")
    assert describe(db_url) == HEAD
    # The AudioURL values survived the deprecation (archived) and the restore (copied back).
    assert rows(db_url, 'SELECT "TranscriptID", "AudioURL" FROM "SalesInteractionTranscripts" ORDER BY 1') == list(
        legacy.AUDIO_URLS.items()
    )


def test_adopting_a_managed_or_empty_database_changes_nothing(sqlite_url):
    assert migrate.adopt(sqlite_url).stamped is None
    assert migrate.current(sqlite_url) is None
    migrate.upgrade(sqlite_url, "0004")
    adoption = migrate.adopt(sqlite_url)
    assert (adoption.already_managed, adoption.stamped) == (True, "0004")


def test_audio_url_values_come_back_row_for_row(db_url):
    migrate.upgrade(db_url, "0008")
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("""INSERT INTO "Stores" ("StoreCode", "Name") VALUES ('s1', 'S1')""")
        conn.exec_driver_sql(
            """INSERT INTO "SalesInteractions" ("StoreID", "InteractionTimeUtc") VALUES (1, '2026-11-02')"""
        )
        for n in range(1, 51):
            url = None if n % 5 == 0 else f"https://blob.scout.local/audio/{n}.wav"
            conn.execute(
                sa.text(
                    'INSERT INTO "SalesInteractionTranscripts" ("InteractionID", "TranscriptText", "AudioURL")'
                    " VALUES (1, :t, :u)"
                ),
                {"t": f"t{n}", "u": url},
            )
    engine.dispose()
    before = rows(db_url, 'SELECT "TranscriptID", "AudioURL" FROM "SalesInteractionTranscripts" ORDER BY 1')

    migrate.upgrade(db_url, "0009")
    assert "AudioURL" not in describe(db_url)["SalesInteractionTranscripts"]["columns"]
    archived = rows(
        db_url, 'SELECT "TranscriptID", "AudioURL" FROM "SalesInteractionTranscripts_AudioURLArchive" ORDER BY 1'
    )
    assert archived == [r for r in before if r[1] is not None]

    migrate.upgrade(db_url, "0010")
    assert rows(db_url, 'SELECT "TranscriptID", "AudioURL" FROM "SalesInteractionTranscripts" ORDER BY 1') == before

    migrate.downgrade(db_url, "0008")  # both directions keep the values
    assert rows(db_url, 'SELECT "TranscriptID", "AudioURL" FROM "SalesInteractionTranscripts" ORDER BY 1') == before


def _upgrade_in_subprocess(url: str, timeout_s: float) -> subprocess.Popen:
    env = {**os.environ, "SCOUT_RETAIL_DB_URL": url, "SCOUT_MIGRATION_LOCK_TIMEOUT": str(timeout_s)}
    return subprocess.Popen(
        [sys.executable, "-m", "include.retail_db", "upgrade"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_second_migration_waits_for_the_lock_then_gives_up_clearly(postgres_url):
    holder = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with holder.connect() as conn:
        assert conn.scalar(sa.text("select pg_try_advisory_lock(:k)"), {"k": PG_LOCK_KEY})
        blocked = _upgrade_in_subprocess(postgres_url, timeout_s=3)
        _, err = blocked.communicate(timeout=60)
        assert blocked.returncode == 1
        assert "another migration of" in err and "holds the lock; gave up after 3 s" in err
        assert migrate.current(postgres_url) is None  # it changed nothing

        waiting = _upgrade_in_subprocess(postgres_url, timeout_s=60)
        time.sleep(4)
        assert waiting.poll() is None  # still waiting for the lock
        conn.execute(sa.text("select pg_advisory_unlock(:k)"), {"k": PG_LOCK_KEY})
        _, err = waiting.communicate(timeout=120)
        assert waiting.returncode == 0, err
    holder.dispose()
    assert migrate.current(postgres_url) == "0012"


def test_two_upgrades_at_once_end_in_one_correct_schema(postgres_url):
    first, second = _upgrade_in_subprocess(postgres_url, 120), _upgrade_in_subprocess(postgres_url, 120)
    outputs = [p.communicate(timeout=180) for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    assert migrate.current(postgres_url) == "0012"
    assert describe(postgres_url) == HEAD
    assert rows(postgres_url, "SELECT count(*) FROM alembic_version") == [(1,)]


def _tsql_statements(script: str) -> list[str]:
    """The script's batches (sqlcmd splits on GO) without comment lines; BEGIN TRANSACTION split off."""
    statements = []
    for batch in script.split("\nGO\n"):
        body = "\n".join(ln for ln in batch.splitlines() if not ln.startswith("--")).strip()
        if body.startswith("BEGIN TRANSACTION;"):
            statements.append("BEGIN TRANSACTION;")
            body = body.removeprefix("BEGIN TRANSACTION;").strip()
        if body:
            statements.append(body)
    return statements


# Alembic's SQL Server idiom for dropping a column's system-named default constraint. sqlglot keeps
# DECLARE/EXEC batches as opaque commands, so this one template is matched exactly instead.
DROP_DEFAULT = re.compile(
    r"declare @const_name varchar\(256\)\nselect @const_name = QUOTENAME\(\[name\]\) from sys.default_constraints\n"
    r"where parent_object_id = object_id\('\w+'\)\nand col_name\(parent_object_id, parent_column_id\) = '\w+'\n"
    r"exec\('alter table \[?\w+\]? drop constraint ' \+ @const_name\);"
)


@pytest.mark.parametrize(("start", "end"), [(None, "head"), ("0004", "0008"), ("head", "base")])
def test_sql_server_scripts_parse_as_tsql(start, end):
    script = migrate.render_sql("mssql", start, end)
    statements = _tsql_statements(script)
    assert statements
    for statement in statements:
        if DROP_DEFAULT.fullmatch(statement):
            continue
        parsed = sqlglot.parse(statement, read="tsql", error_level=ErrorLevel.RAISE)
        # sqlglot falls back to an opaque Command for what it cannot parse: that counts as a failure here.
        kinds = [type(p).__name__ for p in parsed]
        assert parsed and "Command" not in kinds, statement
    if start is None:
        assert len(re.findall(r"^CREATE TABLE ", script, re.M)) == len(HEAD) + 1  # + alembic_version
        assert "NVARCHAR(500)" in script and "SYSUTCDATETIME()" in script and "DATETIME2" in script


def test_the_tsql_check_rejects_what_is_not_tsql():
    assert [type(p).__name__ for p in sqlglot.parse("CREATE TABLEX foo (", read="tsql")] == ["Command"]


def test_an_unknown_revision_is_refused_before_anything_runs(sqlite_url):
    with pytest.raises(migrate.MigrationError, match=r"unknown revision '0042'; known: head, base, 0001"):
        migrate.upgrade(sqlite_url, "0042")
    assert describe(sqlite_url) == {}


def test_seed_loads_the_reference_data_once(db_url):
    from include.catalog import PRODUCTS
    from include.retail_db.seed import seed

    with pytest.raises(migrate.MigrationError, match="not at head"):
        seed(db_url)
    migrate.upgrade(db_url)
    assert seed(db_url) == {"Stores": 2, "Products": len(PRODUCTS), "EdgeDeviceRegistry": 4}
    assert seed(db_url) == {"Stores": 0, "Products": 0, "EdgeDeviceRegistry": 0}
    devices = rows(
        db_url,
        'SELECT d."DeviceID", s."StoreCode" FROM "EdgeDeviceRegistry" d JOIN "Stores" s'
        ' ON s."StoreID" = d."StoreID" ORDER BY 1',
    )
    assert devices == [
        ("store-001-pi-01", "store-001"),
        ("store-001-pi-02", "store-001"),
        ("store-002-pi-01", "store-002"),
        ("store-002-pi-02", "store-002"),
    ]

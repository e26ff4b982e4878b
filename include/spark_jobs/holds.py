"""Events an operator holds back from the lakehouse: a held event's rows go to its silver table's
quarantine (reason ``held_by_operator``) instead of into the table.

For the row that trips a ``fail`` expectation and stops the stream. The error names the rule, the table
and the offending event ids; look at the rows (bronze keeps them verbatim), hold them, start the stream
again. The stopped micro-batch runs again from its start, and everything else in it lands:

    python -m include.spark_jobs.holds add silver_transcripts <event_id> [<event_id> ...] --reason "..."
    python -m include.spark_jobs.holds list

Holds live in SCOUT_HOME/ops/held_events.json (on Databricks the job's volume), with each one's reason
and time. Every micro-batch reads them at its start: a hold needs no restart of a running stream.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from include.arguments import ArgumentParser, run_command
from include.atomic import write_atomic
from include.errors import SettingsError
from include.settings import Settings, load_settings
from include.spark_jobs.rules.expectations import Expectation
from include.spark_jobs.tables import TABLES

FILE = "held_events.json"
HELD_BY_OPERATOR = "held_by_operator"
EVENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")  # a UUID, or anything a device could send as one
QUARANTINED = sorted(t.name for t in TABLES.values() if t.quarantined)


def read(settings: Settings) -> dict[str, dict[str, dict[str, str]]]:
    """table -> event id -> {"reason", "held_at"}."""
    path = settings.ops_dir / FILE
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except json.JSONDecodeError as error:
        raise SettingsError(f"{path}: not valid JSON ({error}); fix it, or delete it to hold nothing") from None


def add(settings: Settings, table: str, event_ids: Sequence[str], reason: str) -> list[str]:
    """Hold ``event_ids`` of ``table``; the ids not held before."""
    if table not in QUARANTINED:
        raise SettingsError(f"table {table!r} has no quarantine; one of: {', '.join(QUARANTINED)}")
    if bad := [e for e in event_ids if not EVENT_ID.fullmatch(e)]:
        raise SettingsError(f"not an event id: {', '.join(map(repr, bad))}")
    if not event_ids:
        raise SettingsError("no event id given")
    if not reason.strip():
        raise SettingsError("--reason is empty: say why the events are held (it is kept with them)")
    held = read(settings)
    mine = held.setdefault(table, {})
    new = [e for e in dict.fromkeys(event_ids) if e not in mine]
    at = datetime.now(UTC).isoformat(timespec="seconds")
    mine |= {e: {"reason": reason.strip(), "held_at": at} for e in new}
    write_atomic(settings.ops_dir / FILE, json.dumps(held, indent=1, sort_keys=True) + "\n")
    return new


def expectation(settings: Settings, table: str) -> Expectation | None:
    """The drop rule that sends ``table``'s held events to quarantine; None when it holds none."""
    ids = sorted(read(settings).get(table, {}))
    if not ids:
        return None
    listed = ", ".join(f"'{e}'" for e in ids if EVENT_ID.fullmatch(e))  # checked again: the file is editable
    return Expectation(HELD_BY_OPERATOR, f"event_id is null or event_id not in ({listed})")


def command(table: str, event_ids: Sequence[str]) -> str:
    """The command line that holds ``event_ids`` (for error messages)."""
    return f"python -m include.spark_jobs.holds add {table} {' '.join(event_ids)} --reason '...'"


def main(argv: Sequence[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m include.spark_jobs.holds", description=__doc__.split("\n\n")[0])
    verbs = parser.add_subparsers(dest="verb", required=True)
    adding = verbs.add_parser("add", help="hold events of a silver table")
    adding.add_argument("table", help=f"one of: {', '.join(QUARANTINED)}")
    adding.add_argument("event_ids", nargs="+", metavar="event_id")
    adding.add_argument("--reason", required=True)
    verbs.add_parser("list", help="every held event, with its reason")
    args = parser.parse_args(argv)

    def body() -> None:
        settings = load_settings()
        if args.verb == "add":
            new = add(settings, args.table, args.event_ids, args.reason)
            print(f"held {len(new)} event(s) of {args.table}; the next micro-batch sends them to quarantine")
        else:
            for table, events in sorted(read(settings).items()):
                for event_id, hold in sorted(events.items()):
                    print(f"{table}  {event_id}  {hold['held_at']}  {hold['reason']}")

    return run_command(parser.prog, body)


if __name__ == "__main__":
    sys.exit(main())

"""Stores and devices the marts met that RetailAdvisorDB does not know yet (a device is often installed,
and sending, before anyone registers it in EdgeDeviceRegistry).

Their interactions are kept: the marts flag them (``store_registered`` / ``device_registered``), the
dashboard shows them as unregistered, every other store's marts and exports update as usual. After each
marts run ``check`` names them in a warning in the task log, and e-mails once per newcomer: the ones
already reported are kept in SCOUT_HOME/ops/unregistered.json until they are registered (a device that
is registered and later dropped is reported again).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from include.atomic import write_atomic
from include.settings import Settings

log = logging.getLogger(__name__)

FILE = "unregistered.json"
INTERACTIONS_EXPORT = "sales_interactions_enriched.json"


@dataclass
class Unregistered:
    """store id -> its interactions; device id -> {"store_id", "interactions"}."""

    stores: dict[str, int] = field(default_factory=dict)
    devices: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.stores or self.devices)

    def lines(self) -> list[str]:
        """One line per store and device, e.g. "device pi-7 in store store-001 (3 interactions)"."""
        lines = [f"store {s} ({n} interactions)" for s, n in sorted(self.stores.items())]
        return lines + [
            f"device {d} in store {v['store_id']} ({v['interactions']} interactions)"
            for d, v in sorted(self.devices.items())
        ]

    def without(self, known: Mapping[str, Iterable[str]]) -> Unregistered:
        """Only the stores and devices not in ``known`` ({"stores": [...], "devices": [...]})."""
        stores, devices = set(known.get("stores", ())), set(known.get("devices", ()))
        return Unregistered(
            {s: n for s, n in self.stores.items() if s not in stores},
            {d: v for d, v in self.devices.items() if d not in devices},
        )


def unregistered(interactions: Iterable[Mapping[str, Any]]) -> Unregistered:
    """Pure: the stores and devices of the interactions (the sales_interactions_enriched export's rows)
    that RetailAdvisorDB does not know, with how many interactions each has."""
    found = Unregistered()
    for row in interactions:
        if not row["store_registered"]:
            found.stores[row["store_id"]] = found.stores.get(row["store_id"], 0) + 1
        if not row["device_registered"]:
            device = found.devices.setdefault(row["device_id"], {"store_id": row["store_id"], "interactions": 0})
            device["interactions"] += 1
    return found


def check(settings: Settings) -> dict[str, Any]:
    """After the exports: warn about every unregistered store and device in the interactions export, e-mail
    the ones not reported before. Returns {"stores", "devices", "emailed"} for the task's XCom."""
    from include.orchestration.alerts import send_unregistered

    rows = json.loads((settings.export_dir / INTERACTIONS_EXPORT).read_text())["rows"]
    found = unregistered(rows)
    state = settings.ops_dir / FILE
    reported = json.loads(state.read_text()) if state.exists() else {}
    newcomers = found.without(reported)
    if found:
        log.warning(
            "not registered in RetailAdvisorDB: %s. Their interactions are kept and shown as unregistered;"
            " register them (Stores / EdgeDeviceRegistry) and the next marts run fills in their names.",
            "; ".join(found.lines()),
        )
    emailed, failure = False, None
    if newcomers:
        try:
            send_unregistered(settings, newcomers)
            emailed = True
        except Exception as error:  # the marts and exports are built: a mail server that is down fails nothing
            failure = f"{type(error).__name__}: {error}"
            log.error("could not e-mail the unregistered stores and devices (%s); the next run tries again", failure)
    # What is reported now: a store or device registered since drops out, so a later absence is news again;
    # newcomers whose e-mail failed stay out, so the next run sends it.
    told = found if not failure else found.without({"stores": newcomers.stores, "devices": newcomers.devices})
    write_atomic(state, json.dumps({"stores": sorted(told.stores), "devices": sorted(told.devices)}) + "\n")
    return asdict(found) | {"emailed": emailed} | ({"email_error": failure} if failure else {})

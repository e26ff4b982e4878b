"""What a rollback run was asked to do (the DAG's params), checked once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from include.errors import SettingsError


class Direction(StrEnum):
    RESTORE = "restore"  # AudioURL back everywhere
    DEPRECATE = "deprecate"  # AudioURL away everywhere (the change that broke the dashboard)


@dataclass(frozen=True)
class Request:
    direction: Direction
    dry_run: bool = True
    stores: tuple[str, ...] = ()  # empty: every store
    devices: tuple[str, ...] = ()  # empty: every device (of the stores)
    validate_with_sample: bool = True

    @property
    def restore(self) -> bool:
        return self.direction is Direction.RESTORE

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Request:
        """From the DAG's params (already checked against their JSON schema at trigger time)."""
        try:
            direction = Direction(params["direction"])
        except ValueError:
            raise SettingsError(
                f"direction: {params['direction']!r} is not one of {', '.join(d.value for d in Direction)}"
            ) from None
        return cls(
            direction=direction,
            dry_run=bool(params["dry_run"]),
            stores=tuple(params.get("stores") or ()),
            devices=tuple(params.get("devices") or ()),
            validate_with_sample=bool(params["validate_with_sample"]),
        )

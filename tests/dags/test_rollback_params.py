"""The rollback DAG's trigger form: which params it marks required, and what a trigger may leave out."""

from __future__ import annotations

import copy

import pytest

from include.local.airflow import prepare_airflow
from include.settings import DAGS_DIR


@pytest.fixture(scope="module")
def params(settings):
    prepare_airflow(settings)
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR / "scout_audio_url_rollback.py"))
    assert not bag.import_errors, bag.import_errors
    return bag.get_dag("scout_audio_url_rollback").params


def marked_required(schema: dict) -> bool:
    """Airflow 3's trigger form (FlexibleForm) stars a param whose type is set and does not allow null."""
    kind = schema.get("type")
    return bool(kind) and (not isinstance(kind, list) or "null" not in kind)


def test_the_form_shows_stores_and_devices_as_optional(params):
    schemas = {name: params.get_param(name).schema for name in params}
    assert {name for name, schema in schemas.items() if not marked_required(schema)} == {"stores", "devices"}


@pytest.mark.parametrize("left_out", [None, []])
def test_a_trigger_may_leave_the_scope_empty_but_not_malformed(params, left_out):
    from airflow.exceptions import ParamValidationError

    def triggered(conf: dict) -> dict:
        given = copy.deepcopy(params)
        given.update(conf)
        return given.validate()

    assert triggered({"stores": left_out, "devices": left_out})["stores"] == left_out
    with pytest.raises(ParamValidationError, match="devices"):
        triggered({"devices": ["not a device id!"]})

from __future__ import annotations

from pathlib import Path

import pytest

from include.errors import SettingsError
from include.settings import PROJECT_ROOT, load_settings


def test_defaults_are_the_embedded_mode():
    settings = load_settings({})
    assert (settings.engine, settings.source) == ("local", "files")
    assert settings.home == PROJECT_ROOT / ".scout"
    assert settings.checkpoint_dir == PROJECT_ROOT / ".scout" / "checkpoints"


def test_values_are_normalised_and_paths_resolved(tmp_path):
    settings = load_settings({"SCOUT_ENGINE": " Databricks ", "SCOUT_SOURCE": "KAFKA", "SCOUT_HOME": str(tmp_path)})
    assert (settings.engine, settings.source, settings.home) == ("databricks", "kafka", Path(tmp_path))


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [("SCOUT_ENGINE", "spark", "local, databricks"), ("SCOUT_SOURCE", "eventhub", "files, kafka")],
)
def test_a_wrong_choice_names_the_setting_and_the_allowed_values(name, value, allowed):
    with pytest.raises(SettingsError) as error:
        load_settings({name: value})
    assert str(error.value) == f"{name}={value!r} is not allowed; expected one of: {allowed}"


def test_an_empty_path_is_rejected_not_taken_as_the_cwd():
    with pytest.raises(SettingsError, match="SCOUT_HOME is set but empty"):
        load_settings({"SCOUT_HOME": "  "})

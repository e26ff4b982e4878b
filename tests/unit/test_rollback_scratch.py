"""The rollback validation's scratch ground (include/rollback/scratch.py): its own SCOUT_HOME beside
production's, removed when the validation passes, kept (and named in the log) when it fails, and gone
by the next validation either way. Taking the sample through it is tested end to end in
tests/e2e/test_slice_audio_url_rollback.py."""

from __future__ import annotations

import logging

import pytest

from include.errors import RollbackValidationFailed
from include.retail_db.config import default_url
from include.rollback.scratch import FOLDER, scratch_ground
from include.settings import Settings, Source


@pytest.fixture
def production(tmp_path) -> Settings:
    (tmp_path / "jars").mkdir()
    return Settings(home=tmp_path, source=Source.KAFKA, watermark="2 hours")


def test_the_scratch_home_is_production_settings_but_its_own_folder_and_database(production):
    with scratch_ground(production) as ground:
        home = ground.settings.home
        assert home.parent == production.home / FOLDER
        assert (ground.settings.watermark, ground.settings.source) == ("2 hours", Source.FILES)
        assert ground.url == default_url(ground.settings) != default_url(production)
        assert (home / "jars").resolve() == production.jars_dir.resolve()
    assert not home.exists()


def test_a_failed_validation_keeps_its_folder_and_names_it_until_the_next_one(production, caplog):
    with (
        pytest.raises(RollbackValidationFailed),
        caplog.at_level(logging.ERROR),
        scratch_ground(production) as ground,
    ):
        kept = ground.settings.home
        raise RollbackValidationFailed("silver: transcript x: expected None, found 'y'")
    assert kept.exists()
    assert str(kept) in caplog.text
    with scratch_ground(production) as ground:
        assert not kept.exists()
        assert ground.settings.home != kept

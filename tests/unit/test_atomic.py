"""Publishing a file whole (landing files, dashboard exports)."""

from __future__ import annotations

import stat

import pytest

from include.atomic import write_atomic


def test_the_file_is_replaced_whole_and_readable_by_other_users(tmp_path):
    path = tmp_path / "exports" / "d.json"
    write_atomic(path, "one\n")
    write_atomic(path, "two\n")
    assert path.read_text() == "two\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # a web server running as another user reads it
    assert [p.name for p in path.parent.iterdir()] == ["d.json"]


def test_a_write_failing_half_way_leaves_the_previous_file_and_no_temp_file(tmp_path):
    path = tmp_path / "d.json"
    write_atomic(path, "one\n")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(path, "two" + "\ud800")  # a lone surrogate: encoding fails inside the temp file's write
    assert path.read_text() == "one\n"
    assert [p.name for p in tmp_path.iterdir()] == ["d.json"]

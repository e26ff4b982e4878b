"""A pytest plugin (pyproject.toml's addopts): each failure's traceback as it happens, not only in the
summary at the end, for every test path (tests/ and edge/tests), so a run cut short (CI's time limit, a
killed job) still says what failed and why."""

from __future__ import annotations

import pytest

_TERMINAL: dict[str, pytest.TerminalReporter] = {}


@pytest.hookimpl(trylast=True)  # after pytest registered its terminal reporter
def pytest_configure(config):
    _TERMINAL["reporter"] = config.pluginmanager.get_plugin("terminalreporter")


def pytest_runtest_logreport(report):
    terminal = _TERMINAL.get("reporter")
    if report.failed and terminal is not None:
        terminal.write_line("")
        terminal.write_sep("!", f"{report.nodeid} failed ({report.when})")
        terminal.write_line(report.longreprtext[-5000:])

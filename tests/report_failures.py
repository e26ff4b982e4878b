"""A pytest plugin (pyproject.toml's addopts): each failure's traceback as it happens, not only in the
summary at the end, for every test path (tests/ and edge/tests), so a run cut short (CI's time limit, a
killed job) still says what failed and why; with the machine's state then (memory, disk, load, the
biggest processes), for failures that only a loaded or full machine shows."""

from __future__ import annotations

import os
import shutil
import tempfile

import psutil
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
        terminal.write_line(machine_state())


def machine_state() -> str:
    memory = psutil.virtual_memory()
    disk = shutil.disk_usage(tempfile.gettempdir())
    biggest = sorted(psutil.process_iter(["pid", "name", "memory_info"]), key=_rss, reverse=True)[:5]
    processes = ", ".join(f"{p.info['name']} {p.info['pid']} {_rss(p) >> 20} MiB" for p in biggest)
    return (
        f"machine: {memory.available >> 20} MiB memory available of {memory.total >> 20};"
        f" {disk.free >> 20} MiB free in {tempfile.gettempdir()}; load {os.getloadavg()[0]:.1f};"
        f" {len(psutil.pids())} processes, the biggest: {processes}"
    )


def _rss(process: psutil.Process) -> int:
    info = process.info.get("memory_info")
    return info.rss if info else 0

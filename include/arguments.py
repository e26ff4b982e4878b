"""The argument parser and exit statuses of every Scout command line: a mistake is one line on stderr and
exit 2, a failed step a FAILED line and exit 1.

argparse prints its whole usage block before the error; on a terminal (or in a CI log) the one line that
says what is wrong is what a user needs, with a pointer to ``--help`` for the rest.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import NoReturn

from include.errors import ScoutError, SettingsError


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def run_command(prog: str, body: Callable[[], object]) -> int:
    """A command's exit status: 0 when ``body`` ran; 2 with one line for a setting or argument the user must
    fix (SettingsError); 1 with a FAILED line for a step that did not succeed (any other ScoutError)."""
    try:
        body()
    except SettingsError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    except ScoutError as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    return 0

"""``python -m include.local demo|up``: see include/local/cli.py."""

import sys

from include.local.cli import main

sys.exit(main(sys.argv[1:]))

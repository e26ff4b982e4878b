"""`python -m include.dashboard [--port N]`: serve the Retail Advisor page on 127.0.0.1 until Ctrl-C."""

from __future__ import annotations

import logging
import sys

from include.arguments import ArgumentParser, run_command
from include.settings import load_settings


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m include.dashboard", description=__doc__)
    parser.add_argument("--port", type=int, default=8050, help="port on 127.0.0.1 (default 8050)")
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error(f"--port must be between 1 and 65535, not {args.port}")

    def serve() -> None:
        from include.dashboard.server import make_server

        logging.basicConfig(level=logging.WARNING)
        settings = load_settings()
        server = make_server(settings, args.port)
        print(f"Retail Advisor dashboard: http://127.0.0.1:{args.port}/ (exports from {settings.export_dir})")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()

    return run_command("python -m include.dashboard", serve)


if __name__ == "__main__":
    sys.exit(main())

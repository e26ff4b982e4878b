"""Azurite, Microsoft's Azure Storage emulator (npm, installed by `make test`), on a free loopback port:
one per test session, for the edge client's Blob clip store and the fleet's config channel."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

AZURITE = Path(__file__).parents[1] / ".scout" / "azurite" / "node_modules" / ".bin" / "azurite-blob"
AZURITE_ACCOUNT = "devstoreaccount1"
# Azurite's documented, public development key (the same in every installation; not a secret).
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@pytest.fixture(scope="session")
def azurite(tmp_path_factory):
    """Azure Blob Storage's emulator on a free loopback port: its blob endpoint, account and key."""
    import socket
    import time

    if not AZURITE.exists():
        pytest.fail(f"Azurite is not installed at {AZURITE}: `make test` installs it (npm)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = tmp_path_factory.mktemp("azurite")
    process = subprocess.Popen(
        [str(AZURITE), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", str(data), "--silent",
         "--skipApiVersionCheck", "--loose"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"Azurite did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}", account=AZURITE_ACCOUNT, key=AZURITE_KEY)
    process.kill()  # its data folder is a throwaway: no need for a graceful stop
    process.wait(timeout=10)

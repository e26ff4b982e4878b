"""The forwarder: drains the spool into the transport, in order, with backoff while the target is down."""

from __future__ import annotations

import logging
import threading
import time

from scout_edge.errors import TransportError
from scout_edge.spool import Spool
from scout_edge.transports import Transport

log = logging.getLogger(__name__)


class Forwarder:
    def __init__(self, spool: Spool, transport: Transport, batch_size: int = 500, max_backoff_s: float = 30.0):
        self.spool = spool
        self.transport = transport
        self.batch_size = batch_size
        self.max_backoff_s = max_backoff_s
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        recovered = transport.recover()
        if recovered:
            log.info(
                "%s transport: %d events were delivered before a crash; acknowledged",
                transport.name,
                self.spool.ack_event_ids(recovered),
            )

    def forward_once(self) -> int:
        """Send one batch; returns how many records were acknowledged (0 when the spool is empty)."""
        records = self.spool.peek(self.batch_size)
        if not records:
            self.transport.maintain()
            return 0
        acked = self.transport.send(records)
        self.spool.ack(acked)
        self.last_error = None
        return len(acked)

    def drain(self, timeout_s: float | None = None) -> bool:
        """Forward until the spool is empty (True) or the timeout passes / the target stays down (False)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        backoff = 0.5
        while deadline is None or time.monotonic() < deadline:
            try:
                if self.forward_once() == 0 and self.spool.depth() == 0:
                    return True
                backoff = 0.5
            except TransportError as exc:
                self._note_failure(exc)
                remaining = backoff if deadline is None else min(backoff, deadline - time.monotonic())
                if remaining <= 0 or self._stop.wait(remaining):
                    return False
                backoff = min(backoff * 2, self.max_backoff_s)
        return self.spool.depth() == 0

    def _note_failure(self, exc: TransportError) -> None:
        if str(exc) != self.last_error:
            log.warning("%s; %d events wait in the spool", exc, self.spool.depth())
        self.last_error = str(exc)

    def run(self, idle_s: float = 0.2) -> None:
        """Forward until stopped: the device's background loop."""
        backoff = 0.5
        while not self._stop.is_set():
            try:
                sent = self.forward_once()
                backoff = 0.5
                if sent == 0:
                    self._stop.wait(idle_s)
            except TransportError as exc:
                self._note_failure(exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="scout-forwarder", daemon=True)
        self._thread.start()

    def stop(self, drain_timeout_s: float = 5.0) -> bool:
        """Stop the loop, then try to empty the spool for a short while; True when it is empty."""
        self._stop.set()
        if self._thread:
            self._thread.join()
        self._stop.clear()
        empty = self.drain(drain_timeout_s)
        self.transport.close()
        return empty

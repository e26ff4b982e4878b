from __future__ import annotations

import uuid

from tools import kafka_broker


def test_a_cluster_id_never_starts_with_a_dash(monkeypatch):
    # 0xf8 encodes to '-' as the first base64url character; StorageTool would read "-t -..." as two options.
    draws = iter([uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=b"\x10" + bytes(15))])
    monkeypatch.setattr(kafka_broker.uuid, "uuid4", lambda: next(draws))
    cluster_id = kafka_broker._cluster_id()
    assert cluster_id == "EAAAAAAAAAAAAAAAAAAAAA"

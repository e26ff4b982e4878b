"""RetailAdvisorDB at head, written out by hand: what the migrations must produce on every dialect."""

from __future__ import annotations


def _ix(table: str, *columns: str) -> dict:
    return {f"ix_{table}_{c}": ((c,), False) for c in columns}


HEAD = {
    "Stores": {
        "columns": {
            "StoreID": "int",
            "StoreCode": "str(32)",
            "Name": "str(200)",
            "Region": "str(100) null",
            "City": "str(100) null",
            "IsActive": "bool",
        },
        "indexes": {},
    },
    "Products": {
        "columns": {
            "ProductID": "int",
            "Sku": "str(64)",
            "Name": "str(200)",
            "Brand": "str(100)",
            "Category": "str(100) null",
            "IsActive": "bool",
        },
        "indexes": {},
    },
    "Customers": {
        "columns": {
            "CustomerID": "int",
            "ExternalRef": "str(64) null",
            "DisplayName": "str(200) null",
            "IsActive": "bool",
        },
        "indexes": {},
    },
    "SalesInteractions": {
        "columns": {
            "InteractionID": "int",
            "StoreID": "int",
            "CustomerID": "int null",
            "DeviceID": "str(64) null",
            "InteractionTimeUtc": "datetime",
            "Outcome": "str(50) null",
            "IngestedAt": "datetime",
            "SessionID": "str(64) null",
            "SessionStart": "datetime null",
            "SessionEnd": "datetime null",
        },
        "indexes": _ix("SalesInteractions", "StoreID", "CustomerID", "DeviceID", "SessionID"),
    },
    "SalesInteractionBrands": {
        "columns": {
            "InteractionBrandID": "int",
            "InteractionID": "int",
            "ProductID": "int null",
            "Brand": "str(100)",
            "MentionCount": "int",
            "CreatedAtUtc": "datetime",
        },
        "indexes": _ix("SalesInteractionBrands", "InteractionID", "ProductID"),
    },
    "SalesInteractionTranscripts": {
        "columns": {
            "TranscriptID": "int",
            "InteractionID": "int",
            "TranscriptText": "text",
            "Confidence": "float null",
            "WordCount": "int null",
            "LangCode": "str(8) null",
            "AudioURL": "str(500) null",
            "EventID": "str(64) null",
        },
        "indexes": _ix("SalesInteractionTranscripts", "InteractionID", "EventID"),
    },
    "SalesInteractionTranscripts_AudioURLArchive": {
        "columns": {"TranscriptID": "int", "AudioURL": "str(500)", "ArchivedAtUtc": "datetime"},
        "indexes": {},
    },
    "TranscriptChunkAudit": {
        "columns": {
            "ChunkAuditID": "int",
            "TranscriptID": "int",
            "ChunkIndex": "int",
            "QualityScore": "float",
            "CheckedAtUtc": "datetime",
        },
        "indexes": _ix("TranscriptChunkAudit", "TranscriptID"),
    },
    "EdgeDeviceRegistry": {
        "columns": {
            "DeviceID": "str(64)",
            "StoreID": "int",
            "Location": "str(200) null",
            "ZoneID": "str(64) null",
            "CameraAngle": "str(64) null",
            "ClientVersion": "str(32) null",
            "AudioUrlEnabled": "bool",
            "RegisteredAtUtc": "datetime",
            "LastSeenAtUtc": "datetime null",
            "IsActive": "bool",
            "ConfigVersion": "int null",
            "ConfigAckVersion": "int null",
            "ConfigAckAtUtc": "datetime null",
        },
        "indexes": _ix("EdgeDeviceRegistry", "StoreID"),
    },
    "ScoutSyncState": {
        "columns": {"Name": "str(64)", "Watermark": "datetime null", "UpdatedAtUtc": "datetime"},
        "indexes": {},
    },
    "bronze_transcriptions": {
        "columns": {
            "id": "int",
            "EventID": "str(64)",
            "DeviceID": "str(64)",
            "StoreCode": "str(32) null",
            "TranscriptText": "text null",
            "Confidence": "float null",
            "EventTimeUtc": "datetime",
            "SourceFile": "str(500) null",
        },
        "indexes": _ix("bronze_transcriptions", "DeviceID"),
    },
    "bronze_vision_detections": {
        "columns": {
            "id": "int",
            "EventID": "str(64)",
            "DeviceID": "str(64)",
            "StoreCode": "str(32) null",
            "Faces": "int null",
            "People": "int null",
            "EventTimeUtc": "datetime",
            "ZoneID": "str(64) null",
            "CameraAngle": "str(64) null",
        },
        "indexes": _ix("bronze_vision_detections", "DeviceID"),
    },
    "bronze_device_logs": {
        "columns": {
            "id": "int",
            "DeviceID": "str(64)",
            "Level": "str(16)",
            "Message": "text null",
            "LoggedAtUtc": "datetime",
            "IngestedAt": "datetime",
        },
        "indexes": _ix("bronze_device_logs", "DeviceID"),
    },
}

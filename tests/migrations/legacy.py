"""A legacy RetailAdvisorDB as the hand-run scripts left it: the baseline plus about half of the
integrity improvements, made with raw DDL (no Alembic), with some transcripts that have an AudioURL."""

from __future__ import annotations

import sqlalchemy as sa

DIALECT_WORDS = {
    "sqlite": {
        "pk": "INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT",
        "ts": "DATETIME",
        "now": "CURRENT_TIMESTAMP",
        "true": "1",
    },
    "postgresql": {"pk": "SERIAL PRIMARY KEY", "ts": "TIMESTAMP", "now": "timezone('utc', now())", "true": "true"},
}

DDL = """
CREATE TABLE "Stores" ("StoreID" {pk}, "StoreCode" VARCHAR(32) NOT NULL UNIQUE, "Name" VARCHAR(200) NOT NULL,
  "Region" VARCHAR(100), "City" VARCHAR(100), "IsActive" BOOLEAN NOT NULL DEFAULT {true});
CREATE TABLE "Products" ("ProductID" {pk}, "Sku" VARCHAR(64) NOT NULL UNIQUE, "Name" VARCHAR(200) NOT NULL,
  "Brand" VARCHAR(100) NOT NULL, "Category" VARCHAR(100));
CREATE TABLE "Customers" ("CustomerID" {pk}, "ExternalRef" VARCHAR(64) UNIQUE, "DisplayName" VARCHAR(200));
CREATE TABLE "SalesInteractions" ("InteractionID" {pk},
  "StoreID" INTEGER NOT NULL REFERENCES "Stores" ("StoreID"),
  "CustomerID" INTEGER REFERENCES "Customers" ("CustomerID"),
  "DeviceID" VARCHAR(64), "InteractionTimeUtc" {ts} NOT NULL, "Outcome" VARCHAR(50));
CREATE TABLE "SalesInteractionBrands" ("InteractionBrandID" {pk},
  "InteractionID" INTEGER NOT NULL REFERENCES "SalesInteractions" ("InteractionID"),
  "ProductID" INTEGER REFERENCES "Products" ("ProductID"), "Brand" VARCHAR(100) NOT NULL,
  "MentionCount" INTEGER NOT NULL DEFAULT 1, "CreatedAtUtc" {ts} NOT NULL DEFAULT {now});
CREATE TABLE "SalesInteractionTranscripts" ("TranscriptID" {pk},
  "InteractionID" INTEGER NOT NULL REFERENCES "SalesInteractions" ("InteractionID"), "TranscriptText" TEXT NOT NULL,
  "Confidence" FLOAT, "AudioURL" VARCHAR(500));
CREATE TABLE "bronze_transcriptions" ("id" {pk}, "EventID" VARCHAR(64) NOT NULL UNIQUE, "DeviceID" VARCHAR(64) NOT NULL,
  "StoreCode" VARCHAR(32), "TranscriptText" TEXT, "Confidence" FLOAT, "EventTimeUtc" {ts} NOT NULL,
  "SourceFile" VARCHAR(500));
CREATE TABLE "bronze_vision_detections" ("id" {pk}, "EventID" VARCHAR(64) NOT NULL UNIQUE,
  "DeviceID" VARCHAR(64) NOT NULL, "StoreCode" VARCHAR(32), "Faces" INTEGER, "People" INTEGER,
  "EventTimeUtc" {ts} NOT NULL);
CREATE TABLE "bronze_device_logs" ("id" {pk}, "DeviceID" VARCHAR(64) NOT NULL, "Level" VARCHAR(16) NOT NULL,
  "Message" TEXT, "LoggedAtUtc" {ts} NOT NULL);
CREATE INDEX "ix_SalesInteractions_StoreID" ON "SalesInteractions" ("StoreID");
CREATE TABLE "EdgeDeviceRegistry" ("DeviceID" VARCHAR(64) NOT NULL PRIMARY KEY,
  "StoreID" INTEGER NOT NULL REFERENCES "Stores" ("StoreID"), "Location" VARCHAR(200), "ZoneID" VARCHAR(64),
  "CameraAngle" VARCHAR(64), "ClientVersion" VARCHAR(32), "AudioUrlEnabled" BOOLEAN NOT NULL DEFAULT {false},
  "RegisteredAtUtc" {ts} NOT NULL DEFAULT {now}, "LastSeenAtUtc" {ts}, "IsActive" BOOLEAN NOT NULL DEFAULT {true});
CREATE INDEX "ix_EdgeDeviceRegistry_StoreID" ON "EdgeDeviceRegistry" ("StoreID");
"""

# What the legacy database has of each improvement revision (the adopt report must say exactly this).
PARTIAL = {
    "0002": ["SalesInteractionBrands.CreatedAtUtc"],
    "0003": ["Stores.IsActive"],
    "0004": ["SalesInteractions index ix_SalesInteractions_StoreID"],
    "0005": ["EdgeDeviceRegistry", "EdgeDeviceRegistry index ix_EdgeDeviceRegistry_StoreID"],
    "0006": ["bronze_transcriptions.SourceFile"],
}

AUDIO_URLS = {1: "https://blob.scout.local/audio/1.wav", 2: None, 3: "https://blob.scout.local/audio/3.wav"}


def build(url: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    words = DIALECT_WORDS[engine.dialect.name]
    words["false"] = "0" if engine.dialect.name == "sqlite" else "false"
    with engine.begin() as conn:
        for statement in DDL.format(**words).split(";"):
            if statement.strip():
                conn.exec_driver_sql(statement)
        conn.exec_driver_sql("""INSERT INTO "Stores" ("StoreCode", "Name") VALUES ('store-001', 'Legacy store')""")
        conn.exec_driver_sql(
            """INSERT INTO "SalesInteractions" ("StoreID", "InteractionTimeUtc") VALUES (1, '2026-11-02 09:00:00')"""
        )
        for transcript_id, audio_url in AUDIO_URLS.items():
            conn.execute(
                sa.text(
                    'INSERT INTO "SalesInteractionTranscripts" ("TranscriptID", "InteractionID", "TranscriptText",'
                    ' "AudioURL") VALUES (:id, 1, :text, :url)'
                ),
                {"id": transcript_id, "text": f"transcript {transcript_id}", "url": audio_url},
            )
    engine.dispose()

"""What each dbt mart must hold after the synthetic day, computed here in plain Python from the day's
events, not with the pipeline's helpers: the phrases' brands and questions are written out by hand below,
and sentiment is VADER's own score."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from pathlib import Path

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from include.local import synthetic
from scout_edge.contract import Heartbeat, Transcript, VisualDetection

# Every line the synthetic day says: (is it a question, the catalog brand it names).
LINES = {
    "do you have lucky me pancit canton": (True, "Lucky Me"),
    "where is the bear brand milk": (True, "Bear Brand"),
    "is nescafe three in one on promo today": (True, "Nescafe"),
    "how much is the alaska evaporada": (True, "Alaska"),
    "i am looking for safeguard soap": (False, "Safeguard"),
    "can i pay with gcash": (True, None),
    "thank you have a nice day": (False, None),
    "good morning, welcome to the store": (False, None),
    "hello, welcome": (False, None),
    "good afternoon, how can i help you": (False, None),
}
assert set(LINES) == {*synthetic.PHRASES, *synthetic.GREETINGS}, "the synthetic day says something new"


def _round(value: float, places: int = 4) -> float:
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP))


def _at(ts: str) -> datetime:
    return datetime.fromisoformat(ts).astimezone(UTC)


def _z(ts: str) -> str:
    return _at(ts).strftime("%Y-%m-%dT%H:%M:%SZ")


def brand_performance(day: synthetic.SyntheticDay) -> list[dict]:
    vader = SentimentIntensityAnalyzer()
    scores: dict[tuple[str, str, str], list[tuple[bool, float]]] = defaultdict(list)
    for t in (e for e in day.events if isinstance(e, Transcript)):
        question, brand = LINES[t.text]
        if brand:
            scores[(t.store_id, t.ts[:10], brand)].append((question, vader.polarity_scores(t.text)["compound"]))
    per_store_day: dict[tuple[str, str], int] = defaultdict(int)
    for (store, date, _), said in scores.items():
        per_store_day[(store, date)] += len(said)
    return [
        {
            "store_id": store,
            "metric_date": date,
            "brand": brand,
            "mentions": len(said),
            "questions": sum(q for q, _ in said),
            "avg_sentiment": synthetic.exact_mean([s for _, s in said]),
            "positive_mentions": sum(s >= 0.05 for _, s in said),
            "negative_mentions": sum(s <= -0.05 for _, s in said),
            "share_of_mentions": _round(len(said) / per_store_day[(store, date)]),
        }
        for (store, date, brand), said in sorted(scores.items())
    ]


def device_performance(day: synthetic.SyntheticDay) -> list[dict]:
    beats: dict[tuple[str, str], list[Heartbeat]] = defaultdict(list)
    heard: dict[tuple[str, str], list[float]] = defaultdict(list)
    seen: dict[tuple[str, str], int] = defaultdict(int)
    for e in day.events:
        key = (e.device_id, e.ts[:10])
        if isinstance(e, Heartbeat):
            beats[key].append(e)
        elif isinstance(e, Transcript):
            heard[key].append(e.confidence)
        elif isinstance(e, VisualDetection):
            seen[key] += 1
    rows = []
    for (device, date), mine in sorted(beats.items()):
        times = sorted(_at(b.ts).timestamp() for b in mine)
        gaps = [b - a for a, b in pairwise(times)]
        confidences = heard[(device, date)]
        rows.append(
            {
                "device_id": device,
                "metric_date": date,
                "store_id": mine[0].store_id,
                "client_version": max(mine, key=lambda b: b.ts).client_version,
                "heartbeats": len(mine),
                "max_uptime_s": max(b.uptime_s for b in mine),
                "offline_s": int(sum(g for g in gaps if g > 3600)),
                "max_spool_depth": max(b.spool_depth for b in mine),
                "events": len(confidences) + seen[(device, date)],
                "transcripts": len(confidences),
                "detections": seen[(device, date)],
                "avg_transcript_confidence": synthetic.exact_mean(confidences),
            }
        )
    return rows


def by_session(
    day: synthetic.SyntheticDay,
) -> tuple[dict[tuple[str, str], list[Transcript]], dict[tuple[str, str], list[VisualDetection]]]:
    """(device, session) -> what was said, and -> what was seen."""
    said: dict[tuple[str, str], list[Transcript]] = defaultdict(list)
    seen: dict[tuple[str, str], list[VisualDetection]] = defaultdict(list)
    for e in day.events:
        if isinstance(e, Transcript):
            said[(e.device_id, e.session_id)].append(e)
        elif isinstance(e, VisualDetection):
            seen[(e.device_id, e.session_id)].append(e)
    return said, seen


def customer_sessions(day: synthetic.SyntheticDay) -> list[dict]:
    said, seen = by_session(day)
    rows = []
    for (device, session), views in seen.items():
        lines = said[(device, session)]
        stamps = sorted([*(v.ts for v in views), *(t.ts for t in lines)], key=_at)
        asked = sorted({LINES[t.text][1] for t in lines if LINES[t.text][0] and LINES[t.text][1]})
        rows.append(
            {
                "store_id": views[0].store_id,
                "device_id": device,
                "session_id": session,
                "session_date": stamps[0][:10],
                "started_at_utc": _z(stamps[0]),
                "ended_at_utc": _z(stamps[-1]),
                "duration_s": int(_at(stamps[-1]).timestamp() - _at(stamps[0]).timestamp()),
                "zones": len({v.zone_id for v in views}),
                "dwell_s": max(v.dwell_s for v in views if v.dwell_s is not None),
                "transcripts": len(lines),
                "questions": sum(LINES[t.text][0] for t in lines),
                "words": sum(t.word_count for t in lines),
                "brands_asked": asked,
                "greeted": any(t.text in synthetic.GREETINGS for t in lines),
                # the device annotates a session whose customer named a brand; the pipeline fuses a subset
                "greeted_and_asked": any(LINES[t.text][1] for t in lines),
            }
        )
    return sorted(rows, key=lambda r: (r["store_id"], r["device_id"], r["started_at_utc"], r["session_id"]))


# RetailAdvisorDB's reference data as the seed loads it (the input the sync mirrors into the lakehouse).
STORE_NAMES = {
    "store-001": ("Scout Sari-Sari Quezon City", "Quezon City"),
    "store-002": ("Scout Sari-Sari Makati", "Makati"),
}
# EdgeDeviceRegistry as the seed loads it: device -> its store (each at the store's entrance).
REGISTERED_DEVICES = {f"{store}-pi-{n:02d}": store for store in STORE_NAMES for n in (1, 2)}
CATEGORIES = {
    "Lucky Me": "Noodles",
    "Bear Brand": "Dairy",
    "Nescafe": "Coffee",
    "Alaska": "Dairy",
    "Safeguard": "Personal care",
}


def sales_interactions(day: synthetic.SyntheticDay) -> list[dict]:
    vader = SentimentIntensityAnalyzer()
    said, seen = by_session(day)
    rows = []
    for (device, session), views in seen.items():
        lines = sorted(said[(device, session)], key=lambda t: (_at(t.ts), t.event_id))
        stamps = sorted([*(v.ts for v in views), *(t.ts for t in lines)], key=_at)
        scores = [vader.polarity_scores(t.text)["compound"] for t in lines]
        brands = sorted({LINES[t.text][1] for t in lines if LINES[t.text][1]})
        store = views[0].store_id
        rows.append(
            {
                "interaction_id": f"{device}|{session}",
                "store_id": store,
                "store_name": STORE_NAMES[store][0] if store in STORE_NAMES else None,
                "city": STORE_NAMES[store][1] if store in STORE_NAMES else None,
                "store_registered": store in STORE_NAMES,
                "device_id": device,
                "device_location": f"{REGISTERED_DEVICES[device]}/entrance" if device in REGISTERED_DEVICES else None,
                "device_registered": device in REGISTERED_DEVICES,
                "zone_id": min(views, key=lambda v: _at(v.ts)).zone_id,
                "interaction_date": stamps[0][:10],
                "started_at_utc": _z(stamps[0]),
                "ended_at_utc": _z(stamps[-1]),
                "duration_s": int(_at(stamps[-1]).timestamp() - _at(stamps[0]).timestamp()),
                "dwell_s": max(v.dwell_s for v in views if v.dwell_s is not None),
                "transcripts": len(lines),
                "words": sum(t.word_count for t in lines),
                "avg_sentiment": synthetic.exact_mean(scores) if scores else None,
                "brands": brands,
                "categories": sorted({CATEGORIES[b] for b in brands}),
                "greeted": any(t.text in synthetic.GREETINGS for t in lines),
                "asked": any(LINES[t.text][0] for t in lines),
                "greeted_and_asked": bool(brands),  # as customer_sessions: a brand named after the greeting
                "transcript_lines": [
                    {
                        "spoken_at_utc": _z(t.ts),
                        "transcript_id": t.event_id,
                        "text": t.text,
                        "confidence": t.confidence,
                        "word_count": t.word_count,
                        "lang_code": t.language,
                        "sentiment": score,
                        "brand": LINES[t.text][1],
                        "audio_url": t.audio_url,
                    }
                    for t, score in zip(lines, scores, strict=True)
                ],
            }
        )
    return sorted(rows, key=lambda r: (r["store_id"], r["started_at_utc"], r["interaction_id"]))


EXPECTED = {
    "brand_performance_metrics": brand_performance,
    "device_performance_metrics": device_performance,
    "customer_session_metrics": customer_sessions,
    "sales_interactions_enriched": sales_interactions,
}


def exported(export_dir: Path, mart: str) -> list[dict]:
    """The rows of the mart's dashboard export (to compare with EXPECTED[mart])."""
    return json.loads((export_dir / f"{mart}.json").read_text())["rows"]

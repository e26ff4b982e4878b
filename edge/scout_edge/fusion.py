"""Device-side fusion of speech and vision into annotated events.

"Greeted + Asked": while a face is in the counter zone, a greeting is heard, and then, within
``window_s``, a question that names a brand from the device's hotwords. One annotation per session.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from scout_edge.contract import AnnotatedEvent, Transcript, VisualDetection

GREETING = re.compile(r"\b(hello|hi|good (morning|afternoon|evening)|welcome|magandang (umaga|hapon|gabi))\b", re.I)
QUESTION = re.compile(r"\?|^\s*(do|does|is|are|can|could|where|how|what|which|who|may)\b", re.I)


def is_greeting(text: str) -> bool:
    return bool(GREETING.search(text))


def is_question(text: str) -> bool:
    return bool(QUESTION.search(text))


def brand_in(text: str, brands: list[str]) -> str | None:
    """The hotword named first in the text ("Lucky Me pancit canton" -> "Lucky Me"); the longest one
    when two start at the same word ("Bear Brand milk" before "Bear Brand")."""
    lowered, found = text.lower(), []
    for brand in brands:
        if match := re.search(rf"\b{re.escape(brand.lower())}\b", lowered):
            found.append((match.start(), -len(brand), brand))
    return min(found)[2] if found else None


@dataclass
class GreetedAndAsked:
    counter_zone: str | None
    brands: list[str]
    window_s: float = 120.0
    _face_session: str | None = None
    _greeted_at: dict[str, datetime] = field(default_factory=dict)
    _annotated: set[str] = field(default_factory=set)

    def see(self, detection: VisualDetection) -> None:
        if detection.zone_id == self.counter_zone:
            self._face_session = detection.session_id if detection.faces > 0 else None

    def hear(self, transcript: Transcript) -> AnnotatedEvent | None:
        session = self._face_session
        if session is None or session in self._annotated:
            return None
        at = datetime.fromisoformat(transcript.ts)
        if is_greeting(transcript.text) and session not in self._greeted_at:
            self._greeted_at[session] = at
        greeted = self._greeted_at.get(session)
        brand = brand_in(transcript.text, self.brands)
        if greeted is None or brand is None or not is_question(transcript.text):
            return None
        if (at - greeted).total_seconds() > self.window_s:
            return None
        self._annotated.add(session)
        return AnnotatedEvent(
            device_id=transcript.device_id,
            store_id=transcript.store_id,
            ts=transcript.ts,
            session_id=session,
            label="Greeted + Asked",
            zone_id=self.counter_zone,
            brand=brand,
        )

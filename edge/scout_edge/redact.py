"""PII redaction of transcripts, applied on the device before an event is spooled or sent.

Masks e-mail addresses, card-like numbers (any run of 13-19 digits, grouped by spaces or dashes as
Whisper writes them; no Luhn check: a mistyped card number is still private) and phone numbers (7-15
digits with an optional +country code, spaces, dots, dashes or brackets; Whisper sometimes renders a
spoken "zero" as "0."; spoken e-mail addresses come out as one domain-like token, which is masked as an
e-mail too). Masks keep the kind, not the value: ``[phone]``, ``[email]``, ``[card]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_TLD = r"(?:com|net|org|ph|edu|gov|io|co|info|biz)"
_EMAIL = re.compile(
    # written: juan.cruz@example.com; spoken: "juan at example dot com"; and what Whisper makes of spoken
    # addresses: the words run together into one domain-like token ("pedrelatscout.com"), also masked.
    rf"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    rf"|\b[\w.+-]+\s+at\s+[\w-]+(?:\s+dot\s+[\w-]+)*\s+dot\s+{_TLD}\b"
    rf"|\b[\w-]+(?:\.[\w-]+)*\.{_TLD}\b",
    re.I,
)
_DIGIT_RUN = re.compile(r"(?<![\w.])\+?\(?\d[\d\s().-]{5,}\d(?![\w])")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def redact(text: str, kinds: Iterable[str] = ("phone", "email", "card")) -> tuple[str, list[str]]:
    """The text with PII masked, and the kinds that were found (sorted, unique)."""
    kinds = set(kinds)
    found: set[str] = set()
    if "email" in kinds:
        text, n = _EMAIL.subn("[email]", text)
        if n:
            found.add("email")

    def number(match: re.Match[str]) -> str:
        digits = _digits(match.group())
        if "card" in kinds and 13 <= len(digits) <= 19:
            found.add("card")
            return "[card]"
        if "phone" in kinds and 7 <= len(digits) <= 15:
            found.add("phone")
            return "[phone]"
        return match.group()

    text = _DIGIT_RUN.sub(number, text)
    return text, sorted(found)

from __future__ import annotations

import pytest

from scout_edge.redact import redact


@pytest.mark.parametrize(
    ("text", "masked", "kinds"),
    [
        ("call me at 0917 555 1234", "call me at [phone]", ["phone"]),
        ("my number is 0.117 555 1234.", "my number is [phone].", ["phone"]),  # Whisper's spoken "zero"
        ("landline +63 (2) 8123-4567 please", "landline [phone] please", ["phone"]),
        ("mail juan.dela.cruz@example.com now", "mail [email] now", ["email"]),
        ("email juan at example dot com.", "email [email].", ["email"]),
        ("my email address is pedrelatscout.com.", "my email address is [email].", ["email"]),  # Whisper's rendering
        ("card 4111 1111 1111 1111 ok", "card [card] ok", ["card"]),
        ("card 4111-1111-1111-1112", "card [card]", ["card"]),  # not Luhn-valid: still private
        ("two packs at 25.50 pesos, nescafe 3 in 1, since 2026", None, []),
    ],
)
def test_pii_is_masked_by_kind(text, masked, kinds):
    assert redact(text) == (masked or text, kinds)


def test_only_the_configured_kinds_are_masked():
    text = "0917 555 1234 or juan@example.com"
    assert redact(text, kinds=["email"]) == ("0917 555 1234 or [email]", ["email"])

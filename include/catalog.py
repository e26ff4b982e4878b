"""The brand and product catalog shared by the reference data (RetailAdvisorDB seed), the synthetic
events and brand detection in the medallion."""

from __future__ import annotations

PRODUCTS = [  # (sku, name, brand, category)
    ("LM-PC-60", "Lucky Me Pancit Canton 60g", "Lucky Me", "Noodles"),
    ("BB-MILK-300", "Bear Brand Powdered Milk 300g", "Bear Brand", "Dairy"),
    ("NC-3IN1-10", "Nescafe 3in1 Original 10s", "Nescafe", "Coffee"),
    ("AL-EVAP-370", "Alaska Evaporada 370ml", "Alaska", "Dairy"),
    ("SG-SOAP-135", "Safeguard Pure White 135g", "Safeguard", "Personal care"),
]
BRANDS = tuple(dict.fromkeys(brand for _, _, brand, _ in PRODUCTS))


def brand_mentioned(text: str | None) -> str | None:
    """The catalog brand a transcript mentions first (case-insensitive), or None."""
    if not text:
        return None
    lowered = text.lower()
    found = [(lowered.find(b.lower()), b) for b in BRANDS if b.lower() in lowered]
    return min(found)[1] if found else None

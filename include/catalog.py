"""The reference catalog shared by the RetailAdvisorDB seed, the synthetic events and brand detection in
the medallion: the brands and products, and the stores and devices of the embedded default."""

from __future__ import annotations

STORES = ("store-001", "store-002")
DEVICES_PER_STORE = 2


def device_ids(store: str) -> list[str]:
    """The store's edge devices, as the seed registers them and the synthetic day has them send."""
    return [f"{store}-pi-{n:02d}" for n in range(1, DEVICES_PER_STORE + 1)]


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

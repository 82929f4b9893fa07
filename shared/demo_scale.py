"""The accountant with many clients, the same in both services' demo data.

``panda demo --scale N`` and ``community demo --scale N`` each create their half of
this accountant without reading the other service's database: the organization ids,
names, customer numbers, enterprise numbers and the person's ``sub`` are derived from
the position of the client (0 … N-1), so both commands agree on them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

EMAIL = "many.clients@example.be"
NAME = "Mia Many-Clients"
NAMESPACE = uuid.UUID("6f1c7a52-5d1e-4b3e-9a43-5c0d2a7f9e10")
ACCOUNT_ID = uuid.uuid5(NAMESPACE, "account:" + EMAIL)
FIRST_CUSTOMER_NUMBER = 700000
# Every 20th client has not (yet) granted the Support Community; every 100th has
# the accountant as its administrator, with people waiting to join.
WITHOUT_COMMUNITY_EVERY = 20
ADMINISTERED_EVERY = 100
COMPANY_WORDS = (
    "Bakkerij", "Brouwerij", "Garage", "Apotheek", "Drukkerij", "Schrijnwerkerij", "Atelier",
    "Transport", "Bouwbedrijf", "Immo", "Boulangerie", "Menuiserie", "Consult", "Logistics",
)  # fmt: skip
PLACES = (
    "Gent", "Brugge", "Antwerpen", "Leuven", "Hasselt", "Namur", "Liège", "Mons", "Kortrijk",
    "Mechelen", "Aalst", "Wavre", "Arlon", "Ieper", "Tournai", "Genk", "Oostende",
)  # fmt: skip


@dataclass(frozen=True)
class ScaleClient:
    position: int
    id: uuid.UUID
    name: str
    customer_number: str
    enterprise_number: str  # ten digits, valid check digits
    community_granted: bool
    administered: bool


def enterprise_number(position: int) -> str:
    """A valid Belgian enterprise number (``03…`` + 97-check), unique per position."""
    base = 3_000_000 + position * 7
    return f"{base:08d}{97 - base % 97:02d}"


def client(position: int) -> ScaleClient:
    word = COMPANY_WORDS[position % len(COMPANY_WORDS)]
    place = PLACES[(position // len(COMPANY_WORDS)) % len(PLACES)]
    return ScaleClient(
        position=position,
        id=uuid.uuid5(NAMESPACE, f"organization:{position}"),
        name=f"{word} {place} {position + 1:04d}",
        customer_number=str(FIRST_CUSTOMER_NUMBER + position),
        enterprise_number=enterprise_number(position),
        community_granted=position % WITHOUT_COMMUNITY_EVERY != WITHOUT_COMMUNITY_EVERY - 1,
        administered=position % ADMINISTERED_EVERY == 0,
    )


def clients(count: int) -> list[ScaleClient]:
    return [client(position) for position in range(count)]

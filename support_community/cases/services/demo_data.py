"""The demo products and categories (``community demo``): accounting software, in three languages."""

from __future__ import annotations

from support_community.cases.services.catalog_import import CategorySpec, ImportReport, ProductSpec, import_catalog


def _n(en: str, nl: str, fr: str) -> dict[str, str]:
    return {"en": en, "nl": nl, "fr": fr}


def _common(*extra: CategorySpec) -> list[CategorySpec]:
    first = [
        CategorySpec(
            "installation", _n("Installation and updates", "Installatie en updates", "Installation et mises à jour")
        )
    ]
    last = [
        CategorySpec("access", _n("Access and users", "Toegang en gebruikers", "Accès et utilisateurs")),
        CategorySpec("other", _n("Other question", "Andere vraag", "Autre question")),
    ]
    items = first + list(extra) + last
    for position, item in enumerate(items, start=1):
        item.position = position
    return items


def demo_catalog() -> list[ProductSpec]:
    return [
        ProductSpec(
            "accounting",
            _n("Panda Accounting", "Panda Boekhouding", "Panda Comptabilité"),
            1,
            True,
            _common(
                CategorySpec("vat", _n("VAT returns", "Btw-aangiften", "Déclarations TVA")),
                CategorySpec("annual-accounts", _n("Annual accounts", "Jaarrekening", "Comptes annuels")),
                CategorySpec(
                    "bank", _n("Bank statements and CODA", "Bankuittreksels en CODA", "Extraits bancaires et CODA")
                ),
            ),
        ),
        ProductSpec(
            "invoicing",
            _n("Panda Invoicing", "Panda Facturatie", "Panda Facturation"),
            2,
            True,
            _common(
                CategorySpec(
                    "invoices",
                    _n("Invoices and credit notes", "Facturen en creditnota's", "Factures et notes de crédit"),
                ),
                CategorySpec(
                    "peppol", _n("E-invoicing (Peppol)", "E-facturatie (Peppol)", "Facturation électronique (Peppol)")
                ),
            ),
        ),
        ProductSpec(
            "payroll",
            _n("Panda Payroll", "Panda Loon", "Panda Salaires"),
            3,
            True,
            _common(
                CategorySpec("payslips", _n("Payslips", "Loonbrieven", "Fiches de paie")),
                CategorySpec("dimona", _n("Dimona and DmfA", "Dimona en DmfA", "Dimona et DmfA")),
            ),
        ),
        ProductSpec(
            "portal",
            _n(
                "Panda portal and Support Community",
                "Panda-portaal en Support Community",
                "Portail Panda et Support Community",
            ),
            4,
            True,
            [
                CategorySpec("sign-in", _n("Signing in", "Aanmelden", "Connexion"), 1),
                CategorySpec(
                    "organizations",
                    _n("Organizations and access", "Organisaties en toegang", "Organisations et accès"),
                    2,
                ),
                CategorySpec("other", _n("Other question", "Andere vraag", "Autre question"), 3),
            ],
        ),
    ]


def load_demo() -> ImportReport:
    """Add the demo products and categories (safe to run again: only what is missing or changed)."""
    return import_catalog(demo_catalog())

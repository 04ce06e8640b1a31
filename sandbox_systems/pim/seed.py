"""Enriched product content, generated the same way every time from a product's number and name.

A PIM holds what a merchandiser wrote: long and short descriptions, search-engine fields and
custom attributes, in every language the shop sells in. The texts are built from small phrase
tables per language, picked by a random generator seeded with the product number, so the same
catalogue always gives the same content and two products rarely read alike.
"""

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox_systems.pim.store import iso_time

# Centra language code -> the PIM's locale for it.
LOCALES = {"en": "en_GB", "sv": "sv_SE", "de": "de_DE", "fr": "fr_FR", "nb": "nb_NO"}

# The first seeded product was last edited at this moment, each further one a few hours later.
SEED_EPOCH = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)

SHOP = "Fjällgården"

TAGLINES = {
    "en": ("made to last", "for every season", "designed in Sweden", "built for the outdoors"),
    "sv": (
        "gjord för att hålla",
        "för alla årstider",
        "designad i Sverige",
        "byggd för fjället",
    ),
    "de": (
        "gemacht, um zu bleiben",
        "für jede Jahreszeit",
        "in Schweden entworfen",
        "für draußen",
    ),
    "fr": (
        "fait pour durer",
        "pour toutes les saisons",
        "conçu en Suède",
        "pensé pour le dehors",
    ),
    "nb": ("laget for å vare", "for alle årstider", "designet i Sverige", "laget for fjellet"),
}
DETAILS = {
    "en": (
        "Cut from carefully chosen materials and finished by hand in small batches.",
        "Reinforced seams and a relaxed fit keep it comfortable from morning to night.",
        "Repairable, durable and easy to care for, so it stays with you for years.",
    ),
    "sv": (
        "Tillverkad av noga utvalda material och färdigställd för hand i små serier.",
        "Förstärkta sömmar och en avslappnad passform håller den bekväm hela dagen.",
        "Lagningsbar, slitstark och lättskött, så att den följer med dig i många år.",
    ),
    "de": (
        "Aus sorgfältig ausgewählten Materialien, in kleinen Serien von Hand gefertigt.",
        "Verstärkte Nähte und eine lockere Passform sorgen den ganzen Tag für Komfort.",
        "Reparierbar, langlebig und pflegeleicht, damit sie dich jahrelang begleitet.",
    ),
    "fr": (
        "Taillé dans des matières choisies avec soin et fini à la main en petites séries.",
        "Des coutures renforcées et une coupe ample le rendent confortable toute la journée.",
        "Réparable, résistant et facile d'entretien, pour vous accompagner des années.",
    ),
    "nb": (
        "Laget av nøye utvalgte materialer og ferdigstilt for hånd i små serier.",
        "Forsterkede sømmer og en avslappet passform gjør den behagelig hele dagen.",
        "Reparerbar, slitesterk og lettstelt, så den blir med deg i mange år.",
    ),
}
TITLE = {
    "en": "Buy {name} | {shop}",
    "sv": "Köp {name} | {shop}",
    "de": "{name} kaufen | {shop}",
    "fr": "Acheter {name} | {shop}",
    "nb": "Kjøp {name} | {shop}",
}
SEO_DESCRIPTION = {
    "en": "{name}, {tagline}. Free returns and fast delivery from {shop}.",
    "sv": "{name}, {tagline}. Fri retur och snabb leverans från {shop}.",
    "de": "{name}, {tagline}. Kostenlose Rücksendung und schnelle Lieferung von {shop}.",
    "fr": "{name}, {tagline}. Retours gratuits et livraison rapide par {shop}.",
    "nb": "{name}, {tagline}. Gratis retur og rask levering fra {shop}.",
}
KEYWORD = {"en": "nordic", "sv": "nordisk", "de": "nordisch", "fr": "nordique", "nb": "nordisk"}

# Search engines cut titles at about 60 characters; the PIM's editors keep to that.
MAX_TITLE = 60


def seed_products(
    products: list[dict[str, Any]],
    *,
    mapped_attributes: dict[str, list[str]] | None = None,
    seed: int = 7,
) -> list[dict[str, Any]]:
    """The PIM's records for the given catalogue, in the PIM's own shape.

    Args:
        products: one dict per product with `product_number`, `name` and `languages` (Centra
            language codes); optional `status` (ACTIVE/INACTIVE), `hs_code` and `weight_kg`
            seed the PIM's product fields so that they agree with Centra's.
        mapped_attributes: names of Centra's mapped attribute values by attribute type
            (`{"pr_materials": ["Bomull", ...]}`); each product gets one of each type.
        seed: varies the generated texts.
    """
    return [
        _record(product, index, mapped_attributes or {}, seed)
        for index, product in enumerate(products)
    ]


def _record(product: dict, index: int, mapped: dict[str, list[str]], seed: int) -> dict:
    number, name = product["product_number"], product["name"]
    rng = random.Random(f"{seed}:{number}")
    tagline, detail = rng.randrange(len(TAGLINES["en"])), rng.randrange(len(DETAILS["en"]))
    languages = [code for code in product.get("languages", LOCALES) if code in LOCALES]

    record: dict[str, Any] = {
        "identifier": number,
        "name": name,
        "enabled": product.get("status", "ACTIVE") == "ACTIVE",
        "updated_at": iso_time(SEED_EPOCH + timedelta(hours=3 * index)),
        "texts": {},
        "seo": {},
        "attributes": {
            "mapped": {kind: rng.choice(names) for kind, names in sorted(mapped.items()) if names},
            "dynamic": {"pr_long_name": {"text": f"{name} – {TAGLINES['en'][tagline]}"}},
        },
    }
    for field, key in (("hs_code", "hs_code"), ("weight_kg", "weight_kg")):
        if product.get(key) is not None:
            record[field] = str(product[key])
    for code in languages:
        record["texts"][LOCALES[code]] = _texts(code, name, tagline, detail)
        record["seo"][LOCALES[code]] = _seo(code, name, tagline)
    return record


def _texts(code: str, name: str, tagline: int, detail: int) -> dict[str, str]:
    phrase = TAGLINES[code][tagline]
    return {
        "description": f"{name}, {phrase}. {DETAILS[code][detail]}",
        "short_description": f"{name} – {phrase}.",
    }


def _seo(code: str, name: str, tagline: int) -> dict[str, str]:
    values = {"name": name, "shop": SHOP, "tagline": TAGLINES[code][tagline]}
    return {
        "title": TITLE[code].format(**values)[:MAX_TITLE].strip(),
        "description": SEO_DESCRIPTION[code].format(**values),
        "keywords": f"{name.lower()}, {KEYWORD[code]}, {SHOP.lower()}",
    }

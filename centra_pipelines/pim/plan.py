"""Turn one PIM product into the Centra writes it needs: only parts that differ from Centra.

A product becomes up to four kinds of record, one Centra mutation each: its product fields
(`updateProduct`), each display's texts and SEO fields (`updateDisplay`), each display's texts
per language (`localize`) and its custom attributes (`assignAttributes`). A record is planned
only when some field differs from what Centra holds, and then carries every field the PIM owns
of it, so what we last sent is exactly what Centra holds afterwards. A product that cannot be
mapped, that Centra does not have, or that names a language or mapped attribute value Centra
does not have, is rejected whole: nothing of it is sent.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from centra_pipelines.mapping import apply, load_mappings
from centra_pipelines.outbound.outbox import Change
from centra_pipelines.pim.held import (
    DISPLAY_FIELDS,
    ENTITY,
    TARGET,
    CentraProduct,
    Held,
    grams_text,
    record_key,
)

# Loaded when definitions load, so a bad mapping file stops them with its file, line and reason.
PRODUCT_MAPPING = load_mappings()["pim", "products", "to_centra"]

PRODUCT_FIELDS = ("status", "harmonizedCommodityCode", "weight_g")


@dataclass
class ProductPlan:
    """The changes of a batch of PIM products, and what the preview needs to explain them."""

    changes: list[Change] = field(default_factory=list)
    changed_fields: dict[str, list[str]] = field(default_factory=dict)  # record key -> fields
    in_sync: int = 0  # records whose content Centra already holds


def plan_products(records: list[dict[str, Any]], held: Held) -> ProductPlan:
    plan = ProductPlan()
    for record in records:
        _plan_product(plan, record, held)
    return plan


def _plan_product(plan: ProductPlan, record: dict[str, Any], held: Held) -> None:
    mapped = apply(PRODUCT_MAPPING, record)
    values = mapped.values
    number = values.get("productNumber") or str(record.get("identifier") or "?")
    source = f"pim:{number}"
    problems = [f"{problem.field}: {problem.reason}" for problem in mapped.problems]
    product = held.products.get(number)
    if product is None and "productNumber" in values:
        problems.append(f"product number {number!r} is not a product Centra has")

    parts = [] if product is None else _parts(values, product, held, problems)
    if problems:
        reason = "; ".join(problems)
        # The PIM's change time and the reason are a rejection's content: the same product read
        # again unchanged is the same rejection, not news (see assets.py).
        summary = {
            "product_number": number,
            "kind": "product",
            "fields": {},
            "updated_at": record.get("updated_at"),
            "problems": reason,
        }
        key = record_key(number, "product")
        plan.changes.append(Change(TARGET, ENTITY, key, summary, source, reason))
        return

    for key, payload in parts:
        current = held.of(key)
        changed = [name for name, value in payload["fields"].items() if current.get(name) != value]
        if not changed:
            plan.in_sync += 1
            continue
        plan.changes.append(Change(TARGET, ENTITY, key, payload, source))
        plan.changed_fields[key] = changed


def _parts(
    values: dict[str, Any], product: CentraProduct, held: Held, problems: list[str]
) -> list[tuple[str, dict[str, Any]]]:
    """(record key, payload) of every part the PIM gives a value for."""
    number = product.number
    parts = []
    fields = _product_fields(values)
    if fields:
        parts.append(_part(number, "product", product.id, fields))

    texts = {name: values[name] for name in DISPLAY_FIELDS if name in values}
    translations = _translations(values, held, problems)
    if (texts or translations) and not product.display_ids:
        problems.append(f"product {number} has no display in Centra to hold its texts")
    for display_id in product.display_ids:
        if texts:
            parts.append(_part(number, f"display:{display_id}", display_id, texts))
        for language, translated in translations.items():
            part = _part(number, f"display:{display_id}", display_id, translated, language)
            part[1]["language_id"] = held.languages[language]
            parts.append(part)

    attributes = _attributes(values.get("attributes"), held, problems)
    if attributes:
        parts.append(_part(number, "attributes", product.id, attributes))
    return parts


def _part(
    number: str, part: str, object_id: int, fields: dict[str, Any], language: str | None = None
) -> tuple[str, dict[str, Any]]:
    kind = part.split(":")[0] if language is None else "translation"
    key = record_key(number, part) if language is None else record_key(number, part, language)
    payload = {"product_number": number, "kind": kind, "object_id": object_id, "fields": fields}
    if language is not None:
        payload["language"] = language
    return key, payload


def _product_fields(values: dict[str, Any]) -> dict[str, Any]:
    fields = {name: values[name] for name in PRODUCT_FIELDS if name in values}
    if isinstance(fields.get("weight_g"), Decimal):
        fields["weight_g"] = grams_text(fields["weight_g"])
    return fields


def _translations(values: dict[str, Any], held: Held, problems: list[str]) -> dict[str, dict]:
    translations = {
        code: texts for code, texts in (values.get("translations") or {}).items() if texts
    }
    for code in sorted(set(translations) - set(held.languages)):
        problems.append(f"language {code!r} is not an active language in Centra")
    return {code: texts for code, texts in translations.items() if code in held.languages}


def _attributes(attributes: Any, held: Held, problems: list[str]) -> dict[str, Any]:
    """Flat fields `mapped:<type>` (the mapped value's id) and `dynamic:<type>.<element>`."""
    if not attributes:
        return {}
    if not isinstance(attributes, dict) or set(attributes) - {"mapped", "dynamic"}:
        problems.append("attributes: expected {mapped: {...}, dynamic: {...}}")
        return {}
    fields: dict[str, Any] = {}
    for attribute_type, name in sorted((attributes.get("mapped") or {}).items()):
        mapped_id = held.mapped_attributes.get((attribute_type, name))
        if mapped_id is None:
            problems.append(f"{attribute_type} {name!r} is not a mapped attribute value Centra has")
        fields[f"mapped:{attribute_type}"] = mapped_id
    for attribute_type, elements in sorted((attributes.get("dynamic") or {}).items()):
        if not isinstance(elements, dict):
            problems.append(f"attributes.dynamic.{attribute_type}: expected {{element: value}}")
            continue
        # A missing value is left alone: the flow never removes what the PIM does not send.
        for key, value in sorted(elements.items()):
            if value is not None:
                fields[f"dynamic:{attribute_type}.{key}"] = str(value)
    return fields

"""Read the catalogue a PIM is seeded with from a Centra GraphQL endpoint (the sandbox's).

Only the demo and the tests use this, to give the local PIM the products Centra has; the product
itself never asks the PIM's side for anything.
"""

from typing import Any

import requests

PAGE_SIZE = 100
TIMEOUT_SECONDS = 30

PRODUCTS = """
query PimSeedProducts($limit: Int!, $page: Int!) {
  products(limit: $limit, page: $page) {
    productNumber name status harmonizedCommodityCode weight { value unit }
  }
}
"""
LANGUAGES = "query PimSeedLanguages { languages(limit: 200) { languageCode isActive } }"
MAPPED_ATTRIBUTES = """
query PimSeedMappedAttributes($limit: Int!, $page: Int!) {
  mappedAttributes(limit: $limit, page: $page) { name objectType type { name } }
}
"""
ENRICHMENT = """
query PimDemoEnrichment($limit: Int!, $page: Int!) {
  products(limit: $limit, page: $page) {
    productNumber
    attributes {
      type { name }
      elements {
        key
        ... on AttributeStringElement { value }
        ... on AttributeChoiceElement { selectedValueName }
      }
    }
    displays {
      id description shortDescription metaTitle metaDescription metaKeywords
      translations { language { code } fields { field value } }
    }
  }
}
"""
KILOGRAMS_PER_UNIT = {"KILOGRAMS": 1, "POUNDS": 0.45359237}
DISPLAY_FIELDS = ("description", "shortDescription", "metaTitle", "metaDescription", "metaKeywords")


def centra_products(url: str, token: str) -> list[dict[str, Any]]:
    """Every product as `start_pim` takes it: number, name, status, HS code, weight, languages."""
    languages = [
        row["languageCode"] for row in _query(url, token, LANGUAGES)["languages"] if row["isActive"]
    ]
    return [
        {
            "product_number": product["productNumber"],
            "name": product["name"],
            "status": product["status"],
            "hs_code": product.get("harmonizedCommodityCode"),
            "weight_kg": _kilograms(product.get("weight")),
            "languages": languages,
        }
        for product in _pages(url, token, PRODUCTS, "products")
    ]


def centra_mapped_attributes(url: str, token: str) -> dict[str, list[str]]:
    """Names of the mapped attribute values of products, by attribute type."""
    names: dict[str, list[str]] = {}
    for attribute in _pages(url, token, MAPPED_ATTRIBUTES, "mappedAttributes"):
        if attribute["objectType"] == "Product" and attribute.get("name"):
            names.setdefault(attribute["type"]["name"], []).append(attribute["name"])
    return names


def enrichment_in_centra(url: str, token: str, product_number: str) -> dict[str, Any]:
    """What Centra holds of a product's enrichment, read over GraphQL, ready to print.

    Returns `{"displays": {id: {field: value, "translations": {code: {field: value}}}},
    "attributes": {type: {element: value}}}`; raises KeyError for an unknown product number.
    """
    for product in _pages(url, token, ENRICHMENT, "products"):
        if product["productNumber"] == product_number:
            return {"displays": _displays(product), "attributes": _attributes(product)}
    raise KeyError(f"Centra has no product {product_number!r}")


def _displays(product: dict) -> dict[int, dict[str, Any]]:
    return {
        display["id"]: {field: display[field] for field in DISPLAY_FIELDS}
        | {
            "translations": {
                item["language"]["code"]: {f["field"]: f["value"] for f in item["fields"]}
                for item in display.get("translations") or []
            }
        }
        for display in product.get("displays") or []
    }


def _attributes(product: dict) -> dict[str, dict[str, Any]]:
    return {
        attribute["type"]["name"]: {
            element["key"]: element.get("value", element.get("selectedValueName"))
            for element in attribute["elements"]
        }
        for attribute in product.get("attributes") or []
    }


def _kilograms(weight: dict | None) -> str | None:
    if not weight or weight.get("value") is None:
        return None
    return f"{weight['value'] * KILOGRAMS_PER_UNIT[weight['unit']]:.3f}"


def _pages(url: str, token: str, query: str, field: str) -> list[dict[str, Any]]:
    items, page = [], 1
    while True:
        batch = _query(url, token, query, {"limit": PAGE_SIZE, "page": page})[field]
        items += batch
        if len(batch) < PAGE_SIZE:
            return items
        page += 1


def _query(url: str, token: str, query: str, variables: dict | None = None) -> dict[str, Any]:
    response = requests.post(
        url,
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT_SECONDS,
    )
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(f"Centra refused the seed query: {body['errors'][0]['message']}")
    return body["data"]

"""The Centra mutations that carry a planned enrichment record (digest §5.2 and §10.3).

Each record is one mutation: none of updateProduct, updateDisplay, localize and assignAttributes
takes more than one object, and the binding limit is Centra's mutation count, which aliasing
several into one request would not lower. Every write sets absolute values, so sending a record
again after an unanswered request is safe.
"""

from decimal import Decimal
from typing import Any

from centra_pipelines.centra.client import CentraClient

UPDATE_PRODUCT = """
mutation PimUpdateProduct($id: Int!, $input: ProductUpdateInput!) {
  updateProduct(id: $id, input: $input) {
    product { id }
    userErrors { message path }
    userWarnings { message path }
  }
}
"""

UPDATE_DISPLAY = """
mutation PimUpdateDisplay($id: Int!, $input: DisplayUpdateInput!) {
  updateDisplay(id: $id, input: $input) {
    display { id }
    userErrors { message path }
    userWarnings { message path }
  }
}
"""

LOCALIZE = """
mutation PimLocalizeDisplay($input: LocalizeInput!) {
  localize(input: $input) {
    userErrors { message path }
    userWarnings { message path }
  }
}
"""

ASSIGN_ATTRIBUTES = """
mutation PimAssignAttributes($input: AttributesAssignInput!) {
  assignAttributes(input: $input) {
    userErrors { message path }
    userWarnings { message path }
  }
}
"""

GRAMS_PER_KILOGRAM = Decimal(1000)


def send_record(centra: CentraClient, payload: dict[str, Any]) -> None:
    """Send one planned record with its mutation; raises the client's CentraError on failure."""
    kind, object_id, fields = payload["kind"], payload["object_id"], payload["fields"]
    if kind == "product":
        variables = {"id": object_id, "input": _product_input(fields)}
        centra.mutate(UPDATE_PRODUCT, payload_field="updateProduct", variables=variables)
    elif kind == "display":
        variables = {"id": object_id, "input": dict(fields)}
        centra.mutate(UPDATE_DISPLAY, payload_field="updateDisplay", variables=variables)
    elif kind == "translation":
        variables = {"input": _localize_input(payload)}
        centra.mutate(LOCALIZE, payload_field="localize", variables=variables)
    elif kind == "attributes":
        variables = {"input": _attributes_input(object_id, fields)}
        centra.mutate(ASSIGN_ATTRIBUTES, payload_field="assignAttributes", variables=variables)
    else:
        raise ValueError(f"unknown enrichment record kind {kind!r}")


def _product_input(fields: dict[str, Any]) -> dict[str, Any]:
    product_input = {name: value for name, value in fields.items() if name != "weight_g"}
    if "weight_g" in fields:
        # Centra's WeightInput takes kilograms or pounds (digest §4.4).
        kilograms = Decimal(fields["weight_g"]) / GRAMS_PER_KILOGRAM
        product_input["weight"] = {"value": float(kilograms), "unit": "KILOGRAMS"}
    return product_input


def _localize_input(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "objectType": "Display",
        "objectId": payload["object_id"],
        "language": {"id": payload["language_id"]},
        "translations": [
            {"field": name, "value": value} for name, value in sorted(payload["fields"].items())
        ],
    }


def _attributes_input(product_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    mapped, dynamic = [], []
    for name, value in sorted(fields.items()):
        kind, _, attribute = name.partition(":")
        if kind == "mapped":
            mapped.append({"attributeTypeName": attribute, "attributeId": value})
        else:
            attribute_type, _, element = attribute.partition(".")
            dynamic.append(
                {
                    "attributeTypeName": attribute_type,
                    "attributeElementKey": element,
                    "attributeElementValue": value,
                }
            )
    attributes_input: dict[str, Any] = {"objectType": "Product", "objectId": product_id}
    if mapped:
        attributes_input["mappedAttributes"] = mapped
    if dynamic:
        attributes_input["dynamicAttributes"] = dynamic
    return attributes_input

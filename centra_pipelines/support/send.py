"""Support tickets to Centra, step two: write the planned notes onto the orders and customers.

`support/tickets_sent_to_centra` groups the due tickets by the object they concern, reads that
object's current text from Centra, puts the tickets' lines into its notes block (replacing their
earlier lines, keeping everyone else's text) and writes the text back: an order's
`internalComment` with `updateDirectToConsumerOrder`, a customer's note attribute with
`assignAttributes`. One mutation per object carries all of its tickets. The text is read just
before it is written so that what staff typed meanwhile is kept, and a text that already holds
the lines is not written again.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
from pydantic import Field

from centra_pipelines.centra.client import CentraClient
from centra_pipelines.centra.client.errors import CentraError
from centra_pipelines.outbound.assets import send_asset
from centra_pipelines.outbound.outbox import Outbox, Outcome, Planned
from centra_pipelines.outbound.sending import (
    PREVIEW_ROWS,
    due_to_send,
    failed,
    log_sent,
    raise_if_failed,
    record_batch,
)
from centra_pipelines.support.notes import Entry, merged
from centra_pipelines.support.plan import ENTITY, TARGET, support_tickets_plan
from centra_pipelines.warehouse import DuckDBWarehouse

# Objects whose text one query reads; Centra's list limit is 1-200 (digest §3.1).
OBJECTS_PER_READ = 100

ObjectKey = tuple[str, int]  # ("Order", order number) or ("Customer", customer id)

ORDER_COMMENTS = """
query SupportOrderComments($numbers: [Int!]!, $limit: Int!) {
  orders(where: {number: $numbers}, limit: $limit) { number internalComment }
}
"""

CUSTOMER_NOTES = """
query SupportCustomerNotes($ids: [Int!]!, $limit: Int!, $type: String!) {
  customers(where: {id: $ids}, limit: $limit) {
    id
    attributes(where: {typeName: {equals: $type}}) {
      type { name }
      elements { key ... on AttributeStringElement { value } }
    }
  }
}
"""

NOTE_ON_ORDER = """
mutation SupportNoteOnOrder($number: Int!, $comment: String!) {
  updateDirectToConsumerOrder(order: {number: $number}, input: {internalComment: $comment}) {
    order { number }
    userErrors { message path }
    userWarnings { message path }
  }
}
"""

NOTE_ON_CUSTOMER = """
mutation SupportNoteOnCustomer($id: Int!, $type: String!, $key: String!, $value: String!) {
  assignAttributes(input: {
    objectType: Customer
    objectId: $id
    dynamicAttributes: [{attributeTypeName: $type, attributeElementKey: $key,
                         attributeElementValue: $value}]
  }) {
    userErrors { message path }
    userWarnings { message path }
  }
}
"""


class SupportNotesConfig(dg.Config):
    """Where on a customer the notes go: a dynamic attribute from the shop's config.php."""

    customer_attribute: str = Field(
        default="cus_extra",
        description="Dynamic Customer attribute type that holds the notes (digest §10.4).",
    )
    customer_element: str = Field(
        default="text", description="Its free-text element (INPUT or TEXTAREA)."
    )


@send_asset(
    ["support", "tickets_sent_to_centra"],
    plan=support_tickets_plan,
    description="Planned ticket notes written to Centra orders' internal comments and customers' "
    "note attribute, one mutation per object.",
)
def support_tickets_sent_to_centra(
    context: dg.AssetExecutionContext,
    config: SupportNotesConfig,
    centra: CentraClient,
    warehouse: DuckDBWarehouse,
) -> dg.MaterializeResult:
    outbox = Outbox(warehouse)
    # Not send_due's batches: one read serves a chunk of objects, recorded object by object.
    needed, outcome = due_to_send(context, outbox, TARGET, ENTITY)
    written = 0
    with centra.measure() as cost:
        for chunk in _chunks(_by_object(needed)):
            for done, mutated in _send_chunk(context, centra, config, chunk):
                # Recorded object by object, so a crash later never writes these again.
                record_batch(context, outbox, outcome, done)
                written += mutated

    log_sent(context, ENTITY, TARGET, outcome, f"{written} objects, {cost.mutations} mutations")
    raise_if_failed(outcome, "ticket notes")
    return dg.MaterializeResult(
        metadata={
            "sent": len(outcome.sent),
            "unchanged": len(outcome.unchanged),
            "objects_written": written,
            "api/mutations": cost.mutations,
            "preview": dg.MetadataValue.md(_table(outcome.sent[:PREVIEW_ROWS])),
        }
    )


def _send_chunk(
    context: dg.AssetExecutionContext,
    centra: CentraClient,
    config: SupportNotesConfig,
    chunk: dict[ObjectKey, list[Planned]],
) -> Iterator[tuple[Outcome, int]]:
    """(outcome, mutations made) per object of one chunk of objects of one type."""
    object_type = next(iter(chunk))[0]
    try:
        texts = _current_texts(centra, config, object_type, [key[1] for key in chunk])
    except CentraError as error:
        for key, items in chunk.items():
            reason = f"could not read its text from Centra: {error}"
            yield _failed(context, key, items, reason, error=error), 0
        return
    for key, items in chunk.items():
        yield _write(context, centra, config, key, items, texts)


def _write(
    context: dg.AssetExecutionContext,
    centra: CentraClient,
    config: SupportNotesConfig,
    key: ObjectKey,
    items: list[Planned],
    texts: dict[int, str | None],
) -> tuple[Outcome, int]:
    object_type, object_id = key
    if object_id not in texts:
        return _failed(context, key, items, f"{object_type} {object_id} is not in Centra"), 0
    current = texts[object_id]
    text = merged(current, [_entry(item) for item in items])
    if text == current:
        # A run that wrote this text and crashed before recording it: Centra already has it.
        return Outcome(sent=list(items)), 0
    try:
        if object_type == "Order":
            _note_on_order(centra, object_id, text)
        else:
            _note_on_customer(centra, config, object_id, text)
    except CentraError as error:
        # Safe to send again: the next run reads the text anew and replaces only its own lines.
        return _failed(context, key, items, str(error), error=error), 0
    return Outcome(sent=list(items)), 1


def _note_on_order(centra: CentraClient, number: int, text: str) -> None:
    centra.mutate(
        NOTE_ON_ORDER,
        payload_field="updateDirectToConsumerOrder",
        variables={"number": number, "comment": text},
    )


def _note_on_customer(
    centra: CentraClient, config: SupportNotesConfig, customer_id: int, text: str
) -> None:
    variables = {
        "id": customer_id,
        "type": config.customer_attribute,
        "key": config.customer_element,
        "value": text,
    }
    centra.mutate(NOTE_ON_CUSTOMER, payload_field="assignAttributes", variables=variables)


def _current_texts(
    centra: CentraClient, config: SupportNotesConfig, object_type: str, ids: list[int]
) -> dict[int, str | None]:
    """The current text of each object Centra has, by id; absent ids are not in Centra."""
    if object_type == "Order":
        data = centra.execute(ORDER_COMMENTS, variables={"numbers": ids, "limit": len(ids)})
        return {order["number"]: order.get("internalComment") for order in data["orders"]}
    variables = {"ids": ids, "limit": len(ids), "type": config.customer_attribute}
    data = centra.execute(CUSTOMER_NOTES, variables=variables)
    return {
        customer["id"]: _element_value(customer.get("attributes"), config)
        for customer in data["customers"]
    }


def _element_value(attributes: list[dict] | None, config: SupportNotesConfig) -> str | None:
    for attribute in attributes or []:
        if attribute["type"]["name"] != config.customer_attribute:
            continue
        for element in attribute["elements"]:
            if element["key"] == config.customer_element:
                return element.get("value")
    return None


def _by_object(planned: list[Planned]) -> dict[ObjectKey, list[Planned]]:
    grouped: dict[ObjectKey, list[Planned]] = {}
    for item in planned:
        payload = item.change.payload
        grouped.setdefault((payload["object_type"], payload["object_id"]), []).append(item)
    return grouped


def _chunks(grouped: dict[ObjectKey, list[Planned]]) -> Iterator[dict[ObjectKey, list[Planned]]]:
    """Groups of objects of one type, as many as one read query takes."""
    for object_type in sorted({key[0] for key in grouped}):
        keys = [key for key in grouped if key[0] == object_type]
        for start in range(0, len(keys), OBJECTS_PER_READ):
            yield {key: grouped[key] for key in keys[start : start + OBJECTS_PER_READ]}


def _entry(item: Planned) -> Entry:
    payload: dict[str, Any] = item.change.payload
    return Entry(payload["ticket_id"], payload["entry_time"], payload["entry"])


def _failed(
    context, key: ObjectKey, items: list[Planned], reason: str, *, error: Exception | None = None
) -> Outcome:
    context.log.error("%s %s: ticket notes not written: %s", key[0], key[1], reason)
    return failed(items, reason, error=error)


def _table(planned: list[Planned]) -> str:
    lines = ["| ticket | noted on | entry |", "|---|---|---|"]
    for item in planned:
        payload = item.change.payload
        entry = payload["entry"].removeprefix("* ").replace("|", "/")
        lines.append(
            f"| {item.change.record_key} | {payload['object_type']} {payload['object_id']} "
            f"| {entry} |"
        )
    return "\n".join(lines)

"""Small Centra reads that turn changed records into the partitions that hold them.

A webhook names an order by number, a shipment or a return by id; the partition of the record is
its market and UTC day, which only Centra knows for a record the warehouse has not seen yet. These
queries select just those fields, so resolving a batch costs a request or two, not a sync.
"""

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from centra_pipelines.centra import queries
from centra_pipelines.centra.assets.sync import iter_items
from centra_pipelines.centra.automation.refresh import RefreshPlan
from centra_pipelines.centra.client import CentraClient
from centra_pipelines.centra.fields import pluck

logger = logging.getLogger(__name__)

# Centra's filters take at most a page of values; larger batches are split.
LOOKUP_BATCH = 100

# Webhook dates carry no timezone (digest §11.7), so a shipment is looked for among the orders
# updated within this much of its event time, whatever zone Centra wrote the time in.
SHIPMENT_SEARCH_WINDOW = timedelta(hours=14)


def add_orders_by_number(centra: CentraClient, numbers: Iterable[int], plan: RefreshPlan) -> None:
    wanted = sorted(set(numbers))
    found = set()
    for batch in _batches(wanted):
        pages = centra.iter_pages(
            queries.ORDER_PARTITIONS_BY_NUMBER,
            items_path="orders",
            variables={"numbers": batch},
            key="number",
        )
        for order in iter_items(pages):
            found.add(order["number"])
            _add_order(plan, order)

    _report_missing("order numbers", set(wanted) - found)


def add_returns_by_id(centra: CentraClient, ids: Iterable[int], plan: RefreshPlan) -> None:
    """A return refreshes its own partition (return day) and its order's (returned quantities)."""
    wanted = sorted(set(ids))
    found = set()
    for batch in _batches(wanted):
        pages = centra.iter_pages(
            queries.RETURN_PARTITIONS_BY_ID, items_path="returns", variables={"ids": batch}
        )
        for centra_return in iter_items(pages):
            found.add(centra_return["id"])
            add_return(plan, centra_return)

    _report_missing("return ids", set(wanted) - found)


def add_shipments_by_id(
    centra: CentraClient, shipments: dict[int, datetime], plan: RefreshPlan
) -> None:
    """Find each shipment's order among the orders updated around the shipment's event time."""
    if not shipments:
        return
    earliest = min(shipments.values()) - SHIPMENT_SEARCH_WINDOW
    latest = max(shipments.values()) + SHIPMENT_SEARCH_WINDOW
    variables = {"from": earliest.isoformat(), "to": latest.isoformat()}
    pages = centra.iter_pages(
        queries.ORDERS_WITH_SHIPMENTS, items_path="orders", variables=variables, key="number"
    )
    missing = set(shipments)
    for order in iter_items(pages):
        shipment_ids = {shipment["id"] for shipment in order.get("shipments") or []}
        if shipment_ids & missing:
            missing -= shipment_ids
            _add_order(plan, order)

    _report_missing("shipment ids", missing)


@dataclass(frozen=True)
class Change:
    """A changed record: its key, the stamp that says which version it is, and its partitions."""

    key: str
    stamp: str
    record: dict[str, Any]

    def add_to(self, plan: RefreshPlan) -> None:
        if self.key.startswith("return:"):
            add_return(plan, self.record)
        else:
            _add_order(plan, self.record)


def changed_records(centra: CentraClient, since: datetime, until: datetime) -> list[Change]:
    """Orders updated, and returns created, between `since` and `until` (Centra's clock)."""
    variables = {"from": since.isoformat(), "to": until.isoformat()}
    changes = []
    pages = centra.iter_pages(
        queries.CHANGED_ORDERS, items_path="orders", variables=variables, key="number"
    )
    for order in iter_items(pages):
        changes.append(Change(f"order:{order['number']}", str(order.get("updatedAt")), order))

    # Returns have no updatedAt filter; a new return is what changes the return tables.
    pages = centra.iter_pages(queries.CREATED_RETURNS, items_path="returns", variables=variables)
    for centra_return in iter_items(pages):
        key = f"return:{centra_return['id']}"
        changes.append(Change(key, str(centra_return.get("createdAt")), centra_return))
    return changes


def market_ids(centra: CentraClient) -> list[str]:
    pages = centra.iter_pages(queries.MARKET_IDS, items_path="markets")
    return [str(market["id"]) for market in iter_items(pages)]


def add_return(plan: RefreshPlan, centra_return: dict[str, Any]) -> None:
    order = centra_return.get("order") or {}
    market_id = pluck(order, "market.id")
    if not plan.add_order(market_id, centra_return.get("createdAt")):
        logger.warning(
            "return %s has no readable market or date; it is left to the nightly reconciliation",
            centra_return.get("id"),
        )
    _add_order(plan, order)


def _add_order(plan: RefreshPlan, order: dict[str, Any]) -> None:
    if not plan.add_order(pluck(order, "market.id"), order.get("orderDate")):
        logger.warning(
            "order %s has no readable market or orderDate; it is left to the nightly "
            "reconciliation",
            order.get("number"),
        )


def _batches(values: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(values), LOOKUP_BATCH):
        yield values[start : start + LOOKUP_BATCH]


def _report_missing(what: str, missing: set[int]) -> None:
    # Not an error: Centra may have removed the record, or it belongs to another store type.
    if missing:
        shown = ", ".join(str(value) for value in sorted(missing)[:20])
        logger.warning("Centra returned nothing for %d %s: %s", len(missing), what, shown)

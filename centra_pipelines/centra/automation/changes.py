"""Centra's change notifications, in both of its forms, read into a RefreshPlan.

Event-queue events carry the changed record's current state, so their partitions are known at once.
Webhooks carry only a type and an id, so orders, returns and shipments are looked up in Centra
(lookups.py); everything unpartitioned maps straight to the job of its data type.
"""

import contextlib
import logging
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from centra_pipelines.centra import jobs
from centra_pipelines.centra.automation import lookups
from centra_pipelines.centra.automation.refresh import RefreshPlan
from centra_pipelines.centra.client import CentraClient
from centra_pipelines.centra.fields import pluck

logger = logging.getLogger(__name__)

PRICES = "prices"

# Event-queue object types (digest §8) by the job that re-reads them. Orders, shipments and returns
# are handled by partition instead. Only these types get listeners.
OBJECT_TYPE_JOBS = {
    "Customer": jobs.customers_sync_job.name,
    "ProductSize": jobs.stock_sync_job.name,
    "StockChange": jobs.stock_sync_job.name,
    "Warehouse": jobs.stock_sync_job.name,
    "Product": jobs.catalog_sync_job.name,
    "ProductVariant": jobs.catalog_sync_job.name,
    "ProductMedia": jobs.catalog_sync_job.name,
    "Display": jobs.catalog_sync_job.name,
    "Category": jobs.catalog_sync_job.name,
    "Brand": jobs.catalog_sync_job.name,
    "Collection": jobs.catalog_sync_job.name,
    "SizeChart": jobs.catalog_sync_job.name,
    "Price": PRICES,
    "Pricelist": PRICES,
    "Market": jobs.reference_sync_job.name,
    "Store": jobs.reference_sync_job.name,
    "Country": jobs.reference_sync_job.name,
    "Currency": jobs.reference_sync_job.name,
    "Language": jobs.reference_sync_job.name,
}
ORDER_OBJECT_TYPES = ("Order", "Shipment", "Return")
LISTENED_OBJECT_TYPES = (*ORDER_OBJECT_TYPES, *OBJECT_TYPE_JOBS)

# Checkout-API webhook fields (digest §9.2). Product changes fan out to display items, which
# carry both catalogue and stock availability.
CHECKOUT_FIELD_JOBS = {
    "products": (jobs.catalog_sync_job.name, jobs.stock_sync_job.name),
    "categories": (jobs.catalog_sync_job.name,),
    "brands": (jobs.catalog_sync_job.name,),
    "warehouses": (jobs.stock_sync_job.name,),
    "warehouseGroups": (jobs.stock_sync_job.name,),
    "pricelists": (PRICES,),
    "markets": (jobs.reference_sync_job.name,),
}


class WebhookEventLike(Protocol):
    kind: str
    type: str
    object_id: str
    event_date: str | None
    received_at: Any


def _add_job(plan: RefreshPlan, job: str) -> None:
    if job == PRICES:
        plan.prices = True
    else:
        plan.jobs.add(job)


def plan_for_events(events: Iterable[dict[str, Any]]) -> tuple[RefreshPlan, list[int]]:
    """The refresh for a batch of event-queue events, and the ids of events that need none."""
    plan = RefreshPlan()
    ignored = []
    for event in events:
        if not _plan_event(plan, event):
            ignored.append(event["id"])
    return plan, ignored


def _plan_event(plan: RefreshPlan, event: dict[str, Any]) -> bool:
    object_type = event.get("objectType")
    record = event.get("object") or {}
    if object_type in OBJECT_TYPE_JOBS:
        _add_job(plan, OBJECT_TYPE_JOBS[object_type])
        return True

    if object_type == "Order":
        return plan.add_order(pluck(record, "market.id"), record.get("orderDate"))
    if object_type == "Shipment":
        order = record.get("order") or {}
        return plan.add_order(pluck(order, "market.id"), order.get("orderDate"))
    if object_type == "Return":
        order = record.get("order") or {}
        market_id = pluck(order, "market.id")
        added = plan.add_order(market_id, record.get("createdAt"))
        return plan.add_order(market_id, order.get("orderDate")) and added
    return False


def plan_for_webhooks(centra: CentraClient, events: Iterable[WebhookEventLike]) -> RefreshPlan:
    """The refresh for a batch of inbox events; orders, returns and shipments cost a lookup."""
    plan = RefreshPlan()
    orders: set[int] = set()
    returns: set[int] = set()
    shipments: dict[int, datetime] = {}
    ignored: Counter[str] = Counter()

    for event in events:
        if event.kind == "checkout":
            for job in CHECKOUT_FIELD_JOBS.get(event.type, ()):
                _add_job(plan, job)
            if event.type not in CHECKOUT_FIELD_JOBS:
                ignored[event.type] += 1
            continue

        object_id = _int_id(event)
        if event.type == "order" and object_id is not None:
            orders.add(object_id)
        elif event.type == "shipment" and object_id is not None:
            shipments[object_id] = _event_time(event)
        elif event.type == "return" and object_id is not None:
            returns.add(object_id)
        elif event.type == "customer":
            plan.jobs.add(jobs.customers_sync_job.name)
        else:
            ignored[event.type] += 1

    lookups.add_orders_by_number(centra, orders, plan)
    lookups.add_returns_by_id(centra, returns, plan)
    lookups.add_shipments_by_id(centra, shipments, plan)
    if ignored:
        # Accounts and checkout-only fields have no asset yet; they are counted, not synced.
        logger.info("webhook events with nothing to sync: %s", dict(ignored))
    return plan


def _int_id(event: WebhookEventLike) -> int | None:
    try:
        return int(event.object_id)
    except (TypeError, ValueError):
        logger.warning(
            "webhook %s event has a non-numeric id %r; Centra sends integers, so it is skipped",
            event.type,
            event.object_id,
        )
        return None


def _event_time(event: WebhookEventLike) -> datetime:
    """The event's time as naive-read UTC; the lookup window absorbs Centra's unknown zone."""
    # An unreadable date falls back to the time the receiver stored the event.
    with contextlib.suppress(TypeError, ValueError):
        return datetime.fromisoformat(event.event_date).replace(tzinfo=UTC)
    received = event.received_at
    if isinstance(received, datetime):
        return received if received.tzinfo else received.replace(tzinfo=UTC)
    return datetime.now(UTC)

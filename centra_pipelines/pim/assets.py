"""Product enrichment from the PIM to Centra: texts, SEO fields, translations and attributes.

`pim/enrichment_plan` reads the products the PIM changed since the last run, maps them with
`config/mappings/pim/products.yaml`, checks each against the warehouse's copy of Centra (the
product, its displays, the languages and the mapped attribute values must exist) and stores in
the outbox one change per Centra write whose content differs from what Centra holds. Its
blocking check fails when a product was rejected, so nothing is sent in that run.
`pim/enrichment_sent_to_centra` sends the planned writes product by product, recording each
product's outcome before the next. Materializing the plan alone is the dry run.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
from pydantic import Field

from centra_pipelines.centra import tables
from centra_pipelines.centra.client import CentraClient
from centra_pipelines.centra.client.errors import CentraError, CentraUserErrors
from centra_pipelines.connectors.rest import RestApiClient
from centra_pipelines.failures import is_transient
from centra_pipelines.outbound.assets import plan_asset, send_asset
from centra_pipelines.outbound.outbox import (
    PENDING,
    REJECTED,
    Change,
    Outbox,
    Outcome,
    Planned,
    describe_reasons,
)
from centra_pipelines.outbound.sending import raise_if_failed, send_due
from centra_pipelines.pim.held import ENTITY, TARGET, read_held, rejected_before
from centra_pipelines.pim.plan import plan_products
from centra_pipelines.pim.reading import read_mark, read_products, save_mark, since, updated_at
from centra_pipelines.pim.sending import send_record
from centra_pipelines.warehouse import DuckDBWarehouse

PLAN_CHECK = "every_product_planned"
PLAN_KEY = ["pim", "enrichment_plan"]
PREVIEW_ROWS = 20


class PimReadConfig(dg.Config):
    full_refresh: bool = Field(
        default=False,
        description="Read every product of the PIM, not only those changed since the last run "
        "(after a catalogue change in Centra, or to correct edits made in Centra by hand).",
    )


@plan_asset(
    PLAN_KEY,
    deps=[
        dg.AssetKey(["centra", table.name])
        for table in (
            tables.products,
            tables.displays,
            tables.translations,
            tables.catalog_attribute_values,
            tables.mapped_attributes,
            tables.languages,
        )
    ],
    check="Every product read from the PIM is one Centra has, in languages and with mapped "
    "attribute values Centra has; when not, nothing is sent to Centra.",
    check_name=PLAN_CHECK,
    description="Product content from the PIM compared with Centra and planned (the dry run).",
)
def pim_enrichment_plan(
    context: dg.AssetExecutionContext,
    config: PimReadConfig,
    pim_api: RestApiClient,
    warehouse: DuckDBWarehouse,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    outbox = Outbox(warehouse)
    held = read_held(warehouse)
    mark = None if config.full_refresh else read_mark(warehouse)
    context.log.info(
        "reading PIM products changed since %s", since(mark).isoformat() if mark else "ever"
    )
    records = list(read_products(pim_api, mark))
    if not records:
        context.log.warning("the PIM changed no product since the last run; nothing to plan")
        yield dg.MaterializeResult(metadata=_plan_metadata(records, [], 0, {}))
        yield _check([], 0)
        return

    plan = plan_products(records, held)
    news, still_rejected = _without_known_rejections(warehouse, plan.changes)
    stored, unchanged = outbox.plan(news, context.run.run_id)
    _advance_mark(warehouse, records, mark, context.run.run_id)
    if still_rejected:
        context.log.warning(
            "%d products read again are still rejected as before (outbound.planned has the "
            "reasons); they stay unsent until fixed in the PIM or in Centra",
            still_rejected,
        )

    rejected = [item for item in stored if item.status == REJECTED]
    context.log.info(
        "%d PIM products: %d Centra writes planned, %d parts already in Centra, %d rejected",
        len(records),
        len(stored) - len(rejected),
        plan.in_sync + unchanged,
        len(rejected),
    )
    metadata = _plan_metadata(records, stored, plan.in_sync + unchanged, plan.changed_fields)
    yield dg.MaterializeResult(metadata=metadata | {"still_rejected": still_rejected})
    yield _check(rejected, still_rejected)


@send_asset(
    ["pim", "enrichment_sent_to_centra"],
    plan=pim_enrichment_plan,
    description="Planned enrichment written to Centra: updateProduct, updateDisplay, localize "
    "and assignAttributes, changed parts only.",
)
def pim_enrichment_sent_to_centra(
    context: dg.AssetExecutionContext, centra: CentraClient, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    with centra.measure() as cost:
        # One batch per product: all its writes, recorded before the next product's.
        outcome, metadata = send_due(
            context,
            Outbox(warehouse),
            TARGET,
            ENTITY,
            lambda records: _send_product(context, centra, records),
            batch_size=None,
            group_by=lambda item: item.change.payload["product_number"],
            centra=centra,
            preview=lambda sent: _table(sent, {}),
        )
    raise_if_failed(outcome, "enrichment writes")
    products = {item.change.payload["product_number"] for item in outcome.sent}
    return dg.MaterializeResult(
        metadata={**metadata, "products": len(products), "api/requests": cost.requests}
    )


def _send_product(
    context: dg.AssetExecutionContext, centra: CentraClient, records: list[Planned]
) -> Outcome:
    """Send one product's writes; the outcome says why sending stopped, if it must."""
    outcome = Outcome()
    for planned in records:
        try:
            send_record(centra, planned.change.payload)
        except CentraUserErrors as error:
            planned.reason = str(error)[:500]
            context.log.error("Centra refused %s: %s", planned.change.record_key, error)
            outcome.failed.append(planned)
            continue
        except CentraError as error:
            # Centra is unreachable, throttling past our retries or refusing the token: every
            # further write would meet the same, so the rest wait for the next run.
            planned.reason = f"no answer from Centra: {error}"[:500]
            planned.retryable = is_transient(error)
            context.log.error("stopped sending at %s: %s", planned.change.record_key, error)
            outcome.failed.append(planned)
            outcome.stopped = str(error)
            return outcome
        outcome.sent.append(planned)
    number = records[0].change.payload["product_number"]
    context.log.info("product %s: %d writes sent", number, len(outcome.sent))
    return outcome


def _advance_mark(warehouse: DuckDBWarehouse, records: list[dict], mark, run_id: str) -> None:
    moments = [moment for moment in map(updated_at, records) if moment is not None]
    if moments and (mark is None or max(moments) > mark):
        save_mark(warehouse, max(moments), run_id)


def _without_known_rejections(warehouse: DuckDBWarehouse, changes: list[Change]):
    """The changes that are news, and how many rejections were already stored as they are.

    A product is read again when it sits at the mark or on a full refresh; failing the check
    every time for a rejection already reported would hold back every other product for good.
    """
    known = rejected_before(warehouse)
    news = [c for c in changes if not c.reason or (c.record_key, c.content_hash) not in known]
    return news, len(changes) - len(news)


def _check(rejected: list[Planned], still_rejected: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=PLAN_CHECK,
        passed=not rejected,
        metadata={
            "rejected": len(rejected),
            "still_rejected": still_rejected,
            "reasons": describe_reasons(rejected) or "none",
        },
    )


def _plan_metadata(
    records: list[dict], stored: list[Planned], unchanged: int, changed: dict[str, list[str]]
) -> dict[str, Any]:
    pending = [item for item in stored if item.status == PENDING]
    rejected = [item for item in stored if item.status == REJECTED]
    preview = pending[:PREVIEW_ROWS] + rejected[:PREVIEW_ROWS]
    return {
        "products_read": len(records),
        "would_send": len(pending),
        "unchanged": unchanged,
        "rejected": len(rejected),
        "preview": dg.MetadataValue.md(_table(preview, changed)),
    }


def _table(planned: list[Planned], changed: dict[str, list[str]]) -> str:
    lines = [
        "| product | write | object | language | fields | reason |",
        "|---|---|---|---|---|---|",
    ]
    for item in planned:
        payload: dict[str, Any] = item.change.payload
        fields = changed.get(item.change.record_key) or sorted(payload.get("fields") or {})
        lines.append(
            f"| {payload.get('product_number')} | {_WRITES.get(payload.get('kind'), '')} "
            f"| {payload.get('object_id', '')} | {payload.get('language', '')} "
            f"| {', '.join(fields)} | {item.reason or ''} |"
        )
    return "\n".join(lines)


_WRITES = {
    "product": "updateProduct",
    "display": "updateDisplay",
    "translation": "localize",
    "attributes": "assignAttributes",
}

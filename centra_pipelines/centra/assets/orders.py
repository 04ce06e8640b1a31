"""Orders and what hangs off them, partitioned by market and UTC day.

A run over many partitions (a single-run backfill) asks Centra once per day for every market in the
run, instead of once per partition, and writes each day in one transaction across all order tables.
"""

from collections.abc import Callable, Iterator, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import dagster as dg

from centra_pipelines.centra import queries, tables
from centra_pipelines.centra.assets.quarantine import DataContracts, Document, Quarantine
from centra_pipelines.centra.assets.sync import (
    attribute_rows,
    contract_check_specs,
    contract_checks,
    iter_items,
    materialization,
    raw_asset_spec,
    split_cost,
    write_through_contracts,
)
from centra_pipelines.centra.client import ApiUsage, CentraClient
from centra_pipelines.centra.fields import RawTable, pluck
from centra_pipelines.failures import retry_only_transient
from centra_pipelines.models.partitions import MarketDay, market_day_partitions, market_days_by_day
from centra_pipelines.models.values import ValueConversionError, to_decimal, to_utc
from centra_pipelines.warehouse import DuckDBWarehouse, TableSpec, WriteReport

GROUP = "centra_orders"

ORDER_TABLES = [
    tables.orders,
    tables.order_lines,
    tables.order_discounts,
    tables.payments,
    tables.shipments,
    tables.shipment_lines,
    tables.order_attribute_values,
]
RETURN_TABLES = [tables.returns, tables.return_lines]

Tagged = tuple[TableSpec, dict[str, Any]]
# A fetch yields one Document per order or return: its rows are stored or quarantined together.
Fetch = Callable[[CentraClient, DuckDBWarehouse, date, list[int]], Iterator[Document]]


def partition_of(market_id: int, timestamp: str, *, field: str, day: date) -> dict[str, Any]:
    """Partition columns of a document, taken from the document itself.

    Deriving them from the record, not from the partition being synced, means a record that Centra
    returned outside the requested window fails the write instead of landing in the wrong place.
    A timestamp that cannot be read falls back to the day being synced, so the record lands in
    that partition's rejects with the contract's reason instead of failing the whole day.
    """
    try:
        return {"market_id": market_id, "partition_date": to_utc(timestamp, field=field).date()}
    except ValueConversionError:
        return {"market_id": market_id, "partition_date": day}


def order_rows(
    order: Mapping[str, Any], day: date, *, pricelist_currency: str | None = None
) -> Iterator[Tagged]:
    """Rows of every order table that one order record feeds."""
    where = partition_of(
        pluck(order, "market.id"), order.get("orderDate"), field="orderDate", day=day
    )
    number = order["number"]
    currency = pluck(order, "grandTotal.currency.code")
    discounts = order.get("discountsApplied") or []
    lines = [
        tables.order_lines.row(line, order_number=number, currency=currency, **where)
        for line in order.get("lines") or []
    ]
    totals = {
        "discounts": _sum(to_decimal_or_none(pluck(d, "value.value")) for d in discounts),
        "lines_total": _sum(line["line_value"] for line in lines),
        "line_count": len(lines),
        "pricelist_currency": pricelist_currency,
    }
    yield tables.orders.spec, tables.orders.row(order, **totals, **where)

    for row in lines:
        yield tables.order_lines.spec, row

    for index, discount in enumerate(discounts):
        row = tables.order_discounts.row(
            discount, order_number=number, discount_index=index, currency=currency, **where
        )
        yield tables.order_discounts.spec, row

    for payment in order.get("paymentHistory") or []:
        yield tables.payments.spec, tables.payments.row(payment, order_number=number, **where)

    for shipment in order.get("shipments") or []:
        yield from shipment_rows(shipment, number, currency, where)

    for row in attribute_rows(tables.order_attribute_values, "Order", order["id"], order, **where):
        yield tables.order_attribute_values.spec, row


def to_decimal_or_none(value: Any) -> Decimal | None:
    try:
        return to_decimal(value, field="amount")
    except ValueConversionError:
        return None


def _sum(amounts) -> Decimal | None:
    """Sum of amounts; None when one is unreadable, so the totals rule does not misfire."""
    total = Decimal(0)
    for amount in amounts:
        if not isinstance(amount, Decimal):
            return None
        total += amount
    return total


def shipment_rows(
    shipment: Mapping[str, Any], order_number: int, currency: str, where: dict[str, Any]
) -> Iterator[Tagged]:
    row = tables.shipments.row(shipment, order_number=order_number, currency=currency, **where)
    yield tables.shipments.spec, row

    for line in shipment.get("lines") or []:
        row = tables.shipment_lines.row(
            line, shipment_id=shipment["id"], order_number=order_number, **where
        )
        yield tables.shipment_lines.spec, row


def return_rows(centra_return: Mapping[str, Any], day: date) -> Iterator[Tagged]:
    market_id = pluck(centra_return, "order.market.id")
    where = partition_of(market_id, centra_return.get("createdAt"), field="createdAt", day=day)
    yield tables.returns.spec, tables.returns.row(centra_return, **where)

    for line in centra_return.get("lines") or []:
        row = tables.return_lines.row(line, return_id=centra_return["id"], **where)
        yield tables.return_lines.spec, row


def day_variables(day: date) -> dict[str, str]:
    """Inclusive bounds of a UTC day, as Centra's DateRange filters expect them."""
    start = MarketDay(market_id=0, day=day).window_start
    end = start + timedelta(days=1) - timedelta(seconds=1)
    return {"from": start.isoformat(), "to": end.isoformat()}


def pricelist_currencies(warehouse: DuckDBWarehouse) -> dict[int, str]:
    """Currency of each synced pricelist, so an order's currency can be checked against it."""
    if not warehouse.table_exists(tables.pricelists.spec):
        return {}
    return dict(
        warehouse.fetch(f"SELECT id, currency FROM {tables.pricelists.spec.qualified_name}")
    )


def fetch_orders(
    centra: CentraClient, warehouse: DuckDBWarehouse, day: date, market_ids: list[int]
) -> Iterator[Document]:
    # Read before the stream starts: the warehouse is open for writing while rows flow.
    currencies = pricelist_currencies(warehouse)
    return _order_stream(centra, currencies, day, market_ids)


def _order_stream(
    centra: CentraClient, currencies: dict[int, str], day: date, market_ids: list[int]
) -> Iterator[Document]:
    variables = {"marketIds": market_ids, **day_variables(day)}
    pages = centra.iter_connection(
        queries.ORDERS, connection_path="orderConnection", variables=variables
    )
    for order in iter_items(pages):
        pricelist_currency = currencies.get(pluck(order, "pricelist.id"))
        yield Document(list(order_rows(order, day, pricelist_currency=pricelist_currency)))


def fetch_returns(
    centra: CentraClient, warehouse: DuckDBWarehouse, day: date, market_ids: list[int]
) -> Iterator[Document]:
    # Centra's return filter has no market field, so a day is read once and split by market.
    pages = centra.iter_pages(queries.RETURNS, items_path="returns", variables=day_variables(day))
    for centra_return in iter_items(pages):
        if pluck(centra_return, "order.market.id") in market_ids:
            yield Document(list(return_rows(centra_return, day)))


def sync_days(
    context: dg.AssetExecutionContext,
    centra: CentraClient,
    warehouse: DuckDBWarehouse,
    table_group: list[RawTable],
    fetch: Fetch,
    contracts: DataContracts,
) -> Iterator[dg.AssetMaterialization | dg.AssetCheckResult]:
    """Replace every partition of the run, one day (all its markets) per Centra query."""
    quarantine = Quarantine(table_group)
    for day, market_days in market_days_by_day(context.partition_keys).items():
        market_ids = [market_day.market_id for market_day in market_days]
        partitions = [{"market_id": m, "partition_date": day} for m in market_ids]

        with centra.measure() as cost:
            rows = fetch(centra, warehouse, day, market_ids)
            reports, _ = write_through_contracts(
                context, warehouse, table_group, rows, partitions, quarantine
            )

        context.log.info(
            "%s: %d %s across %d markets",
            day.isoformat(),
            reports[table_group[0].name].rows_written,
            table_group[0].name,
            len(market_ids),
        )
        yield from _day_materializations(table_group, reports, market_days, cost)

    yield from contract_checks(quarantine, table_group, contracts)


def _day_materializations(
    table_group: list[RawTable],
    reports: dict[str, WriteReport],
    market_days: list[MarketDay],
    cost: ApiUsage,
) -> Iterator[dg.AssetMaterialization]:
    shares = split_cost(cost, len(market_days))
    for market_day, share in zip(market_days, shares, strict=True):
        partition = {"market_id": market_day.market_id, "partition_date": market_day.day}
        for table in table_group:
            yield materialization(
                table,
                reports[table.name],
                partition_key=market_day.key,
                partition_values=partition,
                # The API cost is carried by the first table of the group so it is counted once.
                cost=share if table is table_group[0] else None,
                window=(market_day.window_start, market_day.window_end),
            )


def _specs(table_group: list[RawTable]) -> list[dg.AssetSpec]:
    head, *rest = table_group
    specs = [raw_asset_spec(head, group=GROUP, deps=[tables.markets], skippable=True)]
    specs += [raw_asset_spec(table, group=GROUP, deps=[head], skippable=True) for table in rest]
    return specs


def market_day_asset(
    name: str,
    table_group: list[RawTable],
    fetch: Fetch,
    description: str,
) -> dg.AssetsDefinition:
    """A multi-asset over related tables, synced per market x day with single-run backfills."""

    @dg.multi_asset(
        name=name,
        pool="centra",
        specs=_specs(table_group),
        check_specs=contract_check_specs(table_group),
        partitions_def=market_day_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        description=description,
    )
    @retry_only_transient
    def _asset(
        context: dg.AssetExecutionContext,
        centra: CentraClient,
        warehouse: DuckDBWarehouse,
        contracts: DataContracts,
    ) -> Iterator[dg.AssetMaterialization | dg.AssetCheckResult]:
        yield from sync_days(context, centra, warehouse, table_group, fetch, contracts)

    return _asset


centra_orders = market_day_asset(
    "centra_orders",
    ORDER_TABLES,
    fetch_orders,
    "DTC orders with lines, discounts, payments, shipments and custom attributes.",
)

centra_returns = market_day_asset(
    "centra_returns",
    RETURN_TABLES,
    fetch_returns,
    "Returns and return lines, by the order's market and the return's UTC day.",
)

"""Stock per warehouse and product size, with every quantity Centra exposes."""

from collections.abc import Iterator
from typing import Any

import dagster as dg

from centra_pipelines.centra import queries, tables
from centra_pipelines.centra.assets.quarantine import DataContracts
from centra_pipelines.centra.assets.sync import (
    contract_check_specs,
    contract_checks,
    iter_items,
    raw_asset_spec,
    table_result,
    whole_cost,
    write_through_contracts,
)
from centra_pipelines.centra.client import CentraClient
from centra_pipelines.failures import retry_only_transient
from centra_pipelines.warehouse import DuckDBWarehouse, TableSpec

# Stock quantities other than free-to-allocate are expensive scalars in Centra's complexity
# scoring, so pages are kept moderate.
STOCK_PAGE_SIZE = 100


def stock_rows(centra: CentraClient, warehouse_ids: list[int]) -> Iterator[tuple[TableSpec, Any]]:
    for warehouse_id in warehouse_ids:
        pages = centra.iter_pages(
            queries.WAREHOUSE_STOCK,
            items_path="warehouses.0.stock",
            variables={"warehouseId": warehouse_id},
            page_size=STOCK_PAGE_SIZE,
            key=lambda item: item["productSize"]["id"],
        )
        for item in iter_items(pages):
            yield tables.stock.spec, tables.stock.row(item, warehouse_id=warehouse_id)


@dg.multi_asset(
    name="centra_stock",
    pool="centra",
    specs=[raw_asset_spec(tables.stock, group="centra_stock", deps=[tables.warehouses])],
    check_specs=contract_check_specs([tables.stock]),
)
@retry_only_transient
def centra_stock(
    context: dg.AssetExecutionContext,
    centra: CentraClient,
    warehouse: DuckDBWarehouse,
    contracts: DataContracts,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    if not warehouse.table_exists(tables.warehouses.spec):
        raise dg.Failure(
            "centra/stock reads warehouse ids from centra/warehouses, which has never been "
            "materialized; materialize centra/warehouses first"
        )

    warehouse_ids = [
        row[0]
        for row in warehouse.fetch(
            f"SELECT id FROM {tables.warehouses.spec.qualified_name} ORDER BY id"
        )
    ]
    if not warehouse_ids:
        context.log.warning("Centra has no warehouses; the stock table is now empty")

    with centra.measure() as cost:
        rows = stock_rows(centra, warehouse_ids)
        reports, quarantine = write_through_contracts(context, warehouse, [tables.stock], rows)

    context.log.info(
        "stock of %d warehouses: %d rows", len(warehouse_ids), reports["stock"].rows_written
    )
    yield table_result(tables.stock, reports["stock"], cost=whole_cost(cost))
    yield from contract_checks(quarantine, [tables.stock], contracts)

"""DTC customers with their billing addresses and custom attributes."""

from collections.abc import Iterator
from typing import Any

import dagster as dg

from centra_pipelines.centra import queries, tables
from centra_pipelines.centra.assets.quarantine import DataContracts
from centra_pipelines.centra.assets.sync import (
    attribute_rows,
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

CUSTOMER_TABLES = [tables.customers, tables.customer_addresses, tables.customer_attribute_values]


def customer_rows(centra: CentraClient) -> Iterator[tuple[TableSpec, dict[str, Any]]]:
    pages = centra.iter_connection(queries.CUSTOMERS, connection_path="customerConnection")
    for customer in iter_items(pages):
        yield tables.customers.spec, tables.customers.row(customer)

        if customer.get("billingAddress"):
            row = tables.customer_addresses.row(
                customer["billingAddress"], customer_id=customer["id"], address_type="billing"
            )
            yield tables.customer_addresses.spec, row

        for row in attribute_rows(
            tables.customer_attribute_values, "Customer", customer["id"], customer
        ):
            yield tables.customer_attribute_values.spec, row


@dg.multi_asset(
    name="centra_customers",
    pool="centra",
    specs=[raw_asset_spec(table, group="centra_customers") for table in CUSTOMER_TABLES],
    check_specs=contract_check_specs(CUSTOMER_TABLES),
    description="Customers, their addresses and custom attributes, replaced together.",
)
@retry_only_transient
def centra_customers(
    context: dg.AssetExecutionContext,
    centra: CentraClient,
    warehouse: DuckDBWarehouse,
    contracts: DataContracts,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    with centra.measure() as cost:
        rows = customer_rows(centra)
        reports, quarantine = write_through_contracts(context, warehouse, CUSTOMER_TABLES, rows)

    for table in CUSTOMER_TABLES:
        share = whole_cost(cost) if table is tables.customers else None
        yield table_result(table, reports[table.name], cost=share)
    yield from contract_checks(quarantine, CUSTOMER_TABLES, contracts)

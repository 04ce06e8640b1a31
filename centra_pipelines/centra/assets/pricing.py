"""Prices per market: every display price in the pricelists that serve the market's countries."""

import json
from collections.abc import Iterator
from typing import Any

import dagster as dg

from centra_pipelines.centra import queries, tables
from centra_pipelines.centra.assets.quarantine import DataContracts, Quarantine
from centra_pipelines.centra.assets.sync import (
    contract_check_specs,
    contract_checks,
    iter_items,
    materialization,
    raw_asset_spec,
    whole_cost,
    write_through_contracts,
)
from centra_pipelines.centra.client import CentraClient
from centra_pipelines.failures import retry_only_transient
from centra_pipelines.models.partitions import market_partitions
from centra_pipelines.warehouse import DuckDBWarehouse, TableSpec


def market_pricelists(warehouse: DuckDBWarehouse) -> dict[int, set[int]]:
    """Pricelist ids serving each market, from the countries both are assigned to."""
    for upstream in (tables.markets, tables.pricelists):
        if not warehouse.table_exists(upstream.spec):
            raise dg.Failure(
                f"centra/prices needs centra/{upstream.name}, which has never been materialized; "
                f"materialize centra/{upstream.name} first"
            )

    markets = warehouse.fetch(f"SELECT id, country_codes FROM {tables.markets.spec.qualified_name}")
    pricelists = warehouse.fetch(
        f"SELECT id, country_codes FROM {tables.pricelists.spec.qualified_name}"
    )
    pricelist_countries = {pricelist_id: set(json.loads(c)) for pricelist_id, c in pricelists}

    return {
        market_id: {
            pricelist_id
            for pricelist_id, countries in pricelist_countries.items()
            if countries & set(json.loads(market_countries))
        }
        for market_id, market_countries in markets
    }


def price_rows(
    centra: CentraClient, market_id: int, pricelist_ids: set[int]
) -> Iterator[tuple[TableSpec, dict[str, Any]]]:
    displays = centra.iter_pages(
        queries.MARKET_PRICES, items_path="displays", variables={"marketId": market_id}
    )
    for display in iter_items(displays):
        for price in display.get("prices") or []:
            if (price.get("pricelist") or {}).get("id") not in pricelist_ids:
                continue
            row = tables.prices.row(
                price,
                market_id=market_id,
                display_id=display["id"],
                product_id=(display.get("product") or {}).get("id"),
            )
            yield tables.prices.spec, row


@dg.multi_asset(
    name="centra_prices",
    pool="centra",
    specs=[
        raw_asset_spec(
            tables.prices,
            group="centra_pricing",
            deps=[tables.markets, tables.pricelists],
            skippable=True,
        )
    ],
    check_specs=contract_check_specs([tables.prices]),
    partitions_def=market_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
@retry_only_transient
def centra_prices(
    context: dg.AssetExecutionContext,
    centra: CentraClient,
    warehouse: DuckDBWarehouse,
    contracts: DataContracts,
) -> Iterator[dg.AssetMaterialization | dg.AssetCheckResult]:
    pricelists_by_market = market_pricelists(warehouse)
    quarantine = Quarantine([tables.prices])

    for market_key in context.partition_keys:
        market_id = int(market_key)
        pricelist_ids = pricelists_by_market.get(market_id, set())
        if not pricelist_ids:
            # Wholesale markets have no countries; their prices come through accounts.
            context.log.info("market %s has no countries with a pricelist: no prices", market_id)

        with centra.measure() as cost:
            rows = price_rows(centra, market_id, pricelist_ids)
            partition = {"market_id": market_id}
            reports, _ = write_through_contracts(
                context, warehouse, [tables.prices], rows, [partition], quarantine
            )

        yield materialization(
            tables.prices,
            reports[tables.prices.name],
            partition_key=market_key,
            partition_values=partition,
            cost=whole_cost(cost),
        )

    yield from contract_checks(quarantine, [tables.prices], contracts)

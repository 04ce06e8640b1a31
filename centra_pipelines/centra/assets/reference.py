"""Slow-changing Centra entities, each fetched whole and replaced whole.

They are small (tens to thousands of rows), so one asset per entity reads every page and replaces
the table in one transaction; there is nothing to partition.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import dagster as dg

from centra_pipelines.centra import queries, tables
from centra_pipelines.centra.assets.quarantine import DataContracts
from centra_pipelines.centra.assets.sync import (
    codes,
    contract_check_specs,
    contract_checks,
    ids,
    iter_items,
    raw_asset_spec,
    table_result,
    whole_cost,
    write_through_contracts,
)
from centra_pipelines.centra.client import CentraClient
from centra_pipelines.centra.fields import RawTable
from centra_pipelines.failures import retry_only_transient
from centra_pipelines.models.partitions import market_partitions
from centra_pipelines.warehouse import DuckDBWarehouse

Extra = Callable[[Mapping[str, Any]], dict[str, Any]]
ExtraFactory = Callable[[CentraClient], Extra]
AfterWrite = Callable[[dg.AssetExecutionContext, DuckDBWarehouse], None]


@dataclass(frozen=True)
class ListedEntity:
    """A Centra list query whose every item becomes one row of one table."""

    table: RawTable
    query: str
    items_path: str
    group: str
    extra: ExtraFactory | None = None
    after_write: AfterWrite | None = None


def _country_codes(centra: CentraClient) -> Extra:
    return lambda record: {"country_codes": codes(record.get("assignedToCountries"))}


def _child_categories(centra: CentraClient) -> Extra:
    return lambda record: {"child_category_ids": ids(record.get("childCategories"))}


def _base_currency_flag(centra: CentraClient) -> Extra:
    """Centra documents `isBase` as a filter, not a field, so the base is asked for separately."""
    base_ids = set(ids(centra.execute(queries.BASE_CURRENCY)["currencies"]))
    return lambda record: {"is_base": record["id"] in base_ids}


def register_market_partitions(
    context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse
) -> None:
    """Add every market id Centra returned as a partition of the market dimension.

    Markets are never removed here: a market deleted in Centra keeps its partitions so that the
    history already synced for it stays visible.
    """
    stored = warehouse.fetch(f"SELECT id FROM {tables.markets.spec.qualified_name}")
    known = set(context.instance.get_dynamic_partitions(market_partitions.name))
    new = sorted({str(row[0]) for row in stored} - known, key=int)
    if not new:
        return

    context.instance.add_dynamic_partitions(market_partitions.name, new)
    context.log.info("registered %d new market partitions: %s", len(new), ", ".join(new))


LISTED_ENTITIES = [
    ListedEntity(tables.stores, queries.STORES, "stores", "centra_reference"),
    ListedEntity(
        tables.markets,
        queries.MARKETS,
        "markets",
        "centra_reference",
        extra=_country_codes,
        after_write=register_market_partitions,
    ),
    ListedEntity(tables.countries, queries.COUNTRIES, "countries", "centra_reference"),
    ListedEntity(
        tables.currencies,
        queries.CURRENCIES,
        "currencies",
        "centra_reference",
        extra=_base_currency_flag,
    ),
    ListedEntity(tables.languages, queries.LANGUAGES, "languages", "centra_reference"),
    ListedEntity(
        tables.pricelists, queries.PRICELISTS, "pricelists", "centra_pricing", _country_codes
    ),
    ListedEntity(tables.warehouses, queries.WAREHOUSES, "warehouses", "centra_stock"),
    ListedEntity(tables.size_charts, queries.SIZE_CHARTS, "sizeCharts", "centra_catalog"),
    ListedEntity(
        tables.categories,
        queries.CATEGORIES,
        "categories",
        "centra_catalog",
        extra=_child_categories,
    ),
    ListedEntity(tables.brands, queries.BRANDS, "brands", "centra_catalog"),
    ListedEntity(tables.collections, queries.COLLECTIONS, "collections", "centra_catalog"),
    ListedEntity(
        tables.mapped_attributes, queries.MAPPED_ATTRIBUTES, "mappedAttributes", "centra_catalog"
    ),
]


def sync_listed_entity(
    context: dg.AssetExecutionContext,
    entity: ListedEntity,
    centra: CentraClient,
    warehouse: DuckDBWarehouse,
    contracts: DataContracts,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Read every page of the entity's list and replace its table."""
    with centra.measure() as cost:
        extra = entity.extra(centra) if entity.extra else (lambda record: {})
        pages = centra.iter_pages(entity.query, items_path=entity.items_path)
        rows = (
            (entity.table.spec, entity.table.row(record, **extra(record)))
            for record in iter_items(pages)
        )
        reports, quarantine = write_through_contracts(context, warehouse, [entity.table], rows)

    report = reports[entity.table.name]
    if report.rows_written == 0:
        context.log.warning("Centra returned no %s; the table is now empty", entity.table.name)

    if entity.after_write is not None:
        entity.after_write(context, warehouse)

    yield table_result(entity.table, report, cost=whole_cost(cost))
    yield from contract_checks(quarantine, [entity.table], contracts)


def listed_entity_asset(entity: ListedEntity) -> dg.AssetsDefinition:
    spec = raw_asset_spec(entity.table, group=entity.group)

    @dg.multi_asset(
        specs=[spec],
        check_specs=contract_check_specs([entity.table]),
        name=f"centra_{entity.table.name}",
        pool="centra",
    )
    @retry_only_transient
    def _asset(
        context: dg.AssetExecutionContext,
        centra: CentraClient,
        warehouse: DuckDBWarehouse,
        contracts: DataContracts,
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        yield from sync_listed_entity(context, entity, centra, warehouse, contracts)

    return _asset


listed_entity_assets = [listed_entity_asset(entity) for entity in LISTED_ENTITIES]

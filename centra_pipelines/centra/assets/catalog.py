"""The product catalogue: products down to sizes, displays with SEO, media, bundles, translations
and custom attributes, read in one pass so that every table reflects the same moment."""

from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg

from centra_pipelines.centra import queries, tables
from centra_pipelines.centra.assets.quarantine import DataContracts
from centra_pipelines.centra.assets.sync import (
    attribute_rows,
    contract_check_specs,
    contract_checks,
    ids,
    iter_items,
    raw_asset_spec,
    table_result,
    translation_rows,
    whole_cost,
    write_through_contracts,
)
from centra_pipelines.centra.client import CentraClient
from centra_pipelines.failures import retry_only_transient
from centra_pipelines.warehouse import DuckDBWarehouse, TableSpec

GROUP = "centra_catalog"

# Products carry variants, sizes, attributes and translations, so a page is expensive in
# complexity; smaller pages keep each request well inside the ten-second complexity bucket.
PRODUCT_PAGE_SIZE = 50

CATALOG_TABLES = [
    tables.products,
    tables.product_variants,
    tables.product_sizes,
    tables.product_media,
    tables.bundles,
    tables.displays,
    tables.translations,
    tables.catalog_attribute_values,
]

Tagged = tuple[TableSpec, dict[str, Any]]


def product_rows(product: Mapping[str, Any]) -> Iterator[Tagged]:
    """Rows of every catalogue table that one product record feeds."""
    product_id = product["id"]
    yield tables.products.spec, tables.products.row(product)

    for media in product.get("media") or []:
        yield tables.product_media.spec, tables.product_media.row(media, product_id=product_id)

    if product.get("bundle"):
        yield tables.bundles.spec, tables.bundles.row(product["bundle"], product_id=product_id)

    for variant in product.get("variants") or []:
        yield from variant_rows(product_id, variant)

    yield from _described_rows("Product", product_id, product)


def variant_rows(product_id: int, variant: Mapping[str, Any]) -> Iterator[Tagged]:
    variant_id = variant["id"]
    yield (
        tables.product_variants.spec,
        tables.product_variants.row(variant, product_id=product_id),
    )

    for size in variant.get("productSizes") or []:
        yield (
            tables.product_sizes.spec,
            tables.product_sizes.row(size, product_id=product_id, variant_id=variant_id),
        )

    yield from _described_rows("ProductVariant", variant_id, variant)


def display_rows(display: Mapping[str, Any]) -> Iterator[Tagged]:
    row = tables.displays.row(
        display,
        category_ids=ids(display.get("categories")),
        market_ids=ids(display.get("markets")),
        variant_ids=ids(display.get("productVariants")),
    )
    yield tables.displays.spec, row
    yield from _described_rows("Display", display["id"], display)


def _described_rows(
    object_type: str, object_id: int, record: Mapping[str, Any]
) -> Iterator[Tagged]:
    """Translation and custom attribute rows of one catalogue object."""
    for row in translation_rows(tables.translations, object_type, object_id, record):
        yield tables.translations.spec, row

    for row in attribute_rows(tables.catalog_attribute_values, object_type, object_id, record):
        yield tables.catalog_attribute_values.spec, row


def catalog_rows(centra: CentraClient) -> Iterator[Tagged]:
    products = centra.iter_pages(
        queries.PRODUCTS, items_path="products", page_size=PRODUCT_PAGE_SIZE
    )
    for product in iter_items(products):
        yield from product_rows(product)

    for display in iter_items(centra.iter_pages(queries.DISPLAYS, items_path="displays")):
        yield from display_rows(display)


@dg.multi_asset(
    name="centra_catalog",
    pool="centra",
    check_specs=contract_check_specs(CATALOG_TABLES),
    specs=[raw_asset_spec(tables.products, group=GROUP)]
    + [raw_asset_spec(table, group=GROUP, deps=[tables.products]) for table in CATALOG_TABLES[1:]],
    description="Products, variants, sizes, media, bundles and displays with their translations "
    "and custom attributes, replaced together in one transaction.",
)
@retry_only_transient
def centra_catalog(
    context: dg.AssetExecutionContext,
    centra: CentraClient,
    warehouse: DuckDBWarehouse,
    contracts: DataContracts,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    with centra.measure() as cost:
        rows = catalog_rows(centra)
        reports, quarantine = write_through_contracts(context, warehouse, CATALOG_TABLES, rows)

    if reports[tables.products.name].rows_written == 0:
        context.log.warning("Centra returned no products; the catalogue tables are now empty")

    for table in CATALOG_TABLES:
        # The whole API cost is carried by the products asset so that it is counted once.
        share = whole_cost(cost) if table is tables.products else None
        yield table_result(table, reports[table.name], cost=share)
    yield from contract_checks(quarantine, CATALOG_TABLES, contracts)

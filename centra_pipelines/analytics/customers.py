"""Customers for analysts: with e-mail hashed and street addresses left out, unless config says not.

The raw `centra_raw` tables keep the PII that the ERP and customer service need; analysts join on
`customer_ref`, a salted hash of the e-mail that is stable across runs and stores, without seeing
the address behind it.
"""

import dagster as dg
from pydantic import Field

from centra_pipelines.centra import tables
from centra_pipelines.centra.assets.sync import asset_key
from centra_pipelines.models import metadata
from centra_pipelines.settings import OWNERS
from centra_pipelines.warehouse import Column, DuckDBWarehouse, TableSpec, WriteAudit

ANALYTICS_SCHEMA = "analytics"


class PrivacySettings(dg.ConfigurableResource):
    """How much customer PII analytics tables may hold."""

    pseudonymise_pii: bool = Field(
        default=True,
        description="Hash e-mails and leave out names, street addresses and phone numbers.",
    )
    pseudonymisation_salt: str = Field(
        default="",
        description="Secret mixed into e-mail hashes so they cannot be reversed by hashing a list "
        "of known addresses; set it from an environment variable in production.",
        repr=False,
    )


analytics_customers_table = TableSpec(
    schema=ANALYTICS_SCHEMA,
    name="customers",
    description="One row per customer for analysis; PII pseudonymised unless configured not to.",
    columns=(
        Column("customer_id", "BIGINT", "Centra customer id."),
        Column("customer_ref", "VARCHAR", "sha256 of the salted, lower-cased e-mail."),
        Column("email", "VARCHAR", "E-mail; null when pseudonymised."),
        Column("first_name", "VARCHAR", "First name; null when pseudonymised."),
        Column("last_name", "VARCHAR", "Last name; null when pseudonymised."),
        Column("street_address", "VARCHAR", "Street address; null when pseudonymised."),
        Column("city", "VARCHAR", "City."),
        Column("zip_code", "VARCHAR", "Postal code."),
        Column("country_code", "VARCHAR", "ISO country."),
        Column("status", "VARCHAR", "Customer status."),
        Column("total_orders", "INTEGER", "Orders placed."),
        Column("store_id", "BIGINT", "Store."),
        Column("created_at", "TIMESTAMPTZ", "When the customer was created (UTC)."),
    ),
    key=("customer_id",),
    preview_columns=("customer_id", "customer_ref", "country_code", "total_orders"),
)

SELECT_CUSTOMERS = f"""
    SELECT c.id,
           sha256(? || lower(trim(c.email))),
           CASE WHEN ? THEN NULL ELSE c.email END,
           CASE WHEN ? THEN NULL ELSE c.first_name END,
           CASE WHEN ? THEN NULL ELSE c.last_name END,
           CASE WHEN ? THEN NULL ELSE concat_ws(', ', a.address1, a.address2) END,
           a.city, a.zip_code, a.country_code, c.status, c.total_orders, c.store_id, c.created_at
    FROM {tables.customers.spec.qualified_name} c
    LEFT JOIN {tables.customer_addresses.spec.qualified_name} a
           ON a.customer_id = c.id AND a.address_type = 'billing'
"""


@dg.asset(
    key=["analytics", "customers"],
    pool="warehouse",
    group_name="analytics",
    kinds={"duckdb"},
    owners=OWNERS,
    deps=[asset_key(tables.customers), asset_key(tables.customer_addresses)],
    metadata=metadata.table_definition_metadata(analytics_customers_table),
)
def analytics_customers(
    context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse, privacy: PrivacySettings
) -> dg.MaterializeResult:
    """Customers for analysis, with PII pseudonymised according to the privacy settings."""
    hide = privacy.pseudonymise_pii
    if hide and not privacy.pseudonymisation_salt:
        context.log.warning(
            "pseudonymisation_salt is empty: anyone holding a list of e-mail addresses can "
            "match customer_ref by hashing them; set it from a secret"
        )

    audit = WriteAudit(
        direction="derived", system="warehouse", asset_by_table={"customers": "analytics/customers"}
    )
    report = warehouse.rebuild(
        analytics_customers_table,
        SELECT_CUSTOMERS,
        [privacy.pseudonymisation_salt, hide, hide, hide, hide],
        run_id=context.run.run_id,
        audit=audit,
    )

    return dg.MaterializeResult(
        metadata=metadata.merge(
            metadata.report_metadata(report),
            {"pii_pseudonymised": hide, "salted": bool(privacy.pseudonymisation_salt)},
        )
    )

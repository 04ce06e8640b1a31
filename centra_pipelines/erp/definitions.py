"""The ERP's assets, the database it is reached through, and the jobs that run them."""

import dagster as dg

from centra_pipelines.connectors.sql import SqlDatabase
from centra_pipelines.erp.customers import (
    erp_customers_plan,
    erp_customers_sent_to_centra,
    erp_customers_sent_to_erp,
)
from centra_pipelines.erp.document_ids import (
    erp_order_document_ids_plan,
    erp_order_document_ids_sent_to_centra,
)
from centra_pipelines.erp.orders import erp_orders_plan, erp_orders_sent_to_erp
from centra_pipelines.erp.payments import erp_payments_plan, erp_payments_sent_to_erp
from centra_pipelines.erp.prices import (
    erp_prices_plan,
    erp_prices_sent_to_centra,
    erp_prices_sent_to_erp,
)
from centra_pipelines.erp.products import (
    erp_products_plan,
    erp_products_sent_to_centra,
    erp_products_sent_to_erp,
)
from centra_pipelines.erp.refunds import erp_credit_notes_plan, erp_credit_notes_sent_to_erp

# Every flow adds its plan asset (the dry run: maps, checks, stores the plan, sends nothing) and
# its send asset here; the jobs below pick them up.
ERP_PLAN_ASSETS = [
    erp_orders_plan,
    erp_payments_plan,
    erp_credit_notes_plan,
    erp_order_document_ids_plan,
    erp_prices_plan,
    erp_products_plan,
    erp_customers_plan,
]
ERP_SEND_ASSETS = [
    erp_orders_sent_to_erp,
    erp_payments_sent_to_erp,
    erp_credit_notes_sent_to_erp,
    erp_order_document_ids_sent_to_centra,
    erp_prices_sent_to_centra,
    erp_prices_sent_to_erp,
    erp_products_sent_to_centra,
    erp_products_sent_to_erp,
    erp_customers_sent_to_centra,
    erp_customers_sent_to_erp,
]

erp_sync_job = dg.define_asset_job(
    "erp_sync",
    selection=dg.AssetSelection.assets(*ERP_PLAN_ASSETS, *ERP_SEND_ASSETS),
    description="Plan and send every ERP flow: the warehouse's orders, payments and refunds to "
    "the ERP, the ERP's document numbers back to Centra.",
)

erp_dry_run_job = dg.define_asset_job(
    "erp_dry_run",
    selection=dg.AssetSelection.assets(*ERP_PLAN_ASSETS),
    description="Plan every ERP flow and list what would be sent; writes nothing to the ERP or "
    "Centra.",
)

defs = dg.Definitions(
    assets=[*ERP_PLAN_ASSETS, *ERP_SEND_ASSETS],
    jobs=[erp_sync_job, erp_dry_run_job],
    resources={"erp_database": SqlDatabase(url=dg.EnvVar("CENTRA_ERP_DATABASE_URL"))},
)

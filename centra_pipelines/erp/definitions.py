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
from centra_pipelines.outbound.definitions import system_definitions

# Every flow adds its plan asset (the dry run: maps, checks, stores the plan, sends nothing) and
# its send asset here; the sync and dry-run jobs below are built from these lists.
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

defs = system_definitions(
    "erp",
    plan_assets=ERP_PLAN_ASSETS,
    send_assets=ERP_SEND_ASSETS,
    sync_description="Plan and send every ERP flow: the warehouse's orders, payments and refunds "
    "to the ERP, the ERP's document numbers back to Centra.",
    dry_run_description="Plan every ERP flow and list what would be sent; writes nothing to the "
    "ERP or Centra.",
    resources={"erp_database": SqlDatabase(url=dg.EnvVar("CENTRA_ERP_DATABASE_URL"))},
)

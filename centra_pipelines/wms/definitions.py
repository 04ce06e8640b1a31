"""The WMS's assets, the folder it exchanges files through, and the jobs that run them."""

import dagster as dg

from centra_pipelines.connectors.files import FileExchange
from centra_pipelines.failures import RETRY_POLICY
from centra_pipelines.outbound.definitions import system_definitions
from centra_pipelines.wms.cancellations import (
    wms_cancellations_plan,
    wms_cancellations_sent_to_centra,
)
from centra_pipelines.wms.orders import wms_orders_plan, wms_orders_sent_to_wms
from centra_pipelines.wms.returns import (
    wms_return_notices_plan,
    wms_return_notices_sent_to_wms,
    wms_returns_plan,
    wms_returns_sent_to_centra,
)
from centra_pipelines.wms.shipments import wms_shipments_plan, wms_shipments_sent_to_centra
from centra_pipelines.wms.stock import wms_stock_plan, wms_stock_sent_to_centra

stock_to_centra_job = dg.define_asset_job(
    "wms_stock_to_centra",
    op_retry_policy=RETRY_POLICY,
    selection=dg.AssetSelection.assets(wms_stock_plan, wms_stock_sent_to_centra),
    description="Claim the WMS's stock files and send the changed levels to Centra.",
)

stock_dry_run_job = dg.define_asset_job(
    "wms_stock_dry_run",
    op_retry_policy=RETRY_POLICY,
    selection=dg.AssetSelection.assets(wms_stock_plan),
    description="Claim the WMS's stock files and list what would be sent; sends nothing.",
)

shipments_to_centra_job = dg.define_asset_job(
    "wms_shipments_to_centra",
    op_retry_policy=RETRY_POLICY,
    selection=dg.AssetSelection.assets(wms_shipments_plan, wms_shipments_sent_to_centra),
    description="Claim the WMS's shipment files; create and complete the shipments in Centra.",
)

shipments_dry_run_job = dg.define_asset_job(
    "wms_shipments_dry_run",
    op_retry_policy=RETRY_POLICY,
    selection=dg.AssetSelection.assets(wms_shipments_plan),
    description="Claim the WMS's shipment files and list what would be sent; sends nothing.",
)

PLAN_ASSETS = [
    wms_stock_plan,
    wms_shipments_plan,
    wms_orders_plan,
    wms_cancellations_plan,
    wms_returns_plan,
    wms_return_notices_plan,
]
SEND_ASSETS = [
    wms_stock_sent_to_centra,
    wms_shipments_sent_to_centra,
    wms_orders_sent_to_wms,
    wms_cancellations_sent_to_centra,
    wms_returns_sent_to_centra,
    wms_return_notices_sent_to_wms,
]

defs = system_definitions(
    "wms",
    plan_assets=PLAN_ASSETS,
    send_assets=SEND_ASSETS,
    sync_description="Every WMS flow: claim the WMS's files and send them to Centra, and write "
    "orders, order changes and return notices to the WMS folder.",
    dry_run_description="Plan every WMS flow and list what would be sent or written; sends "
    "nothing.",
    resources={
        "wms_files": FileExchange(
            url=dg.EnvVar("CENTRA_WMS_FOLDER_URL"), file_format="csv", create_missing_folders=True
        )
    },
    jobs=[stock_to_centra_job, stock_dry_run_job, shipments_to_centra_job, shipments_dry_run_job],
)

"""The support flow's assets, the help desk it reads, and the jobs that run them."""

import dagster as dg

from centra_pipelines.connectors.rest import RestApiClient
from centra_pipelines.support.plan import support_tickets_plan
from centra_pipelines.support.send import support_tickets_sent_to_centra

support_sync_job = dg.define_asset_job(
    "support_sync",
    selection=dg.AssetSelection.assets(support_tickets_plan, support_tickets_sent_to_centra),
    description="Read changed help-desk tickets and note them on their Centra order or customer.",
)

support_dry_run_job = dg.define_asset_job(
    "support_dry_run",
    selection=dg.AssetSelection.assets(support_tickets_plan),
    description="Read changed help-desk tickets and list the notes that would be written.",
)

defs = dg.Definitions(
    assets=[support_tickets_plan, support_tickets_sent_to_centra],
    jobs=[support_sync_job, support_dry_run_job],
    resources={
        "support_api": RestApiClient(
            base_url=dg.EnvVar("CENTRA_SUPPORT_URL"),
            auth="bearer",
            token=dg.EnvVar("CENTRA_SUPPORT_TOKEN"),
            paging="cursor",
            items_path="tickets",
            cursor_path="next_cursor",
            cursor_param="cursor",
        )
    },
)

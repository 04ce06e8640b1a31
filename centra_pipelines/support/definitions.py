"""The support flow's assets, the help desk it reads, and the jobs that run them."""

import dagster as dg

from centra_pipelines.connectors.rest import RestApiClient
from centra_pipelines.outbound.definitions import system_definitions
from centra_pipelines.support.plan import support_tickets_plan
from centra_pipelines.support.send import support_tickets_sent_to_centra

defs = system_definitions(
    "support",
    plan_assets=[support_tickets_plan],
    send_assets=[support_tickets_sent_to_centra],
    sync_description="Read changed help-desk tickets and note them on their Centra order or "
    "customer.",
    dry_run_description="Read changed help-desk tickets and list the notes that would be written.",
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

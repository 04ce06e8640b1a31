"""The PIM's assets, the REST resource it is read through, and the jobs that run them."""

import dagster as dg

from centra_pipelines.connectors.rest import RestApiClient
from centra_pipelines.outbound.definitions import system_definitions
from centra_pipelines.pim.assets import pim_enrichment_plan, pim_enrichment_sent_to_centra
from centra_pipelines.pim.reading import PAGE_SIZE

defs = system_definitions(
    "pim",
    plan_assets=[pim_enrichment_plan],
    send_assets=[pim_enrichment_sent_to_centra],
    sync_description="Read the products the PIM changed and write what differs to Centra.",
    dry_run_description="Read the products the PIM changed and list what would be written; "
    "sends nothing.",
    resources={
        "pim_api": RestApiClient(
            base_url=dg.EnvVar("CENTRA_PIM_URL"),
            auth="bearer",
            token=dg.EnvVar("CENTRA_PIM_TOKEN"),
            paging="cursor",
            items_path="data",
            cursor_path="next_cursor",
            cursor_param="cursor",
            page_size=PAGE_SIZE,
        )
    },
)

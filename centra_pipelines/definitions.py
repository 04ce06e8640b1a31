"""The one Definitions object Dagster loads: every system's definitions merged."""

import dagster as dg

from centra_pipelines.alerting.definitions import alerting_definitions
from centra_pipelines.analytics import definitions as analytics
from centra_pipelines.centra import definitions as centra
from centra_pipelines.centra.assets.quarantine import DataContracts
from centra_pipelines.centra.client import CentraClient
from centra_pipelines.contracts.card_data import install_log_redaction
from centra_pipelines.erp import definitions as erp
from centra_pipelines.finance import definitions as finance
from centra_pipelines.outbound.definitions import outbound_definitions
from centra_pipelines.pim import definitions as pim
from centra_pipelines.support import definitions as support
from centra_pipelines.warehouse import definitions as warehouse
from centra_pipelines.wms import definitions as wms

# Every process that loads these definitions (code server, run worker, the demo) redacts card
# numbers from log records of our code and of Dagster, so no log line can carry one.
install_log_redaction()


def _shared_definitions() -> dg.Definitions:
    """Resources and execution settings that every system's assets use.

    Built in a function so that this module holds exactly one Definitions object, which is what
    Dagster's loaders require of a code location.
    """
    return dg.Definitions(
        resources={
            # CENTRA_RATE_BUDGET_URL is optional, and an unset EnvVar fails the run, so the
            # client reads it when a run starts (docs/centra-client.md, "Shared rate budget").
            "centra": CentraClient(
                api_url=dg.EnvVar("CENTRA_API_URL"), api_token=dg.EnvVar("CENTRA_API_TOKEN")
            ),
            "contracts": DataContracts(),
        },
        # Steps of one run execute in the run's own process: the work is bound by Centra's rate
        # limits, not by CPU, and a process per step would cost seconds each.
        executor=dg.in_process_executor,
    )


defs = dg.Definitions.merge(
    centra.defs,
    analytics.defs,
    finance.defs,
    warehouse.defs,
    wms.defs,
    erp.defs,
    pim.defs,
    support.defs,
    outbound_definitions(),
    alerting_definitions(),
    _shared_definitions(),
)

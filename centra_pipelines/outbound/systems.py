"""The systems beside Centra that data is exchanged with, their jobs and the settings they need.

The main job, the outbound schedules and the demo read this list, so adding a system is one entry
here plus its folder. A system whose settings are not all present in the environment is skipped
with a message naming what is missing: a retailer without a PIM still runs everything else.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class OutboundSystem:
    name: str
    sync_job: str  # plan and send, both ways
    dry_run_job: str  # plan only: lists what would be sent, sends nothing
    settings: tuple[str, ...]  # environment variables its resources read
    description: str

    def missing_settings(self, environ: Mapping[str, str] | None = None) -> list[str]:
        environ = os.environ if environ is None else environ
        return [name for name in self.settings if not environ.get(name)]


# In the order the main job runs them: the WMS first, so that shipments and stock it reports
# reach Centra before orders are booked in the ERP.
SYSTEMS = (
    OutboundSystem(
        "wms",
        "wms_sync",
        "wms_dry_run",
        ("CENTRA_WMS_FOLDER_URL",),
        "stock and shipments to Centra; orders, cancellations and returns both ways",
    ),
    OutboundSystem(
        "erp",
        "erp_sync",
        "erp_dry_run",
        ("CENTRA_ERP_DATABASE_URL",),
        "orders, payments and refunds to the ERP; customers, prices and products both ways",
    ),
    OutboundSystem(
        "pim",
        "pim_sync",
        "pim_dry_run",
        ("CENTRA_PIM_URL", "CENTRA_PIM_TOKEN"),
        "descriptions, SEO, translations and attributes to Centra",
    ),
    OutboundSystem(
        "support",
        "support_sync",
        "support_dry_run",
        ("CENTRA_SUPPORT_URL", "CENTRA_SUPPORT_TOKEN"),
        "support tickets onto Centra's orders and customers",
    ),
)


def system(name: str) -> OutboundSystem:
    for candidate in SYSTEMS:
        if candidate.name == name:
            return candidate
    known = ", ".join(candidate.name for candidate in SYSTEMS)
    raise KeyError(f"no outbound system {name!r}; known: {known}")

"""A local PIM: enriched product content served over a bearer-token REST API (docs/pim.md).

```python
from sandbox_systems.pim import centra_mapped_attributes, centra_products, start_pim

products = centra_products(sandbox.url, sandbox.token)
attributes = centra_mapped_attributes(sandbox.url, sandbox.token)
with start_pim(products, mapped_attributes=attributes) as pim:
    pim.edit("P1002", {"texts": {"en_GB": {"description": "New text."}}})
```
"""

from sandbox_systems.pim.centra import (
    centra_mapped_attributes,
    centra_products,
    enrichment_in_centra,
)
from sandbox_systems.pim.seed import LOCALES, seed_products
from sandbox_systems.pim.server import RunningPim, start_pim
from sandbox_systems.pim.store import PimStore

__all__ = [
    "LOCALES",
    "PimStore",
    "RunningPim",
    "centra_mapped_attributes",
    "centra_products",
    "enrichment_in_centra",
    "seed_products",
    "start_pim",
]

"""What the demo prints about the exchanges: what each system beside Centra now holds.

Every figure is read from the system itself (the ERP's tables, the WMS folder, Centra's GraphQL
API), not from what the product says it sent.
"""

import itertools
import os
import re
import time
from collections import Counter

import requests
from sqlalchemy import create_engine, text

from centra_pipelines.outbound.exchange import ExchangeReport
from centra_pipelines.warehouse import DuckDBWarehouse
from sandbox_systems.erp import summary as erp_summary
from sandbox_systems.go_live import Neighbours
from sandbox_systems.pim import enrichment_in_centra

TIMEOUT_SECONDS = 30
ORDER_ID_CONVERSIONS = """
query ErpDocumentNumbers($page: Int!) {
  idConversions(where: {objectType: Order}, limit: 100, page: $page) { externalId internalId }
}
"""
ORDER_NOTE = """
query SupportNote($number: Int!) {
  orders(where: {number: [$number]}) { ... on DirectToConsumerOrder { internalComment } }
}
"""


def print_exchanges(title: str, reports: list[ExchangeReport]) -> None:
    print(f"\n{title}")
    for report in reports:
        if report.skipped:
            print(f"  {report.system:<8} skipped ({report.skipped})")
        else:
            print(f"  {report.system:<8} {report.sent:>6} changes sent   run {report.run_id[:8]}")


def print_holdings(neighbours: Neighbours, centra_url: str, token: str, warehouse_path) -> None:
    print("\nWhat each system holds now:")
    _print_erp(neighbours.erp_url)
    _print_wms(neighbours)
    _print_centra(neighbours, centra_url, token)
    _print_conflicts(DuckDBWarehouse(path=str(warehouse_path)))


def _print_erp(erp_url: str) -> None:
    print("  ERP (PostgreSQL):")
    for module, parts in erp_summary(erp_url).items():
        tables = parts.items() if all(isinstance(v, dict) for v in parts.values()) else []
        for table, figures in tables:
            print(f"    {module}.{table}: {_figures(figures)}")
        if not tables:
            print(f"    {module}: {_figures(parts)}")


def _figures(figures: dict) -> str:
    return ", ".join(f"{key} {_short(value)}" for key, value in figures.items())


def _short(value) -> str:
    """Times to the second: the summary's timestamps carry microseconds and a zone."""
    return f"{value:%Y-%m-%d %H:%M:%S}" if hasattr(value, "strftime") else str(value)


def _print_wms(neighbours: Neighbours) -> None:
    outgoing = sorted((neighbours.wms_folder / "outgoing").glob("*"))
    # order-123-ab12.csv, order-update-..., order-cancel-..., return-notice-...: the kind is what
    # comes before the first number.
    kinds = Counter(re.sub(r"-\d.*", "", path.name) for path in outgoing)
    print(f"  WMS folder ({neighbours.wms_folder}): {len(outgoing)} files written")
    for kind, count in sorted(kinds.items()):
        print(f"    {kind}*: {count}")


def _print_centra(neighbours: Neighbours, centra_url: str, token: str) -> None:
    conversions = order_id_conversions(centra_url, token)
    print("  Centra (sandbox):")
    print(f"    ERP document numbers on orders (id conversions): {len(conversions)}")
    first_page, _ = neighbours.pim.store.page(updated_since=None, cursor=None, limit=1)
    for number in [product["identifier"] for product in first_page]:
        enrichment = enrichment_in_centra(centra_url, token, number)
        display = next(iter(enrichment["displays"].values()), {})
        print(f"    PIM text of {number}: {str(display.get('metaTitle'))[:60]!r}")
    tickets = neighbours.support.desk.tickets()
    for number in [t["order_number"] for t in tickets if t.get("order_number")][:1]:
        note = centra_query(centra_url, token, ORDER_NOTE, {"number": int(number)})["orders"]
        text = (note[0].get("internalComment") or "") if note else ""
        # The first line after our block's opening marker is the newest ticket.
        lines = text.splitlines()
        newest = next(
            (after for line, after in itertools.pairwise(lines) if line.startswith("---")), ""
        )
        print(f"    support note on order {number}: {newest[:80]!r}")


def _print_conflicts(warehouse: DuckDBWarehouse) -> None:
    rows = warehouse.fetch(
        "SELECT entity, field, policy, coalesce(winner, 'held'), status, count(*) "
        "FROM outbound.conflicts GROUP BY ALL ORDER BY ALL"
    )
    print("  Conflicts (outbound.conflicts): entity, field, policy, winner, status, count")
    for row in rows:
        print("    " + " | ".join(str(value) for value in row))


def unsettled_conflicts(warehouse: DuckDBWarehouse) -> list[tuple]:
    """Held conflicts other than the customers' VIP flags, which go-live leaves held on purpose.

    Rows of (entity, record key, field); any of them means a comparison that cannot settle.
    """
    return warehouse.fetch(
        "SELECT entity, record_key, field FROM outbound.conflicts WHERE status = 'held' "
        "AND NOT (entity = 'customers' AND field = 'vip') ORDER BY ALL"
    )


def order_id_conversions(url: str, token: str) -> list[dict]:
    entries, page = [], 1
    while batch := centra_query(url, token, ORDER_ID_CONVERSIONS, {"page": page})["idConversions"]:
        entries += batch
        page += 1
    return entries


def centra_query(url: str, token: str, query: str, variables: dict) -> dict:
    response = requests.post(
        url,
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT_SECONDS,
    )
    response.raise_for_status()
    return response.json()["data"]


CUSTOMER_NAME = "query CustomerName($id: Int!) { customers(where: {id: [$id]}) { firstName } }"


def show_a_conflict(sandbox, neighbours: Neighbours, run_job) -> bool:
    """A customer's first name edited in Centra, then in the ERP: newest_wins gives the ERP's.

    `run_job(name)` runs a job in this process. Returns whether both sides end with the winner.
    """
    customer_id = _linked_customer(neighbours.erp_url)
    sandbox.control.update_customer(customer_id, firstName="Anna (shop)")
    time.sleep(1.1)  # Centra keeps whole seconds; the ERP's edit must be clearly the later one
    _erp_execute(
        neighbours.erp_url,
        "UPDATE erp.customers SET first_name = 'Anna (ERP)' WHERE centra_customer_id = :id",
        id=customer_id,
    )
    print(f"\nCustomer {customer_id} renamed in Centra, then in the ERP; syncing customers:")
    run_job("centra_customers_sync")
    run_job("erp_sync")

    warehouse = DuckDBWarehouse(path=os.environ["CENTRA_WAREHOUSE_PATH"])
    for row in warehouse.fetch(
        "SELECT field, centra_value, other_value, policy, winner, status FROM outbound.conflicts "
        "WHERE record_key = ? AND field = 'first_name'",
        [f"centra:{customer_id}"],
    ):
        print("  conflict: " + " | ".join(str(value) for value in row))
    in_centra = centra_query(sandbox.url, sandbox.token, CUSTOMER_NAME, {"id": customer_id})
    centra_name = in_centra["customers"][0]["firstName"]
    erp_name = _erp_execute(
        neighbours.erp_url,
        "SELECT first_name FROM erp.customers WHERE centra_customer_id = :id",
        id=customer_id,
    )[0][0]
    print(f"  now in Centra: {centra_name!r}; in the ERP: {erp_name!r}")
    return centra_name == erp_name == "Anna (ERP)"


def _linked_customer(erp_url: str) -> int:
    rows = _erp_execute(
        erp_url,
        "SELECT min(centra_customer_id) FROM erp.customers WHERE centra_customer_id IS NOT NULL",
    )
    return rows[0][0]


def _erp_execute(url: str, sql: str, **params) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(sql), params)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()

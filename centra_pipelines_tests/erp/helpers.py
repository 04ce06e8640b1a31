"""ERP flows in tests: run them, read their metadata, read the ERP and Centra back."""

from decimal import Decimal

import dagster as dg
import requests
from sqlalchemy import create_engine, text

from centra_pipelines.erp.document_ids import (
    erp_order_document_ids_plan,
    erp_order_document_ids_sent_to_centra,
)
from centra_pipelines.erp.orders import erp_orders_plan, erp_orders_sent_to_erp
from centra_pipelines.erp.payments import erp_payments_plan, erp_payments_sent_to_erp
from centra_pipelines.erp.refunds import erp_credit_notes_plan, erp_credit_notes_sent_to_erp

# The sales flows of these tests; the ERP's other flows (customers, prices, products) have theirs.
PLAN_ASSETS = [
    erp_orders_plan,
    erp_payments_plan,
    erp_credit_notes_plan,
    erp_order_document_ids_plan,
]
SEND_ASSETS = [
    erp_orders_sent_to_erp,
    erp_payments_sent_to_erp,
    erp_credit_notes_sent_to_erp,
    erp_order_document_ids_sent_to_centra,
]

ERP_TABLES = ("sales_orders", "sales_order_lines", "payments", "credit_notes")

ID_CONVERSIONS = """
query OrderIds($page: Int!) {
  idConversions(where: {objectType: [Order]}, limit: 200, page: $page) { internalId externalId }
}
"""


def run(world, *assets) -> dg.ExecuteInProcessResult:
    """Materialize the given assets (every sales flow's when none) as one run."""
    world.warehouse.close()
    selected = list(assets) or [*PLAN_ASSETS, *SEND_ASSETS]
    return dg.materialize(
        selected, resources=world.resources(), instance=world.instance, raise_on_error=False
    )


def metadata(result, key: str) -> dict:
    materialization = result.asset_materializations_for_node(key)[0]
    return {name: value.value for name, value in materialization.metadata.items()}


def erp_rows(world, sql: str, **params) -> list[tuple]:
    engine = create_engine(world.erp_url)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(sql), params)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


def erp_counts(world) -> dict[str, int]:
    return {
        table: erp_rows(world, f"SELECT count(*) FROM erp.{table}")[0][0] for table in ERP_TABLES
    }


def row_versions(world) -> dict[str, set]:
    """Each ERP row's key and transaction id: an insert or an update changes the set."""
    return {
        table: set(erp_rows(world, f"SELECT external_id, xmin::text FROM erp.{table}"))
        for table in ERP_TABLES
    }


def by_currency(rows: list[tuple]) -> dict[str, tuple[int, Decimal]]:
    """(currency, count, sum) rows as {currency: (count, sum to the cent)}."""
    return {
        currency.strip(): (count, Decimal(total).quantize(Decimal("0.01")))
        for currency, count, total in rows
    }


def centra_order_ids(world) -> dict[int, str]:
    """Centra's ID conversions of orders for our integration, over GraphQL."""
    found, page = {}, 1
    while True:
        response = requests.post(
            world.sandbox.url,
            json={"query": ID_CONVERSIONS, "variables": {"page": page}},
            headers={"Authorization": f"Bearer {world.sandbox.token}"},
            timeout=30,
        )
        body = response.json()
        assert "errors" not in body, body["errors"]
        entries = body["data"]["idConversions"]
        found.update({entry["internalId"]: entry["externalId"] for entry in entries})
        if len(entries) < 200:
            return found
        page += 1

"""The main job exchanges with every system beside Centra: once, completely, then never again.

One sandbox, a PostgreSQL ERP, a WMS folder, the PIM and the help desk, seeded as at go-live.
A dry run of the main job plans without sending; the first real run leaves each system holding
what it should (read from the system itself); the second run sends nothing anywhere.
"""

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from centra_pipelines.centra.full_sync import run_full_sync
from centra_pipelines.definitions import defs
from centra_pipelines.outbound.systems import SYSTEMS
from centra_pipelines_tests.pipelines.conftest import WINDOW_DAYS, WINDOW_START
from centra_pipelines_tests.postgres_server import postgres_server, postgres_url  # noqa: F401
from demo.exchanges import centra_query, order_id_conversions
from demo.verify import compare_counts
from sandbox_systems.go_live import Sample, start_neighbours
from sandbox_systems.pim import enrichment_in_centra

SAMPLE = Sample(erp_customers=15, pim_products=3, support_orders=12, support_customers=4)
ORDER_NOTES = """
query Notes($numbers: [Int!]) {
  orders(where: {number: $numbers}, limit: 100) {
    number
    ... on DirectToConsumerOrder { internalComment }
  }
}
"""


@pytest.fixture
def neighbours(pipeline, postgres_url, tmp_path, monkeypatch) -> Iterator:  # noqa: F811
    sandbox = pipeline.sandbox
    with start_neighbours(
        sandbox.url, sandbox.token, erp_url=postgres_url, wms_folder=tmp_path / "wms", sample=SAMPLE
    ) as started:
        for name, value in started.environment.items():
            monkeypatch.setenv(name, value)
        yield started


def sync(pipeline, **options):
    return run_full_sync(defs, pipeline.instance, start=WINDOW_START, days=WINDOW_DAYS, **options)


def erp_count(url: str, table: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(f"SELECT count(*) FROM erp.{table}")).scalar_one()
    finally:
        engine.dispose()


def test_the_main_job_fills_every_system_once_and_a_second_run_sends_nothing(pipeline, neighbours):
    mutations_before = pipeline.sandbox.metrics()["mutations"]
    dry = sync(pipeline, dry_run=True)

    assert [report.system for report in dry.exchanges if not report.skipped] == [
        system.name for system in SYSTEMS
    ]
    assert all(report.would_send > 0 and report.sent == 0 for report in dry.exchanges)
    assert pipeline.sandbox.metrics()["mutations"] == mutations_before
    assert erp_count(neighbours.erp_url, "sales_orders") == 0
    assert list((neighbours.wms_folder / "outgoing").glob("*")) == []

    first = sync(pipeline)

    assert all(report.sent > 0 for report in first.exchanges), first.exchanges
    assert_each_system_holds_what_it_should(pipeline, neighbours)

    second = sync(pipeline)

    assert [(report.system, report.sent) for report in second.exchanges] == [
        (system.name, 0) for system in SYSTEMS
    ]
    stats = pipeline.sandbox.stats()
    assert [c for c in compare_counts(pipeline.warehouse, stats["counts"]) if not c.matches] == []


def assert_each_system_holds_what_it_should(pipeline, neighbours) -> None:
    sandbox, warehouse = pipeline.sandbox, pipeline.warehouse
    orders = pipeline.count("orders")
    refunds = pipeline.count("payments", "entry_type LIKE 'REFUND%' AND status = 'SUCCESS'")

    # ERP: every order booked, every refund credited, every Centra customer known.
    assert erp_count(neighbours.erp_url, "sales_orders") == orders
    assert erp_count(neighbours.erp_url, "credit_notes") == refunds
    assert erp_count(neighbours.erp_url, "customers") >= pipeline.count("customers")

    # Centra: the ERP's document number on every order.
    conversions = order_id_conversions(sandbox.url, sandbox.token)
    assert len(conversions) == orders

    # WMS: a fulfilment file for every open order, nothing for others.
    open_orders = {
        str(number)
        for (number,) in warehouse.fetch(
            "SELECT DISTINCT o.order_number FROM centra_raw.orders o "
            "JOIN centra_raw.order_lines l USING (order_number) "
            "WHERE o.status IN ('CONFIRMED', 'PROCESSING') AND NOT o.is_on_hold "
            "AND l.quantity > 0"
        )
    }
    written = {
        path.name.split("-")[1] for path in (neighbours.wms_folder / "outgoing").glob("order-*")
    }
    assert written and written <= open_orders

    # PIM: its SEO title on every display of every product it holds.
    first_page, _ = neighbours.pim.store.page(updated_since=None, cursor=None, limit=100)
    for record in first_page:
        shown = enrichment_in_centra(sandbox.url, sandbox.token, record["identifier"])
        titles = {display["metaTitle"] for display in shown["displays"].values()}
        assert titles == {record["seo"]["en_GB"]["title"]}, record["identifier"]

    # Help desk: every ticket about a known order is on that order.
    tickets = [t for t in neighbours.support.desk.tickets() if t.get("order_number")]
    numbers = sorted({int(t["order_number"]) for t in tickets})
    notes = {
        order["number"]: order.get("internalComment") or ""
        for order in centra_query(sandbox.url, sandbox.token, ORDER_NOTES, {"numbers": numbers})[
            "orders"
        ]
    }
    assert tickets and all(t["id"] in notes[int(t["order_number"])] for t in tickets)

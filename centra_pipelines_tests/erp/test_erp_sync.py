"""The ERP flows book exactly what the warehouse holds, and Centra learns the ERP's numbers."""

import re
from decimal import Decimal

from centra_pipelines.erp.orders import erp_orders_plan, erp_orders_sent_to_erp
from centra_pipelines.outbound.files import PLAN_CHECK
from centra_pipelines_tests.erp.helpers import (
    PLAN_ASSETS,
    by_currency,
    centra_order_ids,
    erp_counts,
    erp_rows,
    metadata,
    row_versions,
    run,
)

SEND_KEYS = (
    "erp__orders_sent_to_erp",
    "erp__payments_sent_to_erp",
    "erp__credit_notes_sent_to_erp",
    "erp__order_document_ids_sent_to_centra",
)
REFUNDS = "entry_type IN ('REFUND', 'REFUND_GIFT_CARD') AND status = 'SUCCESS'"


def warehouse_by_currency(world, sql: str) -> dict:
    return by_currency(world.warehouse.fetch(sql))


def test_one_run_books_the_warehouse_and_a_second_run_sends_nothing(world):
    first = run(world)

    assert first.success
    orders = world.warehouse.fetch("SELECT count(*) FROM centra_raw.orders")[0][0]
    refunds = world.warehouse.fetch(f"SELECT count(*) FROM centra_raw.payments WHERE {REFUNDS}")
    assert refunds[0][0] > 0, "the window should hold refunds; the test proves nothing without"
    assert erp_counts(world) == {
        "sales_orders": orders,
        "sales_order_lines": world.count("order_lines"),
        "payments": world.count("payments"),
        "credit_notes": refunds[0][0],
    }
    _assert_totals_match(world)

    documents = dict(erp_rows(world, "SELECT external_id, document_number FROM erp.sales_orders"))
    assert all(number.startswith("SO-") and len(number) == 9 for number in documents.values())
    assert len(set(documents.values())) == orders
    assert centra_order_ids(world) == {int(key): number for key, number in documents.items()}
    assert metadata(first, "erp__order_document_ids_sent_to_centra")["api/mutations"] == 2
    # Whoever is on call reads one closing line per send step, saying what it did.
    assert [sent_lines(world, first, key) for key in SEND_KEYS] == [
        [f"orders to erp: {orders} sent, 0 unchanged, 0 failed"],
        [f"payments to erp: {world.count('payments')} sent, 0 unchanged, 0 failed"],
        [f"credit_notes to erp: {refunds[0][0]} sent, 0 unchanged, 0 failed"],
        [f"order_erp_ids to centra: {orders} sent, 0 unchanged, 0 failed (2 mutations)"],
    ]

    versions, mutations = row_versions(world), world.sandbox.metrics()["mutations"]

    second = run(world)

    assert second.success
    assert row_versions(world) == versions
    assert world.sandbox.metrics()["mutations"] == mutations
    assert [metadata(second, key)["sent"] for key in SEND_KEYS] == [0, 0, 0, 0]
    assert metadata(second, "erp__orders_plan")["unchanged"] == orders


def sent_lines(world, result, step: str) -> list[str]:
    """The step's log lines that sum up what it sent."""
    return [
        entry.user_message
        for entry in world.instance.all_logs(result.run_id)
        if entry.step_key == step and re.search(r": \d+ sent, \d+ unchanged", entry.user_message)
    ]


def _assert_totals_match(world) -> None:
    erp_orders = erp_rows(
        world, "SELECT currency, count(*), sum(grand_total) FROM erp.sales_orders GROUP BY 1"
    )
    assert by_currency(erp_orders) == warehouse_by_currency(
        world, "SELECT currency, count(*), sum(grand_total) FROM centra_raw.orders GROUP BY 1"
    )
    erp_lines = erp_rows(
        world, "SELECT currency, count(*), sum(line_amount) FROM erp.sales_order_lines GROUP BY 1"
    )
    assert by_currency(erp_lines) == warehouse_by_currency(
        world, "SELECT currency, count(*), sum(line_value) FROM centra_raw.order_lines GROUP BY 1"
    )
    erp_payments = erp_rows(
        world, "SELECT currency, count(*), sum(amount) FROM erp.payments GROUP BY 1"
    )
    assert by_currency(erp_payments) == warehouse_by_currency(
        world, "SELECT currency, count(*), sum(amount) FROM centra_raw.payments GROUP BY 1"
    )
    erp_credits = erp_rows(
        world, "SELECT currency, count(*), sum(amount) FROM erp.credit_notes GROUP BY 1"
    )
    assert by_currency(erp_credits) == warehouse_by_currency(
        world,
        f"SELECT currency, count(*), sum(amount) FROM centra_raw.payments WHERE {REFUNDS} "
        "GROUP BY 1",
    )
    # The ledger amount is each order's total at its own recorded rate, rounded to the cent.
    ledger = erp_rows(world, "SELECT sum(grand_total_base) FROM erp.sales_orders")[0][0]
    expected = world.warehouse.fetch(
        "SELECT sum(round(grand_total * currency_base_rate, 2)) FROM centra_raw.orders"
    )[0][0]
    assert Decimal(ledger) == Decimal(expected)


def test_order_attributes_and_the_payment_method_reach_the_sales_order(world):
    gift = world.warehouse.fetch(
        "SELECT o.order_number, a.value FROM centra_raw.order_attribute_values a "
        "JOIN centra_raw.orders o ON a.object_id = o.order_id "
        "WHERE a.attribute_type = 'ord_gift' AND a.element_key = 'message' LIMIT 1"
    )
    number, message = gift[0]

    assert run(world, erp_orders_plan, erp_orders_sent_to_erp).success

    attributes, method = erp_rows(
        world,
        "SELECT centra_attributes, payment_method FROM erp.sales_orders WHERE external_id = :n",
        n=str(number),
    )[0]
    (gift_type,) = [entry for entry in attributes if entry["type"]["name"] == "ord_gift"]
    assert {"key": "message", "value": message}.items() <= gift_type["elements"][0].items()
    assert method in {"ADYEN", "KLARNA", "PAYPAL", "STRIPE", "QLIRO"}


def test_the_dry_run_lists_the_changes_and_writes_nothing(world):
    mutations = world.sandbox.metrics()["mutations"]

    dry = run(world, *PLAN_ASSETS)

    assert dry.success
    planned = metadata(dry, "erp__orders_plan")
    assert planned["would_send"] == world.count("orders")
    first_order = world.warehouse.fetch("SELECT min(order_number) FROM centra_raw.orders")[0][0]
    assert f"| {first_order} |" in planned["preview"]
    assert metadata(dry, "erp__payments_plan")["would_send"] == world.count("payments")
    assert set(erp_counts(world).values()) == {0}
    assert world.sandbox.metrics()["mutations"] == mutations
    assert centra_order_ids(world) == {}


def test_a_batch_the_erp_refuses_is_sent_again_alone_by_the_next_run(world):
    refused = world.warehouse.fetch("SELECT max(order_number) FROM centra_raw.orders")[0][0]
    _refuse_order(world, refused)

    first = run(world)

    assert not first.success
    assert erp_counts(world)["sales_orders"] == world.count("orders") - 1
    assert (
        erp_rows(world, "SELECT 1 FROM erp.sales_orders WHERE external_id = :n", n=str(refused))
        == []
    )
    failure = next(e for e in first.all_events if e.is_step_failure)
    assert f"order {refused}" in failure.event_specific_data.error.message

    erp_rows(world, "DROP TRIGGER refuse_order ON erp.sales_orders")
    second = run(world)

    assert second.success
    assert metadata(second, "erp__orders_sent_to_erp")["sent"] == 1
    assert metadata(second, "erp__payments_sent_to_erp")["sent"] == 0
    assert erp_counts(world)["sales_orders"] == world.count("orders")
    assert len(centra_order_ids(world)) == world.count("orders")


def _refuse_order(world, number: int) -> None:
    erp_rows(
        world,
        "CREATE FUNCTION erp.refuse_order() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF NEW.external_id = '{int(number)}' THEN RAISE EXCEPTION 'order on credit stop'; "
        "END IF; RETURN NEW; END $$",
    )
    erp_rows(
        world,
        "CREATE TRIGGER refuse_order BEFORE INSERT ON erp.sales_orders "
        "FOR EACH ROW EXECUTE FUNCTION erp.refuse_order()",
    )


def test_a_payment_with_an_unknown_method_holds_the_send(world):
    payment_id, number = world.warehouse.fetch(
        "SELECT min(payment_id), arg_min(order_number, payment_id) FROM centra_raw.payments"
    )[0]
    world.warehouse.fetch(
        "UPDATE centra_raw.payments SET payment_method = 'Cash on delivery' "
        f"WHERE payment_id = {int(payment_id)}"
    )

    result = run(world)

    checks = {c.asset_key.path[-1]: c for c in result.get_asset_check_evaluations()}
    assert not checks["payments_plan"].passed
    assert checks["payments_plan"].check_name == PLAN_CHECK
    assert "Cash on delivery" in checks["payments_plan"].metadata["reasons"].value
    assert f"payments {payment_id}" in checks["payments_plan"].metadata["reasons"].value
    assert result.asset_materializations_for_node("erp__payments_sent_to_erp") == []
    assert erp_counts(world)["payments"] == 0
    if not checks["orders_plan"].passed:
        assert f"order {number}" in checks["orders_plan"].metadata["reasons"].value

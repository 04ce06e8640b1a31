"""The example ERP can be created twice and numbers its own documents."""

from sqlalchemy import create_engine, text

from sandbox_systems.erp import create_erp, summary


def test_the_erp_is_created_idempotently_and_numbers_new_sales_orders(postgres_url):
    create_erp(postgres_url)
    create_erp(postgres_url)

    engine = create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO erp.sales_orders (external_id, centra_order_id, sales_channel, "
                "status_code, order_date, currency, grand_total, base_currency_rate, "
                "grand_total_base) VALUES "
                "('1', 'a', 'CENTRA-DTC', '20', '2026-11-01', 'SEK', 100, 0.087, 8.70), "
                "('2', 'b', 'CENTRA-DTC', '20', '2026-11-01', 'SEK', 50, 0.087, 4.35)"
            )
        )
        connection.execute(
            text("UPDATE erp.sales_orders SET grand_total = 120 WHERE external_id = '1'")
        )
        numbers = connection.execute(
            text("SELECT external_id, document_number FROM erp.sales_orders ORDER BY 1")
        ).all()
    engine.dispose()

    assert [tuple(row) for row in numbers] == [("1", "SO-000001"), ("2", "SO-000002")]
    held = summary(postgres_url)["sales"]
    assert held["sales_orders"]["rows"] == 2
    assert str(held["sales_orders"]["total_eur"]) == "13.05"
    assert held["sales_orders"]["last_document_number"] == "SO-000002"
    assert held["credit_notes"] == {"rows": 0, "total_eur": 0, "last_document_number": None}

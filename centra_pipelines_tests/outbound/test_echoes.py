"""A change the ERP made, written to Centra and announced back by Centra, is not sent back.

The real way round: the ERP edits a customer, the ERP flow writes it to Centra, the sandbox
queues a Customer event, the event queue sensor's tick runs the customer sync, and the ERP flow
then finds both sides agreeing. A run before that sync must not copy the old name Centra still
shows in the warehouse back to the ERP (docs/conflicts.md: `written_at`).
"""

from centra_pipelines.centra.automation.event_queue_sensor import SENSOR_NAME as EVENTS
from centra_pipelines_tests.automation.conftest import synced, synced_state  # noqa: F401
from centra_pipelines_tests.erp.test_customers_two_way import metadata, two_way  # noqa: F401
from centra_pipelines_tests.postgres_server import postgres_server, postgres_url  # noqa: F401

CUSTOMER = 2


def test_an_erp_customer_change_read_back_from_centra_is_not_sent_back(two_way):  # noqa: F811
    assert two_way.run().success  # the two sides agree on every customer
    two_way.sync_centra()
    driver = two_way.synced.driver
    driver.tick(EVENTS)  # sets the listeners: Centra queues what changes after this
    two_way.erp(
        "UPDATE erp.customers SET last_name = 'Lindqvist' WHERE centra_customer_id = :id",
        id=CUSTOMER,
    )

    sent = two_way.run()
    # Before the sync re-reads it, the warehouse still shows Centra's old name.
    between = two_way.run()
    two_way.synced.warehouse.close()
    landed = driver.tick(EVENTS)
    mutations = two_way.mutations()
    again = two_way.run()

    assert sent.success and between.success and again.success
    assert metadata(sent, "erp__customers_sent_to_centra")["sent"] == 1
    assert metadata(between, "erp__customers_sent_to_erp")["sent"] == 0
    assert [r.job_name for r in landed.run_requests] == ["centra_customers_sync"]
    assert landed.failed_run_ids == []
    assert two_way.centra_customer(CUSTOMER)[2] == "Lindqvist"  # the sync landed our write
    assert metadata(again, "erp__customers_plan")["would_send_to_centra"] == 0
    assert metadata(again, "erp__customers_plan")["would_send_to_erp"] == 0
    assert metadata(again, "erp__customers_sent_to_erp")["sent"] == 0
    assert two_way.mutations() == mutations

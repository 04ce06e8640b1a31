"""Help-desk tickets become notes on their Centra order or customer, once per ticket state."""

from centra_pipelines.centra.client.errors import CentraUserErrors
from centra_pipelines.centra.client.resource import CentraClient
from centra_pipelines.support.notes import BLOCK_START, ticket_ids_in
from centra_pipelines_tests.support.conftest import SupportFlow


def metadata(result, key: str) -> dict:
    materialization = result.asset_materializations_for_node(key)[0]
    return {name: value.value for name, value in materialization.metadata.items()}


def an_order(flow: SupportFlow) -> int:
    """An order no seeded ticket is about, so a test's own tickets are its only notes."""
    noted = {int(t["order_number"]) for t in flow.desk.desk.tickets() if t["order_number"]}
    rows = flow.synced.warehouse.fetch("SELECT order_number FROM centra_raw.orders ORDER BY 1")
    return next(number for (number,) in rows if number not in noted)


def a_regular(flow: SupportFlow) -> tuple[int, str]:
    """A customer the sandbox seeded with a note of its own ("Stamkund"), alone with its
    e-mail (a guest and a registered customer may share one) and without a ticket."""
    ticketed = {t["requester"]["email"] for t in flow.desk.desk.tickets()}
    rows = flow.synced.warehouse.fetch(
        "SELECT min(id), min(email) FROM centra_raw.customers GROUP BY lower(email) "
        "HAVING count(*) = 1 AND min(id) % 10 = 0 ORDER BY 1"
    )
    return next((i, email) for i, email in rows if email not in ticketed)


def test_tickets_land_on_their_order_and_customer_and_a_second_run_sends_nothing(support):
    number = an_order(support)
    customer_id, email = a_regular(support)
    on_order = support.desk.desk.add_ticket(
        subject="Where is my parcel?", summary="No tracking update.", order_number=number
    )
    on_customer = support.desk.desk.add_ticket(
        subject="Size advice", summary="M or L?", channel="chat", customer_email=email.upper()
    )

    first = support.run()

    assert first.success
    seeded = len(support.desk.desk.tickets())
    assert metadata(first, "support__tickets_sent_to_centra")["sent"] == seeded
    comment = support.order_comment(number)
    assert ticket_ids_in(comment) == [on_order["id"]]
    assert "| email | new | Where is my parcel?: No tracking update." in comment
    note = support.customer_note(customer_id)
    assert note.startswith("Stamkund\n\n" + BLOCK_START)  # the shop's own note is kept
    assert ticket_ids_in(note) == [on_customer["id"]]

    writes = len(support.writes())
    second = support.run()

    assert second.success
    reread = metadata(second, "support__tickets_plan")
    assert reread["read_since"] != "the start"  # from the high-water mark, minus the overlap
    assert 2 <= reread["fetched"] < seeded and reread["unchanged"] == reread["fetched"]
    assert metadata(second, "support__tickets_sent_to_centra")["sent"] == 0
    assert len(support.writes()) == writes


def test_an_updated_ticket_replaces_only_its_own_entry(support):
    number = an_order(support)
    support.synced.sandbox.control.update_order(number, internalComment="Call before delivery.")
    older = support.desk.desk.add_ticket(
        subject="Gift wrap", summary="Asks for gift wrap.", order_number=number
    )
    newer = support.desk.desk.add_ticket(
        subject="Invoice copy", summary="Needs a PDF invoice.", order_number=number
    )
    assert support.run().success
    before = support.order_comment(number).split("\n")

    support.desk.desk.update_ticket(older["id"], status="solved", summary="Wrapped and sent.")
    writes = len(support.writes())
    result = support.run()

    assert result.success
    assert metadata(result, "support__tickets_sent_to_centra")["sent"] == 1
    assert len(support.writes()) == writes + 1  # one mutation for the one changed ticket
    after = support.order_comment(number).split("\n")
    assert after[0] == "Call before delivery."
    assert ticket_ids_in("\n".join(after)) == [older["id"], newer["id"]]  # newest change first
    assert "| solved | Gift wrap: Wrapped and sent." in after[3]
    newer_line = next(line for line in before if f"| {newer['id']} |" in line)
    assert newer_line in after
    assert not any("Asks for gift wrap." in line for line in after)


def test_a_ticket_about_an_unknown_order_or_customer_is_held(support):
    unknown_order = support.desk.desk.add_ticket(
        subject="Late", summary="Order never came.", order_number=1
    )
    unknown_customer = support.desk.desk.add_ticket(
        subject="Hello", summary="Question.", customer_email="nobody@example.invalid"
    )

    first = support.run()

    check = first.get_asset_check_evaluations()[0]
    assert not check.passed
    assert check.metadata["held"].value == 2
    assert "order 1 is not in the warehouse" in check.metadata["reasons"].value
    assert "n***@example.invalid" in check.metadata["reasons"].value  # no address in metadata
    assert support.writes() == []  # the blocking check stopped the send

    second = support.run()

    assert second.success
    assert metadata(second, "support__tickets_plan")["still_held"] == 2
    sent = metadata(second, "support__tickets_sent_to_centra")["sent"]
    assert sent == len(support.desk.desk.tickets()) - 2
    held = support.synced.warehouse.fetch("SELECT ticket_id FROM support.held_tickets ORDER BY 1")
    assert held == sorted([(unknown_order["id"],), (unknown_customer["id"],)])


def test_a_dry_run_lists_the_notes_and_sends_nothing(support):
    number = an_order(support)
    ticket = support.desk.desk.add_ticket(
        subject="Refund status", summary="Asks about the refund.", order_number=number
    )

    result = support.run("support_dry_run")

    assert result.success
    plan = metadata(result, "support__tickets_plan")
    assert plan["would_send"] == len(support.desk.desk.tickets())
    assert plan["preview"].count(f"| Order {number} |") == 1
    assert ticket["id"] in plan["preview"]
    assert support.writes() == []
    assert support.order_comment(number) is None


def test_a_rerun_after_a_refused_write_sends_only_what_failed(support, monkeypatch):
    number = an_order(support)
    ticket = support.desk.desk.add_ticket(
        subject="Damaged", summary="Box arrived crushed.", order_number=number
    )
    real_mutate = CentraClient.mutate

    def refuse_one_order(self, mutation, *, payload_field, variables=None, **kwargs):
        if (variables or {}).get("number") == number:
            raise CentraUserErrors(
                payload_field=payload_field,
                user_errors=[{"message": "Order is locked.", "path": ["order"]}],
                user_warnings=[],
            )
        return real_mutate(self, mutation, payload_field=payload_field, variables=variables)

    with monkeypatch.context() as patch:
        patch.setattr(CentraClient, "mutate", refuse_one_order)
        first = support.run()

    assert not first.success
    assert support.order_comment(number) is None
    writes = len(support.writes())

    second = support.run()

    assert second.success
    assert metadata(second, "support__tickets_sent_to_centra")["sent"] == 1
    assert len(support.writes()) == writes + 1
    assert ticket_ids_in(support.order_comment(number)) == [ticket["id"]]

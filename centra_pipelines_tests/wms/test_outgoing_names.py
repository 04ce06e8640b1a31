"""Names of the files we write for the WMS reach the logs as written, not as card numbers."""

from itertools import count

from centra_pipelines.contracts.card_data import redact
from centra_pipelines.outbound.outbox import Change
from centra_pipelines.wms.outgoing import file_name

ORDER = "40204"


def order_change(payload: dict) -> Change:
    return Change("wms", "orders", ORDER, payload, f"order {ORDER}")


def test_a_hash_of_digits_after_an_order_number_is_not_taken_for_a_card_number():
    """Order 40204 and a hash starting with eight digits once read as one 13-digit Visa number."""
    looks_like_a_card = next(
        change
        for change in (order_change({"QTY": quantity}) for quantity in count())
        if redact(f"{ORDER}-{change.content_hash[:8]}")[1]
    )

    name = file_name("order", looks_like_a_card)

    assert redact(name) == (name, 0)
    assert name == file_name("order", order_change(looks_like_a_card.payload))  # stable


def test_no_name_the_writer_gives_is_redacted():
    for prefix in ("order", "order-update", "order-cancel", "return-notice"):
        names = [file_name(prefix, order_change({"QTY": quantity})) for quantity in range(3000)]
        assert [name for name in names if redact(name)[1]] == []

"""Bad records on request: each kind is served over HTTP, and clear_bad_records() undoes it."""

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from centra_pipelines_tests.sandbox.conftest import WINDOW_START, gql
from centra_sandbox import BAD_RECORD_KINDS, BadRecord, Sandbox, StoreError

SIZES = """query Sizes($variant: [Int!]) { productVariants(where: {id: $variant}) {
  productSizes { id SKU EAN GTIN updatedAt } } }"""
STOCK = """query Stock($warehouse: [Int!], $size: [Int!]) { warehouses(where: {id: $warehouse}) {
  stock(where: {productSizeId: $size}) {
    id physicalQuantity freeToAllocateQuantity availableQuantity updatedAt } } }"""
ORDER = """query Order($number: Int!) { order(number: $number) { ... on DirectToConsumerOrder {
  number orderDate updatedAt otherComment market { id }
  grandTotal { value formattedValue currency { code } }
  totals { itemsSubtotal { value } shipping { value } handling { value } discounts { value }
           grandTotal { value } }
  lines { id taxPercent lineValue { value currency { code } } }
  paymentHistory { id externalReference paramsJSON value { currency { code } } }
  customer { id updatedAt billingAddress { address2 } } } } }"""
CUSTOMER = """query Customer($id: [Int!]) { customers(where: {id: $id}) {
  id updatedAt billingAddress { address2 } } }"""
KINDS = (*BAD_RECORD_KINDS, "card_data")


def _plant(sandbox: Sandbox, kind: str, **arguments) -> list[BadRecord]:
    result = getattr(sandbox.control, kind)(**arguments)
    return result.records if kind == "card_data" else result


def _order(sandbox: Sandbox, number: int) -> dict:
    return gql(sandbox, ORDER, {"number": number})["order"]


def _size(sandbox: Sandbox, record: BadRecord) -> list[dict]:
    variant = record.locator["productVariant"]
    sizes = gql(sandbox, SIZES, {"variant": [variant]})["productVariants"][0]["productSizes"]
    return [size for size in sizes if size["id"] == record.locator["productSize"]]


def _stock(sandbox: Sandbox, record: BadRecord) -> dict:
    variables = {
        "warehouse": [record.locator["warehouse"]],
        "size": [record.locator["productSize"]],
    }
    return gql(sandbox, STOCK, variables)["warehouses"][0]["stock"][0]


def _order_field(order: dict, record: BadRecord):
    if record.field == "grandTotal.currency.code":
        return order["grandTotal"]["currency"]["code"]
    if record.field == "grandTotal.value":
        return Decimal(str(order["grandTotal"]["value"])).quantize(Decimal("0.01"))
    if record.field == "lines.id":
        return tuple(
            line["id"] for line in order["lines"] if line["id"] == record.locator["orderLine"]
        )
    if record.field == "lines.taxPercent":
        line_id = record.locator["orderLine"]
        return next(line["taxPercent"] for line in order["lines"] if line["id"] == line_id)
    return order[record.field]


def served(sandbox: Sandbox, record: BadRecord) -> tuple:
    """(value the API serves for the record's field, updatedAt of the object it touched)."""
    if record.entity == "ProductSize":
        size = _size(sandbox, record)[0]
        return size[record.field], size["updatedAt"]
    if record.entity == "ProductVariant":
        sizes = _size(sandbox, record)
        return tuple(size["id"] for size in sizes), sizes[0]["updatedAt"]
    if record.entity == "Stock":
        row = _stock(sandbox, record)
        return row[record.field], row["updatedAt"]
    if record.entity == "Customer":
        customer = gql(sandbox, CUSTOMER, {"id": [record.id]})["customers"][0]
        return customer["billingAddress"]["address2"], customer["updatedAt"]
    order = _order(sandbox, record.locator["order"])
    if record.entity == "PaymentHistoryEntry":
        entries = {entry["id"]: entry for entry in order["paymentHistory"]}
        return entries[record.id][record.field], order["updatedAt"]
    return _order_field(order, record), order["updatedAt"]


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _card_numbers(text: str) -> list[str]:
    return [re.sub(r"\D", "", match) for match in re.findall(r"\d(?:[ -]?\d){15}", text)]


@pytest.mark.parametrize("kind", KINDS)
def test_bad_value_is_served_and_cleared_without_changing_counts(make_sandbox, kind):
    """Every kind reaches the wire through GraphQL and is undone by clear_bad_records()."""
    sandbox = make_sandbox()
    counts = sandbox.stats()["counts"]

    records = _plant(sandbox, kind)
    planted = [served(sandbox, record) for record in records]
    planted_counts = sandbox.stats()["counts"]
    cleared = sandbox.control.clear_bad_records()
    fixed = [served(sandbox, record) for record in records]

    assert records and cleared == records
    for record, (bad, bad_at), (good, good_at) in zip(records, planted, fixed, strict=True):
        assert bad == record.value, record
        # The fix is a change as well, so incremental syncs pick the repaired object up.
        if record.field == "updatedAt":
            assert _moment(good) > record.original
        else:
            assert good == record.original, record
            assert _moment(good_at) > _moment(bad_at), record
    assert planted_counts == counts
    assert sandbox.stats()["counts"] == counts


@pytest.mark.parametrize("kind", KINDS)
def test_each_call_bumps_updated_at_of_the_touched_object(make_sandbox, kind):
    """A planted record is a change: incremental syncs that filter on updatedAt must see it."""
    sandbox = make_sandbox()
    reference = make_sandbox()

    records = [r for r in _plant(sandbox, kind) if r.field != "updatedAt"]

    for record in records:
        assert _moment(served(sandbox, record)[1]) > _moment(served(reference, record)[1])


def test_null_sku_nulls_only_the_sku(make_sandbox):
    sandbox = make_sandbox()

    (record,) = sandbox.control.null_sku()

    size = _size(sandbox, record)[0]
    assert record.entity == "ProductSize" and record.field == "SKU"
    assert size["SKU"] is None
    assert size["EAN"] and record.original.startswith("P")


def test_negative_stock_keeps_the_digest_identities(make_sandbox):
    sandbox = make_sandbox()

    physical, free = sandbox.control.negative_stock(warehouse_id=2)

    row = _stock(sandbox, physical)
    assert (physical.field, free.field) == ("physicalQuantity", "freeToAllocateQuantity")
    assert physical.locator["warehouse"] == 2
    assert row["physicalQuantity"] == -3 < 0
    assert row["freeToAllocateQuantity"] == free.value < 0
    assert row["availableQuantity"] < 0


def test_unknown_currency_reaches_every_money_field_of_the_order(make_sandbox):
    sandbox = make_sandbox()

    (record,) = sandbox.control.unknown_currency()

    order = _order(sandbox, record.id)
    assert order["grandTotal"]["currency"]["code"] == "XXQ"
    assert order["grandTotal"]["formattedValue"].endswith(" XXQ")
    assert {line["lineValue"]["currency"]["code"] for line in order["lines"]} == {"XXQ"}
    assert {entry["value"]["currency"]["code"] for entry in order["paymentHistory"]} == {"XXQ"}
    assert record.original in {"SEK", "EUR", "NOK", "GBP", "USD"}


def test_malformed_date_ignores_format_and_is_found_by_updated_at(make_sandbox):
    """The stored time moves on, so an updatedAt filter finds the order it cannot parse."""
    sandbox = make_sandbox()
    query = """query Changed($number: Int!, $from: DateTimeTz!) {
      orders(where: {number: [$number], updatedAt: {from: $from}}) {
        number updatedAt(format: "U") } }"""

    (record,) = sandbox.control.malformed_date()

    later = datetime.fromtimestamp(record.original.timestamp() + 1, UTC).isoformat()
    assert gql(sandbox, query, {"number": record.id, "from": later})["orders"] == [
        {"number": record.id, "updatedAt": "2026-13-45 25:61"}
    ]


def test_duplicated_id_lists_size_and_line_twice(make_sandbox):
    sandbox = make_sandbox()

    size, line = sandbox.control.duplicated_id()

    assert (size.entity, size.field) == ("ProductVariant", "productSizes.id")
    assert [s["id"] for s in _size(sandbox, size)] == [size.locator["productSize"]] * 2
    order = _order(sandbox, line.id)
    ids = [entry["id"] for entry in order["lines"]]
    assert ids.count(line.locator["orderLine"]) == 2
    assert len(set(ids)) == len(ids) - 1


def test_totals_mismatch_is_visible_against_the_components(make_sandbox):
    sandbox = make_sandbox()

    (record,) = sandbox.control.totals_mismatch()

    totals = _order(sandbox, record.id)["totals"]
    parts = [Decimal(str(totals[name]["value"])) for name in ("itemsSubtotal", "shipping")]
    extra = [Decimal(str(totals[name]["value"])) for name in ("handling", "discounts")]
    expected = parts[0] + parts[1] + extra[0] - extra[1]
    assert Decimal(str(totals["grandTotal"]["value"])) - expected == Decimal("13.37")
    assert record.value - record.original == Decimal("13.37")


def test_wrong_type_puts_letters_in_ean_and_250_in_tax_percent(make_sandbox):
    sandbox = make_sandbox()

    ean, tax = sandbox.control.wrong_type()

    size = _size(sandbox, ean)[0]
    assert size["EAN"] == size["GTIN"] == "ABC-NOT-AN-EAN"
    order = _order(sandbox, tax.id)
    line = next(line for line in order["lines"] if line["id"] == tax.locator["orderLine"])
    assert line["taxPercent"] == 250.0


def test_card_data_plants_luhn_valid_numbers_cvv_and_expiry(make_sandbox):
    sandbox = make_sandbox()

    planted = sandbox.control.card_data()

    order = _order(sandbox, planted.order_number)
    entry = next(e for e in order["paymentHistory"] if e["id"] == planted.payment_id)
    customer = gql(sandbox, CUSTOMER, {"id": [planted.customer_id]})["customers"][0]
    assert order["customer"]["id"] == planted.customer_id
    texts = (
        order["otherComment"],
        customer["billingAddress"]["address2"],
        entry["externalReference"],
        entry["paramsJSON"],
    )
    for text in texts:
        numbers = _card_numbers(text)
        assert numbers and all(_luhn_valid(number) for number in numbers), text
    raw = json.loads(entry["paramsJSON"])["raw"]
    assert (raw["cvv"], raw["expiry"]) == ("123", "12/29")
    assert {r.entity for r in planted.records} == {"Order", "Customer", "PaymentHistoryEntry"}


def test_orders_default_to_the_first_day_and_follow_day_and_market(make_sandbox):
    sandbox = make_sandbox()
    day = date(2026, 11, 3)

    default = sandbox.control.totals_mismatch(count=2)
    targeted = sandbox.control.unknown_currency(day=day, market_id=1)

    for record, expected_day in ((default[0], WINDOW_START), (default[1], WINDOW_START)):
        order_date = _moment(_order(sandbox, record.id)["orderDate"]).astimezone(UTC)
        assert order_date.date() == expected_day
    order = _order(sandbox, targeted[0].id)
    assert _moment(order["orderDate"]).astimezone(UTC).date() == day
    assert order["market"]["id"] == 1


def test_kinds_take_disjoint_records_and_the_same_ones_every_time(make_sandbox):
    """Each bad row has one reason to be rejected; the same calls spoil the same rows."""
    first, second = make_sandbox(), make_sandbox()

    runs = [[_plant(sb, kind) for kind in KINDS] for sb in (first, second)]

    assert runs[0] == runs[1]
    per_kind = [
        {
            (key, r.locator[key])
            for r in records
            for key in ("order", "productSize", "customer")
            if key in r.locator
        }
        for records in runs[0]
    ]
    touched = [item for items in per_kind for item in items]
    assert len(touched) == len(set(touched))
    assert ("order", 39790) not in touched  # the digest's examples stay verbatim
    assert ("productSize", 101) not in touched and ("customer", 1) not in touched


def test_running_out_of_records_says_what_to_change(make_sandbox):
    sandbox = make_sandbox()

    with pytest.raises(StoreError, match="untouched DTC orders dated 2026-11-01"):
        sandbox.control.unknown_currency(count=10_000)
    with pytest.raises(StoreError, match="stock rows in warehouse 99"):
        sandbox.control.negative_stock(warehouse_id=99)
    with pytest.raises(StoreError, match="count must be 1 or more"):
        sandbox.control.null_sku(count=0)


def test_the_same_records_are_spoiled_again_after_a_fix(make_sandbox):
    sandbox = make_sandbox()
    (first,) = sandbox.control.totals_mismatch()
    sandbox.control.clear_bad_records()

    again = sandbox.control.totals_mismatch()
    sandbox.control.clear_bad_records()

    assert again == [first]
    assert served(sandbox, first)[0] == first.original

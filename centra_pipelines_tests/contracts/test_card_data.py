"""The PCI guard finds card data wherever it sits, and leaves look-alikes alone."""

import io
import json
import logging
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from centra_pipelines.contracts.card_data import (
    CARD_DATA_MARK,
    CARD_NUMBER_MARK,
    CardDataGuardError,
    CardDataRedactingFilter,
    Span,
    find_card_numbers,
    guard_row,
    install_log_redaction,
    is_blocked_field,
    redact,
)

VISA = "4111111111111111"
# Test numbers published by the card networks; all pass Luhn.
NETWORK_TEST_NUMBERS = [
    "378282246310005",  # Amex, 15 digits
    "5555555555554444",  # Mastercard
    "2223000048400011",  # Mastercard 2-series
    "6011111111111117",  # Discover
    "4222222222222",  # legacy 13-digit Visa
]
# GS1-valid EAN-13 codes. The first fails Luhn, the second passes Luhn but has no card prefix,
# the third passes Luhn and starts like a Visa number.
EAN_FAILING_LUHN = "4006381333931"
EAN_WITHOUT_CARD_PREFIX = "7301234561095"
EAN_LIKE_VISA = "4001234560021"


def luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def test_the_look_alike_fixtures_are_what_they_claim():
    """Guards the other tests: each look-alike must be Luhn-valid where it claims to be."""
    assert not luhn(EAN_FAILING_LUHN)
    assert luhn(EAN_WITHOUT_CARD_PREFIX) and luhn(EAN_LIKE_VISA)
    assert luhn("20261101120008") and luhn("0046701234505") and luhn("1767225600009")
    assert all(luhn(number) for number in [VISA, *NETWORK_TEST_NUMBERS])


@pytest.mark.parametrize("text", ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111"])
def test_a_card_number_is_found_in_every_spacing(text):
    found = find_card_numbers(f"paid with {text}, thanks")

    assert found == [Span(10, 10 + len(text))]


@pytest.mark.parametrize("number", NETWORK_TEST_NUMBERS)
def test_every_network_prefix_is_recognised(number):
    assert redact(f"card {number}") == (f"card {CARD_NUMBER_MARK}", 1)


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111112",  # 16 digits, Luhn fails
        "order 0123456789abcdef0123456789abcdef",
        "order 4111111111111111abcdefabcdefabcd",  # 32-hex id with a Luhn-valid run inside
        "id 41111111-1111-1111-abcd-ef0123456789",  # a UUID whose first groups pass Luhn
        "placed 2026-11-01T12:00:00Z, paid 2026-11-01 12:00:05.123456+00:00",
        "batch 20261101120008",  # compact timestamp, Luhn-valid, 2026 is no card prefix
        "call +46 70 123 45 67 or 0046 70 123 45 05",  # the second is 13 Luhn-valid digits
        f"EAN {EAN_FAILING_LUHN}",
        f"EAN {EAN_WITHOUT_CARD_PREFIX}",
        "order 1000123, epoch 1767225600009",
        "41111111111111111111111",  # 23 unbroken digits: no window is cut out of it
    ],
)
def test_look_alikes_are_kept(text):
    assert find_card_numbers(text) == []
    assert redact(text) == (text, 0)


def test_a_13_digit_barcode_with_a_visa_prefix_counts_in_free_text_but_not_in_an_ean_field():
    """In free text a Luhn-valid code starting with 4 cannot be told from a legacy Visa number."""
    assert redact(f"EAN {EAN_LIKE_VISA}") == (f"EAN {CARD_NUMBER_MARK}", 1)

    row = {"ean": EAN_LIKE_VISA, "comment": f"EAN {EAN_LIKE_VISA}"}
    cleaned, removed = guard_row(row)

    assert cleaned == {"ean": EAN_LIKE_VISA, "comment": f"EAN {CARD_NUMBER_MARK}"}
    assert removed == 1


def test_a_card_number_in_an_ean_field_is_still_removed():
    assert guard_row({"ean": VISA}) == ({"ean": CARD_NUMBER_MARK}, 1)


def test_a_number_glued_to_ordinary_letters_is_found():
    assert redact(f"kortnr{VISA}") == (f"kortnr{CARD_NUMBER_MARK}", 1)


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1111 12/29 123",
        "4111 1111 1111 1111, exp 12/2029, cvv 123",
        "4111111111111111 CVC: 123 12-29",
    ],
)
def test_security_code_and_expiry_next_to_a_number_are_removed(text):
    cleaned, removed = redact(f"card: {text}. Thanks")

    assert cleaned.count(CARD_NUMBER_MARK) == 1 and cleaned.count(CARD_DATA_MARK) == 2
    assert removed == 3
    assert not any(part in cleaned for part in ("123", "12/29", "12-29", "2029"))
    assert cleaned.startswith("card: ") and cleaned.endswith(". Thanks")


def test_a_short_number_after_other_text_is_kept():
    assert redact("4 items, 123 Main Street") == ("4 items, 123 Main Street", 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"cvv": "123"}', f'{{"cvv": "{CARD_DATA_MARK}"}}'),
        ("cvc=123&x=1", f"cvc={CARD_DATA_MARK}&x=1"),
        ("'securityCode': '1234'", f"'securityCode': '{CARD_DATA_MARK}'"),
        ('"expiryDate": "12/29"', f'"expiryDate": "{CARD_DATA_MARK}"'),
        (
            '"exp_month": 12, "exp_year": 2029',
            f'"exp_month": {CARD_DATA_MARK}, "exp_year": {CARD_DATA_MARK}',
        ),
    ],
)
def test_card_data_keys_lose_their_values_without_a_number_nearby(text, expected):
    cleaned, removed = redact(text)

    assert cleaned == expected
    assert removed == expected.count(CARD_DATA_MARK)


def test_a_key_that_only_starts_like_a_card_key_is_kept():
    text = '{"expected": "12", "express": 1, "cvr": "123"}'

    assert redact(text) == (text, 0)


def test_a_json_payload_is_cleaned_and_stays_json():
    payload = json.dumps({"card": VISA, "cvv": "123", "expiry": "12/29", "amount": 100})

    cleaned, removed = guard_row({"payload": payload})

    assert json.loads(cleaned["payload"]) == {
        "card": CARD_NUMBER_MARK,
        "cvv": None,
        "expiry": None,
        "amount": 100,
    }
    assert removed == 3


def test_the_same_payload_as_plain_text_is_cleaned_too():
    cleaned, removed = redact(f'{{"card": "{VISA}", "cvv": "123", "expiry": "12/29"}}')

    assert cleaned == (
        f'{{"card": "{CARD_NUMBER_MARK}", "cvv": "{CARD_DATA_MARK}", "expiry": "{CARD_DATA_MARK}"}}'
    )
    assert removed == 3


@pytest.mark.parametrize(
    "name",
    ["paramsJSON", "params_json", "raw_psp_payload", "card_number", "PAN", "cvv", "CVC", "expiry"],
)
def test_a_blocked_field_is_never_stored(name):
    row = {"id": 7, name: '{"status": "ok"}'}

    cleaned, removed = guard_row(row)

    assert is_blocked_field(name)
    assert cleaned == {"id": 7, name: None}
    assert removed == 1


@pytest.mark.parametrize("name", ["paramsJSON", "cardNumber", "security_code", "expMonth"])
def test_a_blocked_key_inside_a_json_text_is_dropped(name):
    cleaned, removed = guard_row({"attributes": json.dumps({name: "x", "note": "ok"})})

    assert json.loads(cleaned["attributes"]) == {name: None, "note": "ok"}
    assert removed == 1


def test_order_comment_address_and_payment_reference_are_cleaned():
    row = {
        "order_comment": f"Please charge {VISA} exp 12/29",
        "address": {"street": "Storgatan 1", "line2": "c/o 5555 5555 5555 4444", "zip": "11122"},
        "payments": [{"reference": f"psp-ref {VISA}", "method": "card"}],
    }

    cleaned, removed = guard_row(row)

    assert cleaned["order_comment"] == f"Please charge {CARD_NUMBER_MARK} exp {CARD_DATA_MARK}"
    assert cleaned["address"] == {
        "street": "Storgatan 1",
        "line2": f"c/o {CARD_NUMBER_MARK}",
        "zip": "11122",
    }
    assert cleaned["payments"] == [{"reference": f"psp-ref {CARD_NUMBER_MARK}", "method": "card"}]
    assert removed == 4


def test_a_card_number_stored_as_an_integer_is_removed_but_ids_are_kept():
    row = {
        "number": int(VISA),
        "as_float": float(VISA),
        "order_number": 1000123,
        "epoch_ms": 1767225600009,
    }

    cleaned, removed = guard_row(row)

    assert cleaned == {
        "number": None,
        "as_float": None,
        "order_number": 1000123,
        "epoch_ms": 1767225600009,
    }
    assert removed == 2


def test_a_clean_row_comes_back_equal_with_the_same_values():
    row = {
        "order_number": 1000123,
        "total": Decimal("10.10"),
        "placed_at": datetime(2026, 11, 1, 12, tzinfo=UTC),
        "partition_date": date(2026, 11, 1),
        "is_test": False,
        "comment": "leave at the door",
        "order_id": "0123456789abcdef0123456789abcdef",
        "lines": [{"sku": "A-1", "qty": 2}],
        "attributes": '{"gift": true}',
        "voucher": None,
    }

    cleaned, removed = guard_row(row)

    assert removed == 0
    assert cleaned == row and cleaned is not row
    assert all(cleaned[name] is value for name, value in row.items())


def test_an_opaque_value_holding_a_number_is_refused_without_echoing_it():
    with pytest.raises(CardDataGuardError) as raised:
        guard_row({"blob": VISA.encode()})

    assert "blob" in str(raised.value)
    assert VISA not in str(raised.value) and "1111" not in str(raised.value)


def capture(logger: logging.Logger) -> io.StringIO:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return stream


@pytest.fixture
def logger():
    logger = logging.getLogger("card_data_test")
    yield logger
    logger.handlers.clear()
    logger.filters.clear()


def test_the_filter_redacts_a_number_passed_as_an_argument(logger):
    stream = capture(logger)
    logger.addFilter(CardDataRedactingFilter())

    logger.info("customer wrote %s", f"my card is {VISA} cvv 123")
    logger.info("order %d ok", 1000123)

    assert stream.getvalue().splitlines() == [
        f"customer wrote my card is {CARD_NUMBER_MARK} cvv {CARD_DATA_MARK}",
        "order 1000123 ok",
    ]


def test_the_filter_redacts_a_number_in_the_message_and_in_a_traceback(logger):
    stream = capture(logger)
    logger.addFilter(CardDataRedactingFilter())

    logger.info(f"raw {VISA}")
    try:
        raise ValueError(f"bad value {VISA}")
    except ValueError:
        logger.exception("failed")

    assert VISA not in stream.getvalue()
    assert stream.getvalue().startswith(f"raw {CARD_NUMBER_MARK}\nfailed\n")
    assert f"ValueError: bad value {CARD_NUMBER_MARK}" in stream.getvalue()


def test_the_filter_drops_arguments_that_do_not_fit_the_message(logger):
    stream = capture(logger)
    logger.addFilter(CardDataRedactingFilter())

    logger.info("two %s %s", VISA)

    assert VISA not in stream.getvalue()
    assert "log arguments dropped" in stream.getvalue()


@pytest.fixture
def restore_record_factory():
    factory = logging.getLogRecordFactory()
    yield
    logging.setLogRecordFactory(factory)


def test_installed_redaction_covers_child_loggers_and_later_handlers(restore_record_factory):
    """A filter on `centra_pipelines` alone would miss records from its children."""
    install_log_redaction()
    child = logging.getLogger("centra_pipelines.card_data_test.child")
    outside = logging.getLogger("card_data_test_outside")
    child_stream, outside_stream = capture(child), capture(outside)

    try:
        child.info("paid with %s", VISA)
        outside.info("paid with %s", VISA)
    finally:
        child.handlers.clear()
        outside.handlers.clear()

    assert child_stream.getvalue() == f"paid with {CARD_NUMBER_MARK}\n"
    assert outside_stream.getvalue() == f"paid with {VISA}\n"


def test_installing_twice_wraps_the_factory_once(restore_record_factory):
    install_log_redaction(["first_tree"])
    factory = logging.getLogRecordFactory()

    install_log_redaction(["second_tree"])
    record = logging.getLogRecordFactory()("second_tree.x", logging.INFO, "", 0, VISA, (), None)

    assert logging.getLogRecordFactory() is factory
    assert record.getMessage() == CARD_NUMBER_MARK


def test_records_built_by_make_log_record_pass_through_the_factory():
    """logging.makeLogRecord calls the factory with no logger name; that must not raise."""
    install_log_redaction(("centra_pipelines",))

    record = logging.makeLogRecord({"name": "centra_pipelines.x", "msg": "plain"})

    assert record.getMessage() == "plain"


# Found by a tester: Luhn-valid numbers that the guard used to store raw.
SEPARATED_NUMBERS = [
    "4101  1111  1111  1113",
    "4101\t1111\t1111\t1113",
    "4101\n1111\n1111\n1113",
    "4101\r\n1111\r\n1111\r\n1113",
    "4101\u00a01111\u00a01111\u00a01113",
    "4101\u200b1111\u200b1111\u200b1113",
    "4101/1111/1111/1113",
    "4101,1111,1111,1113",
    "4101_1111_1111_1113",
    "4101.1111.1111.1113",
    "4101 - 1111 - 1111 - 1113",
    "4101\u20131111\u20131111\u20131113",
    "4101-1111 1111.1113",
    "4101  1111/1111_1113",
    "3782 822463 10005",
    "3782  822463  10005",
]


def test_the_tester_numbers_pass_luhn():
    """Guards the tests below: each number must be a card number, or fail only as a whole."""
    numbers = ["4101111111111113", "4108111111111116", "4109111111111115", "378282246310005"]
    assert all(luhn(number) for number in numbers)
    assert not luhn(f"{VISA}123") and luhn("4006381333931") is False


@pytest.mark.parametrize("text", SEPARATED_NUMBERS)
def test_a_number_split_by_any_common_separator_is_found(text):
    cleaned, removed = redact(f"kort: {text} tack")

    assert (cleaned, removed) == (f"kort: {CARD_NUMBER_MARK} tack", 1)
    assert guard_row({"comment": text}) == ({"comment": CARD_NUMBER_MARK}, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4108111111111116abc", f"{CARD_NUMBER_MARK}abc"),
        ("cafe4109111111111115", f"cafe{CARD_NUMBER_MARK}"),
        (f"pan:{VISA}e", f"pan:{CARD_NUMBER_MARK}e"),
        (f"ref {VISA}ABCDEF", f"ref {CARD_NUMBER_MARK}ABCDEF"),
        # 32 hex characters, but not lower case: no id of the known shape.
        (f"{VISA}ABCDEFABCDEFABCD", f"{CARD_NUMBER_MARK}ABCDEFABCDEFABCD"),
    ],
)
def test_a_number_glued_to_hex_letters_is_found(text, expected):
    """Only a whole 32-hex token or a UUID is an identifier; other hex-looking text is searched."""
    assert redact(text) == (expected, 1)


@pytest.mark.parametrize("code", ["123", "1234"])
def test_a_number_with_its_security_code_glued_on_is_removed_whole(code):
    assert redact(f"card {VISA}{code} ok") == (f"card {CARD_NUMBER_MARK} ok", 1)
    assert guard_row({"number": int(f"{VISA}{code}")}) == ({"number": None}, 1)


def test_a_number_with_its_expiry_glued_on_is_removed_whole():
    assert redact(f"{VISA}1229") == (CARD_NUMBER_MARK, 1)


@pytest.mark.parametrize(
    "text",
    [
        "ref 50000000000000012345",  # 20 digits: neither its first 17 nor its first 16 pass
        "41111111111111111111111",  # 23 digits: longer than a number with a code
        "sscc 340123450000000005",  # an 18-digit shipping code whose 14- and 15-digit heads fail
    ],
)
def test_a_long_reference_without_a_number_at_its_head_is_kept(text):
    assert redact(text) == (text, 0)


@pytest.mark.parametrize(
    "payload",
    [
        ' {"n":"\\u0034111111111111111"}',
        '\n  {"n": "4111111111111111"}',
        '[{"n": "\\u0034\\u0031\\u0031\\u0031111111111111"}]',
    ],
)
def test_json_with_leading_whitespace_or_escaped_digits_is_read(payload):
    cleaned, removed = guard_row({"attributes": payload})

    assert removed == 1
    assert CARD_NUMBER_MARK in json.dumps(json.loads(cleaned["attributes"]))
    assert "111111" not in cleaned["attributes"]


def test_an_escaped_digit_in_plain_text_is_read_too():
    assert redact('log {"n":"\\u0034111111111111111"}') == (f'log {{"n":"{CARD_NUMBER_MARK}"}}', 1)


def test_escaped_text_without_a_number_comes_back_as_it_was():
    text = 'note "\\u0041\\u0042" and order 1000123, epoch 1767225600009'

    assert redact(text) == (text, 0)


@pytest.mark.parametrize(
    "number",
    [
        "\uff14" + "\uff11" * 15,
        "\uff14\uff11\uff11\uff11\u3000\uff11\uff11\uff11\uff11\u3000\uff11\uff11\uff11\uff11\u3000"
        "\uff11\uff11\uff11\uff11",
        "\u0664\u0661\u0661\u0661111111111111",  # Arabic-Indic digits
    ],
)
def test_digits_of_other_widths_and_scripts_are_found_and_the_text_around_kept(number):
    text = f"Åsa: {number} ｔａｃｋ"

    assert redact(text) == (f"Åsa: {CARD_NUMBER_MARK} ｔａｃｋ", 1)
    assert find_card_numbers(text) == [Span(5, 5 + len(number))]


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        (f"{VISA}, security code is 987, valid until 11/28", 2),
        (f"{VISA} CVV code: 123", 1),
        (f"{VISA} cvc, 123, expires: 11/2028", 2),
        (f"{VISA} valid thru 11-28 CID 1234", 2),
        (f"{VISA}, good through 11/28", 1),
    ],
)
def test_security_code_and_expiry_spoken_after_a_number_are_removed(text, codes):
    cleaned, removed = redact(f"my card: {text}.")

    assert removed == 1 + codes and cleaned.count(CARD_DATA_MARK) == codes
    assert not any(value in cleaned for value in ("987", "123", "1234", "11/28", "11-28", "2028"))
    assert cleaned.startswith(f"my card: {CARD_NUMBER_MARK}") and cleaned.endswith(".")


def test_a_sentence_after_a_number_keeps_its_later_numbers():
    text = f"{VISA} is mine, order 39790 line 6075 qty 9"

    assert redact(text) == (f"{CARD_NUMBER_MARK} is mine, order 39790 line 6075 qty 9", 1)


LEGITIMATE_VALUES = [
    "EAN 4006381333931 size M",
    "20261101120000",
    "2026-11-01T12:00:00+01:00",
    "2026-11-01",
    "+46 70 123 45 67",
    "+46701234567",
    "114 55",
    "Storgatan 12\n114 55 Stockholm",
    "SE45 5000 0000 0583 9825 7466",
    "SE4550000000058398257466",
    "1Z999AA10123456784",
    "1234567890123.45",
    "1764547200000",
    "1497ccf644db871e1e4026d101bde6f3",
    "order 4111111111111111abcdefabcdefabcd",
    "41111111-1111-1111-abcd-ef0123456789",
    "6F9619FF-8B86-D011-B42D-00C04FC96411",
    "size 38 40 42 44",
    "sizes 36  38  40  42  44  46  48  50",
    "order 39790 line 6075 qty 9",
    "070 123 45 67, 070 765 43 21",
    "31.12.2026, 01.01.2027, 02.01.2027",
    "4599.00, 3299.00, 5499.00",
    "4599.00,3299.00,5499.00",
    "12,345,678,901,234,567",
    "orders 39790, 41234, 45002, 47001",
    "2026-11-01 12:00:00, 2026-11-02 12:00:00",
    "Åsa Öberg, 114\u00a055 Stockholm, +46\u00a070\u00a0123\u00a045\u00a067",
]


@pytest.mark.parametrize("text", LEGITIMATE_VALUES)
def test_legitimate_values_survive(text):
    assert find_card_numbers(text) == []
    assert redact(text) == (text, 0)
    assert guard_row({"comment": text}) == ({"comment": text}, 0)


def test_an_ean_field_keeps_its_barcode():
    row = {"ean": EAN_FAILING_LUHN, "gtin": EAN_LIKE_VISA, "epoch_ms": 1764547200000}

    assert guard_row(row) == (row, 0)


def test_a_payment_row_keeps_its_identifiers():
    row = {
        "iban": "SE45 5000 0000 0583 9825 7466",
        "tracking": "1Z999AA10123456784",
        "amount": "1234567890123.45",
        "order_id": "1497ccf644db871e1e4026d101bde6f3",
        "placed_at": "2026-11-01T12:00:00+01:00",
        "phone": "+46 70 123 45 67",
    }

    assert guard_row(row) == (row, 0)


def test_an_iban_shape_with_a_wrong_check_is_searched():
    """Only a valid IBAN is exempt, so a card number cannot hide behind two letters and digits."""
    assert redact("XX00 4111 1111 1111 1111") == (f"XX00 {CARD_NUMBER_MARK}", 1)


@pytest.mark.parametrize(
    "text",
    [
        "41  11  11  11  11  11  11  11",  # groups too short for the looser separators
        "4111, 1111, 1111, 1111",  # a comma and a space separate list items
        "4111.  1111.  1111.  1111",  # a full stop and a space end a sentence
        "4111     1111     1111     1111",  # aligned columns, more than three spaces apart
    ],
)
def test_loose_joins_need_card_shaped_groups(text):
    assert find_card_numbers(text) == []

"""Each rule converts exactly, and every value that cannot be delivered becomes a problem."""

import copy
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from centra_pipelines.mapping import MappingProblem, apply, apply_many, load_mappings
from centra_pipelines.mapping.rules import Mapping

CENTRA_ATTRIBUTES = [
    {
        "type": {"name": "pr_long_name", "isMapped": False},
        "description": "Long name",
        "objectType": "Order",
        "elements": [{"key": "text", "description": "Text", "kind": "INPUT", "value": "Gift"}],
    },
    {
        "type": {"name": "sh_swatch", "isMapped": True},
        "description": "Swatch",
        "objectType": "Order",
        "elements": [
            {"key": "desc", "kind": "INPUT", "value": "Navy"},
            {"key": "image", "kind": "IMAGE", "url": "https://cdn.example/n.png", "width": 40},
        ],
    },
]


def mapping(*fields: dict, direction: str = "to_system", **extra) -> Mapping:
    document = {"system": "erp", "entity": "orders", "direction": direction, **extra}
    return Mapping.model_validate({"fields": list(fields), **document})


def mapped(rule: dict, record: dict, direction: str = "to_system"):
    return apply(mapping({"target": "out", **rule}, direction=direction), record)


def value_of(rule: dict, record: dict, direction: str = "to_system"):
    result = mapped(rule, record, direction)
    assert result.problems == []
    return result.values["out"]


def only_problem(rule: dict, record: dict, direction: str = "to_system") -> MappingProblem:
    result = mapped(rule, record, direction)
    assert "out" not in result.values
    (problem,) = result.problems
    assert problem.field == "out"
    return problem


# Renames, paths, constants, defaults


def test_a_field_is_renamed_into_a_nested_target():
    rules = mapping(
        {"target": "customer.mail", "source": "customer.email"},
        {"target": "customer.first", "source": "lines.1.name"},
    )

    result = apply(rules, {"customer": {"email": "a@b.se"}, "lines": [{}, {"name": "Tee"}]})

    assert result.values == {"customer": {"mail": "a@b.se", "first": "Tee"}}
    assert result.ok


def test_a_constant_is_written_whatever_the_record_holds():
    assert value_of({"constant": "CENTRA", "type": "string"}, {}) == "CENTRA"


def test_an_absent_optional_value_is_left_out_rather_than_invented():
    result = mapped({"source": "customer.email"}, {"customer": None})

    assert result.values == {}
    assert result.ok


def test_a_default_fills_an_absent_value_and_is_converted_to_the_type():
    assert value_of({"source": "shipping", "type": "decimal", "default": "0.00"}, {}) == Decimal(
        "0.00"
    )


def test_an_empty_cell_counts_as_absent_for_a_number_but_not_for_text():
    assert mapped({"source": "qty", "type": "integer"}, {"qty": " "}).values == {}
    assert value_of({"source": "note", "type": "string"}, {"note": ""}) == ""


def test_passthrough_copies_fields_unchanged_to_the_same_path():
    record = {"market": {"id": 3, "name": "EU"}, "lines": [{"id": 1}]}
    rules = mapping(passthrough=["market", "lines"])

    result = apply(rules, record)

    assert result.values == record
    assert result.values["lines"] is not record["lines"]


# Value maps


def test_a_value_map_translates_statuses():
    rule = {"source": "status", "value_map": {"SHIPPED": "40", "PENDING": "10"}}
    assert value_of(rule, {"status": "SHIPPED"}) == "40"


@pytest.mark.parametrize("percent", [25.0, 25, Decimal("25.00"), "25"])
def test_a_tax_percent_matches_its_plain_spelling(percent):
    """Centra sends taxPercent as a float (25.0); the file says "25"."""
    rule = {"source": "tax", "type": "string", "value_map": {"25": "S25", "12": "S12"}}
    assert value_of(rule, {"tax": percent}) == "S25"


def test_a_boolean_is_looked_up_as_true_or_false():
    rule = {"source": "enabled", "value_map": {"true": "ACTIVE", "false": "INACTIVE"}}
    assert value_of(rule, {"enabled": False}) == "INACTIVE"


@pytest.mark.parametrize(
    ("policy", "expected"),
    [({"unmapped": "keep"}, "pickup"), ({"unmapped": "default", "default": "OTHER"}, "OTHER")],
)
def test_an_unmapped_value_is_kept_or_defaulted_when_the_file_says_so(policy, expected):
    rule = {"source": "method", "value_map": {"express": "EXP"}, **policy}
    assert value_of(rule, {"method": "pickup"}) == expected


def test_an_unmapped_value_is_a_problem_by_default():
    problem = only_problem({"source": "method", "value_map": {"klarna": "K"}}, {"method": "cash"})

    assert problem.kind == "unmapped"
    assert problem.value == "cash"
    assert "'cash' is not in the value_map" in problem.reason


def test_a_map_result_is_converted_to_the_type():
    rule = {"source": "wh", "type": "integer", "value_map": {"STO-1": "1"}}
    assert value_of(rule, {"wh": "STO-1"}) == 1


# Types


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        (0.1, Decimal("0.1")),
        (0.30000000000000004, Decimal("0.30000000000000004")),
        ("1234.50", Decimal("1234.50")),
        (675, Decimal("675")),
    ],
)
def test_decimals_are_exact(wire, expected):
    result = value_of({"source": "v", "type": "decimal"}, {"v": wire})

    assert isinstance(result, Decimal)
    assert result == expected


def test_float_money_sums_exactly_once_mapped():
    rules = mapping(
        {"target": "a", "source": "a", "type": "decimal"},
        {"target": "b", "source": "b", "type": "decimal"},
    )

    values = apply(rules, {"a": 0.1, "b": 0.2}).values

    assert values["a"] + values["b"] == Decimal("0.3")


@pytest.mark.parametrize(("wire", "expected"), [("12", 12), (" 7 ", 7), (3.0, 3), (True, None)])
def test_integers_accept_whole_numbers_only(wire, expected):
    result = mapped({"source": "q", "type": "integer"}, {"q": wire})
    assert result.values.get("out") == expected


@pytest.mark.parametrize(
    ("wire", "reason"),
    [
        ("12.5", "'12.5' is not a whole number"),
        ("twelve", "'twelve' is not a number"),
        ("NaN", "'NaN' is not a finite number"),
    ],
)
def test_a_number_that_cannot_be_read_is_a_problem(wire, reason):
    problem = only_problem({"source": "q", "type": "integer"}, {"q": wire})

    assert (problem.kind, problem.reason, problem.value) == ("unparsable", reason, wire)


@pytest.mark.parametrize(
    ("wire", "expected"), [("yes", True), ("0", False), (1, True), ("FALSE", False)]
)
def test_booleans_read_common_spellings(wire, expected):
    assert value_of({"source": "b", "type": "boolean"}, {"b": wire}) is expected


def test_an_unreadable_boolean_is_a_problem():
    problem = only_problem({"source": "b", "type": "boolean"}, {"b": "maybe"})
    assert problem.kind == "unparsable"


@pytest.mark.parametrize(
    ("wire", "expected"),
    [(14, "14"), (Decimal("1E+3"), "1000"), (0.1, "0.1"), (True, "true")],
)
def test_text_from_numbers_is_plain(wire, expected):
    assert value_of({"source": "n", "type": "string"}, {"n": wire}) == expected


def test_an_object_where_text_is_expected_is_a_problem():
    problem = only_problem({"source": "n", "type": "string"}, {"n": {"value": 1}})
    assert problem.reason == "expected text, got dict"


def test_a_path_through_a_value_that_is_not_an_object_is_a_problem():
    problem = only_problem({"source": "customer.email"}, {"customer": "a@b.se"})

    assert problem.kind == "bad_shape"
    assert problem.reason == "customer is a str, not an object holding 'email'"


def test_a_missing_required_value_is_a_problem():
    problem = only_problem({"source": "number", "required": True}, {"id": "x"})

    assert problem.kind == "missing"
    assert problem.reason == "required, but number is absent or empty"


# Units


@pytest.mark.parametrize(
    ("units", "wire", "expected"),
    [
        ({"from": "kg", "to": "g"}, "1.234", Decimal("1234")),
        ({"from": "kg", "to": "g"}, 0.1, Decimal("100")),
        ({"from": "lb", "to": "g"}, "1", Decimal("453.59237")),
        ({"from": "oz", "to": "kg"}, "16", Decimal("0.45359237")),
        ({"from": "in", "to": "cm"}, "10", Decimal("25.4")),
        ({"from": "m", "to": "mm"}, "0.5", Decimal("500")),
        ({"from": "g", "to": "lb", "places": 3}, "1000", Decimal("2.205")),
    ],
)
def test_units_convert_by_exact_factors(units, wire, expected):
    result = value_of({"source": "w", "type": "decimal", "unit": units}, {"w": wire})
    assert result == expected


def test_an_integer_after_conversion_must_be_whole_unless_rounded():
    rule = {"source": "w", "type": "integer", "unit": {"from": "kg", "to": "g"}}
    problem = only_problem(rule, {"w": "0.0005"})
    assert problem.reason == (
        "0.0005 kg is 0.5000 g, not a whole number; round it with unit.places: 0"
    )

    rounded = {**rule, "unit": {"from": "kg", "to": "g", "places": 0}}
    assert value_of(rounded, {"w": "0.0005"}) == 1


# Currency


def test_currency_converts_with_the_records_rate_and_rounds_half_up():
    rule = {
        "source": "total",
        "type": "decimal",
        "currency": {"to": "EUR", "rate_source": "rate", "places": 2, "rate_target": "rate_used"},
    }

    result = mapped(rule, {"total": 100.05, "rate": 0.05})

    # 100.05 * 0.05 = 5.0025: half-up gives 5.00 at two places; three places show the half.
    assert result.values == {"out": Decimal("5.00"), "rate_used": Decimal("0.05")}
    three = {**rule, "currency": {**rule["currency"], "places": 3}}
    assert mapped(three, {"total": 100.05, "rate": 0.05}).values["out"] == Decimal("5.003")


@pytest.mark.parametrize(
    ("amount", "expected"), [(1.005, "1.01"), (2.675, "2.68"), (0.125, "0.13")]
)
def test_halves_round_up_where_float_arithmetic_would_not(amount, expected):
    """round(2.675, 2) is 2.67 in floats and banker's rounding gives 0.12 for 0.125."""
    rule = {"source": "a", "type": "decimal", "currency": {"to": "EUR", "rate_source": "r"}}
    assert value_of(rule, {"a": amount, "r": 1}) == Decimal(expected)


def test_currency_converts_with_a_fixed_table_by_the_records_currency():
    rule = {
        "source": "price.value",
        "type": "decimal",
        "currency": {
            "to": "EUR",
            "rates": {"SEK": "0.0871", "NOK": 0.0853},
            "currency_source": "price.currency",
        },
    }

    assert value_of(rule, {"price": {"value": 700, "currency": "SEK"}}) == Decimal("60.97")
    assert value_of(rule, {"price": {"value": 41, "currency": "EUR"}}) == Decimal("41.00")
    problem = only_problem(rule, {"price": {"value": 5, "currency": "USD"}})
    assert (problem.kind, problem.value) == ("no_rate", "USD")


def test_a_missing_rate_is_a_problem():
    rule = {"source": "a", "type": "decimal", "currency": {"to": "EUR", "rate_source": "r"}}
    problem = only_problem(rule, {"a": 10})
    assert (problem.kind, problem.reason) == ("no_rate", "no rate at r")


# Strings


def test_string_transforms_apply_in_order():
    rule = {"source": "c", "type": "string", "strip": True, "upper": True}
    assert value_of(rule, {"c": "  se "}) == "SE"
    assert value_of({"source": "c", "type": "string", "lower": True}, {"c": "A@B.SE"}) == "a@b.se"


def test_a_long_string_is_truncated_only_when_allowed():
    rule = {"source": "note", "type": "string", "max_length": 5}

    assert value_of({**rule, "truncate": True}, {"note": "abcdefgh"}) == "abcde"
    problem = only_problem(rule, {"note": "abcdefgh"})
    assert (problem.kind, problem.reason, problem.value) == (
        "too_long",
        "8 characters; the limit is 5",
        "abcdefgh",
    )


# Dates and times

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("2022-06-23T15:47:12+02:00", "2022-06-23"),
        ("2022-06-23T15:47:12+0200", "2022-06-23"),
        ("2022-06-23T23:30:00+00:00", "2022-06-24"),
        ("2022-06-23", "2022-06-23"),
    ],
)
def test_a_centra_date_becomes_the_calendar_day_in_the_systems_zone(wire, expected):
    rule = {
        "source": "d",
        "type": "date",
        "date_format": "%Y-%m-%d",
        "timezone": "Europe/Stockholm",
    }
    assert value_of(rule, {"d": wire}) == expected


def test_a_datetime_is_formatted_in_the_systems_zone():
    rule = {
        "source": "d",
        "type": "datetime",
        "date_format": "%d.%m.%Y %H:%M",
        "timezone": "Europe/Stockholm",
    }
    assert value_of(rule, {"d": "2024-01-15T10:00:00Z"}) == "15.01.2024 11:00"


def test_a_datetime_without_format_stays_an_aware_datetime():
    result = value_of({"source": "d", "type": "datetime"}, {"d": "2024-01-15T10:00:00+01:00"})
    assert result == datetime(2024, 1, 15, 9, tzinfo=UTC)
    assert result.utcoffset() is not None


def test_a_systems_local_time_is_read_in_its_zone_and_sent_to_centra_in_utc():
    rule = {
        "source": "d",
        "type": "datetime",
        "date_format": "%Y-%m-%d %H:%M:%S",
        "timezone": "Europe/Stockholm",
    }

    result = value_of(rule, {"d": "2024-07-01 12:00:00"}, direction="to_centra")

    assert result == datetime(2024, 7, 1, 10, tzinfo=UTC)
    assert result.tzinfo is UTC


def test_a_date_from_the_system_is_parsed_with_its_format():
    rule = {"source": "d", "type": "date", "date_format": "%d/%m/%Y"}
    assert value_of(rule, {"d": "31/03/2024"}, direction="to_centra") == date(2024, 3, 31)


def test_a_naive_datetime_without_a_timezone_is_refused():
    problem = only_problem({"source": "d", "type": "datetime"}, {"d": "2024-07-01T12:00:00"})

    assert problem.kind == "no_timezone"
    assert problem.value == "2024-07-01T12:00:00"


@pytest.mark.parametrize(
    ("rule", "wire", "direction"),
    [
        ({"type": "datetime"}, "yesterday", "to_system"),
        ({"type": "date"}, "2024-02-30", "to_system"),
        ({"type": "date", "date_format": "%d/%m/%Y"}, "2024-03-31", "to_centra"),
        ({"type": "datetime"}, 1718000000, "to_system"),
    ],
)
def test_an_unreadable_date_is_a_problem(rule, wire, direction):
    problem = only_problem({"source": "d", **rule}, {"d": wire}, direction)
    assert (problem.kind, problem.value) == ("unparsable", wire)


# Custom attributes


@pytest.mark.parametrize(
    "attributes", [CENTRA_ATTRIBUTES, {"cus_extra": "VIP", "cus_points": 12}, []]
)
def test_custom_attributes_are_carried_through_untouched(attributes):
    record = {"attributes": copy.deepcopy(attributes)}
    rules = mapping(custom_attributes={"source": "attributes", "target": "extra.attributes"})

    carried = apply(rules, record).values["extra"]["attributes"]

    assert carried == attributes
    carried.append("edited") if isinstance(carried, list) else carried.update(edited=1)
    assert record["attributes"] == attributes


@pytest.mark.parametrize(
    "attributes", ["VIP", [{"type": "pr_name", "elements": []}], [{"type": {"name": "x"}}]]
)
def test_something_that_is_not_custom_attributes_is_a_problem(attributes):
    rules = mapping(custom_attributes={"source": "attributes", "target": "attributes"})

    result = apply(rules, {"attributes": attributes})

    assert result.values == {}
    assert [(p.field, p.kind, p.value) for p in result.problems] == [
        ("attributes", "bad_shape", attributes)
    ]


# Many records


def test_records_are_mapped_one_at_a_time():
    consumed = []

    def records():
        for number in (1, 2, 3):
            consumed.append(number)
            yield {"n": number}

    stream = apply_many(mapping({"target": "n", "source": "n", "type": "string"}), records())

    assert next(stream).values == {"n": "1"}
    assert consumed == [1]
    assert [result.values["n"] for result in stream] == ["2", "3"]


def test_each_problem_is_reported_and_the_rest_is_still_mapped():
    rules = mapping(
        {"target": "a", "source": "a", "type": "integer"},
        {"target": "b", "source": "b", "required": True},
        {"target": "c", "source": "c", "type": "string"},
    )

    result = apply(rules, {"a": "x", "c": "kept"})

    assert result.values == {"c": "kept"}
    assert [problem.field for problem in result.problems] == ["a", "b"]
    assert not result.ok


# The example files


@pytest.fixture(scope="module")
def examples():
    return load_mappings()


def warehouse_order() -> dict:
    """An order as the ERP flow reads it: a centra_raw.orders row plus method and attributes."""
    return {
        "order_id": "1497ccf644db871e1e4026d101bde6f3",
        "order_number": 39790,
        "status": "CONFIRMED",
        "order_date": datetime(2024, 3, 31, 23, 15, tzinfo=UTC),
        "currency": "SEK",
        "currency_base_rate": Decimal("0.08710000"),
        "is_on_hold": False,
        "other_comment": "  Leave at the door. " + "x" * 300,
        "country_code": "se",
        "customer_id": 28,
        "grand_total": Decimal("6075.0000"),
        "grand_total_ex_tax": Decimal("4860.0000"),
        "shipping": Decimal("49.0000"),
        "handling": None,
        "discounts": Decimal("0.0000"),
        "tax_included": Decimal("1215.0000"),
        "payment_method": "Klarna Checkout V3",
        "attributes": copy.deepcopy(CENTRA_ATTRIBUTES),
    }


def test_a_warehouse_order_becomes_an_erp_sales_order(examples):
    result = apply(examples["erp", "orders", "to_system"], warehouse_order())

    assert result.problems == []
    values = result.values
    assert (values["external_id"], values["customer_number"]) == ("39790", "28")
    assert values["status_code"] == "20"
    assert values["order_date"] == "2024-04-01"
    assert (values["currency"], values["grand_total"]) == ("SEK", Decimal("6075.0000"))
    assert values["shipping_amount"] == Decimal("49.0000")
    assert values["handling_amount"] == Decimal("0")
    assert values["grand_total_base"] == Decimal("529.13")
    assert values["base_currency_rate"] == Decimal("0.08710000")
    assert (values["payment_method"], values["country_code"]) == ("KLARNA", "SE")
    assert values["note"].startswith("Leave at the door.") and len(values["note"]) == 250
    assert values["sales_channel"] == "CENTRA-DTC"
    assert values["centra_attributes"] == CENTRA_ATTRIBUTES


def test_an_order_with_an_unknown_payment_method_is_held_back(examples):
    order = warehouse_order() | {"payment_method": "Cash on delivery", "shipping": None}

    result = apply(examples["erp", "orders", "to_system"], order)

    assert [(p.field, p.kind) for p in result.problems] == [("payment_method", "unmapped")]
    assert result.values["shipping_amount"] == Decimal("0")


def test_an_order_line_gets_its_vat_code_and_its_ledger_amount(examples):
    line = {
        "line_id": 1,
        "order_number": 39790,
        "sku": " Prod123Var456789S ",
        "product_name": "Björk Ullkofta",
        "quantity": 9,
        "cancelled_quantity": 1,
        "currency": "SEK",
        "unit_price": Decimal("675.0000"),
        "line_value": Decimal("6075.0000"),
        "tax_percent": Decimal("25.0000"),
        "currency_base_rate": Decimal("0.0871"),
    }

    result = apply(examples["erp", "order_lines", "to_system"], line)

    assert result.problems == []
    assert (result.values["external_id"], result.values["order_external_id"]) == ("1", "39790")
    assert (result.values["sku"], result.values["vat_code"]) == ("Prod123Var456789S", "V25")
    assert result.values["line_amount_base"] == Decimal("529.13")
    unknown_rate = apply(
        examples["erp", "order_lines", "to_system"], line | {"tax_percent": Decimal("7.7")}
    )
    assert [(p.field, p.kind) for p in unknown_rate.problems] == [("vat_code", "unmapped")]


def test_a_wms_stock_row_becomes_a_centra_stock_level(examples):
    row = {
        "SKU": " Prod123Var456789S ",
        "EAN": "7350000000012",
        "QTY": "12",
        "WH": "GBG-2",
        "UPDATED": "2024-03-31 14:05:00",
    }

    result = apply(examples["wms", "stock", "to_centra"], row)

    assert result.values == {
        "sku": "Prod123Var456789S",
        "ean": "7350000000012",
        "quantity": 12,
        "warehouse_id": 2,
        "counted_at": datetime(2024, 3, 31, 12, 5, tzinfo=UTC),
    }
    unknown = apply(examples["wms", "stock", "to_centra"], row | {"WH": "OSL-4", "QTY": "1,5"})
    assert {p.field: p.kind for p in unknown.problems} == {
        "quantity": "unparsable",
        "warehouse_id": "unmapped",
    }


def test_a_pim_product_becomes_centra_enrichment(examples):
    product = {
        "identifier": "Prod123",
        "enabled": True,
        "texts": {
            "en_GB": {"description": "Organic cotton tee.", "short_description": " Tee "},
            "de_DE": {"description": "T-Shirt aus Bio-Baumwolle."},
            "sv_SE": {"description": "T-shirt i ekologisk bomull."},
        },
        "seo": {
            "en_GB": {"title": "Organic tee", "description": "d" * 200, "keywords": "Tee,Cotton"},
            "de_DE": {"title": "Bio-T-Shirt"},
            "sv_SE": {"title": "Ekologisk t-shirt " * 5},
        },
        "weight_kg": "0.185",
        "origin_country": "pt",
        "hs_code": "6109100010",
        "attributes": {"pr_long_name": "Organic cotton tee, navy", "material": "cotton"},
    }

    result = apply(examples["pim", "products", "to_centra"], product)

    values = result.values
    assert values["status"] == "ACTIVE"
    assert values["shortDescription"] == "Tee"
    assert len(values["metaDescription"]) == 160
    assert values["metaKeywords"] == "tee,cotton"
    assert values["translations"]["de"] == {
        "description": "T-Shirt aus Bio-Baumwolle.",
        "metaTitle": "Bio-T-Shirt",
    }
    assert values["weight_g"] == Decimal("185")
    assert values["countryOfOrigin"] == "PT"
    assert values["attributes"] == product["attributes"]
    # The Swedish title is too long for search results: it goes back to the editor.
    assert [(p.field, p.kind) for p in result.problems] == [
        ("translations.sv.metaTitle", "too_long")
    ]
    assert "metaTitle" not in values["translations"]["sv"]

"""A mapping file is checked when it loads: a bad one is refused with its file, line and reason."""

from pathlib import Path

import pytest

from centra_pipelines.config.loader import ConfigFileError
from centra_pipelines.mapping import MAPPINGS_FOLDER, load_mapping, load_mappings

HEADER = "system: erp\nentity: orders\ndirection: to_system\nfields:\n"


def write(folder: Path, text: str, name: str = "erp/orders.yaml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def line_of(path: Path, fragment: str) -> int:
    lines = path.read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if fragment in line)


def test_the_example_files_load_under_their_system_entity_and_direction():
    mappings = load_mappings()

    # Other flows add their files; these examples must load under their own keys.
    assert {
        ("erp", "orders", "to_system"),
        ("erp", "order_lines", "to_system"),
        ("wms", "stock", "to_centra"),
        ("wms", "shipments", "to_centra"),
        ("pim", "products", "to_centra"),
    } <= set(mappings)
    assert mappings["erp", "orders", "to_system"].custom_attributes.target == "centra_attributes"


def test_a_valid_file_loads_with_its_rules(tmp_path):
    path = write(
        tmp_path,
        HEADER + "  - target: weight_g\n    source: weight\n    type: decimal\n"
        "    unit: {from: kg, to: g}\npassthrough: [attributes]\n",
    )

    mapping = load_mapping(path)

    assert mapping.fields[0].unit.from_unit == "kg"
    assert mapping.passthrough == ["attributes"]


BAD_FIELDS = [
    pytest.param(
        "  - target: a\n    source: x\n    defualt: 1\n",
        "defualt",
        "fields.0.defualt: Extra inputs are not permitted",
        id="unknown key",
    ),
    pytest.param(
        "  - target: a\n    source: x\n    constant: y\n",
        "constant",
        "fields.0.constant: give either source or constant, not both",
        id="source and constant",
    ),
    pytest.param(
        "  - target: a\n    type: string\n",
        "- target: a",
        "fields.0: a: needs a source (a dotted path) or a constant",
        id="neither source nor constant",
    ),
    pytest.param(
        "  - target: a\n    source: x\n    type: string\n    unit: {from: kg, to: g}\n",
        "unit:",
        "fields.0.unit: unit conversion needs type: decimal or integer (type is string)",
        id="unit on a string",
    ),
    pytest.param(
        "  - target: a\n    source: x\n  - target: b\n    source: y\n  - {source: z, target: a}\n",
        "source: z",
        "fields.2.target: target 'a' is also written by fields.0.target",
        id="duplicate target",
    ),
    pytest.param(
        "  - target: price\n    source: x\n  - target: price.value\n    source: y\n",
        "price.value",
        "fields.1.target: target 'price.value' is also written by fields.0.target ('price')",
        id="target inside another target",
    ),
    pytest.param(
        "  - target: vat\n    source: x\n    value_map:\n      S25: x\n      25: S25\n",
        "25: S25",
        'fields.0.value_map.25: value_map keys are text: quote 25 as "25"',
        id="unquoted numeric value_map key",
    ),
    pytest.param(
        "  - target: a\n    source: x\n    value_map: {b: c}\n    unmapped: default\n",
        "unmapped",
        "fields.0.unmapped: unmapped: default needs a default value",
        id="unmapped default without a default",
    ),
    pytest.param(
        "  - target: a\n    source: x\n    unmapped: keep\n",
        "unmapped",
        "fields.0.unmapped: unmapped only applies with a value_map",
        id="unmapped without value_map",
    ),
    pytest.param(
        "  - target: wh\n    source: x\n    type: integer\n    value_map:\n      STO: one\n",
        "STO: one",
        "fields.0.value_map.STO: 'one' cannot be a integer: 'one' is not a number",
        id="map value of the wrong type",
    ),
    pytest.param(
        "  - target: a\n    source: x\n    type: integer\n    default: 1.5\n",
        "default",
        "fields.0.default: 1.5 cannot be a integer: 1.5 is not a whole number",
        id="default of the wrong type",
    ),
    pytest.param(
        "  - target: a\n    source: x\n    type: integer\n    currency: {to: EUR, rates: {SEK: 1}, "
        "from: SEK}\n",
        "currency",
        "fields.0.currency: currency conversion needs type: decimal",
        id="currency on an integer",
    ),
    pytest.param(
        "  - target: a\n    source: x\n    type: decimal\n    currency:\n      to: EUR\n"
        "      from: SEK\n      rates:\n        SEK: 0\n",
        "SEK: 0",
        "fields.0.currency.rates.SEK: the rate for SEK must be above zero",
        id="zero rate",
    ),
    pytest.param(
        "  - target: a\n    source: x\n    type: decimal\n    currency: {to: EUR}\n",
        "currency",
        "fields.0.currency: give either rate_source (a path to the rate) or rates",
        id="currency without a rate",
    ),
    pytest.param(
        "  - target: a\n    source: x\n    type: decimal\n    currency: {to: EURO, "
        "rate_source: r}\n",
        "currency",
        "fields.0.currency.to: Value error, 'EURO' is not an ISO 4217 currency code",
        id="unknown currency",
    ),
    pytest.param(
        "  - target: a\n    source: x\n    type: decimal\n    unit:\n"
        "      from: kg\n      to: mm\n",
        "to: mm",
        "fields.0.unit.to: cannot convert kg to mm: weight and length",
        id="unit across dimensions",
    ),
    pytest.param(
        "  - target: a\n    source: x\n    type: string\n    date_format: '%Y'\n",
        "date_format",
        "fields.0.date_format: date_format needs type: date or datetime (type is string)",
        id="date format on a string",
    ),
    pytest.param(
        "  - target: a\n    source: x\n    type: datetime\n    timezone: Mars/Olympus\n",
        "timezone",
        "fields.0.timezone: Value error, unknown timezone 'Mars/Olympus'",
        id="unknown timezone",
    ),
    pytest.param(
        "  - target: a\n    source: x\n    type: string\n    upper: true\n    lower: true\n",
        "lower",
        "fields.0.lower: choose upper or lower, not both",
        id="upper and lower",
    ),
    pytest.param(
        "  - target: a\n    source: x\n    type: string\n    truncate: true\n",
        "truncate",
        "fields.0.truncate: truncate needs a max_length",
        id="truncate without max_length",
    ),
    pytest.param(
        "  - target: a\n    source: x\n    max_length: 3\n",
        "max_length",
        "fields.0.max_length: max_length needs type: string (type is None)",
        id="string rule without a type",
    ),
    pytest.param(
        "  - target: a\n    source: customer..email\n",
        "source",
        "fields.0.source: Value error, 'customer..email' is not a dotted path",
        id="malformed path",
    ),
    pytest.param(
        "  - target: a\n    source: x\n    type: money\n",
        "type",
        "fields.0.type: Input should be 'string', 'integer'",
        id="unknown type",
    ),
]


@pytest.mark.parametrize(("fields", "fragment", "message"), BAD_FIELDS)
def test_a_bad_rule_is_refused_at_its_line(tmp_path, fields, fragment, message):
    path = write(tmp_path, HEADER + fields)
    line = line_of(path, fragment)

    with pytest.raises(ConfigFileError) as error:
        load_mapping(path)

    assert f"{path}:{line}: {message}" in str(error.value)


def test_a_rate_target_may_not_overwrite_a_field(tmp_path):
    path = write(
        tmp_path,
        HEADER + "  - target: rate\n    source: r\n  - target: total\n    source: t\n"
        "    type: decimal\n    currency: {to: EUR, rate_source: r, rate_target: rate}\n",
    )
    line = line_of(path, "currency:")

    with pytest.raises(ConfigFileError, match=f"{path}:{line}: fields.1.currency.rate_target"):
        load_mapping(path)


def test_a_mapping_that_writes_nothing_is_refused(tmp_path):
    path = write(tmp_path, "system: erp\nentity: orders\ndirection: to_system\n")

    with pytest.raises(ConfigFileError, match=f"{path}:1: \\(top level\\): the mapping writes"):
        load_mapping(path)


def test_an_unknown_direction_is_refused(tmp_path):
    path = write(tmp_path, HEADER.replace("to_system", "to_erp") + "  - {target: a, source: b}\n")

    with pytest.raises(ConfigFileError, match=f"{path}:3: direction: Input should be"):
        load_mapping(path)


def test_broken_yaml_is_refused_with_its_line(tmp_path):
    path = write(tmp_path, HEADER + "  - target: a\n    source: [unclosed\n  - target: b\n")

    with pytest.raises(ConfigFileError, match=f"{path}:7: not valid YAML"):
        load_mapping(path)


@pytest.mark.parametrize(
    ("name", "header", "message"),
    [
        (
            "erp/orders.yaml",
            HEADER.replace("system: erp", "system: wms"),
            ":1: system: says 'wms' but the file's folder says 'erp'",
        ),
        (
            "erp/orders.yaml",
            HEADER.replace("entity: orders", "entity: returns"),
            ":2: entity: says 'returns' but the file's name says 'orders'",
        ),
        (
            "erp/orders.to_centra.yaml",
            HEADER,
            ":3: direction: says 'to_system' but the file's name says 'to_centra'",
        ),
        ("orders.yaml", HEADER, ": put the file in a folder named after its system"),
    ],
)
def test_a_file_must_sit_where_its_keys_say(tmp_path, name, header, message):
    path = write(tmp_path, header + "  - {target: a, source: b}\n", name)

    with pytest.raises(ConfigFileError) as error:
        load_mappings(tmp_path)

    assert str(error.value).startswith(f"{path}{message}")


def test_two_files_for_the_same_mapping_are_refused_naming_both(tmp_path):
    first = write(tmp_path, HEADER + "  - {target: a, source: b}\n")
    second = write(tmp_path, HEADER + "  - {target: a, source: c}\n", "erp/orders.to_system.yaml")

    with pytest.raises(ConfigFileError) as error:
        load_mappings(tmp_path)

    message = str(error.value)
    assert "maps erp/orders/to_system, which" in message
    assert str(first) in message and str(second) in message


def test_both_directions_of_one_entity_may_live_side_by_side(tmp_path):
    write(tmp_path, HEADER + "  - {target: a, source: b}\n")
    back = HEADER.replace("to_system", "to_centra") + "  - {target: b, source: a}\n"
    write(tmp_path, back, "erp/orders.to_centra.yaml")

    assert sorted(load_mappings(tmp_path)) == [
        ("erp", "orders", "to_centra"),
        ("erp", "orders", "to_system"),
    ]


def test_the_packaged_folder_is_the_default():
    assert MAPPINGS_FOLDER.joinpath("erp", "orders.yaml").is_file()

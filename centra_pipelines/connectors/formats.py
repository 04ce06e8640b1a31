"""Codecs of the file exchange: CSV, JSON (array or JSON Lines) and XML, to and from flat records.

A record is one `dict[str, str | None]`: field names and values as text. Typing the values is the
mapping layer's job, so nothing here guesses numbers or dates; JSON numbers keep the exact text
they had in the file. Records are flat: a JSON value or XML field that is itself an object, a list
or has child elements is refused, because CSV and XML files could not carry it back out.

Error messages name files' lines, record numbers and field names, never values, because values
can identify customers.
"""

import codecs
import csv
import io
import json
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError

Record = dict[str, str | None]

FORMATS = ("csv", "json", "xml")

# Names an XML element may have (ASCII letters and digits plus the usual punctuation; non-ASCII
# letters are allowed too). A field whose name is not one cannot be written as XML.
_XML_NAME = re.compile(r"^[^\W\d][\w.\-]*$")

# Characters XML 1.0 cannot carry at all, not even escaped.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class FileFormatError(ValueError):
    """A file or a record does not fit the configured format; the message says where."""


class MalformedFile(FileFormatError):
    """A file cannot be read as the configured format.

    `line` is the 1-based line of the file where reading stopped, when the format tells it.
    """

    def __init__(self, problem: str, *, line: int | None = None) -> None:
        self.problem = problem
        self.line = line
        super().__init__(f"line {line}: {problem}" if line is not None else problem)


class RecordError(FileFormatError):
    """A record cannot be written: a field name or value the format cannot carry."""


@dataclass(frozen=True)
class FormatOptions:
    """How records are laid out in a file. `FileExchange` builds one from its configuration."""

    file_format: str = "csv"
    encoding: str = "utf-8"
    csv_delimiter: str = ","
    json_lines: bool = False
    xml_root_element: str = "records"
    xml_record_element: str = "record"
    # CSV and XML have no null: an empty field reads as None unless this is off.
    empty_as_none: bool = True


def check_options(options: FormatOptions) -> None:
    """Raise ValueError with what to change if the options cannot work."""
    if options.file_format not in FORMATS:
        raise ValueError(
            f"unknown file_format {options.file_format!r}: use one of {', '.join(FORMATS)}"
        )
    try:
        codecs.lookup(options.encoding)
    except LookupError:
        raise ValueError(
            f"unknown encoding {options.encoding!r}: use a Python codec name such as utf-8, "
            "cp1252 or latin-1"
        ) from None
    if len(options.csv_delimiter) != 1:
        raise ValueError(f"csv_delimiter must be one character, not {options.csv_delimiter!r}")
    for name in (options.xml_root_element, options.xml_record_element):
        if not _XML_NAME.match(name):
            raise ValueError(f"{name!r} is not a valid XML element name")


def parse_records(data: bytes, options: FormatOptions) -> list[Record]:
    """Read a whole file's bytes into records.

    An empty file (or one of only whitespace) holds no records in every format.

    Raises:
        MalformedFile: the bytes are not a file of the configured format, or hold a record that
            is not flat; the message gives the line or the record number.
    """
    if not data.strip():
        return []

    if options.file_format == "xml":
        return _parse_xml(data, options)

    text = _decode(data, options.encoding)
    if options.file_format == "csv":
        return _parse_csv(text, options)
    if options.json_lines:
        return _parse_json_lines(text)
    return _parse_json_array(text)


def serialize_records(records: Iterable[Mapping[str, str | None]], options: FormatOptions) -> bytes:
    """Write records as the bytes of one file of the configured format.

    The records are all checked before anything is produced, so a bad record late in the input
    costs no partial output.

    Raises:
        RecordError: a field name is not text (or not usable in the format), a value is neither
            text nor None, or a value cannot be encoded; the message names the record and field.
    """
    checked = _checked_records(records)

    if options.file_format == "xml":
        return _serialize_xml(checked, options)

    if options.file_format == "csv":
        text = _serialize_csv(checked, options)
    elif options.json_lines:
        text = "".join(_json_line(record) + "\n" for record in checked)
    else:
        text = _serialize_json_array(checked)
    return _encode(text, checked, options.encoding)


def _decode(data: bytes, encoding: str) -> str:
    # Spreadsheet programs start UTF-8 files with a byte-order mark; it is not part of the header.
    codec = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise MalformedFile(f"bytes that are not {encoding} ({error.reason})", line=line) from None


def _empty(value: str | None, options: FormatOptions) -> str | None:
    if value is None or (value == "" and options.empty_as_none):
        return None if options.empty_as_none else ""
    return value


def _parse_csv(text: str, options: FormatOptions) -> list[Record]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=options.csv_delimiter, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return []  # only a byte-order mark
        _check_header(header)

        records = []
        for row in reader:
            if not row:
                continue  # a blank line, which csv reports as a row without fields
            if len(row) != len(header):
                raise MalformedFile(
                    f"{len(row)} fields where the header has {len(header)}", line=reader.line_num
                )
            records.append(
                {name: _empty(value, options) for name, value in zip(header, row, strict=True)}
            )
        return records
    except csv.Error as error:
        raise MalformedFile(str(error), line=reader.line_num) from None


def _check_header(header: list[str]) -> None:
    if not header:
        raise MalformedFile("the first line is empty; it must be the header", line=1)
    seen = set()
    for position, name in enumerate(header, start=1):
        if not name.strip():
            raise MalformedFile(f"header column {position} has no name", line=1)
        if name in seen:
            raise MalformedFile(f"header names column {name!r} twice", line=1)
        seen.add(name)


def _parse_json_array(text: str) -> list[Record]:
    document = _load_json(text, line=None)
    if not isinstance(document, list):
        raise MalformedFile(
            f"the file holds a JSON {_json_kind(document)}, expected an array of objects "
            "(or set json_lines for one object per line)",
            line=1,
        )
    return [_json_record(item, f"record {number}") for number, item in enumerate(document, 1)]


def _parse_json_lines(text: str) -> list[Record]:
    records = []
    # Split on newlines only: str.splitlines() would also split inside a value at U+2028.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        item = _load_json(line, line=number)
        records.append(_json_record(item, f"line {number}"))
    return records


class _RefusedJson(Exception):
    """Valid JSON syntax that a record file must not hold; raised from inside json.loads."""


def _load_json(text: str, *, line: int | None) -> object:
    """Parse one JSON document; `line` is where it starts in a JSON Lines file, None otherwise."""
    try:
        return json.loads(
            text,
            # Numbers stay as written ("1.10" keeps its zero; no float rounding).
            parse_int=str,
            parse_float=str,
            parse_constant=_refuse_constant,
            object_pairs_hook=_object_without_duplicates,
        )
    except json.JSONDecodeError as error:
        raise MalformedFile(error.msg, line=error.lineno + (line or 1) - 1) from None
    except _RefusedJson as error:
        raise MalformedFile(str(error), line=line) from None


def _refuse_constant(name: str) -> object:
    raise _RefusedJson(f"{name} is not a JSON number")


def _object_without_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise _RefusedJson(f"an object has the key {key!r} twice")
        result[key] = value
    return result


def _json_record(item: object, where: str) -> Record:
    if not isinstance(item, dict):
        raise MalformedFile(f"{where} is a JSON {_json_kind(item)}, not an object")
    return {key: _json_value(value, key, where) for key, value in item.items()}


def _json_value(value: object, key: str, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value  # numbers arrive here as text already (parse_int/parse_float)
    if isinstance(value, bool):
        return "true" if value else "false"
    raise MalformedFile(
        f"field {key!r} of {where} is a JSON {_json_kind(value)}; records must be flat"
    )


def _json_kind(value: object) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    return "number" if not isinstance(value, bool) else "boolean"


def _parse_xml(data: bytes, options: FormatOptions) -> list[Record]:
    # The configured encoding wins over the file's declaration, as it does for CSV and JSON.
    parser = DefusedXMLParser(encoding=options.encoding)
    try:
        parser.feed(data)
        root = parser.close()
    except ParseError as error:
        line, _column = error.position
        raise MalformedFile(
            f"not well-formed XML ({_without_position(error)})", line=line
        ) from None
    except DefusedXmlException as error:
        raise MalformedFile(
            f"the file declares XML entities or external references ({type(error).__name__}); "
            "they are refused because expanding them can exhaust memory or read other files"
        ) from None

    if _local_name(root.tag) != options.xml_root_element:
        raise MalformedFile(
            f"root element is <{_local_name(root.tag)}>, expected <{options.xml_root_element}>",
            line=1,
        )
    return [_xml_record(element, number, options) for number, element in enumerate(root, 1)]


def _without_position(error: ParseError) -> str:
    # expat appends ": line N, column M"; the line is reported separately.
    return str(error).split(": line ")[0]


def _xml_record(element: ElementTree.Element, number: int, options: FormatOptions) -> Record:
    if _local_name(element.tag) != options.xml_record_element:
        raise MalformedFile(
            f"element {number} under the root is <{_local_name(element.tag)}>, "
            f"expected <{options.xml_record_element}>"
        )

    record: Record = {}
    for field in element:
        name = _local_name(field.tag)
        if len(field):
            raise MalformedFile(f"field <{name}> of record {number} has child elements")
        if name in record:
            raise MalformedFile(f"record {number} has the field <{name}> twice")
        record[name] = _empty(field.text or "", options)
    return record


def _local_name(tag: str) -> str:
    # "{namespace}name" -> "name": partners' namespaces vary, field names do not.
    return tag.rpartition("}")[2]


def _checked_records(records: Iterable[Mapping[str, str | None]]) -> list[Record]:
    checked = []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, Mapping):
            raise RecordError(f"record {number} is a {type(record).__name__}, not a mapping")
        for key, value in record.items():
            if not isinstance(key, str):
                raise RecordError(
                    f"record {number} has the field name {key!r} of type {type(key).__name__}; "
                    "field names must be text"
                )
            if key == "":
                raise RecordError(f"record {number} has a field with an empty name")
            if value is not None and not isinstance(value, str):
                raise RecordError(
                    f"field {key!r} of record {number} is a {type(value).__name__}; values must "
                    "be text or None (formatting numbers and dates is the mapping layer's job)"
                )
        checked.append(dict(record))
    return checked


def _field_names(records: list[Record]) -> list[str]:
    # Every field of every record, in the order first seen; dict keeps insertion order.
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record))
    return list(names)


def _serialize_csv(records: list[Record], options: FormatOptions) -> str:
    names = _field_names(records)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=options.csv_delimiter, lineterminator="\r\n")

    writer.writerow(names)
    for record in records:
        writer.writerow(["" if record.get(name) is None else record[name] for name in names])
    return buffer.getvalue()


def _json_line(record: Record) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def _serialize_json_array(records: list[Record]) -> str:
    if not records:
        return "[]\n"
    # One record per line keeps large files readable and diffable without a JSON viewer.
    return "[\n" + ",\n".join(_json_line(record) for record in records) + "\n]\n"


def _serialize_xml(records: list[Record], options: FormatOptions) -> bytes:
    root = ElementTree.Element(options.xml_root_element)
    for number, record in enumerate(records, start=1):
        element = ElementTree.SubElement(root, options.xml_record_element)
        for name, value in record.items():
            _check_xml_field(name, value, number, options.encoding)
            ElementTree.SubElement(element, name).text = value or ""

    ElementTree.indent(root)
    # Values the encoding lacks become character references, which any XML reader resolves.
    return ElementTree.tostring(root, encoding=options.encoding, xml_declaration=True) + b"\n"


def _check_xml_field(name: str, value: str | None, number: int, encoding: str) -> None:
    if not _XML_NAME.match(name) or name.lower().startswith("xml"):
        raise RecordError(f"field name {name!r} of record {number} is not a valid XML element name")
    try:
        name.encode(encoding)
    except UnicodeEncodeError:
        raise RecordError(
            f"field name {name!r} of record {number} has characters that {encoding} cannot encode"
        ) from None
    if value is not None and _XML_ILLEGAL.search(value):
        raise RecordError(
            f"field {name!r} of record {number} holds a control character XML cannot carry"
        )


def _encode(text: str, records: list[Record], encoding: str) -> bytes:
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as error:
        failure = error

    # Find the first field at fault, so the message can name it.
    for number, record in enumerate(records, start=1):
        for name, value in record.items():
            for part, what in ((name, "name"), (value or "", "value")):
                try:
                    part.encode(encoding)
                except UnicodeEncodeError:
                    raise RecordError(
                        f"the {what} of field {name!r} of record {number} has characters that "
                        f"{encoding} cannot encode; choose another encoding or replace them"
                    ) from None
    raise RecordError(f"the records cannot be encoded as {encoding}: {failure}")

"""The file exchange on real files (file://) and in memory (memory://): formats, moves, failures."""

import posixpath
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from dagster import EnvVar, asset, build_init_resource_context, materialize

from centra_pipelines.connectors import files
from centra_pipelines.connectors.files import (
    ERROR_SIDECAR_SUFFIX,
    FileExchange,
    FileExchangeConfigError,
    FileExchangeError,
    FileExchangeUnavailable,
)
from centra_pipelines.connectors.formats import RecordError

NOW = datetime(2026, 11, 1, 23, 30, tzinfo=UTC)

TRICKY_RECORDS = [
    {
        "sku": "ÅÄÖ-ü-日本-😀",
        "name": 'a "quoted", semicolon; name',
        "note": "two\nlines",
        "empty": None,
    },
    {"sku": "<tag> & 'apostrophe' ]]>", "name": "  spaces kept  ", "note": "x", "empty": None},
]


@pytest.fixture(params=["file", "memory"])
def root_url(request, tmp_path):
    if request.param == "file":
        return f"file://{tmp_path}/exchange"
    # memory:// is one store per process; a fresh folder keeps tests apart.
    return f"memory://exchange-{uuid.uuid4().hex}"


def make_exchange(url: str, **config) -> FileExchange:
    exchange = FileExchange(url=url, create_missing_folders=True, **config)
    exchange._now = lambda: NOW
    return exchange


@pytest.fixture
def exchange(root_url):
    return make_exchange(root_url)


def deliver(exchange: FileExchange, name: str, content: bytes | str) -> str:
    """Put a file in incoming as a partner would (not through our writer)."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    path = posixpath.join(exchange.folder_path("incoming"), name)
    exchange.filesystem.pipe_file(path, data)
    return path


def names_in(exchange: FileExchange, subfolder: str) -> list[str]:
    folder = exchange.folder_path(subfolder)
    if not exchange.filesystem.exists(folder):
        return []
    return sorted(posixpath.relpath(path, folder) for path in exchange.filesystem.find(folder))


@pytest.mark.parametrize(
    "config",
    [
        {"file_format": "csv"},
        {"file_format": "csv", "csv_delimiter": ";"},
        {"file_format": "json"},
        {"file_format": "json", "json_lines": True},
        {"file_format": "xml"},
        {"file_format": "xml", "xml_root_element": "stock", "xml_record_element": "line"},
    ],
    ids=["csv", "csv-semicolon", "json", "json-lines", "xml", "xml-named-elements"],
)
def test_each_format_round_trips_unicode_quotes_and_empty_values(root_url, config):
    exchange = make_exchange(root_url, **config)

    exchange.write_records("batch.dat", TRICKY_RECORDS, subfolder="incoming")
    (claimed,) = list(exchange.claim())

    assert claimed.name == "batch.dat"
    assert claimed.records == TRICKY_RECORDS


@pytest.mark.parametrize("file_format", ["csv", "xml"])
def test_empty_text_reads_as_none_unless_configured_otherwise(root_url, file_format):
    """CSV and XML cannot tell '' from a missing value; the reader decides which it means."""
    as_text = make_exchange(root_url, file_format=file_format, empty_as_none=False)

    as_text.write_records("a.dat", [{"a": "", "b": None, "c": "x"}], subfolder="incoming")
    (claimed,) = list(as_text.claim())

    assert claimed.records == [{"a": "", "b": "", "c": "x"}]


def test_json_keeps_empty_text_apart_from_null_and_numbers_as_written(exchange):
    json_exchange = make_exchange(exchange.url, file_format="json")
    deliver(json_exchange, "a.json", '[{"a": "", "b": null, "qty": 10, "price": 1.10, "ok": true}]')

    (claimed,) = list(json_exchange.claim())

    assert claimed.records == [{"a": "", "b": None, "qty": "10", "price": "1.10", "ok": "true"}]


def test_csv_records_with_different_fields_share_one_header(tmp_path):
    exchange = make_exchange(f"file://{tmp_path}")

    path = exchange.write_records("out.csv", [{"a": "1"}, {"b": "2", "a": "3"}])

    assert (tmp_path / "outgoing" / "out.csv").read_bytes() == b"a,b\r\n1,\r\n3,2\r\n"
    assert path == f"{tmp_path}/outgoing/out.csv"


def test_csv_encoding_and_byte_order_mark(tmp_path):
    latin = make_exchange(f"file://{tmp_path}/latin", encoding="cp1252")
    latin.write_records("a.csv", [{"name": "Café"}], subfolder="incoming")
    assert (tmp_path / "latin/incoming/a.csv").read_bytes() == b"name\r\nCaf\xe9\r\n"
    assert [c.records for c in latin.claim()] == [[{"name": "Café"}]]

    utf8 = make_exchange(f"file://{tmp_path}/utf8")
    deliver(utf8, "excel.csv", b"\xef\xbb\xbfsku,qty\r\nA,1\r\n")
    assert [c.records for c in utf8.claim()] == [[{"sku": "A", "qty": "1"}]]


def test_write_refuses_a_record_with_a_non_text_field_name_and_names_it(exchange):
    with pytest.raises(RecordError, match=r"record 2 has the field name 7 of type int"):
        exchange.write_records("bad.csv", [{"a": "1"}, {"a": "2", 7: "x"}])

    assert names_in(exchange, "outgoing") == []


@pytest.mark.parametrize(
    ("file_format", "record", "message"),
    [
        ("csv", {"qty": 5}, r"field 'qty' of record 1 is a int; values must be text or None"),
        ("xml", {"two words": "x"}, r"field name 'two words' of record 1 is not a valid XML"),
        ("xml", {"a": "bell\x07"}, r"field 'a' of record 1 holds a control character"),
    ],
)
def test_write_refuses_what_the_format_cannot_carry(root_url, file_format, record, message):
    exchange = make_exchange(root_url, file_format=file_format)

    with pytest.raises(RecordError, match=message):
        exchange.write_records("bad.dat", [record])

    assert names_in(exchange, "outgoing") == []


def test_write_refuses_characters_the_encoding_lacks_and_names_the_field(root_url):
    exchange = make_exchange(root_url, encoding="latin-1")

    with pytest.raises(RecordError, match=r"the value of field 'name' of record 2 .* latin-1"):
        exchange.write_records("a.csv", [{"name": "Zürich"}, {"name": "日本"}])


def test_a_record_stream_that_fails_midway_leaves_no_file(exchange):
    def records():
        yield {"sku": "A"}
        raise RuntimeError("mapping failed")

    with pytest.raises(RuntimeError, match="mapping failed"):
        exchange.write_records("orders.csv", records())

    assert names_in(exchange, "outgoing") == []


def test_a_write_that_fails_midway_is_never_visible_under_its_final_name(exchange, monkeypatch):
    fs = exchange.filesystem
    final = posixpath.join(exchange.folder_path("outgoing"), "orders.csv")
    real_open = fs.open
    seen_while_writing = {}

    def open_that_breaks_halfway(path, mode="rb", **kwargs):
        file = real_open(path, mode, **kwargs)
        if "w" not in mode:
            return file

        class HalfWriter:
            def __enter__(self):
                return self

            def __exit__(self, *exc_info):
                file.close()

            def write(self, data):
                file.write(data[: len(data) // 2])
                file.flush()
                seen_while_writing["final exists"] = fs.exists(final)
                seen_while_writing["folder"] = names_in(exchange, "outgoing")
                raise OSError("disk full")

        return HalfWriter()

    monkeypatch.setattr(fs, "open", open_that_breaks_halfway)
    with pytest.raises(OSError, match="disk full"):
        exchange.write_records("orders.csv", [{"sku": str(n)} for n in range(1000)])

    assert seen_while_writing["final exists"] is False
    (temporary,) = seen_while_writing["folder"]
    assert temporary.startswith(".orders.csv.tmp-")
    assert names_in(exchange, "outgoing") == []  # the temporary file was removed


def test_write_refuses_to_replace_an_existing_file_unless_asked(exchange):
    exchange.write_records("stock.csv", [{"sku": "A"}])

    with pytest.raises(FileExchangeError, match="already exists .* overwrite=True"):
        exchange.write_records("stock.csv", [{"sku": "B"}])
    exchange.write_records("stock.csv", [{"sku": "C"}], overwrite=True)

    exchange.write_records("stock.csv", [{"sku": "C"}], subfolder="incoming")
    assert [c.records for c in exchange.claim()] == [[{"sku": "C"}]]


@pytest.mark.parametrize("name", ["../escape.csv", "sub/a.csv", ".hidden.csv", ""])
def test_write_refuses_names_that_are_not_plain_file_names(exchange, name):
    with pytest.raises(FileExchangeError, match="must be a plain name"):
        exchange.write_records(name, [{"a": "1"}])


def test_claim_moves_each_file_to_processing_so_a_second_claim_sees_none(exchange):
    deliver(exchange, "b.csv", "sku\nB\n")
    deliver(exchange, "a.csv", "sku\nA\n")

    first = list(exchange.claim())
    second = list(exchange.claim())

    assert [c.name for c in first] == ["a.csv", "b.csv"]
    assert second == []
    assert names_in(exchange, "incoming") == []
    assert names_in(exchange, "processing") == sorted(f"{c.claim_id}__{c.name}" for c in first)
    assert first[0].claimed_at == NOW.replace(microsecond=0)


def test_claim_ignores_hidden_temporary_and_unmatched_files(exchange):
    for name in [".orders.csv.tmp-123", ".DS_Store", "upload.csv.filepart", "x.tmp", "notes.txt"]:
        deliver(exchange, name, "sku\nA\n")
    deliver(exchange, "stock_1.csv", "sku\nA\n")

    claimed = list(exchange.claim(pattern="*.csv"))

    assert [c.name for c in claimed] == ["stock_1.csv"]
    assert len(names_in(exchange, "incoming")) == 5


def test_claim_takes_files_one_at_a_time_and_stops_at_the_limit(exchange):
    for name in ["a.csv", "b.csv", "c.csv"]:
        deliver(exchange, name, "sku\nA\n")

    iterator = exchange.claim(limit=2)
    next(iterator)

    assert names_in(exchange, "incoming") == ["b.csv", "c.csv"]
    assert [c.name for c in iterator] == ["b.csv"]
    assert names_in(exchange, "incoming") == ["c.csv"]


def test_a_file_another_reader_claimed_after_listing_is_skipped(exchange, monkeypatch):
    deliver(exchange, "a.csv", "sku\nA\n")
    fs = exchange.filesystem
    real_ls = fs.ls
    rival = make_exchange(exchange.url)

    def listing_then_rival_claims(path, detail=True, **kwargs):
        entries = real_ls(path, detail=detail, **kwargs)
        monkeypatch.setattr(fs, "ls", real_ls)
        assert [c.name for c in rival.claim()] == ["a.csv"]
        return entries

    monkeypatch.setattr(fs, "ls", listing_then_rival_claims)

    assert list(exchange.claim()) == []
    assert len(names_in(exchange, "processing")) == 1


def test_done_archives_under_the_utc_day(exchange):
    deliver(exchange, "stock.csv", "sku\nA\n")
    (claimed,) = list(exchange.claim())

    path = exchange.done(claimed)

    assert path == posixpath.join(exchange.folder_path("archive"), "2026-11-01", "stock.csv")
    assert names_in(exchange, "archive") == ["2026-11-01/stock.csv"]
    assert names_in(exchange, "processing") == []


def test_a_reused_name_is_processed_again_and_the_archive_keeps_both(exchange):
    deliver(exchange, "stock.csv", "sku\nFIRST\n")
    (first,) = list(exchange.claim())
    exchange.done(first)

    deliver(exchange, "stock.csv", "sku\nSECOND\n")
    (second,) = list(exchange.claim())
    exchange.done(second)

    assert second.records == [{"sku": "SECOND"}]
    assert names_in(exchange, "archive") == sorted(
        ["2026-11-01/stock.csv", f"2026-11-01/stock.{second.claim_id}.csv"]
    )
    archive = exchange.folder_path("archive/2026-11-01")
    assert exchange.filesystem.cat_file(f"{archive}/stock.csv") == b"sku\nFIRST\n"


def test_failed_moves_the_file_with_its_reason_beside_it(exchange):
    deliver(exchange, "orders.csv", "id\n1\n")
    (claimed,) = list(exchange.claim())

    path = exchange.failed(claimed, "order 1: unknown market 'XX'; add it to the market map")

    assert names_in(exchange, "failed") == ["orders.csv", "orders.csv" + ERROR_SIDECAR_SUFFIX]
    sidecar = exchange.filesystem.cat_file(path + ERROR_SIDECAR_SUFFIX).decode()
    assert sidecar.startswith("order 1: unknown market 'XX'; add it to the market map\n")
    assert f"claim: {claimed.claim_id}" in sidecar
    assert names_in(exchange, "processing") == []


def test_answering_a_claim_twice_says_what_happened(exchange):
    deliver(exchange, "a.csv", "sku\nA\n")
    (claimed,) = list(exchange.claim())
    exchange.done(claimed)

    with pytest.raises(FileExchangeError, match="no longer in .* recover"):
        exchange.failed(claimed, "too late")


@pytest.mark.parametrize(
    ("config", "content", "expected"),
    [
        ({}, 'sku,qty\nA,1\nB,"2\n', r"cannot read as CSV: line 3: unexpected end of data"),
        ({}, "sku,qty\nA,1\nB,2,3\n", r"cannot read as CSV: line 3: 3 fields where the header"),
        ({}, 'sku\n"A"x\n', r"cannot read as CSV: line 2: ',' expected after '\"'"),
        ({}, b"sku\nA\n\xff\n", r"line 3: bytes that are not utf-8"),
        ({"file_format": "json"}, '[\n{"a": "1"},\n{"a": }\n]', r"JSON: line 3: Expecting value"),
        ({"file_format": "json"}, '{"a": "1"}', r"line 1: the file holds a JSON object, expected"),
        ({"file_format": "json"}, '[{"a": {"b": 1}}]', r"field 'a' of record 1 is a JSON object"),
        ({"file_format": "json"}, '[{"a": NaN}]', r"NaN is not a JSON number"),
        ({"file_format": "json"}, '[{"a": "1", "a": "2"}]', r"has the key 'a' twice"),
        (
            {"file_format": "json", "json_lines": True},
            '{"a": "1"}\n\n{"a": "2"\n',
            r"JSON Lines: line 3: Expecting ',' delimiter",
        ),
        (
            {"file_format": "xml"},
            "<records>\n<record><a>1</a></record>\n<record><a>2</b></record>\n</records>",
            r"XML: line 3: not well-formed XML \(mismatched tag\)",
        ),
        ({"file_format": "xml"}, "<rows><record/></rows>", r"root element is <rows>, expected"),
        (
            {"file_format": "xml"},
            "<records><record><a><b>1</b></a></record></records>",
            r"field <a> of record 1 has child elements",
        ),
    ],
    ids=[
        "csv-open-quote",
        "csv-extra-field",
        "csv-bad-quote",
        "csv-bad-bytes",
        "json-syntax",
        "json-not-array",
        "json-nested",
        "json-nan",
        "json-duplicate-key",
        "json-lines-syntax",
        "xml-syntax",
        "xml-root",
        "xml-nested",
    ],
)
def test_an_unreadable_file_lands_in_failed_with_the_reason_and_line(
    root_url, config, content, expected
):
    exchange = make_exchange(root_url, **config)
    deliver(exchange, "partner.dat", content)
    deliver(exchange, "z-after.dat", "")  # the bad file does not stop the files after it

    claimed = list(exchange.claim())

    assert [c.name for c in claimed] == ["z-after.dat"]
    assert names_in(exchange, "failed") == ["partner.dat", "partner.dat" + ERROR_SIDECAR_SUFFIX]
    sidecar = exchange.folder_path("failed/partner.dat" + ERROR_SIDECAR_SUFFIX)
    reason = exchange.filesystem.cat_file(sidecar).decode().splitlines()[0]
    assert reason.startswith("cannot read as ")
    assert re.search(expected, reason), reason


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE records [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<records><record><a>&lol4;</a></record></records>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE records [<!ENTITY secret SYSTEM "file:///etc/hostname">]>
<records><record><a>&secret;</a></record></records>
"""


@pytest.mark.parametrize("content", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["laughs", "external"])
def test_xml_entities_are_refused_not_expanded(exchange, content):
    xml = make_exchange(exchange.url, file_format="xml")
    deliver(xml, "attack.xml", content)

    assert list(xml.claim()) == []

    sidecar = xml.folder_path("failed/attack.xml" + ERROR_SIDECAR_SUFFIX)
    reason = xml.filesystem.cat_file(sidecar).decode()
    assert "declares XML entities or external references" in reason
    assert "lollol" not in reason


def test_recover_returns_files_of_an_interrupted_run_to_incoming(exchange):
    deliver(exchange, "a.csv", "sku\nA\n")
    list(exchange.claim())  # the run dies before done() or failed()

    recovered = exchange.recover()

    assert recovered == ["a.csv"]
    assert names_in(exchange, "incoming") == ["a.csv"]
    assert names_in(exchange, "processing") == []
    assert [c.records for c in exchange.claim()] == [[{"sku": "A"}]]


def test_recover_with_an_age_leaves_recent_claims_alone(exchange):
    deliver(exchange, "a.csv", "sku\nA\n")
    list(exchange.claim())

    exchange._now = lambda: NOW + timedelta(minutes=10)
    assert exchange.recover(older_than=timedelta(minutes=30)) == []
    assert len(names_in(exchange, "processing")) == 1

    exchange._now = lambda: NOW + timedelta(minutes=31)
    assert exchange.recover(older_than=timedelta(minutes=30)) == ["a.csv"]


def test_recover_keeps_a_newer_delivery_of_the_same_name(exchange):
    deliver(exchange, "a.csv", "sku\nOLD\n")
    (claimed,) = list(exchange.claim())
    deliver(exchange, "a.csv", "sku\nNEW\n")

    exchange.recover()

    assert names_in(exchange, "incoming") == sorted(["a.csv", f"a.{claimed.claim_id}.csv"])
    assert sorted(c.records[0]["sku"] for c in exchange.claim()) == ["NEW", "OLD"]


def test_recover_leaves_files_it_did_not_claim(exchange):
    exchange.filesystem.pipe_file(exchange.folder_path("processing") + "/manual.csv", b"sku\n")

    assert exchange.recover() == []
    assert names_in(exchange, "processing") == ["manual.csv"]


def test_a_missing_folder_is_named_with_what_to_do(tmp_path):
    exchange = FileExchange(url=f"file://{tmp_path}/nowhere")

    with pytest.raises(FileExchangeUnavailable, match=f"{tmp_path}/nowhere does not exist.*create"):
        exchange.setup_for_execution(build_init_resource_context())


def test_a_missing_incoming_folder_is_named(tmp_path):
    exchange = FileExchange(url=f"file://{tmp_path}")

    with pytest.raises(FileExchangeUnavailable, match=f"{tmp_path}/incoming does not exist"):
        list(exchange.claim())


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"file_format": "parquet"}, r"unknown file_format 'parquet': use one of csv, json, xml"),
        ({"encoding": "utf-9"}, r"unknown encoding 'utf-9'"),
        ({"csv_delimiter": "||"}, r"csv_delimiter must be one character"),
        ({"incoming_folder": "../x"}, r"folder name '../x' must be a relative path"),
        ({"xml_record_element": "a b"}, r"'a b' is not a valid XML element name"),
    ],
)
def test_a_configuration_that_cannot_work_is_refused_naming_the_folder(tmp_path, config, message):
    exchange = FileExchange(url=f"file://{tmp_path}", **config)

    with pytest.raises(
        FileExchangeConfigError, match=f"file exchange file://{tmp_path}: {message}"
    ):
        exchange.setup_for_execution(build_init_resource_context())


def test_an_unknown_protocol_is_a_configuration_error():
    with pytest.raises(FileExchangeConfigError, match="nosuch://x/y: .*check the URL's protocol"):
        list(FileExchange(url="nosuch://x/y").claim())


def test_secrets_stay_out_of_messages_and_reprs(monkeypatch):
    """The password may not appear in the URL, and a credential never appears in a message."""
    in_url = FileExchange(url="sftp://wms:hunter2@127.0.0.1:1/exchange")
    with pytest.raises(FileExchangeConfigError) as raised:
        list(in_url.claim())
    assert "hunter2" not in str(raised.value)
    assert "sftp://wms:***@127.0.0.1:1/exchange" in str(raised.value)

    # Some filesystem libraries echo their arguments in errors; ours must not pass that on.
    def connect_and_echo(url, **options):
        raise PermissionError(f"login refused for {options}")

    monkeypatch.setattr(files.fsspec.core, "url_to_fs", connect_and_echo)
    echoed = FileExchange(
        url="sftp://127.0.0.1/x", credential="hunter2", storage_options={"passphrase": "s3cret"}
    )
    with pytest.raises(FileExchangeUnavailable, match="PermissionError: login refused") as raised:
        list(echoed.claim())
    assert "hunter2" not in str(raised.value)
    assert "s3cret" not in str(raised.value)
    assert "hunter2" not in repr(echoed)


def test_works_as_a_dagster_resource_with_the_credential_from_an_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_EXCHANGE_SECRET", "not-used-by-file-urls")
    (tmp_path / "incoming").mkdir()
    (tmp_path / "incoming" / "stock.csv").write_text("sku,qty\nA,1\nB,2\n")
    handled = []

    @asset
    def wms_stock(wms_files: FileExchange) -> None:
        assert wms_files.credential == "not-used-by-file-urls"
        for claimed in wms_files.claim():
            handled.extend(claimed.records)
            wms_files.done(claimed)

    exchange = FileExchange(url=f"file://{tmp_path}", credential=EnvVar("TEST_EXCHANGE_SECRET"))
    result = materialize([wms_stock], resources={"wms_files": exchange})

    assert result.success
    assert handled == [{"sku": "A", "qty": "1"}, {"sku": "B", "qty": "2"}]
    assert not (tmp_path / "incoming" / "stock.csv").exists()


def test_a_missing_transport_package_is_a_configuration_error(monkeypatch):
    def plugin_missing(url, **options):
        raise ImportError("Install s3fs to access S3")

    monkeypatch.setattr(files.fsspec.core, "url_to_fs", plugin_missing)

    with pytest.raises(FileExchangeConfigError, match=r"s3://bucket/wms: Install s3fs .*optional"):
        FileExchange(url="s3://bucket/wms").setup_for_execution(build_init_resource_context())

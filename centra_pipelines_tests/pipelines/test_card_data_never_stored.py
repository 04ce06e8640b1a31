"""Card numbers planted in Centra data reach no table and no log line."""

import logging
import re

from centra_pipelines.centra.full_sync import run_full_sync
from centra_pipelines.contracts.card_data import CARD_NUMBER_MARK
from centra_pipelines.definitions import defs
from centra_pipelines_tests.pipelines.conftest import WINDOW_DAYS, WINDOW_START

CARD_NUMBERS = ("4111111111111111", "5555555555554444")


def digits_only(text: str) -> str:
    return re.sub(r"[ -]", "", text)


def stored_text(pipeline) -> str:
    """Every text and JSON value of every table in the warehouse, concatenated."""
    columns = pipeline.warehouse.fetch(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE data_type IN ('VARCHAR', 'JSON')"
    )
    parts = []
    for schema, table, column in columns:
        rows = pipeline.warehouse.fetch(f'SELECT "{column}" FROM {schema}.{table}')
        parts.extend(str(value) for (value,) in rows if value is not None)
    return "\n".join(parts)


def logged_text(pipeline, result, caplog) -> str:
    messages = [record.getMessage() for record in caplog.records]
    for run_id in result.run_ids:
        for entry in pipeline.instance.all_logs(run_id):
            messages.append(entry.user_message or "")
            if entry.dagster_event is not None:
                messages.append(str(entry.dagster_event.event_specific_data))
    return "\n".join(messages)


def test_planted_card_numbers_are_in_no_table_and_no_log(pipeline, caplog):
    planted = pipeline.sandbox.control.card_data()

    with caplog.at_level(logging.DEBUG):
        result = run_full_sync(defs, pipeline.instance, start=WINDOW_START, days=WINDOW_DAYS)

    stored = digits_only(stored_text(pipeline))
    logged = digits_only(logged_text(pipeline, result, caplog))
    for number in CARD_NUMBERS:
        assert number not in stored
        assert number not in logged
    assert '"cvv": "123"' not in stored_text(pipeline)

    comment = pipeline.warehouse.fetch(
        "SELECT other_comment FROM centra_raw.orders WHERE order_number = ?",
        [planted.order_number],
    )[0][0]
    assert CARD_NUMBER_MARK in comment
    payment = pipeline.warehouse.fetch(
        "SELECT external_reference FROM centra_raw.payments WHERE payment_id = ?",
        [planted.payment_id],
    )
    assert payment and "4111" not in (payment[0][0] or "")

"""Sales ledger of the example ERP: sales orders and their lines, payments, credit notes.

The ERP numbers its own documents: a sales order gets `SO-000001`, a credit note `CN-000001`, from
a sequence, when its row is first inserted. An update never changes the number, so it is the ERP
document id that centra-pipelines writes back to Centra. Rows are keyed by `external_id`, the id
the record has in Centra (order number, order line id, payment history entry id).

Document-currency amounts keep the four decimals Centra's amounts arrive with; ledger amounts are
in the ledger currency (EUR), rounded to the cent by the integration.
"""

from typing import Any

from sqlalchemy import Connection, text

from sandbox_systems.erp.database import SCHEMA

_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};

CREATE SEQUENCE IF NOT EXISTS {SCHEMA}.sales_order_numbers;
CREATE SEQUENCE IF NOT EXISTS {SCHEMA}.credit_note_numbers;

CREATE TABLE IF NOT EXISTS {SCHEMA}.sales_orders (
    external_id TEXT PRIMARY KEY,
    document_number TEXT NOT NULL UNIQUE
        DEFAULT 'SO-' || lpad(nextval('{SCHEMA}.sales_order_numbers')::text, 6, '0'),
    centra_order_id TEXT NOT NULL,
    sales_channel TEXT NOT NULL,
    status_code TEXT NOT NULL,
    order_date DATE NOT NULL,
    customer_number TEXT,
    country_code CHAR(2),
    currency CHAR(3) NOT NULL,
    grand_total NUMERIC(18, 4) NOT NULL,
    grand_total_ex_tax NUMERIC(18, 4),
    tax_amount NUMERIC(18, 4),
    shipping_amount NUMERIC(18, 4),
    handling_amount NUMERIC(18, 4),
    discount_amount NUMERIC(18, 4),
    base_currency_rate NUMERIC(18, 8) NOT NULL,
    grand_total_base NUMERIC(14, 2) NOT NULL,
    payment_method TEXT,
    on_hold BOOLEAN NOT NULL DEFAULT FALSE,
    note TEXT,
    centra_attributes JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS {SCHEMA}.sales_order_lines (
    external_id TEXT PRIMARY KEY,
    order_external_id TEXT NOT NULL REFERENCES {SCHEMA}.sales_orders (external_id),
    sku TEXT,
    product_number TEXT,
    description TEXT,
    variant TEXT,
    size TEXT,
    quantity INTEGER NOT NULL,
    cancelled_quantity INTEGER NOT NULL DEFAULT 0,
    currency CHAR(3) NOT NULL,
    unit_price NUMERIC(18, 4) NOT NULL,
    discount_percent NUMERIC(9, 4),
    line_amount NUMERIC(18, 4) NOT NULL,
    line_amount_ex_tax NUMERIC(18, 4),
    tax_percent NUMERIC(9, 4) NOT NULL,
    vat_code TEXT NOT NULL,
    line_amount_base NUMERIC(14, 2) NOT NULL
);
CREATE INDEX IF NOT EXISTS sales_order_lines_order
    ON {SCHEMA}.sales_order_lines (order_external_id);

CREATE TABLE IF NOT EXISTS {SCHEMA}.payments (
    external_id TEXT PRIMARY KEY,
    order_external_id TEXT NOT NULL,
    transaction_type TEXT NOT NULL,
    status TEXT NOT NULL,
    payment_method TEXT NOT NULL,
    psp_reference TEXT,
    booked_at TIMESTAMPTZ NOT NULL,
    currency CHAR(3) NOT NULL,
    amount NUMERIC(18, 4) NOT NULL,
    base_currency_rate NUMERIC(18, 8) NOT NULL,
    amount_base NUMERIC(14, 2) NOT NULL
);

CREATE TABLE IF NOT EXISTS {SCHEMA}.credit_notes (
    external_id TEXT PRIMARY KEY,
    document_number TEXT NOT NULL UNIQUE
        DEFAULT 'CN-' || lpad(nextval('{SCHEMA}.credit_note_numbers')::text, 6, '0'),
    order_external_id TEXT NOT NULL,
    credit_date DATE NOT NULL,
    payment_method TEXT NOT NULL,
    psp_reference TEXT,
    currency CHAR(3) NOT NULL,
    amount NUMERIC(18, 4) NOT NULL CHECK (amount >= 0),
    base_currency_rate NUMERIC(18, 8) NOT NULL,
    amount_base NUMERIC(14, 2) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
"""

# Per table: the amount in the ledger currency, and the document number column if it has one.
_TOTALS = (
    ("sales_orders", "grand_total_base", "document_number"),
    ("sales_order_lines", "line_amount_base", None),
    ("payments", "amount_base", None),
    ("credit_notes", "amount_base", "document_number"),
)


def create(connection: Connection) -> None:
    """Create the sales ledger's sequences and tables unless they exist."""
    connection.execute(text(_DDL))


def summary(connection: Connection) -> dict[str, Any]:
    """Per table: rows, their total in the ledger currency (EUR) and the last document number."""
    result = {}
    for table, amount, number in _TOTALS:
        last = f"max({number})" if number else "NULL"
        rows, total, last_number = connection.execute(
            text(f"SELECT count(*), coalesce(sum({amount}), 0), {last} FROM {SCHEMA}.{table}")
        ).one()
        result[table] = {"rows": rows, "total_eur": total}
        if number:
            result[table]["last_document_number"] = last_number
    return result

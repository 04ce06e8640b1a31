"""Customer register of the example ERP: who the ERP invoices, with its own customer numbers.

The ERP numbers customers itself (`customer_no`, from 10001, from a sequence) and keeps Centra's
customer id in `centra_customer_id` for the customers it shares with the web shop. `updated_at`
is maintained by the ERP: a trigger moves it whenever a row really changes, so centra-pipelines
can tell which side changed a customer last. Gender is kept as the ERP's one-letter code
(F, M, X, U). Phone numbers and the newsletter flag are the ERP's own; centra-pipelines syncs
names, e-mail, gender and the VIP flag (docs/conflicts.md).
"""

import random
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, text

from sandbox_systems.erp.database import SCHEMA, transaction

FIRST_CUSTOMER_NUMBER = 10001

_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE SEQUENCE IF NOT EXISTS {SCHEMA}.customer_numbers START {FIRST_CUSTOMER_NUMBER};

CREATE TABLE IF NOT EXISTS {SCHEMA}.customers (
    customer_no BIGINT PRIMARY KEY DEFAULT nextval('{SCHEMA}.customer_numbers'),
    centra_customer_id BIGINT UNIQUE,
    email TEXT NOT NULL,
    first_name TEXT,
    last_name TEXT,
    gender_code CHAR(1) NOT NULL DEFAULT 'U' CHECK (gender_code IN ('F', 'M', 'X', 'U')),
    phone TEXT,
    newsletter BOOLEAN NOT NULL DEFAULT FALSE,
    vip BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);

CREATE OR REPLACE FUNCTION {SCHEMA}.touch_customer() RETURNS trigger AS $$
BEGIN
    -- An upsert that rewrites a row with the same values is not a change.
    IF ROW(NEW.*) IS DISTINCT FROM ROW(OLD.*) THEN
        NEW.updated_at := clock_timestamp();
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE TRIGGER customers_touch BEFORE UPDATE ON {SCHEMA}.customers
    FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.touch_customer();
"""

_GENDER_CODES = {"FEMALE": "F", "MALE": "M", "OTHER": "X", "UNKNOWN": "U"}

# Customers the ERP has and the web shop does not: phone and trade-fair customers.
_ERP_ONLY = (
    ("Ingrid", "Lindqvist", "F", "+46 70 412 88 19"),
    ("Mattias", "Holmberg", "M", "+46 73 905 21 44"),
    ("Sanna", "Virtanen", "F", "+358 40 771 3020"),
    ("Jonas", "Eriksen", "M", "+47 915 62 318"),
    ("Kim", "Andersen", "X", "+45 28 47 19 03"),
)


def create(connection: Connection) -> None:
    """Create the customer register's sequence, table and trigger unless they exist."""
    connection.execute(text(_DDL))


def seed_customers(
    url: str, centra_customers: Iterable[Mapping[str, Any]], erp_only: int = 3
) -> list[int]:
    """Fill the ERP's customer register as if it had been kept beside the web shop for a while.

    Args:
        url: a `postgresql+psycopg2://` URL of a database `create_erp` prepared.
        centra_customers: customers the ERP already shares with Centra, each with `id`, `email`,
            `first_name`, `last_name`, `gender` (Centra's enum) and optionally `vip`; the ERP
            copy agrees with Centra on these and adds a phone number and a newsletter flag.
        erp_only: how many customers only the ERP has (at most 5), e.g. phone orders.

    Returns:
        The ERP customer numbers of the rows written, shared ones first.
    """
    rng = random.Random(7)
    rows = [_shared_row(customer, rng) for customer in centra_customers]
    rows += [_erp_only_row(index, rng) for index in range(min(erp_only, len(_ERP_ONLY)))]
    with transaction(url) as connection:
        return [_insert(connection, row) for row in rows]


def summary(connection: Connection) -> dict[str, Any]:
    """How many customers the ERP has, how many it shares with Centra, and the last number."""
    total, shared, last = connection.execute(
        text(
            f"SELECT count(*), count(centra_customer_id), max(customer_no) FROM {SCHEMA}.customers"
        )
    ).one()
    return {"customers": {"rows": total, "linked_to_centra": shared, "last_customer_no": last}}


def _shared_row(customer: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    return {
        "centra_customer_id": customer["id"],
        "email": customer["email"],
        "first_name": customer.get("first_name"),
        "last_name": customer.get("last_name"),
        "gender_code": _GENDER_CODES.get(customer.get("gender") or "UNKNOWN", "U"),
        "phone": _phone(rng),
        "newsletter": rng.random() < 0.4,
        "vip": bool(customer.get("vip")),
    }


def _erp_only_row(index: int, rng: random.Random) -> dict[str, Any]:
    first, last, gender, phone = _ERP_ONLY[index]
    return {
        "centra_customer_id": None,
        "email": f"{first.lower()}.{last.lower()}@example.net",
        "first_name": first,
        "last_name": last,
        "gender_code": gender,
        "phone": phone,
        "newsletter": rng.random() < 0.4,
        "vip": index == 0,
    }


def _phone(rng: random.Random) -> str:
    digits = [rng.randint(0, 9), rng.randint(100, 999), rng.randint(10, 99), rng.randint(10, 99)]
    return "+46 7{} {} {} {}".format(*digits)


def _insert(connection: Connection, row: dict[str, Any]) -> int:
    columns = ", ".join(row)
    values = ", ".join(f":{name}" for name in row)
    return connection.execute(
        text(f"INSERT INTO {SCHEMA}.customers ({columns}) VALUES ({values}) RETURNING customer_no"),
        row,
    ).scalar_one()

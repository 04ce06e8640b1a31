"""The ID conversion table (digest §7): external ids of one integration mapped to Centra's ids.

Entries are scoped by integration name and object type. Within that scope an external id and an
internal id each appear once; an API write that collides with older entries overwrites them
(AMS would refuse, the API does not). Orders originate in Centra, so their internal id is the
order number.
"""

from centra_sandbox.store.database import Database

# IdConversionEntryObjectType as Centra's schema reference lists it (digest §7).
ID_CONVERSION_OBJECT_TYPES = (
    "Account", "AddressBookEntry", "AdminUser", "Brand", "Buyer", "Collection", "Customer",
    "Currency", "DeliveryWindow", "DeliveryWindowGroup", "Folder", "Invoice", "Market", "Order",
    "OrderLine", "PaymentHistoryEntry", "PaymentTerms", "Pricelist", "Product", "ProductVariant",
    "ProductSize", "PurchaseOrder", "Return", "SalesRepresentative", "Shipment", "StorePlugin",
    "ShippingTerms", "Size", "SizeChart", "Voucher", "Warehouse", "Unknown",
)  # fmt: skip
MAX_EXTERNAL_ID_LENGTH = 255

_SCOPE = "integrationName = ? AND objectType = ?"


def internal_id(db: Database, integration: str, object_type: str, external_id: str) -> int | None:
    """Centra's id for an external id of the integration, None when no entry maps it."""
    return db.scalar(
        f"SELECT internalId FROM idConversions WHERE {_SCOPE} AND externalId = ?",
        (integration, object_type, external_id),
    )


def external_id(db: Database, integration: str, object_type: str, internal: int) -> str | None:
    return db.scalar(
        f"SELECT externalId FROM idConversions WHERE {_SCOPE} AND internalId = ?",
        (integration, object_type, internal),
    )


def set_entry(
    db: Database, integration: str, object_type: str, internal: int, external: str
) -> dict:
    """Map `external` to `internal`, overwriting colliding entries; idempotent.

    The entry that already holds the external id keeps its id (so does an exact repeat); an
    entry that held the internal id for another external id is removed.
    """
    scope = (integration, object_type)
    db.execute(
        f"DELETE FROM idConversions WHERE {_SCOPE} AND internalId = ? AND externalId != ?",
        (*scope, internal, external),
    )
    current = db.one(
        f"SELECT id FROM idConversions WHERE {_SCOPE} AND externalId = ?", (*scope, external)
    )
    if current is None:
        entry_id = db.execute(
            "INSERT INTO idConversions (integrationName, objectType, externalId, internalId) "
            "VALUES (?, ?, ?, ?)",
            (*scope, external, internal),
        )
    else:
        entry_id = current["id"]
        db.execute("UPDATE idConversions SET internalId = ? WHERE id = ?", (internal, entry_id))
    return entry(db, entry_id)


def entry(db: Database, entry_id: int) -> dict | None:
    return db.one("SELECT * FROM idConversions WHERE id = ?", (entry_id,))


def find_entry(
    db: Database, integration: str, object_type: str, column: str, value: object
) -> dict | None:
    """The integration's entry of one type whose `column` (id, internalId or externalId) holds
    `value`; the column name comes from code, never from a request."""
    return db.one(
        f"SELECT * FROM idConversions WHERE {_SCOPE} AND {column} = ?",
        (integration, object_type, value),
    )


def remove_entry(db: Database, entry_id: int) -> None:
    db.execute("DELETE FROM idConversions WHERE id = ?", (entry_id,))

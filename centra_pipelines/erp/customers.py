"""Customers both ways between Centra and the ERP, field by field, conflicts settled by policy.

`erp/customers_plan` reads Centra's customers from the warehouse (as the last customer sync left
them) and the ERP's customer register live, brings both into one vocabulary (Centra's names and
codes; `config/mappings/erp/customers.to_centra.yaml` translates the ERP's), compares every
customer with what the two last agreed on (`outbound.plan_two_way`) and stores the writes each way
in the outbox. A field changed on one side is copied to the other; a field changed on both is a
conflict that `config/conflicts.yaml` settles or holds for a person (docs/conflicts.md).
`erp/customers_sent_to_centra` and `erp/customers_sent_to_erp` then send what was planned.

A customer keeps the key of the system it was first seen in, `centra:<id>` or `erp:<customer_no>`,
for good: the ERP stores Centra's id of the customers it shares (`centra_customer_id`), and the
outbox remembers the Centra id of each ERP customer we created there, so neither a create nor a
later e-mail change gives a customer a second key. (An e-mail key would split a customer in two
the day the address changes; the ERP number alone does not exist yet for a Centra customer the
ERP has not seen.)
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from centra_pipelines.centra import tables
from centra_pipelines.centra.client import CentraClient
from centra_pipelines.centra.client.errors import CentraError
from centra_pipelines.config.conflicts import CENTRA, load_conflict_config
from centra_pipelines.connectors.sql import SqlDatabase, SqlStatementError, UpsertResult
from centra_pipelines.erp import two_way
from centra_pipelines.erp.two_way import ERP
from centra_pipelines.mapping import apply, load_mappings
from centra_pipelines.outbound.assets import plan_asset, send_asset
from centra_pipelines.outbound.conflicts import (
    SyncLedger,
    TwoWayPlan,
    conflicts_check,
    conflicts_check_spec,
    conflicts_table,
    plan_two_way,
)
from centra_pipelines.outbound.outbox import Change, Outbox, Outcome, Planned
from centra_pipelines.outbound.reconcile import Side
from centra_pipelines.outbound.sending import failed
from centra_pipelines.warehouse import DuckDBWarehouse

ENTITY = "customers"
PLAN_KEY = ["erp", "customers_plan"]
ERP_TABLE = "erp.customers"
CENTRA_BORN, ERP_BORN = "centra:", "erp:"

# The shared vocabulary, in Centra's names; phone and newsletter are not synced (docs/conflicts.md).
FIELDS = ("email", "first_name", "last_name", "gender", "vip")
# Shared field -> CustomerUpdateInput / CustomerCreateInput field (digest §4.9, §5.2).
CENTRA_INPUT = {
    "email": "email",
    "first_name": "firstName",
    "last_name": "lastName",
    "gender": "gender",
}
# The VIP flag is the `vip` element of the dynamic customer attribute `cus_extra` (digest §10.4).
VIP_ATTRIBUTE, VIP_ELEMENT = "cus_extra", "vip"

# Customers per recorded batch towards Centra, and per setIdConversions call (it takes a batch).
CENTRA_BATCH = 50
# Customers per ERP transaction.
ERP_BATCH = 200
PREVIEW_ROWS = 20

FROM_ERP = load_mappings()["erp", "customers", "to_centra"]
TO_ERP = load_mappings()["erp", "customers", "to_system"]

CREATE_CUSTOMER = """
mutation CreateCustomerFromErp($input: CustomerCreateInput!) {
  createCustomer(input: $input) {
    customer { id }
    userErrors { message path }
    userWarnings { message path }
  }
}
"""

UPDATE_CUSTOMER = """
mutation UpdateCustomerFromErp($id: Int!, $input: CustomerUpdateInput!) {
  updateCustomer(id: $id, input: $input) {
    customer { id }
    userErrors { message path }
    userWarnings { message path }
  }
}
"""

ASSIGN_ATTRIBUTES = """
mutation AssignCustomerVipFromErp($input: AttributesAssignInput!) {
  assignAttributes(input: $input) {
    userErrors { message path }
    userWarnings { message path }
  }
}
"""

SET_ID_CONVERSIONS = """
mutation LinkErpCustomers($input: [IdConversionSetInput!]!) {
  setIdConversions(input: $input) {
    entries { internalId externalId }
    userErrors { message path }
    userWarnings { message path }
  }
}
"""

_CENTRA_SIDE = f"""
SELECT c.id, c.email, c.first_name, c.last_name, c.gender, c.updated_at, c._synced_at,
       coalesce(bool_or(a.value IN ('1', 'true')), false) AS vip
FROM {tables.customers.spec.qualified_name} c
LEFT JOIN {tables.customer_attribute_values.spec.qualified_name} a
  ON a.object_id = CAST(c.id AS VARCHAR)
  AND a.attribute_type = '{VIP_ATTRIBUTE}' AND a.element_key = '{VIP_ELEMENT}'
GROUP BY ALL
ORDER BY c.id
"""

_ERP_COLUMNS = "customer_no, centra_customer_id, email, first_name, last_name, gender_code, vip"


@dataclass
class Sides(two_way.Sides):
    """Both sides of every comparable customer, and the customers left out of this comparison."""

    awaiting_centra_sync: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Keys:
    """Record keys: a customer keeps the key of the system it was first seen in."""

    created_in_centra: dict[int, str]  # Centra id -> key, for ERP customers we created there

    def of_centra(self, centra_id: int) -> str:
        return self.created_in_centra.get(centra_id, f"{CENTRA_BORN}{centra_id}")

    def of_erp(self, customer_no: int, centra_id: int | None) -> str:
        return self.of_centra(centra_id) if centra_id is not None else f"{ERP_BORN}{customer_no}"


@plan_asset(
    PLAN_KEY,
    deps=[
        dg.AssetKey(["centra", "customers"]),
        dg.AssetKey(["centra", "customer_attribute_values"]),
    ],
    check="Every customer of both sides maps into the shared vocabulary and can be written to "
    "the other side; when not, nothing is sent either way.",
    more_checks=[conflicts_check_spec(PLAN_KEY, ENTITY)],
    description="Customers compared between Centra and the ERP, writes planned both ways "
    "(the dry run).",
)
def erp_customers_plan(
    context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse, erp_database: SqlDatabase
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    if not warehouse.table_exists(tables.customers.spec):
        raise dg.Failure(
            "Centra's customers are not in the warehouse yet; run the centra_customers_sync job "
            "first. Planning without them would create every ERP customer in Centra again."
        )
    outbox, ledger, run_id = Outbox(warehouse), SyncLedger(warehouse), context.run.run_id
    keys = Keys({remote: key for key, remote in outbox.remote_ids(CENTRA, ENTITY).items()})
    sides = Sides()
    centra_ids = _read_centra(warehouse, keys, sides)
    _read_erp(erp_database, keys, sides)
    _leave_out_unsynced_creates(sides, keys, centra_ids)
    _reject_email_clashes(sides)

    policies = load_conflict_config().for_entity(ENTITY)
    plan = plan_two_way(ledger, outbox, ENTITY, policies, sides.centra, sides.erp, run_id)
    rejected, _ = outbox.plan(sides.rejected, f"{run_id}:rejected")
    _log_plan(context, plan, sides)

    yield dg.MaterializeResult(metadata=_plan_metadata(plan, sides))
    yield two_way.plan_check(rejected)
    yield conflicts_check(plan, ledger)


@send_asset(
    ["erp", "customers_sent_to_centra"],
    plan=erp_customers_plan,
    description="Customer changes and new customers from the ERP written to Centra.",
)
def erp_customers_sent_to_centra(
    context: dg.AssetExecutionContext, centra: CentraClient, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    outbox = Outbox(warehouse)
    return two_way.send_to_centra(
        context,
        centra,
        warehouse,
        ENTITY,
        lambda batch: _send_to_centra(context, centra, outbox, batch),
        _field_names,
        batch_size=CENTRA_BATCH,
    )


@send_asset(
    ["erp", "customers_sent_to_erp"],
    plan=erp_customers_plan,
    description="Customer changes and new customers from Centra written to the ERP.",
)
def erp_customers_sent_to_erp(
    context: dg.AssetExecutionContext, erp_database: SqlDatabase, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    return two_way.send_to_erp(
        context,
        warehouse,
        ENTITY,
        lambda batch: _upsert_into_erp(erp_database, batch),
        _field_names,
        batch_size=ERP_BATCH,
    )


CUSTOMER_ASSETS = [erp_customers_plan, erp_customers_sent_to_centra, erp_customers_sent_to_erp]


# --- reading both sides -----------------------------------------------------------------------


def _read_centra(warehouse: DuckDBWarehouse, keys: Keys, sides: Sides) -> set[int]:
    """Centra's customers as the last sync stored them; returns the ids seen."""
    ids = set()
    for centra_id, email, first, last, gender, updated_at, synced_at, vip in warehouse.fetch(
        _CENTRA_SIDE
    ):
        ids.add(centra_id)
        key = keys.of_centra(centra_id)
        values = {
            "email": _text(email),
            "first_name": _text(first),
            "last_name": _text(last),
            # Centra leaves gender empty when the shopper gave none; the ERP says "unknown".
            "gender": gender or "UNKNOWN",
            "vip": bool(vip),
        }
        problems = apply(TO_ERP, values).problems
        if problems:
            sides.rejected.append(_rejected(ERP, key, f"Centra customer {centra_id}", problems))
            continue
        sides.centra[key] = Side(CENTRA, values, updated_at, read_at=synced_at)
    return ids


def _read_erp(erp_database: SqlDatabase, keys: Keys, sides: Sides) -> None:
    query = f"SELECT {_ERP_COLUMNS}, updated_at FROM {ERP_TABLE} ORDER BY customer_no"
    for rows in erp_database.read(query):
        for row in rows:
            key = keys.of_erp(row["customer_no"], row["centra_customer_id"])
            mapped = apply(FROM_ERP, row)
            if mapped.problems:
                source = f"ERP customer {row['customer_no']}"
                sides.rejected.append(_rejected(CENTRA, key, source, mapped.problems))
                continue
            values = {name: _text(mapped.values.get(name)) for name in FIELDS}
            values["vip"] = mapped.values["vip"]
            sides.erp[key] = Side(ERP, values, row["updated_at"])
    # A customer one side cannot express is left out on both, or it would look new on the other.
    for change in sides.rejected:
        sides.leave_out(change.record_key)


def _leave_out_unsynced_creates(sides: Sides, keys: Keys, centra_ids: set[int]) -> None:
    """ERP customers created in Centra since its last customer sync are compared after the next.

    The warehouse does not show them yet; compared now they would look deleted in Centra.
    """
    for centra_id, key in keys.created_in_centra.items():
        if centra_id not in centra_ids:
            sides.leave_out(key)
            sides.awaiting_centra_sync.append(key)


def _reject_email_clashes(sides: Sides) -> None:
    """An ERP-only customer whose e-mail a Centra customer has is one person, not yet linked."""
    centra_emails = {
        side.values["email"].lower(): key
        for key, side in sides.centra.items()
        if side.values.get("email")
    }
    for key, side in list(sides.erp.items()):
        owner = centra_emails.get((side.values.get("email") or "").lower())
        if key in sides.centra or owner is None:
            continue
        reason = (
            f"e-mail {side.values['email']} belongs to Centra customer {owner}; link them by "
            f"setting centra_customer_id on ERP customer {key.removeprefix(ERP_BORN)}"
        )
        sides.rejected.append(Change(CENTRA, ENTITY, key, {}, f"ERP customer {key}", reason))
        sides.leave_out(key)


def _rejected(target: str, key: str, source: str, problems) -> Change:
    reason = "; ".join(f"{problem.field}: {problem.reason}" for problem in problems)
    return Change(target, ENTITY, key, {}, source, reason)


def _text(value: Any) -> Any:
    """Text compared as both sides mean it: trimmed, and empty the same as absent."""
    if isinstance(value, str):
        return value.strip() or None
    return value


# --- sending to Centra ------------------------------------------------------------------------


def _send_to_centra(
    context: dg.AssetExecutionContext, centra: CentraClient, outbox: Outbox, batch: list[Planned]
) -> Outcome:
    """Create or update each customer; then tell Centra the ERP numbers of those created."""
    outcome, created = Outcome(), []
    for planned in batch:
        try:
            customer_id = _write_customer(centra, outbox, planned.change)
        except CentraError as error:
            outcome.failed.append(_failed(context, planned, str(error), error=error))
            continue
        if planned.change.payload["create"]:
            created.append((planned, customer_id))
        else:
            outcome.sent.append(planned)
    if not created:
        return outcome

    try:
        _link_erp_numbers(centra, created)
    except CentraError as error:
        # The customers exist and their ids are kept; the rerun links them without creating.
        reason = f"created, but the ERP number was not recorded in Centra: {error}"
        outcome.failed += [_failed(context, planned, reason) for planned, _ in created]
        return outcome
    outcome.sent += [planned for planned, _ in created]
    return outcome


def _write_customer(centra: CentraClient, outbox: Outbox, change: Change) -> int:
    fields = change.payload["fields"]
    customer_id = _centra_id(outbox, change)
    if customer_id is None:
        customer_id = _create_in_centra(centra, fields)
        # Kept at once, so a rerun after a failure further on updates instead of creating twice.
        outbox.remember_remote_id(change, customer_id)
    else:
        updates = {CENTRA_INPUT[name]: value for name, value in fields.items() if name != "vip"}
        if updates:
            variables = {"id": customer_id, "input": updates}
            centra.mutate(UPDATE_CUSTOMER, payload_field="updateCustomer", variables=variables)
    if "vip" in fields and (fields["vip"] or not change.payload["create"]):
        _set_vip(centra, customer_id, fields["vip"])
    return customer_id


def _centra_id(outbox: Outbox, change: Change) -> int | None:
    if change.record_key.startswith(CENTRA_BORN):
        return int(change.record_key.removeprefix(CENTRA_BORN))
    return outbox.remote_id(change)


def _create_in_centra(centra: CentraClient, fields: dict[str, Any]) -> int:
    customer = {CENTRA_INPUT[name]: value for name, value in fields.items() if name != "vip"}
    # Known to the ERP from a phone or trade-fair order: no web account, so not registered.
    customer["registered"] = False
    payload = centra.mutate(
        CREATE_CUSTOMER, payload_field="createCustomer", variables={"input": customer}
    )
    return payload["customer"]["id"]


def _set_vip(centra: CentraClient, customer_id: int, vip: bool) -> None:
    attribute = {
        "attributeTypeName": VIP_ATTRIBUTE,
        "attributeElementKey": VIP_ELEMENT,
        "attributeElementValue": "1" if vip else "0",
    }
    assignment = {
        "objectType": "Customer",
        "objectId": customer_id,
        "dynamicAttributes": [attribute],
    }
    centra.mutate(
        ASSIGN_ATTRIBUTES, payload_field="assignAttributes", variables={"input": assignment}
    )


def _link_erp_numbers(centra: CentraClient, created: list[tuple[Planned, int]]) -> None:
    """One setIdConversions call for the batch, so Centra resolves `{externalId: <ERP no>}`."""
    entries = [
        {
            "objectType": "Customer",
            "internalId": customer_id,
            "externalId": planned.change.record_key.removeprefix(ERP_BORN),
        }
        for planned, customer_id in created
    ]
    centra.mutate(
        SET_ID_CONVERSIONS, payload_field="setIdConversions", variables={"input": entries}
    )


def _failed(
    context: dg.AssetExecutionContext,
    planned: Planned,
    reason: str,
    *,
    error: Exception | None = None,
) -> Planned:
    context.log.error("customer %s not written to Centra: %s", planned.change.record_key, reason)
    return failed([planned], reason, error=error).failed[0]


# --- sending to the ERP -----------------------------------------------------------------------


def _upsert_into_erp(erp_database: SqlDatabase, batch: list[Planned]) -> list[UpsertResult]:
    """New customers keyed by their Centra id (the ERP numbers them); others by ERP number."""
    creates = [item.change for item in batch if item.change.payload["create"]]
    updates = [item.change for item in batch if not item.change.payload["create"]]
    results = []
    if creates:
        rows = [_new_erp_row(change) for change in creates]
        results.append(erp_database.upsert(ERP_TABLE, rows, ["centra_customer_id"]))
    if updates:
        rows = _updated_erp_rows(erp_database, updates)
        results.append(erp_database.upsert(ERP_TABLE, rows, ["customer_no"]))
    return results


def _new_erp_row(change: Change) -> dict[str, Any]:
    centra_id = int(change.record_key.removeprefix(CENTRA_BORN))
    return {"centra_customer_id": centra_id, **_erp_columns(change.payload["fields"])}


def _updated_erp_rows(erp_database: SqlDatabase, changes: list[Change]) -> list[dict[str, Any]]:
    """Each customer's current ERP row with the changed fields, so that the rest stays as it is."""
    current = _current_erp_rows(erp_database, [change.record_key for change in changes])
    rows = []
    for change in changes:
        row = current.get(change.record_key)
        if row is None:
            raise SqlStatementError(
                f"ERP customer {change.record_key} is gone from {ERP_TABLE}; the next plan "
                "holds it as deleted for review"
            )
        merged = {**apply(FROM_ERP, row).values, **change.payload["fields"]}
        rows.append({"customer_no": row["customer_no"], **_erp_columns(merged)})
    return rows


def _current_erp_rows(erp_database: SqlDatabase, keys: list[str]) -> dict[str, dict[str, Any]]:
    numbers = [int(key.removeprefix(ERP_BORN)) for key in keys if key.startswith(ERP_BORN)]
    ids = [int(key.removeprefix(CENTRA_BORN)) for key in keys if key.startswith(CENTRA_BORN)]
    query = (
        f"SELECT {_ERP_COLUMNS} FROM {ERP_TABLE} "
        "WHERE customer_no = ANY(:numbers) OR centra_customer_id = ANY(:ids)"
    )
    found = {}
    for rows in erp_database.read(query, {"numbers": numbers, "ids": ids}):
        for row in rows:
            by_number = f"{ERP_BORN}{row['customer_no']}"
            by_id = f"{CENTRA_BORN}{row['centra_customer_id']}"
            found[by_number if by_number in keys else by_id] = row
    return found


def _erp_columns(values: dict[str, Any]) -> dict[str, Any]:
    mapped = apply(TO_ERP, values)
    if mapped.problems:
        reasons = "; ".join(f"{problem.field}: {problem.reason}" for problem in mapped.problems)
        raise SqlStatementError(f"not a customer the ERP can store: {reasons}")
    # Every column the mapping writes, so a name cleared in Centra is cleared in the ERP too.
    return {rule.target: mapped.values.get(rule.target) for rule in TO_ERP.fields}


# --- what the plan shows ----------------------------------------------------------------------


def _log_plan(context: dg.AssetExecutionContext, plan: TwoWayPlan, sides: Sides) -> None:
    context.log.info(
        "customers compared: %d in Centra, %d in the ERP; %d writes to Centra, %d to the ERP, "
        "%d unchanged, %d conflicts (%d held), %d rejected, %d waiting for a Centra sync",
        len(sides.centra),
        len(sides.erp),
        len(plan.writes_to(CENTRA)),
        len(plan.writes_to(ERP)),
        plan.unchanged,
        len(plan.conflicts),
        sum(1 for _, conflict in plan.conflicts if conflict.held),
        len(sides.rejected),
        len(sides.awaiting_centra_sync),
    )
    if sides.rejected:
        context.log.warning(
            "%d customers not compared, nothing is sent until they are fixed: %s",
            len(sides.rejected),
            "; ".join(f"{c.source}: {c.reason}" for c in sides.rejected[:5]),
        )


def _plan_metadata(plan: TwoWayPlan, sides: Sides) -> dict[str, Any]:
    to_centra, to_erp = plan.writes_to(CENTRA), plan.writes_to(ERP)
    preview = (
        "**Writes**\n\n"
        + two_way.writes_table((to_centra + to_erp)[:PREVIEW_ROWS], _field_names)
        + "\n\n**Conflicts**\n\n"
        + conflicts_table(plan, ERP, PREVIEW_ROWS)
    )
    return {
        "dagster/row_count": len(plan.decisions),
        "would_send_to_centra": len(to_centra),
        "would_send_to_erp": len(to_erp),
        "creates_in_centra": sum(1 for item in to_centra if item.change.payload["create"]),
        "creates_in_erp": sum(1 for item in to_erp if item.change.payload["create"]),
        "unchanged": plan.unchanged,
        "conflicts": len(plan.conflicts),
        "held": sum(1 for _, conflict in plan.conflicts if conflict.held),
        "rejected": len(sides.rejected),
        "awaiting_centra_sync": len(sides.awaiting_centra_sync),
        "preview": dg.MetadataValue.md(preview),
    }


def _field_names(fields: dict[str, Any]) -> str:
    """The changed fields only: a customer's values are personal data, kept out of previews."""
    return ", ".join(sorted(fields))

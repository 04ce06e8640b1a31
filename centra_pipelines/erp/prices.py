"""Prices both ways between Centra's pricelists and the ERP's price lists (docs/conflicts.md).

`erp/prices_plan` compares, per pricelist and product, the price the warehouse last synced from
Centra with the ERP's price list row (mapped with config/mappings/erp/prices.to_centra.yaml),
against what the two last agreed on: a price changed on one side is copied to the other, one
changed on both is settled by conflicts.yaml (the ERP decides prices). The plan alone is the dry
run. `erp/prices_sent_to_centra` sends Centra's share with `setPrices`, many products per call;
`erp/prices_sent_to_erp` upserts the ERP's share into its price list table.

A record is keyed `<pricelist id>|<product number>`: the ERP knows its items by the product
number and keeps one price per item and list, while Centra's ids of displays and variants mean
nothing to it. Both halves exist before and after a create on either side, so the key never
changes when a price appears on the other side.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import dagster as dg

from centra_pipelines.centra import tables
from centra_pipelines.centra.client import CentraClient
from centra_pipelines.centra.client.errors import CentraError, CentraUserErrors
from centra_pipelines.config.conflicts import CENTRA, load_conflict_config
from centra_pipelines.connectors.sql import SqlDatabase, UpsertResult
from centra_pipelines.erp.planning import (
    PREVIEW_ROWS,
    mapping_columns,
    raise_if_failed,
    send_due,
)
from centra_pipelines.mapping import Mapping, apply, load_mappings
from centra_pipelines.outbound.conflicts import (
    SyncLedger,
    TwoWayPlan,
    after_sent,
    conflicts_check,
    conflicts_check_spec,
    conflicts_table,
    plan_two_way,
)
from centra_pipelines.outbound.files import PLAN_CHECK, plan_check_spec
from centra_pipelines.outbound.outbox import (
    PENDING,
    Change,
    Outbox,
    Outcome,
    Planned,
    batches,
    describe_reasons,
)
from centra_pipelines.outbound.reconcile import Side
from centra_pipelines.settings import OWNERS
from centra_pipelines.warehouse import DuckDBWarehouse

GROUP = "erp"
ENTITY, ERP = "prices", "erp"
ERP_TABLE, ERP_KEY = "erp.price_list_prices", ("price_list_code", "item_number")
ERP_PRICE_LISTS = "erp.price_lists"
# Products per setPrices call: one mutation token whatever the size (digest §2.1).
PRICES_PER_MUTATION = 100
ERP_BATCH = 500

FROM_ERP = load_mappings()["erp", "prices", "to_centra"]
TO_ERP = load_mappings()["erp", "prices", "to_system"]

# ISO 4217 currencies whose minor unit is not the cent; every other one has two places.
CURRENCY_PLACES = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG"), 0),
    **dict.fromkeys(("RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}

SET_PRICES = """
mutation SetPricesFromErp($input: ProductPricesSetInput!) {
  setPrices(input: $input) {
    pricelist { id }
    userErrors { message path }
    userWarnings { message path }
  }
}
"""


@dataclass
class Sides:
    """Both sides of an entity in the shared vocabulary, and the ERP rows that could not join."""

    centra: dict[str, Side] = field(default_factory=dict)
    erp: dict[str, Side] = field(default_factory=dict)
    rejected: list[Change] = field(default_factory=list)


@dg.asset(
    key=["erp", "prices_plan"],
    group_name=GROUP,
    owners=OWNERS,
    deps=[
        dg.AssetKey(["centra", "prices"]),
        dg.AssetKey(["centra", "pricelists"]),
        dg.AssetKey(["centra", "products"]),
    ],
    check_specs=[
        plan_check_spec(
            ["erp", "prices_plan"],
            "Every ERP price maps to a Centra pricelist in its currency; when not, nothing is sent "
            "either way.",
        ),
        conflicts_check_spec(["erp", "prices_plan"], ENTITY),
    ],
    description="Prices compared between Centra and the ERP, planned both ways (the dry run).",
)
def erp_prices_plan(
    context: dg.AssetExecutionContext, erp_database: SqlDatabase, warehouse: DuckDBWarehouse
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    sides = Sides(centra=_with_erp_price_list(centra_prices(warehouse), erp_database))
    currencies = pricelist_currencies(warehouse)
    # A bundle priced by its items has no price of its own to compare or set (setPrices skips it).
    products = set(product_ids(warehouse)) - dynamic_bundles(warehouse)
    for row in erp_rows(erp_database, ERP_TABLE):
        _add_erp_price(sides, row, currencies, products)

    yield from plan_both_ways(context, warehouse, ENTITY, sides, _describe)


@dg.asset(
    key=["erp", "prices_sent_to_centra"],
    group_name=GROUP,
    owners=OWNERS,
    deps=[erp_prices_plan],
    description="Prices the ERP changed, sent to Centra with setPrices, many products per call.",
)
def erp_prices_sent_to_centra(
    context: dg.AssetExecutionContext, centra: CentraClient, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    ids, currencies = product_ids(warehouse), pricelist_currencies(warehouse)

    def send(items: list[Planned]) -> Outcome:
        pricelist_id = int(items[0].change.record_key.split("|", 1)[0])
        return _send_prices(context, centra, pricelist_id, items, ids, currencies[pricelist_id])

    return send_to_centra(context, centra, warehouse, ENTITY, _by_pricelist, send, _describe)


@dg.asset(
    key=["erp", "prices_sent_to_erp"],
    group_name=GROUP,
    owners=OWNERS,
    deps=[erp_prices_plan],
    description="Prices changed or new in Centra, upserted into the ERP's price lists.",
)
def erp_prices_sent_to_erp(
    context: dg.AssetExecutionContext, erp_database: SqlDatabase, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    return send_to_erp(context, erp_database, warehouse, ENTITY, _erp_price_row, _describe)


# --- both sides in the shared vocabulary ---------------------------------------------------


def centra_prices(warehouse: DuckDBWarehouse) -> dict[str, Side]:
    """One side per pricelist the ERP has a code for and product, as last synced.

    Centra lists a price per display and variant; the product's price is the one most of its
    variants carry (the lowest on a tie). A pricelist is read from the market partition synced
    last, so an older copy in another market's partition never hides a newer price.
    """
    prices = tables.prices.spec.qualified_name
    rows = warehouse.fetch(
        f"""
        WITH latest AS (
            SELECT pricelist_id, product_id, max(_synced_at) AS read_at FROM {prices}
            GROUP BY pricelist_id, product_id
        )
        SELECT p.pricelist_id, pr.product_number, pl.currency, p.price, l.read_at
        FROM {prices} p
        JOIN latest l ON l.pricelist_id = p.pricelist_id AND l.product_id = p.product_id
            AND l.read_at = p._synced_at
        JOIN {tables.products.spec.qualified_name} pr ON pr.id = p.product_id
        JOIN {tables.pricelists.spec.qualified_name} pl ON pl.id = p.pricelist_id
        WHERE p.price IS NOT NULL AND list_contains(?, p.pricelist_id)
            AND NOT list_contains(?, pr.product_number)
        """,
        [sorted(synced_pricelists()), sorted(dynamic_bundles(warehouse))],
    )
    grouped: dict[str, list] = {}
    for pricelist_id, number, currency, price, read_at in rows:
        grouped.setdefault(price_key(pricelist_id, number), []).append((currency, price, read_at))

    sides = {}
    for key, found in grouped.items():
        counts = Counter(price for _, price, _ in found)
        price = min(counts, key=lambda value: (-counts[value], value))
        currency, read_at = found[0][0], found[0][2]
        values = {"currency": currency, "price": money(price, currency)}
        sides[key] = Side(CENTRA, values, read_at=read_at)
    return sides


def _with_erp_price_list(centra: dict[str, Side], erp_database: SqlDatabase) -> dict[str, Side]:
    """Centra's prices of the pricelists the ERP has set up; the ERP's team creates its lists."""
    codes = {row["code"] for row in erp_rows(erp_database, ERP_PRICE_LISTS)}
    rule = next(rule for rule in TO_ERP.fields if rule.target == "price_list_code")
    present = {int(key) for key, code in (rule.value_map or {}).items() if code in codes}
    return {key: side for key, side in centra.items() if int(key.split("|", 1)[0]) in present}


def _add_erp_price(sides: Sides, row: dict, currencies: dict[int, str], products: set) -> None:
    mapped = apply(FROM_ERP, row)
    values = mapped.values
    key = f"{row.get('price_list_code')}|{row.get('item_number')}"
    reason = "; ".join(f"{p.field}: {p.reason}" for p in mapped.problems) or None
    if reason is None and values["product_number"] not in products:
        # An item Centra does not sell (yet) is no error: it joins once the product exists.
        return
    expected = currencies.get(values.get("pricelist_id"))
    if reason is None and values["currency"] != expected:
        reason = f"currency {values['currency']} is not pricelist's currency {expected}"
    if reason is not None:
        sides.rejected.append(Change(CENTRA, ENTITY, key, {"erp_row": key}, ERP_TABLE, reason))
        return

    record_key = price_key(values["pricelist_id"], values["product_number"])
    price = {"currency": values["currency"], "price": money(values["price"], values["currency"])}
    sides.erp[record_key] = Side(ERP, price, updated_at=row.get("updated_at"))


def price_key(pricelist_id: int, product_number: str) -> str:
    return f"{pricelist_id}|{product_number}"


def money(amount: Decimal, currency: str) -> Decimal:
    """An amount at its currency's places, so that 9.9 and 9.90 compare (and store) equal."""
    places = CURRENCY_PLACES.get(currency, 2)
    return Decimal(amount).quantize(Decimal(1).scaleb(-places))


def synced_pricelists() -> set[int]:
    """Pricelists the ERP has a code for: those in the mapping's value map."""
    rule = next(rule for rule in TO_ERP.fields if rule.target == "price_list_code")
    return {int(pricelist_id) for pricelist_id in rule.value_map or {}}


def dynamic_bundles(warehouse: DuckDBWarehouse) -> set[str]:
    """Product numbers of bundles whose price Centra adds up from their items."""
    if not warehouse.table_exists(tables.bundles.spec):
        return set()
    rows = warehouse.fetch(
        f"SELECT p.product_number FROM {tables.bundles.spec.qualified_name} b "
        f"JOIN {tables.products.spec.qualified_name} p ON p.id = b.product_id "
        "WHERE upper(b.price_type) = 'DYNAMIC'"
    )
    return {row[0] for row in rows}


def pricelist_currencies(warehouse: DuckDBWarehouse) -> dict[int, str]:
    return dict(
        warehouse.fetch(f"SELECT id, currency FROM {tables.pricelists.spec.qualified_name}")
    )


def product_ids(warehouse: DuckDBWarehouse) -> dict[str, int]:
    """Centra's product id per product number."""
    return dict(
        warehouse.fetch(f"SELECT product_number, id FROM {tables.products.spec.qualified_name}")
    )


def erp_rows(erp_database: SqlDatabase, table: str) -> Iterator[dict[str, Any]]:
    for batch in erp_database.read(table):
        yield from batch


def _describe(fields: dict[str, Any]) -> str:
    return ", ".join(f"{name} {value}" for name, value in sorted(fields.items()))


# --- planning both ways (shared with products.py) -------------------------------------------


def plan_both_ways(
    context: dg.AssetExecutionContext,
    warehouse: DuckDBWarehouse,
    entity: str,
    sides: Sides,
    describe: Callable[[dict[str, Any]], str],
    unmatched: list[str] | None = None,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Plan the writes both ways and yield the materialization, the plan check and conflicts."""
    run_id = context.run.run_id
    outbox, ledger = Outbox(warehouse), SyncLedger(warehouse)
    policies = load_conflict_config().for_entity(entity)
    plan = plan_two_way(ledger, outbox, entity, policies, sides.centra, sides.erp, run_id)
    # Their own id prefix: change ids are `<prefix>:<position>` and the plan used the run id.
    rejected, _ = outbox.plan(sides.rejected, f"{run_id}:rejected")

    to_centra, to_erp = plan.writes_to(CENTRA), plan.writes_to(policies.other_system)
    context.log.info(
        "%s: %d in Centra, %d in the ERP; %d writes to Centra, %d to the ERP, %d unchanged, "
        "%d conflicts (%d held), %d ERP rows rejected",
        entity,
        len(sides.centra),
        len(sides.erp),
        len(to_centra),
        len(to_erp),
        plan.unchanged,
        len(plan.conflicts),
        sum(1 for _, conflict in plan.conflicts if conflict.held),
        len(rejected),
    )
    yield dg.MaterializeResult(metadata=_plan_metadata(plan, rejected, describe))
    yield _plan_check(rejected)
    yield _conflicts_check(plan, ledger, unmatched or [])


def _plan_metadata(plan: TwoWayPlan, rejected: list[Planned], describe) -> dict[str, Any]:
    pending = [item for item in plan.planned if item.status == PENDING]
    return {
        "would_send": len(pending),
        "to_centra": len(plan.writes_to(CENTRA)),
        "to_erp": len(plan.writes_to(plan.other_system)),
        "unchanged": plan.unchanged,
        "conflicts": len(plan.conflicts),
        "rejected": len(rejected),
        "preview": dg.MetadataValue.md(writes_table(pending[:PREVIEW_ROWS], describe)),
        "conflicts_preview": dg.MetadataValue.md(conflicts_table(plan, plan.other_system)),
    }


def _plan_check(rejected: list[Planned]) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=PLAN_CHECK,
        passed=not rejected,
        metadata={"rejected": len(rejected), "reasons": describe_reasons(rejected) or "none"},
    )


def _conflicts_check(plan: TwoWayPlan, ledger: SyncLedger, unmatched: list[str]):
    """The core's conflicts check, also warning about ERP records nothing can be written to."""
    result = conflicts_check(plan, ledger)
    if not unmatched:
        return result
    return dg.AssetCheckResult(
        check_name=result.check_name,
        passed=False,
        severity=result.severity,
        metadata={
            **result.metadata,
            "erp_only": len(unmatched),
            "erp_only_records": ", ".join(unmatched[:PREVIEW_ROWS]),
        },
    )


def writes_table(planned: list[Planned], describe) -> str:
    lines = ["| to | record | create | fields |", "|---|---|---|---|"]
    for item in planned:
        payload = item.change.payload
        lines.append(
            f"| {item.change.target_system} | {item.change.record_key} "
            f"| {'yes' if payload['create'] else ''} | {describe(payload['fields'])} |"
        )
    return "\n".join(lines)


# --- sending (shared with products.py) ------------------------------------------------------


def send_to_centra(
    context: dg.AssetExecutionContext,
    centra: CentraClient,
    warehouse: DuckDBWarehouse,
    entity: str,
    group: Callable[[list[Planned]], Iterable[list[Planned]]],
    send: Callable[[list[Planned]], Outcome],
    describe,
) -> dg.MaterializeResult:
    """Send the due writes to Centra group by group; record each group and its agreement."""
    run_id = context.run.run_id
    outbox, ledger = Outbox(warehouse), SyncLedger(warehouse)
    needed, unchanged = outbox.split_unchanged(outbox.due(CENTRA, entity))
    outbox.record(Outcome(unchanged=unchanged), run_id)
    context.log.info("%s: %d to send to Centra, %d unchanged", entity, len(needed), len(unchanged))

    outcome = Outcome(unchanged=unchanged)
    with centra.measure() as cost:
        for items in group(needed):
            # Recorded group by group, so a crash later never resends what Centra took.
            done = send(items)
            outbox.record(done, run_id)
            after_sent(ledger, entity, ERP, done.sent, run_id)
            outcome.sent += done.sent
            outcome.failed += done.failed

    if outcome.failed:
        raise dg.Failure(
            f"Centra refused {len(outcome.failed)} {entity} ({describe_reasons(outcome.failed)}); "
            f"{len(outcome.sent)} were sent. The refused ones stay planned and are sent again by "
            "the next run; fix the cause first (outbound.planned has each reason)."
        )
    return dg.MaterializeResult(
        metadata={
            "sent": len(outcome.sent),
            "unchanged": len(outcome.unchanged),
            "api/mutations": cost.mutations,
            "preview": dg.MetadataValue.md(writes_table(outcome.sent[:PREVIEW_ROWS], describe)),
        }
    )


def send_to_erp(
    context: dg.AssetExecutionContext,
    erp_database: SqlDatabase,
    warehouse: DuckDBWarehouse,
    entity: str,
    to_row: Callable[[Planned, dict], dict[str, Any]],
    describe,
    *,
    table: str = ERP_TABLE,
    key: tuple[str, ...] = ERP_KEY,
) -> dg.MaterializeResult:
    """Upsert the due writes into the ERP table, whole rows: the ERP's other columns are kept."""
    outbox = Outbox(warehouse)
    current = {tuple(row[column] for column in key): row for row in erp_rows(erp_database, table)}

    def upsert(batch: list[Planned]) -> list[UpsertResult]:
        rows = [to_row(item, current) for item in batch]
        return [erp_database.upsert(table, rows, key)]

    result = send_due(context, outbox, entity, upsert, batch_size=ERP_BATCH)
    after_sent(SyncLedger(warehouse), entity, ERP, result.outcome.sent, context.run.run_id)
    raise_if_failed(result, entity)
    return dg.MaterializeResult(metadata=result.metadata(lambda sent: writes_table(sent, describe)))


def erp_row(mapping: Mapping, values: dict[str, Any], current: dict, key: tuple) -> dict:
    """The ERP row after the write: its current columns, overwritten by the mapped fields.

    Whole rows, because the ERP's NOT NULL columns must be present even when one field changes.
    """
    mapped = apply(mapping, values)
    if mapped.problems:
        # The plan mapped these same values already; failing here means the mapping changed.
        problems = "; ".join(f"{p.field}: {p.reason}" for p in mapped.problems)
        raise ValueError(f"{values} no longer maps to an ERP row ({problems}); plan again")
    # A field emptied on the other side empties its column; the engine leaves absent values out.
    emptied = {rule.target: None for rule in mapping.fields if rule.source in values}
    existing = current.get(tuple(mapped.values[column] for column in key), {})
    row = {name: value for name, value in existing.items() if name != "updated_at"}
    return {**dict.fromkeys(mapping_columns(mapping)), **row, **emptied, **mapped.values}


def _erp_price_row(item: Planned, current: dict) -> dict[str, Any]:
    pricelist_id, number = item.change.record_key.split("|", 1)
    values = {"pricelist_id": int(pricelist_id), "product_number": number}
    return erp_row(TO_ERP, {**values, **item.change.payload["fields"]}, current, ERP_KEY)


# --- setPrices -----------------------------------------------------------------------------


def _by_pricelist(planned: list[Planned]) -> Iterator[list[Planned]]:
    grouped: dict[str, list[Planned]] = {}
    for item in planned:
        grouped.setdefault(item.change.record_key.split("|", 1)[0], []).append(item)
    for items in grouped.values():
        yield from batches(items, PRICES_PER_MUTATION)


def _send_prices(
    context, centra: CentraClient, pricelist_id: int, batch, ids: dict[str, int], currency: str
) -> Outcome:
    """One setPrices call; prices Centra names in its user errors fail, the rest are sent again."""
    unknown = [item for item in batch if _number(item) not in ids]
    known = [item for item in batch if _number(item) in ids]
    outcome = _failed(context, unknown, "no such product number in Centra (synced catalogue)")
    if not known:
        return outcome
    try:
        warnings = _set_prices(centra, pricelist_id, known, ids, currency)
    except CentraUserErrors as error:
        # setPrices applies all products or none; resend those Centra did not name.
        refused = refused_indexes(error.user_errors, "productPrices", len(known))
        if not refused or len(refused) == len(known):
            return _merge(outcome, _failed(context, known, str(error)))
        rest = [item for index, item in enumerate(known) if index not in refused]
        failed = [known[index] for index in sorted(refused)]
        outcome = _merge(outcome, _failed(context, failed, str(error)))
        return _merge(outcome, _send_prices(context, centra, pricelist_id, rest, ids, currency))
    except CentraError as error:
        # No answer came; prices are absolute, so sending them again is safe.
        return _merge(outcome, _failed(context, known, f"no answer from Centra: {error}"))
    # A product Centra skipped with a warning (a bundle priced by its items) did not take it.
    skipped = refused_indexes(warnings, "productPrices", len(known))
    reason = "; ".join(warning["message"] for warning in warnings) or "skipped"
    outcome = _merge(outcome, _failed(context, [known[i] for i in sorted(skipped)], reason))
    return _merge(outcome, Outcome(sent=[item for i, item in enumerate(known) if i not in skipped]))


def _set_prices(centra, pricelist_id: int, batch, ids: dict[str, int], currency: str) -> list:
    """Send one batch; returns Centra's userWarnings."""
    product_prices = [
        {
            "product": {"id": ids[_number(item)]},
            # MonetaryValueInput takes a Float; the Decimal has the currency's places already.
            "price": {
                "value": float(item.change.payload["fields"]["price"]),
                "currencyIsoCode": currency,
            },
            # The ERP keeps one price per item: its price is every variant's price.
            "overrideIndividualVariantPrices": True,
        }
        for item in batch
    ]
    price_input = {"pricelist": {"id": pricelist_id}, "productPrices": product_prices}
    payload = centra.mutate(SET_PRICES, payload_field="setPrices", variables={"input": price_input})
    return payload.get("userWarnings") or []


def _number(item: Planned) -> str:
    return item.change.record_key.split("|", 1)[1]


def refused_indexes(remarks: list[dict], list_field: str, count: int) -> set[int]:
    """Indexes of `input.<list_field>` that Centra's user errors or warnings point at."""
    refused = set()
    for user_error in remarks:
        path = [str(part) for part in user_error.get("path") or []]
        if list_field in path:
            position = path.index(list_field) + 1
            if position < len(path) and path[position].isdigit() and int(path[position]) < count:
                refused.add(int(path[position]))
    return refused


def _failed(context, batch: list[Planned], reason: str) -> Outcome:
    if batch:
        keys = ", ".join(item.change.record_key for item in batch[:5])
        context.log.error("Centra did not take %d (%s): %s", len(batch), keys, reason)
    for item in batch:
        item.reason = reason[:500]
    return Outcome(failed=list(batch))


def _merge(first: Outcome, second: Outcome) -> Outcome:
    return Outcome(sent=first.sent + second.sent, failed=first.failed + second.failed)

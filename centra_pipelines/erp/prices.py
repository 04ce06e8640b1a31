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

Only prices Centra can show are compared (`shown_pairs`): an ERP price of a product with no
display in a market of its pricelist is not sent, only counted and logged.
"""

import json
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import dagster as dg

from centra_pipelines.centra import tables
from centra_pipelines.centra.assets.pricing import market_pricelists
from centra_pipelines.centra.client import CentraClient
from centra_pipelines.centra.client.errors import CentraError, CentraUserErrors
from centra_pipelines.config.conflicts import CENTRA
from centra_pipelines.connectors.sql import SqlDatabase
from centra_pipelines.erp.planning import PREVIEW_ROWS
from centra_pipelines.erp.two_way import (
    ERP,
    Sides,
    describe_fields,
    erp_row,
    erp_rows,
    plan_both_ways,
    send_rows_to_erp,
    send_to_centra,
)
from centra_pipelines.mapping import apply, load_mappings
from centra_pipelines.outbound.assets import plan_asset, send_asset
from centra_pipelines.outbound.conflicts import conflicts_check_spec
from centra_pipelines.outbound.outbox import Change, Outcome, Planned
from centra_pipelines.outbound.reconcile import Side
from centra_pipelines.outbound.sending import failed, refused_indexes
from centra_pipelines.warehouse import DuckDBWarehouse

ENTITY = "prices"
ERP_TABLE, ERP_KEY = "erp.price_list_prices", ("price_list_code", "item_number")
ERP_PRICE_LISTS = "erp.price_lists"
# Products per setPrices call: one mutation token whatever the size (digest §2.1).
PRICES_PER_MUTATION = 100

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


@plan_asset(
    ["erp", "prices_plan"],
    deps=[
        dg.AssetKey(["centra", "prices"]),
        dg.AssetKey(["centra", "pricelists"]),
        dg.AssetKey(["centra", "products"]),
        dg.AssetKey(["centra", "displays"]),
        dg.AssetKey(["centra", "markets"]),
    ],
    check="Every ERP price maps to a Centra pricelist in its currency; when not, nothing is sent "
    "either way.",
    more_checks=[conflicts_check_spec(["erp", "prices_plan"], ENTITY)],
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
    not_shown = _leave_out_not_shown(context, sides, shown_pairs(warehouse))

    yield from plan_both_ways(
        context,
        warehouse,
        ENTITY,
        sides,
        describe_fields,
        metadata={
            "not_shown_in_centra": len(not_shown),
            "not_shown_in_centra_records": ", ".join(not_shown[:PREVIEW_ROWS]) or "none",
        },
    )


@send_asset(
    ["erp", "prices_sent_to_centra"],
    plan=erp_prices_plan,
    description="Prices the ERP changed, sent to Centra with setPrices, many products per call.",
)
def erp_prices_sent_to_centra(
    context: dg.AssetExecutionContext, centra: CentraClient, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    ids, currencies = product_ids(warehouse), pricelist_currencies(warehouse)

    def send(items: list[Planned]) -> Outcome:
        pricelist_id = _pricelist(items[0])
        return _send_prices(context, centra, pricelist_id, items, ids, currencies[pricelist_id])

    return send_to_centra(
        context,
        centra,
        warehouse,
        ENTITY,
        send,
        describe_fields,
        batch_size=PRICES_PER_MUTATION,
        group_by=_pricelist,
    )


@send_asset(
    ["erp", "prices_sent_to_erp"],
    plan=erp_prices_plan,
    description="Prices changed or new in Centra, upserted into the ERP's price lists.",
)
def erp_prices_sent_to_erp(
    context: dg.AssetExecutionContext, erp_database: SqlDatabase, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    return send_rows_to_erp(
        context,
        erp_database,
        warehouse,
        ENTITY,
        _erp_price_row,
        describe_fields,
        table=ERP_TABLE,
        key=ERP_KEY,
    )


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


def shown_pairs(warehouse: DuckDBWarehouse) -> set[str]:
    """Price keys Centra shows: the product has a display in a market the pricelist serves.

    Centra's price sync reads prices market by market (centra/prices), through the displays of
    each market and the pricelists serving its countries; a price of any other pair is stored in
    Centra but never read back, so the warehouse would always miss it.
    """
    pricelists_of = market_pricelists(warehouse)
    rows = warehouse.fetch(
        f"SELECT p.product_number, d.market_ids FROM {tables.displays.spec.qualified_name} d "
        f"JOIN {tables.products.spec.qualified_name} p ON p.id = d.product_id"
    )
    return {
        price_key(pricelist_id, number)
        for number, market_ids in rows
        for market_id in json.loads(market_ids or "[]")
        for pricelist_id in pricelists_of.get(market_id, ())
    }


def _leave_out_not_shown(context, sides: Sides, shown: set[str]) -> list[str]:
    """Compare only the prices Centra can show; returns the ERP's prices left out, by key."""
    hidden = sorted((set(sides.centra) | set(sides.erp)) - shown)
    from_erp = [key for key in hidden if key in sides.erp]
    for key in hidden:
        sides.leave_out(key)
    if from_erp:
        context.log.warning(
            "%d ERP prices are for products with no display in a market of their pricelist "
            "(%s); Centra cannot show them, so they are not sent. To sell such a product there, "
            "add its display to a market that uses the pricelist, then sync Centra's products.",
            len(from_erp),
            ", ".join(from_erp[:PREVIEW_ROWS]),
        )
    return from_erp


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


def _erp_price_row(item: Planned, current: dict) -> dict[str, Any]:
    pricelist_id, number = item.change.record_key.split("|", 1)
    values = {"pricelist_id": int(pricelist_id), "product_number": number}
    return erp_row(TO_ERP, {**values, **item.change.payload["fields"]}, current, ERP_KEY)


# --- setPrices -----------------------------------------------------------------------------


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
        named = [known[index] for index in sorted(refused)]
        outcome = _merge(outcome, _failed(context, named, str(error)))
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


def _pricelist(item: Planned) -> int:
    return int(item.change.record_key.split("|", 1)[0])


def _number(item: Planned) -> str:
    return item.change.record_key.split("|", 1)[1]


def _failed(context, batch: list[Planned], reason: str) -> Outcome:
    if batch:
        keys = ", ".join(item.change.record_key for item in batch[:5])
        context.log.error("Centra did not take %d (%s): %s", len(batch), keys, reason)
    return failed(batch, reason)


def _merge(first: Outcome, second: Outcome) -> Outcome:
    return Outcome(sent=first.sent + second.sent, failed=first.failed + second.failed)

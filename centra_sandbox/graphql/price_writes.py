"""setPrices (digest §5.2, §10.2): product prices in one pricelist, as an ERP sends them.

The sandbox keeps one price row per variant on each display of the product in the pricelist's
store. The product price is the price most of its variants share there; a variant whose row
differs holds an individual price. Setting the product price moves the rows at the old product
price (every row with `overrideIndividualVariantPrices: true`); individual prices then set
single variants. Each changed row records Price UPDATED (CREATED for a new row).
"""

from collections import Counter
from typing import Any

from ariadne import MutationType
from graphql import GraphQLResolveInfo

from centra_sandbox.graphql.context import RequestContext
from centra_sandbox.graphql.money import parse_money_input
from centra_sandbox.graphql.writes import UserErrors, find, transaction

mutation = MutationType()

_ROWS = (
    "SELECT p.* FROM prices p JOIN displays d ON d.id = p.displayId "
    "WHERE p.pricelistId = ? AND p.productId = ? AND d.storeId = ? ORDER BY p.id"
)
_DISPLAY_ITEMS = (
    "SELECT d.id AS displayId, di.productVariantId FROM displayItems di "
    "JOIN displays d ON d.id = di.displayId WHERE d.productId = ? AND d.storeId = ? "
    "ORDER BY di.id"
)


@mutation.field("setPrices")
def resolve_set_prices(_: Any, info: GraphQLResolveInfo, input: dict) -> dict:
    ctx, errors = info.context, UserErrors()
    pricelist = find(ctx, "Pricelist", input["pricelist"], errors, "input", "pricelist")
    if pricelist is None:
        return errors.payload(pricelist=None, products=[])
    currency = ctx.db.scalar("SELECT code FROM currencies WHERE id = ?", (pricelist["currencyId"],))
    plans = _plans(ctx, pricelist, currency, input["productPrices"], errors)
    if errors.errors:
        return errors.payload(pricelist=pricelist, products=[])

    with transaction(ctx):
        for plan in plans:
            _apply(ctx, pricelist, plan, errors)
    return errors.payload(pricelist=pricelist, products=[plan["product"] for plan in plans])


def _plans(
    ctx: RequestContext, pricelist: dict, currency: str, entries: list[dict], errors: UserErrors
) -> list[dict]:
    """Validated entries: product row, cents of price and RRP, variant id -> cents."""
    plans, seen = [], set()
    for index, entry in enumerate(entries):
        path = ("input", "productPrices", index)
        product = find(ctx, "Product", entry["product"], errors, *path, "product")
        if product is None:
            continue
        if product["id"] in seen:
            errors.warn(f"Duplicate product ID {product['id']} skipped", *path, "product")
            continue
        seen.add(product["id"])
        if _dynamic_bundle(ctx, product["id"]):
            errors.warn(
                f"Product ID {product['id']} is a bundle with dynamic price type, changing its "
                "prices has no effect, skipped",
                *path,
            )
            continue
        plans.append(
            {
                "product": product,
                "override": entry["overrideIndividualVariantPrices"],
                "price": _cents(entry.get("price"), currency, errors, *path, "price"),
                "rrp": _cents(
                    entry.get("recommendedRetailPrice"),
                    currency,
                    errors,
                    *path,
                    "recommendedRetailPrice",
                ),
                "variants": _variant_prices(ctx, product, currency, entry, errors, path),
            }
        )
    return plans


def _variant_prices(
    ctx: RequestContext, product: dict, currency: str, entry: dict, errors: UserErrors, path
) -> dict[int, int]:
    prices = {}
    for index, item in enumerate(entry.get("individualVariantPrices") or []):
        item_path = (*path, "individualVariantPrices", index)
        variant = find(ctx, "ProductVariant", item["productVariant"], errors, *item_path)
        if variant is None:
            continue
        if variant["productId"] != product["id"]:
            errors.warn(
                f"Product variant with id {variant['id']} not assigned to product {product['id']}",
                *item_path,
                "productVariant",
            )
            continue
        cents = _cents(item["price"], currency, errors, *item_path, "price")
        if cents is not None:
            prices[variant["id"]] = cents
    return prices


def _cents(money: dict | None, currency: str, errors: UserErrors, *path: Any) -> int | None:
    """Minor units of a MonetaryValueInput; its currency must be the pricelist's (§5.2)."""
    if money is None:
        return None
    given = money.get("currencyIsoCode") or currency
    cents = parse_money_input(money.get("value"))
    if given != currency:
        errors.error(
            f"Currency {given} does not match the pricelist's currency {currency}.",
            *path,
            "currencyIsoCode",
        )
    elif cents is None or cents < 0:
        errors.error(f"Price must be 0 or more; got {money.get('value')}.", *path, "value")
    else:
        return cents
    return None


def _dynamic_bundle(ctx: RequestContext, product_id: int) -> bool:
    price_type = ctx.db.scalar("SELECT priceType FROM bundles WHERE productId = ?", (product_id,))
    return price_type == "DYNAMIC"


def _apply(ctx: RequestContext, pricelist: dict, plan: dict, errors: UserErrors) -> None:
    product = plan["product"]
    rows = ctx.db.all(_ROWS, (pricelist["id"], product["id"], pricelist["storeId"]))
    if not rows:
        rows = _new_rows(ctx, pricelist, plan, errors)
    base = _product_price(rows)
    for row in rows:
        cents = row["priceCents"]
        if plan["price"] is not None and (plan["override"] or cents == base):
            cents = plan["price"]
        cents = plan["variants"].get(row["productVariantId"], cents)
        rrp = row["rrpCents"] if plan["rrp"] is None else plan["rrp"]
        if (cents, rrp) != (row["priceCents"], row["rrpCents"]) or row.get("_new"):
            ctx.db.execute(
                "UPDATE prices SET priceCents = ?, rrpCents = ? WHERE id = ?",
                (cents, rrp, row["id"]),
            )
            change = "CREATED" if row.get("_new") else "UPDATED"
            ctx.changes.record("Price", change, row["id"], store_id=pricelist["storeId"])


def _product_price(rows: list[dict]) -> int | None:
    """The price most variant rows share (the lowest on a tie): the product-level price."""
    if not rows:
        return None
    counts = Counter(row["priceCents"] for row in rows)
    return min(counts, key=lambda cents: (-counts[cents], cents))


def _new_rows(ctx: RequestContext, pricelist: dict, plan: dict, errors: UserErrors) -> list:
    """Price rows for a product that had none in this pricelist, one per display item."""
    product_id = plan["product"]["id"]
    items = ctx.db.all(_DISPLAY_ITEMS, (product_id, pricelist["storeId"]))
    if not items or plan["price"] is None:
        errors.warn(
            f"Product ID {product_id} has no price in pricelist {pricelist['id']} and "
            + (
                "no product price was given"
                if items
                else f"no display in store {pricelist['storeId']}"
            )
            + "; the sandbox keeps prices on displays, so nothing was stored.",
        )
        return []
    rows = []
    for item in items:
        price_id = ctx.db.execute(
            "INSERT INTO prices (displayId, pricelistId, productId, productVariantId, "
            "priceCents, rrpCents) VALUES (?, ?, ?, ?, ?, NULL)",
            (item["displayId"], pricelist["id"], product_id, item["productVariantId"], 0),
        )
        rows.append({**ctx.db.one("SELECT * FROM prices WHERE id = ?", (price_id,)), "_new": 1})
    return rows


BINDABLES = [mutation]

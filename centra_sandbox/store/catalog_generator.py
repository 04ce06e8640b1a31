"""Seeded reference data and catalogue: markets, products, displays, prices, stock, attributes."""

import json
import random
import unicodedata
from dataclasses import dataclass, field

from centra_sandbox.store import seed_data as sd
from centra_sandbox.store.database import Database

PRODUCT_COUNT = 80
BUNDLE_COUNT = 4
# The digest's worked examples (§4.3, §4.4, §4.6) are seeded verbatim on product 1.
EXAMPLE_PRODUCT_NUMBER = "Prod123"
EXAMPLE_VARIANT_NUMBER = "Var456"
EXAMPLE_SIZE_PREFIX = "789"
EXAMPLE_STOCK = {
    "freeToAllocateQuantity": 18,
    "allocatedQuantity": 20,
    "linkedIncomingQuantity": 2,
    "unlinkedIncomingQuantity": 8,
    "demandQuantity": 1,
    "unshippedQuantity": 4,
    "onDeliveryQuantity": 0,
}
EXAMPLE_PRICES = {"SEK": 67500, "EUR": 5900, "NOK": 69900, "GBP": 5195, "USD": 6500}
THOUSAND_SEK_PRICES = {"SEK": 100000, "EUR": 8900, "NOK": 104900, "GBP": 7695, "USD": 9900}


@dataclass(frozen=True)
class SellableSize:
    """What an order line copies from the catalogue when it is created."""

    size_id: int
    variant_id: int
    product_id: int
    product_number: str
    product_name: str
    variant_name: str
    size_name: str
    brand: str
    sku: str
    is_bundle: bool
    prices: dict[str, int]


@dataclass
class Catalog:
    """In-memory summary of the catalogue that the order generator samples from."""

    sellable_by_market: dict[int, list[SellableSize]] = field(default_factory=dict)
    by_size_id: dict[int, SellableSize] = field(default_factory=dict)


def slug(text: str) -> str:
    """ASCII URI slug of a display name ("Björk Ullkofta" -> "bjork-ullkofta")."""
    folded = text.replace("ß", "ss").replace("ø", "o").replace("Ø", "O")
    ascii_text = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    return "-".join(ascii_text.lower().split())


def ean13(number: int) -> str:
    body = f"735{number:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def currency_prices(eur_units: int) -> dict[str, int]:
    """Shelf prices per currency in minor units, rounded the way a merchant would."""
    return {
        "EUR": eur_units * 100,
        "SEK": round(eur_units * 10.9 / 5) * 500,
        "NOK": (round(eur_units * 11.4 / 10) * 10 - 1) * 100,
        "GBP": int(eur_units * 0.86) * 100 - 5,
        "USD": round(eur_units * 1.08) * 100,
    }


class CatalogGenerator:
    """Writes reference data and the catalogue; returns what orders need to sample."""

    def __init__(self, db: Database, rng: random.Random, epoch: int) -> None:
        self.db = db
        self.rng = rng
        self.epoch = epoch
        self.catalog = Catalog()

    def run(self) -> Catalog:
        self._reference()
        self._attribute_types()
        self._products()
        self._stock()
        return self.catalog

    def _reference(self) -> None:
        db = self.db
        db.insert_many("stores", ("id", "name", "type"), sd.STORES)
        db.insert_many("allocationRules", ("id", "name"), sd.ALLOCATION_RULES)
        db.insert_many(
            "markets", ("id", "name", "storeId", "allocationRuleId", "comment"), sd.MARKETS
        )
        db.insert_many("currencies", ("id", "code", "name", "isBase", "baseRate"), sd.CURRENCIES)
        country_rows = [row[:8] for row in sd.COUNTRIES]
        columns = ("id", "name", "code", "continent", "isEU", "marketId", "pricelistId")
        db.insert_many("countries", (*columns, "taxPercent"), country_rows)
        language_rows = [(*row, 1) for row in sd.LANGUAGES]
        columns = ("id", "name", "code", "languageCode", "countryCode", "isActive")
        db.insert_many("languages", columns, language_rows)
        pricelist_rows = [(i, n, "ACTIVE", s, c) for i, n, s, c in sd.PRICELISTS]
        db.insert_many(
            "pricelists", ("id", "name", "status", "storeId", "currencyId"), pricelist_rows
        )
        warehouse_rows = [
            (i, n, "ACTIVE", own, alloc, master, 0, 0, 2, country, zip_code, rule)
            for i, n, own, alloc, master, country, zip_code, rule in sd.WAREHOUSES
        ]
        columns = (
            "id",
            "name",
            "status",
            "stockOwnership",
            "allocationPolicy",
            "stockMaster",
            "isHiddenFromStockView",
            "isConsignation",
            "threshold",
            "countryId",
            "zipCode",
            "allocationRuleId",
        )
        db.insert_many("warehouses", columns, warehouse_rows)
        db.insert_many("brands", ("id", "name", "uri"), sd.BRANDS)
        db.insert_many("collections", ("id", "name", "status"), sd.COLLECTIONS)
        db.insert_many("folders", ("id", "name", "isTopFolder", "parentId"), sd.FOLDERS)
        category_rows = [
            (i, n, u, f"{n} från Fjällgården", s, p) for i, n, u, s, p in sd.CATEGORIES
        ]
        columns = ("id", "name", "uri", "metaDescription", "storeId", "parentId")
        db.insert_many("categories", columns, category_rows)
        self._size_charts()

    def _size_charts(self) -> None:
        chart_rows, size_rows = [], []
        for chart_id, name, divider, unit, horizontal, vertical, sizes in sd.SIZE_CHARTS:
            vertical_json = json.dumps(vertical) if vertical else None
            chart_rows.append(
                (chart_id, name, divider, unit, json.dumps(horizontal), vertical_json)
            )
            for order, size_name in enumerate(sizes):
                size_rows.append((chart_id * 100 + order, chart_id, size_name, order))
        columns = (
            "id",
            "name",
            "dividerSymbol",
            "displayUnit",
            "horizontalLabels",
            "verticalLabels",
        )
        self.db.insert_many("sizeCharts", columns, chart_rows)
        self.db.insert_many("sizes", ("id", "sizeChartId", "name", "sortOrder"), size_rows)

    def _attribute_types(self) -> None:
        rows = [
            (name, desc, obj, mapped, json.dumps(elements))
            for name, (desc, obj, mapped, elements) in sd.ATTRIBUTE_TYPES.items()
        ]
        columns = ("name", "description", "objectType", "isMapped", "elementsJSON")
        self.db.insert_many("attributeTypes", columns, rows)
        mapped = []
        for index, (name, composition) in enumerate(sd.MATERIALS, start=1):
            values = {"name": name, "composition": composition}
            mapped.append((index, "pr_materials", name, composition, json.dumps(values)))
        for index, (value, label) in enumerate(sd.CARE, start=11):
            values = {"care": {"selectedValue": value, "selectedValueName": label}}
            mapped.append((index, "pr_care", label, label, json.dumps(values)))
        for index, (color, hex_code) in enumerate(sd.COLORS, start=21):
            image = {
                "url": f"https://media.example.com/swatches/{slug(color)}.png",
                "width": 64,
                "height": 64,
                "mimeType": "image/png",
            }
            values = {"desc": color, "hex": hex_code, "image": image}
            mapped.append((index, "var_swatch", color, f"Swatch {color}", json.dumps(values)))
        columns = ("id", "typeName", "name", "description", "valuesJSON")
        self.db.insert_many("mappedAttributes", columns, mapped)

    def _product_names(self) -> list[tuple[str, tuple]]:
        pairs = [(p, item) for item in sd.ITEMS for p in sd.PRODUCT_PREFIXES]
        self.rng.shuffle(pairs)
        first = (sd.PRODUCT_PREFIXES[0], sd.ITEMS[0])
        second = (sd.PRODUCT_PREFIXES[1], sd.ITEMS[1])
        rest = [pair for pair in pairs if pair not in (first, second)]
        return [first, second, *rest[: PRODUCT_COUNT - 2]]

    def _products(self) -> None:
        rows: dict[str, list] = {name: [] for name in _CATALOG_COLUMNS}
        for product_id, (prefix, item) in enumerate(self._product_names(), start=1):
            self._product(rows, product_id, f"{prefix} {item[0]}", item)
        for offset in range(BUNDLE_COUNT):
            self._bundle(rows, PRODUCT_COUNT + 1 + offset, offset)
        for table, columns in _CATALOG_COLUMNS.items():
            self.db.insert_many(table, columns, rows[table])

    def _product(self, rows: dict, product_id: int, name: str, item: tuple) -> None:
        rng = self.rng
        _, folder, chart, hs_code, grams, eur, category = item
        number = EXAMPLE_PRODUCT_NUMBER if product_id == 1 else f"P{1000 + product_id}"
        created = self.epoch - rng.randint(30, 400) * 86400
        updated = created + rng.randint(0, 20) * 86400
        status = "ACTIVE" if product_id <= 2 or rng.random() < 0.9 else "INACTIVE"
        brand = sd.BRANDS[product_id % len(sd.BRANDS)]
        rows["products"].append(
            (
                product_id,
                name,
                status,
                number,
                created,
                updated,
                hs_code,
                item[0],
                None,
                0,
                0,
                grams,
                brand[0],
                1 + product_id % 3,
                folder,
                1 + product_id % 7,
            )
        )
        prices = currency_prices(eur)
        if product_id == 1:
            prices = dict(EXAMPLE_PRICES)
        elif product_id == 2:
            prices = dict(THOUSAND_SEK_PRICES)
        variant_count = 1 + (product_id == 1) if product_id <= 2 else rng.randint(1, 4)
        colors = rng.sample(range(len(sd.COLORS)), variant_count)
        variants = []
        for index, color in enumerate(colors):
            variant_id = product_id * 10 + index
            variants.append(variant_id)
            self._variant(rows, product_id, variant_id, index, color, chart, number, updated)
        self._display_and_prices(rows, product_id, name, variants, prices, category)
        self._product_extras(rows, product_id, name, number, variants)
        self._remember(product_id, number, name, brand[1], variants, prices, False, rows)

    def _variant(self, rows, product_id, variant_id, index, color, chart, number, updated) -> None:
        is_example = product_id == 1 and index == 0
        variant_number = EXAMPLE_VARIANT_NUMBER if is_example else f"V{index + 1:02d}"
        color_name = sd.COLORS[color][0]
        rows["productVariants"].append(
            (
                variant_id,
                product_id,
                color_name,
                "ACTIVE",
                variant_number,
                f"{number}-{variant_number}",
                2000 + product_id * 37 % 5000,
                1,
                0,
                updated,
                chart,
            )
        )
        sizes = [s for s in sd.SIZE_CHARTS if s[0] == chart][0][6]
        for order, size_name in enumerate(sizes):
            size_id = variant_id * 10 + order
            size_number = f"{EXAMPLE_SIZE_PREFIX}{size_name}" if is_example else f"{order + 1:02d}"
            rows["productSizes"].append(
                (
                    size_id,
                    variant_id,
                    chart * 100 + order,
                    size_name,
                    size_number,
                    ean13(size_id),
                    None,
                    0,
                    1,
                    updated,
                    order,
                )
            )
        rows["objectAttributes"].append(
            ("ProductVariant", variant_id, "var_swatch", 21 + color, None)
        )
        for language_id in (2, 3):
            rows["translations"].append(
                ("ProductVariant", variant_id, language_id, "name", f"{color_name} ({language_id})")
            )

    def _display_and_prices(self, rows, product_id, name, variants, prices, category) -> None:
        rows["displays"].append(
            display_row(
                id=product_id,
                name=name,
                shortDescription=f"{name}.",
                metaTitle=f"{name} | Fjällgården",
                metaDescription=f"Köp {name} online.",
                metaKeywords=f"{name.lower()}, nordisk",
                tags=json.dumps(["nordic"]),
                updatedAt=self.epoch - self.rng.randint(0, 60) * 86400,
                productId=product_id,
                canonicalCategoryId=category,
            )
        )
        rows["displayCategories"].append((product_id, category))
        # Every seventh product is not sold in the US, so markets differ in their displays.
        market_ids = [1, 2, 3, 4] + ([] if product_id % 7 == 0 else [5])
        rows["displayMarkets"].extend((product_id, m) for m in market_ids)

        codes = {pricelist[0]: _CURRENCY_CODE[pricelist[3]] for pricelist in sd.PRICELISTS}
        for variant_id in variants:
            rows["displayItems"].append((variant_id, product_id, variant_id))
            uplift = 110 if variant_id % 10 == 3 else 100
            for pricelist_id in range(1, 6):
                price = prices[codes[pricelist_id]] * uplift // 100
                rows["prices"].append(
                    (product_id, pricelist_id, product_id, variant_id, price, None)
                )

        self._translations(rows, "Display", product_id, name, sd.DISPLAY_TRANSLATED_FIELDS)
        if product_id % 5 == 0:
            values = json.dumps({"text": f"{name} – Fjällgården"})
            rows["objectAttributes"].append(("Display", product_id, "prd_meta_title", None, values))
        if product_id % 3 == 0:
            self._wholesale_display(rows, product_id, name, variants, prices["EUR"])

    def _wholesale_display(self, rows, product_id, name, variants, eur_price) -> None:
        wholesale_id = 1000 + product_id
        rows["displays"].append(
            display_row(
                id=wholesale_id,
                name=name,
                comment="Wholesale",
                minimumOrderQuantity=4,
                orderQuantityDenominator=2,
                updatedAt=self.epoch - 86400,
                storeId=2,
                productId=product_id,
                canonicalCategoryId=7,
            )
        )
        rows["displayMarkets"].append((wholesale_id, 6))
        for variant_id in variants:
            item_id = wholesale_id * 100 + variant_id % 100
            rows["displayItems"].append((item_id, wholesale_id, variant_id))
            # Wholesale sells at half the retail EUR price, which becomes the RRP.
            rows["prices"].append(
                (wholesale_id, 6, product_id, variant_id, eur_price // 2, eur_price)
            )

    def _translations(self, rows, object_type, object_id, name, fields) -> None:
        for language_id in sd.TRANSLATED_LANGUAGE_IDS:
            for field_name in fields:
                # Norwegian long texts are left untranslated: Centra returns value null then.
                untranslated = language_id == 5 and field_name in (
                    "description",
                    "shortDescription",
                )
                value = None if untranslated else f"{name} [{field_name}:{language_id}]"
                if field_name == "uri" and value:
                    value = f"{slug(name)}-{language_id}"
                rows["translations"].append(
                    (object_type, object_id, language_id, field_name, value)
                )

    def _product_extras(self, rows, product_id, name, number, variants) -> None:
        rng = self.rng
        rows["objectAttributes"].append(
            ("Product", product_id, "pr_materials", 1 + product_id % len(sd.MATERIALS), None)
        )
        if product_id % 2 == 0:
            rows["objectAttributes"].append(
                ("Product", product_id, "pr_care", 11 + product_id % 2, None)
            )
        if product_id % 3 == 1:
            values = json.dumps({"text": f"{name} – handgjord i Sverige"})
            rows["objectAttributes"].append(("Product", product_id, "pr_long_name", None, values))
        self._translations(rows, "Product", product_id, name, ("name",))
        for index in range(rng.randint(1, 3)):
            media_id = product_id * 10 + index
            url = f"https://media.example.com/sandbox/{number}-{index + 1}.jpg"
            meta = {"originalUrl": url, "originalWidth": 1600, "originalHeight": 2400}
            variant = variants[0] if index == 0 else None
            rows["productMedia"].append(
                (media_id, product_id, variant, url, "image/jpeg", json.dumps(meta))
            )

    def _bundle(self, rows: dict, product_id: int, offset: int) -> None:
        name = ("Presentset Vinter", "Presentset Höst", "Paket Fjäll", "Paket Strand")[offset]
        number = f"B{100 + offset}"
        created = self.epoch - 90 * 86400
        rows["products"].append(
            (
                product_id,
                name,
                "ACTIVE",
                number,
                created,
                created,
                None,
                None,
                None,
                1,
                0,
                500,
                1,
                1,
                6,
                1,
            )
        )
        variant_id = product_id * 10
        rows["productVariants"].append(
            (variant_id, product_id, "Bundle", "ACTIVE", "BV1", None, None, None, 0, created, 4)
        )
        size_id = variant_id * 10
        rows["productSizes"].append(
            (size_id, variant_id, 400, "One Size", "01", ean13(size_id), None, 0, 1, created, 0)
        )
        kind = (
            ("FIXED", "STATIC")
            if offset < 2
            else (("FLEXIBLE", "DYNAMIC"), ("FIXED", "DYNAMIC"))[offset - 2]
        )
        rows["bundles"].append((product_id, product_id, kind[0], kind[1]))
        for section in range(2):
            section_id = product_id * 10 + section
            rows["bundleSections"].append((section_id, product_id, 1))
            member = (1 + offset * 7 + section * 3) * 10
            rows["bundleSectionVariants"].append((section_id, member))
        prices = currency_prices(99 + offset * 20)
        self._display_and_prices(rows, product_id, name, [variant_id], prices, 1)
        self._translations(rows, "Product", product_id, name, ("name",))
        self._remember(product_id, number, name, sd.BRANDS[0][1], [variant_id], prices, True, rows)

    def _remember(self, product_id, number, name, brand, variants, prices, is_bundle, rows) -> None:
        variant_rows = {row[0]: row for row in rows["productVariants"] if row[1] == product_id}
        display_markets = {m for d, m in rows["displayMarkets"] if d == product_id}
        active = any(row[0] == product_id and row[2] == "ACTIVE" for row in rows["products"])
        for size_row in rows["productSizes"]:
            variant = variant_rows.get(size_row[1])
            if variant is None:
                continue
            uplift = 110 if variant[0] % 10 == 3 else 100
            sellable = SellableSize(
                size_id=size_row[0],
                variant_id=variant[0],
                product_id=product_id,
                product_number=number,
                product_name=name,
                variant_name=variant[2],
                size_name=size_row[3],
                brand=brand,
                sku=f"{number}{variant[4]}{size_row[4]}",
                is_bundle=is_bundle,
                prices={code: value * uplift // 100 for code, value in prices.items()},
            )
            self.catalog.by_size_id[sellable.size_id] = sellable
            for market_id in display_markets if active else ():
                self.catalog.sellable_by_market.setdefault(market_id, []).append(sellable)

    def _stock(self) -> None:
        rng = self.rng
        rows = []
        example_size = 100 + 1  # product 1, variant 10, size "S" (sort order 1)
        for size_id in sorted(self.catalog.by_size_id):
            if self.catalog.by_size_id[size_id].is_bundle:
                continue
            for warehouse_id in (1, 2, 3):
                if warehouse_id == 3 and size_id % 2:
                    continue
                if warehouse_id == 1 and size_id == example_size:
                    quantities = EXAMPLE_STOCK
                else:
                    quantities = _random_stock(rng)
                rows.append((warehouse_id, size_id, *quantities.values(), self.epoch - 86400))
        columns = ("warehouseId", "productSizeId", *EXAMPLE_STOCK, "updatedAt")
        self.db.insert_many("stock", columns, rows)


def display_row(**values) -> tuple:
    """A displays row from keyword values; unspecified columns take retail defaults."""
    defaults = {
        "status": "ACTIVE",
        "description": f"{values['name']} i tidlös nordisk design.",
        "shortDescription": None,
        "metaTitle": None,
        "metaDescription": None,
        "metaKeywords": None,
        "comment": None,
        "tags": "[]",
        "minimumOrderQuantity": 1,
        "orderQuantityDenominator": 1,
        "storeId": 1,
        "uri": slug(values["name"]),
    }
    row = {**defaults, **values}
    return tuple(row[column] for column in _CATALOG_COLUMNS["displays"])


def _random_stock(rng: random.Random) -> dict[str, int]:
    fta = rng.randint(0, 60)
    allocated = rng.randint(0, 15)
    return {
        "freeToAllocateQuantity": fta,
        "allocatedQuantity": allocated,
        "linkedIncomingQuantity": rng.randint(0, 5),
        "unlinkedIncomingQuantity": rng.randint(0, 10),
        "demandQuantity": rng.randint(0, min(3, fta)),
        "unshippedQuantity": rng.randint(0, allocated),
        "onDeliveryQuantity": rng.randint(0, 3),
    }


_CURRENCY_CODE = {row[0]: row[1] for row in sd.CURRENCIES}

_CATALOG_COLUMNS = {
    "products": (
        "id", "name", "status", "productNumber", "createdAt", "updatedAt",
        "harmonizedCommodityCode", "harmonizedCommodityCodeDescription", "internalComment",
        "isBundle", "isSerializableProduct", "weightGrams", "brandId", "collectionId", "folderId",
        "countryOfOriginId",
    ),
    "productVariants": (
        "id", "productId", "name", "status", "variantNumber", "internalName", "unitCostCents",
        "unitCostCurrencyId", "stockOffset", "updatedAt", "sizeChartId",
    ),
    "productSizes": (
        "id", "productVariantId", "sizeId", "description", "sizeNumber", "EAN", "UPC", "preorder",
        "isActive", "updatedAt", "sortOrder",
    ),
    "displays": (
        "id", "name", "status", "uri", "description", "shortDescription", "metaTitle",
        "metaDescription", "metaKeywords", "comment", "tags", "minimumOrderQuantity",
        "orderQuantityDenominator", "updatedAt", "storeId", "productId", "canonicalCategoryId",
    ),
    "displayCategories": ("displayId", "categoryId"),
    "displayMarkets": ("displayId", "marketId"),
    "displayItems": ("id", "displayId", "productVariantId"),
    "prices": (
        "displayId", "pricelistId", "productId", "productVariantId", "priceCents", "rrpCents",
    ),
    "objectAttributes": ("objectType", "objectId", "typeName", "mappedAttributeId", "valuesJSON"),
    "translations": ("objectType", "objectId", "languageId", "field", "value"),
    "productMedia": ("id", "productId", "productVariantId", "url", "mimeType", "metaDataJSON"),
    "bundles": ("id", "productId", "type", "priceType"),
    "bundleSections": ("id", "bundleId", "quantity"),
    "bundleSectionVariants": ("sectionId", "productVariantId"),
}  # fmt: skip

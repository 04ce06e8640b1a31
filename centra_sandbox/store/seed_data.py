"""Fixed reference data of the seeded Centra instance: stores, markets, taxes, names."""

# (id, code, name, isBase, rate to the base currency EUR as a decimal string)
CURRENCIES = (
    (1, "EUR", "Euro", 1, "1"),
    (2, "SEK", "Svensk krona", 0, "0.0870"),
    (3, "NOK", "Norsk krone", 0, "0.0850"),
    (4, "GBP", "Pound sterling", 0, "1.1700"),
    (5, "USD", "US dollar", 0, "0.9200"),
)

STORES = ((1, "Retail", "DIRECT_TO_CONSUMER"), (2, "Wholesale", "WHOLESALE"))

ALLOCATION_RULES = ((1, "Retail Europe"), (2, "Wholesale"))

# (id, name, storeId, allocationRuleId, comment)
MARKETS = (
    (1, "Sweden", 1, 1, "Home market"),
    (2, "Europe", 1, 1, None),
    (3, "Norway", 1, 1, "Ships from Stockholm, duties paid"),
    (4, "United Kingdom", 1, 1, None),
    (5, "United States", 1, 1, None),
    (6, "Wholesale Europe", 2, 2, None),
)

# (id, name, storeId, currencyId)
PRICELISTS = (
    (1, "Sweden SEK", 1, 2),
    (2, "Europe EUR", 1, 1),
    (3, "Norway NOK", 1, 3),
    (4, "United Kingdom GBP", 1, 4),
    (5, "United States USD", 1, 5),
    (6, "Wholesale EUR", 2, 1),
)

# (id, name, code, continent, isEU, marketId, pricelistId, VAT percent, share of customers)
COUNTRIES = (
    (1, "Sweden", "SE", "Europe", 1, 1, 1, 25, 30),
    (2, "Germany", "DE", "Europe", 1, 2, 2, 19, 12),
    (3, "France", "FR", "Europe", 1, 2, 2, 20, 10),
    (4, "Netherlands", "NL", "Europe", 1, 2, 2, 21, 8),
    (5, "Norway", "NO", "Europe", 0, 3, 3, 25, 10),
    (6, "United Kingdom", "GB", "Europe", 0, 4, 4, 20, 15),
    (7, "United States", "US", "North America", 0, 5, 5, 0, 15),
)

# (id, name, code, languageCode, countryCode)
LANGUAGES = (
    (1, "English", "en", "en", "GB"),
    (2, "Svenska", "sv", "sv", "SE"),
    (3, "Deutsch", "de", "de", "DE"),
    (4, "Français", "fr", "fr", "FR"),
    (5, "Norsk bokmål", "nb", "nb", "NO"),
)

# (id, name, stockOwnership, allocationPolicy, stockMaster, countryId, zip, allocationRuleId)
WAREHOUSES = (
    (1, "Retail Stockholm", "OWN", "CHECK_FIRST", "CENTRA", 1, "117 43", 1),
    (2, "Retail Berlin 3PL", "THIRD_PARTY", "CHECK_FIRST", "EXTERNAL", 2, "10115", 1),
    (3, "Wholesale Borås", "OWN", "ALLOCATE_ON_ORDER", "CENTRA", 1, "503 38", 2),
)

SHIPPING_OPTIONS = {1: ("Standard", "standard"), 2: ("Express", "express")}

# Per currency code: shipping fee, free-shipping threshold, gift-wrap handling fee (minor units).
SHIPPING_FEES = {
    "SEK": (4900, 100000, 2900),
    "EUR": (495, 10000, 300),
    "NOK": (5900, 120000, 3500),
    "GBP": (395, 9000, 250),
    "USD": (695, 12000, 350),
}

# Payment plugin per market id.
PAYMENT_PLUGINS = {
    1: "Klarna Checkout V3",
    2: "Adyen Drop-In",
    3: "Klarna Payments",
    4: "Stripe Payments Intents",
    5: "PayPal Commerce",
}

# Plugins whose captures are asynchronous requests finalised later by the PSP (digest §4.10).
ASYNC_CAPTURE_PLUGINS = {"Klarna Checkout V3", "Klarna Payments", "Adyen Drop-In"}

BRANDS = (
    (1, "Fjällgården", "fjallgarden"),
    (2, "Nordljus", "nordljus"),
    (3, "Havsbris", "havsbris"),
)
COLLECTIONS = ((1, "Höst 2026", "ACTIVE"), (2, "Vinter 2026", "ACTIVE"), (3, "Basics", "ACTIVE"))
FOLDERS = (
    (1, "Kläder", 1, None),
    (2, "Ytterkläder", 0, 1),
    (3, "Tröjor & skjortor", 0, 1),
    (4, "Byxor", 0, 1),
    (5, "Skor", 1, None),
    (6, "Accessoarer", 1, None),
)
# (id, name, uri, storeId, parentId)
CATEGORIES = (
    (1, "Dam", "dam", 1, None),
    (2, "Herr", "herr", 1, None),
    (3, "Jackor", "dam/jackor", 1, 1),
    (4, "Stickat", "dam/stickat", 1, 1),
    (5, "Jackor", "herr/jackor", 1, 2),
    (6, "Skor", "skor", 1, None),
    (7, "Grossist", "grossist", 2, None),
)

# (id, name, dividerSymbol, displayUnit, horizontal labels, vertical labels, sizes)
SIZE_CHARTS = (
    (1, "Clothing", None, None, ["XS", "S", "M", "L", "XL"], None, ["XS", "S", "M", "L", "XL"]),
    (
        2,
        "Jeans",
        "x",
        "inch",
        ["28", "30", "32", "34"],
        ["30", "32"],
        ["28x30", "28x32", "30x30", "30x32", "32x32", "34x32"],
    ),
    (
        3,
        "Shoes",
        None,
        "EU",
        [str(s) for s in range(38, 46)],
        None,
        [str(s) for s in range(38, 46)],
    ),
    (4, "One Size", None, None, ["One Size"], None, ["One Size"]),
)

# (item, folderId, sizeChartId, HS code, weight grams, EUR price, categoryId)
ITEMS = (
    ("Ullkofta", 3, 1, "6110110000", 450, 89, 4),
    ("Dunjacka", 2, 1, "6201400000", 900, 249, 3),
    ("Linneskjorta", 3, 1, "6205900000", 250, 69, 4),
    ("Jeans", 4, 2, "6203423100", 700, 99, 2),
    ("Sneakers", 5, 3, "6404110000", 800, 129, 6),
    ("Mössa", 6, 4, "6505009000", 90, 29, 1),
    ("Halsduk", 6, 4, "6117108000", 150, 39, 1),
    ("Parka", 2, 1, "6201400000", 1100, 299, 5),
    ("Chinos", 4, 2, "6203429000", 500, 79, 2),
    ("Kängor", 5, 3, "6403990000", 1200, 179, 6),
)

PRODUCT_PREFIXES = (
    "Björk", "Åre", "Sölve", "Fjäll", "Mörk", "Strand", "Ödla", "Lövsta",
    "Kärr", "Ängsö", "Øster", "Groß", "Élan", "Näs", "Ström", "Vål",
)  # fmt: skip

COLORS = (
    ("Forest Green", "#228B22"),
    ("Svart", "#000000"),
    ("Off-white", "#F5F5F0"),
    ("Marinblå", "#1F2A44"),
    ("Grå melange", "#9E9E9E"),
    ("Rosé", "#E8B4B8"),
    ("Ockra", "#CC7722"),
    ("Rödbrun", "#8B3A2F"),
)

FIRST_NAMES = (
    "Åsa", "Björn", "Jürgen", "Søren", "Zoë",
    "Élodie", "Ingrid", "Märta", "Øystein", "Françoise",
    "Oliver", "Emma", "Liam", "Noah", "Maja", "Lukas", "Chloé", "Ola", "Sophie", "Göran",
)  # fmt: skip
LAST_NAMES = (
    "Öberg", "Åström", "Müller", "Løvås", "Dubois", "Lefèvre", "Smith", "Jansen", "Strauß",
    "Nilsson", "de Vries", "Brown", "Ødegård", "Lindqvist", "Schäfer", "Johnson",
)  # fmt: skip
CITIES = {
    1: ("Stockholm", "114 35"),
    2: ("München", "80331"),
    3: ("Besançon", "25000"),
    4: ("Utrecht", "3511 AB"),
    5: ("Tromsø", "9008"),
    6: ("London", "SW1A 1AA"),
    7: ("Portland", "97205"),
}
STREETS = (
    "Storgatan 12",
    "Königstraße 5",
    "Rue de l'Église 3",
    "Havnegata 9",
    "Baker Street 221",
)

TRANSLATED_LANGUAGE_IDS = (2, 3, 4, 5)
DISPLAY_TRANSLATED_FIELDS = (
    "name",
    "uri",
    "metaTitle",
    "metaDescription",
    "shortDescription",
    "description",
)

# name -> (description, objectType, isMapped, elements)
ATTRIBUTE_TYPES = {
    "pr_materials": (
        "Material",
        "Product",
        1,
        [
            {"key": "name", "description": "Material name", "kind": "INPUT"},
            {"key": "composition", "description": "Composition", "kind": "TEXTAREA"},
        ],
    ),
    "pr_care": (
        "Care",
        "Product",
        1,
        [{"key": "care", "description": "Care instructions", "kind": "SELECT", "isMulti": False}],
    ),
    "pr_long_name": (
        "Long name",
        "Product",
        0,
        [{"key": "text", "description": "Long name", "kind": "INPUT"}],
    ),
    "var_swatch": (
        "Swatch",
        "ProductVariant",
        1,
        [
            {"key": "desc", "description": "Colour name", "kind": "INPUT"},
            {"key": "hex", "description": "Hex code", "kind": "INPUT"},
            {"key": "image", "description": "Swatch image", "kind": "IMAGE"},
        ],
    ),
    "prd_meta_title": (
        "Meta title",
        "Display",
        0,
        [{"key": "text", "description": "Meta title", "kind": "INPUT"}],
    ),
    "cus_extra": (
        "Customer extras",
        "Customer",
        0,
        [
            {"key": "text", "description": "Note", "kind": "INPUT"},
            {"key": "vip", "description": "VIP", "kind": "BOOLEAN"},
        ],
    ),
    "ord_gift": (
        "Gift",
        "Order",
        0,
        [
            {"key": "message", "description": "Gift message", "kind": "TEXTAREA"},
            {"key": "receipt", "description": "Gift receipt", "kind": "FILE"},
        ],
    ),
}

MATERIALS = (
    ("Merinoull", "100% merinoull"),
    ("Bomull", "100% ekologisk bomull"),
    ("Linne", "100% linne"),
    ("Återvunnen polyester", "80% återvunnen polyester, 20% elastan"),
    ("Läder", "Vegetabiliskt garvat läder"),
)
CARE = (("hand_wash", "Handtvätt"), ("machine_40", "Maskintvätt 40°"))

"""The systems beside Centra as a retailer has them on the day the integration goes live.

`start_neighbours` reads Centra's catalogue, prices, customers and orders over its GraphQL API (as
an ERP or PIM project loads them at go-live), then starts each stand-in with that data and a few
deliberate differences for the sync to settle: the example ERP in a PostgreSQL database, a WMS
exchange folder, the PIM and the help desk. The demo and the main job's test use it; the product
meets these systems only through the settings in `Neighbours.environment`.
"""

import random
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

from sandbox_systems.erp import create_erp
from sandbox_systems.erp import customers as erp_customers
from sandbox_systems.erp import prices as erp_prices
from sandbox_systems.erp import products as erp_products
from sandbox_systems.pim import centra_mapped_attributes, centra_products, start_pim
from sandbox_systems.support import start_support

PAGE_SIZE = 100
TIMEOUT_SECONDS = 30
KILOGRAMS_PER_UNIT = {"KILOGRAMS": Decimal(1), "GRAMS": Decimal("0.001")}

PRODUCTS = """
query GoLiveProducts($limit: Int!, $page: Int!) {
  products(sort: [id_ASC], limit: $limit, page: $page) {
    productNumber name harmonizedCommodityCode countryOfOrigin { code } weight { value unit }
  }
}
"""
PRICES = """
query GoLivePrices($limit: Int!, $page: Int!) {
  displays(sort: [id_ASC], limit: $limit, page: $page) {
    product { productNumber }
    prices { price { value currency { code } } pricelist { id name } }
  }
}
"""
CUSTOMERS = """
query GoLiveCustomers($first: Int!, $after: String) {
  customerConnection(first: $first, after: $after, sort: [id_ASC]) {
    edges { node { id email firstName lastName gender } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
ORDERS = """
query GoLiveOrders($limit: Int!, $page: Int!) {
  orders(sort: [number_ASC], limit: $limit, page: $page) {
    number
    ... on DirectToConsumerOrder { customer { email } }
  }
}
"""


@dataclass(frozen=True)
class Sample:
    """How much of Centra each stand-in knows: small enough for a demo's mutation budget."""

    erp_customers: int = 40
    pim_products: int = 8
    support_orders: int = 30
    support_customers: int = 10
    seed: int = 7


@dataclass
class Neighbours:
    erp_url: str
    wms_folder: Path
    pim: Any
    support: Any
    seeded: dict[str, Any] = field(default_factory=dict)

    @property
    def environment(self) -> dict[str, str]:
        """The settings the product reads for each system (centra_pipelines/outbound/systems.py)."""
        return {
            "CENTRA_ERP_DATABASE_URL": self.erp_url,
            "CENTRA_WMS_FOLDER_URL": f"file://{self.wms_folder}",
            "CENTRA_PIM_URL": self.pim.url,
            "CENTRA_PIM_TOKEN": self.pim.token,
            **self.support.environment(),
        }


@contextmanager
def start_neighbours(
    centra_url: str, token: str, *, erp_url: str, wms_folder: Path, sample: Sample = Sample()
) -> Iterator[Neighbours]:
    """Seed the ERP, empty the WMS folder, start the PIM and the help desk; stop them after."""
    rng = random.Random(sample.seed)
    centra = _CentraReader(centra_url, token)
    seeded = _seed_erp(erp_url, centra, rng, sample)
    shutil.rmtree(wms_folder, ignore_errors=True)
    wms_folder.mkdir(parents=True)

    with ExitStack() as stack:
        pim = stack.enter_context(_start_pim(centra_url, token, rng, sample))
        support = stack.enter_context(_start_support(centra, rng, sample))
        yield Neighbours(erp_url, wms_folder, pim, support, seeded)


def _seed_erp(erp_url: str, centra: "_CentraReader", rng: random.Random, sample: Sample) -> dict:
    create_erp(erp_url)
    customers = centra.customers()
    shared = rng.sample(customers, min(sample.erp_customers, len(customers)))
    return {
        "customers": erp_customers.seed_customers(erp_url, sorted(shared, key=lambda c: c["id"])),
        "prices": erp_prices.seed(erp_url, centra.prices()),
        "products": erp_products.seed(erp_url, centra.products()),
    }


def _start_pim(centra_url: str, token: str, rng: random.Random, sample: Sample):
    products = centra_products(centra_url, token)
    chosen = rng.sample(products, min(sample.pim_products, len(products)))
    attributes = centra_mapped_attributes(centra_url, token)
    return start_pim(chosen, mapped_attributes=attributes)


def _start_support(centra: "_CentraReader", rng: random.Random, sample: Sample):
    orders = centra.orders()
    customers = [{"email": customer["email"]} for customer in centra.customers()]
    return start_support(
        rng.sample(orders, min(sample.support_orders, len(orders))),
        rng.sample(customers, min(sample.support_customers, len(customers))),
    )


class _CentraReader:
    """Paged reads of Centra's GraphQL API, in the shapes the stand-ins' seed functions take."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self._customers: list[dict] | None = None

    def customers(self) -> list[dict[str, Any]]:
        if self._customers is None:
            nodes = self._connection(CUSTOMERS, "customerConnection")
            self._customers = [
                {
                    "id": node["id"],
                    "email": node["email"],
                    "first_name": node["firstName"],
                    "last_name": node["lastName"],
                    "gender": node["gender"],
                }
                for node in nodes
            ]
        return self._customers

    def products(self) -> list[dict[str, Any]]:
        return [
            {
                "product_number": product["productNumber"],
                "name": product["name"],
                "harmonized_commodity_code": product["harmonizedCommodityCode"],
                "country_of_origin": (product.get("countryOfOrigin") or {}).get("code"),
                "weight_kg": _kilograms(product.get("weight")),
            }
            for product in self._pages(PRODUCTS, "products")
        ]

    def prices(self) -> list[dict[str, Any]]:
        """One price per pricelist and product (a display lists its variants' prices)."""
        by_key: dict[tuple[int, str], dict[str, Any]] = {}
        for display in self._pages(PRICES, "displays"):
            number = display["product"]["productNumber"]
            for entry in display["prices"]:
                pricelist = entry["pricelist"]
                by_key.setdefault(
                    (pricelist["id"], number),
                    {
                        "pricelist_id": pricelist["id"],
                        "pricelist_name": pricelist["name"],
                        "currency": entry["price"]["currency"]["code"],
                        "product_number": number,
                        "price": Decimal(str(entry["price"]["value"])),
                    },
                )
        return list(by_key.values())

    def orders(self) -> list[dict[str, Any]]:
        return [
            {"number": order["number"], "email": (order.get("customer") or {}).get("email")}
            for order in self._pages(ORDERS, "orders")
        ]

    def _pages(self, query: str, name: str) -> list[dict[str, Any]]:
        items, page = [], 1
        while batch := self._query(query, {"limit": PAGE_SIZE, "page": page})[name]:
            items += batch
            if len(batch) < PAGE_SIZE:
                break
            page += 1
        return items

    def _connection(self, query: str, name: str) -> list[dict[str, Any]]:
        nodes, after = [], None
        while True:
            connection = self._query(query, {"first": PAGE_SIZE, "after": after})[name]
            nodes += [edge["node"] for edge in connection["edges"]]
            if not connection["pageInfo"]["hasNextPage"]:
                return nodes
            after = connection["pageInfo"]["endCursor"]

    def _query(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = requests.post(
            self.url,
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=TIMEOUT_SECONDS,
        )
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise RuntimeError(f"Centra refused a go-live read: {body['errors'][0]['message']}")
        return body["data"]


def _kilograms(weight: dict | None) -> Decimal | None:
    if not weight or weight.get("value") is None:
        return None
    factor = KILOGRAMS_PER_UNIT.get(weight["unit"], Decimal(1))
    return (Decimal(str(weight["value"])) * factor).quantize(Decimal("0.001"))

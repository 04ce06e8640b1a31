"""Money as integer minor units; converted to Centra's MonetaryValue only on the wire."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Money:
    """An amount in minor units of one currency, with the rate to the base currency."""

    cents: int
    currency: dict[str, Any]
    base_rate: str

    @property
    def amount(self) -> Decimal:
        return Decimal(self.cents) / 100


def tax_included(cents: int, tax_percent: int | float) -> int:
    """Tax contained in a tax-inclusive amount: value - value / (1 + rate), to the cent."""
    if not tax_percent:
        return 0
    rate = Decimal(str(tax_percent)) / 100
    net = (Decimal(cents) / (1 + rate)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return cents - int(net)


def format_money(cents: int, code: str) -> str:
    """Centra's formattedValue: space as thousands separator, two decimals, ISO code suffix."""
    sign = "-" if cents < 0 else ""
    units, minor = divmod(abs(cents), 100)
    return f"{sign}{units:,}".replace(",", " ") + f".{minor:02d} {code}"


def parse_money_input(value: float | int | None) -> int | None:
    """Minor units of a MonetaryValueInput value; the wire type is Float, money stays exact."""
    if value is None:
        return None
    return int((Decimal(str(value)) / CENT).quantize(Decimal(1), rounding=ROUND_HALF_UP))

"""Finance settings, read from finance.yaml (or the file CENTRA_FINANCE_CONFIG names)."""

import os
from pathlib import Path
from typing import Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from centra_pipelines.config.loader import ConfigFileError, load_model

DEFAULT_PATH = Path(__file__).parents[1] / "config" / "finance.yaml"
PATH_VARIABLE = "CENTRA_FINANCE_CONFIG"
BASE = "base"


class _Strict(BaseModel):
    # A misspelt key would otherwise be ignored and its default used without anyone noticing.
    model_config = ConfigDict(extra="forbid", frozen=True)


class CurrencySettings(_Strict):
    reporting_currency: str = Field(
        default=BASE, description="ISO 4217 code, or `base` for Centra's base currency."
    )
    rate_source: Literal["document", "external"] = "document"
    rates_csv: Path | None = None
    max_rate_age_days: int = Field(default=7, ge=0, le=366)

    @pydantic.field_validator("reporting_currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        if value == BASE:
            return value
        if len(value) != 3 or not value.isalpha():
            raise ValueError(f"{value!r} is not an ISO 4217 code such as EUR, nor `base`")
        return value.upper()


class SalesSettings(_Strict):
    reconciliation: Literal["blocking", "warn"] = "blocking"


class PricingSettings(_Strict):
    outlier_percent: float = Field(
        default=25.0,
        gt=0,
        description="A price further than this from the converted median across pricelists is "
        "flagged stale.",
    )
    max_sync_age_hours: float = Field(
        default=36.0,
        gt=0,
        description="A price last synced this much earlier than the newest price is stale.",
    )


class FinanceConfig(_Strict):
    currency: CurrencySettings = CurrencySettings()
    sales: SalesSettings = SalesSettings()
    pricing: PricingSettings = PricingSettings()


def finance_config_path() -> Path:
    configured = os.environ.get(PATH_VARIABLE)
    return Path(configured) if configured else DEFAULT_PATH


def load_finance_config(path: Path | None = None) -> FinanceConfig:
    """The finance settings; a bad file raises ConfigFileError with the file, line and reason."""
    return load_model(path or finance_config_path(), FinanceConfig)


__all__ = ["ConfigFileError", "FinanceConfig", "finance_config_path", "load_finance_config"]

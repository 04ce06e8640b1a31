"""Who wins when a field changed in Centra and in another system: conflicts.yaml.

Each entity synced both ways names the system on the other side and a policy per field (with a
default for fields not listed). `CENTRA_CONFLICTS_CONFIG` points at an operator's own copy.
"""

import os
from pathlib import Path
from typing import Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from centra_pipelines.config.loader import ConfigFileError, load_model

DEFAULT_PATH = Path(__file__).with_name("conflicts.yaml")
PATH_VARIABLE = "CENTRA_CONFLICTS_CONFIG"

CENTRA = "centra"
SYSTEM_OF_RECORD, NEWEST_WINS, HOLD = "system_of_record", "newest_wins", "hold"


class FieldPolicy(BaseModel):
    # A misspelt key would otherwise be ignored and a different policy applied without notice.
    model_config = ConfigDict(extra="forbid", frozen=True)

    policy: Literal["system_of_record", "newest_wins", "hold"]
    system: str | None = Field(
        default=None, description="The system whose value wins; only for system_of_record."
    )

    @pydantic.model_validator(mode="after")
    def _system_only_for_system_of_record(self) -> "FieldPolicy":
        if self.policy == SYSTEM_OF_RECORD and not self.system:
            raise ValueError("system_of_record needs `system:` (centra or the other system)")
        if self.policy != SYSTEM_OF_RECORD and self.system:
            raise ValueError(f"`system:` applies to system_of_record only, not to {self.policy}")
        return self

    def describe(self) -> str:
        return f"{self.policy} ({self.system})" if self.system else self.policy


class EntityPolicies(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    other_system: str = Field(description="The system Centra's records are synced with.")
    default: FieldPolicy
    fields: dict[str, FieldPolicy] = Field(default_factory=dict)

    @pydantic.model_validator(mode="after")
    def _systems_are_the_two_sides(self) -> "EntityPolicies":
        sides = {CENTRA, self.other_system}
        for name, policy in [("default", self.default), *self.fields.items()]:
            if policy.system and policy.system not in sides:
                raise ValueError(
                    f"{name}: system {policy.system!r} is neither centra nor {self.other_system}"
                )
        return self

    def for_field(self, name: str) -> FieldPolicy:
        return self.fields.get(name, self.default)


class ConflictConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    entities: dict[str, EntityPolicies]

    def for_entity(self, entity: str) -> EntityPolicies:
        try:
            return self.entities[entity]
        except KeyError:
            raise ConfigFileError(
                f"{conflicts_config_path()}: no conflict policies for {entity!r}; every entity "
                "synced both ways needs an entry under `entities:`"
            ) from None


def conflicts_config_path() -> Path:
    configured = os.environ.get(PATH_VARIABLE)
    return Path(configured) if configured else DEFAULT_PATH


def load_conflict_config(path: Path | None = None) -> ConflictConfig:
    """The policies; a bad file raises ConfigFileError with the file, line and reason."""
    return load_model(path or conflicts_config_path(), ConflictConfig)

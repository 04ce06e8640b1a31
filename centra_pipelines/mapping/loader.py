"""Read mapping files: one per system, entity and direction, in a folder named after the system.

A file's place says what it maps (`erp/orders.yaml`), and its keys say it again. The two must agree,
so that a file copied to start a new mapping cannot quietly replace the one it was copied from.
"""

import os
from pathlib import Path

from centra_pipelines.config.loader import ConfigFileError, key_lines, load_model
from centra_pipelines.mapping.rules import Mapping

MAPPINGS_FOLDER = Path(__file__).parents[1] / "config" / "mappings"
FOLDER_VARIABLE = "CENTRA_MAPPINGS_DIR"

MappingKey = tuple[str, str, str]


def mappings_folder() -> Path:
    """The project's mapping files, or the folder CENTRA_MAPPINGS_DIR names instead."""
    configured = os.environ.get(FOLDER_VARIABLE)
    return Path(configured) if configured else MAPPINGS_FOLDER


def load_mapping(path: Path) -> Mapping:
    """One mapping file; a bad one raises ConfigFileError naming the file, line and reason."""
    return load_model(path, Mapping)


def load_mappings(folder: Path | None = None) -> dict[MappingKey, Mapping]:
    """Every `*.yaml` below `folder`, by (system, entity, direction).

    Raises:
        ConfigFileError: a file is invalid, sits where its keys say it should not, or maps the
            same system, entity and direction as another file (both are named).
    """
    folder = folder or mappings_folder()
    if not folder.is_dir():
        raise ConfigFileError(f"{folder}: no such folder of mapping files ({FOLDER_VARIABLE})")
    mappings: dict[MappingKey, Mapping] = {}
    origins: dict[MappingKey, Path] = {}
    for path in sorted(folder.rglob("*.yaml")):
        mapping = load_mapping(path)
        _check_place(path, folder, mapping)

        key = (mapping.system, mapping.entity, mapping.direction)
        if key in origins:
            raise ConfigFileError(
                f"{path}: maps {'/'.join(key)}, which {origins[key]} already maps; "
                "merge the two files or change the direction"
            )
        mappings[key] = mapping
        origins[key] = path
    return mappings


def _check_place(path: Path, folder: Path, mapping: Mapping) -> None:
    if path.parent == folder:
        raise ConfigFileError(f"{path}: put the file in a folder named after its system")

    # `orders.yaml`, or `orders.to_centra.yaml` when a system has both directions for an entity.
    entity, _, direction = path.name.removesuffix(".yaml").partition(".")
    expected = {"system": path.parent.name, "entity": entity}
    if direction:
        expected["direction"] = direction
    for key, wanted in expected.items():
        found = getattr(mapping, key)
        if found != wanted:
            line = key_lines(path.read_text(encoding="utf-8")).get((key,), "?")
            raise ConfigFileError(
                f"{path}:{line}: {key}: says {found!r} but the file's {_place(key)} says "
                f"{wanted!r}; rename or move the file, or correct the key"
            )


def _place(key: str) -> str:
    return "folder" if key == "system" else "name"

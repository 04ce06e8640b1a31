"""Mapping rules kept in YAML files (config/mappings/<system>/<entity>.yaml) and the engine that
applies them; docs/mapping.md describes the file format."""

from centra_pipelines.mapping.engine import MappedRecord, MappingProblem, apply, apply_many
from centra_pipelines.mapping.loader import (
    MAPPINGS_FOLDER,
    load_mapping,
    load_mappings,
    mappings_folder,
)
from centra_pipelines.mapping.rules import Mapping

__all__ = [
    "MAPPINGS_FOLDER",
    "MappedRecord",
    "Mapping",
    "MappingProblem",
    "apply",
    "apply_many",
    "load_mapping",
    "load_mappings",
    "mappings_folder",
]

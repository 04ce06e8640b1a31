"""Read a YAML settings file into a pydantic model, or fail naming the file, line and reason.

pydantic does the checking (types, ranges, unknown keys) because its messages already say what was
expected; this module adds where in the file the offending key is, which pydantic cannot know.
"""

from pathlib import Path
from typing import TypeVar

import pydantic
import yaml

Model = TypeVar("Model", bound=pydantic.BaseModel)
KeyPath = tuple[str | int, ...]


class ConfigFileError(ValueError):
    """A settings file that cannot be used; the message names the file, line and reason."""


def load_model(path: Path, model: type[Model]) -> Model:
    text = _read(path)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigFileError(_yaml_problem(path, error)) from error
    if document is None:
        raise ConfigFileError(f"{path}: the file is empty; start from a copy of the default")

    try:
        return model.model_validate(document)
    except pydantic.ValidationError as error:
        raise ConfigFileError(_describe(path, text, error)) from error


def line_in_file(path: Path, key: KeyPath) -> int | str:
    """The line of a key in a settings file, or "?" when the file or key cannot be found."""
    try:
        return key_lines(path.read_text(encoding="utf-8")).get(key, "?")
    except OSError:
        return "?"


def _yaml_problem(path: Path, error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    line = mark.line + 1 if mark is not None else "?"
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    return f"{path}:{line}: not valid YAML: {problem}" + (f" ({context})" if context else "")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigFileError(f"{path}: cannot read the settings file: {error}") from error


def _describe(path: Path, text: str, error: pydantic.ValidationError) -> str:
    lines = key_lines(text)
    problems = []
    for problem in error.errors():
        location = tuple(problem["loc"])
        line = _nearest_line(lines, location)
        dotted = ".".join(str(part) for part in location) or "(top level)"
        problems.append(f"{path}:{line}: {dotted}: {problem['msg']}")
    return "\n".join(problems)


def _nearest_line(lines: dict[KeyPath, int], location: KeyPath) -> int | str:
    # A missing key has no line of its own; point at the mapping that should hold it.
    while location:
        if location in lines:
            return lines[location]
        location = location[:-1]
    return lines.get((), "?")


def key_lines(text: str) -> dict[KeyPath, int]:
    """The 1-based line of every key and list item in a YAML document, by its path."""
    lines: dict[KeyPath, int] = {}
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return lines
    if root is not None:
        lines[()] = root.start_mark.line + 1
        _walk(root, (), lines)
    return lines


def _walk(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, key_node.value)
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            lines[child] = item.start_mark.line + 1
            _walk(item, child, lines)

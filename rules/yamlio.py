"""Read rule files as plain data with line numbers, so every message can say `file:line`.

We compose the YAML node tree with a (C)SafeLoader and build the values ourselves: only the core
scalar tags (null, bool, int, float, str; timestamps are kept as their text) are accepted, so a
`!!python/...` tag, an anchor or alias, a merge key or a duplicate key is a validation error with
a line number, never an object and never code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_FILE_BYTES = 1_000_000
MAX_NODES = 50_000

_SCALAR_TAGS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:str",
}
_TEXT_TAGS = {"tag:yaml.org,2002:timestamp"}


class LineDict(dict[str, Any]):
    """A mapping from a rule file that knows its own line and the line of each key."""

    line: int
    key_lines: dict[str, int]

    def __init__(self, line: int = 0) -> None:
        """Empty; `line` 0 when it stands in for a missing mapping (a default)."""
        super().__init__()
        self.line = line
        self.key_lines = {}

    def line_of(self, key: str) -> int:
        """The 1-based line of `key`, or of the mapping itself when the key is absent."""
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A sequence from a rule file that knows its own line and the line of each item."""

    line: int
    item_lines: list[int]

    def __init__(self, line: int = 0) -> None:
        """Empty; `line` 0 when it stands in for a missing sequence (a default)."""
        super().__init__()
        self.line = line
        self.item_lines = []


@dataclass(frozen=True, slots=True)
class YamlProblem:
    line: int
    message: str


# libyaml's composer when available (several times faster); aliases are then caught while
# building values (a node object met twice), before anything is expanded.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> tuple[Any, list[YamlProblem]]:
    """Parse one rule file into LineDict / LineList / scalars.

    Parameters
    ----------
    text
        The file's content.

    Returns
    -------
    tuple
        The data (None when the file could not be read) and the problems found, each with a
        1-based line. Never raises for bad input.
    """
    if len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        return None, [YamlProblem(1, f"file is larger than {MAX_FILE_BYTES} bytes")]
    try:
        loader = _LOADER(text)
    except yaml.YAMLError as exc:
        return None, [YamlProblem(1, f"YAML syntax: {exc}")]
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        return None, [YamlProblem(line, f"YAML syntax: {exc.problem or exc.context}")]
    except yaml.YAMLError as exc:
        return None, [YamlProblem(1, f"YAML syntax: {exc}")]
    finally:
        loader.dispose()
    if node is None:
        return None, []
    problems: list[YamlProblem] = []
    builder = _Builder(problems)
    value = builder.build(node)
    return value, problems


class _Builder:
    def __init__(self, problems: list[YamlProblem]) -> None:
        self.problems = problems
        self.count = 0
        self.seen: set[int] = set()
        self.scalars = yaml.SafeLoader("")

    def build(self, node: Node) -> Any:
        if id(node) in self.seen or getattr(node, "anchor", None):
            self.problems.append(
                YamlProblem(
                    node.start_mark.line + 1, "anchors and aliases are not supported in rule files"
                )
            )
            return None
        self.seen.add(id(node))
        self.count += 1
        if self.count > MAX_NODES:
            if self.count == MAX_NODES + 1:
                self.problems.append(
                    YamlProblem(node.start_mark.line + 1, f"more than {MAX_NODES} YAML nodes")
                )
            return None
        line = node.start_mark.line + 1
        if isinstance(node, ScalarNode):
            return self._scalar(node, line)
        if isinstance(node, SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                self._bad_tag(node.tag, line)
                return None
            out = LineList(line)
            for item in node.value:
                out.append(self.build(item))
                out.item_lines.append(item.start_mark.line + 1)
            return out
        if isinstance(node, MappingNode):
            if node.tag != "tag:yaml.org,2002:map":
                self._bad_tag(node.tag, line)
                return None
            mapping = LineDict(line)
            for key_node, value_node in node.value:
                key_line = key_node.start_mark.line + 1
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self.problems.append(YamlProblem(key_line, "merge keys (<<) are not supported"))
                    continue
                key = self.build(key_node)
                if not isinstance(key, str):
                    if isinstance(key, int | float | bool) or key is None:
                        key = str(key).lower() if isinstance(key, bool) or key is None else str(key)
                    else:
                        self.problems.append(YamlProblem(key_line, "mapping keys must be text"))
                        continue
                if key in mapping:
                    first = mapping.key_lines[key]
                    self.problems.append(
                        YamlProblem(key_line, f"duplicate key '{key}' (first at line {first})")
                    )
                    continue
                mapping[key] = self.build(value_node)
                mapping.key_lines[key] = key_line
            return mapping
        self.problems.append(YamlProblem(line, "unsupported YAML node"))
        return None

    def _bad_tag(self, tag: str, line: int) -> None:
        self.problems.append(
            YamlProblem(
                line,
                f"unsupported YAML tag '{tag}': rule files are data, nothing in them is executed",
            )
        )

    def _scalar(self, node: ScalarNode, line: int) -> Any:
        if node.tag in _TEXT_TAGS:
            return node.value
        if node.tag not in _SCALAR_TAGS:
            self._bad_tag(node.tag, line)
            return None
        try:
            return self.scalars.construct_object(node)
        except yaml.YAMLError as exc:
            self.problems.append(YamlProblem(line, f"bad value: {exc}"))
            return None

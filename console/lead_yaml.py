"""Appending an item to a list in a YAML file while keeping the rest of the file as it is.

A full ruamel.yaml round-trip keeps comments but re-wraps long flow lists and rewrites
``null``; the product files are written by hand and read in Git diffs, so an edit should
change the lines it adds and nothing else. ``append_item`` therefore inserts the new
item's text at the place the parsed file says the list ends (a flow list ``[a, b]`` gets
``, "c"`` before its ``]``; a block list gets a ``- ...`` line after its last item, the new
item rendered by ruamel.yaml), and then proves the result: the new file must read back as
the old data with exactly that item appended. When it does not (a shape this does not
handle), the ruamel.yaml round-trip (``YAML(typ="rt")``) does the edit instead, which
still keeps every comment.
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Sequence
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

Path_ = Sequence[str | int]
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class EditError(ValueError):
    """The list to append to is not where the edit expects it."""


def append_item(text: str, path: Path_, item: Any) -> str:
    """``text`` with ``item`` appended to the list at ``path`` (keys and indexes)."""
    expected = copy.deepcopy(yaml.load(text, Loader=_Loader))
    target = _walk(expected, path)
    if not isinstance(target, list):
        raise EditError(f"{_dotted(path)} is not a list")
    target.append(item)
    try:
        edited = _insert(text, path, item)
    except (EditError, yaml.YAMLError):
        edited = None
    if edited is not None and _reads_as(edited, expected):
        return edited
    return _round_trip(text, path, item, expected)


def _walk(data: Any, path: Path_) -> Any:
    for key in path:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            raise EditError(f"{_dotted(path)} does not exist") from None
    return data


def _dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path)


def _reads_as(text: str, expected: Any) -> bool:
    try:
        return bool(yaml.load(text, Loader=_Loader) == expected)
    except yaml.YAMLError:
        return False


def _node_at(root: yaml.Node, path: Path_) -> yaml.Node:
    node = root
    for key in path:
        if isinstance(node, yaml.MappingNode) and isinstance(key, str):
            found = [v for k, v in node.value if k.value == key]
            if not found:
                raise EditError(f"{key} not found")
            node = found[-1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            node = node.value[key]
        else:
            raise EditError(f"cannot follow {key!r}")
    return node


def _insert(text: str, path: Path_, item: Any) -> str:
    root = yaml.compose(text, Loader=_Loader)
    if root is None:
        raise EditError("empty file")
    node = _node_at(root, path)
    if not isinstance(node, yaml.SequenceNode):
        raise EditError("not a list")
    if node.flow_style:
        if not isinstance(item, str):
            raise EditError("only a text goes into a flow list")
        close = node.end_mark.index - 1
        if text[close] != "]":
            raise EditError("no closing bracket")
        scalar = json.dumps(item, ensure_ascii=False)  # a YAML double-quoted scalar
        before = text[:close].rstrip()
        separator = "" if before.endswith("[") else ", "
        return before + separator + scalar + text[len(before) : close] + text[close:]
    if not node.value:
        raise EditError("an empty block list")
    last = node.value[-1]
    line_start = text.rfind("\n", 0, node.value[0].start_mark.index) + 1
    dash = text.find("-", line_start, node.value[0].start_mark.index)
    if dash < 0:
        raise EditError("no dash")
    indent = dash - line_start
    end = len(text[: last.end_mark.index].rstrip())  # just after the last item's last text
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    block = _render_item(item, indent)
    return text[:line_end] + "\n" + block + text[line_end:]


def _render_item(item: Any, indent: int) -> str:
    """``item`` as a block list entry ``- ...`` at column ``indent`` (no final newline)."""
    if isinstance(item, str):
        return " " * indent + "- " + json.dumps(item, ensure_ascii=False)
    writer = _rt()
    writer.width = 100
    buffer = io.StringIO()
    writer.dump(_styled(item), buffer)
    lines = buffer.getvalue().rstrip("\n").split("\n")
    return "\n".join(
        " " * indent + ("- " if index == 0 else "  ") + line if line else line
        for index, line in enumerate(lines)
    )


def _styled(value: Any) -> Any:
    """Mappings in block style, lists of texts as ``[a, b]``: as the product files do."""
    if isinstance(value, dict):
        mapping = CommentedMap((k, _styled(v)) for k, v in value.items())
        mapping.fa.set_block_style()
        return mapping
    if isinstance(value, list):
        sequence = CommentedSeq(_styled(v) for v in value)
        if all(isinstance(v, str) for v in value):
            sequence.fa.set_flow_style()
        else:
            sequence.fa.set_block_style()
        return sequence
    return value


def _rt() -> YAML:
    writer = YAML(typ="rt")
    writer.preserve_quotes = True
    writer.indent(mapping=2, sequence=4, offset=2)
    return writer


def _round_trip(text: str, path: Path_, item: Any, expected: Any) -> str:
    writer = _rt()
    writer.width = 4096  # do not re-wrap lines
    data = writer.load(text)
    target = data
    for key in path:
        target = target[key]
    target.append(item)
    buffer = io.StringIO()
    writer.dump(data, buffer)
    edited = buffer.getvalue()
    if not _reads_as(edited, expected):
        raise EditError(f"could not append to {_dotted(path)}")
    return edited

"""Load and validate a knowledge folder.

Every problem is reported as ``file:line: field: message`` so that an admin can
jump straight to it; problems across files (a product naming an unknown queue,
two products with one id) are found too. ``load_knowledge`` raises
``KnowledgeError`` with all problems, or returns a ``Knowledge``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from knowledge.model import (
    BackOfficeConfig,
    Language,
    Organisation,
    OutOfScopeTopic,
    Product,
    Queue,
    SlaClass,
)
from servicedesk.errors import KnowledgeError

DEFAULT_DIR = Path(__file__).resolve().parent / "default"
ORGANISATION = "organisation.yaml"
SLA = "sla.yaml"
QUEUES = "queues.yaml"
LANGUAGE = "language.yaml"
OUT_OF_SCOPE = "out_of_scope.yaml"
BACKOFFICES = "backoffices.yaml"
PRODUCTS = "products"

M = TypeVar("M")
# libyaml's loader when PyYAML was built with it: the same marks, several times faster.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Knowledge:
    """One validated, immutable version of the knowledge."""

    source: Path
    organisation: Organisation
    sla_classes: dict[str, SlaClass]
    queues: dict[str, Queue]
    products: dict[str, Product]
    out_of_scope: list[OutOfScopeTopic]
    language: Language
    backoffices: dict[str, BackOfficeConfig] = field(default_factory=dict)
    fingerprint: tuple[tuple[str, int, int], ...] = field(default=(), compare=False)

    def product(self, product_id: str) -> Product:
        return self.products[product_id]


@dataclass
class _Problems:
    lines: list[str] = field(default_factory=list)

    def add(self, file: Path, line: int, where: str, message: str) -> None:
        self.lines.append(f"{file}:{line}: {where}: {message}")


def _line_map(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            key_path = (*path, key.value)
            _line_map(value, key_path, out)
            out[key_path] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, (*path, index), out)


def _read_yaml(path: Path, problems: _Problems) -> tuple[Any, dict[tuple[Any, ...], int]] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(path, 1, "file", f"cannot read: {exc}")
        return None
    node = None
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except (ValueError, OverflowError) as exc:  # a scalar YAML reads but Python cannot hold
        problems.add(path, _unreadable_scalar_line(node), "yaml", f"cannot read a value: {exc}")
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problems.add(path, line, "yaml", f"{exc.problem or exc.context}")
        return None
    except yaml.YAMLError as exc:
        problems.add(path, 1, "yaml", str(exc))
        return None
    lines: dict[tuple[Any, ...], int] = {}
    if node is not None:
        _line_map(node, (), lines)
    return data, lines


def _unreadable_scalar_line(node: yaml.Node | None) -> int:
    """The line of the first scalar that cannot be constructed (a date such as
    2026-13-45, which YAML's grammar reads as a timestamp), else 1."""
    loader = yaml.SafeLoader("")
    stack = [node] if node is not None else []
    while stack:
        item = stack.pop(0)
        if isinstance(item, yaml.ScalarNode):
            try:
                loader.construct_object(item)
            except (ValueError, OverflowError, yaml.YAMLError):
                return int(item.start_mark.line) + 1
        elif isinstance(item, yaml.SequenceNode):
            stack.extend(item.value)
        elif isinstance(item, yaml.MappingNode):
            for key, value in item.value:
                stack.extend((key, value))
    return 1


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(file)"


def _message(error: dict[str, Any]) -> str:
    loc = error["loc"]
    if error["type"] == "missing":
        if loc and loc[-1] in ("nl", "en"):
            return f"missing translation ({loc[-1]})"
        return "required"
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "enum":
        expected = error.get("ctx", {}).get("expected", "")
        return f"unknown value {error.get('input')!r}; expected {expected}"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _line_for(loc: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _validate(
    path: Path,
    data: Any,
    lines: dict[tuple[Any, ...], int],
    model: type[M] | TypeAdapter[M],
    problems: _Problems,
) -> M | None:
    adapter = model if isinstance(model, TypeAdapter) else TypeAdapter(model)
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
            problems.add(path, _line_for(loc, lines), _dotted(loc), _message(dict(error)))
        return None


def _fingerprint(folder: Path) -> tuple[tuple[str, int, int], ...]:
    entries = []
    for path in sorted(folder.rglob("*.yaml")):
        try:
            stat = path.stat()
        except OSError:
            continue
        entries.append((str(path.relative_to(folder)), stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


def fingerprint(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when any knowledge file is edited, added or removed."""
    return _fingerprint(folder)


def check_knowledge(folder: Path) -> tuple[Knowledge | None, list[str]]:
    """Validate a knowledge folder: the knowledge (when valid) and every problem found."""
    problems = _Problems()
    folder = folder.resolve()
    if not folder.is_dir():
        problems.add(folder, 1, "folder", "not a knowledge folder")
        return None, problems.lines
    stamp = _fingerprint(folder)

    def single(name: str, model: Any) -> Any:
        path = folder / name
        if not path.is_file():
            problems.add(path, 1, "file", "missing")
            return None
        read = _read_yaml(path, problems)
        if read is None:
            return None
        return _validate(path, read[0], read[1], model, problems)

    organisation = single(ORGANISATION, Organisation)
    sla = single(SLA, TypeAdapter(dict[str, SlaClass]))
    queues = single(QUEUES, TypeAdapter(dict[str, Queue]))
    language = single(LANGUAGE, Language)
    out_of_scope = _load_out_of_scope(folder / OUT_OF_SCOPE, problems)
    backoffices = _load_backoffices(folder / BACKOFFICES, problems)
    if queues is not None:
        _check_queue_backoffices(folder / QUEUES, queues, backoffices, problems)
    products = _load_products(folder / PRODUCTS, problems, queues, sla)
    if organisation is not None and products:
        for index, rule in enumerate(organisation.emergencies):
            product = products.get(rule.product)
            if product is None or product.is_redirect:
                problems.add(
                    folder / ORGANISATION,
                    1,
                    f"emergencies[{index}].product",
                    f"unknown (or redirect) product {rule.product!r}",
                )

    if problems.lines or None in (organisation, sla, queues, language):
        return None, problems.lines
    knowledge = Knowledge(
        source=folder,
        organisation=organisation,
        sla_classes=sla,
        queues=queues,
        products=products,
        out_of_scope=out_of_scope,
        language=language,
        backoffices=backoffices,
        fingerprint=stamp,
    )
    return knowledge, []


def _load_backoffices(path: Path, problems: _Problems) -> dict[str, BackOfficeConfig]:
    if not path.is_file():
        return {}
    read = _read_yaml(path, problems)
    if read is None:
        return {}
    parsed = _validate(
        path, read[0] or {}, read[1], TypeAdapter(dict[str, BackOfficeConfig]), problems
    )
    if parsed and "builtin" in parsed:
        problems.add(path, _line_for(("builtin",), read[1]), "builtin", "the name is reserved")
    return parsed or {}


def _check_queue_backoffices(
    path: Path,
    queues: dict[str, Queue],
    backoffices: dict[str, BackOfficeConfig],
    problems: _Problems,
) -> None:
    lines: dict[tuple[Any, ...], int] = {}
    for queue_id, queue in queues.items():
        if queue.backoffice != "builtin" and queue.backoffice not in backoffices:
            if not lines:
                read = _read_yaml(path, _Problems())
                lines = read[1] if read else {}
            problems.add(
                path,
                _line_for((queue_id, "backoffice"), lines),
                f"{queue_id}.backoffice",
                f"unknown back office {queue.backoffice!r} (see {BACKOFFICES})",
            )


class _TopicsFile(BaseModel):
    topics: list[OutOfScopeTopic]


def _load_out_of_scope(path: Path, problems: _Problems) -> list[OutOfScopeTopic]:
    if not path.is_file():
        return []
    read = _read_yaml(path, problems)
    if read is None:
        return []
    parsed = _validate(path, read[0], read[1], _TopicsFile, problems)
    if parsed is None:
        return []
    seen: set[str] = set()
    for index, topic in enumerate(parsed.topics):
        if topic.id in seen:
            line = _line_for(("topics", index, "id"), read[1])
            problems.add(path, line, f"topics[{index}].id", f"duplicate id {topic.id!r}")
        seen.add(topic.id)
    return parsed.topics


def _load_products(
    folder: Path,
    problems: _Problems,
    queues: dict[str, Queue] | None,
    sla: dict[str, SlaClass] | None,
) -> dict[str, Product]:
    products: dict[str, Product] = {}
    first_seen: dict[str, Path] = {}
    if not folder.is_dir():
        problems.add(folder, 1, "folder", "missing: products/ holds one file per product")
        return products
    for path in sorted(folder.glob("*.yaml")):
        read = _read_yaml(path, problems)
        if read is None:
            continue
        data, lines = read
        product = _validate(path, data, lines, Product, problems)
        if product is None:
            continue

        def at(*loc: Any, _lines: dict[tuple[Any, ...], int] = lines) -> int:
            return _line_for(loc, _lines)

        if product.id in first_seen:
            problems.add(
                path,
                at("id"),
                "id",
                f"duplicate id {product.id!r} (also in {first_seen[product.id].name})",
            )
            continue
        first_seen[product.id] = path
        if path.stem != product.id:
            problems.add(path, at("id"), "id", f"file name must be {product.id}.yaml")
        if queues is not None and product.queue is not None and product.queue not in queues:
            problems.add(path, at("queue"), "queue", f"unknown queue {product.queue!r}")
        if sla is not None and product.priority is not None and product.priority not in sla:
            problems.add(
                path, at("priority"), "priority", f"unknown SLA class {product.priority!r}"
            )
        faq_ids: set[str] = set()
        for index, entry in enumerate(product.faq):
            if entry.id in faq_ids:
                problems.add(
                    path, at("faq", index, "id"), f"faq[{index}].id", f"duplicate id {entry.id!r}"
                )
            faq_ids.add(entry.id)
        if len(product.fields) != len(set(product.fields)):
            problems.add(path, at("fields"), "fields", "a field kind is listed twice")
        products[product.id] = product
    if not products and not problems.lines:
        problems.add(folder, 1, "products", "no products")
    return products


def load_knowledge(folder: Path) -> Knowledge:
    knowledge, problems = check_knowledge(folder)
    if knowledge is None:
        raise KnowledgeError(problems)
    return knowledge

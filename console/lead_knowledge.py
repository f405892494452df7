"""Teaching the bot from the lead's view: an unanswered question becomes a phrasing of a
product (its ``synonyms``, which the matcher indexes) or a question of an FAQ entry.

``apply_edit`` (blocking: call it in a thread) works on one product file
(``products/<id>.yaml``): it appends the text where it belongs keeping the file's
comments and layout (``console.lead_yaml``), validates the result exactly as
``frontoffice knowledge check`` does (``check_knowledge`` on a copy of the whole folder
with the edited file in it), and only then replaces the real file atomically (a temporary
file in the same folder, then ``os.replace``). A refused edit writes nothing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from console.lead_yaml import EditError, append_item
from knowledge.loader import PRODUCTS, Knowledge, check_knowledge
from knowledge.text import fold

PHRASING, FAQ_QUESTION, FAQ_NEW = "phrasing", "faq_question", "faq_new"
KINDS = (PHRASING, FAQ_QUESTION, FAQ_NEW)
LANGUAGES = ("nl", "en")


@dataclass(frozen=True)
class Edit:
    kind: str  # PHRASING | FAQ_QUESTION | FAQ_NEW
    product: str
    language: str  # of ``text``
    text: str
    faq_id: str = ""  # FAQ_QUESTION: the entry that gets the question
    other_question: str = ""  # FAQ_NEW: the question in the other language
    answer_nl: str = ""  # FAQ_NEW
    answer_en: str = ""


class EditRefused(Exception):
    """An edit that cannot be made: a message key of the catalogue with its values, or
    the loader's problems (``problems``) when the edited folder does not validate."""

    def __init__(self, key: str, problems: tuple[str, ...] = (), **values: str) -> None:
        super().__init__(key)
        self.key = key
        self.problems = problems
        self.values = values


def product_file(product: str) -> str:
    """The file of a product, relative to the knowledge folder (the loader requires it)."""
    return f"{PRODUCTS}/{product}.yaml"


def apply_edit(folder: Path, knowledge: Knowledge, edit: Edit) -> str:
    """Make ``edit`` in ``folder``; returns the file changed (relative). Raises
    ``EditRefused`` and changes nothing when the edit is invalid."""
    if edit.kind not in KINDS or edit.language not in LANGUAGES:
        raise EditRefused("console.lead.edit.bad_form")
    product = knowledge.products.get(edit.product)
    if product is None:
        raise EditRefused("console.lead.edit.unknown_product")
    text = " ".join(edit.text.split())
    _check_collision(knowledge, edit, text)
    relative = product_file(edit.product)
    path = folder / relative
    original = path.read_bytes()
    path_in_file, item = _target(knowledge, edit, text)
    try:
        edited = append_item(original.decode("utf-8"), path_in_file, item)
    except (EditError, UnicodeDecodeError) as exc:
        raise EditRefused("console.lead.edit.not_possible", detail=str(exc)) from exc
    problems = _validate(folder, relative, edited)
    if problems:
        raise EditRefused("console.lead.edit.invalid", problems=problems)
    if path.read_bytes() != original:  # someone saved the file meanwhile: do not overwrite
        raise EditRefused("console.lead.edit.changed")
    write_atomically(path, edited)
    return relative


def _target(knowledge: Knowledge, edit: Edit, text: str) -> tuple[list[str | int], Any]:
    product = knowledge.products[edit.product]
    if edit.kind == PHRASING:
        if product.synonyms is None:
            raise EditRefused("console.lead.edit.no_synonyms")
        return ["synonyms", edit.language], text
    if edit.kind == FAQ_QUESTION:
        for index, existing in enumerate(product.faq):
            if existing.id == edit.faq_id:
                return ["faq", index, "questions", edit.language], text
        raise EditRefused("console.lead.edit.unknown_faq")
    other = "en" if edit.language == "nl" else "nl"
    questions = {edit.language: [text]}
    if edit.other_question.strip():
        questions[other] = [" ".join(edit.other_question.split())]
    entry: dict[str, Any] = {
        "id": _new_faq_id(text, {e.id for e in product.faq}),
        "questions": dict(sorted(questions.items(), key=lambda kv: LANGUAGES.index(kv[0]))),
    }
    answer = {
        language: value.strip()
        for language, value in (("nl", edit.answer_nl), ("en", edit.answer_en))
        if value.strip()
    }
    if answer:  # without one the check refuses the entry ("answer: required")
        entry["answer"] = answer
    return ["faq"], entry


def _check_collision(knowledge: Knowledge, edit: Edit, text: str) -> None:
    """A phrasing of another product (or already of this one) is refused: the matcher
    would learn nothing, or be torn between two products."""
    key = fold(text)
    if not key:
        return  # empty: the check names it
    for product in knowledge.products.values():
        phrases = list(product.synonyms.all() if product.synonyms else [])
        for entry in product.faq:
            phrases += entry.questions.all()
        if any(fold(phrase) == key for _, phrase in phrases):
            if product.id == edit.product:
                raise EditRefused("console.lead.edit.already", product=product.id)
            raise EditRefused("console.lead.edit.collision", product=product.id)


def _new_faq_id(text: str, taken: set[str]) -> str:
    words = [w for w in fold(text).split() if w.isascii() and w.isalnum()]
    base = ""
    for word in words:
        if len(base) + len(word) + 1 > 40:
            break
        base = f"{base}-{word}" if base else word
    base = base or "vraag"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def _validate(folder: Path, relative: str, edited: str) -> tuple[str, ...]:
    """The loader's problems with ``edited`` in place of ``relative`` (none: valid), with
    the file names as they are in ``folder``."""
    with tempfile.TemporaryDirectory(prefix="knowledge-edit-") as scratch:
        copy = Path(scratch) / "knowledge"
        shutil.copytree(folder, copy, ignore=shutil.ignore_patterns(".*", "*.tmp"))
        (copy / relative).write_text(edited, encoding="utf-8")
        knowledge, problems = check_knowledge(copy)
        prefixes = {str(copy.resolve()) + os.sep, str(copy) + os.sep}
    if knowledge is not None:
        return ()
    out = []
    for problem in problems:
        for prefix in prefixes:
            problem = problem.replace(prefix, "")
        out.append(problem)
    return tuple(out)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step: readers see the old or the new file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, stat.S_IMODE(path.stat().st_mode))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise

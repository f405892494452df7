"""The schema of the knowledge files (pydantic), one model per kind of file."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from servicedesk.tickets import FieldKind, Kwis

LANGUAGES = ("nl", "en")
NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
DURATION = re.compile(r"^(\d+)(m|h|bh|bd)$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text employees read, in Dutch and English."""

    nl: NonEmpty
    en: NonEmpty

    def in_language(self, language: str) -> str:
        return self.en if language == "en" else self.nl


class Phrases(Strict):
    """Words or phrasings per language."""

    nl: list[NonEmpty]
    en: list[NonEmpty]

    def all(self) -> list[tuple[str, str]]:
        return [("nl", p) for p in self.nl] + [("en", p) for p in self.en]


class Questions(Phrases):
    nl: Annotated[list[NonEmpty], Field(min_length=1, max_length=3)]
    en: Annotated[list[NonEmpty], Field(min_length=1, max_length=3)]


class FaqEntry(Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    questions: Questions
    answer: Text


class Price(Strict):
    """What the charge text says, as figures (charge-back reports): a fixed amount per
    ticket, an amount per person or per unit (the ticket's ``persons`` field holds the
    number), or ``quote`` (priced case by case: counted, not priced). Amounts in euros."""

    kind: Literal["fixed", "per_person", "per_unit", "quote"]
    amount: Annotated[float, Field(gt=0, le=1_000_000)] | None = None
    unit: Text | None = None  # per_unit: what one unit is ("poster", "box")

    @model_validator(mode="after")
    def _amount_for_kind(self) -> Price:
        if self.kind == "quote":
            if self.amount is not None or self.unit is not None:
                raise ValueError("a quote price has no amount or unit")
        elif self.amount is None:
            raise ValueError(f"a {self.kind} price needs an amount")
        if self.kind == "per_unit" and self.unit is None:
            raise ValueError("a per_unit price needs a unit")
        if self.kind != "per_unit" and self.unit is not None:
            raise ValueError("only a per_unit price has a unit")
        return self


class Product(Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]*$")]
    name: Text
    description: Text
    synonyms: Phrases | None = None
    queue: str | None = None
    kwis: Kwis | None = None
    priority: str | None = None
    charge: Text | None = None
    price: Price | None = None  # the charge as figures, for charge-back (reports)
    charter: Text | None = None
    fields: list[FieldKind] = []
    # what "when" asks: a day and a time (an order, a booking), or only a day (a permit's
    # first day, a print deadline); a time given anyway is kept
    when: Literal["datetime", "date"] = "datetime"
    faq: Annotated[list[FaqEntry], Field(max_length=10)] = []
    redirect: Text | None = None

    @model_validator(mode="after")
    def _redirect_or_delivered(self) -> Product:
        if self.redirect is not None:
            for name in ("queue", "kwis", "priority", "charge", "price", "charter"):
                if getattr(self, name) is not None:
                    raise ValueError(f"a redirect product has no {name}")
            if self.fields or self.faq:
                raise ValueError("a redirect product has no fields or faq")
        else:
            missing = [n for n in ("queue", "kwis", "priority") if getattr(self, n) is None]
            if missing:
                raise ValueError(f"missing {', '.join(missing)} (or give a redirect)")
            if len(self.faq) < 5:
                raise ValueError(f"needs at least 5 faq entries, has {len(self.faq)}")
            if self.price is not None and self.charge is None:
                raise ValueError("a price needs the charge text employees read")
            if (
                self.price is not None
                and self.price.kind in ("per_person", "per_unit")
                and FieldKind.PERSONS not in self.fields
            ):  # the intake's count ("how many?") is the number of persons or units
                raise ValueError(f"a {self.price.kind} price needs the persons field")
        return self

    @property
    def is_redirect(self) -> bool:
        return self.redirect is not None


class BusinessHours(Strict):
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]]
    open: Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
    close: Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]

    @model_validator(mode="after")
    def _open_before_close(self) -> BusinessHours:
        if self.open >= self.close:
            raise ValueError("open must be before close")
        return self


GAP = "..."  # in an emergency phrase: up to MAX_GAP other words
MAX_GAP = 4
_GROUP = re.compile(r"^<([a-z0-9_]+)>$")
_GROUP_NAME = re.compile(r"^[a-z0-9_]+$")
# One position of an emergency phrase: its folded alternatives (a word, or a prefix
# ending in "*"), or None for a gap.
PhraseSlot = tuple[str, ...] | None


def _emergency_word(word: str) -> str:
    """One alternative of a phrase position, folded: a word, or a prefix ending in '*'."""
    from knowledge.text import fold  # knowledge.text imports this module

    prefix = word.endswith("*")
    folded = fold(word[:-1] if prefix else word)
    if not folded or " " in folded:
        raise ValueError(f"{word!r} must be one word")
    if prefix and len(folded) < 3:
        raise ValueError(f"{word!r}: a prefix needs at least 3 letters before the '*'")
    return folded + "*" if prefix else folded


def emergency_phrase(phrase: str, groups: dict[str, list[str]]) -> tuple[PhraseSlot, ...]:
    """The positions of an emergency phrase (see docs/KNOWLEDGE.md, "Emergencies"):
    words in order, ``a|b`` for alternatives, ``word*`` for a prefix, ``<group>`` for the
    words of ``emergency_groups``, ``...`` for up to MAX_GAP other words."""
    slots: list[PhraseSlot] = []
    for token in phrase.split():
        if token == GAP:
            if not slots or slots[-1] is None:
                raise ValueError(f"{phrase!r}: '...' must stand between two words")
            slots.append(None)
            continue
        if "|" not in token and "*" not in token and not _GROUP.match(token):
            from knowledge.text import fold

            slots.extend((word,) for word in fold(token).split())  # "z'n", "co-worker"
            continue
        alternatives: list[str] = []
        for part in token.split("|"):
            group = _GROUP.match(part)
            if group is None:
                alternatives.append(_emergency_word(part))
            elif group[1] in groups:
                alternatives.extend(groups[group[1]])
            else:
                raise ValueError(f"{phrase!r}: unknown group <{group[1]}> (emergency_groups)")
        slots.append(tuple(dict.fromkeys(alternatives)))
    if not slots or slots[-1] is None:
        raise ValueError(f"{phrase!r}: a phrase needs words and cannot end with '...'")
    return tuple(slots)


class EmergencyRule(Strict):
    """Phrases that make a message an emergency: the instruction first, then a P1 ticket
    for ``product``. A phrase does not count where one of the ``exceptions`` covers one of
    its words ("fire" in "fire drill")."""

    product: NonEmpty
    words: Phrases
    exceptions: Phrases | None = None


class Organisation(Strict):
    name: NonEmpty
    timezone: NonEmpty
    business_hours: BusinessHours
    holidays: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    buildings: list[NonEmpty]
    # Named places per building: the Dutch name -> other words for it (English), e.g.
    # {"Werf": {"kantine": ["canteen"]}}. A building plus one of these is a whole location.
    places: dict[NonEmpty, dict[NonEmpty, list[NonEmpty]]] = {}
    emergency: Text
    # Word groups for the emergency phrases: "<persoon>" in a phrase is any of its words.
    emergency_groups: dict[str, list[NonEmpty]] = {}
    emergencies: list[EmergencyRule] = []
    frontoffice_contact: Text

    @field_validator("places", mode="before")
    @classmethod
    def _no_aliases_is_empty(cls, value: object) -> object:
        if isinstance(value, dict):  # "atrium:" without other words
            return {
                building: (
                    {name: [] if aliases is None else aliases for name, aliases in places.items()}
                    if isinstance(places, dict)
                    else places
                )
                for building, places in value.items()
            }
        return value

    @field_validator("places")
    @classmethod
    def _places_of_known_buildings(
        cls, value: dict[str, dict[str, list[str]]], info: ValidationInfo
    ) -> dict[str, dict[str, list[str]]]:
        from knowledge.text import fold

        buildings = {fold(b): b for b in info.data.get("buildings") or []}
        out: dict[str, dict[str, list[str]]] = {}
        for building, places in value.items():
            if fold(building) not in buildings:
                raise ValueError(f"{building!r} is not one of the buildings")
            seen: dict[str, str] = {}
            for name, aliases in places.items():
                for word in (name, *aliases):
                    key = fold(word)
                    if key in buildings:
                        raise ValueError(f"{building}: {word!r} is the name of a building")
                    if seen.setdefault(key, name) != name:
                        raise ValueError(
                            f"{building}: {word!r} names both {seen[key]!r} and {name!r}"
                        )
            out[buildings[fold(building)]] = places
        return out

    @field_validator("emergency_groups")
    @classmethod
    def _emergency_groups(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name, words in value.items():
            if not _GROUP_NAME.match(name):
                raise ValueError(f"group name {name!r}: use a-z, 0-9 and _")
            if any(_GROUP.match(w) for w in words):
                raise ValueError(f"group {name!r}: a group cannot name another group")
            try:
                out[name] = list(dict.fromkeys(_emergency_word(w) for w in words))
            except ValueError as exc:
                raise ValueError(f"group {name!r}: {exc}") from None
        return out

    @field_validator("emergencies")
    @classmethod
    def _emergency_phrases(
        cls, value: list[EmergencyRule], info: ValidationInfo
    ) -> list[EmergencyRule]:
        if "emergency_groups" not in info.data:
            return value  # the groups have a problem of their own, reported already
        groups = info.data["emergency_groups"]
        problems = []
        for rule in value:
            for phrases in (rule.words, rule.exceptions):
                for _, phrase in phrases.all() if phrases else []:
                    try:
                        emergency_phrase(phrase, groups)
                    except ValueError as exc:
                        problems.append(f"{rule.product}: {exc}")
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class SlaClass(Strict):
    label: Text
    response: Annotated[str, StringConstraints(pattern=DURATION.pattern)]
    resolution: Annotated[str, StringConstraints(pattern=DURATION.pattern)]
    clock: Literal["24x7", "business"]


class BackOfficeConfig(Strict):
    """A back office that queues hand their tickets to (backoffices.yaml).

    Secrets are never in these files: ``password_env`` and ``secret_env`` name the
    environment variables that hold them."""

    kind: Literal["builtin", "topdesk", "webhook"]
    url: str | None = None
    login: str | None = None
    password_env: str | None = None
    secret_env: str | None = None
    operator_group: str | None = None
    category: str | None = None
    subcategory: str | None = None
    priorities: dict[str, str] = {}  # our SLA class -> the back office's priority name
    timeout_seconds: float = 10.0  # per request to the back office

    @model_validator(mode="after")
    def _settings_for_kind(self) -> BackOfficeConfig:
        needed = {"topdesk": ("url", "login", "password_env"), "webhook": ("url", "secret_env")}
        missing = [name for name in needed.get(self.kind, ()) if not getattr(self, name)]
        if missing:
            raise ValueError(f"a {self.kind} back office needs {', '.join(missing)}")
        return self


class Queue(Strict):
    name: Text
    lead: Text
    # The lead's Entra object id (optional): escalations of breached deadlines also go to
    # them 1:1 when they have chatted with the bot; the queue's channel gets them always.
    lead_id: NonEmpty | None = None
    staff: list[NonEmpty] = []
    backoffice: NonEmpty = "builtin"  # "builtin" (Teams cards) or a name from backoffices.yaml


class OutOfScopeTopic(Strict):
    """Things people ask that the front office does not deliver and no desk of the
    catalogue covers (a citizen's errand at the town hall, private life, small talk).
    They compete with the products in the matcher so that such questions get a plain no."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]*$")]
    description: NonEmpty
    synonyms: Phrases
    context: bool = False  # a context cue (at home, my street): vetoes a product match


class Language(Strict):
    """Language knowledge shared by all products: stop words, abbreviations, equivalents."""

    stopwords: Phrases
    abbreviations: dict[str, str] = {}
    equivalents: list[list[NonEmpty]] = []
    question_starts: Phrases

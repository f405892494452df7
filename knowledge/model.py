"""The schema of the knowledge files (pydantic), one model per kind of file."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
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


class EmergencyRule(Strict):
    """Words that make a message an emergency: the instruction first, then a P1 ticket
    for ``product``."""

    product: NonEmpty
    words: Phrases


class Organisation(Strict):
    name: NonEmpty
    timezone: NonEmpty
    business_hours: BusinessHours
    holidays: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    buildings: list[NonEmpty]
    emergency: Text
    emergencies: list[EmergencyRule] = []
    frontoffice_contact: Text

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

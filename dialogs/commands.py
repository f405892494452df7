"""The bot's commands: one table for the conversation logic and the Teams manifest.

Teams shows these in the compose box's command menu (the manifest's
``commandLists``); the front desk recognises the same words in a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    PERSONAL = "personal"
    TEAM = "team"


@dataclass(frozen=True, slots=True)
class Command:
    title: str  # what the user types (Teams shows it in the command menu)
    description_nl: str
    description_en: str
    scopes: tuple[Scope, ...]
    aliases: tuple[str, ...] = ()

    def words(self) -> tuple[str, ...]:
        return (self.title, *self.aliases)


COMMANDS: tuple[Command, ...] = (
    Command(
        title="help",
        description_nl="Wat kan de frontoffice voor je doen?",
        description_en="What can the front office do for you?",
        scopes=(Scope.PERSONAL, Scope.TEAM),
        aliases=("hulp", "menu", "?"),
    ),
    Command(
        title="mijn meldingen",
        description_nl="Je openstaande meldingen en aanvragen, met hun status",
        description_en="Your open reports and requests, with their status",
        scopes=(Scope.PERSONAL,),
        aliases=("my tickets", "meldingen", "mijn aanvragen", "my requests", "status"),
    ),
    Command(
        title="stop",
        description_nl="Stop het huidige gesprek (er wordt niets aangemaakt)",
        description_en="Leave the current dialog (nothing is created)",
        scopes=(Scope.PERSONAL,),
        aliases=("annuleer", "annuleren", "cancel", "stoppen", "afbreken", "laat maar"),
    ),
    Command(
        title="opnieuw",
        description_nl="Begin de huidige melding opnieuw",
        description_en="Start the current request again",
        scopes=(Scope.PERSONAL,),
        aliases=("restart", "begin opnieuw", "reset", "start over"),
    ),
    Command(
        title="koppel",
        description_nl="Koppel dit kanaal aan een wachtrij: koppel <wachtrij>",
        description_en="Link this channel to a queue: link <queue>",
        scopes=(Scope.TEAM,),
        aliases=("link",),
    ),
    Command(
        title="ontkoppel",
        description_nl="Ontkoppel dit kanaal van zijn wachtrij",
        description_en="Unlink this channel from its queue",
        scopes=(Scope.TEAM,),
        aliases=("unlink",),
    ),
)


def command_for(text: str) -> Command | None:
    """The command a message is, if it is exactly one (case, spacing, a final ! or . ignored).

    ``koppel`` and ``ontkoppel`` take an argument; the channel handler parses those."""
    word = " ".join(text.lower().strip(" !.").split())
    for command in COMMANDS:
        if word in command.words():
            return command
    return None

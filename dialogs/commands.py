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
)


def command_for(text: str) -> Command | None:
    """The command a message is, if it is exactly one (case and spacing ignored)."""
    word = " ".join(text.lower().split())
    for command in COMMANDS:
        if word in command.words():
            return command
    return None

"""The project's exceptions.

    FrontOfficeError
     ├── ConfigurationError      a setting or knowledge folder cannot be used
     ├── KnowledgeError          knowledge files are invalid (carries the problems)
     ├── StoreError              the database cannot be reached or used
     └── InputError              input from outside (an activity, a card action) is invalid

Adapters translate foreign exceptions into this tree with ``raise ... from exc``;
the edge (``bot/``, the CLI) maps them to a reply, a status code or an exit code once.
"""

from __future__ import annotations


class FrontOfficeError(Exception):
    """Root of every error the project raises on purpose."""


class ConfigurationError(FrontOfficeError):
    """A setting has a value that cannot be used."""


class KnowledgeError(FrontOfficeError):
    """Knowledge files are invalid; ``problems`` lists each one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the knowledge: " + "; ".join(problems[:3]))


class StoreError(FrontOfficeError):
    """The database cannot be reached or refused an operation."""


class InputError(FrontOfficeError):
    """Input from outside is malformed or not allowed."""

"""Who is signed in to the console, and what they may do.

Roles: ``desk`` (phone and counter staff: FRONTOFFICE_DESK_STAFF or a member of one of
FRONTOFFICE_DESK_GROUPS), ``queue`` (staff of one or more queues in the knowledge's
``queues.yaml``, as for the channel cards) and ``admin`` (FRONTOFFICE_ADMINS, who may do
everything). Roles are worked out on every request from the signed-in identity, so a
change in the settings or the knowledge takes effect without signing in again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from servicedesk.tickets import Actor

DESK, QUEUE, ADMIN = "desk", "queue", "admin"
ROLES = (DESK, QUEUE, ADMIN)


@dataclass(frozen=True)
class Identity:
    """What the sign-in established (stored in the signed session cookie)."""

    id: str  # Entra object id (``oid``), or ``dev:<name>`` in local mode
    name: str
    email: str = ""
    tenant: str = ""
    groups: tuple[str, ...] = ()
    dev_roles: tuple[str, ...] = ()  # local mode's development sign-in only
    dev_queues: tuple[str, ...] = ()

    def keys(self) -> set[str]:
        return {k.lower() for k in (self.id, self.email) if k}

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "tenant": self.tenant,
            "groups": list(self.groups),
            "dev_roles": list(self.dev_roles),
            "dev_queues": list(self.dev_queues),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Identity:
        return cls(
            id=str(data["id"]),
            name=str(data.get("name", "")),
            email=str(data.get("email", "")),
            tenant=str(data.get("tenant", "")),
            groups=tuple(str(g) for g in data.get("groups", ())),
            dev_roles=tuple(str(r) for r in data.get("dev_roles", ())),
            dev_queues=tuple(str(q) for q in data.get("dev_queues", ())),
        )


@dataclass(frozen=True)
class Person:
    """A signed-in person with their roles and the queues they work for."""

    identity: Identity
    roles: frozenset[str] = field(default_factory=frozenset)
    queues: frozenset[str] = field(default_factory=frozenset)

    @property
    def id(self) -> str:
        return self.identity.id

    @property
    def name(self) -> str:
        return self.identity.name or self.identity.email or self.identity.id

    @property
    def actor(self) -> Actor:
        """How the person appears in a ticket's event trail."""
        return Actor(self.identity.id, self.name)

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles

    def has(self, *roles: str) -> bool:
        """Any of ``roles`` (admins have them all)."""
        return self.is_admin or bool(self.roles & set(roles))

    def may_act(self, queue: str) -> bool:
        """Queue staff act on their queues' tickets; admins on every queue."""
        return self.is_admin or queue in self.queues


def person_for(
    identity: Identity,
    *,
    admins: Iterable[str],
    desk_staff: Iterable[str],
    desk_groups: Iterable[str],
    queue_staff: Mapping[str, Iterable[str]],
    local: bool,
) -> Person:
    """The roles of ``identity``: from the settings and the knowledge, or (local mode's
    development sign-in only) as chosen at sign-in."""
    if local and identity.dev_roles:
        roles = frozenset(r for r in identity.dev_roles if r in ROLES)
        chosen = frozenset(identity.dev_queues) & set(queue_staff)
        queues = frozenset(queue_staff) if ADMIN in roles else chosen
        return Person(identity, roles | ({QUEUE} if queues else frozenset()), queues)
    keys = identity.keys()
    roles: set[str] = set()
    if keys & {a.lower() for a in admins}:
        roles.add(ADMIN)
    if keys & {d.lower() for d in desk_staff} or {g.lower() for g in identity.groups} & {
        g.lower() for g in desk_groups
    }:
        roles.add(DESK)
    queues = frozenset(
        queue
        for queue, staff in queue_staff.items()
        if ADMIN in roles or keys & {s.lower() for s in staff}
    )
    if queues and ADMIN not in roles:
        roles.add(QUEUE)
    return Person(identity, frozenset(roles), queues)

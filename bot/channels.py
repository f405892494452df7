"""Back-office queues in Teams channels: linking a channel to a queue, and the card
actions staff take on ticket cards (``bot.teams_bot.ChannelHandler``).

Commands (the @mention is already removed): ``koppel <queue>`` / ``link <queue>``,
``ontkoppel [queue]`` / ``unlink [queue]``, ``help``. Card verbs (``ticket.*``) are
routed by a table; each click is checked against the queue's staff (knowledge
``queues.yaml``) and the admins (``FRONTOFFICE_ADMINS``), carries the ticket version
the card showed (the first of two clicks wins), and is answered with the current card.
The channel message itself is updated for everyone by the outbox (a push per event).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, AdaptiveCardInvokeResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.engine import Engine

from backoffice_adapter.builtin import BuiltinBackOffice
from bot.channel_cards import POST_TIMEOUT_SECONDS, CardPainter, TeamsTicketCards
from bot.insight import ADMIN_CHANNEL
from bot.references import reference_from
from dialogs import queue_cards, queue_steps
from dialogs.messages import t
from dialogs.queue_cards import Viewer, error_card
from frontoffice.settings import Settings
from knowledge.reload import KnowledgeHolder
from servicedesk.backoffice import BackOffice, BackOfficeError, TicketCards
from servicedesk.clock import Clock
from servicedesk.conversations import ConversationStore
from servicedesk.errors import StoreError
from servicedesk.persistence.channel_store import SqlChannelStore, channel_of
from servicedesk.persistence.conversation_store import SqlConversationStore
from servicedesk.persistence.ticket_store import ConcurrentUpdate
from servicedesk.service import TicketService, UnknownTicket
from servicedesk.tickets import Actor, IllegalTransition, MissingInformation, Ticket

log = logging.getLogger(__name__)
ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
BACKFILL_LIMIT = 50  # open tickets posted when a channel is linked


@dataclass(frozen=True)
class Identity:
    """Who wrote or clicked: the Entra object id, and an e-mail address when Teams gives one."""

    teams_id: str
    aad_object_id: str
    name: str
    email: str = ""

    @property
    def actor(self) -> Actor:
        return Actor(self.aad_object_id or self.teams_id, self.name)

    def keys(self) -> set[str]:
        return {k.lower() for k in (self.aad_object_id, self.email) if k}


def identity_of(activity: Activity) -> Identity:
    sender = activity.from_property
    email = ""
    properties = getattr(sender, "properties", None)
    if isinstance(properties, dict):  # some clients send it; Teams gives it only via the roster
        email = str(properties.get("email") or properties.get("userPrincipalName") or "")
    return Identity(
        teams_id=(sender.id if sender else "") or "",
        aad_object_id=(sender.aad_object_id if sender else "") or "",
        name=(sender.name if sender else "") or "",
        email=email,
    )


class _ActionData(BaseModel):
    """What an ``Action.Execute`` on a ticket card sends: the card's data plus its inputs."""

    model_config = ConfigDict(extra="ignore")
    ticket: str = Field(min_length=1, max_length=32)
    version: int | None = Field(default=None, ge=0)
    events: int | None = Field(default=None, ge=0)
    progress_note: str = Field(default="", max_length=4000)
    delay_reason: str = Field(default="", max_length=2000)
    delay_date: str = Field(default="", max_length=40)
    resolve_note: str = Field(default="", max_length=4000)
    reassign_queue: str = Field(default="", max_length=64)
    reassign_reason: str = Field(default="", max_length=2000)

    def inputs(self) -> queue_steps.StepInputs:
        return queue_steps.StepInputs(
            progress_note=self.progress_note,
            delay_reason=self.delay_reason,
            delay_date=self.delay_date,
            resolve_note=self.resolve_note,
            reassign_queue=self.reassign_queue,
            reassign_reason=self.reassign_reason,
        )


def _language(locale: str | None, default: str = "nl") -> str:
    if locale:
        return "en" if locale.lower().startswith("en") else "nl"
    return default


class QueueChannels:
    def __init__(
        self,
        holder: KnowledgeHolder,
        tickets: TicketService,
        channels: SqlChannelStore,
        conversations: ConversationStore,
        painter: CardPainter,
        admins: frozenset[str],
    ) -> None:
        self._holder = holder
        self._tickets = tickets
        self._channels = channels
        self._conversations = conversations
        self._painter = painter
        self._admins = frozenset(a.lower() for a in admins)
        self._backoffices: Mapping[str, BackOffice] = {}
        self._commands: dict[str, Callable[[TurnContext, list[str], str], Awaitable[None]]] = {
            "koppel": self._link,
            "link": self._link,
            "ontkoppel": self._unlink,
            "unlink": self._unlink,
            "help": self._help,
            "hulp": self._help,
        }
        # the verbs a card sends (``ticket.take``) and the shared steps they make
        self._steps: dict[str, str] = {
            verb: verb.removeprefix(queue_cards.VERB_PREFIX)
            for verb in queue_cards.VERBS
            if verb.removeprefix(queue_cards.VERB_PREFIX) in queue_steps.STEPS
        }

    def use_backoffices(self, backoffices: Mapping[str, BackOffice]) -> None:
        """The back offices the outbox delivers to (known once the app has started)."""
        self._backoffices = backoffices

    # -- who may ------------------------------------------------------------------------

    def may_act(self, queue: str, who: Identity) -> bool:
        keys = who.keys()
        if keys & self._admins:
            return True
        config = self._holder.current().knowledge.queues.get(queue)
        return config is not None and bool(keys & {s.lower() for s in config.staff})

    # -- channel messages ---------------------------------------------------------------

    async def on_message(self, turn_context: TurnContext, text: str) -> None:
        words = text.split()
        command = words[0].lower() if words else "help"
        language = {"koppel": "nl", "ontkoppel": "nl", "link": "en", "unlink": "en"}.get(
            command, _language(turn_context.activity.locale)
        )
        handler = self._commands.get(command)
        if handler is None:
            await self._say(
                turn_context, t(language, "queue.unknown_command", bot=_bot(turn_context))
            )
            return
        await handler(turn_context, words[1:], language)

    async def _link(self, turn_context: TurnContext, args: list[str], language: str) -> None:
        queues = self._holder.current().knowledge.queues
        if not args:
            await self._say(
                turn_context,
                t(language, "queue.link.usage", bot=_bot(turn_context), queues=_list(queues)),
            )
            return
        queue = args[0].strip().lower()
        if queue == ADMIN_CHANNEL:
            await self._link_admin(turn_context, language)
            return
        if queue not in queues:
            await self._say(
                turn_context, t(language, "queue.link.unknown", queue=args[0], queues=_list(queues))
            )
            return
        who = identity_of(turn_context.activity)
        name = self._painter.queue_names(language).get(queue, queue)
        if not self.may_act(queue, who):
            log.info("queue link refused", extra={"queue": queue})
            await self._say(turn_context, t(language, "queue.link.denied", queue=name))
            return
        channel = await self._remember_channel(turn_context.activity)
        before = await self._channels.channel_for(queue)
        await self._channels.link(queue, channel, who.actor.id)
        log.info("queue linked to a channel", extra={"queue": queue})
        posted = await self._post_open_tickets(queue, channel)
        text = t(
            language,
            "queue.link.done",
            queue=name,
            posted=t(language, "queue.link.posted", count=posted) if posted else "",
        )
        if before is not None and channel_of(before.conversation_id) != channel:
            text = t(language, "queue.link.moved", queue=name) + "\n\n" + text
        await self._say(turn_context, text)

    async def _link_admin(self, turn_context: TurnContext, language: str) -> None:
        """``koppel admin``: the channel that gets the weekly summary (admins only)."""
        who = identity_of(turn_context.activity)
        if not who.keys() & self._admins:
            log.info("admin channel link refused")
            await self._say(turn_context, t(language, "insight.link.denied"))
            return
        channel = await self._remember_channel(turn_context.activity)
        await self._channels.link(ADMIN_CHANNEL, channel, who.actor.id)
        log.info("admin channel linked")
        await self._say(turn_context, t(language, "insight.link.done"))

    async def _remember_channel(self, activity: Activity) -> str:
        """The channel's own id (not the thread's), with a reference to post there later."""
        reference = reference_from(activity)
        assert reference is not None  # a message in a channel has a conversation and serviceUrl
        channel = reference.teams_channel_id or channel_of(reference.conversation_id)
        await self._conversations.remember(dataclasses.replace(reference, conversation_id=channel))
        return channel

    async def _post_open_tickets(self, queue: str, channel: str) -> int:
        config = self._holder.current().knowledge.queues[queue]
        backoffice = self._backoffices.get(config.backoffice)
        if not isinstance(backoffice, BuiltinBackOffice):
            return 0
        posted = 0
        for number in (await self._channels.open_tickets_without_card(queue, channel))[
            :BACKFILL_LIMIT
        ]:
            try:
                await backoffice.show(await self._tickets.get(number))
                posted += 1
            except (BackOfficeError, StoreError, OSError) as exc:
                log.warning(
                    "could not post an open ticket after linking",
                    extra={"ticket": number, "reason": type(exc).__name__},
                )
        return posted

    async def _unlink(self, turn_context: TurnContext, args: list[str], language: str) -> None:
        channel = channel_of(turn_context.activity.conversation.id)
        linked = await self._channels.queues_linked_to(channel)
        if args:
            linked = [q for q in linked if q == args[0].strip().lower()]
        if not linked:
            await self._say(turn_context, t(language, "queue.unlink.none"))
            return
        who = identity_of(turn_context.activity)
        allowed = [q for q in linked if self.may_act(q, who)]
        if not allowed:
            names = self._painter.queue_names(language)
            await self._say(
                turn_context,
                t(language, "queue.link.denied", queue=", ".join(names.get(q, q) for q in linked)),
            )
            return
        for queue in allowed:
            await self._channels.unlink(channel, queue)
        log.info("queues unlinked from a channel", extra={"queues": allowed})
        names = self._painter.queue_names(language)
        await self._say(
            turn_context,
            t(language, "queue.unlink.done", queues=", ".join(names.get(q, q) for q in allowed)),
        )

    async def _help(self, turn_context: TurnContext, args: list[str], language: str) -> None:
        channel = channel_of(turn_context.activity.conversation.id)
        linked = await self._channels.queues_linked_to(channel)
        await self._say(
            turn_context,
            t(
                language,
                "queue.help",
                bot=_bot(turn_context),
                linked=", ".join(linked) or t(language, "queue.help.none"),
                queues=_list(self._holder.current().knowledge.queues),
            ),
        )

    @staticmethod
    async def _say(turn_context: TurnContext, text: str) -> None:
        await turn_context.send_activity(text)

    # -- card actions -------------------------------------------------------------------

    def handles(self, verb: str) -> bool:
        return verb.startswith(queue_cards.VERB_PREFIX)

    async def on_card_action(
        self, turn_context: TurnContext, verb: str, data: dict[str, Any]
    ) -> AdaptiveCardInvokeResponse:
        language = _language(turn_context.activity.locale)
        outcome = "error"
        try:
            card, outcome = await self._card_action(turn_context, verb, data, language)
        except StoreError:
            log.exception("card action failed", extra={"verb": _verb_for_log(verb)})
            card = error_card(t(language, "queue.notice.error"))
        log.info("queue card action", extra={"verb": _verb_for_log(verb), "outcome": outcome})
        return AdaptiveCardInvokeResponse(
            status_code=200, type=ADAPTIVE_CARD_CONTENT_TYPE, value=card
        )

    async def _card_action(
        self, turn_context: TurnContext, verb: str, data: dict[str, Any], language: str
    ) -> tuple[dict[str, Any], str]:
        try:
            request = _ActionData.model_validate(data)
        except ValidationError:
            return error_card(t(language, "queue.notice.bad_action")), "malformed"
        try:
            ticket = await self._tickets.get(request.ticket)
        except UnknownTicket:
            return (
                error_card(t(language, "queue.notice.unknown_ticket", number=request.ticket)),
                "unknown_ticket",
            )
        who = identity_of(turn_context.activity)
        may = self.may_act(ticket.queue, who)

        def answer(
            ticket: Ticket, notice: str | None = None, style: str = "warning"
        ) -> dict[str, Any]:
            viewer = Viewer(may_act=self.may_act(ticket.queue, who), actor_id=who.actor.id)
            return self._painter.draw(ticket, language, viewer, notice, style)

        if verb == queue_cards.REFRESH:
            return answer(ticket), "refreshed"
        step_verb = self._steps.get(verb)
        if step_verb is None or request.version is None:
            return answer(ticket, t(language, "queue.notice.bad_action"), "attention"), "unknown"
        if not may:
            names = self._painter.queue_names(language)
            notice = t(
                language, "queue.notice.not_your_queue", queue=names.get(ticket.queue, ticket.queue)
            )
            return answer(ticket, notice, "attention"), "forbidden"
        if not queue_steps.is_current(request.version, request.events, ticket):
            return self._stale(ticket, step_verb, who, language, answer)
        try:
            step = queue_steps.make_step(
                step_verb,
                request.inputs(),
                ticket,
                who.actor,
                self._holder.current().knowledge,
            )
            updated = await self._tickets.act(ticket.number, step, expected_version=ticket.version)
        except queue_steps.Refused as refused:
            return answer(ticket, t(language, refused.key)), "incomplete"
        except ConcurrentUpdate:
            return self._stale(
                await self._tickets.get(ticket.number), step_verb, who, language, answer
            )
        except IllegalTransition:
            status = t(language, f"queue.status.{ticket.status.value}").lower()
            return answer(ticket, t(language, "queue.notice.not_allowed", status=status)), "illegal"
        except MissingInformation:
            return answer(ticket, t(language, queue_steps.missing_key(step_verb))), "incomplete"
        return answer(updated), "done"

    def _stale(
        self,
        ticket: Ticket,
        verb: str,
        who: Identity,
        language: str,
        answer: Callable[..., dict[str, Any]],
    ) -> tuple[dict[str, Any], str]:
        """The card was out of date. The same person's second click (a double click) gets
        the current card quietly; anyone else learns that someone was first."""
        if queue_steps.repeated(verb, ticket, who.actor.id):
            return answer(ticket), "repeated"
        return answer(ticket, t(language, "queue.notice.moved_on")), "stale"


def _verb_for_log(verb: str) -> str:
    return verb if verb in queue_cards.VERBS else "(unknown)"


def _bot(turn_context: TurnContext) -> str:
    recipient = turn_context.activity.recipient
    return (recipient.name if recipient and recipient.name else "") or "Frontoffice"


def _list(queues: Mapping[str, Any]) -> str:
    return ", ".join(f"`{q}`" for q in queues)


# -- wiring (called from the composition root, bot/app.py) ---------------------------------


@dataclass
class ChannelWork:
    """The queue-channel pieces: the activity handler, the card poster and their store."""

    handler: QueueChannels
    cards: TicketCards
    store: SqlChannelStore
    tickets: TicketService
    clock: Clock
    stale_after: timedelta = timedelta(minutes=2)  # > the card post timeout
    backoffices: Mapping[str, BackOffice] = dataclasses.field(default_factory=dict)

    def attach(self, backoffices: Mapping[str, BackOffice]) -> None:
        """Let the built-in queue(s) post and update cards; called once the back offices
        are built (when the app starts)."""
        self.backoffices = backoffices
        for backoffice in backoffices.values():
            if isinstance(backoffice, BuiltinBackOffice):
                backoffice.show_in_teams(self.cards, self.store, self.stale_after, self.clock)
        self.handler.use_backoffices(backoffices)

    async def reconcile(self) -> int:
        """Post the cards a killed process left unfinished (stale intents), once."""
        done = 0
        for backoffice in self.backoffices.values():
            if isinstance(backoffice, BuiltinBackOffice):
                done += await backoffice.reconcile(self.tickets.get)
        return done


def build_channel_work(
    settings: Settings,
    engine: Engine,
    holder: KnowledgeHolder,
    tickets: TicketService,
    adapter: CloudAdapter,
    clock: Clock,
) -> ChannelWork:
    conversations = SqlConversationStore(engine, clock)
    store = SqlChannelStore(engine, clock)
    painter = CardPainter(holder, tickets)
    # a post gets at most half the lease to answer; an intent older than the lease is stale
    lease = max(settings.outbox_lease_seconds, 1.0)
    timeout = min(POST_TIMEOUT_SECONDS, lease / 2)
    cards = TeamsTicketCards(adapter, settings.app_id, conversations, painter, timeout)
    handler = QueueChannels(holder, tickets, store, conversations, painter, settings.admins)
    return ChannelWork(handler, cards, store, tickets, clock, timedelta(seconds=lease))


CHANNEL_WORK = web.AppKey("channel_work", ChannelWork)

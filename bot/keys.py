"""Typed keys for what the aiohttp app carries (one composition root: ``bot.app``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy.engine import Engine

from frontoffice.settings import Settings
from knowledge.reload import KnowledgeHolder
from servicedesk.clock import Clock
from servicedesk.outbox import OutboxWorker
from servicedesk.persistence.ticket_store import SqlTicketStore
from servicedesk.service import TicketService

if TYPE_CHECKING:
    from botbuilder.integration.aiohttp import CloudAdapter

    from bot.teams_bot import FrontOfficeBot

SETTINGS = web.AppKey("settings", Settings)
STORE_ENGINE = web.AppKey("store_engine", Engine)
KNOWLEDGE = web.AppKey("knowledge", KnowledgeHolder)
ADAPTER: web.AppKey[CloudAdapter] = web.AppKey("adapter")
BOT: web.AppKey[FrontOfficeBot] = web.AppKey("bot")
TICKETS = web.AppKey("tickets", TicketService)
TICKET_STORE = web.AppKey("ticket_store", SqlTicketStore)
OUTBOX = web.AppKey("outbox", OutboxWorker)
CLOCK = web.AppKey("clock", Clock)  # the app's clock (tests pass a FixedClock)

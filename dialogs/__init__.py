"""Conversation logic: what the bot says, independent of the Bot Framework SDK.

``FrontDesk`` turns an employee's message (or a card action) into ``Reply``
objects: plain text or Adaptive Card JSON built by ``dialogs.cards``. Texts come
from the message catalogues in ``dialogs/locales`` (Dutch first, English second).
"""
